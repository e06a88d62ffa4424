"""Two ideas the retouching write-up tried and dropped, as a training task, so that they can be measured
against the shipped recipe (lab/bench/bench_retouch_attempts.py, notebook 08):

- ``mask_loss``: an extra L1 term over the blemishes only, with this weight, added to the phase's loss;
- ``mask_shift``: with this probability, a training sample's blemishes move by a random shift inside the
  patch (the input becomes ground truth + the moved blemishes), so the network sees blemishes in new places.

The competition gives no masks, so both estimate one from the pair: where the input differs from the
ground truth by more than ``mask_threshold`` in some channel (:func:`estimate_mask`). On the generated faces
that estimate finds part of the painted blemishes (the bench measures how much against the painted masks).

    Trainer(options_with({"task": {"mask_loss": 1.0}}), data, out, task=RetouchAttemptTask, track="retouch")
"""

from __future__ import annotations

import numpy as np
import paddle

from lib.train.tasks import RestorationTask, register_task

MASK_THRESHOLD = 16 / 255  # chosen: the threshold with the best overlap with the painted masks (bench)


def estimate_mask(inputs, target, threshold: float = MASK_THRESHOLD):
    """N x 1 x H x W float 0 / 1: where ``inputs`` and ``target`` (N x C x H x W in [0, 1]) differ by more
    than ``threshold`` in at least one channel."""
    return (paddle.abs(inputs - target).max(axis=1, keepdim=True) > threshold).astype(inputs.dtype)


def masked_l1(pred, target, mask):
    """Mean |pred - target| over the masked pixels (0 when nothing is masked)."""
    covered = mask.sum() * pred.shape[1]
    return (mask * paddle.abs(pred - target)).sum() / paddle.clip(covered, min=1.0)


def shift_blemishes(inputs, target, mask, shifts):
    """Inputs whose masked part of the residual ``inputs - target`` is rolled by ``shifts[i] = (dy, dx)``
    for sample i (wrapping at the patch's edges); the unmasked residual stays where it was."""
    residual = inputs - target
    blemishes = mask * residual
    moved = paddle.stack(
        [paddle.roll(b, shifts=(int(dy), int(dx)), axis=(1, 2)) for b, (dy, dx) in zip(blemishes, shifts)]
    )
    return paddle.clip(target + residual - blemishes + moved, 0.0, 1.0)


class RetouchAttemptTask(RestorationTask):
    """:class:`RestorationTask` with the write-up's two dropped ideas (``task:`` options, both off by
    default, which is the shipped recipe's step exactly)."""

    name = "retouch_attempt"
    option_defaults = {"mask_loss": 0.0, "mask_shift": 0.0, "mask_threshold": MASK_THRESHOLD}

    def train_step(self, batch: tuple, iteration: int) -> dict:
        inputs, target = batch
        if not (self.settings["mask_loss"] or self.settings["mask_shift"]):
            return super().train_step(batch, iteration)
        mask = estimate_mask(inputs, target, self.settings["mask_threshold"])
        if self.settings["mask_shift"]:
            rng = np.random.default_rng([self.options["seed"], iteration, paddle.distributed.get_rank()])
            size = inputs.shape[-2:]
            shifts = [
                (rng.integers(size[0]), rng.integers(size[1]))
                if rng.uniform() < self.settings["mask_shift"]
                else (0, 0)
                for _ in range(inputs.shape[0])
            ]
            inputs = shift_blemishes(inputs, target, mask, shifts)
            mask = estimate_mask(inputs, target, self.settings["mask_threshold"])
        with self.autocast():
            pred = self.train_nets["model"](inputs)
            loss = self.criterion(pred, target)
            if self.settings["mask_loss"]:
                loss = loss + self.settings["mask_loss"] * masked_l1(pred, target, mask)
        self.optimize(loss, "model")
        return {"loss": float(loss)}


register_task(RetouchAttemptTask)
