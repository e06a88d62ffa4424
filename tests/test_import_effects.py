"""Importing ``lib`` changes no environment variable and no warning filter: quieting Paddle is the entry points'
choice, made by importing ``lib.quiet`` first (lib/quiet.py), the one module whose import has effects."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The exact check of the packaging contract: a fresh interpreter, its filters and environment before and after.
COMMAND = (
    "import warnings, os; f=list(warnings.filters); e=dict(os.environ); import lib; "
    "assert f==warnings.filters and e==dict(os.environ)"
)
# What lib.quiet sets: unset in the children, so that a `setdefault` of them anywhere would show.
QUIET_VARIABLES = ("GLOG_minloglevel", "FLAGS_call_stack_level", "PYTHONWARNINGS")


def python(code: str) -> subprocess.CompletedProcess:
    """``python -c code``, or the code on standard input when it is too long for a command line."""
    env = {k: v for k, v in os.environ.items() if k not in QUIET_VARIABLES}
    args, stdin = ([sys.executable, "-c", code], None) if len(code) < 10_000 else ([sys.executable, "-"], code)
    # cwd: the checkout, so that the child imports this lib/ whatever else the environment points at
    return subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)


def test_importing_lib_changes_no_filter_and_no_environment_variable():
    result = python(COMMAND)
    assert result.returncode == 0, result.stderr[-2000:]


def modules_loaded_by(module: str) -> list[str]:
    """The modules outside lib/ that importing ``module`` loads, in the order it loads them."""
    code = (
        "import sys; before = set(sys.modules); import " + module + "\n"
        "print('\\n'.join(m for m in sys.modules if m not in before and m.partition('.')[0] != 'lib'))"
    )
    result = python(code)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.split()


@pytest.mark.parametrize("module", ["lib.config", "lib.paths", pytest.param("lib.tracks", marks=pytest.mark.slow)])
def test_importing_lib_modules_adds_nothing_to_what_their_dependencies_do(module):
    # lib.tracks imports Paddle, OpenCV and NumPy, which set variables (OMP_NUM_THREADS, QT_*) and filters of
    # their own: those are imported first, in the same order, and the command then holds for lib's own code.
    preload = modules_loaded_by(module)
    code = "import importlib\n"
    code += "".join(f"try:\n    importlib.import_module({m!r})\nexcept Exception:\n    pass\n" for m in preload)
    code += COMMAND.replace("import lib;", f"import {module};")
    result = python(code)
    assert result.returncode == 0, result.stderr[-2000:]


def test_lib_quiet_sets_what_it_documents_and_keeps_what_is_set():
    code = (
        "import os, warnings; os.environ['FLAGS_call_stack_level'] = '2'\n"
        "import lib.quiet\n"
        "print(os.environ['GLOG_minloglevel'], os.environ['FLAGS_call_stack_level'])\n"
        "print([(w[0], w[1].pattern if w[1] else '', w[2].__name__) for w in warnings.filters[:4]])"
    )
    result = python(code)
    assert result.returncode == 0, result.stderr[-2000:]
    levels, filters = result.stdout.splitlines()
    assert levels == "2 2"  # GLOG set; the caller's FLAGS_call_stack_level kept
    assert ast.literal_eval(filters) == [  # filterwarnings adds to the front: the last one first
        ("ignore", ".*When training, we now always track global mean and variance.*", "Warning"),
        ("ignore", ".*Tensor do not have 'place' interface.*", "Warning"),
        ("ignore", "", "DeprecationWarning"),
        ("ignore", ".*No ccache found.*", "Warning"),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("command", ["lib.data", "lib.train", "lib.export", "lib.app"])
def test_each_command_is_quiet_from_its_first_import(command):
    # `python -m lib.train` imports the package lib.train, and Paddle with it, before its __main__ runs: the
    # quieting has to come first there too. Paddle warns that it found no ccache at import, unless quieted.
    env = {k: v for k, v in os.environ.items() if k not in QUIET_VARIABLES}
    result = subprocess.run(
        [sys.executable, "-m", command, "--help"], capture_output=True, text=True, timeout=300, cwd=ROOT, env=env
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr == ""


@pytest.mark.slow
def test_the_processes_a_quiet_program_starts_are_quiet_too():
    # a data generator's worker or a training rank imports Paddle without lib.quiet: the environment carries it
    code = (
        "import lib.quiet, subprocess, sys\n"
        "child = subprocess.run([sys.executable, '-c', 'import paddle'], capture_output=True, text=True)\n"
        "print(repr(child.stderr))"
    )
    result = python(code)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ccache" not in result.stdout, result.stdout
    unquiet = subprocess.run(
        [sys.executable, "-c", "import paddle"],
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if k not in QUIET_VARIABLES},
    )
    assert "No ccache found" in unquiet.stderr  # the probe sees the warning where nothing quiets it
