"""Where the app listens and what it checks before it builds, locally (``make app``) and hosted (the folder
``python -m lib.app.bundle`` builds for AI Studio's app hosting).

Address and port: an explicit ``--host`` / ``--port``, else Gradio's own ``GRADIO_SERVER_NAME`` /
``GRADIO_SERVER_PORT`` (the variables a host that runs Gradio apps sets, and that ``gradio`` itself reads), else
the course's ``HOST`` / ``PORT``, else 0.0.0.0:7860 inside a bundle (a hosted app is reached through the host's
proxy, not through its own loopback) and 127.0.0.1 on a person's machine (nobody else reaches it).

A bundle is told by its manifest, :data:`MANIFEST`, beside the entry file. Its ``requirements.txt`` names no
Paddle (a host that preinstalls ``paddlepaddle-gpu`` would get a second, CPU ``paddle`` package over it), so
:func:`prepare_hosted` checks that some Paddle 3.x imports and says in Chinese what to do if not; it also puts the
bundle's copies of PaddleSeg and RapidOCR (``vendor/``, see lib.app.bundle) on the import path.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..paths import REPO_ROOT

MANIFEST = "app_bundle.json"  # written by lib.app.bundle at the bundle's root
VENDOR_DIR = "vendor"  # the bundle's copies of packages whose pip metadata asks for the GUI OpenCV
HOSTED_HOST = "0.0.0.0"
LOCAL_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
PADDLE_MAJOR = 3
PADDLE_PIN = "paddlepaddle==3.3.1"  # the course's CPU build (constraints.txt); tests check it agrees


class PaddleMissing(RuntimeError):
    """No Paddle 3.x importable: the message says, in Chinese, what to change in the deployment."""


def in_bundle(root: Path = REPO_ROOT) -> bool:
    """Whether this code runs from a bundle built by lib.app.bundle (its manifest is beside the entry file)."""
    return (Path(root) / MANIFEST).is_file()


def _port(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        port = int(value)
    except ValueError:
        raise ValueError(f"port must be a number, got {value!r}") from None
    if not 0 < port < 65536:
        raise ValueError(f"port must be in 1..65535, got {port}")
    return port


def server_address(host: str | None = None, port=None, environ=None, bundled: bool | None = None):
    """``(host, port)`` to listen on (module doc for the order). ``port`` is None on a person's machine with
    nothing set: gradio then takes 7860 or the next free port."""
    environ = os.environ if environ is None else environ
    bundled = in_bundle() if bundled is None else bundled
    host = host or environ.get("GRADIO_SERVER_NAME") or environ.get("HOST") or (HOSTED_HOST if bundled else LOCAL_HOST)
    port = _port(port) or _port(environ.get("GRADIO_SERVER_PORT")) or _port(environ.get("PORT"))
    return host, port or (DEFAULT_PORT if bundled else None)


def paddle_problem() -> str | None:
    """None if a Paddle 3.x imports, else a Chinese sentence saying what is there instead."""
    try:
        import paddle
    except ImportError as exc:
        return f"当前环境里没有可导入的 Paddle（{exc}）"
    version = getattr(paddle, "__version__", "?")
    if version.split(".")[0] != str(PADDLE_MAJOR):
        return f"当前环境里的 Paddle 是 {version}"
    return None


def require_paddle() -> None:
    """Raise :class:`PaddleMissing` with what to do unless a Paddle 3.x (CPU or GPU build) imports."""
    problem = paddle_problem()
    if problem:
        raise PaddleMissing(
            f"{problem}，而这个应用需要 PaddlePaddle {PADDLE_MAJOR}.x（CPU 版 paddlepaddle 或 GPU 版 "
            f"paddlepaddle-gpu 都可以）。requirements.txt 有意不写 Paddle，以免和平台预装的 paddlepaddle-gpu "
            f"装成两份。请选用预装 PaddlePaddle {PADDLE_MAJOR}.x 的环境；或在 requirements.txt 末尾加一行 "
            f"{PADDLE_PIN}（CPU 版）后重新部署。"
        )


def prepare_hosted(root: Path = REPO_ROOT) -> None:
    """What the entry file does before it builds the app: the bundle's ``vendor/`` first on the import path (its
    copies win over another version the host may have installed), then :func:`require_paddle`."""
    vendor = Path(root) / VENDOR_DIR
    if vendor.is_dir() and str(vendor) not in sys.path:
        sys.path.insert(0, str(vendor))
    require_paddle()
