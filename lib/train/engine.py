"""The course's training engine: progressive stages, phases, validation, resumable checkpoints.

One options dict per experiment (the ``train:`` section of ``lib/configs/<track>.yaml``, plus the
track's ``model:``) drives it::

    model:     {name: nafnet, width: 16, ...}            # per network for multi-network tasks
    stages:    [{batch_size: 8, patch_size: 192, iters: 184000}, ...]
    phases:    [{loss: l1, iters: 600000}, {loss: charbonnier_msssim, iters: 600000, restart_from: last},
                {loss: charbonnier_msssim, iters: 600000, all_data: true, restart_from: best}]
    optimizer: {name: adamw, lr: 2.0e-4, weight_decay: 1.0e-4, betas: [0.9, 0.999]}
               # or per network: {generator: {lr: 1.0e-4}, discriminator: {lr: 4.0e-4}}
    scheduler: {name: cosine_restart, periods: [184000, 416000, ...], eta_min: 1.0e-7}
               # or {name: step, step_size: 100, gamma: 0.95}
    augment:   {flip: true, rotate: true, vflip: true}
    task:      {...}                                     # the task's own options
    loader:    {num_workers: 4, cache_bytes: 1 GiB, small_samples: pad}   # see below
    val_every: 5000, save_every: 5000, log_every: 100, seed: 0, amp: auto,
    best_metric: score, ema: null            # or a decay, e.g. 0.999: see below
    publish: best                            # or last: see below

``batch_size`` is the global batch, as the write-ups give it (each trained on one GPU): with N
data-parallel processes each takes ``batch_size / N`` of every batch (an error if N does not divide
it), and together they draw the very patches one process would (lib.train.data). With the
gradients averaged over the processes, N GPUs then follow the one-GPU recipe, lr and iterations
unchanged, instead of training on an N times larger batch.

``loader`` (the track's ``loader:`` section, lib/configs/<track>.yaml): ``num_workers`` loader
processes decode files while the network trains (0: in the training process,
:class:`lib.train.data.InlineLoader`; the batches are the same either way); ``cache_bytes`` bounds
the decoded samples each process keeps (an integer or e.g. ``"512 MiB"``); ``small_samples``:
``error`` refuses a sample smaller than the largest patch before training, naming it, ``pad``
trains on it mirror-padded at the bottom and right (:func:`lib.data.augment.pad_to`) and says how
many there are. Loader options change memory and speed, never the batches: a run may resume with
other ones.

A phase may also set ``lr`` (its peak learning rate: a number, or per optimizer), ``augment``
(replacing keys of the run's) and ``all_data`` (train on train + validation), plus whatever its
task reads (``loss`` for restoration). What is trained, and how one step goes, is the task's
(lib.train.tasks); everything else is here.

A phase may start a new run, as a solution that trains in several runs chained by weights does (the
deblur solution's ``train.py --resume`` loads the weights only, so its optimizer starts afresh):
``restart_from: last`` starts the phase from the weights where the previous phase ended, ``best``
from the previous phase's best validated weights (``phase<k>_best.pdparams``, kept while that
phase trains); both reset every optimizer's moments. The learning rate follows the scheduler as
everywhere else.

``keep_phase_ends: true`` also keeps the full checkpoint at the end of every phase but the last
(``phase<k>_end.pdparams``): a later phase's effect can then be isolated by training it again from
there with other settings (lab/bench/bench_deocclusion.py does so for the GAN's 3:1 round).

``ema: d`` keeps an exponential moving average of the main network's weights (``ema = d * ema +
(1 - d) * w`` after every step, bias-corrected like Adam's moments while few steps are averaged);
validation, ``best.pdparams`` and a published model use the average, training continues on the raw
weights.

``publish`` names the checkpoint a published model is made of (Track.publish, lib.checkpoints.publish):
``best`` (the default), the best validated weights across all phases (``best.pdparams``; ``last.pdparams``
when nothing was validated); ``last``, the weights where training ended, as a solution that ships
its final model does.

Checkpoints (``last.pdparams`` and ``best.pdparams``, written to a temp file and renamed; layout in
lib.checkpoints) hold every network, optimizer and scheduler, the iteration, stage, phase, best
score and RNG state; a run started again in the same folder resumes where the last checkpoint
stopped and follows the same schedule, batch for batch (see lib.train.data). If ``last.pdparams``
is damaged (a full disk, a bad copy: the writes themselves are atomic), the run resumes from the
newest readable checkpoint beside it instead (``best.pdparams``, ``phase<k>_end.pdparams``), which
holds the same full state at an earlier iteration.
"""

