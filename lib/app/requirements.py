"""``app/requirements.txt``, the hosted app's pinned requirements, from what the app really imports:
``python -m lib.app.requirements`` (writes it; ``--check``: says whether it is up to date; each a minute or so).

1. The probe, in a child process with no runs of its own (so the shipped models, as in a bundle) but the exported
   models a bundle carries: build the app, restore each tab's example with the tab's default options, and list the
   top-level modules then imported.
2. The app's own needs: the distributions of those modules that the code the bundle carries (lib/, the entry
   file, the vendored packages of lib.app.bundle) imports by name. A module imported only by another package
   (IPython, which tqdm and gradio try if present) is that package's business: pip installs what it declares.
   Except :data:`LAZY_NEEDS`: a module a package imports only inside the function that needs it, without
   declaring it, and that the app's run does need (the probe must see it imported).
3. Those and everything they declare (``Requires-Dist``, markers for Python 3.11 and 3.12), each pinned ``==`` to
   ``constraints.txt``, so the host needs no constraints file. Three substitutions: ``opencv-python-headless`` for
   ``opencv-python`` (the same build without the GUI, so without ``libGL``); no Paddle (the host's:
   lib.app.hosting); no PaddleSeg and RapidOCR (the bundle carries them: lib.app.bundle).
"""

from __future__ import annotations

import argparse
import ast
import importlib.metadata as md
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ..paths import REPO_ROOT
from .bundle import (
    CONSTRAINTS,
    ENTRY,
    REQUIREMENTS,
    VENDORED,
    canonical,
    copy_exported,
    lib_files,
    parse_pins,
    read_pins,
    shipped_exports,
    vendored_sources,
)
from .hosting import PADDLE_PIN

PYTHONS = ("3.11", "3.12")  # what the pins install on: scipy 1.17 needs 3.11, numpy 1.26 has no 3.13 wheel
PADDLE = {"paddlepaddle", "paddlepaddle-gpu"}
HEADLESS = {"opencv-python": "opencv-python-headless"}


def probe(out: Path) -> None:
    """Build the app, restore every tab's example with its default options, and write the top-level modules
    imported (and the lib modules) to ``out`` as JSON. Run in a child process (:func:`measure`)."""
    import lib.quiet  # noqa: F401 -- first: quiets Paddle before anything imports it, as the entry file does

    from lib.app.ui import build_app, example_path, final, handlers, output_names
    from lib.tracks import get_deployment

    build_app()
    shapes = {}
    for track, handle in handlers().items():
        shown = dict(zip(output_names(get_deployment(track)), final(handle(str(example_path(track))))))
        shapes[track] = list(shown["result"].shape)
    modules = sorted(sys.modules)
    tops = sorted({m.split(".")[0] for m in modules})
    record = {"top": tops, "lib": [m for m in modules if m.split(".")[0] == "lib"]}
    Path(out).write_text(json.dumps({**record, "results": shapes}, indent=1), encoding="utf-8")


