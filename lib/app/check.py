"""``make check-app``: the hosted app's folder tried as a host would, on this machine (not part of ``make test``:
minutes, and pip downloads several hundred MB the first time).

1. build the bundle (lib.app.bundle) into a temporary folder;
2. a fresh virtual environment (``python3 -m venv``) and ``pip install -r requirements.txt`` of the bundle, nothing
   else (pip's configured index; timed);
3. the entry file there without Paddle: it must stop with its Chinese message (lib.app.hosting);
4. the host's Paddle: ``paddlepaddle`` as the course pins it (a host preinstalls its own), then ``pip check`` and
   what got installed (no GUI OpenCV, no second copy of the vendored packages, no notebook, test or lint tool);
5. the app started from the bundle folder as ``python app.gradio.py`` with ``GRADIO_SERVER_NAME`` /
   ``GRADIO_SERVER_PORT`` set to a free loopback port, driven through ``gradio_client`` from this environment: one
   request per tab with the bundle's example image, each answered with an image of the input's size by the exported
   model the bundle carries (its summary names ``app/exported/``; nothing exported at run time);
6. the app stopped, the times printed (``--keep`` keeps the folder, the environment and the app's log).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from .bundle import CONSTRAINTS, build_bundle, canonical, parse_pins, tree_size
from .hosting import PADDLE_PIN

FORBIDDEN = {  # none of these may land in the app's environment
    "opencv-python": "the GUI OpenCV (needs libGL)",
    "paddleseg": "vendored in the bundle",
    "rapidocr-onnxruntime": "vendored in the bundle",
    **{
        tool: "a notebook, test or lint tool"
        for tool in ("jupyterlab", "ipykernel", "nbclient", "nbval", "pytest", "ruff", "import-linter", "playwright")
    },
}
TEXT = {"capture_output": True, "text": True}
START_TIMEOUT_S = 600
REQUEST_TIMEOUT_S = 600


class CheckFailed(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def step(number: int, text: str) -> float:
    print(f"[check-app {number}/6] {text}", flush=True)
    return time.perf_counter()


def run(command, log: Path, **kwargs) -> float:
    """Run ``command`` with its output appended to ``log``; its seconds, or CheckFailed with the log's tail."""
    start = time.perf_counter()
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"$ {' '.join(map(str, command))}\n")
        out.flush()
        done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, **kwargs)
    if done.returncode:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-25:])
        raise CheckFailed(f"{' '.join(map(str, command))} exited {done.returncode}:\n{tail}")
    return time.perf_counter() - start


def clean_env(**extra) -> dict:
    """This process's environment without what would reach back into the course's own (its venv, lib/, profile)."""
    dropped = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "COURSE_PROFILE", "COURSE_SHIPPED", "COURSE_RUNS_DIR")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    return {**env, "PIP_DISABLE_PIP_VERSION_CHECK": "1", **extra}


def pip_install(venv_python: Path, args, log: Path) -> float:
    return run([venv_python, "-m", "pip", "install", "--progress-bar", "off", *args], log, env=clean_env())


def installed(venv_python: Path) -> dict:
    out = subprocess.run(
        [venv_python, "-m", "pip", "list", "--format=json"], capture_output=True, text=True, check=True, env=clean_env()
    )
    return {canonical(p["name"]): p["version"] for p in json.loads(out.stdout)}


def without_paddle(bundle: Path, venv_python: Path) -> str:
    """The entry file in the environment before Paddle is there: its Chinese message, or CheckFailed."""
    done = subprocess.run(
        [venv_python, "app.gradio.py"], cwd=bundle, capture_output=True, text=True, timeout=300, env=clean_env()
    )
    said = done.stdout + done.stderr
    if done.returncode == 0 or "PaddlePaddle 3.x" not in said:
        raise CheckFailed(
            f"without Paddle the entry file must stop, saying why (exit {done.returncode}):\n{said[-2000:]}"
        )
    return next(line for line in said.splitlines() if "PaddlePaddle 3.x" in line)


