"""A tiny track whose preparation says how often it really ran (tests/test_train_distributed.py).

``tiny_counting`` is the denoising test track (tests/tiny_tracks.py) with its own options
(counting_track.yaml: a global batch of 4). Its ``prepare`` generates the data into ``source``
unless a manifest is there, taking a while about it, and appends one line per real preparation to
``<source>.preparations``: two processes preparing side by side would both write one.

Run as a script (under ``python -m paddle.distributed.launch``), it is ``python -m lib.train``
with this track registered: each rank also writes the per-rank batch sizes it trained on and its
final weights to ``<out folder>/rank<r>.npz``.
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import os
import sys
import time
from pathlib import Path

from lib.tracks import register_track

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/: tiny_tracks
from tiny_tracks import TinyDenoiseTrack

HERE = Path(__file__).resolve().parent

PREPARE_SECONDS = 1.5  # long enough for a second process to start the same preparation unless it waits


class CountingTrack(TinyDenoiseTrack):
    name = "tiny_counting"
    title = "Test track: the tiny denoiser, with a preparation that counts itself"
    config_file = HERE / "counting_track.yaml"

    def prepare(self, profile=None, source=None, force=False):
        root = Path(source)
        if not (root / "manifest.json").is_file():
            time.sleep(PREPARE_SECONDS)
            self.generate_data(profile, root)
            with open(preparations_file(root), "a") as log:
                log.write(f"{os.getpid()}\n")
            (root / "manifest.json").write_text("{}")
        return root


def preparations_file(root) -> Path:
    return Path(f"{root}.preparations")


TRACK = register_track(CountingTrack())


def main(argv: list[str]) -> int:
    import numpy as np

    from lib.train import launch
    from lib.train.__main__ import main as train_main
    from lib.train.engine import Trainer

    launch.OTHER_RANKS_DELAY = 0.0  # every rank races for the preparation: only the lock keeps it to one
    out = Path(argv[argv.index("--out") + 1])
    batches, trainers = [], []
    step, init = Trainer._step, Trainer.__post_init__

    def recording_step(self, batch):
        batches.append(int(batch[0].shape[0]))
        return step(self, batch)

    def remembered(self):
        init(self)
        trainers.append(self)

    Trainer._step, Trainer.__post_init__ = recording_step, remembered
    code = train_main(argv)
    trainer = trainers[-1]
    weights = {k: v.numpy() for k, v in trainer.model.state_dict().items()}
    np.savez(out / f"rank{trainer.rank}.npz", batches=np.array(batches), world_size=trainer.world_size, **weights)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
