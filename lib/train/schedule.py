"""Progressive stages, loss phases and the cosine-annealing-with-restarts learning rate.

The deblur solution's schedule as its code ran it (``full`` profile) in these terms: three runs, one per config,
each 600k iterations::

    stages  (batch, patch, iters): (8,192,184k) (5,256,128k) (4,320,96k) (2,384,72k) (1,384,72k) (1,384,48k), x3
    phases  (loss, iters):          L1 600k | Charbonnier + MS-SSIM 600k, lr 1e-4 | same loss on all data 600k
    lr      AdamW 2e-4, in each run a cosine cycle of 184k then one of 416k (periods 184k, 416k, x3)
"""

from __future__ import annotations

import bisect
import copy
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
    (``T_0 * T_mult**k``); the deblur solution's runs restart at 184k (periods 184k, 416k),
    so the periods are given explicitly. ``restart_weights`` scale each period's peak;
    ``eta_min`` is the floor of every period, or a list with one floor per period (BasicSR's
    ``eta_mins``: the winner's cycles end at 1e-5, then 1e-6). ``warmup_iters`` ramps the first
    period's rate up linearly from ~0 (a high peak rate on a fresh network otherwise spends its
    first steps undoing a bad start). Step once per iteration; ``last_epoch`` counts iterations.
    """

    def __init__(
        self,
        learning_rate: float,
        periods: list[int],
        restart_weights: list[float] | None = None,
        eta_min: float | list[float] = 1e-7,
        warmup_iters: int = 0,
        last_epoch: int = -1,
        verbose: bool = False,
    ):
        if not periods or any(int(p) <= 0 for p in periods):
            raise ValueError(f"periods must be positive integers, got {periods}")
        if not 0 <= int(warmup_iters) < int(periods[0]):
            raise ValueError(f"warmup_iters must be in [0, first period {periods[0]}), got {warmup_iters}")
        self.warmup_iters = int(warmup_iters)
        self.periods = [int(p) for p in periods]
        self.restart_weights = list(restart_weights or [1.0] * len(self.periods))
        if len(self.restart_weights) != len(self.periods):
            raise ValueError("restart_weights must have one weight per period")
        floors = list(eta_min) if isinstance(eta_min, (list, tuple)) else [eta_min] * len(self.periods)
        if len(floors) != len(self.periods):
            raise ValueError(f"eta_min must be one number or one per period ({len(self.periods)}), got {eta_min}")
        self.eta_mins = [float(e) for e in floors]
        self.cumulative = [sum(self.periods[: i + 1]) for i in range(len(self.periods))]
        super().__init__(learning_rate, last_epoch, verbose)

    def get_lr(self) -> float:
        it = max(self.last_epoch, 0)
        idx = min(bisect.bisect_right(self.cumulative, it), len(self.periods) - 1)
        start = self.cumulative[idx] - self.periods[idx]
        progress = min((it - start) / self.periods[idx], 1.0)
        peak = self.base_lr * self.restart_weights[idx]
        floor = self.eta_mins[idx]
        lr = floor + 0.5 * (peak - floor) * (1 + math.cos(math.pi * progress))
        if it < self.warmup_iters:
            lr *= (it + 1) / self.warmup_iters
        return lr


# ---------------------------------------------------------------------------- schedulers by name
SCHEDULER_KEYS = {
    # restarts at each phase boundary unless ``periods`` is given; ``restart_weights`` scale each
    # period's peak (a phase's own ``lr`` sets its weight to lr / base lr); ``warmup_iters`` ramps
    # the first period up linearly
    "cosine_restart": {"name", "periods", "restart_weights", "eta_min", "warmup_iters"},
    # Paddle's StepDecay: lr x gamma every step_size iterations (DeepFillv2, DeepLabV3: 0.95 / 100)
    "step": {"name", "step_size", "gamma"},
    "constant": {"name"},
}


def optimizer_spec(opts: dict, name: str) -> dict:
    """The resolved optimizer options of network ``name`` (train options of lib.train.engine:
    one flat spec for a single optimizer, else one per network)."""
    spec = opts["optimizer"]
    return spec[name] if name in spec and isinstance(spec[name], dict) else spec


def phase_lrs(phases: list[dict], optimizer: str, base_lr: float) -> list[float]:
    """Each phase's peak learning rate for ``optimizer``: the phase's ``lr`` (a number, or a dict
    keyed by optimizer name), else the optimizer's base lr."""
    rates = []
    for i, phase in enumerate(phases):
        lr = phase.get("lr")
        if isinstance(lr, dict):
            lr = lr.get(optimizer)
        if lr is not None and not (isinstance(lr, (int, float)) and not isinstance(lr, bool) and lr > 0):
            raise ValueError(f"phases[{i}].lr must be a positive number, got {lr!r}")
        rates.append(float(lr) if lr is not None else float(base_lr))
    return rates


