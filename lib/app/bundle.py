"""The folder to upload to AI Studio's app hosting (应用, Gradio): ``python -m lib.app.bundle OUT``
(``make app-bundle``; ``make check-app`` installs and drives it in a fresh virtual environment).

What it holds, and nothing of the course beside it (no notebooks, tests, lab/, data):

* ``app.gradio.py``, the entry file that defines ``demo``, and ``requirements.txt``, a copy of
  ``app/requirements.txt`` (every package the app imports and their dependencies, each pinned ``==`` to
  ``constraints.txt``; no Paddle, which the host provides: lib.app.hosting);
* ``lib/`` but its command lines and notebook-only modules (:data:`LEFT_OUT`; tests/test_app_bundle.py checks that
  nothing kept imports one of them);
* the shipped models ``checkpoints/``, the tabs' examples ``app/examples/`` and their speeds ``app/timing.json``;
* ``app/exported/``: every tab's shipped model exported as the app runs it (each of its deployment's
  ``export_variants``), the same folders ``runs/app/exported/`` caches (lib.export.cache, keyed by the checkpoints'
  sha256 and the export settings; exported here first if missing), so the hosted app finds them by the same key
  (``lib.tracks.deployment.SHIPPED_EXPORTS``) and needs neither the export chain (paddle2onnx, onnx) nor an
  export's minute on a tab's first use. Only their ONNX files: ONNX Runtime, which ``requirements.txt`` installs,
  is the runtime lib.infer picks on a CPU; the Paddle Inference pairs would double their size;
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
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..paths import REPO_ROOT
from .hosting import MANIFEST, VENDOR_DIR

ENTRY = "app.gradio.py"
REQUIREMENTS = REPO_ROOT / "app" / "requirements.txt"
CONSTRAINTS = REPO_ROOT / "constraints.txt"
COPIED = ("checkpoints", "app/examples", "app/timing.json")  # beside the entry file, requirements, lib/, vendor/
EXPORTED = "app/exported"  # the tabs' exported models (lib.tracks.deployment.SHIPPED_EXPORTS), ONNX files only
PADDLE_FORMATS = ("paddle", "paddle_legacy")  # lib.export.formats' names of the files a bundle leaves out
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


def bundled_files(folder: Path) -> list[str]:
    """The files of ``folder`` (an exported model: one network, or the de-occlusion pair's two) a bundle carries:
    all but the Paddle Inference ones; relative to ``folder``."""
    from ..export.formats import formats_of, model_files

    kept = []
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        formats = formats_of(path.parent)
        if path.name not in model_files({name: formats.get(name) for name in PADDLE_FORMATS}):
            kept.append(path.relative_to(folder).as_posix())
    return kept


def export_shipped(out: Path) -> None:
    """Every tab's shipped model exported as the hosted app asks for it (the default profile: a host sets no
    ``COURSE_PROFILE``), for each of its ``export_variants``, into ``runs/app/exported/`` if not there yet;
    ``{folder: the files a bundle carries}`` written to ``out`` as JSON. Run in a child process with
    ``COURSE_SHIPPED=1`` (:func:`shipped_exports`)."""
    import lib.quiet  # noqa: F401 -- first: quiets Paddle before the deployments import it

    from lib.app.restore import tabs
    from lib.config import DEFAULT_PROFILE

    folders = [d.exported(DEFAULT_PROFILE, **variant)[0] for d in tabs() for variant in d.export_variants]
    Path(out).write_text(json.dumps({str(f): bundled_files(f) for f in folders}), encoding="utf-8")


def shipped_exports() -> dict:
    """:func:`export_shipped` in a child process of this interpreter (Paddle stays out of this one), with the
    shipped models whatever a learner has trained (the instructor's switch): ``{folder: files to carry}``."""
    env = {k: v for k, v in os.environ.items() if k != "COURSE_PROFILE"}
    env["COURSE_SHIPPED"] = "1"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "exported.json"
        command = [sys.executable, "-m", "lib.app.bundle", "--exports", str(out)]
        subprocess.run(command, cwd=REPO_ROOT, env=env, check=True)
        return {Path(folder): files for folder, files in json.loads(out.read_text(encoding="utf-8")).items()}


def copy_exported(folder: Path, files, dst: Path) -> None:
    """``files`` of ``folder`` (:func:`bundled_files`) into ``dst``."""
    for rel in files:
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(folder) / rel, dst / rel)


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
    exported = {}
    for folder, files in shipped_exports().items():
        copy_exported(folder, files, out / EXPORTED / folder.name)
        exported[folder.name] = files
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
        "exported": exported,
        "paddle": "provided by the host (lib.app.hosting.require_paddle checks for 3.x at start-up)",
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    files = [p for p in out.rglob("*") if p.is_file()]
    return {**manifest, "folder": str(out), "files": len(files), "bytes": tree_size(out)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.app.bundle", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, nargs="?", help="the folder to write (new or empty)")
    parser.add_argument("--replace", action="store_true", help="remove OUT first if it is not empty")
    parser.add_argument("--exports", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.exports:
        export_shipped(args.exports)
        return 0
    if args.out is None:
        parser.error("the folder to write is required")
    built = build_bundle(args.out, replace=args.replace)
    sizes = {p.name: tree_size(p) for p in sorted(args.out.iterdir()) if p.is_dir()}
    print(f"bundle: {built['folder']} ({built['files']} files, {built['bytes'] / 1e6:.1f} MB)")
    for name, size in sizes.items():
        print(f"  {name}/: {size / 1e6:.1f} MB")
    print(f"upload the folder's contents; the host installs {built['requirements']} and runs {built['entry']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
