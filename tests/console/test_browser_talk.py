"""Push-to-talk in Debian's Chromium (issue 15, "Speak"): the operator holds the talk button, Chromium's fake
microphone (``--use-fake-device-for-media-stream``: a beep once a second) is recorded in the page, and on release
the clip plays at drone-1's loudspeaker (its file sink), logged as an operator broadcast and in the audit log.

The station is real (two drones, not flying: the loudspeaker path needs no flight) with drone-1's loudspeaker
started. Waits are on conditions (samples the page has captured, files at the sink); their limits only stop a hang.
"""

from __future__ import annotations

import time
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
from console_browser import FAKE_MICROPHONE, HANG_MS, chromium, console_page, station_on_the_ground
from playwright.sync_api import Browser, Page, expect

from gridpatrol.console.accounts import Accounts

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]
#: How much the operator says (s of microphone samples captured in the page): over a second, so a beep is in it.
SPOKEN_S = 1.5


@dataclass
class Served:
    station: Any
    accounts: Accounts
    url: str
    sink: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    out = tmp_path_factory.mktemp("console-talk")
    with station_on_the_ground(out) as (station, accounts, server):
        yield Served(station, accounts, server.url, out / "audio" / "drone-1")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium(*FAKE_MICROPHONE) as b:
        yield b


def logged_in(browser: Browser, url: str, user: str, errors: list[str]) -> Page:
    return cast(Page, console_page(browser, url, user, errors, microphone=True))


def captured_s(page: Page) -> float:
    """Seconds of microphone the page has recorded while the button is held."""
    return float(
        page.evaluate(
            "() => GP.talk.chunks && GP.talk.context ? "
            "GP.talk.chunks.reduce((n, c) => n + c.length, 0) / GP.talk.context.sampleRate : 0"
        )
    )


def hold_until(page: Page, seconds: float) -> None:
    deadline = time.monotonic() + HANG_MS / 1000
    while captured_s(page) < seconds:
        assert time.monotonic() < deadline, "hung waiting for microphone samples in the page"
        time.sleep(0.05)


def operator_voices(served: Served) -> list[Any]:
    """The operator's push-to-talk clips the station has logged, oldest first."""
    return [b for b in served.station.broadcasts if b.kind == "operator" and b.text.startswith("(operator's voice")]


def test_holding_talk_plays_the_operators_voice_at_the_drone(browser: Browser, served: Served) -> None:
    errors: list[str] = []
    page = logged_in(browser, served.url, "op", errors)
    page.select_option("#drone-select", "drone-1")
    before = len(list(served.sink.glob("*.wav")))
    talk = page.locator("#talk")
    talk.hover()
    page.mouse.down()
    expect(talk).to_have_class("talking")
    hold_until(page, SPOKEN_S)
    page.mouse.up()
    expect(page.locator("#status")).to_contain_text("drone-1 will play your voice")

    deadline = time.monotonic() + HANG_MS / 1000
    while len(list(served.sink.glob("*.wav"))) <= before:
        assert time.monotonic() < deadline, "no clip at drone-1's loudspeaker"
        time.sleep(0.05)
    clip = sorted(served.sink.glob("*.wav"))[-1]
    with wave.open(str(clip)) as w:
        rate, frames = w.getframerate(), w.getnframes()
        samples = np.frombuffer(w.readframes(frames), dtype="<i2")
    assert rate == 16000 and frames / rate >= SPOKEN_S - 0.1, (rate, frames)
    assert np.abs(samples).max() > 1000, "the fake microphone's beep is not in the clip"
    # The sink writes the clip before the speaker logs the broadcast (on another thread): wait for the record too.
    while not (voices := operator_voices(served)):
        assert time.monotonic() < deadline, "the clip played but no operator broadcast was logged"
        time.sleep(0.05)
    assert voices[-1].drone_id == "drone-1" and voices[-1].outcome == "played"
    assert any(
        e.actor == "op" and e.action == "talk" and e.outcome.startswith("ok") for e in served.accounts.audit_log()
    )
    assert not errors, errors


def test_the_t_key_talks_too_and_an_observer_has_no_talk_button(browser: Browser, served: Served) -> None:
    errors: list[str] = []
    page = logged_in(browser, served.url, "op", errors)
    page.select_option("#drone-select", "drone-1")
    before = len([b for b in served.station.broadcasts if b.kind == "operator"])
    page.locator("#map").click(position={"x": 5, "y": 5})  # focus off the form fields
    page.keyboard.down("t")
    hold_until(page, SPOKEN_S)
    page.keyboard.up("t")
    expect(page.locator("#status")).to_contain_text("drone-1 will play your voice")
    deadline = time.monotonic() + HANG_MS / 1000
    while len([b for b in served.station.broadcasts if b.kind == "operator"]) <= before:
        assert time.monotonic() < deadline, "the key's clip was not played"
        time.sleep(0.05)
    assert not errors, errors
    page.context.close()

    observer = logged_in(browser, served.url, "obs", errors)
    expect(observer.locator("#talk")).to_have_count(0)
    observer.context.close()
