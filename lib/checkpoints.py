"""Checkpoint files: atomic writes, reading with clear errors, publishing a run.

A training checkpoint (``runs/train/<track>-<profile>/last.pdparams`` and ``best.pdparams``, written
by lib.train.engine) holds::

    version, track, task, networks {name: state}, optimizers {name: state}, schedulers {name: state},
    iteration, stage, phase, best_score, best_metric, options, rng

A published model folder (``checkpoints/<track>_<model>_demo/``) holds ``model.pdparams`` (track,
network weights, iteration), ``options.json`` (the training options, including the networks'),
``log.csv`` (the training log) and ``metrics.json`` (held-out scores against the input and the
classical baselines). Building a network from a checkpoint is the track's job
(``lib.tracks.load_model``); this module only reads and writes files.

Version-1 files (the blurred-document track before the multi-track engine: one ``model`` state)
read as ``networks = {"model": ...}``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import paddle

CHECKPOINT_VERSION = 2


def atomic_save(obj, path) -> None:
    """``paddle.save`` to a temporary name, then rename: a crash never leaves a half-written file."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    paddle.save(obj, str(tmp))
    os.replace(tmp, path)


def atomic_write_text(path, text: str) -> None:
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def load_checkpoint(path, track: str | None = None) -> dict:
    """Read a checkpoint with a clear error if it is missing, corrupt, or of another track than
    ``track``; version-1 files are returned in the version-2 layout."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        state = paddle.load(str(path))
    except Exception as exc:
        raise ValueError(f"checkpoint {path} is corrupt or not a Paddle checkpoint: {exc}") from exc
    if not isinstance(state, dict):
        raise ValueError(f"checkpoint {path} is not a course checkpoint (a {type(state).__name__})")
    if "networks" not in state:
        if "model" not in state:
            raise ValueError(f"checkpoint {path} has no network weights (keys: {list(state)[:8]})")
        state = {
            **{k: v for k, v in state.items() if k not in ("model", "optimizer", "scheduler")},
            "networks": {"model": state["model"]},
            "version": 1,
        }
        for key in ("optimizer", "scheduler"):
            if key in state:
                state[f"{key}s"] = {"model": state[key]}
    check_track(state, path, track)
    return state


def check_track(state: dict, path, track: str | None) -> None:
    """Raise if the checkpoint ``state`` read from ``path`` belongs to another track than ``track``."""
    saved_track = state.get("track")
    if track is not None and saved_track is not None and saved_track != track:
        raise ValueError(f"checkpoint {path} belongs to track {saved_track!r}, not {track!r}")


def inference_weights(state: dict) -> dict:
    """The weights to run a checkpoint with, per network: the weight average (``ema``) where the
    run kept one, else the trained weights."""
    return {**state["networks"], **state.get("ema", {})}


def read_options(path, state: dict | None = None) -> dict:
    """The training options of a checkpoint: ``options.json`` beside a published model, else the
    options saved inside a training checkpoint."""
    path = Path(path)
    beside = path.parent / "options.json"
    if beside.is_file():
        return json.loads(beside.read_text(encoding="utf-8"))
    options = (state if state is not None else load_checkpoint(path)).get("options")
    if options is None:
        raise FileNotFoundError(f"{path}: no options inside and no {beside}")
    return options


def write_metrics(dest, metrics: dict) -> None:
    """A published model's ``metrics.json``, written atomically."""
    atomic_write_text(Path(dest) / "metrics.json", json.dumps(metrics, indent=2, ensure_ascii=False) + "\n")


def publish(run_dir, dest, metrics: dict, which: str = "best") -> Path:
    """Copy a run's best model (``best.pdparams``, else ``last.pdparams``; ``which="last"``: always
    ``last.pdparams``; weights only), its options and log into ``dest`` with ``metrics``; every file
    written atomically."""
    run_dir, dest = Path(run_dir), Path(dest)
    if which not in ("best", "last"):
        raise ValueError(f"publish: which must be best or last, got {which!r}")
    best = run_dir / "best.pdparams"
    source = best if which == "best" and best.is_file() else run_dir / "last.pdparams"
    state = load_checkpoint(source)
    dest.mkdir(parents=True, exist_ok=True)
    atomic_save(
        {
            "version": CHECKPOINT_VERSION,
            "track": state.get("track"),
            "networks": inference_weights(state),
            "iteration": state["iteration"],
        },
        dest / "model.pdparams",
    )
    atomic_write_text(dest / "options.json", json.dumps(state["options"], indent=2) + "\n")
    write_metrics(dest, metrics)
    shutil.copyfile(run_dir / "log.csv", dest / "log.csv.tmp")
    os.replace(dest / "log.csv.tmp", dest / "log.csv")
    return dest
