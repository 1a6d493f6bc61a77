"""Shared test set-up: nothing downloads, plots render off-screen."""

import os

os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
# One console width for every test and the CLIs they start, whatever terminal runs them: Rich reads COLUMNS
# when it lays out a line, and a narrow terminal used to split the words a test looks for over two lines.
os.environ["COLUMNS"] = "200"
