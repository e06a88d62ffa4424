"""``python -m lib.tracks.denoise export|infer ...`` (see lib.tracks.denoise.deployment)."""

import sys

from .deployment import main

sys.exit(main())
