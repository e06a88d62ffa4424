"""The environment the course promises: pyproject.toml names the packages, requirements.txt, constraints.txt and
environment.yml pin them alike, every package imports, nothing is broken."""

import importlib.metadata as md
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]

# Import name of each distribution the course uses (pip name -> module).
IMPORT_NAMES = {
    "paddlepaddle": "paddle",
    "paddleseg": "paddleseg",
    "opencv-python": "cv2",
    "numpy": "numpy",
    "onnxruntime": "onnxruntime",
    "paddle2onnx": "paddle2onnx",
    "onnx": "onnx",
    "onnxoptimizer": "onnxoptimizer",
    "onnx-graphsurgeon": "onnx_graphsurgeon",
    "scikit-image": "skimage",
    "scipy": "scipy",
    "PyWavelets": "pywt",
    "matplotlib": "matplotlib",
    "pillow": "PIL",
    "PyYAML": "yaml",
    "tqdm": "tqdm",
    "visualdl": "visualdl",
    "pandas": "pandas",
    "scikit-learn": "sklearn",
    "mplfonts": "mplfonts",
    "font-source-sans-pro": "font_source_sans_pro",
    "font-source-serif-pro": "font_source_serif_pro",
    "font-lato": "font_lato",
    "font-caladea": "font_caladea",
    "font-manrope": "font_manrope",
    "paperang-p2-fonts-cjk": "paperang_p2_fonts_cjk",
    "rapidocr-onnxruntime": "rapidocr_onnxruntime",
    "jupyterlab": "jupyterlab",
    "ipywidgets": "ipywidgets",
    "ipykernel": "ipykernel",
    "nbclient": "nbclient",
    "nbformat": "nbformat",
    "nbval": "nbval",
    "pytest": "pytest",
    "pytest-xdist": "xdist",
    "ruff": "ruff",
    "import-linter": "importlinter",
    "gradio": "gradio",
    "gradio-client": "gradio_client",
    "playwright": "playwright",
}


def parse_pins(lines):
    pins = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if not line or line.startswith("-"):
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        assert m, f"not an exact pin: {line!r}"
        pins[m.group(1)] = m.group(2)
    return pins


def requirement_pins():
    return parse_pins((ROOT / "requirements.txt").read_text().splitlines())


def test_every_requirement_is_pinned_and_has_an_import_check():
    pins = requirement_pins()
    assert set(pins) == set(IMPORT_NAMES), "requirements.txt and IMPORT_NAMES must list the same packages"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def project_requirements() -> dict:
    """Every package pyproject.toml names, lib's dependencies and every extra: canonical name -> Requirement."""
    project = pyproject()
    lists = [project["dependencies"], *project["optional-dependencies"].values()]
    requirements = [Requirement(text) for texts in lists for text in texts]
    named = {canonical(r.name): r for r in requirements}
    assert len(named) == len(requirements), "a package named twice in pyproject.toml"
    return named


def test_requirements_pin_what_pyproject_names_within_its_ranges():
    pins = {canonical(name): version for name, version in requirement_pins().items()}
    named = project_requirements()
    assert set(pins) == set(named), "requirements.txt and pyproject.toml must name the same packages"
    outside = {name: (pins[name], str(r.specifier)) for name, r in named.items() if pins[name] not in r.specifier}
    assert not outside, f"pins outside pyproject.toml's ranges (pin, range): {outside}"


def test_make_setup_installs_every_extra():
    extras = set(pyproject()["optional-dependencies"])
    installs = re.findall(r'pip install .*-e "\.\[([a-z,]+)\]" -c constraints\.txt', (ROOT / "Makefile").read_text())
    assert [set(found.split(",")) for found in installs] == [extras]


def test_environment_yml_pins_agree_with_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_sections = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1
    conda_pins = parse_pins(pip_sections[0])
    expected = dict(requirement_pins())
    expected["paddlepaddle-gpu"] = expected.pop("paddlepaddle")  # the GPU build, same version
    assert conda_pins == expected


def test_constraints_cover_every_requirement_at_the_same_version():
    constraints = parse_pins((ROOT / "constraints.txt").read_text().splitlines())
    norm = {k.lower().replace("_", "-"): v for k, v in constraints.items()}
    for name, version in requirement_pins().items():
        assert norm.get(name.lower()) == version, f"constraints.txt disagrees on {name}"


def test_installed_versions_match_the_pins():
    wrong = {}
    for name, version in requirement_pins().items():
        installed = md.version(name)
        if installed != version:
            wrong[name] = (version, installed)
    assert not wrong, f"installed versions differ from the pins (pinned, installed): {wrong}"


@pytest.mark.slow
def test_every_package_imports_in_a_fresh_interpreter():
    # A fresh process, so a numpy-ABI break (opencv 4.5 under numpy 2) shows as a failed import
    # even where `pip check` is clean.
    modules = sorted(set(IMPORT_NAMES.values()))
    code = "import importlib\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules)
    code += "import numpy, cv2\nassert numpy.__version__.startswith('1.'), numpy.__version__\n"
    code += "import cv2; cv2.GaussianBlur(numpy.zeros((8, 8), numpy.uint8), (3, 3), 0)\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.slow
def test_pip_check_is_clean():
    result = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_paddle_runs_a_tiny_op_on_cpu():
    import paddle

    x = paddle.to_tensor([[1.0, 2.0], [3.0, 4.0]])
    assert float((x @ x).sum()) == pytest.approx(54.0)


@pytest.mark.slow
def test_importing_lib_quiet_quiets_paddle_logs():
    code = "import lib.quiet, os; import paddle; print(os.environ['GLOG_minloglevel'])"
    quiet = ("GLOG_minloglevel", "FLAGS_call_stack_level", "PYTHONWARNINGS")
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={k: v for k, v in __import__("os").environ.items() if k not in quiet},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "2"
    assert "ccache" not in result.stderr
