"""Shared test set-up: nothing downloads, plots render off-screen, helpers beside this file import."""

from __future__ import annotations

import fcntl
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sim.sprites import SpriteBank

# Test modules import the shared helpers here (sitl_slots) by name.
sys.path.insert(0, str(Path(__file__).resolve().parent))

os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
# One console width for every test and the CLIs they start, whatever terminal runs them: Rich reads COLUMNS
# when it lays out a line, and a narrow terminal used to split the words a test looks for over two lines.
os.environ["COLUMNS"] = "200"


@pytest.fixture(scope="session")
def sprite_bank(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> SpriteBank:
    """People sprites cut from the bundled photos once (about 30 s) and kept between runs in pytest's cache folder
    (.pytest_cache, not in the repository; without the cache plugin, beside the run's temporary folders).

    The folder is locked while it is read or filled: with pytest-xdist two workers (or two runs) would otherwise cut
    the same sprites at once, and one could read the other's half-written index.
    """
    from sim.sprites import SpriteBank  # here: cv2 and numpy load only for the tests that render

    cache = getattr(request.config, "cache", None)
    if cache is not None:
        folder = Path(cache.mkdir("gridpatrol-sprites"))
    else:
        folder = tmp_path_factory.getbasetemp().parent / "gridpatrol-sprites"
        folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        return SpriteBank.load(cache_dir=folder, want=6)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With pytest-xdist, hand out the slow test modules first.

    ``make test`` runs ``--dist loadfile``: each module goes whole to one worker, in collection order. A long module
    (a simulated patrol) that a worker picks up last keeps the run going while the other worker idles, so modules
    with a test marked ``slow`` or ``sitl`` (real autopilot flights) go first. A serial run (no xdist worker) keeps
    the usual order.
    """
    if not hasattr(config, "workerinput"):  # only the workers collect for xdist's scheduler
        return
    slow_modules = {item.path for item in items if item.get_closest_marker("slow") or item.get_closest_marker("sitl")}
    items.sort(key=lambda item: item.path not in slow_modules)  # stable: each module keeps its own order
