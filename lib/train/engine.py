"""The course's training engine: progressive stages, loss phases, validation, resumable checkpoints.

One options dict per experiment (the ``train:`` section of ``lib/configs/<track>.yaml``) drives it::

    model:     {name: nafnet, width: 16, ...}            # see lib.train.registry
    stages:    [{batch_size: 8, patch_size: 192, iters: 184000}, ...]
    phases:    [{loss: l1, iters: 184000}, {loss: charbonnier_msssim, iters: 232000},
                {loss: charbonnier_msssim, iters: 184000, all_data: true}]
    optimizer: {lr: 2.0e-4, weight_decay: 1.0e-4, betas: [0.9, 0.999]}
    scheduler: {periods: [184000, 232000, 184000], eta_min: 1.0e-7}
    val_every: 5000, save_every: 5000, log_every: 100, seed: 0, num_workers: 0, amp: auto

Checkpoints (``last.pdparams`` and ``best.pdparams``, written to a temp file and renamed) hold the
model, optimizer and scheduler state, the iteration, stage, phase, best score and RNG state; a run
started again in the same folder resumes where the last checkpoint stopped and follows the same
schedule, batch for batch (see lib.train.data).
"""
from __future__ import annotations

import copy
import csv
import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import paddle

from ..config import check_keys
from ..metrics import evaluate_pair
from ..report import progress
from .data import KeyedPatchDataset, make_loader
from .registry import build_loss, build_model
from .schedule import CosineRestartLR, PiecewiseSchedule

DEFAULTS = {
    "model": None, "stages": None, "phases": None,
    "optimizer": {"lr": 2e-4, "weight_decay": 1e-4, "betas": [0.9, 0.999]},
    "scheduler": {"periods": None, "restart_weights": None, "eta_min": 1e-7},
    "val_every": 1000, "save_every": 1000, "log_every": 50, "seed": 0, "num_workers": 0,
    "amp": "auto", "grad_clip": None, "val_max_images": None,
}
CHECKPOINT_VERSION = 1


def resolve_options(options: dict) -> dict:
    """Defaults filled in, every key checked (typos are errors), schedules consistent."""
    check_keys(options, DEFAULTS, "train options")
    opts = copy.deepcopy(DEFAULTS)
    for key, value in options.items():
        if isinstance(opts.get(key), dict) and isinstance(value, dict):
            check_keys(value, opts[key], f"train options '{key}'")
            opts[key].update(value)
        else:
            opts[key] = value
    for key in ("model", "stages", "phases"):
        if not opts[key]:
            raise ValueError(f"train options: '{key}' is required")
    stages = PiecewiseSchedule(opts["stages"], "stages")
    phases = PiecewiseSchedule(opts["phases"], "phases")
    for i, stage in enumerate(opts["stages"]):
        check_keys(stage, {"batch_size", "patch_size", "iters"}, f"stages[{i}]")
    for i, phase in enumerate(opts["phases"]):
        check_keys(phase, {"loss", "iters", "all_data"}, f"phases[{i}]")
        build_loss(phase["loss"])  # unknown loss names fail now, not hours later
    if stages.total != phases.total:
        raise ValueError(f"stages cover {stages.total} iterations but phases cover {phases.total}")
    if opts["scheduler"]["periods"] is None:  # restart the cosine at every phase boundary
        opts["scheduler"]["periods"] = [p["iters"] for p in opts["phases"]]
    if sum(opts["scheduler"]["periods"]) != stages.total:
        raise ValueError(f"scheduler periods sum to {sum(opts['scheduler']['periods'])}, "
                         f"the schedule has {stages.total} iterations")
    return opts


@dataclass
class TrainData:
    """What the engine trains and validates on: patch pairs and full-size validation pairs."""
    train_pairs: list                 # [(blur_path, gt_path)] patches of the training split
    all_pairs: list                   # patches of train + validation, for the all-data fine-tune
    val_pairs: list                   # [(name, blur_path, gt_path)] full-size validation images