from __future__ import annotations

import copy
import csv
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import paddle

from ..checkpoints import CHECKPOINT_VERSION, atomic_save, check_track, load_checkpoint
from ..config import check_keys
from ..report import progress
from .data import (
    AUGMENT_DEFAULTS,
    DEFAULT_CACHE_BYTES,
    SMALL_SAMPLES,
    KeyedPatchDataset,
    make_loader,
    parse_bytes,
    rank_batch_size,
)
from .registry import build_model
from .schedule import SCHEDULER_KEYS, PiecewiseSchedule, build_scheduler, optimizer_spec
from .tasks import RestorationTask, Task, get_task

OPTIMIZER_DEFAULTS = {"name": "adamw", "lr": 2e-4, "weight_decay": 1e-4, "betas": [0.9, 0.999]}
OPTIMIZERS = {"adamw": paddle.optimizer.AdamW, "adam": paddle.optimizer.Adam}
DEFAULTS = {
    "model": None,
    "stages": None,
    "phases": None,
    "optimizer": None,
    "scheduler": {"name": "cosine_restart", "periods": None, "restart_weights": None, "eta_min": 1e-7},
    "augment": dict(AUGMENT_DEFAULTS),
    "task": {},
    "loader": {"num_workers": 0, "cache_bytes": DEFAULT_CACHE_BYTES, "small_samples": "error"},
    "val_every": 1000,
    "save_every": 1000,
    "log_every": 50,
    "seed": 0,
    "amp": "auto",
    "grad_clip": None,
    "val_max_images": None,
    "best_metric": None,
    "ema": None,
    "keep_phase_ends": False,
    "publish": "best",
}
# the options that decide what a run trains (the others: how often it validates, saves and logs, what it publishes); a
# run folder resumes only under the same ones (an option a checkpoint older than it does not record is not compared)
TRAINED_BY = (
    "model",
    "stages",
    "phases",
    "optimizer",
    "scheduler",
    "augment",
    "task",
    "seed",
    "amp",
    "grad_clip",
    "ema",
)
STAGE_KEYS = {"batch_size", "patch_size", "iters"}
ENGINE_PHASE_KEYS = {"iters", "all_data", "lr", "augment", "restart_from"}
RESTART_FROM = ("last", "best")
PUBLISH = ("best", "last")  # which checkpoint a published model is made of

__all__ = ["DEFAULTS", "Trainer", "TrainData", "amp_enabled", "atomic_save", "load_checkpoint", "resolve_options"]


def _resolve_optimizers(given, task: type[Task]) -> dict:
    """One optimizer spec for every optimized network, or one per network name; each checked and
    filled with OPTIMIZER_DEFAULTS. A single-optimizer task keeps the flat form."""
    names = task.optimized_networks()
    given = copy.deepcopy(given or {})
    per_network = bool(given) and set(given) <= set(names) and all(isinstance(v, dict) for v in given.values())
    specs = {}
    for name in names:
        spec = given.get(name, {}) if per_network else given
        where = "train options 'optimizer'" + (f" of {name!r}" if per_network else "")
        check_keys(spec, OPTIMIZER_DEFAULTS, where)
        spec = {**copy.deepcopy(OPTIMIZER_DEFAULTS), **spec}
        if spec["name"] not in OPTIMIZERS:
            raise ValueError(f"{where}: unknown optimizer {spec['name']!r}; known: {', '.join(OPTIMIZERS)}")
        specs[name] = spec
    return specs[names[0]] if len(names) == 1 and not per_network else specs


