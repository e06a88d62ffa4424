"""What a track trains: its networks, their optimizers, one training step and its validation.

The split follows BasicSR: the engine (:class:`lib.train.engine.Trainer`) owns the loop, the
schedule (stages x phases), checkpoints and exact resume, logs, the validation cadence, the best
model and data-parallel training; a task (BasicSR's ``SRModel`` / ``SRGANModel``) owns what
differs between solutions. A task declares:

* ``networks``: the names of its networks (built from ``network_specs(options)``), and
  ``optimized``, those that get an optimizer (default: all);
* ``sample_kinds``: what one training sample holds (lib.train.data.SAMPLE_KINDS);
* ``phase_keys``: the phase options it reads (the engine knows ``iters``, ``all_data``, ``lr``
  and ``augment``; anything else is an error unless listed here);
* ``option_defaults``: its own options, the ``task:`` section of the train options;
* ``loss_keys`` / ``metric_keys`` / ``best_metric``: what it logs, what validation returns and
  which metric picks ``best.pdparams`` (higher is better);

and implements ``start_phase`` (per-phase objects such as the loss), ``train_step`` (one
iteration on one batch, calling :meth:`Task.optimize` for each update) and ``validate``.

:class:`RestorationTask` is the image-to-image case (deblurring, denoising, retouching): one
network, one optimizer, a loss per phase, PSNR / MS-SSIM / competition score on whole images.
"""

from __future__ import annotations

import numpy as np
import paddle

from .mixing import batch_mixup_draw, check_mixup, mix_batch, mixup_rng
from .registry import build_loss


class Task:
    name = "task"
    networks: tuple = ("model",)
    optimized: tuple | None = None
    sample_kinds: tuple = ("image", "image")
    phase_keys: frozenset = frozenset()
    option_defaults: dict = {}
    loss_keys: tuple = ("loss",)
    metric_keys: tuple = ()
    best_metric: str | None = None

    def __init__(
        self, options: dict, nets: dict, train_nets: dict, optimizers: dict, scalers: dict, use_amp: bool = False
    ):
        self.options = options  # the resolved train options
        self.settings = options.get("task", {})
        self.nets = nets  # name -> Layer (what is saved and validated)
        self.train_nets = train_nets  # name -> Layer or its DataParallel wrapper (what trains)
        self.optimizers = optimizers
        self.scalers = scalers  # name -> GradScaler under AMP, else empty
        self.use_amp = use_amp

    # ------------------------------------------------------------------ declared by the options
    @classmethod
    def optimized_networks(cls) -> tuple:
        return tuple(cls.optimized if cls.optimized is not None else cls.networks)

    @classmethod
    def network_specs(cls, options: dict) -> dict:
        """Network name -> model spec (lib.train.registry.build_model). One network: the options'
        ``model``; several: ``model: {name: spec}``."""
        spec = options.get("model")
        if cls.networks == ("model",):
            return {"model": spec}
        if not isinstance(spec, dict) or set(spec) != set(cls.networks):
            found = sorted(spec) if isinstance(spec, dict) else spec
            raise ValueError(
                f"task {cls.name!r}: 'model' must give one spec per network {list(cls.networks)}, found {found}"
            )
        return {name: spec[name] for name in cls.networks}

    @classmethod
    def kinds(cls, options: dict) -> tuple:
        """What one training sample holds under the resolved train ``options`` (default: ``sample_kinds``)."""
        return tuple(cls.sample_kinds)

    @classmethod
    def check_phase(cls, index: int, phase: dict) -> None:
        """Fail now, not hours later, on a phase option this task cannot use."""

    # ------------------------------------------------------------------ the training step
    def autocast(self):
        return paddle.amp.auto_cast(enable=self.use_amp)

    def optimize(self, loss, name: str) -> None:
        """Backward ``loss``, step optimizer ``name`` (through its GradScaler under AMP), then clear
        every optimizer's gradients (a generator loss also reaches the discriminator's weights)."""
        scaler = self.scalers.get(name)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(self.optimizers[name])
            scaler.update()
        else:
            loss.backward()
            self.optimizers[name].step()
        for optimizer in self.optimizers.values():
            optimizer.clear_grad()

    def start_phase(self, phase: dict) -> None:
        """Called when a phase (or a resumed run inside it) starts."""

    def train_step(self, batch: tuple, iteration: int) -> dict:
        raise NotImplementedError

    def validate(self, samples: list) -> dict:
        """Metrics on ``samples`` (validation entries: ``(name, *paths)``), networks in eval mode."""
        return {}


def mean_metrics(rows: list[dict]) -> dict:
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]} if rows else {}


