"""The denoise track's training task: the engine's PSNR / SSIM restoration task with the solution's two
training-time extras (sldyns/MIRNetV2_paddle, ``train_denoising_1card.py``), both off by default:

* ``clip_output``: the network's output is clipped to [0, 1] before the loss
  (``restored = paddle.clip(restored, 0, 1)``; pixels the network pushes past the range get no
  gradient, as in the solution);
* MixUp from ``mixup_from_iter`` on (the solution: ``if epoch > 5``, i.e. from the start of the 6th
  epoch; ``mixup_from_epoch`` in the config, see lib.train.schedule.resolve_epochs): every sample
  of the batch is blended with another one of the same batch, noisy input and ground truth with the
  same weight, ``x_k <- lam_k x_k + (1 - lam_k) x_perm(k)``, ``lam_k ~ Beta(mixup_beta,
  mixup_beta)`` per sample, ``perm`` a random permutation (the solution's ``utils.MixUp``, beta 1.2).

The draws come from a generator seeded by (run seed, iteration, process rank), so a resumed run
mixes exactly as an uninterrupted one.
"""

from __future__ import annotations

import numpy as np
import paddle

from lib.train.tasks import PSNRSSIMRestorationTask, register_task


def mixup_draw(batch_size: int, beta: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(partner order: a permutation of the batch, per-sample weights lam ~ Beta(beta, beta))."""
    return rng.permutation(batch_size), rng.beta(beta, beta, batch_size)


def mixup_pairs(inputs, target, order, lam):
    """``lam_k * x_k + (1 - lam_k) * x_order[k]`` for the inputs and the targets alike (N x C x H x W)."""
    weight = paddle.to_tensor(np.asarray(lam, np.float32).reshape(-1, 1, 1, 1))
    index = paddle.to_tensor(np.asarray(order, np.int64))
    mixed = [weight * x + (1.0 - weight) * paddle.index_select(x, index) for x in (inputs, target)]
    return mixed[0], mixed[1]


class DenoiseTask(PSNRSSIMRestorationTask):
    """``restoration_psnr_ssim`` plus the solution's output clipping and MixUp (module docstring)."""

    name = "mirnet_denoise"
    option_defaults = {"clip_output": False, "mixup_from_iter": None, "mixup_beta": 1.2}

    def mixup_rng(self, iteration: int) -> np.random.Generator:
        return np.random.default_rng([int(self.options.get("seed", 0)), int(iteration), paddle.distributed.get_rank()])

    def train_step(self, batch: tuple, iteration: int) -> dict:
        inputs, target = batch
        start = self.settings["mixup_from_iter"]
        if start is not None and iteration >= start:
            order, lam = mixup_draw(inputs.shape[0], float(self.settings["mixup_beta"]), self.mixup_rng(iteration))
            inputs, target = mixup_pairs(inputs, target, order, lam)
        with self.autocast():
            restored = self.train_nets["model"](inputs)
            if self.settings["clip_output"]:
                restored = paddle.clip(restored, 0.0, 1.0)
            loss = self.criterion(restored, target)
        self.optimize(loss, "model")
        return {"loss": float(loss)}


register_task(DenoiseTask)