def wait_until_serving(url: str, process: subprocess.Popen, log: Path) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < START_TIMEOUT_S:
        if process.poll() is not None:
            raise CheckFailed(f"the app exited {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return time.perf_counter() - start
        except OSError:
            time.sleep(1)
    said = log.read_text(errors="replace")[-3000:]
    raise CheckFailed(f"the app did not answer {url} within {START_TIMEOUT_S} s:\n{said}")


def drive(url: str, examples: list[Path]) -> list[dict]:
    """One request per tab (the example's name) through gradio_client; each result must have the input's size and
    come from the bundle's own exported model (``app/exported/``, lib.app.bundle), not one exported at run time."""
    import cv2
    from gradio_client import Client, handle_file

    client = Client(url, verbose=False)
    endpoints = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    results = []
    for example in examples:
        tab = example.stem
        if f"/{tab}" not in endpoints:
            raise CheckFailed(f"no endpoint /{tab} for {example.name}; the app has {sorted(endpoints)}")
        start = time.perf_counter()
        job = client.submit(handle_file(str(example)), api_name=f"/{tab}")
        outputs = job.result(timeout=REQUEST_TIMEOUT_S)
        seconds = time.perf_counter() - start
        given, got = cv2.imread(str(example)).shape[:2], cv2.imread(outputs[1]).shape[:2]
        results.append({"tab": tab, "input": given, "result": got, "seconds": seconds})
        print(f"    {tab}: {given[1]} x {given[0]} -> {got[1]} x {got[0]} in {seconds:.1f} s", flush=True)
        if got != given:
            raise CheckFailed(f"{tab}: the result is {got[1]} x {got[0]}, the input {given[1]} x {given[0]}")
        summary = next((o for o in outputs if isinstance(o, str) and "导出的模型" in o), "")
        if "`app/exported/" not in summary:
            raise CheckFailed(f"{tab}: not restored by the bundle's exported model: {summary[-300:]!r}")
    return results


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def check(work: Path, python: str) -> dict:
    bundle, venv, logs = work / "bundle", work / "venv", work / "logs"
    logs.mkdir(parents=True)
    times = {}

    start = step(1, f"building the bundle into {bundle}")
    built = build_bundle(bundle)
    times["bundle"] = time.perf_counter() - start
    print(f"    {built['files']} files, {built['bytes'] / 1e6:.1f} MB", flush=True)

    start = step(2, f"fresh virtual environment ({python} -m venv) and pip install -r requirements.txt")
    run([python, "-m", "venv", venv], logs / "venv.log")
    venv_python = venv / "bin" / "python"
    version = subprocess.run([venv_python, "-c", "import platform; print(platform.python_version())"], **TEXT)
    times["requirements"] = pip_install(venv_python, ["-r", bundle / "requirements.txt"], logs / "pip.log")
    count = len(parse_pins((bundle / "requirements.txt").read_text(encoding="utf-8")))
    print(f"    Python {version.stdout.strip()}; {count} pins installed in {times['requirements']:.0f} s", flush=True)

    step(3, "the entry file without Paddle")
    print(f"    {without_paddle(bundle, venv_python)}", flush=True)

    step(4, f"the host's Paddle ({PADDLE_PIN}, with constraints.txt's versions of its dependencies), pip check")
    times["paddle"] = pip_install(venv_python, [PADDLE_PIN, "-c", CONSTRAINTS], logs / "pip.log")
    run([venv_python, "-m", "pip", "check"], logs / "pip.log", env=clean_env())
    packages = installed(venv_python)
    bad = {name: why for name, why in FORBIDDEN.items() if name in packages}
    if bad:
        raise CheckFailed(f"installed but must not be: {bad}")
    venv_bytes = tree_size(venv)
    print(f"    Paddle in {times['paddle']:.0f} s; {len(packages)} packages, {venv_bytes / 1e9:.2f} GB", flush=True)

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    start = step(5, f"python app.gradio.py in the bundle, GRADIO_SERVER_NAME=127.0.0.1 GRADIO_SERVER_PORT={port}")
    app_log = logs / "app.log"
    env = clean_env(GRADIO_SERVER_NAME="127.0.0.1", GRADIO_SERVER_PORT=str(port), GRADIO_ANALYTICS_ENABLED="False")
    with open(app_log, "w", encoding="utf-8") as out:
        process = subprocess.Popen(
            [venv_python, "app.gradio.py"], cwd=bundle, stdout=out, stderr=subprocess.STDOUT, env=env
        )
    try:
        times["start"] = wait_until_serving(url, process, app_log)
        print(f"    serving after {times['start']:.0f} s", flush=True)
        start = time.perf_counter()
        results = drive(url, sorted((bundle / "app" / "examples").glob("*.png")))
        times["requests"] = time.perf_counter() - start
        exported_here = sorted(p.name for p in (bundle / "runs" / "app" / "exported").glob("*"))
        if exported_here:
            raise CheckFailed(f"the hosted app exported models at run time: {exported_here}")
    finally:
        step(6, "stopping the app")
        stop(process)
    return {
        "bundle_mb": built["bytes"] / 1e6,
        "python": version.stdout.strip(),
        "pins": count,
        "packages": len(packages),
        "venv_gb": venv_bytes / 1e9,
        "times": times,
        "tabs": results,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.app.check", description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="python3", help="the interpreter of the fresh environment (python3)")
    parser.add_argument("--keep", type=Path, help="work in this folder (new) and keep it")
    args = parser.parse_args(argv)
    if args.keep and args.keep.exists():
        parser.error(f"{args.keep} exists")
    work = args.keep or Path(tempfile.mkdtemp(prefix="check-app-"))
    start = time.perf_counter()
    try:
        report = check(work, args.python)
    except CheckFailed as exc:
        print(f"check-app FAILED: {exc}", file=sys.stderr)
        print(f"(logs kept in {work / 'logs'})", file=sys.stderr)
        return 1
    else:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    total = time.perf_counter() - start
    times = report["times"]
    print(
        f"check-app passed in {total:.0f} s: bundle {report['bundle_mb']:.1f} MB; Python {report['python']}, "
        f"{report['pins']} pins in {times['requirements']:.0f} s + Paddle in {times['paddle']:.0f} s, "
        f"{report['packages']} packages, {report['venv_gb']:.2f} GB; serving after {times['start']:.0f} s; "
        f"{len(report['tabs'])} tabs answered in {times['requests']:.0f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
