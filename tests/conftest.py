"""Shared test set-up: nothing downloads, plots render off-screen, helpers beside this file import."""

import os
import sys
from pathlib import Path

# Test modules import the shared helpers here (sitl_slots) by name.
sys.path.insert(0, str(Path(__file__).resolve().parent))

os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
# One console width for every test and the CLIs they start, whatever terminal runs them: Rich reads COLUMNS
# when it lays out a line, and a narrow terminal used to split the words a test looks for over two lines.
os.environ["COLUMNS"] = "200"
