"""The package's shape. Each solution's own code lives in its folder ``lib/tracks/<folder>/``; the
shared layers (everything else in ``lib/``: the ``lib/`` root, ``lib/data``, ``lib/models``, ``lib/train``,
``lib/export``, ``lib/submission``, ``lib/evaluate``, the registry ``lib/tracks/__init__.py`` + ``base.py`` +
``deployment.py`` ...) name no track and import no track module (they reach tracks by name through the registry).

Who may import whom is pyproject.toml's import contracts (``[tool.importlinter]``: lib never imports lab, shared
layers import no track package, track packages are independent, the layers of lib, no cycles), checked here by
running ``lint-imports`` on the tree and on copies with one offending import added. What contracts cannot say is
tested here directly: no shared module is named after a track or names one in a string, lib names no path into
lab/, every track has its folder, and lib/README.md's maps match the tree."""

import ast
import importlib
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from lib.tracks import KNOWN_TRACKS, get_track

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
TRACK_WORDS = sorted({name.split("_")[0] for name in KNOWN_TRACKS})  # deblur, denoise, deocclusion, ...
TRACK_PACKAGES = sorted(set(KNOWN_TRACKS.values()))
REGISTRY = {"lib.tracks", "lib.tracks.base", "lib.tracks.deployment", "lib.tracks.sources"}
# lib/models/ files are named after the architecture they define (BasicSR's archs/), and one track,
# sdwnet, after its architecture: those names are not a track's
ARCHITECTURES = {model for name in KNOWN_TRACKS for model in get_track(name).models}


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def lib_modules(root: Path = ROOT) -> dict:
    """Every module of lib under ``root``: dotted name -> file."""
    return {module_name(p, root): p for p in sorted((root / "lib").rglob("*.py"))}


def is_track_module(name: str) -> bool:
    """A module inside a track's folder, lib.tracks.<folder>[.<module>]."""
    return name.startswith("lib.tracks.") and name not in REGISTRY