def resolve_options(options: dict, task=RestorationTask) -> dict:
    """Defaults filled in, every key checked (typos are errors), schedules consistent."""
    task = get_task(task)
    check_keys(options, DEFAULTS, "train options")
    opts = copy.deepcopy(DEFAULTS)
    for key, value in options.items():
        if key == "optimizer":
            continue
        if key == "scheduler" and isinstance(value, dict):
            name = value.get("name") or "cosine_restart"
            if name not in SCHEDULER_KEYS:
                raise ValueError(f"unknown scheduler {name!r}; known: {', '.join(SCHEDULER_KEYS)}")
            check_keys(value, SCHEDULER_KEYS[name], f"train options 'scheduler' ({name})")
            base = {"periods": None, "restart_weights": None, "eta_min": 1e-7} if name == "cosine_restart" else {}
            opts[key] = {"name": name, **base, **value}
        elif key == "task":
            check_keys(value or {}, task.option_defaults, f"train options 'task' ({task.name})")
            opts[key] = {**copy.deepcopy(task.option_defaults), **(value or {})}
        elif isinstance(opts.get(key), dict) and isinstance(value, dict):
            check_keys(value, opts[key], f"train options '{key}'")
            opts[key].update(value)
        else:
            opts[key] = value
    if opts["scheduler"]["name"] == "cosine_restart" and not opts["scheduler"].get("periods") and opts["phases"]:
        opts["scheduler"]["periods"] = [p.get("iters") for p in opts["phases"]]  # a restart per phase
    if not options.get("task"):
        opts["task"] = copy.deepcopy(task.option_defaults)
    opts["optimizer"] = _resolve_optimizers(options.get("optimizer"), task)
    for key in ("model", "stages", "phases"):
        if not opts[key]:
            raise ValueError(f"train options: '{key}' is required")
    task.network_specs(opts)  # the right networks are named
    stages = PiecewiseSchedule(opts["stages"], "stages")
    phases = PiecewiseSchedule(opts["phases"], "phases")
    for i, stage in enumerate(opts["stages"]):
        check_keys(stage, STAGE_KEYS, f"stages[{i}]")
    allowed = ENGINE_PHASE_KEYS | set(task.phase_keys)
    for i, phase in enumerate(opts["phases"]):
        check_keys(phase, allowed, f"phases[{i}] (task {task.name!r})")
        check_keys(phase.get("augment") or {}, AUGMENT_DEFAULTS, f"phases[{i}].augment")
        task.check_phase(i, phase)
        restart = phase.get("restart_from")
        if restart is not None and (restart not in RESTART_FROM or i == 0):
            raise ValueError(
                f"phases[{i}].restart_from must be one of {', '.join(RESTART_FROM)} on a phase after the first, "
                f"got {restart!r}"
            )
    if stages.total != phases.total:
        raise ValueError(f"stages cover {stages.total} iterations but phases cover {phases.total}")
    for name in task.optimized_networks():  # fails now on bad periods, per-phase lr, step options
        build_scheduler(opts["scheduler"], optimizer_spec(opts, name)["lr"], opts["phases"], name)
    for i, phase in enumerate(opts["phases"]):
        if phase.get("restart_from") == "best" and int(opts["phases"][i - 1]["iters"]) < int(opts["val_every"]):
            raise ValueError(
                f"phases[{i}].restart_from: best needs a validation inside phase {i - 1} "
                f"({opts['phases'][i - 1]['iters']} iterations, val_every {opts['val_every']})"
            )
    amp_enabled(opts["amp"], "cpu")  # fails now on a value that is not true, false or auto
    _check_loader(opts["loader"])
    ema = opts["ema"]
    if ema is not None and not (isinstance(ema, float) and 0.0 < ema < 1.0):
        raise ValueError(f"train options 'ema' must be a decay in (0, 1) (e.g. 0.999) or null, got {ema!r}")
    best = opts["best_metric"] or task.best_metric
    if task.metric_keys and best not in task.metric_keys:
        raise ValueError(
            f"best_metric {best!r} is not a validation metric of task {task.name!r}: {list(task.metric_keys)}"
        )
    opts["best_metric"] = best
    if opts["publish"] not in PUBLISH:
        raise ValueError(f"train options 'publish' must be one of {', '.join(PUBLISH)}, got {opts['publish']!r}")
    return opts


def _check_loader(loader: dict) -> None:
    workers = loader["num_workers"]
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise ValueError(f"train options 'loader': num_workers must be an integer >= 0, got {workers!r}")
    loader["cache_bytes"] = parse_bytes(loader["cache_bytes"], "train options 'loader': cache_bytes")
    if loader["small_samples"] not in SMALL_SAMPLES:
        raise ValueError(
            f"train options 'loader': small_samples must be one of {', '.join(SMALL_SAMPLES)}, "
            f"got {loader['small_samples']!r}"
        )


