"""Shared package of the course: data, models, losses, metrics, training, inference, export.

Importing ``lib`` or any of its modules changes no environment variable and no warning filter
(tests/test_import_effects.py). Quieting Paddle is the choice of the entry points: they import
:mod:`lib.quiet` first.
"""

__version__ = "0.1.0"