# ------------------------------------------------------------------ the import contracts (lint-imports)
def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` in ``root`` (its pyproject.toml, its lib/ and lab/ first on the path), without a cache."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"], cwd=root, capture_output=True, text=True, timeout=300
    )


def test_the_import_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 6 kept, 0 broken." in result.stdout, result.stdout  # every contract ran


def contracts() -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    return {contract["type"] + ":" + contract["name"]: contract for contract in config["contracts"]}


def test_the_contracts_name_every_track_package_and_every_shared_package():
    """The contracts' lists follow the tree: a new track package or a new package of lib is in them."""
    by_type = {}
    for key, contract in contracts().items():
        by_type.setdefault(key.split(":")[0], []).append(contract)
    (independence,) = by_type["independence"]
    assert sorted(independence["modules"]) == TRACK_PACKAGES
    shared, registry = sorted(
        (c for c in by_type["forbidden"] if c["forbidden_modules"] != ["lab"]), key=lambda c: len(c["source_modules"])
    )[::-1]
    assert sorted(shared["forbidden_modules"]) == TRACK_PACKAGES
    children = {".".join(name.split(".")[:2]) for name in lib_modules() if name != "lib"}
    assert set(shared["source_modules"]) == children - {"lib.tracks"} | REGISTRY - {"lib.tracks"}
    assert registry["source_modules"] == ["lib.tracks"] and registry["as_packages"] is False
    assert sorted(registry["forbidden_modules"]) == sorted(TRACK_PACKAGES + [f"{p}.**" for p in TRACK_PACKAGES])


def python_files(src, names):
    """shutil.copytree's ignore: everything but folders and Python files (lint-imports reads nothing else)."""
    return [n for n in names if not (Path(src, n).is_dir() or n.endswith(".py")) or n == "__pycache__"]


@pytest.fixture(scope="module")
def clean_copy(tmp_path_factory):
    """lib/, lab/ and pyproject.toml copied; the contracts hold on the copy as on the tree."""
    root = tmp_path_factory.mktemp("tree")
    for folder in ("lib", "lab"):
        shutil.copytree(ROOT / folder, root / folder, ignore=python_files)
    shutil.copy(ROOT / "pyproject.toml", root)
    result = lint_imports(root)
    assert result.returncode == 0, result.stdout + result.stderr
    return root


@pytest.mark.parametrize(
    "module, source, broken",
    [
        ("lib/metrics.py", "import lab\n", "lib never imports lab"),
        ("lib/infer/probe.py", "def f():\n    from lib.tracks.denoise import baselines\n", "Shared layers import no"),
        ("lib/tracks/__init__.py", "from .retouch import data\n", "The registry module imports no track"),
        ("lib/tracks/denoise/probe.py", "from lib.tracks.sdwnet import viz\n", "Track packages are independent"),
        ("lib/config.py", "def f():\n    from lib.data import pairs\n", "Layers of lib"),
        ("lib/data/pairs.py", "def f():\n    from .prepare import downsample\n", "No import cycles"),
    ],
)
def test_each_contract_catches_a_probe(clean_copy, tmp_path, module, source, broken):
    """One offending import in a copy of the tree breaks the contract that forbids it, and lint-imports fails."""
    root = tmp_path / "tree"
    shutil.copytree(clean_copy, root)
    path = root / module
    path.write_text((path.read_text() if path.exists() else "") + source)
    result = lint_imports(root)
    assert result.returncode == 1, result.stdout + result.stderr
    assert any(line.startswith(broken) and " BROKEN" in line for line in result.stdout.splitlines()), result.stdout


# ------------------------------------------------------------------ shared layers name no track
def test_shared_modules_are_named_after_no_track():
    named = []
    for name in lib_modules():
        words = re.split(r"[._]", name.removeprefix("lib."))
        if not is_track_module(name) and name not in ARCHITECTURES and any(w in words for w in TRACK_WORDS):
            named.append(name)
    assert named == [], f"shared modules named after a track (move them to lib/tracks/<track>/): {named}"


TRACK_WORD = re.compile(r"(?<![A-Za-z])(" + "|".join(TRACK_WORDS) + r")(?![a-z])")
# Where a track's name is not a track: the entry point that gives each track its tab, reaching it by name
# (lib.app), the registry's own table, and architectures named like a track (the network registry's "sdwnet";
# RetouchGUNet's arch "retouch", which notebook 08 builds by that name: gunet_from_config("retouch")).
NOT_SHARED = ("lib/app/",)
REGISTRY_TABLE = ("lib/tracks/__init__.py", "KNOWN_TRACKS")
ARCHITECTURE_WORDS = {"lib/models/gunet.py": {"retouch"}, "lib/train/registry.py": {"sdwnet"}}


def track_names_in_source(root: Path = ROOT) -> list[str]:
    """Every string constant of a shared module under ``root`` that names a track (a default value, a dict key, a
    message, a path): not its docstrings, comments or identifiers. Shared: all of lib/ but the track folders,
    lib/tracks/sources.py, the registry's table and the app."""
    found = []
    for name, path in lib_modules(root).items():
        where = path.relative_to(root).as_posix()
        if is_track_module(name) or name == "lib.tracks.sources" or where.startswith(NOT_SHARED):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = docstring_nodes(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and (where, getattr(node.targets[0], "id", None)) == REGISTRY_TABLE:
                skip |= {id(n) for n in ast.walk(node.value)}
        allowed = ARCHITECTURE_WORDS.get(where, set())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
                words = set(TRACK_WORD.findall(node.value)) - allowed
                if words:
                    found.append(f"{where}:{node.lineno}: {node.value[:80]!r} names {sorted(words)}")
    return found


def test_shared_layers_name_no_track_in_their_source():
    """Not even as a default: the caller (a track's own code, a command line given the track) passes it."""
    assert track_names_in_source() == []


@pytest.mark.parametrize(
    "module, source, expected",
    [
        ("lib/data/probe.py", 'def prepare(profile=None, track="deblur"):\n    pass\n', "names ['deblur']"),
        ("lib/infer/probe.py", "ROOT = 'data/denoise-prepared'\n", "names ['denoise']"),
        ("lib/probe.py", 'TABS = {"retouch": 1}\n', "names ['retouch']"),
        ("lib/tracks/base.py", 'def f(track):\n    return track or "deocclusion_seg"\n', "names ['deocclusion']"),
        ("lib/models/gunet.py", 'DEFAULT_TRACK = "deblur"\n', "names ['deblur']"),
    ],
)
def test_the_track_name_scan_catches_a_probe(tmp_path, module, source, expected):
    """The scan fails on a shared module with one string naming a track added, and passes the same names in a
    docstring, a comment or an identifier."""
    path = tmp_path / module  # the module as it is, if it exists, beside one that names tracks only where it may
    path.parent.mkdir(parents=True, exist_ok=True)
    if (ROOT / module).exists():
        shutil.copy(ROOT / module, path)
    (tmp_path / "lib" / "fine.py").write_text(
        '"""Reads data/deblur like the deblur track."""\n'
        "# the denoise track\n"
        "def retouch_free(sdwnet_like):\n    pass\n"
    )
    assert track_names_in_source(tmp_path) == []
    path.write_text((path.read_text() if path.exists() else "") + source)
    problems = track_names_in_source(tmp_path)
    assert len(problems) == 1 and problems[0].startswith(module) and expected in problems[0], problems


@pytest.mark.parametrize(
    "command, argv, option",
    [
        ("lib.data.__main__", ["check", "."], "--track"),
        ("lib.export.__main__", [], "--track"),
        ("lib.train.__main__", [], "--config"),
    ],
)
def test_command_lines_require_the_track(capsys, command, argv, option):
    """No command line picks a track for its caller (make passes TRACK)."""
    with pytest.raises(SystemExit) as exit_:
        importlib.import_module(command).main(argv)
    assert exit_.value.code == 2 and f"required: {option}" in capsys.readouterr().err


def test_every_name_a_notebook_imports_from_lib_or_lab_exists():
    """Notebooks are not edited when code moves: what they import stays importable where they import it from
    (e.g. lib.tracks.deblur.evaluate and .baselines, which re-export lib.evaluate)."""
    missing = []
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            code = "".join(cell["source"])
            code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))
            for node in ast.walk(ast.parse(code)):
                if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("lib", "lab"):
                    module = importlib.import_module(node.module)
                    for alias in node.names:
                        if not hasattr(module, alias.name):
                            try:
                                importlib.import_module(f"{node.module}.{alias.name}")
                            except ImportError:
                                missing.append(f"{notebook.name}: from {node.module} import {alias.name}")
    assert missing == []


# ------------------------------------------------------------------ lib reads neither lab/bench/ nor lab/experiments/
OUTSIDE = ("lab",)  # how the course is checked and studied: it reads lib, never the other way
OUTSIDE_PATH = re.compile(r"(?:^|[\s\"'`(=/])(" + "|".join(OUTSIDE) + r")(?:/|$)")


