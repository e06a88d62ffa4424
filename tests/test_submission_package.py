"""What a submission zip carries instead of a copy of the course's code: lib/infer's standalone
modules (``lib.infer.STANDALONE``) as files in ``infer/``, byte for byte, which need nothing but the
evaluation environment and import one another relatively; a ``predict.py`` that imports them and no
other part of ``lib``; and no stretch of code that predict.py repeats from lib/infer. (The zips run
from a clean folder, and stop without one of these files: tests/test_predict.py and
tests/tracks/deocclusion/test_deocclusion_submission.py.)"""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import lib
from lib.export import carry_infer
from lib.infer import STANDALONE

LIB = Path(lib.__file__).resolve().parent
PREDICT = LIB / "submission" / "predict.py"
DEOCCLUSION_PREDICT = LIB / "tracks" / "deocclusion" / "predict.py"
STANDARD = {"__future__", "argparse", "dataclasses", "json", "math", "os", "sys", "time", "pathlib", "warnings"}
# Pillow only to tell a truncated JPEG (Paddle depends on it; the code runs without it)
RUNTIMES = {"cv2", "numpy", "paddle", "onnxruntime", "PIL"}
MIN_LINES = 6


def imports(path: Path) -> tuple[set, set]:
    """(top-level names of its absolute imports, (level, dotted name) of each relative import)."""
    absolute, relative = set(), set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            absolute |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            absolute.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom):  # `from .x import y` -> x; `from . import x, y` -> x, y
            names = [node.module] if node.module else [alias.name for alias in node.names]
            relative |= {(node.level, name) for name in names}
    return absolute, relative


@pytest.mark.parametrize("name", STANDALONE)
def test_standalone_modules_import_each_other_and_the_evaluation_environment_only(name):
    absolute, relative = imports(LIB / "infer" / f"{name}.py")
    assert absolute <= STANDARD | RUNTIMES, absolute
    assert {level for level, _ in relative} <= {1} and {module for _, module in relative} <= set(STANDALONE), relative


def test_predict_py_imports_lib_infer_only_and_no_runtime_itself():
    absolute, relative = imports(PREDICT)
    assert absolute <= STANDARD | {"infer"}, absolute  # infer/: the carried modules
    assert relative == {(2, "infer")}, relative  # in the repository: lib/infer itself


def test_deocclusion_predict_py_imports_the_zip_s_files_only():
    absolute, relative = imports(DEOCCLUSION_PREDICT)
    assert absolute <= STANDARD | {"infer", "repair", "restore_common"}, absolute
    assert relative == {(3, "infer"), (3, "submission"), (1, "repair")}, relative


def test_carry_infer_copies_lib_infer_byte_for_byte(tmp_path):
    names = carry_infer(tmp_path)
    assert sorted(names) == sorted(["infer/__init__.py", *(f"infer/{m}.py" for m in STANDALONE)])
    assert sorted(p.name for p in (tmp_path / "infer").iterdir()) == sorted(Path(n).name for n in names)
    for module in STANDALONE:
        assert (tmp_path / "infer" / f"{module}.py").read_bytes() == (LIB / "infer" / f"{module}.py").read_bytes()
    init = ast.parse((tmp_path / "infer" / "__init__.py").read_text(encoding="utf-8"))
    assert len(init.body) == 1 and isinstance(init.body[0].value, ast.Constant), "a docstring and nothing else"


def test_carried_package_runs_alone(tmp_path):
    """Each carried module imports (its relative imports resolve inside infer/) in a fresh process
    whose ``lib`` raises, and restores an image with a stand-in network through the tiles."""
    carry_infer(tmp_path)
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "__init__.py").write_text("raise ImportError('the carried modules must not import lib')\n")
    script = (
        "import importlib, sys\n"
        "import numpy as np\n"
        f"modules = [importlib.import_module('infer.' + m) for m in {list(STANDALONE)!r}]\n"
        "print('\\n'.join(m.__file__ for m in modules))\n"
        "from infer.blend import restore_array\n"
        "image = np.arange(70 * 90 * 3, dtype=np.uint16).reshape(70, 90, 3)\n"
        "out = restore_array(lambda b: 1.0 - b, image, tile_pixels=32 * 32, overlap=8)\n"
        "print(int(np.abs(out.astype(int) - (65535 - image.astype(int))).max()))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    *files, error = result.stdout.split()
    assert [Path(f).parent for f in files] == [tmp_path / "infer"] * len(STANDALONE)
    assert error == "0", "a pointwise network gives the same image whatever the tiles"


def windows(path: Path) -> dict:
    """Each run of ``MIN_LINES`` consecutive non-blank lines (stripped) -> its first line number."""
    lines = [(k, line.strip()) for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)]
    lines = [(k, text) for k, text in lines if text]
    return {tuple(text for _, text in lines[i : i + MIN_LINES]): lines[i][0] for i in range(len(lines) - MIN_LINES + 1)}


def repeated_runs(script: Path, library: list) -> list:
    """Every run of ``script`` that stands again in one of the ``library`` files: [(line, file:line)]."""
    ours = windows(script)
    found = []
    for other in library:
        for run, at in windows(other).items():
            if run in ours:
                found.append((ours[run], f"{other.relative_to(LIB)}:{at}"))
    return sorted(found)


@pytest.mark.parametrize("script", [PREDICT, DEOCCLUSION_PREDICT], ids=["predict.py", "deocclusion predict.py"])
def test_no_stretch_of_lib_infer_is_repeated_in_a_predict_py(script):
    assert repeated_runs(script, sorted((LIB / "infer").glob("*.py"))) == []


def test_the_repeat_check_finds_a_copied_function(tmp_path):
    """Without this the check above could pass by reading nothing."""
    copied = tmp_path / "predict.py"
    source = (LIB / "infer" / "backends.py").read_text(encoding="utf-8")
    function = source[source.index("def read_json(") : source.index("def read_meta(")]
    copied.write_text(PREDICT.read_text(encoding="utf-8") + "\n\n" + function, encoding="utf-8")
    assert [at for _, at in repeated_runs(copied, [LIB / "infer" / "backends.py"])]
    assert not repeated_runs(PREDICT, [LIB / "infer" / "backends.py"])
