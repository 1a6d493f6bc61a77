"""The vision libraries import on their own: no ``gridpatrol`` settings layer, no pymavlink (issue 13).

``vision.detector`` used to import ``gridpatrol.config`` for its default data directory, which pulled in every
package's settings and pymavlink. Each check runs in a fresh interpreter, so modules other tests loaded do not hide
an import.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = "import sys, importlib; importlib.import_module(sys.argv[1]); print(' '.join(sorted(sys.modules)))"


def loaded_after_import(module: str) -> set[str]:
    """The top-level packages in ``sys.modules`` after importing ``module`` in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE, module], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    ).stdout
    return {name.split(".")[0] for name in out.split()}


@pytest.mark.parametrize(
    "module", ["vision.detector", "vision.mask_data", "vision.train_masks", "vision.data_dir", "sim.sprites"]
)
def test_library_module_imports_without_gridpatrol_or_pymavlink(module: str) -> None:
    loaded = loaded_after_import(module)
    assert module.split(".")[0] in loaded  # the probe did import it
    assert "gridpatrol" not in loaded
    assert "pymavlink" not in loaded


def test_default_data_dir_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gridpatrol.config import Settings
    from vision.data_dir import default_data_dir
    from vision.mask_data import mask_dataset_dir

    monkeypatch.setenv("GRIDPATROL_DATA_DIR", str(tmp_path))
    assert default_data_dir() == tmp_path
    assert Settings().station.data_dir == tmp_path  # the station's default is the same one
    assert mask_dataset_dir() == tmp_path / "face_mask"
    assert mask_dataset_dir(tmp_path / "other") == tmp_path / "other" / "face_mask"
    monkeypatch.delenv("GRIDPATROL_DATA_DIR")
    assert default_data_dir() == ROOT.parent / "shared" / "data"
