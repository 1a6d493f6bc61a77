"""The console tests import helpers (console_kit) from this folder: put it on sys.path."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
