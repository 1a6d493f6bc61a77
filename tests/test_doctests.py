"""The docstring examples of the library packages run as tests, so an example that goes wrong fails the suite.

Every module of the packages below whose source holds ``>>>`` is imported and its examples are run with
:mod:`doctest` (ELLIPSIS on, as pytest's ``--doctest-modules`` would). Modules without examples are never imported
here, so this test pulls in no heavy or side-effecting import it has no use for; ``__main__`` modules are left out
(importing one runs its command). An example that cannot run here (it needs a model file, a vehicle, a server) is
marked ``# doctest: +SKIP`` where it stands; everything else runs, in a temporary working directory that holds
the repository's ``examples/`` (so an example may read ``examples/district.geojson`` as a reader would, but writes
nothing into the repository).
"""

from __future__ import annotations

import contextlib
import doctest
import importlib
import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("mission_planner", "flight", "vision", "speaker", "api", "sim", "incidents", "gridpatrol")


def modules_with_examples() -> list[str]:
    """Dotted names of the package modules whose source holds a ``>>>`` prompt, in path order."""
    names = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.name == "__main__.py" or ">>>" not in path.read_text(encoding="utf-8"):
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def examples(name: str) -> list[doctest.DocTest]:
    """The doctests of one module (its own docstrings only, not those of names it imports)."""
    module = importlib.import_module(name)
    return [t for t in doctest.DocTestFinder().find(module, name) if t.examples]


def count(tests: list[doctest.DocTest]) -> tuple[int, int]:
    """(examples that run, examples marked +SKIP) in these doctests."""
    skipped = sum(1 for t in tests for e in t.examples if e.options.get(doctest.SKIP))
    return sum(len(t.examples) for t in tests) - skipped, skipped


@contextlib.contextmanager
def root_handlers_set_aside() -> Iterator[None]:
    """The root logger without its handlers for a while, then with the same ones again.

    A test before this one may have set up the station's logging (a Rich handler writing to stdout); the examples'
    log lines would then land in the output doctest compares.
    """
    root = logging.getLogger()
    saved = root.handlers[:]
    for handler in saved:
        root.removeHandler(handler)
    try:
        yield
    finally:
        for handler in saved:
            root.addHandler(handler)


MODULES = modules_with_examples()


def test_every_package_is_searched() -> None:
    """The packages exist where this test looks, and most of them hold examples (a moved package is noticed)."""
    assert all((ROOT / p / "__init__.py").is_file() for p in PACKAGES)
    assert {m.split(".")[0] for m in MODULES} == set(PACKAGES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each example of the module gives the output its docstring shows; the module's prompts are all found."""
    (tmp_path / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    tests = examples(name)
    assert tests, f"{name} has '>>>' in its source but no docstring example doctest can find"
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    with root_handlers_set_aside():
        for test in tests:
            runner.run(test, out=out.write)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, out.getvalue()
    assert result.attempted == count(tests)[0]  # every example not marked +SKIP ran
