"""Run by tests/test_train_distributed.py under `python -m paddle.distributed.launch`: trains the
tiny task of the engine tests in DataParallel and dumps each rank's final weights."""
import pickle
import sys

import lib  # noqa: F401
import numpy as np
import paddle

paddle.distributed.init_parallel_env()
from lib.train.engine import Trainer  # noqa: E402

job, out = sys.argv[1], sys.argv[2]
data, options = pickle.load(open(job, "rb"))
trainer = Trainer(options, data, out + "/run", quiet=True)
trainer.fit()
weights = {k: v.numpy() for k, v in trainer.model.state_dict().items()}
np.savez(f"{out}/rank{trainer.rank}_of_{trainer.world_size}.npz", **weights)
