"""The console tests import helpers (console_kit) from this folder: put it on sys.path. Playwright's expectations
wait up to the hang bound in every console test, not Playwright's 5 s default (a loaded machine is slow, not wrong;
``page.set_default_timeout`` does not reach ``expect``)."""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

#: Only stops a hang.
EXPECT_HANG_MS = 90_000


@pytest.fixture(autouse=True)
def patient_expectations() -> Iterator[None]:
    """Playwright's expectations wait up to :data:`EXPECT_HANG_MS` during each console test."""
    try:
        from playwright.sync_api import expect
    except ImportError:  # pragma: no cover - playwright comes with the dev extras
        yield
        return
    expect.set_options(timeout=EXPECT_HANG_MS)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Debian Chromium for a module's tests (a module that needs other flags defines its own)."""
    from console_browser import chromium

    with chromium() as b:
        yield b
