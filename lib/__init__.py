"""Shared package of the course: data, models, losses, metrics, training, inference, export.

Importing ``lib`` first keeps notebook output readable: Paddle's C++ glog messages are limited
to errors and a few known-harmless warnings are silenced. It must come before ``import paddle``.
"""

import os
import warnings

os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("FLAGS_call_stack_level", "0")

# Harmless at import time on a CPU machine, but they flood every notebook.
warnings.filterwarnings("ignore", message=".*No ccache found.*")
warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", message=".*Tensor do not have 'place' interface.*")

__version__ = "0.1.0"
