"""``python -m lib.tracks.denoise export|infer ...`` (see lib.tracks.denoise.track)."""

import sys

from .track import main

sys.exit(main())
