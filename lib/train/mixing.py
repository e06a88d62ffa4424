"""MixUp of a training batch with itself, as BasicSR / Restormer's ``Mixing_Augment`` does it.

``mixup: {beta, use_identity}`` in the task options: a batch is blended with a shuffled copy of
itself, input and ground truth with one weight ``lam ~ Beta(beta, beta)`` for the whole batch,
``x <- lam x + (1 - lam) x[perm]``. With ``use_identity`` the batch is left as it is half of the
time: the reference draws ``random.randint(0, len(augments))`` over one augment, that is 0 (mix)
or 1 (identity). The draws come from a generator seeded by (run seed, iteration, process rank),
so a resumed run mixes exactly as an uninterrupted one.
"""

from __future__ import annotations

import numpy as np
import paddle


def check_mixup(options) -> dict | None:
    """The ``mixup`` task option (None: off), checked now rather than at the first batch."""
    if options is None:
        return None
    if not isinstance(options, dict) or set(options) - {"beta", "use_identity"}:
        raise ValueError(f"task option mixup must be {{beta, use_identity}}, got {options!r}")
    beta = options.get("beta", 1.2)
    if not isinstance(beta, (int, float)) or isinstance(beta, bool) or beta <= 0:
        raise ValueError(f"task option mixup.beta must be a number > 0, got {beta!r}")
    return {"beta": float(beta), "use_identity": bool(options.get("use_identity", False))}


def mixup_rng(seed: int, iteration: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), int(iteration), paddle.distributed.get_rank()])


def batch_mixup_draw(batch_size: int, beta: float, use_identity: bool, rng: np.random.Generator):
    """``None`` (this batch stays as it is) or (a permutation of the batch, one weight lam)."""
    if use_identity and rng.integers(0, 2) == 1:  # randint(0, 1) over [mixup, identity]
        return None
    return rng.permutation(batch_size), float(rng.beta(beta, beta))


def mix_batch(inputs, target, order, lam: float):
    """``lam * x + (1 - lam) * x[order]`` for the inputs and the targets alike."""
    index = paddle.to_tensor(np.asarray(order, np.int64))
    return tuple(lam * x + (1.0 - lam) * paddle.index_select(x, index) for x in (inputs, target))
