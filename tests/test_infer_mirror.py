"""The submission's predict.py (lib/submission/predict.py) cannot import ``lib`` (the competition
unzips it alone), so it carries a copy of lib.infer's tiling, blending, image-file, folder and
runtime code. Two guards keep the copy equal to the library: the same tile plans and the same
stitched output of a deterministic stand-in model on awkward image sizes, and the same source of
every copied function, class and constant (compared as ASTs without docstrings)."""

import ast
import inspect
from pathlib import Path

import numpy as np
import pytest

from lib import infer
from lib.infer import blend, errors, folder, image_files, runtimes, tiling
from lib.submission import predict

MIRRORED = (errors, tiling, blend, image_files, folder, runtimes)
SIZES = [
    (1, 1),  # tiny: one pixel
    (2, 3),
    (37, 53),  # odd
    (31, 130),  # landscape, odd
    (130, 31),  # portrait, odd
    (301, 203),  # larger than the budget below: several overlapping tiles
    (96, 400),
]
BUDGET, OVERLAP = 64 * 64, 8


def stand_in_model(batch: np.ndarray) -> np.ndarray:
    """A deterministic network that sees its whole tile: each pixel moved towards the tile's mean
    and bent by a curve, so a different tile plan gives a different output."""
    mean = batch.mean(axis=(2, 3), keepdims=True)
    return np.clip(0.5 * np.tanh(3.0 * batch - 1.5) + 0.5 + 0.3 * (batch - mean), 0.0, 1.0).astype(np.float32)


def page(height: int, width: int, dtype) -> np.ndarray:
    """A gradient from dark corner to bright corner plus noise: tiles differ in their means."""
    rng = np.random.default_rng(height * 1000 + width)
    ramp = np.add.outer(np.linspace(0, 0.6, height), np.linspace(0, 0.3, width))[:, :, None]
    unit = np.clip(ramp + rng.uniform(0, 0.1, (height, width, 3)), 0, 1)
    return np.round(unit * np.iinfo(dtype).max).astype(dtype)


def plans(module, height, width):
    return {
        "quadrants": module.quadrant_grid(height, width),
        "budget": module.plan_grid(height, width, BUDGET, OVERLAP),
        "tile 32": module.plan_grid(height, width, BUDGET, OVERLAP, tile=32),
        "overlap": module.tile_plan(height, width, "overlap", BUDGET, OVERLAP),
        "default": module.tile_plan(height, width),
    }


@pytest.mark.parametrize("height, width", SIZES)
def test_predict_py_cuts_the_same_tiles(height, width):
    assert plans(predict, height, width) == plans(infer, height, width)


@pytest.mark.parametrize("height, width", SIZES)
@pytest.mark.parametrize("tiling_name", ["quadrants", "overlap"])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_predict_py_stitches_the_same_output(height, width, tiling_name, dtype):
    image = page(height, width, dtype)
    kwargs = {"tile_pixels": BUDGET, "overlap": OVERLAP, "tiling": tiling_name}
    expected = infer.restore_array(stand_in_model, image, **kwargs)
    got = predict.restore_array(stand_in_model, image, **kwargs)
    assert got.dtype == expected.dtype == dtype
    np.testing.assert_array_equal(got, expected)


def test_the_stand_in_model_tells_tile_plans_apart():
    """Without this the output comparison above could not fail on a changed plan."""
    image = page(301, 203, np.uint8)
    whole = infer.restore_array(stand_in_model, image, ([(0, 301)], [(0, 203)]))
    tiled = infer.restore_array(stand_in_model, image, tile_pixels=BUDGET, overlap=OVERLAP)
    assert np.abs(whole.astype(int) - tiled.astype(int)).max() > 10


def top_level(tree: ast.Module) -> dict:
    """name -> node of each top-level function, class and assignment (``a, b = ...`` as "a,b")."""
    nodes = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            nodes[node.name] = node
        elif isinstance(node, ast.Assign):
            target = node.targets[0]
            names = target.elts if isinstance(target, ast.Tuple) else [target]
            nodes[",".join(n.id for n in names)] = node
    return nodes


def normalised(node: ast.AST) -> str:
    """The node's AST without docstrings (each copy documents itself where it lives)."""
    node = ast.parse(ast.unparse(node)).body[0]
    for inner in ast.walk(node):
        body = getattr(inner, "body", None)
        if (
            isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            inner.body = body[1:] or [ast.Pass()]
    return ast.dump(node)


def mirror_differences(library_sources: dict, predict_source: str) -> list[str]:
    """Each name of the library modules (module name -> source) whose definition predict.py lacks
    or defines differently."""
    copies = top_level(ast.parse(predict_source))
    problems = []
    for module, source in library_sources.items():
        for name, node in top_level(ast.parse(source)).items():
            if name == "__all__":
                continue
            if name not in copies:
                problems.append(f"{module}.{name}: missing from predict.py")
            elif normalised(node) != normalised(copies[name]):
                problems.append(f"{module}.{name}: predict.py's copy differs")
    return problems


def library_sources() -> dict:
    return {module.__name__: inspect.getsource(module) for module in MIRRORED}


def test_predict_py_holds_the_same_source_as_the_library():
    source = Path(predict.__file__).read_text(encoding="utf-8")
    assert mirror_differences(library_sources(), source) == []


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ("else [(0, length // 2),", "else [(0, (length + 1) // 2),", "quadrant_grid"),
        ("FINISH_ROWS = 64", "FINISH_ROWS = 32", "FINISH_ROWS"),
        ("t = np.arange(1, n + 1, dtype=np.float64) / (n + 1)", "t = np.arange(n) / n", "blend_ramp"),
        ("def list_inputs(", "def list_input_files(", "list_inputs: missing"),
    ],
)
def test_the_source_guard_catches_a_changed_copy(old, new, expected):
    source = Path(predict.__file__).read_text(encoding="utf-8")
    assert old in source
    problems = mirror_differences(library_sources(), source.replace(old, new, 1))
    assert any(expected in p for p in problems), problems


def test_the_source_guard_ignores_docstrings_and_comments():
    source = Path(predict.__file__).read_text(encoding="utf-8")
    edited = source.replace('"""The tile grid of an image:', '"""Another wording.', 1)
    edited = edited.replace("# fewest tiles, then the squarest", "# reworded", 1)
    assert edited != source
    assert mirror_differences(library_sources(), edited) == []