def period_weights(periods: list[int], phase_periods: list[int], phase_weights: list[float]) -> list[float]:
    """Each cosine period's peak weight from the phase it lies in, when phases set their own ``lr``: every phase
    boundary must be a restart (a period may not straddle two phases), e.g. three runs of two cycles each."""
    starts, phase_starts = _starts(periods), _starts(phase_periods)
    if not set(phase_starts) <= set(starts):
        raise ValueError(
            f"per-phase 'lr' restarts the cosine at every phase: each phase boundary {phase_starts[1:]} must be a "
            f"boundary of scheduler.periods {periods} (or leave periods unset)"
        )
    return [phase_weights[bisect.bisect_right(phase_starts, start) - 1] for start in starts]


def _starts(lengths: list[int]) -> list[int]:
    return [sum(lengths[:i]) for i in range(len(lengths))]


def build_scheduler(spec: dict, base_lr: float, phases: list[dict], optimizer: str = "model"):
    """The learning-rate scheduler named by ``spec["name"]`` (see SCHEDULER_KEYS), stepped once
    per iteration. Raises ValueError for unknown names or keys, and for per-phase learning rates
    a scheduler cannot follow."""
    from ..config import check_keys

    name = spec.get("name") or "cosine_restart"
    if name not in SCHEDULER_KEYS:
        raise ValueError(f"unknown scheduler {name!r}; known: {', '.join(SCHEDULER_KEYS)}")
    given = {k: v for k, v in spec.items() if v is not None}
    check_keys(given, SCHEDULER_KEYS[name], f"scheduler {name!r}")
    total = sum(int(p["iters"]) for p in phases)
    rates = phase_lrs(phases, optimizer, base_lr)
    if name == "cosine_restart":
        phase_periods = [int(p["iters"]) for p in phases]
        periods = [int(p) for p in given.get("periods") or phase_periods]
        if sum(periods) != total:
            raise ValueError(f"scheduler periods sum to {sum(periods)}, the schedule has {total} iterations")
        weights = given.get("restart_weights")
        if any(r != base_lr for r in rates):
            if weights is not None:
                raise ValueError("give the peak learning rates either as phases' 'lr' or as restart_weights, not both")
            weights = period_weights(periods, phase_periods, [r / base_lr for r in rates])
        return CosineRestartLR(base_lr, periods, weights, given.get("eta_min", 1e-7), given.get("warmup_iters", 0))
    if any(r != base_lr for r in rates):
        raise ValueError(f"per-phase 'lr' needs the cosine_restart scheduler, not {name!r}")
    if name == "step":
        missing = {"step_size", "gamma"} - set(given)
        if missing:
            raise ValueError(f"scheduler 'step' needs {sorted(missing)}")
        return paddle.optimizer.lr.StepDecay(base_lr, step_size=int(given["step_size"]), gamma=float(given["gamma"]))
    return paddle.optimizer.lr.LambdaDecay(base_lr, lambda _: 1.0)


def scale_schedule(options: dict, factor: float) -> dict:
    """Overrides that run the same schedule ``factor`` times longer: every stage's and phase's
    iterations (and explicit scheduler periods and warm-up) multiplied and rounded, validation and
    checkpoint intervals too. Stages and phases keep their boundaries aligned where they were. A
    schedule in epochs (:func:`resolve_epochs`) gets its epochs multiplied instead."""
    if not factor > 0:
        raise ValueError(f"the schedule scale must be positive, got {factor!r}")

    def scaled(pieces):
        if any("epochs" in piece for piece in pieces):  # turned into iterations later (resolve_epochs)
            return [{**piece, "epochs": piece["epochs"] * factor} for piece in pieces]
        ends = [round(e * factor) for e in _cumulative(pieces)]
        return [{**piece, "iters": end - start} for piece, start, end in zip(pieces, [0] + ends[:-1], ends)]

    stages, phases = scaled(options["stages"]), scaled(options["phases"])
    for what, pieces in (("stages", stages), ("phases", phases)):
        if any(p.get("iters", 1) <= 0 for p in pieces):
            raise ValueError(f"scale {factor} leaves an empty entry in {what}")
    scheduler = dict(options.get("scheduler") or {})
    if scheduler.get("periods"):
        scheduler["periods"] = [p["iters"] for p in scaled([{"iters": p} for p in scheduler["periods"]])]
    if scheduler.get("warmup_iters"):
        scheduler["warmup_iters"] = max(1, round(scheduler["warmup_iters"] * factor))
    if scheduler.get("warmup_epochs"):
        scheduler["warmup_epochs"] = scheduler["warmup_epochs"] * factor
    out = {"stages": stages, "phases": phases, "scheduler": scheduler}
    task = options.get("task") or {}
    if any(key.endswith("_epoch") for key in task):
        out["task"] = {k: v * factor if k.endswith("_epoch") else v for k, v in task.items()}
    for key in ("val_every", "save_every"):
        if options.get(key):
            out[key] = max(1, round(options[key] * factor))
    return out


