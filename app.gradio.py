"""The app's entry file in the layout AI Studio's app hosting (应用, Gradio) runs: ``app.gradio.py``
at the project's root beside ``requirements.txt``; ``python app.gradio.py`` serves it locally too.
The app itself is lib/app/ (README: 在自己的图片上试一试); ``python -m lib.app.bundle OUT`` builds the folder
to upload, with this file, the app's own ``requirements.txt`` and what it imports. Address and port:
lib.app.hosting (``GRADIO_SERVER_NAME`` / ``GRADIO_SERVER_PORT``; 0.0.0.0:7860 in a bundle)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # lib/ importable without `make setup`

import lib.quiet  # noqa: E402 -- after the path above; first: quiets Paddle before anything imports it

from lib.app.hosting import prepare_hosted  # noqa: E402 -- after the path above

prepare_hosted()  # a bundle's vendor/ on the path; Paddle 3.x importable, else a Chinese message saying what to do

from lib.app import build_app, launch  # noqa: E402 -- after the check above

demo = build_app()

if __name__ == "__main__":
    launch(demo)
