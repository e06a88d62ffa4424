"""Two CPU processes under paddle.distributed.launch: gradients are all-reduced, so both ranks end
with the same weights although each drew different patches (lib.train.data)."""
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np

from test_train_engine import make_pairs, tiny_options
from lib.train.engine import TrainData

WORKER = Path(__file__).parent / "helpers" / "ddp_worker.py"


def test_two_process_data_parallel_keeps_ranks_in_sync(tmp_path):
    pairs = make_pairs(tmp_path / "patches")
    val = [(p[0].stem, p[0], p[1]) for p in make_pairs(tmp_path / "val", n=1, size=176)]
    job = tmp_path / "job.pkl"
    pickle.dump((TrainData(pairs[1:], pairs, val), tiny_options(iters=(3, 2), val_every=100)), open(job, "wb"))
    cmd = [sys.executable, "-m", "paddle.distributed.launch", "--nproc_per_node", "2",
           "--log_dir", str(tmp_path / "logs"), str(WORKER), str(job), str(tmp_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    logs = "".join(p.read_text(errors="replace")[-2000:] for p in (tmp_path / "logs").glob("workerlog.*"))
    assert proc.returncode == 0, proc.stdout[-2000:] + logs
    a, b = (np.load(tmp_path / f"rank{r}_of_2.npz") for r in (0, 1))
    assert set(a.files) == set(b.files)
    for key in a.files:
        np.testing.assert_allclose(a[key], b[key], rtol=1e-6, atol=1e-7, err_msg=key)
    # and training moved the weights: a rank that skipped the all-reduce would drift apart
    assert any(not np.allclose(a[k], 0) for k in a.files if k.endswith("beta"))