def fixed_patch_schedule(options: dict, stage: int = -1) -> dict:
    """Overrides that train one fixed patch size instead of progressive stages, for as many pixels:
    stage ``stage``'s batch x patch (default the last, the size the network is used at) for
    ``sum(batch x patch^2 x iters) / (batch x patch^2)`` iterations, the phases stretched to that
    length with their shares kept (the progressive-vs-fixed ablation at equal compute)."""
    stages = options["stages"]
    if any("iters" not in s for s in stages):
        raise ValueError("fixed_patch_schedule needs stages in iterations (resolve_epochs first)")
    pixels = sum(s["batch_size"] * s["patch_size"] ** 2 * s["iters"] for s in stages)
    chosen = stages[stage]
    iters = max(1, round(pixels / (chosen["batch_size"] * chosen["patch_size"] ** 2)))
    out = scale_schedule(
        {**options, "stages": [{**chosen, "iters": sum(s["iters"] for s in stages)}]},
        iters / sum(s["iters"] for s in stages),
    )
    out["stages"] = [{**chosen, "iters": iters}]  # exact, not rounded twice
    return {k: v for k, v in out.items() if k in ("stages", "phases", "scheduler")}


def _cumulative(pieces) -> list[int]:
    total, ends = 0, []
    for piece in pieces:
        total += int(piece["iters"])
        ends.append(total)
    return ends


# ---------------------------------------------------------------------------- schedules in epochs
def epoch_iterations(epochs: float, batch_size: int, n_samples: int, world_size: int = 1) -> int:
    """Iterations of ``epochs`` passes over ``n_samples`` training samples when every iteration
    draws ``batch_size`` samples in each of ``world_size`` processes: ``ceil(epochs * n / (batch *
    world))`` (a last partial batch is an iteration, as a DataLoader counts it)."""
    if not n_samples > 0:
        raise ValueError(f"an epoch needs training samples, got {n_samples}")
    return math.ceil(round(epochs * n_samples / (int(batch_size) * int(world_size)), 9))


def resolve_epochs(options: dict, n_samples: int, world_size: int = 1) -> dict:
    """Train options whose schedule is given in epochs of the training data, with every epoch count
    turned into iterations for ``n_samples`` training samples (options without epochs come back
    unchanged):

    * ``stages[i].epochs`` -> ``iters`` = :func:`epoch_iterations` at that stage's batch size;
    * ``phases[i].epochs`` -> ``iters``: the iterations between the phase's first and last epoch,
      counted through the stages (a phase may span stages of different batch sizes);
    * ``scheduler.warmup_epochs`` -> ``warmup_iters``;
    * every ``task`` option named ``<x>_epoch`` -> ``<x>_iter``, the iteration where that epoch starts.

    Either every stage gives ``epochs`` or none does; phases and the rest then need stages in epochs."""
    options = copy.deepcopy(options)
    stages, phases = options.get("stages") or [], options.get("phases") or []
    scheduler, task = options.get("scheduler") or {}, options.get("task") or {}
    task_epochs = [k for k in task if k.endswith("_epoch")]
    in_epochs = [("epochs" in s) for s in stages]
    if (
        not any(in_epochs)
        and not any("epochs" in p for p in phases)
        and "warmup_epochs" not in scheduler
        and not task_epochs
    ):
        return options
    if not stages or not all(in_epochs):
        raise ValueError("a schedule in epochs needs every stage in epochs (stages[i].epochs, no iters)")
    for i, stage in enumerate(stages):
        if "iters" in stage:
            raise ValueError(f"stages[{i}] gives both epochs and iters")
        if not stage["epochs"] > 0:
            raise ValueError(f"stages[{i}].epochs must be positive, got {stage['epochs']!r}")
    ends, total = [], 0.0
    for stage in stages:
        total += float(stage["epochs"])
        ends.append(total)

    def iteration_at(epoch: float) -> int:
        """The iteration where ``epoch`` (counted from 0 over all stages) starts."""
        if not -1e-9 <= epoch <= total + 1e-9:
            raise ValueError(f"epoch {epoch} is outside the stages' {total:g} epochs")
        done, start = 0, 0.0
        for stage, end in zip(stages, ends):
            if epoch <= end + 1e-9:
                return done + epoch_iterations(max(epoch - start, 0.0), stage["batch_size"], n_samples, world_size)
            done += epoch_iterations(end - start, stage["batch_size"], n_samples, world_size)
            start = end
        return done

    for stage, start, end in zip(stages, [0.0] + ends[:-1], ends):
        stage["iters"] = iteration_at(end) - iteration_at(start)
        del stage["epochs"]
    if any("epochs" in p for p in phases) and not all("epochs" in p and "iters" not in p for p in phases):
        raise ValueError("phases in epochs: every phase gives epochs (and no iters)")
    start = 0.0
    for phase in (p for p in phases if "epochs" in p):
        end = start + float(phase.pop("epochs"))
        phase["iters"] = iteration_at(end) - iteration_at(start)
        start = end
    if "warmup_epochs" in scheduler:
        scheduler["warmup_iters"] = max(1, iteration_at(float(scheduler.pop("warmup_epochs"))))
    for key in task_epochs:
        task[key[: -len("_epoch")] + "_iter"] = iteration_at(float(task.pop(key)))
    return options