def measure() -> dict:
    """:func:`probe` in a child process of this interpreter, with a runs folder of its own (so the shipped models)
    holding the exported models as a bundle carries them (lib.app.bundle: ONNX files only), so the probe imports
    what a hosted app imports; an export during the probe is an error (the bundle has no export chain)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k not in ("COURSE_PROFILE", "COURSE_SHIPPED")}
        env["COURSE_RUNS_DIR"] = str(Path(tmp) / "runs")
        exported = Path(tmp) / "runs" / "app" / "exported"  # lib.tracks.deployment.APP_EXPORTS in the child
        for folder, files in shipped_exports().items():
            copy_exported(folder, files, exported / folder.name)
        before = sorted(p.name for p in exported.iterdir())
        out = Path(tmp) / "probe.json"
        command = [sys.executable, "-m", "lib.app.requirements", "--probe", str(out)]
        subprocess.run(command, cwd=REPO_ROOT, env=env, check=True)
        after = sorted(p.name for p in exported.iterdir())
        if after != before:
            raise RuntimeError(
                f"the app exported a model while probed ({sorted(set(after) - set(before))}): "
                "a bundle carries every export its tabs ask for (Deployment.export_variants)"
            )
        return json.loads(out.read_text(encoding="utf-8"))


OPTIONAL_GUARDS = {"ImportError", "ModuleNotFoundError"}


def _guards_import(handler: ast.ExceptHandler) -> bool:
    caught = handler.type
    names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
    return caught is None or any(isinstance(n, ast.Name) and n.id in OPTIONAL_GUARDS for n in names)


def imported_names(files) -> set[str]:
    """The top-level names every absolute ``import`` of ``files`` names, inside functions too, but those in a ``try``
    that catches ImportError (optional: ``lib.report`` tries IPython)."""
    names = set()

    def visit(node, optional=False):
        if isinstance(node, ast.Try) and any(_guards_import(h) for h in node.handlers):
            for child in node.body:
                visit(child, True)
            for child in (*node.handlers, *node.orelse, *node.finalbody):
                visit(child, optional)
            return
        if not optional and isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif not optional and isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        for child in ast.iter_child_nodes(node):
            visit(child, optional)

    for path in files:
        visit(ast.parse(Path(path).read_bytes()))
    return names


def carried_sources() -> list[Path]:
    """The Python files the bundle carries: its lib/, the entry file, the vendored packages."""
    files = [REPO_ROOT / rel for rel in lib_files() if rel.endswith(".py")] + [REPO_ROOT / ENTRY]
    for _, folder, _ in vendored_sources().values():
        files += sorted(folder.rglob("*.py"))
    return files


# module -> why the app needs it although only another package imports it (and does not declare it)
LAZY_NEEDS = {
    "pywt": "scikit-image's estimate_sigma (the denoising tab's classical method) imports PyWavelets when called",
}


def own_needs(top_modules) -> set[str]:
    """The distributions (canonical names) of the measured ``top_modules`` that the carried code imports by
    name, or that :data:`LAZY_NEEDS` names, with the substitutions of the module doc."""
    by_module = md.packages_distributions()
    named = imported_names(carried_sources()) | set(LAZY_NEEDS)
    names = (named & set(top_modules)) - {"lib"}  # lib: the bundle's own
    dists = {canonical(d) for name in names for d in by_module.get(name, ())}
    dists = {HEADLESS.get(d, d) for d in dists}
    return dists - PADDLE - {canonical(d) for d in VENDORED}


def _metadata(dist: str):
    """The installed metadata of ``dist`` (the headless OpenCV: the GUI build's, which declares the same)."""
    gui = {v: k for k, v in HEADLESS.items()}
    return md.distribution(gui.get(dist, dist))


def declared(dist: str, python: str, extras=()) -> list[tuple[str, tuple]]:
    """``(canonical name, extras)`` of what ``dist`` requires on ``python`` (with ``extras``)."""
    from packaging.requirements import Requirement

    env = {"python_version": python, "python_full_version": f"{python}.0"}
    found = []
    for text in _metadata(dist).requires or ():
        requirement = Requirement(text)
        marker = requirement.marker
        if marker is None or any(marker.evaluate({**env, "extra": extra}) for extra in ("", *extras)):
            found.append((canonical(requirement.name), tuple(sorted(requirement.extras))))
    return found


def install_closure(roots, python: str) -> set[str]:
    """Every distribution pip installs for ``roots`` on ``python`` (Paddle and the vendored packages left out)."""
    skipped = PADDLE | {canonical(d) for d in VENDORED}
    seen, todo = set(), [(root, ()) for root in roots]
    while todo:
        dist, extras = todo.pop()
        if dist in skipped or (dist, extras) in seen:
            continue
        seen.add((dist, extras))
        todo += [(HEADLESS.get(d, d), e) for d, e in declared(dist, python, extras)]
    return {dist for dist, _ in seen}


def requirement_lines(roots) -> list[str]:
    """One ``name==version`` line per distribution of the closure of ``roots``, the version constraints.txt's, with a
    marker where a Python of :data:`PYTHONS` does not need it."""
    pins = read_pins(CONSTRAINTS)
    needed = {python: install_closure(roots, python) for python in PYTHONS}
    every = set().union(*needed.values())
    missing = sorted(d for d in every if pins.get({v: k for k, v in HEADLESS.items()}.get(d, d)) is None)
    if missing:
        raise RuntimeError(f"constraints.txt pins none of {', '.join(missing)}")
    lines = []
    for dist in sorted(every):
        version = pins[{v: k for k, v in HEADLESS.items()}.get(dist, dist)]
        only = [python for python in PYTHONS if dist in needed[python]]
        marker = "" if len(only) == len(PYTHONS) else " ; " + " or ".join(f'python_version == "{p}"' for p in only)
        lines.append(f"{dist}=={version}{marker}")
    return lines


HEADER = f"""\
# The hosted app's requirements: AI Studio's app hosting installs this file, which `python -m lib.app.bundle OUT`
# copies into the bundle as requirements.txt. Written by `python -m lib.app.requirements` from what the app imports
# when it restores each tab's example (lib/app/requirements.py); write it again rather than by hand.
# Every package pinned == to constraints.txt, dependencies included: the host needs no constraints file.
# Python 3.11 or 3.12 (scipy 1.17 needs 3.11; numpy 1.26 has no wheel for 3.13).
# No Paddle: the host's (a second, CPU paddle over a preinstalled paddlepaddle-gpu would break both). The app
# checks for Paddle 3.x at start-up (lib/app/hosting.py); where there is none, add: {PADDLE_PIN}
# OpenCV without its GUI (no libGL needed). PaddleSeg and RapidOCR, whose metadata asks for the GUI build, are
# copied into the bundle's vendor/ instead (lib/app/bundle.py).
"""


def render(roots) -> str:
    return HEADER + "\n".join(requirement_lines(roots)) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.app.requirements", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help=f"compare with {REQUIREMENTS.name}, write nothing")
    parser.add_argument("--probe", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe:
        probe(args.probe)
        return 0
    record = measure()
    roots = own_needs(record["top"])
    text = render(roots)
    by_module = md.packages_distributions()
    imported = {canonical(d) for name in record["top"] for d in by_module.get(name, ())}
    pinned = set(parse_pins(text))
    ours = {canonical(d) for d in by_module.get("lib", ())}
    others = sorted(imported - pinned - ours - PADDLE - {canonical(d) for d in VENDORED} - set(HEADLESS))
    print(f"the app's own needs ({len(roots)}): {', '.join(sorted(roots))}")
    print(f"pinned with their dependencies: {len(pinned)}")
    print(f"imported here but not the app's (optional imports, Paddle's own): {', '.join(others)}")
    if args.check:
        same = REQUIREMENTS.is_file() and REQUIREMENTS.read_text(encoding="utf-8") == text
        print(f"{REQUIREMENTS.relative_to(REPO_ROOT)}: {'up to date' if same else 'OUT OF DATE'}")
        return 0 if same else 1
    REQUIREMENTS.write_text(text, encoding="utf-8")
    print(f"wrote {REQUIREMENTS.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
