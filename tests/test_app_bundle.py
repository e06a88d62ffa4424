"""The folder for AI Studio's app hosting (lib.app.bundle), its requirements (app/requirements.txt) and where the
app listens (lib.app.hosting). Installing and driving the bundle in a fresh environment is `make check-app`."""

import ast
import importlib.metadata as md
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lib.app import hosting
from lib.app.bundle import EXPORTED, MANIFEST, build_bundle, left_out
from lib.app.restore import tabs
from lib.export.cache import EXPORT_RECORD
from lib.tracks import deployment as deployments
from lib.tracks import get_deployment

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"([A-Za-z0-9_.\-]+)==([^\s;]+)(\s*;\s*python_version == \"3\.1[12]\")?")
DEV_TOOLS = {
    "jupyterlab", "jupyter-server", "notebook", "ipykernel", "ipywidgets", "nbclient", "nbformat", "nbval", "pytest",
    "pytest-xdist", "execnet", "ruff", "import-linter", "grimp", "playwright", "ipython",
}  # fmt: skip


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pins_of(path):
    pins = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            match = PIN.fullmatch(line)
            assert match, f"{path.name}: not an exact pin: {line!r}"
            pins[canonical(match.group(1))] = match.group(2)
    return pins


APP_PINS = pins_of(ROOT / "app" / "requirements.txt")
CONSTRAINTS = pins_of(ROOT / "constraints.txt")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle") / "app"
    build_bundle(out)
    return out


def relative_files(folder):
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_the_bundle_holds_the_entry_file_requirements_models_and_examples(bundle):
    files = relative_files(bundle)
    assert {"app.gradio.py", "requirements.txt", MANIFEST, "app/timing.json"} <= files
    assert (bundle / "requirements.txt").read_text() == (ROOT / "app" / "requirements.txt").read_text()
    assert (bundle / "app.gradio.py").read_bytes() == (ROOT / "app.gradio.py").read_bytes()
    shipped = {p.relative_to(ROOT).as_posix() for p in (ROOT / "checkpoints").rglob("*") if p.is_file()}
    assert shipped and shipped <= files
    for rel in shipped:
        assert (bundle / rel).stat().st_size == (ROOT / rel).stat().st_size
    examples = {p.relative_to(ROOT).as_posix() for p in (ROOT / "app" / "examples").glob("*.png")}
    assert len(examples) >= 5 and examples <= files
    for rel in ("lib/app/ui.py", "lib/app/restore.py", "lib/tracks/deployment.py", "lib/configs/deblur.yaml"):
        assert rel in files
    for package in ("paddleseg", "rapidocr_onnxruntime"):
        assert f"vendor/{package}/__init__.py" in files
    manifest = json.loads((bundle / MANIFEST).read_text())
    assert manifest["vendored"] == {d: CONSTRAINTS[d] for d in ("paddleseg", "rapidocr-onnxruntime")}


@pytest.mark.slow
def test_the_bundle_carries_each_tab_s_exported_models_as_onnx_only(bundle):
    manifest = json.loads((bundle / MANIFEST).read_text())
    folders = sorted((bundle / EXPORTED).iterdir())
    assert sorted(manifest["exported"]) == [f.name for f in folders]
    assert len(folders) == sum(len(d.export_variants) for d in tabs())  # deblur: TLC on and off
    for folder in folders:
        files = relative_files(folder)
        assert EXPORT_RECORD in files and files == set(manifest["exported"][folder.name])
        onnx = sorted(f for f in files if f.endswith(".onnx"))
        assert onnx in (["model.onnx"], ["inpainter/model.onnx", "segmenter/model.onnx"]), files
        assert not [f for f in files if f.endswith((".pdiparams", ".pdmodel")) or f.rpartition("/")[2] == "model.json"]


def test_the_hosted_app_finds_the_bundle_s_exports_and_runs_them(bundle, monkeypatch, tmp_path):
    """The key of the shipped checkpoints and the hosted app's settings names the bundle's folders: nothing is
    exported, and ONNX Runtime restores with the copy."""
    monkeypatch.setenv("COURSE_SHIPPED", "1")
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    monkeypatch.setattr(deployments, "SHIPPED_EXPORTS", bundle / EXPORTED)
    monkeypatch.setattr(deployments, "APP_EXPORTS", tmp_path / "exported")
    monkeypatch.setattr(deployments, "_models", {})
    for deployment in tabs():
        for variant in deployment.export_variants:
            folder, fresh = deployment.exported("demo", **variant)
            assert not fresh and folder.parent == bundle / EXPORTED, (deployment.name, variant)
    assert not (tmp_path / "exported").exists()
    runner = get_deployment("denoise").runner()
    assert runner.backend == "onnx" and runner.folder.parent == bundle / EXPORTED
    side = 2 * runner.multiple
    image = np.random.default_rng(0).random((1, 3, side, 2 * side), dtype=np.float32)
    assert runner(image).shape == image.shape