def amp_enabled(setting, device: str | None = None) -> bool:
    """Whether ``amp: setting`` trains in mixed precision (float16 autocast + GradScaler) on
    ``device`` (default: Paddle's current one): ``true`` always, ``false`` never, ``auto`` on a
    GPU only. The full profiles say ``false`` except de-occlusion's, the one write-up that used it."""
    if setting not in (True, False, "auto"):
        raise ValueError(f"train options 'amp' must be true, false or auto, got {setting!r}")
    if setting == "auto":
        device = device or paddle.get_device()
        return "gpu" in device and paddle.is_compiled_with_cuda()
    return setting


@dataclass
class TrainData:
    """What the engine trains and validates on. Samples are tuples of aligned files, one per
    entry of the task's ``sample_kinds`` (a restoration pair: (input, ground truth))."""

    train: list  # samples of the training split (patches)
    all: list  # train + validation samples, for an all-data fine-tune
    val: list  # (name, *paths) whole validation samples


@dataclass
class Trainer:
    options: dict
    data: TrainData
    out_dir: Path
    quiet: bool | None = None  # True: no progress bar or lines (tests)
    task: type | str = "restoration"
    track: str | None = None  # saved in checkpoints; resuming another track's run is an error
    history: list = field(default_factory=list)

    def __post_init__(self):
        self.task_class = get_task(self.task)
        self.opts = resolve_options(self.options, self.task_class)
        self.out_dir = Path(self.out_dir)
        self.stages = PiecewiseSchedule(self.opts["stages"], "stages")
        self.phases = PiecewiseSchedule(self.opts["phases"], "phases")
        self.total_iters = self.stages.total
        self.rank = paddle.distributed.get_rank()
        self.world_size = paddle.distributed.get_world_size()
        self._check_batches()
        self._check_data()
        paddle.seed(self.opts["seed"])
        # Parameter and optimizer-accumulator names come from a counter; a private one gives every
        # run the same names, which the saved optimizer state is keyed by (resume in any process).
        self._names = paddle.base.unique_name.UniqueNameGenerator()
        with paddle.utils.unique_name.guard(self._names):
            specs = self.task_class.network_specs(self.opts)
            self.networks = {name: build_model(spec) for name, spec in specs.items()}
        self.schedulers, self.optimizers = {}, {}
        clip = paddle.nn.ClipGradByNorm(self.opts["grad_clip"]) if self.opts["grad_clip"] else None
        for name in self.task_class.optimized_networks():
            spec = optimizer_spec(self.opts, name)
            self.schedulers[name] = build_scheduler(self.opts["scheduler"], spec["lr"], self.opts["phases"], name)
            extra = {"weight_decay": spec["weight_decay"]} if spec["name"] == "adamw" else {}
            self.optimizers[name] = OPTIMIZERS[spec["name"]](
                learning_rate=self.schedulers[name],
                parameters=self.networks[name].parameters(),
                beta1=spec["betas"][0],
                beta2=spec["betas"][1],
                grad_clip=clip,
                **extra,
            )
        self.use_amp = amp_enabled(self.opts["amp"])
        scalers = {name: paddle.amp.GradScaler() for name in self.optimizers} if self.use_amp else {}
        self.iteration, self.best_score = 0, -math.inf
        self.phase_best_score = -math.inf  # the best validation inside the current phase (restart_from: best)
        train_nets = {
            name: paddle.DataParallel(net) if self.world_size > 1 else net for name, net in self.networks.items()
        }
        self.task_runner = self.task_class(self.opts, self.networks, train_nets, self.optimizers, scalers, self.use_amp)
        self.ema = WeightAverage(self.model, self.opts["ema"]) if self.opts["ema"] else None

    @property
    def main_network(self) -> str:
        """The name of the main network: ``model``, else the first one (e.g. the generator)."""
        return "model" if "model" in self.networks else next(iter(self.networks))

    @property
    def model(self):
        return self.networks[self.main_network]

    @property
    def best_metric(self) -> str:
        return self.opts["best_metric"]

    # ------------------------------------------------------------------ setup and checks
    def _check_batches(self):
        """Every stage's (global) batch splits evenly over the processes, before anything runs."""
        for i, stage in enumerate(self.opts["stages"]):
            try:
                rank_batch_size(stage["batch_size"], self.world_size)
            except ValueError as exc:
                batches = [s["batch_size"] for s in self.opts["stages"]]
                raise ValueError(
                    f"stages[{i}]: {exc} (the stages' global batches are {batches}; the recipe "
                    f"was written for one GPU: train it on a number of processes dividing every "
                    f"batch, e.g. 1)"
                ) from None

    def _check_data(self):
        """Every training file decodes, the files of a sample align, and samples smaller than the
        largest patch are refused or reported (``loader: small_samples``), all before training."""
        if not self.data.train:
            raise ValueError("no training samples: is the meta file empty? re-run the preparation")
        if any(p.get("all_data") for p in self.opts["phases"]) and not self.data.all:
            raise ValueError("a phase trains on all data, but no all-data samples were given")
        sizes = [s["patch_size"] for s in self.opts["stages"]]
        largest = None if any(s is None for s in sizes) else max(sizes)
        samples = list(dict.fromkeys(tuple(s) for s in (*self.data.train, *self.data.all)))  # each file once
        kinds = self.task_class.kinds(self.opts)
        small = KeyedPatchDataset(samples, largest, cache_bytes=0, kinds=kinds).small_samples()
        if not small:
            return
        (first, h, w), more = small[0], len(small) - 1
        shown = "; ".join(f"{paths[0]} ({sh}x{sw})" for paths, sh, sw in small[1:4]) + (" ..." if more > 3 else "")
        also = f" and {more} more sample(s): {shown}" if more else ""
        if self.opts["loader"]["small_samples"] == "error":
            raise ValueError(
                f"patch size {largest} is larger than {first[0]} ({h}x{w}){also}. Prepare the data "
                f"with windows of at least {largest} px, or set small_samples: pad in the track's "
                f"loader: section to mirror-pad such samples to the patch"
            )
        if self.rank == 0:
            print(
                f"{len(small)} of {len(samples)} training samples are smaller than the patch size {largest} and "
                f"are mirror-padded to it (loader small_samples: pad): {first[0]} ({h}x{w}){also}",
                flush=True,
            )

    @property
    def last_path(self) -> Path:
        return self.out_dir / "last.pdparams"

    @property
    def best_path(self) -> Path:
        return self.out_dir / "best.pdparams"

    @property
    def publish_path(self) -> Path:
        """The checkpoint a published model is made of (option ``publish``): the best validated
        weights (the last ones when nothing was validated), or the last ones."""
        return self.best_path if self.opts["publish"] == "best" and self.best_path.exists() else self.last_path

    def state(self) -> dict:
        at = min(self.iteration, self.total_iters - 1)
        return {
            "version": CHECKPOINT_VERSION,
            "track": self.track,
            "task": self.task_class.name,
            "networks": {k: v.state_dict() for k, v in self.networks.items()},
            "optimizers": {k: v.state_dict() for k, v in self.optimizers.items()},
            "schedulers": {k: v.state_dict() for k, v in self.schedulers.items()},
            "iteration": self.iteration,
            "stage": self.stages.at(at).index,
            "phase": self.phases.at(at).index,
            "best_score": self.best_score,
            "phase_best_score": self.phase_best_score,
            "best_metric": self.best_metric,
            "options": self.opts,
            **({"ema": {self.main_network: self.ema.state_dict()}, "ema_steps": self.ema.steps} if self.ema else {}),
            "rng": {"numpy": np.random.get_state(), "paddle_seed": self.opts["seed"]},
        }

    def save(self, path: Path) -> None:
        if self.rank == 0:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            atomic_save(self.state(), path)

    def resume(self) -> bool:
        """Continue from ``last.pdparams`` if the folder has one (if it is damaged, from the newest
        readable checkpoint beside it: :meth:`_readable_checkpoint`); returns whether it did."""
        if not self.last_path.exists():
            return False
        path, state = self._readable_checkpoint()
        check_track(state, path, self.track)
        saved_options = state.get("options", {})
        changed = [k for k in TRAINED_BY if k in saved_options and saved_options[k] != self.opts[k]]
        if changed:  # resuming would finish the old run under the new name, or mix two recipes in one model
            raise ValueError(
                f"{path} was written with different training options ({', '.join(changed)}"
                f"{': a different schedule' if 'stages' in changed else ''}); use a new output folder or delete it "
                "to start over"
            )
        if state.get("task", self.task_class.name) != self.task_class.name:
            raise ValueError(f"{path} was written by task {state['task']!r}, not {self.task_class.name!r}")
        for kind, objects in (
            ("networks", self.networks),
            ("optimizers", self.optimizers),
            ("schedulers", self.schedulers),
        ):
            saved = state.get(kind, {})
            if set(saved) != set(objects):
                raise ValueError(f"{path}: {kind} {sorted(saved)} do not match this task's {sorted(objects)}")
            for name, obj in objects.items():
                obj.set_state_dict(saved[name])
        if self.ema is not None:
            if "ema" not in state:
                raise ValueError(f"{path} has no weight average ('ema') but the options ask for one")
            self.ema.load(state["ema"][self.main_network], state["ema_steps"])
        self.iteration, self.best_score = int(state["iteration"]), float(state["best_score"])
        self.phase_best_score = float(state.get("phase_best_score", -math.inf))
        np.random.set_state(state["rng"]["numpy"])
        return True

    def _readable_checkpoint(self) -> tuple[Path, dict]:
        """``last.pdparams``, or if it cannot be read, the readable checkpoint of the run folder with
        the highest iteration (every checkpoint the engine writes holds the full training state).
        Says so in one line; raises, with the way to start afresh, when none can be read."""
        try:
            return self.last_path, load_checkpoint(self.last_path)
        except ValueError as exc:
            damage = str(exc)
        readable = []
        for path in sorted(self.out_dir.glob("*.pdparams")):
            if path == self.last_path:
                continue
            try:
                state = load_checkpoint(path, track=self.track)
            except ValueError:
                continue
            readable.append((int(state.get("iteration", -1)), path.name, path, state))
        if not readable:
            raise ValueError(
                f"{damage}; no other checkpoint in {self.out_dir} is readable. To start afresh, "
                f"delete the run folder {self.out_dir} (python -m lib.train ... --fresh does) "
                f"or at least {self.last_path}"
            )
        iteration, _, path, state = max(readable, key=lambda r: r[:2])
        if self.rank == 0:
            print(
                f"{self.last_path} is damaged; resuming from {path.name} at iteration {iteration}, "
                f"the newest readable checkpoint",
                flush=True,
            )
        return path, state

    # ------------------------------------------------------------------ validation
    def validate(self) -> dict:
        samples = self.data.val[: self.opts["val_max_images"] or None]
        if not samples:
            return {}
        for net in self.networks.values():
            net.eval()
        raw = self.ema.swap_in() if self.ema else None
        self.task_runner.iteration = self.iteration  # seeds what a task draws for validation (val_crop)
        try:
            with paddle.no_grad():
                return self.task_runner.validate(samples)
        finally:
            if raw is not None:
                self.ema.swap_out(raw)
            for net in self.networks.values():
                net.train()

    # ------------------------------------------------------------------ logging
    def _log_fields(self) -> list:
        return [
            "iteration",
            "stage",
            "phase",
            *self.task_class.loss_keys,
            "lr",
            *self.task_class.metric_keys,
            "seconds",
        ]

    def _log(self, row: dict, writer) -> None:
        self.history.append(row)
        if self.rank != 0:
            return
        path = self.out_dir / "log.csv"
        new = not path.exists()
        with open(path, "a", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=self._log_fields(), extrasaction="ignore")
            if new:
                w.writeheader()
            w.writerow(row)
        if writer is not None:
            for key, value in row.items():
                if key in ("iteration", "stage", "phase", "seconds") or value in (None, ""):
                    continue
                group = "val" if key in self.task_class.metric_keys else "train"
                writer.add_scalar(f"{group}/{key}", value, row["iteration"])

    def _lr(self) -> float:
        return next(iter(self.schedulers.values())).get_lr() if self.schedulers else 0.0

    # ------------------------------------------------------------------ training
    def fit(self, stop_after: int | None = None) -> list:
        """Train to the end of the schedule (or ``stop_after`` more iterations, for demos/tests)."""
        with paddle.utils.unique_name.guard(self._names):
            return self._fit(stop_after)

    def _fit(self, stop_after: int | None) -> list:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        (self.out_dir / "options.json").write_text(json.dumps(self.opts, indent=2), encoding="utf-8")
        writer = None
        if self.rank == 0:
            try:
                from visualdl import LogWriter

                writer = LogWriter(logdir=str(self.out_dir / "vdl"))
            except Exception as exc:  # noqa: BLE001 -- logging must never stop training
                print(f"VisualDL unavailable ({exc}); logging to CSV only")
        end = self.total_iters if stop_after is None else min(self.total_iters, self.iteration + stop_after)
        bar = progress(
            total=end - self.iteration,
            desc="train",
            unit="it",
            **({"disable": True} if self.quiet or self.rank else {}),
        )
        # without a bar (a log file, a launched worker), one line per log interval instead
        print_lines = bar.disable and not self.quiet and self.rank == 0
        for net in self.networks.values():
            net.train()
        start_time, running, first = time.perf_counter(), {}, self.iteration
        while self.iteration < end:
            stage, phase = self.stages.at(self.iteration), self.phases.at(self.iteration)
            seg_end = min(end, stage.end, phase.end)
            samples = self.data.all if phase.options.get("all_data") else self.data.train
            augment = {**self.opts["augment"], **(phase.options.get("augment") or {})}
            dataset = KeyedPatchDataset(
                samples,
                stage.options["patch_size"],
                seed=self.opts["seed"],
                cache_bytes=self.opts["loader"]["cache_bytes"],
                kinds=self.task_class.kinds(self.opts),
                augment=augment,
            )
            loader = make_loader(
                dataset,
                self.iteration,
                seg_end,
                stage.options["batch_size"],
                self.opts["loader"]["num_workers"],
                self.rank,
                self.world_size,
            )
            if self.iteration == phase.start and phase.index > 0:
                self.phase_best_score = -math.inf  # a phase's best is the best validated inside it
                if phase.options.get("restart_from"):
                    self._restart(phase)
            self.task_runner.start_phase(phase.options)
            for batch in loader:
                losses = self._step(batch)
                for key, value in losses.items():
                    running.setdefault(key, []).append(value)
                self.iteration += 1
                bar.update(1)
                if self.iteration % self.opts["log_every"] == 0 or self.iteration == end:
                    means = {k: float(np.mean(v)) for k, v in running.items()}
                    bar.set_postfix(**{k: f"{v:.4f}" for k, v in means.items()}, lr=f"{self._lr():.2e}")
                    if print_lines:
                        elapsed = time.perf_counter() - start_time
                        eta = elapsed / (self.iteration - first) * (end - self.iteration)
                        shown = " ".join(f"{k} {v:.4f}" for k, v in means.items())
                        print(
                            f"iter {self.iteration}/{self.total_iters} stage {stage.index} phase {phase.index} "
                            f"{shown} lr {self._lr():.2e} elapsed {elapsed:.0f}s eta {eta:.0f}s",
                            flush=True,
                        )
                    self._log(
                        {
                            "iteration": self.iteration,
                            "stage": stage.index,
                            "phase": phase.index,
                            **means,
                            "lr": self._lr(),
                            "seconds": time.perf_counter() - start_time,
                        },
                        writer,
                    )
                    running = {}
                if self.iteration % self.opts["val_every"] == 0 or self.iteration == self.total_iters:
                    self._validate_and_keep_best(stage, phase, start_time, writer, print_lines)
                if self.iteration % self.opts["save_every"] == 0 or self.iteration == end:
                    self.save(self.last_path)
                if self.opts["keep_phase_ends"] and self.iteration == phase.end < self.total_iters:
                    self.save(self.out_dir / f"phase{phase.index}_end.pdparams")
        bar.close()
        if writer is not None:
            writer.close()
        return self.history

    def _validate_and_keep_best(self, stage, phase, start_time, writer, print_lines) -> None:
        metrics = self.validate()
        if not metrics:
            return
        self._log(
            {
                "iteration": self.iteration,
                "stage": stage.index,
                "phase": phase.index,
                **metrics,
                "seconds": time.perf_counter() - start_time,
            },
            writer,
        )
        if print_lines:
            shown = ", ".join(f"{k} {v:.4f}" for k, v in metrics.items())
            print(f"第 {self.iteration} 次迭代的验证：{shown}", flush=True)
        if self.best_metric not in metrics:
            raise KeyError(f"validation returned {sorted(metrics)}, no best_metric {self.best_metric!r}")
        if metrics[self.best_metric] > self.best_score:
            self.best_score = metrics[self.best_metric]
            self.save(self.best_path)
        if metrics[self.best_metric] > self.phase_best_score:
            self.phase_best_score = metrics[self.best_metric]
            if self._next_phase_restarts_from_best(phase):
                self.save(self.phase_best_path(phase.index))

    def phase_best_path(self, index: int) -> Path:
        return self.out_dir / f"phase{index}_best.pdparams"

    def _next_phase_restarts_from_best(self, phase) -> bool:
        phases = self.opts["phases"]
        return phase.index + 1 < len(phases) and phases[phase.index + 1].get("restart_from") == "best"

    def _restart(self, phase) -> None:
        """Start ``phase`` as a new run (``restart_from``): the previous phase's last or best weights, every
        optimizer's moments reset (a new optimizer's state), the scheduler and the iteration go on."""
        if phase.options["restart_from"] == "best":
            path = self.phase_best_path(phase.index - 1)
            if not path.exists():
                raise FileNotFoundError(
                    f"{path}: phase {phase.index} restarts from the best weights of phase {phase.index - 1}, "
                    f"which were never validated; lower val_every"
                )
            saved = load_checkpoint(path, track=self.track)["networks"]
            for name, net in self.networks.items():
                net.set_state_dict(saved[name])
            if self.ema is not None:
                self.ema = WeightAverage(self.model, self.opts["ema"])
        for optimizer in self.optimizers.values():
            reset_optimizer_state(optimizer)
        if self.rank == 0 and not self.quiet:
            print(
                f"第 {phase.index} 阶段在第 {self.iteration} 次迭代重新开始：从第 {phase.index - 1} 阶段的 "
                f"{phase.options['restart_from']} 权重出发，优化器状态清零",
                flush=True,
            )

    def _step(self, batch) -> dict:
        losses = self.task_runner.train_step(batch, self.iteration)
        if self.ema is not None:
            self.ema.update()
        for scheduler in self.schedulers.values():
            scheduler.step()
        for key, value in losses.items():
            if not math.isfinite(value):
                raise FloatingPointError(
                    f"{key} became {value} at iteration {self.iteration}; lower the learning rate or check the data"
                )
        return losses


