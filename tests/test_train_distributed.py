"""Two CPU processes under paddle.distributed.launch (gloo), through the real command line
(lib/train/__main__.py, as the README's multi-GPU command runs it): a stage's batch_size is the
global batch, so each rank trains on half of it, the gradients are averaged, and the weights end
where one process with the whole batch ends; the data is prepared once, not once per rank."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import paddle
import pytest
from helpers.counting_track import TRACK, preparations_file

from lib.train.launch import _Follower, prepare_once

HELPER = Path(__file__).parent / "helpers" / "counting_track.py"


def weights(npz) -> dict:
    return {k: npz[k] for k in npz.files if k not in ("batches", "world_size")}


@pytest.mark.slow
def test_two_ranks_split_the_global_batch_match_one_process_and_prepare_once(tmp_path):
    root, run = tmp_path / "data", tmp_path / "run"
    env = {**__import__("os").environ, "COURSE_DATA_DIR": str(tmp_path / "course-data")}  # where the lock lives
    cmd = [
        sys.executable,
        "-m",
        "paddle.distributed.launch",
        "--nproc_per_node",
        "2",
        "--log_dir",
        str(tmp_path / "logs"),
        str(HELPER),
        "--config",
        "tiny_counting",
        "--profile",
        "smoke",
        "--data",
        str(root),
        "--out",
        str(run),
        "--nproc",
        "2",
        "--fresh",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env)
    logs = "".join(p.read_text(errors="replace")[-3000:] for p in (tmp_path / "logs").glob("workerlog.*"))
    assert proc.returncode == 0, proc.stdout[-2000:] + logs

    # both ranks prepared (each called prepare under the lock), but only one of them did the work
    assert len(preparations_file(root).read_text().split()) == 1, logs

    ranks = [np.load(run / f"rank{r}.npz") for r in (0, 1)]
    assert [int(r["world_size"]) for r in ranks] == [2, 2]
    stages = TRACK.config("smoke")["train"]["stages"]
    per_rank = [s["batch_size"] // 2 for s in stages for _ in range(s["iters"])]
    assert per_rank == [2, 2, 2, 2, 2]
    for r in ranks:
        assert r["batches"].tolist() == per_rank  # half of the configured (global) batch of 4

    # one process with the whole batch of 4, the same seed: the same patches, the same averaged gradient
    paddle.set_device("cpu")
    single = TRACK.trainer("smoke", tmp_path / "single", prepared=TRACK.prepare("smoke", root), quiet=True)
    single.fit()
    expected = {k: v.numpy() for k, v in single.model.state_dict().items()}
    assert set(expected) == set(weights(ranks[0]))
    moved = TRACK.trainer("smoke", tmp_path / "untrained", prepared=root, quiet=True)
    for key, value in expected.items():
        for r in ranks:
            # float32 sums in another order (per rank, then the all-reduce): measured within 1e-8
            np.testing.assert_allclose(weights(r)[key], value, rtol=0, atol=1e-6, err_msg=key)
        # and the comparison can fail: five steps moved every weight 100 times that tolerance or more
        assert np.abs(value - moved.model.state_dict()[key].numpy()).max() > 1e-4, key


@pytest.mark.slow
def test_the_launching_process_prepares_before_it_starts_the_ranks(tmp_path, monkeypatch):
    """python -m lib.train --nproc 2 prepares in the launching process, then relaunches itself; the
    ranks find the data ready."""
    import lib.train.launch as launch
    from lib.train.__main__ import main

    root = tmp_path / "data"
    seen = {}

    def fake_relaunch(args, nproc, *rest, **options):
        seen["preparations"] = preparations_file(root).read_text().split()
        seen["args"], seen["nproc"] = args, nproc
        return 0

    monkeypatch.setattr(launch, "relaunch", fake_relaunch)
    monkeypatch.setattr("lib.paths.DATA_DIR", tmp_path / "course-data")
    assert main(["--config", "tiny_counting", "--profile", "smoke", "--data", str(root), "--nproc", "2"]) == 0
    assert len(seen["preparations"]) == 1 and seen["nproc"] == 2
    assert (tmp_path / "course-data" / launch.PREPARE_LOCK).is_file()
    # a rank calling it again finds the data ready and prepares nothing
    assert prepare_once(TRACK, "smoke", root, lock_dir=tmp_path / "course-data") == root
    assert len(preparations_file(root).read_text().split()) == 1


def test_the_follower_drops_paddles_flags_banner_and_prints_the_rest(capsys):
    follower = _Follower(bar=False)
    for line in (
        "======================= Modified FLAGS detected =======================",
        "FLAGS(name='FLAGS_call_stack_level', current_value=0, default_value=1)",
        "=======================================================================",
        "第 250 次迭代的验证：psnr 21.9864",
        "FLAGS(name= not the banner",
    ):
        follower.line(line)
    assert capsys.readouterr().out.splitlines() == ["第 250 次迭代的验证：psnr 21.9864", "FLAGS(name= not the banner"]


@pytest.mark.slow
def test_relaunch_creates_a_log_folder_that_does_not_exist_yet(tmp_path, monkeypatch):
    """A caller's log folder (notebook 07 names one under runs/logs/) is made before launcher.log opens in it;
    the ranks are a stand-in process that writes rank 0's log and exits."""
    from lib.train import launch

    logs = tmp_path / "not" / "made" / "yet"

    def stand_in(args, nproc, log_dir):
        return [sys.executable, "-c", f"open({str(log_dir / 'workerlog.0')!r}, 'w').write('第 1 次迭代\\n')"]

    monkeypatch.setattr(launch, "launch_command", stand_in)
    assert launch.relaunch(["--config", "x"], 2, log_dir=logs) == 0
    assert (logs / "launcher.log").is_file() and (logs / "workerlog.0").read_text() == "第 1 次迭代\n"
