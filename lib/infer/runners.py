"""A Paddle Layer as a runner (what the tiling calls): float32 NumPy N x 3 x H x W in [0, 1] in,
the same out. The exported models' runners are in :mod:`lib.infer.runtimes`."""

from __future__ import annotations

import numpy as np
import paddle

from .tiling import DEFAULT_MULTIPLE


class DygraphRunner:
    """A Paddle Layer as a runner: float32 NumPy N x 3 x H x W in, the same out, no gradients."""

    def __init__(self, model):
        self.model = model
        self.model.eval()
        self.device = str(paddle.get_device())

    @paddle.no_grad()
    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return self.model(paddle.to_tensor(np.ascontiguousarray(batch, dtype=np.float32))).numpy()


def as_runner(model):
    """A Paddle Layer -> :class:`DygraphRunner`; any other callable is used as is."""
    if isinstance(model, paddle.nn.Layer):
        return DygraphRunner(model)
    if callable(model):
        return model
    raise TypeError(f"expected a Paddle Layer or a callable runner, got {type(model).__name__}")


def runner_multiple(model) -> int:
    """The size the network pads to: NAFNet's ``padder_size``, a runner's ``multiple``, else 16."""
    for obj in (model, getattr(model, "model", None)):
        for attr in ("padder_size", "multiple"):
            if obj is not None and isinstance(getattr(obj, attr, None), int):
                return int(getattr(obj, attr))
    return DEFAULT_MULTIPLE
