"""The training engine on a tiny task: it learns, resumes exactly, and refuses bad input early."""

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import cv2
import numpy as np
import paddle
import pytest

from lib.data.prepare import read_meta_file
from lib.train.data import KeyedPatchDataset
from lib.train.engine import TrainData, Trainer, amp_enabled, load_checkpoint

pytestmark = pytest.mark.filterwarnings("ignore")


def make_pairs(folder: Path, n: int = 4, size: int = 48) -> list:
    """Sharp pages of random strokes and their Gaussian-blurred copies, written as PNG."""
    rng = np.random.default_rng(0)
    (folder / "blur").mkdir(parents=True)
    (folder / "gt").mkdir(parents=True)
    pairs = []
    for i in range(n):
        gt = np.full((size, size, 3), 235, np.uint8)
        for _ in range(12):
            x, y = rng.integers(0, size, 2)
            cv2.line(gt, (int(x), int(y)), (int(x + rng.integers(-9, 9)), int(y)), (20, 20, 20), 1)
        blur = cv2.GaussianBlur(gt, (5, 5), 1.2)
        paths = folder / "blur" / f"{i}.png", folder / "gt" / f"{i}.png"
        cv2.imwrite(str(paths[0]), blur)
        cv2.imwrite(str(paths[1]), gt)
        pairs.append(paths)
    return pairs


def tiny_options(iters=(4, 4), **changes):
    opts = {
        "model": {"name": "nafnet", "width": 4, "enc_blk_nums": [1, 1], "dec_blk_nums": [1, 1], "middle_blk_num": 1},
        "stages": [
            {"batch_size": 2, "patch_size": 24, "iters": iters[0]},
            {"batch_size": 2, "patch_size": 32, "iters": iters[1]},
        ],
        "phases": [
            {"loss": "l1", "iters": iters[0]},
            {"loss": {"name": "charbonnier_msssim", "weights": [0.1356, 0.8644]}, "iters": iters[1], "all_data": True},
        ],
        "optimizer": {"lr": 2e-3},
        "val_every": 4,
        "save_every": 2,
        "log_every": 1,
    }
    opts.update(changes)
    return opts


@pytest.fixture()
def data(tmp_path):
    pairs = make_pairs(tmp_path / "patches")
    full_size = make_pairs(tmp_path / "val", n=1, size=176)  # 5-scale MS-SSIM needs 176 px
    val = [(p[0].stem, p[0], p[1]) for p in full_size]
    return TrainData(train=pairs[1:], all=pairs, val=val)


def weights(trainer):
    return {k: v.numpy().copy() for k, v in trainer.model.state_dict().items()}


def test_loss_goes_down_and_outputs_are_written(data, tmp_path):
    trainer = Trainer(tiny_options(iters=(30, 2), val_every=32, log_every=1), data, tmp_path / "run", quiet=True)
    history = trainer.fit()
    losses = [r["loss"] for r in history if "loss" in r and r["phase"] == 0]
    assert np.mean(losses[-5:]) < 0.7 * np.mean(losses[:5]), losses
    val = [r for r in history if "psnr" in r]
    assert val and np.isfinite(val[-1]["psnr"])
    for name in ("last.pdparams", "best.pdparams", "log.csv", "options.json"):
        assert (tmp_path / "run" / name).is_file(), name
    assert list((tmp_path / "run" / "vdl").iterdir()), "VisualDL log is empty"
    assert load_checkpoint(tmp_path / "run" / "last.pdparams")["iteration"] == 32


@pytest.mark.slow
def test_resumed_run_matches_an_uninterrupted_one(data, tmp_path):
    full = Trainer(tiny_options(), data, tmp_path / "a", quiet=True)
    full.fit()
    first = Trainer(tiny_options(), data, tmp_path / "b", quiet=True)
    first.fit(stop_after=3)  # stops inside stage 0, after the checkpoint at iteration 2 + 1 more
    assert load_checkpoint(tmp_path / "b" / "last.pdparams")["iteration"] == 3
    second = Trainer(tiny_options(), data, tmp_path / "b", quiet=True)
    assert second.resume() and second.iteration == 3
    second.fit()
    a, b = weights(full), weights(second)
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=1e-5, atol=1e-6, err_msg=key)