class RestorationTask(Task):
    """One image-to-image network trained on (input, ground truth) patches with a loss per phase
    (``phases[i].loss``: a name or ``{name, ...options}`` of lib.train.registry.LOSSES)."""

    name = "restoration"
    phase_keys = frozenset({"loss"})
    # mixup: {beta, use_identity} (lib.train.mixing, the deblur solution's); val_crop: validate on one random
    # val_crop x val_crop window of each page, drawn anew at each validation (the deblur solution's dataset.py)
    option_defaults = {"mixup": None, "val_crop": None}
    metric_keys = ("psnr", "ms_ssim", "score")
    best_metric = "score"

    @classmethod
    def check_phase(cls, index: int, phase: dict) -> None:
        if "loss" not in phase:
            raise ValueError(f"phases[{index}]: 'loss' is required")
        build_loss(phase["loss"])

    def start_phase(self, phase: dict) -> None:
        self.criterion = build_loss(phase["loss"])
        check_mixup(self.settings.get("mixup"))  # a bad option fails before the first step
        crop = self.settings.get("val_crop")
        if crop is not None and (isinstance(crop, bool) or not isinstance(crop, int) or crop < 16):
            raise ValueError(f"task option val_crop must be null or a window side of at least 16 px, got {crop!r}")

    def mixed(self, inputs, target, iteration: int):
        """The batch after the ``mixup`` option (lib.train.mixing), or as it is when that is off."""
        mixup = check_mixup(self.settings.get("mixup"))
        if mixup is None:
            return inputs, target
        draw = batch_mixup_draw(
            inputs.shape[0], mixup["beta"], mixup["use_identity"], mixup_rng(self.options.get("seed", 0), iteration)
        )
        return (inputs, target) if draw is None else mix_batch(inputs, target, *draw)

    def train_step(self, batch: tuple, iteration: int) -> dict:
        inputs, target = self.mixed(*batch, iteration)
        with self.autocast():
            loss = self.criterion(self.train_nets["model"](inputs), target)
        self.optimize(loss, "model")
        return {"loss": float(loss)}

    def validate(self, samples: list) -> dict:
        from ..data.pairs import read_image
        from ..infer import predict_image
        from ..metrics import evaluate_pair

        pairs = [(read_image(inp), read_image(gt)) for _, inp, gt in samples]
        size = self.settings.get("val_crop")
        if size:
            rng = np.random.default_rng([int(self.options.get("seed", 0)), int(getattr(self, "iteration", 0))])
            pairs = [random_window(inp, gt, int(size), rng) for inp, gt in pairs]
        return mean_metrics([evaluate_pair(predict_image(self.nets["model"], inp), gt) for inp, gt in pairs])


def random_window(inp: np.ndarray, gt: np.ndarray, size: int, rng: np.random.Generator) -> tuple:
    """The same random ``size`` x ``size`` window of an aligned pair (a side shorter than ``size`` is kept whole), as
    BasicSR's ``paired_random_crop`` draws it at scale 1."""
    if inp.shape[:2] != gt.shape[:2]:
        raise ValueError(f"random_window: the pair is not aligned ({inp.shape[:2]} vs {gt.shape[:2]})")
    h, w = inp.shape[:2]
    top = int(rng.integers(0, max(h - size, 0) + 1))
    left = int(rng.integers(0, max(w - size, 0) + 1))
    return inp[top : top + size, left : left + size], gt[top : top + size, left : left + size]


class PSNRSSIMRestorationTask(RestorationTask):
    """:class:`RestorationTask` validated by PSNR and SSIM only (denoising; images too small for
    5-scale MS-SSIM), the best model by PSNR."""

    name = "restoration_psnr_ssim"
    metric_keys = ("psnr", "ssim")
    best_metric = "psnr"

    def validate(self, samples: list) -> dict:
        from ..data.pairs import read_image
        from ..infer import predict_image
        from ..metrics import psnr, ssim

        rows = []
        for _, inp, gt in samples:
            restored, target = predict_image(self.nets["model"], read_image(inp)), read_image(gt)
            rows.append({"psnr": psnr(restored, target), "ssim": ssim(restored, target)})
        return mean_metrics(rows)


TASKS = {task.name: task for task in (RestorationTask, PSNRSSIMRestorationTask)}


def register_task(task_class) -> None:
    TASKS[task_class.name] = task_class


def get_task(task) -> type:
    """A Task subclass, or the name of a registered one."""
    if isinstance(task, type) and issubclass(task, Task):
        return task
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; known: {', '.join(TASKS)}")
    return TASKS[task]
