"""The app's entry file in the layout AI Studio's app hosting (应用, Gradio) runs: ``app.gradio.py``
at the project's root beside ``requirements.txt``; ``python app.gradio.py`` serves it locally too.
The app itself is lib/app/ (README: 在自己的图片上试一试)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # lib/ importable without `make setup`

import lib.quiet  # noqa: E402 -- after the path above; first: quiets Paddle before anything imports it

from lib.app import build_app, launch  # noqa: E402 -- after the path above

demo = build_app()

if __name__ == "__main__":
    launch(demo)
