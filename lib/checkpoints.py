"""Trained models the notebooks use: the learner's own run if present, else the shipped demo model.

A published model folder (``checkpoints/deblur_nafnet_demo/``) holds ``model.pdparams`` (weights
only), ``options.json`` (the training options, including the model's), ``log.csv`` (the training
log) and ``metrics.json`` (test_A scores against the input and classical baselines).
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import paddle

from .paths import CHECKPOINT_DIR, RUNS_DIR

SHIPPED_DEBLUR = CHECKPOINT_DIR / "deblur_nafnet_demo"


def find_deblur_checkpoint(profile: str | None = None) -> Path:
    """The learner's best checkpoint of this profile (``runs/train/deblur-<profile>/best.pdparams``)
    if it exists, else the shipped demo model."""
    from .config import active_profile

    own = RUNS_DIR / "train" / f"deblur-{active_profile(profile)}" / "best.pdparams"
    if own.is_file():
        return own
    shipped = SHIPPED_DEBLUR / "model.pdparams"
    if not shipped.is_file():
        raise FileNotFoundError(f"no trained model: neither {own} nor {shipped} exists; run `make train`")
    return shipped


def load_deblur_model(path: Path | None = None, profile: str | None = None):
    """NAFNet with the weights of ``path`` (a training checkpoint or a published model.pdparams),
    built from the options saved beside or inside it; returns the model in eval mode."""
    from .train.engine import load_checkpoint
    from .train.registry import build_model

    path = Path(path) if path else find_deblur_checkpoint(profile)
    state = load_checkpoint(path)
    options = state.get("options")
    if options is None:
        options_file = path.parent / "options.json"
        if not options_file.is_file():
            raise FileNotFoundError(f"{path}: no options inside and no {options_file}")
        options = json.loads(options_file.read_text(encoding="utf-8"))
    model = build_model(options["model"])
    missing, unexpected = model.set_state_dict(state["model"])
    if missing or unexpected:
        raise ValueError(f"{path} does not fit the model in its options: missing {list(missing)[:5]}, "
                         f"unexpected {list(unexpected)[:5]}")
    model.eval()
    model.checkpoint_path = path
    return model


def publish(run_dir: Path, dest: Path, metrics: dict) -> Path:
    """Copy a run's best model (weights only), options and log into ``dest`` with ``metrics``;
    each file written to a temporary name, then renamed."""
    from .train.engine import atomic_save, load_checkpoint

    run_dir, dest = Path(run_dir), Path(dest)
    source = run_dir / "best.pdparams" if (run_dir / "best.pdparams").is_file() else run_dir / "last.pdparams"
    state = load_checkpoint(source)
    dest.mkdir(parents=True, exist_ok=True)
    atomic_save({"model": state["model"], "iteration": state["iteration"]}, dest / "model.pdparams")
    for name, text in (("options.json", json.dumps(state["options"], indent=2)),
                       ("metrics.json", json.dumps(metrics, indent=2, ensure_ascii=False))):
        tmp = dest / f"{name}.tmp"
        tmp.write_text(text + "\n", encoding="utf-8")
        os.replace(tmp, dest / name)
    shutil.copyfile(run_dir / "log.csv", dest / "log.csv.tmp")
    os.replace(dest / "log.csv.tmp", dest / "log.csv")
    return dest
