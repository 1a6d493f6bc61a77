"""Shared test set-up: nothing downloads, plots render off-screen, helpers beside this file import."""

import os
import sys
from pathlib import Path

import pytest

# Test modules import the shared helpers here (sitl_slots) by name.
sys.path.insert(0, str(Path(__file__).resolve().parent))

os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
# One console width for every test and the CLIs they start, whatever terminal runs them: Rich reads COLUMNS
# when it lays out a line, and a narrow terminal used to split the words a test looks for over two lines.
os.environ["COLUMNS"] = "200"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With pytest-xdist, hand out the slow test modules first.

    ``make test`` runs ``--dist loadfile``: each module goes whole to one worker, in collection order. A long module
    (a simulated patrol) that a worker picks up last keeps the run going while the other worker idles, so modules
    with a test marked ``slow`` go first. A serial run (no xdist worker) keeps the usual order.
    """
    if not hasattr(config, "workerinput"):  # only the workers collect for xdist's scheduler
        return
    slow_modules = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_modules)  # stable: each module keeps its own order
