"""``python -m lab.fidelity [track ...]``."""

import sys

from lab.fidelity import main

sys.exit(main())