def docstring_nodes(tree: ast.AST) -> set:
    """The docstrings of a module, its classes and functions: prose, which may name where results come from."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def outside_references(root: Path = ROOT) -> list[str]:
    """Every place in lib's source under ``root`` that reaches lab/: an import of it, or a string (not a docstring)
    with it as a path part (``"lab"`` in a path join, ``"lab/bench/results/x.json"``, ``f"{repo}/lab/..."``)."""
    found = []
    for path in sorted((root / "lib").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        prose = docstring_nodes(tree)
        where = path.relative_to(root)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""] if not node.level else []
            else:
                modules = []
            for module in modules:
                if module.split(".")[0] in OUTSIDE:
                    found.append(f"{where}:{node.lineno}: imports {module}")
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in prose
                and OUTSIDE_PATH.search(node.value)
            ):
                found.append(f"{where}:{node.lineno}: names a path in {node.value!r}")
    return found


@pytest.mark.slow
def test_lib_reads_nothing_of_lab():
    """lib takes recorded results as a path or a loaded dict from its caller; only notebooks and lab/ name lab's
    folders."""
    assert outside_references() == []


@pytest.mark.parametrize(
    "source, expected",
    [
        ('RESULTS = ROOT / "lab" / "bench" / "results" / "x.json"\n', "names a path in 'lab'"),
        ('def load(path="lab/bench/results/deblur_claims.json"):\n    pass\n', "names a path in 'lab/bench/results/"),
        ('LAB = f"{ROOT}/lab/tracks/deblur"\n', "names a path in '/lab/tracks/deblur'"),
        ("import lab.tracks.deblur.data\n", "imports lab.tracks.deblur.data"),
        ("def f():\n    from lab.bench.harness import run\n", "imports lab.bench.harness"),
    ],
)
def test_the_outside_rule_catches_a_probe(tmp_path, source, expected):
    """The rule above fails on a lib/ with one offending module added, and a docstring or a word that is no path
    part (``label``, ``"lab"`` as a word in a sentence) does not trip it. (The rule reads each module on its own, so
    a lib/ of two modules checks it as well as a copy of the whole: test_lib_reads_nothing_of_lab runs it on lib.)"""
    (tmp_path / "lib" / "sub").mkdir(parents=True)
    (tmp_path / "lib" / "fine.py").write_text(
        '"""Reads lab/bench/results/x.json when its caller passes that path."""\n'
        'WORDS = "a label of the lab, see the lab_x script"\n'
    )
    assert outside_references(tmp_path) == []
    (tmp_path / "lib" / "sub" / "probe.py").write_text(source)
    problems = outside_references(tmp_path)
    assert len(problems) == 1 and problems[0].startswith("lib/sub/probe.py:") and expected in problems[0], problems


def test_every_track_has_its_folder_with_its_code():
    """Each registered track's package is a folder lib/tracks/<folder>/ holding the Track, and no
    track module is left directly in lib/tracks/."""
    for name in KNOWN_TRACKS:
        track = get_track(name)
        folder = ROOT / Path(*track.package.split("."))
        assert folder.is_dir() and (folder / "__init__.py").is_file(), f"{name}: no folder {folder}"
        assert type(track).__module__.startswith(track.package + "."), name
    registry = {name.rsplit(".", 1)[-1] for name in REGISTRY} | {"__init__"}
    loose = sorted(p.name for p in (ROOT / "lib" / "tracks").glob("*.py") if p.stem not in registry)
    assert loose == [], f"track modules outside a track folder: {loose}"


def readme_table(title: str) -> list[list[str]]:
    """The rows (cells) of the Markdown table under the heading ``title`` in lib/README.md."""
    text = (ROOT / "lib" / "README.md").read_text(encoding="utf-8")
    section = text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip().strip("|").split(" | ") for line in section.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row] for row in rows[1:]]  # without the header


def test_readme_maps_every_track_to_its_folder_notebooks_and_models():
    rows = {row[0]: row for row in readme_table("Tracks")}
    notebooks = {p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    folders = {p.name for p in (ROOT / "lib" / "tracks").iterdir() if (p / "__init__.py").is_file()}
    listed = set()
    for name in KNOWN_TRACKS:
        track = get_track(name)
        assert f"`{name}`" in rows, f"lib/README.md has no row for track {name}"
        row = " | ".join(rows[f"`{name}`"])
        folder = track.package.replace(".", "/") + "/"
        listed.add(folder.split("/")[-2])
        assert f"`{folder}`" in row, f"{folder} missing from the {name} row"
        for notebook in track.notebooks:
            assert notebook in notebooks, notebook
            assert f"`{notebook}`" in row, f"{notebook} missing from the {name} row"
        for model in track.models:
            assert (ROOT / Path(*model.split("."))).with_suffix(".py").is_file(), model
            assert f"`{model}`" in row, f"{model} missing from the {name} row"
        files = {p.name for p in (ROOT / folder).glob("*.py")} - {"__init__.py", "__main__.py"}
        for file in files if folder.endswith(f"/{name}/") else ():  # the folder's own track lists its files
            assert f"`{file}`" in row, f"{folder}{file} missing from the {name} row"
    assert folders == listed, f"track folders of no registered track: {sorted(folders - listed)}"
    owned = {nb for name in KNOWN_TRACKS for nb in get_track(name).notebooks}
    assert notebooks <= owned, f"notebooks of no track: {sorted(notebooks - owned)}"


def test_readme_lists_every_shared_module_and_only_real_ones():
    named = {m for row in readme_table("Shared layers") for m in re.findall(r"`(lib\.[\w.]+)`", row[1])}
    shared = {m for m in lib_modules() if not is_track_module(m) and m != "lib"}
    assert named - shared == set(), f"lib/README.md names modules that do not exist: {sorted(named - shared)}"
    assert shared - named == set(), f"shared modules missing from lib/README.md: {sorted(shared - named)}"


def test_every_registered_model_builds_from_options():
    """Each network name a track config may use builds through lib.train.registry (the demo
    configurations of the model files), and an unknown name lists the known ones."""
    import paddle
    import pytest

    from lib.models import deepfillv2, gunet, mirnet_v2, sdwnet
    from lib.models.nafnet import count_parameters
    from lib.train.registry import MODELS, build_model

    demo = {
        "nafnet": {"width": 8, "enc_blk_nums": [1, 1], "dec_blk_nums": [1, 1]},
        "sdwnet": sdwnet.SDWNET_CONFIGS["demo"],
        "mirnet_v2": mirnet_v2.MIRNET_CONFIGS["demo"],
        "gunet": gunet.GUNET_CONFIGS["retouch-demo"],
        "deepfill_generator": deepfillv2.DEEPFILL_CONFIGS["demo"],
        "deepfill_discriminator": {},
        "deeplabv3": {"num_classes": 2, "backbone": "MobileNetV2_x0_25"},
    }
    assert set(demo) <= set(MODELS)
    for name, options in demo.items():
        net = build_model({"name": name, **options})  # small: built for real (spectral norm needs weights)
        assert isinstance(net, paddle.nn.Layer) and count_parameters(net) > 0, name
    with pytest.raises(ValueError, match="unknown model 'nope'; known: nafnet, sdwnet"):
        build_model({"name": "nope"})
