"""The import layers hold (issue 13): ``lint-imports`` checks the contracts in pyproject.toml on every test run.

Layers, top to bottom (docs/architecture.md): ``gridpatrol`` (station, settings, command line), then ``sim``, then
``flight | vision | speaker | api`` (independent of each other), then ``mission_planner | incidents`` (the incident
contract, which vision, speaker and api share). No library imports ``gridpatrol`` or typer (the command line lives
in ``gridpatrol.cli``); the detector loads no MAVLink; ``flight.vehicle`` never imports ``flight.link`` back. The
broken cases run each contract on a copy of the packages with one bad import added, so a contract that silently
checked nothing would fail here too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("gridpatrol", "mission_planner", "flight", "vision", "speaker", "api", "sim", "incidents")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``lint-imports ARGS`` (the venv's, beside this interpreter) on the packages under ``root``."""
    assert LINT_IMPORTS.exists(), f"{LINT_IMPORTS} is missing: pip install -e '.[dev]' installs import-linter"
    env = {**os.environ, "PYTHONPATH": str(root), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", *args], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_contracts_are_kept() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    counts = re.search(r"Contracts: (\d+) kept, (\d+) broken", result.stdout)
    assert counts is not None, result.stdout
    assert int(counts[1]) >= 5 and int(counts[2]) == 0  # every contract of this file ran and held


@pytest.fixture(scope="module")
def copy_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Python sources of the packages and pyproject.toml, copied (no data, no caches)."""
    root = tmp_path_factory.mktemp("layers")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__", "node_modules"))
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("vision/probe.py", "import gridpatrol.config", "libraries-never-import-gridpatrol"),
        ("sim/probe.py", "from gridpatrol.cli import console", "libraries-never-import-gridpatrol"),
        ("speaker/probe.py", "import typer", "command-line-in-gridpatrol"),
        ("speaker/probe.py", "import vision.detector", "layers"),  # siblings are independent
        ("mission_planner/probe.py", "import flight.link", "layers"),  # the bottom layer imports nothing above
        ("incidents/probe.py", "import vision.incidents", "layers"),  # the incident contract imports no user of it
        ("flight/probe.py", "import sim.simulator", "layers"),
        ("vision/detector.py", "import flight.link", "vision-without-mavlink"),  # indirectly: flight loads pymavlink
        ("flight/link_port.py", "import flight.link", "flight-link-over-vehicle"),  # vehicle -> link_port -> link
    ],
)
def test_a_bad_import_breaks_its_contract(copy_root: Path, module: str, line: str, contract: str) -> None:
    path = copy_root / module
    before = path.read_text(encoding="utf-8") if path.exists() else None
    path.write_text((before or "") + f"\n{line}  # the probe\n", encoding="utf-8")
    try:
        result = lint_imports(copy_root, "--contract", contract)
    finally:
        if before is None:
            path.unlink()
        else:
            path.write_text(before, encoding="utf-8")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "0 kept, 1 broken" in result.stdout, result.stdout
    assert lint_imports(copy_root, "--contract", contract).returncode == 0  # the copy is whole again
