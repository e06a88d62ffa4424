import sys
from pathlib import Path

# tests import small helpers from each other (e.g. the tiny training task)
sys.path.insert(0, str(Path(__file__).parent))
