"""The folder to upload to AI Studio's app hosting (应用, Gradio): ``python -m lib.app.bundle OUT``
(``make app-bundle``; ``make check-app`` installs and drives it in a fresh virtual environment).

What it holds, and nothing of the course beside it (no notebooks, tests, lab/, data):

* ``app.gradio.py``, the entry file that defines ``demo``, and ``requirements.txt``, a copy of
  ``app/requirements.txt`` (every package the app imports and their dependencies, each pinned ``==`` to
  ``constraints.txt``; no Paddle, which the host provides: lib.app.hosting);
* ``lib/`` but its command lines and notebook-only modules (:data:`LEFT_OUT`; tests/test_app_bundle.py checks that
  nothing kept imports one of them);
* the shipped models ``checkpoints/``, the tabs' examples ``app/examples/`` and their speeds ``app/timing.json``;
* ``vendor/``: the course environment's copies of the packages in :data:`VENDORED`. Their pip metadata asks for
  ``opencv-python``, the GUI build, which needs the system's ``libGL`` (missing on a bare image) and which pip would
  install beside ``opencv-python-headless``, two wheels writing the same ``cv2`` files. At run time they only
  ``import cv2``, which the headless wheel provides; copied as source, pip never reads that metadata;
* ``app_bundle.json``, the manifest that tells the app it runs hosted (lib.app.hosting: 0.0.0.0:7860 unless the
  environment says otherwise).
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import re
import shutil
import subprocess
from pathlib import Path

from ..paths import REPO_ROOT
from .hosting import MANIFEST, VENDOR_DIR

ENTRY = "app.gradio.py"
REQUIREMENTS = REPO_ROOT / "app" / "requirements.txt"
CONSTRAINTS = REPO_ROOT / "constraints.txt"
COPIED = ("checkpoints", "app/examples", "app/timing.json")  # beside the entry file, requirements, lib/, vendor/
# distribution -> its import package, copied into vendor/ (module doc: why)
VENDORED = {"paddleseg": "paddleseg", "rapidocr-onnxruntime": "rapidocr_onnxruntime"}
# lib/ files the hosted app never imports: the command lines (the host runs the entry file), the notebooks'
# figures, and the tools of this bundle and of the app's records
LEFT_OUT_NAMES = ("__main__.py", "viz.py")
LEFT_OUT = (
    "README.md",
    "env.py",
    "runner.py",
    "train/launch.py",
    "app/examples.py",
    "app/timing.py",
    "app/bundle.py",
    "app/requirements.py",
    "app/check.py",
)
SKIPPED = ("__pycache__", ".pyc", ".ipynb_checkpoints")


def canonical(name: str) -> str:
    """A distribution's name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path) -> dict:
    """``{canonical name: version}`` of every ``name==version`` line of a requirements or constraints file."""
    return parse_pins(Path(path).read_text(encoding="utf-8"))


def parse_pins(text: str) -> dict:
    """``{canonical name: version}`` of every ``name==version`` line of ``text`` (markers ignored)."""
    pins = {}
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)(\s*;.*)?", line)
        if match:
            pins[canonical(match.group(1))] = match.group(2)
    return pins


def left_out(rel: str) -> bool:
    """Whether ``rel`` (a path under lib/, POSIX) stays out of the bundle."""
    return rel in LEFT_OUT or rel.rsplit("/", 1)[-1] in LEFT_OUT_NAMES or any(s in rel for s in SKIPPED)


def lib_files(root: Path = REPO_ROOT) -> list[str]:
    """The files of lib/ the bundle holds, relative to ``root``."""
    lib = Path(root) / "lib"
    return sorted(
        f"lib/{p.relative_to(lib).as_posix()}"
        for p in lib.rglob("*")
        if p.is_file() and not left_out(p.relative_to(lib).as_posix())
    )


def vendored_sources() -> dict:
    """``{distribution: (version, package folder, license files)}`` of :data:`VENDORED` in this environment; each
    version must be constraints.txt's (the bundle carries the course's tested copy)."""
    pins = read_pins(CONSTRAINTS)
    found = {}
    for dist, package in VENDORED.items():
        info = md.distribution(dist)
        if info.version != pins.get(canonical(dist)):
            raise RuntimeError(f"{dist} {info.version} is installed, constraints.txt pins {pins.get(canonical(dist))}")
        folder = Path(info.locate_file(package))
        licenses = [Path(info.locate_file(f)) for f in info.files or () if Path(f).name.upper().startswith("LICEN")]
        found[dist] = (info.version, folder, licenses)
    return found


VENDOR_NOTE = """\
Unmodified copies of these packages, as installed in the course's environment (lib/app/bundle.py): their pip
metadata asks for opencv-python, the GUI build, and this app installs opencv-python-headless instead.
"""


def _copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"))


def _commit() -> str | None:
    """The commit the bundle is built from, ``+changes`` if the work tree differs from it."""
    try:
        head, changes = (
            subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout.strip()
            for command in (["git", "rev-parse", "HEAD"], ["git", "status", "--porcelain", "--untracked-files=no"])
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+changes" if changes else "")


def tree_size(path) -> int:
    """Bytes of every file under ``path``."""
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file() and not p.is_symlink())


def build_bundle(out, replace: bool = False) -> dict:
    """Write the bundle into ``out`` (a new or empty folder; ``replace`` removes an existing one first). Returns its
    manifest, with the file count and size."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        if not replace:
            raise FileExistsError(f"{out} is not empty (--replace removes it first)")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO_ROOT / ENTRY, out / ENTRY)
    shutil.copy2(REQUIREMENTS, out / "requirements.txt")
    for rel in lib_files():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / rel, out / rel)
    for rel in COPIED:
        src, dst = REPO_ROOT / rel, out / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        _copy_tree(src, dst) if src.is_dir() else shutil.copy2(src, dst)
    vendored, notes = {}, []
    for dist, (version, folder, licenses) in vendored_sources().items():
        _copy_tree(folder, out / VENDOR_DIR / folder.name)
        for licence in licenses:
            shutil.copy2(licence, out / VENDOR_DIR / f"{folder.name}.{licence.name}")
        vendored[dist] = version
        meta = md.metadata(dist)
        notes.append(f"{folder.name}/: {dist} {version}, {meta.get('License')} licence, {meta.get('Home-page')}")
    (out / VENDOR_DIR / "README.txt").write_text(VENDOR_NOTE + "\n".join(notes) + "\n", encoding="utf-8")
    manifest = {
        "entry": ENTRY,
        "requirements": "requirements.txt",
        "commit": _commit(),
        "vendored": vendored,
        "paddle": "provided by the host (lib.app.hosting.require_paddle checks for 3.x at start-up)",
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    files = [p for p in out.rglob("*") if p.is_file()]
    return {**manifest, "folder": str(out), "files": len(files), "bytes": tree_size(out)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.app.bundle", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the folder to write (new or empty)")
    parser.add_argument("--replace", action="store_true", help="remove OUT first if it is not empty")
    args = parser.parse_args(argv)
    built = build_bundle(args.out, replace=args.replace)
    sizes = {p.name: tree_size(p) for p in sorted(args.out.iterdir()) if p.is_dir()}
    print(f"bundle: {built['folder']} ({built['files']} files, {built['bytes'] / 1e6:.1f} MB)")
    for name, size in sizes.items():
        print(f"  {name}/: {size / 1e6:.1f} MB")
    print(f"upload the folder's contents; the host installs {built['requirements']} and runs {built['entry']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
