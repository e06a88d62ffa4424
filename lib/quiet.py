"""Quiet Paddle for a command or a notebook: importing this module is the whole effect.

The course's entry points (the ``__main__`` modules of lib.data, lib.train, lib.export, lib.app and
lib.runner, app.gradio.py, lab's command lines and bench scripts, the tests' conftest.py and each
notebook's first cell) import it first, before anything imports ``paddle``: Paddle's C++ glog is
limited to errors, its Python call stacks to the Python side, and a few warnings that flood every
notebook on a CPU machine are silenced. ``python -m lib.train`` and ``python -m lib.export`` import
their package, which imports Paddle, before their ``__main__``: those two packages import this module
first while Python locates a ``-m`` module, and only then. It is the only module of ``lib`` with
effects at import time but one: lib/submission/predict.py, the submission's own script, sets
GLOG_minloglevel for itself (lib.export imports it). A program that imports ``lib`` without this
module keeps its own environment and warning filters.

The two variables are set in ``os.environ`` (unless already set), so the processes a command
starts, e.g. the training workers of :mod:`lib.train.launch`, inherit them.
"""

import os
import warnings

# Read by Paddle's C++ core when it loads: they must be set before the first `import paddle`.
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("FLAGS_call_stack_level", "0")

# Harmless on a CPU machine, but they flood every notebook.
warnings.filterwarnings("ignore", message=".*No ccache found.*")
warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", message=".*Tensor do not have 'place' interface.*")
# BatchNorm's notice at its first training step (gUNet, DeepLabV3): what it says is what training does anyway
warnings.filterwarnings("ignore", message=".*When training, we now always track global mean and variance.*")
# The processes a command or a notebook starts (the data generators' workers, the training ranks) import Paddle
# without this module: PYTHONWARNINGS carries the two import-time and training notices to them (-W's form: a
# message prefix each; no comma inside one)
os.environ.setdefault("PYTHONWARNINGS", "ignore:No ccache found,ignore:When training")
