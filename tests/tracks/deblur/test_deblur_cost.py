"""lab.tracks.deblur.cost: the full schedule's estimated GPU memory and hours (a network of known sizes)."""

import paddle
import pytest

from lab.tracks.deblur.cost import GIB, activation_bytes_per_pixel, full_cost_lines_zh, training_memory_gib


def tiny():
    paddle.seed(0)
    return paddle.nn.Sequential(paddle.nn.Conv2D(3, 4, 3, padding=1), paddle.nn.ReLU(), paddle.nn.Conv2D(4, 2, 1))


def test_activations_count_each_leaf_output_once_per_pixel():
    # leaf outputs per pixel: 4 + 4 + 2 channels of float32 = 40 bytes; the container is not counted again
    assert activation_bytes_per_pixel(tiny(), side=16) == pytest.approx(40.0)


def test_memory_scales_with_batch_and_patch_and_adds_the_optimizer_state():
    model = tiny()
    params = sum(int(p.numel()) for p in model.parameters())  # 3*4*9 + 4 + 4*2 + 2 = 122
    rows = training_memory_gib(model, [{"batch_size": 2, "patch_size": 32}, {"batch_size": 1, "patch_size": 64}])
    assert rows[0]["activations_gib"] * GIB == pytest.approx(40 * 2 * 32 * 32)
    assert rows[1]["activations_gib"] == pytest.approx(2 * rows[0]["activations_gib"])
    assert rows[0]["state_gib"] * GIB == pytest.approx(16 * params)
    lines = full_cost_lines_zh(
        {"cost": {"iterations": 1000, "train_pmacs": 2.0, "gpu_hours": 3.4}, "peak_rss_gib": 5.0},
        {"name": "GPU X", "fp32_peak_flops": 1e13, "efficiency": 0.5},
        rows,
    )
    assert "约 **3 GPU 小时**" in lines[0] and "估算" in lines[0]
    assert "batch 1 × 64 px" in lines[1] and "不是显存" in lines[1]


def test_which_model_names_the_shipped_the_published_and_the_own_run(tmp_path):
    from lib.tracks import get_track
    from lib.tracks.deblur.evaluate import which_model_zh

    track = get_track("deblur")
    assert which_model_zh(track.shipped_dir / "model.pdparams").startswith("附带模型")
    assert "make train" in which_model_zh(track.published_dir("demo") / "model.pdparams")
    assert which_model_zh(track.run_dir("demo") / "best.pdparams").startswith("你的模型")
    assert "你自己的训练" in which_model_zh(tmp_path / "best.pdparams")
