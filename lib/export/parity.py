"""How far an exported model is from the dygraph model it came from."""

from __future__ import annotations

import numpy as np

from ..infer import DygraphRunner


def check_shape(train_size: int | None, factor: float | None) -> tuple[int, int, int, int]:
    """An odd-sized input larger than the TLC window at full resolution (so TLC's local pooling
    is exercised, and NAFNet's padding to 16), for comparing exported models with dygraph."""
    side = max(int((train_size or 64) * (factor or 1.0) * 1.2), 64) | 1
    return (1, 3, side, side + 10)


def max_abs_error(reference, runner, shape=(1, 3, 101, 77), seed: int = 0) -> float:
    """Largest |runner(x) - reference(x)| on a random input of ``shape`` (values in [0, 1])."""
    x = np.random.default_rng(seed).random(shape, dtype=np.float32)
    expected = DygraphRunner(reference)(x)
    got = runner(x)
    if got.shape != expected.shape:
        raise AssertionError(f"exported model returned shape {got.shape}, dygraph {expected.shape}")
    return float(np.abs(got - expected).max())
