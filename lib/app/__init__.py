"""The course's web app: every solution on a person's own image, one tab per track deployment (gradio).

    make app                    # http://127.0.0.1:7860 (PORT=8080 make app for another port)
    python -m lib.app --port 7860
    python app.gradio.py        # the entry file AI Studio's app hosting runs
    python -m lib.app.bundle OUT    # the folder to upload there (make app-bundle; make check-app tries it)

* :mod:`lib.app.images`: reading an uploaded file (alpha, grey, 16-bit, CMYK, EXIF rotation) or a
  Chinese message saying why not (truncated, not an image, over the size limit);
* :mod:`lib.app.restore`: the tabs, one per track whose deployment (lib.tracks.deployment) has one, each
  restoring through its deployment: the profile's model exported as the submission exports it (once per
  checkpoint, on the tab's first use) and run by lib.infer (the tiling, TLC and pre/post-processing the
  submission zip carries as files and its predict.py runs), its best classical method beside it;
* :mod:`lib.app.jobs`: the app's own queue (places told in Chinese) and one request's work in a thread;
* :mod:`lib.image_views`: difference maps, the zoom, the tile plan, K/D maps, the mask;
* :mod:`lib.app.ui`: the gradio tabs built from the deployments (title, intro, model card, example, controls,
  extras, limits), each with its Chinese status line (gradio's English tracker hidden);
* :mod:`lib.app.examples`: the small example images under ``app/examples/``, made by the course's generators;
* :mod:`lib.app.timing`: each tab's seconds per megapixel, recorded in ``app/timing.json``;
* :mod:`lib.app.hosting`: where it listens (the environment's address and port) and the start-up check of a
  hosted copy; :mod:`lib.app.bundle` builds that copy, :mod:`lib.app.requirements` its pinned
  ``app/requirements.txt``, :mod:`lib.app.check` tries it in a fresh virtual environment.

Adding a track's tab is adding its deployment in the track's own package; nothing here names a track.

Importing this package does not import gradio (``build_app`` does).
"""

from __future__ import annotations

import threading


def build_app():
    """The gradio Blocks of the tabs (lib.app.ui.build_app)."""
    from .ui import build_app as build

    return build()


def launch(demo=None, port: int | None = None, host: str | None = None, warm: bool = False, block: bool = True):
    """Serve the app on ``host``:``port`` (default: :func:`lib.app.hosting.server_address`, from the environment:
    ``GRADIO_SERVER_NAME`` / ``GRADIO_SERVER_PORT``, else ``HOST`` / ``PORT``, else 127.0.0.1 and 7860, or 0.0.0.0:7860
    inside a bundle); print the local URL. Each tab loads its model on first use; ``warm`` loads them all in the
    background at start. Returns the Blocks."""
    import logging

    from .hosting import server_address
    from .ui import warm_up

    logging.getLogger("httpx").setLevel(logging.WARNING)  # gradio's start-up checks, one line per request
    demo = demo or build_app()
    host, port = server_address(host, port)
    demo.launch(server_name=host, server_port=port, prevent_thread_lock=True, max_file_size="100mb", quiet=True)
    print(f"应用已启动 / the app is serving: {demo.local_url}", flush=True)
    if warm:
        threading.Thread(target=warm_up, daemon=True).start()
    if block:
        demo.block_thread()
    return demo
