"""The learner's own NAFNet run of notebook 03 (你的模型): its recipe, its training and its recorded measurement.

* The recipe is an overlay of ``lab/tracks/deblur/overlays/`` (:data:`RECIPE`) merged over
  ``lib/configs/deblur.yaml``: the notebook trains exactly what ``python -m lab.experiments.train`` trains. The
  overlay sets only the demo profile; smoke and full are the options file's. The demo ``train`` section itself stays
  the recipe the shipped model was trained with (``make ship``: ``--schedule-scale 4`` of it).
* :func:`train` runs ``lib.train`` on those options in the profile's processes (``launch: nproc``) into the track's
  run folder (where notebooks 04 and 05 find 你的模型) and returns it; a second call resumes or finds the run
  finished.
* :func:`recorded` reads the recipe's measurement from ``lab/bench/results/deblur_short_recipe.json``
  (``lab/bench/bench_deblur_short_recipe.py``): its CPU time and its scores on test_A.
"""

from __future__ import annotations

import json
from pathlib import Path

RECIPE = "deblur/21_short_x03_lr4e-3"  # the overlay notebook 03 trains as 你的模型
RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results" / "deblur_short_recipe.json"


def recipe_options(profile: str | None = None, name: str = RECIPE, seed: int = 0) -> dict:
    """The ``train`` and ``model`` options of ``profile`` that the recipe trains with."""
    from lab.experiments.config import merged_options
    from lib.config import active_profile

    options = merged_options(name, seed)
    profile = active_profile(profile)
    return {"model": options["model"][profile], "train": options["train"][profile]}


def trained_with(options: dict, checkpoint) -> bool:
    """Whether ``checkpoint`` was written by a training with ``options``' schedule (stages, phases, optimizer,
    scheduler, seed): a run of another recipe in the same folder cannot be resumed."""
    from lib.checkpoints import read_options
    from lib.train import resolve_options

    keys = ("stages", "phases", "optimizer", "scheduler", "seed")
    ours = resolve_options({**options["train"], "model": {"name": "nafnet", **options["model"]}})
    saved = read_options(checkpoint)
    return json.loads(json.dumps({k: ours.get(k) for k in keys})) == {k: saved.get(k) for k in keys}


def train(profile: str, name: str = RECIPE, seed: int = 0, nproc: int | None = None, out_dir=None) -> Path:
    """Train (or resume) ``name``'s recipe with ``lib.train`` in ``nproc`` processes (default the profile's) into
    ``out_dir``, by default the track's run folder ``runs/train/deblur-<profile>``, where notebooks 04 and 05 find
    你的模型 (:meth:`lib.tracks.base.Track.find_checkpoint`); a run of another recipe there is started over.
    Returns the run folder. With the instructor's switch it trains nothing and returns the shipped model's folder
    (:func:`lib.train.launch.train_track`)."""
    from lab.experiments.config import write_options
    from lab.experiments.train import importable_in_children
    from lib.paths import RUNS_DIR, shipped_only, shown_path
    from lib.tracks import get_track
    from lib.train.launch import train_track

    if shipped_only():
        return train_track("deblur", profile)
    out = Path(out_dir) if out_dir is not None else get_track("deblur").run_dir(profile)
    # beside the run folder, not in it: --fresh deletes the folder while the training processes start
    options = write_options(name, RUNS_DIR / "recipes" / f"{name.replace('/', '_')}-s{seed}.yaml", seed)
    extra = ["--options", str(options), "--out", str(out)]
    last = out / "last.pdparams"
    if last.is_file() and not trained_with(recipe_options(profile, name, seed), last):
        print(f"{shown_path(out)} 里是另一个配方的训练：从头训练你的模型")
        extra.append("--fresh")
    importable_in_children()  # the training processes import the overlay's extensions from this checkout
    train_track("deblur", profile, nproc, extra=tuple(extra))
    return out


def recorded(name: str = RECIPE, seed: int = 0, path: Path = RESULTS) -> dict | None:
    """The recorded measurement of ``name`` (seed ``seed``) in ``path``, None when it was not measured."""
    if not Path(path).is_file():
        return None
    runs = json.loads(Path(path).read_text(encoding="utf-8"))["runs"]
    return next((r for r in runs if (r["recipe"], r["seed"]) == (name, seed)), None)
