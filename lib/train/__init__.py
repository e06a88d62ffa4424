"""Training: the engine (:mod:`lib.train.engine`: loop, schedule, checkpoints, resume, logs,
validation, data parallel) and the tasks it runs (:mod:`lib.train.tasks`: networks, optimizers,
one training step). A track (:mod:`lib.tracks`) puts them together with its data and options::

    python -m lib.train --config deblur --profile demo        # train (resumes if interrupted)
    python -m lib.train --config deblur --profile full        # the 1st-place schedule, on a GPU
"""

from __future__ import annotations

import sys

# `python -m lib.train` imports this package, and Paddle with it, before the command's __main__: the command's
# quieting (lib/quiet.py) comes here, first. Python sets sys.argv[0] to "-m" only while it locates that module;
# an `import lib.train` anywhere else leaves the environment and the warning filters alone.
if sys.argv[:1] == ["-m"]:
    import lib.quiet

from ..checkpoints import load_checkpoint
from .engine import TrainData, Trainer, resolve_options
from .tasks import RestorationTask, Task, get_task, register_task

__all__ = [
    "RestorationTask",
    "Task",
    "Trainer",
    "TrainData",
    "get_task",
    "load_checkpoint",
    "register_task",
    "resolve_options",
]
