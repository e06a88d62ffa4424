"""The package's shape. Each solution's own code lives in its folder ``lib/tracks/<folder>/``; the
shared layers (the ``lib/`` root, ``lib/data``, ``lib/models``, ``lib/train``, ``lib/export``,
``lib/submission`` and the registry ``lib/tracks/__init__.py`` + ``base.py``) are named after no
track and import no track module (they reach tracks by name through the registry). No import
cycles (counting imports inside functions too), and lib/README.md's map matches the tree."""

import ast
import re
import shutil
from pathlib import Path

import pytest

from lib.tracks import KNOWN_TRACKS, get_track

ROOT = Path(__file__).resolve().parents[1]
TRACK_WORDS = sorted({name.split("_")[0] for name in KNOWN_TRACKS})  # deblur, denoise, deocclusion, ...
REGISTRY = {"lib.tracks", "lib.tracks.base", "lib.tracks.sources"}
# lib/models/ files are named after the architecture they define (BasicSR's archs/), and one track,
# sdwnet, after its architecture: those names are not a track's
ARCHITECTURES = {model for name in KNOWN_TRACKS for model in get_track(name).models}


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path = ROOT) -> dict:
    """lib module -> the lib modules it imports, anywhere in its source (absolute or relative)."""
    modules = {module_name(p, root): p for p in (root / "lib").rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rsplit(".", 1)[0] if "." in target else ""
                if target and target not in (name, "lib"):
                    edges.add(target)
        graph[name] = edges
    return graph


def cycles(graph: dict) -> list:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def is_track_module(name: str) -> bool:
    """A module inside a track's folder, lib.tracks.<folder>[.<module>]."""
    return name.startswith("lib.tracks.") and name not in REGISTRY


def layout_problems(root: Path = ROOT) -> list[str]:
    """Every breach of the layout rule in the tree under ``root``: a shared module named after a
    track, or a shared module importing a track's module."""
    problems = []
    graph = import_graph(root)
    for name in sorted(graph):
        if is_track_module(name):
            continue
        words = re.split(r"[._]", name.removeprefix("lib."))
        named = [w for w in TRACK_WORDS if w in words and name not in ARCHITECTURES]
        if named:
            problems.append(
                f"{name}: a shared module named after track {named[0]!r} (move it to lib/tracks/{named[0]}/)"
            )
        for target in sorted(graph[name]):
            if is_track_module(target):
                problems.append(f"{name} imports {target} (shared layers reach tracks by name: lib.tracks.get_track)")
    return problems


def test_lib_has_no_import_cycles():
    graph = import_graph()
    assert {"lib.infer", "lib.train.engine", "lib.tracks.deblur.track"} <= set(graph)
    assert "lib.checkpoints" in graph["lib.train.engine"]  # the graph is real
    assert cycles(graph) == []


def test_shared_layers_name_no_track_and_import_none():
    assert layout_problems() == []


@pytest.mark.parametrize(
    "probe, source, expected",
    [
        ("lib/foo_deblur.py", "X = 1\n", "lib.foo_deblur: a shared module named after track 'deblur'"),
        ("lib/data/retouch_masks.py", "X = 1\n", "lib.data.retouch_masks: a shared module named after track 'retouch'"),
        (
            "lib/metrics_extra.py",
            "from lib.tracks.denoise import baselines\n",
            "lib.metrics_extra imports lib.tracks.denoise.baselines",
        ),
        (
            "lib/train/probe.py",
            "def f():\n    from ..tracks.deocclusion.repair import PSNR_CAP\n",
            "lib.train.probe imports lib.tracks.deocclusion.repair",
        ),
    ],
)
def test_layout_rule_catches_a_probe(tmp_path, probe, source, expected):
    """The rule above fails on a copy of lib/ with one offending module added."""
    shutil.copytree(ROOT / "lib", tmp_path / "lib", ignore=shutil.ignore_patterns("__pycache__", "configs"))
    assert layout_problems(tmp_path) == []
    (tmp_path / probe).write_text(source)
    problems = layout_problems(tmp_path)
    assert any(p.startswith(expected) for p in problems), problems


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
    """The rule above fails on a copy of lib/ with one offending module added, and a docstring or a word that is
    no path part (``label``, ``"lab"`` as a word in a sentence) does not trip it."""
    shutil.copytree(ROOT / "lib", tmp_path / "lib", ignore=shutil.ignore_patterns("__pycache__", "configs"))
    (tmp_path / "lib" / "fine.py").write_text(
        '"""Reads lab/bench/results/x.json when its caller passes that path."""\n'
        'WORDS = "a label of the lab, see the lab_x script"\n'
    )
    assert outside_references(tmp_path) == []
    (tmp_path / "lib" / "probe.py").write_text(source)
    problems = outside_references(tmp_path)
    assert len(problems) == 1 and problems[0].startswith("lib/probe.py:") and expected in problems[0], problems


def test_every_track_has_its_folder_with_its_code():
    """Each registered track's package is a folder lib/tracks/<folder>/ holding the Track, and no
    track module is left directly in lib/tracks/."""
    for name in KNOWN_TRACKS:
        track = get_track(name)
        folder = ROOT / Path(*track.package.split("."))
        assert folder.is_dir() and (folder / "__init__.py").is_file(), f"{name}: no folder {folder}"
        assert type(track).__module__.startswith(track.package + "."), name
    loose = sorted(
        p.name for p in (ROOT / "lib" / "tracks").glob("*.py") if p.stem not in ("__init__", "base", "sources")
    )
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
    shared = {m for m in import_graph() if not is_track_module(m) and m != "lib"}
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
