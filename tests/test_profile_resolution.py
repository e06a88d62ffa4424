"""The profile (smoke / demo / full) is resolved once, at an entry point, and passed down.

``lib.config.active_profile`` (its name, else ``$COURSE_PROFILE``, else demo) may only be called by the
entry points listed in ALLOWED: the command lines and the public functions and methods a notebook cell
calls with ``profile=None``. The shared helpers below them take the profile as a required argument: a
missing one is a TypeError, an explicit None a ConfigError, and ``$COURSE_PROFILE`` never changes
what they do."""

import ast
import sys
from pathlib import Path

import pytest
import yaml

from lib import paths
from lib.config import CONFIG_DIR, ConfigError, load_config
from lib.data import folders
from lib.data.prepare import prepare_patches, prepared_root
from lib.infer import tlc_options
from lib.tracks import get_track

ROOT = Path(__file__).resolve().parents[1]

# (file under lib/, function or Class.method) -> why it may resolve the profile
ALLOWED = {
    # command lines: resolve --profile / $COURSE_PROFILE once in main
    ("data/__main__.py", "main"): "python -m lib.data",
    ("train/__main__.py", "main"): "python -m lib.train (make train)",
    ("export/__main__.py", "main"): "python -m lib.export (make export)",
    ("runner.py", "main"): "python -m lib.runner (make run): also exports it to every kernel",
    # the public API a notebook cell calls with profile=None
    ("config.py", "load_config"): "load_config('deblur')",
    ("paths.py", "data_root"): "data_root('deblur') in notebook 03",
    ("infer/options.py", "tlc_options"): "tlc_options() in notebooks 04 and 05",
    ("infer/options.py", "submission_tiling"): "submission_tiling(PROFILE, track) in notebook 04",
    ("tracks/base.py", "Track.config"): "track.config()",
    ("tracks/base.py", "Track.publish"): "track.publish(trainer) after a notebook's training",
    ("tracks/base.py", "Track.find_checkpoint"): "track.find_checkpoint(), and through it track.load_model()",
    ("tracks/deblur/data.py", "ensure_dataset"): "ensure_dataset() in notebooks 00, 01, 04 and 05",
    ("tracks/denoise/data/generator.py", "ensure_dataset"): "its track.generate_data()",
    ("tracks/deocclusion/data.py", "ensure_dataset"): "its track.generate_data()",
    ("tracks/retouch/data.py", "ensure_dataset"): "its track.generate_data()",
    ("tracks/deblur/track.py", "BlurredPages.generate_data"): "track.generate_data()",
    ("tracks/deblur/track.py", "BlurredPages.prepare"): "track.prepare()",
    ("tracks/deblur/track.py", "DeblurTrack.evaluate"): "track.evaluate(model)",
    ("tracks/sdwnet/track.py", "SDWNetTrack.prepare"): "track.prepare()",
    ("tracks/sdwnet/track.py", "SDWNetTrack.evaluate"): "track.evaluate(model)",
    ("tracks/denoise/track.py", "DenoiseTrack.prepare"): "track.prepare()",
    ("tracks/denoise/track.py", "DenoiseTrack.evaluate"): "track.evaluate(model)",
    ("tracks/retouch/track.py", "RetouchTrack.evaluation_sets"): "track.evaluation_sets() in notebook 08",
    ("tracks/retouch/track.py", "RetouchTrack.evaluate"): "track.evaluate(model)",
    # the deployments' public API (the web app's and track.predict's entry), kept as they are for now
    ("tracks/deployment.py", "Deployment.model"): "the web app's model of the course's profile",
    ("tracks/deployment.py", "Deployment.runner"): "the web app's exported model of the course's profile",
    ("tracks/deployment.py", "Deployment.model_card_zh"): "the web app's model card names the profile",
    ("tracks/deocclusion/deployment.py", "DeocclusionDeployment.runner"): "its tab's runner (forgets the segmenter)",
    ("tracks/deocclusion/deployment.py", "DeocclusionDeployment.build_submission"): "track.build_submission",
    ("tracks/deocclusion/deployment.py", "train_segmenter_command"): "an error message's command; still resolves",
}


def calls_in(tree: ast.AST, scope: tuple = ()):
    """The enclosing ``Class.function`` of every ``active_profile(...)`` call under ``tree``."""
    for child in ast.iter_child_nodes(tree):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield from calls_in(child, (*scope, child.name))
            continue
        if isinstance(child, ast.Call):
            func = child.func
            if (func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)) == "active_profile":
                yield ".".join(scope) or "<module>"
        yield from calls_in(child, scope)


def active_profile_calls() -> set[tuple[str, str]]:
    """(file under lib/, enclosing Class.function) of every call of ``active_profile(...)`` in lib/."""
    return {
        (path.relative_to(ROOT / "lib").as_posix(), where)
        for path in sorted((ROOT / "lib").rglob("*.py"))
        for where in calls_in(ast.parse(path.read_text(encoding="utf-8")))
    }


@pytest.mark.slow
def test_only_entry_points_resolve_the_profile():
    calls = active_profile_calls()
    assert calls, "the scan found no call at all: it is broken"
    outside = sorted(calls - set(ALLOWED))
    assert not outside, f"active_profile() below the entry points (pass the resolved profile down instead): {outside}"
    stale = sorted(set(ALLOWED) - calls)
    assert not stale, f"ALLOWED lists places that no longer resolve the profile: {stale}"


def test_the_scan_sees_a_call_inside_a_method(tmp_path, monkeypatch):
    """The scan itself: a call nested in a method's expression is found under Class.method."""
    fake = tmp_path / "lib" / "x.py"
    fake.parent.mkdir()
    fake.write_text("class A:\n    def f(self, p=None):\n        return g(h(active_profile(p)))\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert active_profile_calls() == {("x.py", "A.f")}


def test_shared_helpers_require_the_profile(tmp_path):
    with pytest.raises(TypeError):
        paths.generated_data_root("deblur")  # no profile
    with pytest.raises(TypeError):
        prepare_patches(source=tmp_path, track="deblur")  # no profile
    with pytest.raises(ConfigError, match="no profile given"):
        paths.generated_data_root("deblur", None)
    with pytest.raises(ConfigError, match="no profile given"):
        get_track("deblur").run_dir(None)
    with pytest.raises(ConfigError, match="no profile given"):
        folders.ensure_dataset(get_track("deblur"), None, tmp_path)


def test_helpers_ignore_the_environment_and_entry_points_read_it(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_PROFILE", "full")
    monkeypatch.delenv("COURSE_DATA", raising=False)
    monkeypatch.setattr(paths, "DATA_DIR", tmp_path)
    monkeypatch.setattr("lib.data.prepare.DATA_DIR", tmp_path)
    source = tmp_path / "deblur-smoke"
    # helpers: the profile they are given, whatever $COURSE_PROFILE says
    assert paths.generated_data_root("deblur", "smoke") == tmp_path / "deblur-smoke"
    assert prepared_root(source, "smoke", "deblur") == tmp_path / "deblur-smoke-prepared"
    assert get_track("deblur").published_dir("demo").name == "deblur_nafnet_demo"
    # entry points with profile=None: the course's profile, from the environment
    assert load_config("deblur")["profile"] == "full"
    assert paths.data_root("deblur") == tmp_path / "deblur-full"
    raw = yaml.safe_load((CONFIG_DIR / "deblur.yaml").read_text(encoding="utf-8"))["tlc"]["full"]
    assert tlc_options() == {"train_size": raw["train_size"], "factor": float(raw["factor"])}