def atomic_save(obj, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    paddle.save(obj, str(tmp))
    os.replace(tmp, path)


def load_checkpoint(path: Path) -> dict:
    """Read a checkpoint, with a clear error if it is missing or corrupt."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        state = paddle.load(str(path))
    except Exception as exc:
        raise ValueError(f"checkpoint {path} is corrupt or not a Paddle checkpoint: {exc}") from exc
    if not isinstance(state, dict) or "model" not in state:
        raise ValueError(f"checkpoint {path} has no 'model' weights (keys: {list(state)[:8]})")
    return state


@dataclass
class Trainer:
    options: dict
    data: TrainData
    out_dir: Path
    quiet: bool | None = None      # True: no progress bar or lines (tests)
    history: list = field(default_factory=list)

    def __post_init__(self):
        self.opts = resolve_options(self.options)
        self.out_dir = Path(self.out_dir)
        self.stages = PiecewiseSchedule(self.opts["stages"], "stages")
        self.phases = PiecewiseSchedule(self.opts["phases"], "phases")
        self.total_iters = self.stages.total
        self.rank = paddle.distributed.get_rank()
        self.world_size = paddle.distributed.get_world_size()
        self._check_data()
        paddle.seed(self.opts["seed"])
        # Parameter and optimizer-accumulator names come from a counter; a private one gives every
        # run the same names, which the saved optimizer state is keyed by (resume in any process).
        self._names = paddle.base.unique_name.UniqueNameGenerator()
        with paddle.utils.unique_name.guard(self._names):
            self.model = build_model(self.opts["model"])
        opt = self.opts["optimizer"]
        sch = self.opts["scheduler"]
        self.scheduler = CosineRestartLR(opt["lr"], sch["periods"], sch["restart_weights"], sch["eta_min"])
        clip = paddle.nn.ClipGradByNorm(self.opts["grad_clip"]) if self.opts["grad_clip"] else None
        self.optimizer = paddle.optimizer.AdamW(
            learning_rate=self.scheduler, parameters=self.model.parameters(),
            weight_decay=opt["weight_decay"], beta1=opt["betas"][0], beta2=opt["betas"][1], grad_clip=clip)
        self.use_amp = self.opts["amp"] is True or (self.opts["amp"] == "auto" and paddle.is_compiled_with_cuda()
                                                    and "gpu" in paddle.get_device())
        self.scaler = paddle.amp.GradScaler() if self.use_amp else None
        self.iteration, self.best_score = 0, -math.inf
        self.train_model = paddle.DataParallel(self.model) if self.world_size > 1 else self.model

    # ------------------------------------------------------------------ setup and checks
    def _check_data(self):
        if not self.data.train_pairs:
            raise ValueError("no training patches: is the meta file empty? re-run the preparation")
        if any(p.get("all_data") for p in self.opts["phases"]) and not self.data.all_pairs:
            raise ValueError("a phase trains on all data, but no all-data patches were given")
        largest = max(s["patch_size"] for s in self.opts["stages"])
        for pairs in (self.data.train_pairs, self.data.all_pairs):
            if pairs:
                KeyedPatchDataset(pairs, largest, cache=False).check_patch_size()

    @property
    def last_path(self) -> Path:
        return self.out_dir / "last.pdparams"

    @property
    def best_path(self) -> Path:
        return self.out_dir / "best.pdparams"

    def state(self) -> dict:
        return {
            "version": CHECKPOINT_VERSION, "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
            "iteration": self.iteration, "stage": self.stages.at(min(self.iteration, self.total_iters - 1)).index,
            "phase": self.phases.at(min(self.iteration, self.total_iters - 1)).index,
            "best_score": self.best_score, "options": self.opts,
            "rng": {"numpy": np.random.get_state(), "paddle_seed": self.opts["seed"]},
        }

    def save(self, path: Path) -> None:
        if self.rank == 0:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            atomic_save(self.state(), path)

    def resume(self) -> bool:
        """Continue from ``last.pdparams`` if the folder has one; returns whether it did."""
        if not self.last_path.exists():
            return False
        state = load_checkpoint(self.last_path)
        if state.get("options", {}).get("stages") != self.opts["stages"]:
            raise ValueError(f"{self.last_path} was written with a different schedule; "
                             "use a new output folder or delete it to start over")
        self.model.set_state_dict(state["model"])
        self.optimizer.set_state_dict(state["optimizer"])
        self.scheduler.set_state_dict(state["scheduler"])
        self.iteration, self.best_score = int(state["iteration"]), float(state["best_score"])
        np.random.set_state(state["rng"]["numpy"])
        return True

    # ------------------------------------------------------------------ validation
    def validate(self) -> dict:
        from ..infer import predict_image
        from ..data.pairs import read_image

        pairs = self.data.val_pairs[: self.opts["val_max_images"] or None]
        if not pairs:
            return {}
        self.model.eval()
        scores = [evaluate_pair(predict_image(self.model, read_image(blur)), read_image(gt))
                  for _, blur, gt in pairs]
        self.model.train()
        return {k: float(np.mean([s[k] for s in scores])) for k in scores[0]}

    # ------------------------------------------------------------------ logging
    def _log(self, row: dict, writer) -> None:
        self.history.append(row)
        if self.rank != 0:
            return
        path = self.out_dir / "log.csv"
        fields = ["iteration", "stage", "phase", "loss", "lr", "psnr", "ms_ssim", "score", "seconds"]
        new = not path.exists()
        with open(path, "a", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
            if new:
                w.writeheader()
            w.writerow(row)
        if writer is not None:
            for key in ("loss", "lr", "psnr", "ms_ssim", "score"):
                if row.get(key) not in (None, ""):
                    writer.add_scalar(f"train/{key}" if key in ("loss", "lr") else f"val/{key}",
                                      row[key], row["iteration"])

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
            except Exception as exc:  # logging must never stop training
                print(f"VisualDL unavailable ({exc}); logging to CSV only")
        end = self.total_iters if stop_after is None else min(self.total_iters, self.iteration + stop_after)
        bar = progress(total=end - self.iteration, desc="train", unit="it",
                       **({"disable": True} if self.quiet or self.rank else {}))
        # without a bar (a log file, a launched worker), one line per log interval instead
        print_lines = bar.disable and not self.quiet and self.rank == 0
        self.model.train()
        start_time, running, first = time.perf_counter(), [], self.iteration
        while self.iteration < end:
            stage, phase = self.stages.at(self.iteration), self.phases.at(self.iteration)
            seg_end = min(end, stage.end, phase.end)
            pairs = self.data.all_pairs if phase.options.get("all_data") else self.data.train_pairs
            dataset = KeyedPatchDataset(pairs, stage.options["patch_size"], seed=self.opts["seed"])
            loader = make_loader(dataset, self.iteration, seg_end, stage.options["batch_size"],
                                 self.opts["num_workers"], self.rank, self.world_size)
            criterion = build_loss(phase.options["loss"])
            for blur, gt in loader:
                loss = self._step(blur, gt, criterion)
                running.append(loss)
                self.iteration += 1
                bar.update(1)
                if self.iteration % self.opts["log_every"] == 0 or self.iteration == end:
                    bar.set_postfix(loss=f"{np.mean(running):.4f}", lr=f"{self.scheduler.get_lr():.2e}")
                    if print_lines:
                        elapsed = time.perf_counter() - start_time
                        eta = elapsed / (self.iteration - first) * (end - self.iteration)
                        print(f"iter {self.iteration}/{self.total_iters} stage {stage.index} phase {phase.index} "
                              f"loss {np.mean(running):.4f} lr {self.scheduler.get_lr():.2e} "
                              f"elapsed {elapsed:.0f}s eta {eta:.0f}s", flush=True)
                    self._log({"iteration": self.iteration, "stage": stage.index, "phase": phase.index,
                               "loss": float(np.mean(running)), "lr": self.scheduler.get_lr(),
                               "seconds": time.perf_counter() - start_time}, writer)
                    running = []
                if self.iteration % self.opts["val_every"] == 0 or self.iteration == self.total_iters:
                    metrics = self.validate()
                    if metrics:
                        self._log({"iteration": self.iteration, "stage": stage.index, "phase": phase.index,
                                   **metrics, "seconds": time.perf_counter() - start_time}, writer)
                        if print_lines:
                            print(f"validation at {self.iteration}: PSNR {metrics['psnr']:.2f} dB, "
                                  f"MS-SSIM {metrics['ms_ssim']:.4f}, score {metrics['score']:.4f}", flush=True)
                        if metrics["score"] > self.best_score:
                            self.best_score = metrics["score"]
                            self.save(self.best_path)
                if self.iteration % self.opts["save_every"] == 0 or self.iteration == end:
                    self.save(self.last_path)
        bar.close()
        if writer is not None:
            writer.close()
        return self.history

    def _step(self, blur, gt, criterion) -> float:
        with paddle.amp.auto_cast(enable=self.use_amp):
            loss = criterion(self.train_model(blur), gt)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            loss.backward()
            self.optimizer.step()
        self.optimizer.clear_grad()
        self.scheduler.step()
        value = float(loss)
        if not math.isfinite(value):
            raise FloatingPointError(f"loss became {value} at iteration {self.iteration}; "
                                     f"lower the learning rate or check the data")
        return value