def test_the_bundle_leaves_out_tests_notebooks_lab_data_and_the_command_lines(bundle):
    files = relative_files(bundle)
    tops = {rel.split("/")[0] for rel in files}
    assert tops == {"app.gradio.py", "requirements.txt", MANIFEST, "app", "checkpoints", "lib", "vendor"}
    assert not [f for f in files if f.endswith((".ipynb", ".pyc")) or "__pycache__" in f]
    assert not [f for f in files if f.endswith("/__main__.py") or f.startswith("lib/") and f.endswith("/viz.py")]
    for rel in ("lib/runner.py", "lib/app/bundle.py", "lib/app/check.py", "lib/app/timing.py", "lib/viz.py"):
        assert rel not in files


def module_name(rel):
    name = rel[:-3].replace("/", ".")
    return name[: -len(".__init__")] if name.endswith(".__init__") else name


def imports_of(path, name):
    """Every module ``path`` (module ``name``) imports, relative imports resolved, inside functions too; a
    ``from a import b`` counts as both ``a`` and ``a.b``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_bytes())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            found |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    return found


def test_no_module_the_bundle_carries_imports_one_it_leaves_out(bundle):
    lib_dir = ROOT / "lib"
    rels = [p.relative_to(lib_dir).as_posix() for p in lib_dir.rglob("*.py")]
    gone = {module_name(f"lib/{rel}") for rel in rels if left_out(rel)}
    assert {"lib.runner", "lib.viz", "lib.app.check"} <= gone  # what the check below looks for
    carried = [p for p in (bundle / "lib").rglob("*.py")] + [bundle / "app.gradio.py"]
    wrong = {}
    for path in carried:
        name = module_name(path.relative_to(bundle).as_posix())
        hits = imports_of(path, name) & gone
        if hits:
            wrong[name] = sorted(hits)
    assert not wrong, f"carried modules import ones the bundle leaves out: {wrong}"


def test_app_requirements_pin_every_package_exactly_at_the_course_versions():
    assert len(APP_PINS) > 20
    # the headless wheel is the course's OpenCV version without the GUI
    assert APP_PINS["opencv-python-headless"] == CONSTRAINTS["opencv-python"]
    for name, version in APP_PINS.items():
        if name != "opencv-python-headless":
            assert CONSTRAINTS.get(name) == version, f"app/requirements.txt: {name}=={version}, constraints.txt differs"
    needed = {"gradio", "numpy", "onnxruntime", "pillow", "pyyaml", "scipy", "scikit-image", "pywavelets", "shapely"}
    assert needed <= set(APP_PINS), needed - set(APP_PINS)


def test_app_requirements_have_no_gui_opencv_no_paddle_no_vendored_package_and_no_dev_tool():
    names = set(APP_PINS)
    assert "opencv-python" not in names
    assert not names & {"paddlepaddle", "paddlepaddle-gpu"}  # the host's (lib.app.hosting)
    assert not names & {"paddleseg", "rapidocr-onnxruntime"}  # in the bundle's vendor/
    assert not names & DEV_TOOLS, names & DEV_TOOLS


def test_app_requirements_are_closed_under_what_each_package_declares():
    """Every requirement that a pinned package declares (installed metadata, Python 3.11 markers) is pinned too, so
    pip installs nothing unpinned; the headless OpenCV declares what the GUI build does."""
    from packaging.requirements import Requirement

    env = {"python_version": "3.11", "python_full_version": "3.11.0", "extra": ""}
    skipped = {"paddlepaddle", "paddlepaddle-gpu"}
    missing = {}
    for name in APP_PINS:
        dist = md.distribution("opencv-python" if name == "opencv-python-headless" else name)
        for text in dist.requires or ():
            requirement = Requirement(text)
            if requirement.marker is not None and not requirement.marker.evaluate(env):
                continue
            wanted = canonical(requirement.name)
            if wanted not in APP_PINS and wanted not in skipped:
                missing.setdefault(name, []).append(text)
    assert not missing, f"declared but not pinned: {missing}"


def test_a_bundle_is_told_by_its_manifest(bundle, tmp_path):
    assert hosting.in_bundle(bundle)
    assert not hosting.in_bundle(tmp_path)
    assert not hosting.in_bundle(ROOT)


def test_the_entry_file_puts_the_bundle_vendor_first(bundle, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    hosting.prepare_hosted(bundle)
    assert sys.path[0] == str(bundle / "vendor")


@pytest.mark.slow
def test_app_requirements_are_what_the_app_imports():
    """app/requirements.txt is what `python -m lib.app.requirements` writes from the app's imports now (after a
    change of what the app imports, run it again)."""
    done = subprocess.run(
        [sys.executable, "-m", "lib.app.requirements", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
