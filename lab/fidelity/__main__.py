"""``python -m lab.fidelity [track ...]``."""

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import sys

from lab.fidelity import main

sys.exit(main())
