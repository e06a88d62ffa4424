"""``python -m lab.fidelity [track ...]``."""

import sys

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)
from lab.fidelity import main

sys.exit(main())
