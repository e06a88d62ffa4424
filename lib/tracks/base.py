"""What a track is: one source solution taught end to end.

A track is its options file (``lib/configs/<track>.yaml``: every section with the smoke / demo /
full profiles side by side) plus a :class:`Track` subclass in its folder ``lib/tracks/<track>/``: the
recipe, i.e. how its data is generated and prepared, which training task it uses (lib.train.tasks), how it
is evaluated against its classical baselines and how its checkpoint is published. What it ships (the
deployable model, restoring an image, the submission zip, its tab in the web app) is its
:attr:`Track.deployment` (lib.tracks.deployment, a subclass in the same folder); :meth:`Track.deployed`,
:meth:`Track.predict` and :meth:`Track.build_submission` hand over to it. Every entry point goes through
the track: ``python -m lib.data <track>``, ``python -m lib.train --config <track>``,
``python -m lib.export --track <track>``, ``make train TRACK=<track>`` and the notebooks.

The profile: the public methods a notebook calls (:meth:`Track.config`, :meth:`Track.generate_data`,
:meth:`Track.prepare`, :meth:`Track.trainer`, :meth:`Track.evaluate`, :meth:`Track.publish`,
:meth:`Track.find_checkpoint`, :meth:`Track.load_model` ...) take ``profile=None`` for the course's
and resolve it once at their top (lib.config.active_profile); the helpers below them (:meth:`run_dir`,
:meth:`published_dir`, :meth:`predictions_dir`, :meth:`shipped_scores` ...) require it.

The defaults here are the single-network image-to-image case (deblurring, denoising,
retouching); a track overrides what differs.
"""

from __future__ import annotations

import copy
from pathlib import Path

from ..checkpoints import inference_weights, load_checkpoint, publish, read_options
from ..config import PROFILES, ConfigError, active_profile, apply_settings, check_profile, profile_config
from ..paths import CHECKPOINT_DIR, PUBLISHED_DIR, RUNS_DIR, data_root
from .deployment import Deployment