@pytest.mark.slow
def test_weight_average_follows_the_formula_resumes_and_is_what_validation_and_publishing_use(data, tmp_path):
    from lib.checkpoints import inference_weights

    # the average by hand, in float64: decay min(d, (1 + n) / (10 + n)) after step n
    trainer = Trainer(tiny_options(iters=(3, 3), ema=0.9, val_every=100), data, tmp_path / "hand", quiet=True)
    expected = {k: v.astype(np.float64) for k, v in weights(trainer).items()}
    step = trainer._step

    def checked_step(batch):
        losses = step(batch)
        d = min(0.9, (1 + trainer.ema.steps) / (10 + trainer.ema.steps))
        for k, v in weights(trainer).items():
            expected[k] = d * expected[k] + (1 - d) * v
        return losses

    trainer._step = checked_step
    trainer.fit()
    for k, v in trainer.ema.state_dict().items():
        np.testing.assert_allclose(v.numpy(), expected[k], rtol=1e-5, atol=1e-7, err_msg=k)
    assert any(np.abs(v.numpy() - weights(trainer)[k]).max() > 1e-6 for k, v in trainer.ema.state_dict().items())
    # validation sees the average, then training goes on with the raw weights
    raw = weights(trainer)
    seen = {}
    original = trainer.task_runner.validate
    trainer.task_runner.validate = lambda samples: seen.update(weights(trainer)) or original(samples)
    trainer.validate()
    for k in raw:
        np.testing.assert_allclose(seen[k], expected[k], rtol=1e-5, atol=1e-7)
        np.testing.assert_array_equal(weights(trainer)[k], raw[k])
    # the checkpoint keeps both; inference uses the average; a resumed run continues it exactly
    state = load_checkpoint(tmp_path / "hand" / "last.pdparams")
    for k in raw:
        np.testing.assert_allclose(np.asarray(inference_weights(state)["model"][k]), expected[k], rtol=1e-5, atol=1e-7)
    full = Trainer(tiny_options(ema=0.99), data, tmp_path / "a", quiet=True)
    full.fit()
    half = Trainer(tiny_options(ema=0.99), data, tmp_path / "b", quiet=True)
    half.fit(stop_after=4)
    resumed = Trainer(tiny_options(ema=0.99), data, tmp_path / "b", quiet=True)
    assert resumed.resume() and resumed.ema.steps == 4
    resumed.fit()
    for k, v in full.ema.state_dict().items():
        np.testing.assert_allclose(resumed.ema.state_dict()[k].numpy(), v.numpy(), rtol=1e-5, atol=1e-6, err_msg=k)
    with pytest.raises(ValueError, match="'ema' must be a decay"):
        Trainer(tiny_options(ema=1.5), data, tmp_path / "bad", quiet=True)


