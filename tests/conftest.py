"""Shared test set-up: nothing downloads, plots render off-screen."""

import os

os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