class Track:
    name: str = ""
    title: str = ""
    model_name: str = ""  # names the shipped folder checkpoints/<name>_<model_name>_demo
    notebooks: tuple = ()  # the notebooks that teach it, e.g. ("03_staged_training",)
    models: tuple = ()  # the lib.models architectures it trains (for lib/README.md's map)
    task = "restoration"  # a name of lib.train.tasks.TASKS or a Task subclass
    sections: tuple = ("data", "model", "train")
    train_section: str = "train"  # the engine's options (lib.train.engine)
    loader_section: str = "loader"  # its data loader's (workers, cache, small samples); optional
    config_file: Path | None = None  # default lib/configs/<name>.yaml
    deployment_class: type = Deployment  # what it ships (lib.tracks.deployment): a subclass in its folder
    data_track: str = ""  # whose generated sample data it reads (default: its own, data/<name>)
    settings: tuple = ()  # "section.key=value" changes to the options file (python -m lib.train --set)

    @property
    def package(self) -> str:
        """The package that holds this track's own code, ``lib.tracks.<folder>`` (test tracks: their module)."""
        module = type(self).__module__
        return module.rsplit(".", 1)[0] if module.startswith("lib.tracks.") else module

    @property
    def source(self):
        """Where this track's solution comes from (lib.tracks.sources.Source: its name in the notebooks,
        what it placed, its links); None for a track without one (tests' and experiments' own)."""
        from .sources import source_of

        return source_of(self.name)

    def __repr__(self) -> str:
        return f"<track {self.name}: {self.title}>"

    @property
    def deployment(self) -> Deployment:
        """What this track ships: its :attr:`deployment_class`, bound to it."""
        return self.deployment_class(self)

    # ------------------------------------------------------------------ options
    def config(self, profile: str | None = None) -> dict:
        """The track's options for ``profile`` (None: the course's); a ConfigError if a section it needs is missing."""
        cfg = profile_config(self.name, active_profile(profile), self.config_file)
        if self.settings:
            cfg = apply_settings(cfg, self.settings, self.settable_sections)
        missing = [s for s in self.sections if s not in cfg]
        if missing:
            where = self.config_file or f"lib/configs/{self.name}.yaml"
            raise ConfigError(f"{where}: missing section(s) {missing}; track {self.name!r} needs {list(self.sections)}")
        return cfg

    @property
    def settable_sections(self) -> tuple:
        """What :meth:`with_settings` may change: the network and its training. Not the data nor its
        preparation, which are made once per profile and shared by every run."""
        return ("model", self.train_section)

    def with_settings(self, settings) -> "Track":
        """This track with a few options changed, e.g. ``["model.width=32", "train.seed=1"]``
        (``python -m lib.train --set``): an experiment that differs from a profile in a few values,
        without a copy of the options file. A ConfigError now for a setting that cannot apply."""
        if not settings:
            return self
        changed = copy.copy(self)
        changed.settings = (*self.settings, *settings)
        for profile in PROFILES:
            changed.config(profile)
        return changed

    def model_spec(self, cfg: dict) -> dict:
        """The ``model`` options the task builds from: a single network gets its name added."""
        from ..train.tasks import get_task

        spec = dict(cfg["model"])
        if get_task(self.task).networks == ("model",):
            spec.setdefault("name", self.model_name)
        return spec

    def train_options(self, cfg: dict, **overrides) -> dict:
        """The engine's options: the ``train_section`` with the model and the ``loader_section``."""
        loader = {"loader": cfg[self.loader_section]} if cfg.get(self.loader_section) else {}
        return {**cfg[self.train_section], "model": self.model_spec(cfg), **loader, **overrides}

    def scaled_schedule(self, profile: str, factor: float) -> dict:
        """Trainer overrides that run ``profile``'s schedule ``factor`` times longer
        (``--schedule-scale``), from this track's own training options."""
        from ..train.schedule import scale_schedule

        return scale_schedule(self.train_options(self.config(check_profile(profile))), factor)

    # ------------------------------------------------------------------ data
    def data_root(self, profile: str | None = None) -> Path:
        """``$COURSE_DATA`` if set, else the generated sample data of ``profile`` (``data_track``'s)."""
        return data_root(self.data_track or self.name, profile)

    def generate_data(
        self, profile: str | None = None, out=None, *, seed: int = 0, force: bool = False, workers: int | None = None
    ) -> Path:
        """Write the sample data (deterministic for a seed) in the competition's layout under ``out``
        (default: the generated root of the profile; with ``out=None`` and ``$COURSE_DATA`` set,
        return the real download instead). Returns the root."""
        raise NotImplementedError(f"track {self.name!r} has no data generator")

    def check_data(self, root: Path) -> list[str]:
        """Validate a data root; returns one line per split checked, raises DataError listing every
        problem at once."""
        raise NotImplementedError(f"track {self.name!r} has no data check")

    def prepare(self, profile: str | None = None, source=None, force: bool = False):
        """What training reads, made from the data root (default: the data itself)."""
        return Path(source) if source else self.generate_data(profile)

    def train_data(self, prepared):
        """The engine's TrainData (train, all, val samples) from what :meth:`prepare` returned."""
        raise NotImplementedError(f"track {self.name!r} does not say what it trains on")

    # ------------------------------------------------------------------ training
    def run_dir(self, profile: str) -> Path:
        return RUNS_DIR / "train" / f"{self.name}-{check_profile(profile)}"

    def trainer(self, profile: str | None = None, out_dir=None, prepared=None, quiet: bool | None = None, **overrides):
        """A Trainer for this track: options from the profile's ``model`` and ``train`` sections
        (``overrides`` replace train options), data from the prepared folder (made if needed). A
        schedule in epochs becomes iterations over the prepared training samples
        (lib.train.schedule.resolve_epochs)."""
        import paddle

        from ..train.engine import Trainer
        from ..train.schedule import resolve_epochs

        cfg = self.config(profile)
        prepared = prepared if prepared is not None else self.prepare(cfg["profile"])
        out_dir = Path(out_dir) if out_dir else self.run_dir(cfg["profile"])
        data = self.train_data(prepared)
        options = resolve_epochs(
            self.train_options(cfg, **overrides), len(data.train), paddle.distributed.get_world_size()
        )
        return Trainer(options, data, out_dir, quiet=quiet, task=self.task, track=self.name)

    def evaluate(self, model, profile: str | None = None, data=None, val=None, out=None) -> dict:
        """Held-out metrics of ``model`` against the input and the tuned classical baselines. On a
        test board without ground truth (a competition's test_A / test_B): the restored images
        written to ``out`` (default :meth:`predictions_dir`) and no metrics
        (:meth:`predict_board`)."""
        raise NotImplementedError(f"track {self.name!r} has no evaluation")

    # ------------------------------------------------------------------ test boards without ground truth
    def predictions_dir(self, profile: str, board: str = "test_A") -> Path:
        """Where a board without ground truth gets its restored images:
        ``runs/predict/<track>-<profile>/<board>/`` (``evaluate(..., out=DIR)`` chooses another)."""
        return RUNS_DIR / "predict" / f"{self.name}-{check_profile(profile)}" / board

    def test_inputs(self, root, board: str = "test_A") -> Path:
        """The folder of a test board's input images (what the competition's ``predict.py`` is given)."""
        return Path(root) / board

    def predict_board(self, model, inputs, profile: str, board: str = "test_A", out=None, **predict_options) -> dict:
        """A test board without ground truth: :meth:`predict` its ``inputs`` folder into ``out``
        (default :meth:`predictions_dir`; ``predict_options`` go to :meth:`predict`), say so in one
        line, and return what ``evaluate`` records instead of metrics."""
        out = Path(out) if out is not None else self.predictions_dir(profile, board)
        report = self.predict(model, inputs, out, profile, **predict_options)
        restored, failed = report["restored"], report["failed"]
        seconds = [t["seconds"] for t in report["timings"]]
        print(
            f"{self.name}: {board} has no ground truth: restored {len(restored)} image(s) of {inputs} into {out}"
            + (f", {len(failed)} failed" if failed else "")
            + "; metrics skipped",
            flush=True,
        )
        return {
            "evaluated_on": f"{board} (no ground truth)",
            "ground_truth": False,
            "inputs": str(inputs),
            "metrics": "skipped: the board has no ground truth",
            "restored": len(restored),
            "failed": [list(f) for f in failed],
            "restored_dir": str(out),
            "seconds_per_image": float(sum(seconds) / len(seconds)) if seconds else None,
        }

    def publish(self, trainer, profile: str | None = None, dest=None, data=None, command: str | None = None) -> Path:
        """Score the run's best model (its last one with the train option ``publish: last``) with
        :meth:`evaluate` and copy it, its options, log and metrics (with the ``command`` that trained
        it) to ``dest`` (default :meth:`published_dir`)."""
        profile = active_profile(profile)  # a notebook's entry point
        model = self.load_model(trainer.publish_path)
        metrics = {
            "track": self.name,
            "profile": profile,
            "iterations": trainer.iteration,
            **({"model_iteration": model.checkpoint_iteration} if model.checkpoint_iteration else {}),
            **({"command": command} if command else {}),
            **self.evaluate(model, profile, data=data, val=trainer.data.val),
        }
        return publish(trainer.out_dir, dest or self.published_dir(profile), metrics, trainer.opts["publish"])

    def rescore(self, dest=None, data=None, **evaluate_options) -> Path:
        """Score a published model (default: the shipped demo one) again with :meth:`evaluate` and
        rewrite its metrics.json, keeping how it was trained: for a model whose score depends on
        another network (the de-occlusion inpainter's on the segmenter that makes its masks)."""
        import json

        from ..checkpoints import write_metrics

        dest = Path(dest or self.shipped_dir)
        if not (dest / "metrics.json").is_file() or not (dest / "model.pdparams").is_file():
            raise FileNotFoundError(f"{dest}: no published model (model.pdparams and metrics.json) to score again")
        old = json.loads((dest / "metrics.json").read_text())
        kept = {k: old[k] for k in ("track", "profile", "iterations", "model_iteration", "command") if k in old}
        metrics = {
            **kept,
            **self.evaluate(
                self.load_model(dest / "model.pdparams"), old.get("profile"), data=data, **evaluate_options
            ),
        }
        write_metrics(dest, metrics)
        return dest

    # ------------------------------------------------------------------ trained models
    @property
    def shipped_dir(self) -> Path:
        return CHECKPOINT_DIR / f"{self.name}_{self.model_name}_demo"

    def shipped_scores(self, profile: str) -> dict | None:
        """Under the instructor's switch (demo profile, generated data), the shipped model's recorded
        scores: its ``metrics.json``, written by the command that published it on the same generated
        data, so a notebook need not score it again (SDWNet's OCR: ~9 minutes). None otherwise (switch
        off, another profile, ``$COURSE_DATA`` set, nothing recorded): score the model."""
        import json

        from ..paths import generated_data_root, shipped_only

        recorded = self.shipped_dir / "metrics.json"
        if (
            not shipped_only()
            or check_profile(profile) != "demo"
            or not recorded.is_file()
            or data_root(self.name, profile) != generated_data_root(self.name, profile)
        ):
            return None
        return json.loads(recorded.read_text(encoding="utf-8"))

    def origin_zh(self, checkpoint) -> str:
        """Whose model ``checkpoint`` is, for a notebook's labels: 附带模型 (under ``checkpoints/``)
        or 你的模型 (a run or a published model of the learner's)."""
        shipped = Path(checkpoint).resolve().is_relative_to(self.shipped_dir.resolve())
        return "附带模型" if shipped else "你的模型"

    def published_dir(self, profile: str) -> Path:
        """Where ``--publish`` (``make train``) puts a learner's model of a profile:
        ``runs/published/<track>_<model>_<profile>/``, beside the runs and never over the shipped model
        (``checkpoints/``, rebuilt only by ``--ship``, ``make ship``)."""
        return PUBLISHED_DIR / f"{self.name}_{self.model_name}_{check_profile(profile)}"

    def find_checkpoint(self, profile: str | None = None) -> Path:
        """The learner's best checkpoint of this profile, else its published model. Only the demo
        profile (and smoke, CI's stand-in) then falls back to the shipped demo model: a full run
        that was never trained is an error naming the command that trains it, never the demo
        model in disguise. With the instructor's switch ``COURSE_SHIPPED=1``, the shipped model.
        """
        from ..paths import shipped_only

        profile = active_profile(profile)  # a notebook's entry point
        if shipped_only() and (self.shipped_dir / "model.pdparams").is_file():  # the instructor's switch
            return self.shipped_dir / "model.pdparams"
        own, published = self.run_dir(profile) / "best.pdparams", self.published_dir(profile) / "model.pdparams"
        for path in (own, published):
            if path.is_file():
                return path
        shipped = self.shipped_dir / "model.pdparams"
        if profile != "full" and shipped.is_file():
            return shipped
        raise FileNotFoundError(
            f"no trained {self.name} model for profile {profile!r}: neither {own} nor {published} exists"
            + ("" if profile == "full" else f" (nor the shipped {shipped})")
            + "; train it with "
            f"`make train TRACK={self.name} COURSE_PROFILE={profile}` or "
            f"`python -m lib.train --config {self.name} --profile {profile} --publish`"
        )

    def load_model(self, path=None, profile: str | None = None, network: str | None = None):
        """A trained network of this track in eval mode: the weights of ``path`` (a training
        checkpoint or a published model.pdparams; default :meth:`find_checkpoint`), built from the
        options saved beside or inside it. ``network``: which one, for multi-network tasks
        (default: ``model``, else the first). A checkpoint of another track is an error."""
        from ..train.registry import build_model
        from ..train.tasks import get_task

        path = Path(path) if path else self.find_checkpoint(profile)  # which resolves the profile
        state = load_checkpoint(path, track=self.name)
        options = read_options(path, state)
        specs = get_task(self.task).network_specs(options)
        network = network or ("model" if "model" in specs else next(iter(specs)))
        if network not in specs or network not in state["networks"]:
            raise ValueError(f"{path}: no network {network!r} (has {sorted(state['networks'])})")
        # the checkpoint replaces every weight: initial weights named in the spec (a backbone's
        # pretrained download, lib.models.deeplab) would only be fetched to be overwritten
        model = build_model({k: v for k, v in specs[network].items() if k != "pretrained"})
        missing, unexpected = model.set_state_dict(inference_weights(state)[network])
        if missing or unexpected:
            raise ValueError(
                f"{path} does not fit the {network!r} network of its options: missing "
                f"{list(missing)[:5]}, unexpected {list(unexpected)[:5]}"
            )
        model.eval()
        model.checkpoint_path = path
        model.checkpoint_iteration = state.get("iteration")  # the best model's may precede the run's end
        model.track = self.name
        return model

    # ------------------------------------------------------------------ what it ships: its deployment's
    @property
    def tlc(self) -> bool:
        """Whether the deployment converts the network to TLC (lib.models.tlc)."""
        return self.deployment.tlc

    @property
    def submission_zip(self) -> str | None:
        """The deployment's zip name under dist/ (None: ``<name>_submission.zip``)."""
        return self.deployment.submission_zip

    def deployed(self, model, profile: str | None = None):
        """What restores a test image (:meth:`Deployment.deployed`): ``model``, converted as the track ships it."""
        return self.deployment.deployed(model, profile)

    def predict(self, model, src_dir, out_dir, profile: str | None = None, **options) -> dict:
        """Restore every image of ``src_dir`` into ``out_dir`` under the same names (:meth:`Deployment.predict`).
        Returns its report (restored, failed, timings)."""
        return self.deployment.predict(model, src_dir, out_dir, profile, **options)

    def build_submission(self, model, out_zip=None, **options) -> dict:
        """Export ``model`` and pack the competition's submission (:meth:`Deployment.build_submission`; default
        ``dist/<track>_submission.zip``)."""
        return self.deployment.build_submission(model, out_zip, **options)
