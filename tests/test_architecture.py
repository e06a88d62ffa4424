"""The package's shape: no import cycles between lib modules (counting imports inside functions
too), and lib/README.md's map names every track's modules and notebooks, which exist."""
import ast
from pathlib import Path

from lib.tracks import KNOWN_TRACKS, get_track

ROOT = Path(__file__).resolve().parents[1]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict:
    """lib module -> the lib modules it imports, anywhere in its source (absolute or relative)."""
    modules = {module_name(p): p for p in (ROOT / "lib").rglob("*.py")}
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


def test_lib_has_no_import_cycles():
    graph = import_graph()
    assert {"lib.infer", "lib.train.engine", "lib.tracks.deblur"} <= set(graph)
    assert "lib.checkpoints" in graph["lib.train.engine"]  # the graph is real
    assert cycles(graph) == []


def test_readme_maps_every_track_to_existing_modules_and_notebooks():
    readme = (ROOT / "lib" / "README.md").read_text(encoding="utf-8")
    modules = set(import_graph())
    notebooks = {p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    for name in KNOWN_TRACKS:
        track = get_track(name)
        row = next((line for line in readme.splitlines() if line.startswith(f"| `{name}` |")), None)
        assert row, f"lib/README.md has no row for track {name}"
        for module in track.modules + (f"lib.tracks.{name}",):
            assert module in modules, module
            assert f"`{module}`" in row, f"{module} missing from the {name} row"
        for notebook in track.notebooks:
            assert notebook in notebooks, notebook
            assert f"`{notebook}`" in row, f"{notebook} missing from the {name} row"
    owned = {nb for name in KNOWN_TRACKS for nb in get_track(name).notebooks}
    assert notebooks <= owned, f"notebooks of no track: {sorted(notebooks - owned)}"


def test_every_registered_model_builds_from_options():
    """Each network name a track config may use builds through lib.train.registry (the demo
    configurations of the model files), and an unknown name lists the known ones."""
    import paddle
    import pytest

    from lib.models import deepfillv2, gunet, mirnet_v2, sdwnet
    from lib.models.nafnet import count_parameters
    from lib.train.registry import MODELS, build_model

    demo = {"nafnet": {"width": 8, "enc_blk_nums": [1, 1], "dec_blk_nums": [1, 1]},
            "sdwnet": sdwnet.SDWNET_CONFIGS["demo"], "mirnet_v2": mirnet_v2.MIRNET_CONFIGS["demo"],
            "gunet": gunet.GUNET_CONFIGS["retouch-demo"],
            "deepfill_generator": deepfillv2.DEEPFILL_CONFIGS["demo"],
            "deepfill_discriminator": {}, "deeplabv3": {"num_classes": 2, "backbone": "MobileNetV2_x0_25"}}
    assert set(demo) <= set(MODELS)
    for name, options in demo.items():
        net = build_model({"name": name, **options})  # small: built for real (spectral norm needs weights)
        assert isinstance(net, paddle.nn.Layer) and count_parameters(net) > 0, name
    with pytest.raises(ValueError, match="unknown model 'nope'; known: nafnet, sdwnet"):
        build_model({"name": "nope"})
