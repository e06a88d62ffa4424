"""Training: the engine (lib.train.engine) and the blurred-document experiment built on it.

    python -m lib.train --config deblur --profile demo        # train (resumes if interrupted)
    python -m lib.train --config deblur --profile full        # the 1st-place schedule, on a GPU
"""
from __future__ import annotations

from pathlib import Path

from ..config import load_config
from ..paths import RUNS_DIR
from .engine import Trainer, TrainData, load_checkpoint, resolve_options


def default_run_dir(track: str, profile: str) -> Path:
    return RUNS_DIR / "train" / f"{track}-{profile}"


def deblur_train_data(prepared) -> TrainData:
    """Training patches (gradient-filtered meta file), the held-out pages for validation, and
    both together for the all-data fine-tune (validation pages join as whole images)."""
    from ..data.pairs import list_pairs
    from ..data.prepare import read_meta_file

    patches = read_meta_file(prepared.meta_file)
    val = list_pairs(prepared.val_dir)
    return TrainData(train_pairs=patches, all_pairs=patches + [(b, g) for _, b, g in val], val_pairs=val)


def deblur_trainer(profile: str | None = None, out_dir: Path | None = None, prepared=None,
                   quiet: bool | None = None, **overrides) -> Trainer:
    """A Trainer for the blurred-document track: options from the profile's ``model`` and ``train``
    sections (``overrides`` replace train options), data from the prepared folder (made if needed)."""
    from ..data.prepare import prepare_deblur

    cfg = load_config("deblur", profile)
    options = {**cfg["train"], "model": {"name": "nafnet", **cfg["model"]}, **overrides}
    prepared = prepared or prepare_deblur(cfg["profile"])
    out_dir = Path(out_dir) if out_dir else default_run_dir("deblur", cfg["profile"])
    return Trainer(options, deblur_train_data(prepared), out_dir, quiet=quiet)


def publish_deblur(trainer: Trainer, profile: str, dest: Path | None = None, data: Path | None = None) -> Path:
    """Score the run's best model on test_A (against the input and the tuned classical baselines)
    and publish it with its options, log and metrics (see lib.checkpoints)."""
    from ..checkpoints import CHECKPOINT_DIR, load_deblur_model, publish
    from ..evaluate import compare_methods, load_pairs
    from ..paths import data_root

    model = load_deblur_model(trainer.best_path if trainer.best_path.exists() else trainer.last_path)
    test = load_pairs(Path(data or data_root("deblur", profile)) / "test_A")
    val = load_pairs(trainer.data.val_pairs)
    rows = compare_methods(test, val, model)
    metrics = {"profile": profile, "evaluated_on": "test_A", "iterations": trainer.iteration,
               "methods": rows}
    return publish(trainer.out_dir, dest or CHECKPOINT_DIR / f"deblur_nafnet_{profile}", metrics)


__all__ = ["Trainer", "TrainData", "load_checkpoint", "resolve_options", "deblur_trainer", "deblur_train_data",
           "default_run_dir"]
