"""A proposed warning in Debian's Chromium (issue 15, "Decide"): a simulated crowd found by drone-1 in a grid in
``confirm`` mode (the default) shows up in the console with its phrase, snapshot and countdown; the operator
clicks Play and drone-1's loudspeaker writes the WAV at its file sink; the key ``w`` plays the next one; an
observer sees the proposal without buttons.

The station is real (two drones, not flying: the warning path needs no flight), drone-1's loudspeaker is started
(synthesis worker, file sink), and the crowd is handed to the station as its events thread hands an analysis
process's incident over. Waits are on conditions; their limits only stop a hang.
"""

from __future__ import annotations

import time
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
from console_browser import HANG_MS, console_page, station_on_the_ground
from playwright.sync_api import Browser, Page, expect

from gridpatrol.station.vision_proc import StreamEvent
from vision.incidents import Sighting, encode_jpeg

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]


@dataclass
class Served:
    station: Any
    url: str
    sink: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    out = tmp_path_factory.mktemp("console-proposals-browser")
    with station_on_the_ground(out) as (station, _, server):
        yield Served(station, server.url, out / "audio" / "drone-1")


def logged_in(browser: Browser, url: str, user: str, errors: list[str]) -> Page:
    page = cast(Page, console_page(browser, url, user, errors))
    expect(page.locator("#proposals-panel")).to_be_visible()
    return page


def crowd(station: Any, grid: str, tracks: list[int]) -> Sighting:
    """A crowd of six in ``grid`` as drone-1's analysis reports one, handed to the station's incident handling."""
    sighting = Sighting(
        type="crowd",
        ts=datetime.now(UTC),
        confidence=0.9,
        people=6,
        grid_id=grid,
        snapshot=encode_jpeg(np.full((48, 64, 3), 90, dtype=np.uint8)),
        details={"track_ids": tracks},
    )
    station._handle(StreamEvent("incident", "drone-1", incident=sighting))
    return sighting


def clips(sink: Path, count: int) -> list[Path]:
    deadline = time.monotonic() + HANG_MS / 1000
    while len(list(sink.glob("*.wav"))) < count:
        assert time.monotonic() < deadline, f"hung waiting for {count} WAVs at {sink}"
        time.sleep(0.05)
    return sorted(sink.glob("*.wav"))


def test_a_crowd_is_proposed_and_play_produces_the_wav(browser: Browser, served: Served) -> None:
    errors: list[str] = []
    page = logged_in(browser, served.url, "op", errors)
    try:
        expect(page.locator("#proposals-empty")).to_be_visible()
        before = len(list(served.sink.glob("*.wav")))
        crowd(served.station, "1", [101, 102, 103])
        item = page.locator("#proposals li.proposal")
        expect(item).to_have_count(1)
        expect(item.locator(".phrase")).to_have_text("请勿聚集，保持一米以上距离")
        expect(item.locator(".countdown")).to_contain_text("expires in")
        expect(item.locator("img.thumb")).to_have_js_property("complete", True)
        assert item.locator("img.thumb").evaluate("(img) => img.naturalWidth") == 64
        assert not served.station.broadcasts and len(list(served.sink.glob("*.wav"))) == before  # not played yet
        item.locator("button[data-action=play]").click()
        expect(page.locator("#status")).to_contain_text("played: drone-1")
        expect(item).to_have_count(0)
        wav_path = clips(served.sink, before + 1)[-1]
        with wave.open(str(wav_path)) as wav:
            assert wav.getnframes() > wav.getframerate() // 2
        proposal = served.station.proposals.all()[0]
        assert proposal.state == "played" and proposal.by == "op"

        crowd(served.station, "4", [201, 202, 203])  # another grid: the cooldown does not hold it back
        expect(item).to_have_count(1)
        page.locator("#map").focus()
        page.keyboard.press("w")
        expect(item).to_have_count(0)
        clips(served.sink, before + 2)
        assert served.station.proposals.all()[0].by == "op"
        assert not errors, errors
    finally:
        page.context.close()


def test_an_observer_sees_proposals_without_buttons(browser: Browser, served: Served) -> None:
    errors: list[str] = []
    crowd(served.station, "7", [301, 302, 303])  # a third grid: no cooldown holds it back
    page = logged_in(browser, served.url, "obs", errors)
    try:
        expect(page.locator("#proposals li.proposal").first).to_be_visible()
        assert page.locator("#proposals button").count() == 0
        assert not errors, errors
    finally:
        page.context.close()
