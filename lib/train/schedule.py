"""Progressive stages, loss phases and the cosine-annealing-with-restarts learning rate.

The winning schedule (``full`` profile) in these terms::

    stages  (batch, patch, iters): (8,192,184k) (5,256,128k) (4,320,96k) (2,384,72k) (1,512,72k) (1,1024,48k)
    phases  (loss, iters):          L1 184k | Charbonnier + MS-SSIM 232k | same loss on all data 184k
    lr      AdamW 2e-4, cosine annealing restarted at 184k and 416k (periods 184k, 232k, 184k)
"""
from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import paddle


@dataclass(frozen=True)
class Span:
    """One entry of a piecewise schedule: ``index``-th piece covering [start, end) iterations."""
    index: int
    start: int
    end: int
    options: dict


class PiecewiseSchedule:
    """Consecutive pieces, each with an ``iters`` length, looked up by iteration."""

    def __init__(self, pieces: list[dict], what: str):
        if not pieces:
            raise ValueError(f"{what}: at least one entry is needed")
        self.spans, start = [], 0
        for i, piece in enumerate(pieces):
            iters = int(piece.get("iters", 0))
            if iters <= 0:
                raise ValueError(f"{what}[{i}]: 'iters' must be a positive integer, got {piece.get('iters')!r}")
            self.spans.append(Span(i, start, start + iters, dict(piece)))
            start += iters
        self.total = start
        self._ends = [s.end for s in self.spans]

    def at(self, iteration: int) -> Span:
        if not 0 <= iteration < self.total:
            raise IndexError(f"iteration {iteration} outside [0, {self.total})")
        return self.spans[bisect.bisect_right(self._ends, iteration)]

    def boundaries(self) -> list[int]:
        return [s.start for s in self.spans[1:]]


class CosineRestartLR(paddle.optimizer.lr.LRScheduler):
    """Cosine annealing restarted at the end of each period (BasicSR's CosineAnnealingRestartLR).

    Paddle's ``CosineAnnealingWarmRestarts`` only supports periods growing geometrically
    (``T_0 * T_mult**k``); the winning schedule restarts at 184k and 416k (periods 184k, 232k,
    184k), so the periods are given explicitly. ``restart_weights`` scale each period's peak.
    Step once per iteration; ``last_epoch`` counts iterations.
    """

    def __init__(self, learning_rate: float, periods: list[int], restart_weights: list[float] | None = None,
                 eta_min: float = 1e-7, last_epoch: int = -1, verbose: bool = False):
        if not periods or any(int(p) <= 0 for p in periods):
            raise ValueError(f"periods must be positive integers, got {periods}")
        self.periods = [int(p) for p in periods]
        self.restart_weights = list(restart_weights or [1.0] * len(self.periods))
        if len(self.restart_weights) != len(self.periods):
            raise ValueError("restart_weights must have one weight per period")
        self.eta_min = float(eta_min)
        self.cumulative = [sum(self.periods[:i + 1]) for i in range(len(self.periods))]
        super().__init__(learning_rate, last_epoch, verbose)

    def get_lr(self) -> float:
        it = max(self.last_epoch, 0)
        idx = min(bisect.bisect_right(self.cumulative, it), len(self.periods) - 1)
        start = self.cumulative[idx] - self.periods[idx]
        progress = min((it - start) / self.periods[idx], 1.0)
        peak = self.base_lr * self.restart_weights[idx]
        return self.eta_min + 0.5 * (peak - self.eta_min) * (1 + math.cos(math.pi * progress))