def reset_optimizer_state(optimizer) -> None:
    """Put an Adam/AdamW optimizer's state back to a new one's, in place: moments to zero, the running powers of
    beta1 and beta2 to the betas (what Paddle creates them with). In place, so that the state keeps its names and a
    later resume loads it (Paddle names accumulators from a counter; a new optimizer would get new names)."""
    betas = {"beta1_pow_acc": optimizer._beta1, "beta2_pow_acc": optimizer._beta2}
    for kind, tensors in optimizer._accumulators.items():
        fill = next((float(beta) for key, beta in betas.items() if kind.startswith(key)), 0.0)
        for tensor in tensors.values():
            paddle.assign(paddle.full_like(tensor, fill), tensor)


class WeightAverage:
    """An exponential moving average of a network's floating-point weights (Polyak averaging, as
    NAFNet's and BasicSR's ``ema_decay``). The first steps use the decay ``min(d, (1 + n) / (10 +
    n))``, so the average is not dominated by the random initialisation in a short run."""

    def __init__(self, network, decay: float):
        self.network, self.decay, self.steps = network, float(decay), 0
        self.average = {k: v.detach().clone() for k, v in network.state_dict().items() if paddle.is_floating_point(v)}

    def update(self) -> None:
        self.steps += 1
        d = min(self.decay, (1 + self.steps) / (10 + self.steps))
        with paddle.no_grad():
            for key, value in self.network.state_dict().items():
                if key in self.average:
                    avg = self.average[key]
                    paddle.assign(avg * d + value.detach() * (1 - d), avg)

    def state_dict(self) -> dict:
        return {k: v.clone() for k, v in self.average.items()}

    def load(self, state: dict, steps: int) -> None:
        for key, value in state.items():
            paddle.assign(paddle.to_tensor(value), self.average[key])
        self.steps = int(steps)

    def swap_in(self) -> dict:
        """Put the average into the network; returns the raw weights for :meth:`swap_out`."""
        raw = {k: v.detach().clone() for k, v in self.network.state_dict().items() if k in self.average}
        self.network.set_state_dict(self.average)
        return raw

    def swap_out(self, raw: dict) -> None:
        self.network.set_state_dict(raw)
