"""Shared test set-up: nothing downloads, plots render off-screen, helpers beside this file import."""

from __future__ import annotations

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


def _sprite_folder(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A folder kept between runs in pytest's cache (.pytest_cache, not in the repository), or without the cache
    plugin beside the run's temporary folders; every worker of a run sees the same one."""
    cache = getattr(request.config, "cache", None)
    if cache is not None:
        return Path(cache.mkdir(name))
    folder = tmp_path_factory.getbasetemp().parent / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def sprite_bank(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> SpriteBank:
    """People sprites cut from the bundled photos once per machine (about 30 s), for the tests that render.

    ``SpriteBank.load`` locks the folder while it reads or fills it: two workers (or two runs) never cut at once,
    and neither reads the other's half-written index.
    """
    from sim.sprites import SpriteBank  # here: cv2 and numpy load only for the tests that render

    return SpriteBank.load(cache_dir=_sprite_folder(request, tmp_path_factory, "gridpatrol-sprites"), want=6)


@pytest.fixture(scope="session")
def station_sprites(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sprite folder for the stations the tests run (``[station] sprite_dir``): the simulated cameras of every
    camera patrol in a run share one cut of the station's sprites instead of each cutting its own."""
    from sim.sprites import SpriteBank

    folder = _sprite_folder(request, tmp_path_factory, "gridpatrol-station-sprites")
    SpriteBank.load(cache_dir=folder)  # the station's count (the default); cut here, under the lock, if need be
    return folder


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With pytest-xdist, hand out the slow test modules first.

    ``make test`` runs ``--dist loadfile --no-loadscope-reorder``: each module goes whole to one worker, in
    collection order (without the flag xdist hands out the modules with the most tests first, and the one-test
    patrols came last). A long module (a simulated patrol) that a worker picks up last keeps the run going while
    the others idle, so modules with a test marked ``slow`` or ``sitl`` (real autopilot flights) go first. A serial
    run (no xdist worker) keeps the usual order.
    """
    if not hasattr(config, "workerinput"):  # only the workers collect for xdist's scheduler
        return
    slow_modules = {item.path for item in items if item.get_closest_marker("slow") or item.get_closest_marker("sitl")}
    items.sort(key=lambda item: item.path not in slow_modules)  # stable: each module keeps its own order
