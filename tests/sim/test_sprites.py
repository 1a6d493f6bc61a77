"""The sprite cache: processes that load one folder at once cut the sprites once (real photos, the real detector)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LOAD = """
import logging, sys
from pathlib import Path
from sim.sprites import SpriteBank
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s %(message)s")
bank = SpriteBank.load(cache_dir=Path(sys.argv[1]), want=1)
print(sorted(s.source for s in bank.sprites))
"""


@pytest.mark.slow
def test_two_processes_loading_one_folder_cut_once_and_get_the_same_sprites(tmp_path: Path) -> None:
    """A station's analysis processes (one per drone) load the camera's sprites together; each used to cut its own
    (about 30 s of both cores), and one could read the other's half-written index."""
    env = dict(os.environ, PYTHONPATH=str(REPO), YOLO_OFFLINE="1")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", LOAD, str(tmp_path / "sprites")],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), results
    cuts = sum("person sprites from" in err for _, err in results)
    assert cuts == 1, [err for _, err in results]
    loaded = [out.strip().splitlines()[-1] for out, _ in results]  # the cutting one also says it loads the model
    assert loaded[0] == loaded[1] and loaded[0] != "[]", loaded
