"""``python -m lib.app [--port N] [--host H]``: serve the app (``make app``)."""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse

from lib.app import launch


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.app", description="Serve the course's web app.")
    parser.add_argument("--port", type=int, default=None, help="default: $GRADIO_SERVER_PORT, else $PORT, else 7860")
    parser.add_argument(
        "--host", default=None, help="default: $GRADIO_SERVER_NAME, else $HOST, else 127.0.0.1 (0.0.0.0: reachable)"
    )
    parser.add_argument("--warm", action="store_true", help="load every tab's model at start (default: on first use)")
    args = parser.parse_args(argv)
    launch(port=args.port, host=args.host, warm=args.warm)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