@pytest.mark.slow
def test_killed_run_resumes_from_its_last_checkpoint(data, tmp_path):
    out = tmp_path / "killed"
    script = textwrap.dedent(f"""
        import os, signal, pickle
        from lib.train.engine import Trainer
        data, options = pickle.load(open({str(tmp_path / "job.pkl")!r}, "rb"))
        trainer = Trainer(options, data, {str(out)!r}, quiet=True)
        step = trainer._step
        def dying_step(*args):
            if trainer.iteration == 5:  # checkpoints exist at 2 and 4; die mid-run, no cleanup
                os.kill(os.getpid(), signal.SIGKILL)
            return step(*args)
        trainer._step = dying_step
        trainer.fit()
    """)
    import pickle

    pickle.dump((data, tiny_options()), open(tmp_path / "job.pkl", "wb"))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    (out / "last.pdparams.tmp").write_bytes(b"half-written")  # as if killed while saving
    resumed = Trainer(tiny_options(), data, out, quiet=True)
    assert resumed.resume() and resumed.iteration == 4
    resumed.fit()
    reference = Trainer(tiny_options(), data, tmp_path / "ref", quiet=True)
    reference.fit()
    for key, value in weights(reference).items():
        np.testing.assert_allclose(weights(resumed)[key], value, rtol=1e-5, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("how", ["half", "empty"])
@pytest.mark.slow
def test_damaged_last_checkpoint_resumes_from_the_newest_readable_one(how, data, tmp_path, capsys):
    reference = Trainer(tiny_options(), data, tmp_path / "ref", quiet=True)
    reference.fit()
    run = tmp_path / "run"
    Trainer(tiny_options(), data, run, quiet=True).fit(stop_after=6)  # best at 4 (first validation), last at 6
    assert load_checkpoint(run / "best.pdparams")["iteration"] == 4
    last = (run / "last.pdparams").read_bytes()
    (run / "last.pdparams").write_bytes(b"" if how == "empty" else last[: len(last) // 2])
    resumed = Trainer(tiny_options(), data, run, quiet=True)
    assert resumed.resume() and resumed.iteration == 4
    assert f"{run / 'last.pdparams'} is damaged; resuming from best.pdparams at iteration 4" in capsys.readouterr().out
    resumed.fit()
    for key, value in weights(reference).items():
        np.testing.assert_allclose(weights(resumed)[key], value, rtol=1e-5, atol=1e-6, err_msg=key)
    # nothing readable: the error says what is damaged and how to start afresh
    for name in ("last.pdparams", "best.pdparams"):
        (run / name).write_bytes(b"damaged")
    with pytest.raises(ValueError, match=r"corrupt.*no other checkpoint .* is readable.*delete the run folder"):
        Trainer(tiny_options(), data, run, quiet=True).resume()


def test_bad_inputs_fail_before_training(data, tmp_path):
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        load_checkpoint(tmp_path / "nope.pdparams")
    bad = tmp_path / "bad.pdparams"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="corrupt"):
        load_checkpoint(bad)
    big = tiny_options(
        stages=[{"batch_size": 2, "patch_size": 64, "iters": 4}, {"batch_size": 2, "patch_size": 32, "iters": 4}]
    )
    with pytest.raises(ValueError, match="patch size 64 is larger than"):
        Trainer(big, data, tmp_path / "big")
    empty = tmp_path / "meta_info.txt"
    empty.write_text("")
    with pytest.raises(ValueError, match="lists no pairs"):
        read_meta_file(empty)
    with pytest.raises(ValueError, match="no training samples"):
        Trainer(tiny_options(), TrainData([], data.all, data.val), tmp_path / "e")
    other = Trainer(tiny_options(iters=(2, 2), save_every=2), data, tmp_path / "c", quiet=True)
    other.fit(stop_after=2)
    schedule = r"different training options \(stages, phases, scheduler: a different schedule\)"
    with pytest.raises(ValueError, match=schedule):
        Trainer(tiny_options(), data, tmp_path / "c").resume()
    # the same schedule at another learning rate: resuming would finish the old run under the new options
    with pytest.raises(ValueError, match=r"different training options \(optimizer\).*delete it to start over"):
        Trainer(tiny_options(iters=(2, 2), optimizer={"lr": 4e-3}), data, tmp_path / "c").resume()
    # how often it saves or validates is not what it trains: it resumes
    assert Trainer(tiny_options(iters=(2, 2), save_every=1, val_every=2), data, tmp_path / "c", quiet=True).resume()


def test_keyed_patches_are_reproducible_and_aligned(data):
    same = [(p[1], p[1]) for p in data.all]  # blur == gt: any misalignment shows
    ds = KeyedPatchDataset(same, 16, seed=3)
    a, b = ds[12345], ds[12345]
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[0], a[1])
    assert not np.array_equal(ds[1][0], ds[2][0])


def test_keyed_samples_of_image_mask_and_label_stay_aligned(tmp_path):
    """An inpainting sample (image, mask, ground truth) and a segmentation sample (image, label)
    get the same crop, flips and rotation on every file, each converted to its kind."""
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (40, 56, 3), dtype=np.uint8)
    mask = (image[:, :, 0] > 128).astype(np.uint8) * 255  # derived from the image: alignment shows
    label = (image[:, :, 1] // 64).astype(np.uint8)  # class ids 0..3
    paths = {name: tmp_path / f"{name}.png" for name in ("image", "mask", "label")}
    cv2.imwrite(str(paths["image"]), image[:, :, ::-1])
    cv2.imwrite(str(paths["mask"]), mask)
    cv2.imwrite(str(paths["label"]), label)
    inpaint = KeyedPatchDataset(
        [(paths["image"], paths["mask"], paths["image"])], 24, seed=5, kinds=("image", "mask", "image")
    )
    segment = KeyedPatchDataset([(paths["image"], paths["label"])], 24, seed=5, kinds=("image", "label"))
    for key in range(6):
        img, msk, gt = inpaint[key]
        assert img.shape == (3, 24, 24) and msk.shape == (1, 24, 24) and msk.dtype == np.float32
        np.testing.assert_array_equal(msk[0], (img[0] * 255 > 128.5).astype(np.float32))
        np.testing.assert_array_equal(img, gt)
        img2, lab = segment[key]
        np.testing.assert_array_equal(img2, img)  # same key, same crop and flips
        assert lab.dtype == np.int64 and lab.shape == (24, 24)
        np.testing.assert_array_equal(lab, np.round(img2[1] * 255).astype(np.int64) // 64)
    with pytest.raises(ValueError, match="unknown"):
        KeyedPatchDataset([(paths["image"],)], 24, kinds=("picture",))
    with pytest.raises(ValueError, match="has 2 files but the kinds are"):
        KeyedPatchDataset([(paths["image"], paths["label"])], 24, kinds=("image", "mask", "image"))


def test_horizontal_flips_only_keep_images_upright():
    """augment {rotate: false, vflip: false} (gUNet's second stage): only left-right mirrors."""
    from lib.data.augment import augment_arrays

    image = np.arange(5 * 7 * 3, dtype=np.uint8).reshape(5, 7, 3)
    seen = set()
    for seed in range(40):
        (out,) = augment_arrays((image,), None, np.random.default_rng(seed), rotate=False, vflip=False)
        assert np.array_equal(out, image) or np.array_equal(out, image[:, ::-1])
        seen.add(np.array_equal(out, image))
    assert seen == {True, False}


def test_inline_loader_gives_paddles_batches_and_raises_a_failing_sample(data, tmp_path):
    """With no workers the engine batches in its own thread: the same tensors as paddle.io.DataLoader
    (which reads in a thread and, when a sample fails, waits forever), and a bad file is an error
    that names it."""
    import paddle

    from lib.train.data import InlineLoader, IterationBatchSampler, make_loader

    ds = KeyedPatchDataset(data.train, 16, seed=3)
    inline = list(make_loader(ds, 5, 8, batch_size=2))
    assert isinstance(make_loader(ds, 5, 8, batch_size=2), InlineLoader) and len(inline) == 3
    reference = list(
        paddle.io.DataLoader(ds, batch_sampler=IterationBatchSampler(5, 8, 2), num_workers=1, use_shared_memory=False)
    )
    for mine, theirs in zip(inline, reference, strict=True):
        assert [tuple(t.shape) for t in mine] == [(2, 3, 16, 16)] * 2
        for a, b in zip(mine, theirs, strict=True):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    bad = KeyedPatchDataset([(broken, broken)], 16, seed=3)
    with pytest.raises(Exception, match="broken.png"):
        next(iter(make_loader(bad, 0, 1, batch_size=2)))


def test_amp_is_on_only_where_asked(monkeypatch):
    monkeypatch.setattr(paddle, "is_compiled_with_cuda", lambda: True)
    assert amp_enabled("auto", "gpu:0") and amp_enabled(True, "cpu")
    assert not amp_enabled(False, "gpu:0") and not amp_enabled("auto", "cpu")
    with pytest.raises(ValueError, match="'amp' must be true, false or auto"):
        amp_enabled("fp16", "gpu:0")


def test_reset_optimizer_state_gives_a_new_optimizers_step():
    """After a reset, one AdamW step from the same weights and gradients equals the first step of a new AdamW."""
    from lib.train.engine import reset_optimizer_state

    def step(net, optimizer, x):
        optimizer.clear_grad()
        (net(x) ** 2).mean().backward()
        optimizer.step()

    paddle.seed(0)
    x = paddle.randn([4, 3])
    used = paddle.nn.Linear(3, 2)
    used_opt = paddle.optimizer.AdamW(learning_rate=0.1, parameters=used.parameters(), beta1=0.9, beta2=0.99)
    for _ in range(5):
        step(used, used_opt, x)
    fresh = paddle.nn.Linear(3, 2)
    fresh.set_state_dict(used.state_dict())
    fresh_opt = paddle.optimizer.AdamW(learning_rate=0.1, parameters=fresh.parameters(), beta1=0.9, beta2=0.99)
    reset_optimizer_state(used_opt)
    step(used, used_opt, x)
    step(fresh, fresh_opt, x)
    for key, value in fresh.state_dict().items():
        np.testing.assert_allclose(used.state_dict()[key].numpy(), value.numpy(), rtol=1e-6, err_msg=key)
    # without the reset the moments carry over and the step differs (the check can fail)
    step(used, used_opt, x)
    again = paddle.nn.Linear(3, 2)
    again.set_state_dict(fresh.state_dict())
    step(fresh, paddle.optimizer.AdamW(learning_rate=0.1, parameters=fresh.parameters(), beta1=0.9, beta2=0.99), x)
    assert not np.allclose(used.state_dict()["weight"].numpy(), fresh.state_dict()["weight"].numpy())


def test_a_phase_restarts_from_the_previous_phases_best_weights(data, tmp_path, monkeypatch):
    """restart_from: best starts phase 1 from phase 0's best validated weights, not its last ones, and a run resumed
    after the restart ends where an uninterrupted one does."""
    scores = iter([0.9, 0.1, 0.5, 0.5, 0.5, 0.5])  # phase 0 validates at 2 (best) and 4; phase 1 at 6 and 8
    monkeypatch.setattr(Trainer, "validate", lambda self: {"psnr": 0.0, "ms_ssim": 0.0, "score": next(scores)})
    opts = tiny_options()
    opts["phases"][1]["restart_from"] = "best"
    opts.update(val_every=2, keep_phase_ends=True)
    trainer = Trainer(opts, data, tmp_path / "run", quiet=True)
    trainer.fit(stop_after=4)
    at_best = load_checkpoint(tmp_path / "run" / "phase0_best.pdparams")
    assert at_best["iteration"] == 2
    trainer.fit(stop_after=1)  # the restart, then one step from the best weights
    best = {k: np.asarray(v) for k, v in at_best["networks"]["model"].items()}
    last = {
        k: np.asarray(v)
        for k, v in load_checkpoint(tmp_path / "run" / "phase0_end.pdparams")["networks"]["model"].items()
    }
    moved = {k: np.abs(v - best[k]).max() for k, v in weights(trainer).items()}
    farther = {k: np.abs(v - last[k]).max() for k, v in weights(trainer).items()}
    # one AdamW step from a reset optimizer moves each weight by at most about the lr (2e-3, here after the
    # cosine restart); from the last weights the run is farther
    assert max(moved.values()) < 3e-3, moved
    assert max(farther.values()) > max(moved.values())

    with pytest.raises(ValueError, match="restart_from"):
        bad = tiny_options()
        bad["phases"][0]["restart_from"] = "last"
        Trainer(bad, data, tmp_path / "bad", quiet=True)
    with pytest.raises(ValueError, match="needs a validation"):
        bad = tiny_options(val_every=8)
        bad["phases"][1]["restart_from"] = "best"
        Trainer(bad, data, tmp_path / "bad2", quiet=True)


def test_validation_on_a_random_window_per_page(data, tmp_path):
    """val_crop validates on one aligned random window of each page, the same for the same iteration and redrawn at
    another; a window never leaves the page, and a side shorter than the window is kept whole."""
    from lib.train.tasks import random_window

    rng = np.random.default_rng(0)
    inp, gt = np.arange(40 * 30).reshape(40, 30), -np.arange(40 * 30).reshape(40, 30)
    corners = set()
    for _ in range(200):
        a, b = random_window(inp, gt, 16, rng)
        assert a.shape == (16, 16) and np.array_equal(a, -b)
        corners.add((int(a[0, 0]) // 30, int(a[0, 0]) % 30))
    assert {r for r, _ in corners} == set(range(25)) and {c for _, c in corners} == set(range(15))
    assert random_window(inp, gt, 64, rng)[0].shape == (40, 30)
    with pytest.raises(ValueError, match="aligned"):
        random_window(inp, gt[:, :20], 16, rng)

    big = make_pairs(tmp_path / "bigval", n=1, size=260)  # a window of 176 px, the least 5-scale MS-SSIM takes
    data = TrainData(train=data.train, all=data.all, val=[(p[0].stem, p[0], p[1]) for p in big])
    trainer = Trainer(tiny_options(task={"val_crop": 176}), data, tmp_path / "run", quiet=True)
    trainer.iteration = 7
    first, again = trainer.validate(), trainer.validate()
    trainer.iteration = 8
    other = trainer.validate()
    assert first == again and first["psnr"] != other["psnr"]
    with pytest.raises(ValueError, match="val_crop"):
        Trainer(tiny_options(task={"val_crop": 4}), data, tmp_path / "bad", quiet=True).fit(stop_after=1)


def _noise_pairs(folder: Path, n: int = 3, size: int = 40) -> list:
    """Pairs of unrelated random images: every window of them is unique, and so is each flip or turn of one."""
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True)
    pairs = []
    for i in range(n):
        paths = folder / f"in{i}.png", folder / f"gt{i}.png"
        for path in paths:
            cv2.imwrite(str(path), rng.integers(0, 256, (size, size, 3), dtype=np.uint8))
        pairs.append(paths)
    return pairs


def _window_of(patch: np.ndarray, image: np.ndarray):
    """(y, x) where ``patch`` sits in ``image`` as it is (no flip, no turn), else None."""
    p = patch.shape[0]
    for y in range(image.shape[0] - p + 1):
        for x in range(image.shape[1] - p + 1):
            if np.array_equal(image[y : y + p, x : x + p], patch):
                return y, x
    return None


def _trained_patches(options, data, out) -> list:
    """The (input, ground truth) patches the engine's loader hands the task, as uint8 H x W x 3 RGB."""
    trainer = Trainer(options, data, out, quiet=True)
    seen = []

    def record(batch, iteration):
        for inp, gt in zip(*(t.numpy() for t in batch), strict=True):
            seen.append(tuple(np.round(a.transpose(1, 2, 0) * 255).astype(np.uint8) for a in (inp, gt)))
        return {"loss": 0.0}

    trainer.task_runner.train_step = record
    trainer.fit()
    return seen


def test_augment_off_trains_on_the_stored_crops_as_they_are(tmp_path):
    """The track's ``augment: {flip: false, rotate: false}`` (the de-occlusion solution's dataset.py flips and turns
    nothing): every patch the loader gives is a window of a stored sample, input and ground truth the same window;
    whole samples (patch = sample) come back unchanged. With the engine's default some are mirrored or turned."""
    pairs = _noise_pairs(tmp_path / "pairs")
    images = [tuple(cv2.imread(str(p))[:, :, ::-1] for p in pair) for pair in pairs]
    data = TrainData(train=pairs, all=pairs, val=[])
    off = {"flip": False, "rotate": False}

    def options(**changes):
        opts = tiny_options(iters=(6, 6), val_every=100, save_every=100, **changes)
        opts["stages"][1]["patch_size"] = 40  # the whole sample
        return opts

    def placed(inp, gt):
        for src_in, src_gt in images:
            at = _window_of(inp, src_in)
            if at is not None:
                y, x = at
                return np.array_equal(src_gt[y : y + gt.shape[0], x : x + gt.shape[1]], gt)
        return False

    patches = _trained_patches(options(augment=off), data, tmp_path / "off")
    assert len(patches) == 24 and all(placed(inp, gt) for inp, gt in patches)
    whole = [(inp, gt) for inp, gt in patches if inp.shape[0] == 40]
    assert len(whole) == 12 and all(any(np.array_equal(inp, s[0]) for s in images) for inp, _ in whole)
    default = _trained_patches(options(), data, tmp_path / "default")
    assert not all(placed(inp, gt) for inp, gt in default)
