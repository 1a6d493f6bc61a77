"""Warning modes and proposed warnings (issue 15, "Decide") through the console's API (FastAPI's TestClient),
against a real station that has not taken off: drone-1's real loudspeaker (file sink, synthesis worker) plays
what is confirmed. Incidents go through the station's own incident handling, as its events thread passes them;
expiry runs on a simulated station clock."""

from __future__ import annotations

import wave
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from console_kit import PASSWORDS, accounts_with_users, patrol
from fastapi.testclient import TestClient

from gridpatrol.console.accounts import Accounts
from gridpatrol.console.app import create_console_app
from gridpatrol.console.config import ConsoleConfig
from gridpatrol.station.console import run_command
from gridpatrol.station.vision_proc import StreamEvent
from speaker.config import GridOverride, SpeakerConfig
from vision.incidents import Sighting, encode_jpeg

BASE = "http://testserver"
#: How long the test waits for a clip at the sink before calling it a hang (not a timing assertion).
HANG_S = 60.0


class FakeClock:
    """Station time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Accounts, TestClient, Path, FakeClock]]:
    out = tmp_path_factory.mktemp("console-proposals")
    with patrol(out, fly=False) as (station, _):
        clock = FakeClock()
        station.proposals.clock = clock
        station.rigs["drone-1"].speaker.policy.clock = clock  # cooldowns in the same simulated time
        speaker = station.settings.speaker.model_copy(
            update={"grids": {"4": GridOverride(warning_mode="auto"), "2": GridOverride(warning_mode="off")}}
        )
        station.settings = station.settings.model_copy(update={"speaker": speaker})
        station.rigs["drone-1"].speaker.start(prerender=False)  # synthesised when played
        accounts = accounts_with_users(out / "console.db")
        app = create_console_app(station, ConsoleConfig(), accounts)
        try:
            yield station, accounts, TestClient(app, base_url=BASE), out / "audio" / "drone-1", clock
        finally:
            station.rigs["drone-1"].speaker.stop()
            accounts.close()


#: The incidents' clock starts here; each sighting is stamped on the station's simulated clock after it.
START = datetime.now(UTC)


def login(client: TestClient, user: str) -> dict[str, str]:
    client.cookies.clear()
    r = client.post("/api/login", json={"username": user, "password": PASSWORDS[user]})
    assert r.status_code == 200, r.text
    return {"X-CSRF-Token": r.json()["csrf"], "Origin": BASE}


def found(station: Any, grid: str, kind: str = "crowd", people: int = 6, track: int = 1) -> Sighting:
    """A sighting handed to the station as its events thread hands one over, after the speaker's cooldown has
    passed in simulated time (so the policy does not hold it back: cooldowns run on the incidents' own times)."""
    station.proposals.clock.now += station.settings.speaker.cooldown_s + 1
    sighting = Sighting(
        type=kind,
        ts=START + timedelta(seconds=station.proposals.clock.now),
        confidence=0.9,
        people=people,
        grid_id=grid,
        snapshot=encode_jpeg(np.zeros((48, 64, 3), dtype=np.uint8)),
        details={"track_ids": [track, track + 1]},
    )
    station._handle(StreamEvent("incident", "drone-1", incident=sighting))
    return sighting


def wavs(sink: Path) -> list[Path]:
    return sorted(sink.glob("*.wav"))


def wait_for_wav(sink: Path, count: int) -> list[Path]:
    import time

    deadline = time.monotonic() + HANG_S
    while len(wavs(sink)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return wavs(sink)


def test_default_mode_is_confirm() -> None:
    from gridpatrol.config import Settings

    speaker = Settings().speaker
    assert speaker.warning_mode == "confirm" and speaker.mode_for("7") == "confirm"
    field = SpeakerConfig.model_fields["warning_mode"]
    assert field.title == "Warning mode" and field.description and "confirm" in field.description


def test_confirm_proposes_then_play_produces_the_wav(setup: tuple[Any, Accounts, TestClient, Path, FakeClock]) -> None:
    station, accounts, client, sink, _ = setup
    before = len(wavs(sink))
    sighting = found(station, "1", track=10)
    assert not station.broadcasts and len(wavs(sink)) == before  # proposed, not played
    headers = login(client, "op")
    listed = client.get("/api/proposals").json()
    assert listed["mode"] == "confirm" and listed["modes"] == {"1": "confirm", "4": "auto"}
    proposal = listed["proposals"][0]
    assert proposal["incident"] == sighting.id and proposal["drone"] == "drone-1" and proposal["grid"] == "1"
    assert (
        proposal["text"] == "请勿聚集，保持一米以上距离"
        and proposal["lang"] == "zh"
        and proposal["state"] == "proposed"
    )
    assert proposal["snapshot"] == f"/api/incidents/{sighting.id}/snapshot"
    assert client.get(proposal["snapshot"]).headers["content-type"] == "image/jpeg"
    assert proposal["expires"] - proposal["created"] == station.settings.speaker.proposal_ttl_s
    played = client.post(f"/api/proposals/{proposal['id']}/play", headers=headers)
    assert played.status_code == 200 and played.json()["state"] == "played" and played.json()["by"] == "op"
    clips = wait_for_wav(sink, before + 1)
    assert len(clips) == before + 1
    with wave.open(str(clips[-1])) as wav:
        assert wav.getnframes() > wav.getframerate() // 2  # half a second of speech at least
    again = client.post(f"/api/proposals/{proposal['id']}/play", headers=headers)
    assert again.status_code == 409 and "was played by op" in again.json()["detail"]
    refused, done = [e for e in accounts.audit_log() if e.action == "play-warning"][:2]  # newest first
    assert done.actor == "op" and done.outcome.startswith("ok:") and proposal["id"] in done.detail
    assert refused.actor == "op" and refused.outcome.startswith("refused:") and "was played" in refused.outcome
    record = next(r for r in station.incidents if r.incident.id == sighting.id)
    assert record.broadcast is not None and record.broadcast.incident_id == sighting.id


def test_auto_plays_and_off_says_nothing(setup: tuple[Any, Accounts, TestClient, Path, FakeClock]) -> None:
    station, _, client, sink, _ = setup
    login(client, "op")
    open_before, clips = len(station.proposals.open()), len(wavs(sink))
    off = found(station, "2", track=20)
    auto = found(station, "4", track=30)
    assert len(station.proposals.open()) == open_before  # neither was proposed
    records = {r.incident.id: r for r in station.incidents}
    assert records[off.id].broadcast is None and records[auto.id].broadcast is not None
    assert any("warning mode off" in m for m in station.messages)
    assert len(wait_for_wav(sink, clips + 1)) == clips + 1  # the auto warning played at once, the off one never
    ids = {p["incident"] for p in client.get("/api/proposals").json()["proposals"]}
    assert off.id not in ids and auto.id not in ids


def test_expired_proposal_cannot_be_played(setup: tuple[Any, Accounts, TestClient, Path, FakeClock]) -> None:
    station, accounts, client, sink, clock = setup
    headers = login(client, "op")
    found(station, "1", kind="no_mask", people=1, track=40)
    proposal = client.get("/api/proposals").json()["proposals"][0]
    assert proposal["state"] == "proposed" and proposal["expires_in_s"] == station.settings.speaker.proposal_ttl_s
    clock.now += station.settings.speaker.proposal_ttl_s  # station time moves on: the proposal's time is up
    listed = client.get("/api/proposals").json()["proposals"][0]
    assert listed["id"] == proposal["id"] and listed["state"] == "expired" and listed["expires_in_s"] == 0
    assert any(f"{proposal['id']} (no_mask) expired unplayed" in m for m in station.messages)
    before = len(wavs(sink))
    r = client.post(f"/api/proposals/{proposal['id']}/play", headers=headers)
    assert r.status_code == 409 and "expired" in r.json()["detail"]
    assert len(wavs(sink)) == before
    entry = next(e for e in accounts.audit_log() if e.action == "play-warning")
    assert entry.outcome.startswith("refused:") and "expired" in entry.outcome


def test_observer_cannot_play_and_bad_ids_are_404(setup: tuple[Any, Accounts, TestClient, Path, FakeClock]) -> None:
    station, _, client, _, _ = setup
    found(station, "1", kind="no_mask", people=1, track=50)
    proposal = station.proposals.open()[0]
    headers = login(client, "obs")
    assert client.get("/api/proposals").status_code == 200  # observers see them
    r = client.post(f"/api/proposals/{proposal.id}/play", headers=headers)
    assert r.status_code == 403 and "observers watch only" in r.json()["detail"]
    assert proposal.state == "proposed"
    headers = login(client, "op")
    no_csrf = client.post(f"/api/proposals/{proposal.id}/play", headers={"Origin": BASE})
    assert no_csrf.status_code == 403 and proposal.state == "proposed"
    for bad in ("nope", "%3Cscript%3E", "x" * 80):
        r = client.post(f"/api/proposals/{bad}/play", headers=headers)
        assert r.status_code == 404 and "no proposal" in r.json()["detail"], bad
    dismissed = client.post(f"/api/proposals/{proposal.id}/dismiss", headers=headers)
    assert dismissed.status_code == 200 and dismissed.json()["state"] == "dismissed"
    r = client.post(f"/api/proposals/{proposal.id}/play", headers=headers)
    assert r.status_code == 409 and "dismissed by op" in r.json()["detail"]
    client.cookies.clear()
    assert client.get("/api/proposals").status_code == 401


def test_terminal_play_command(setup: tuple[Any, Accounts, TestClient, Path, FakeClock]) -> None:
    station, _, _, sink, _ = setup
    before = len(wavs(sink))
    found(station, "1", people=7, track=60)
    proposal = station.proposals.open()[0]
    assert proposal.id in run_command(station, "play")  # lists what waits
    said = run_command(station, f"play {proposal.id[:6]}")
    assert said.startswith(f"playing {proposal.id} on drone-1") and proposal.by == "terminal"
    assert "could not play" in run_command(station, f"play {proposal.id}")  # played already
    assert len(wait_for_wav(sink, before + 1)) == before + 1


def test_the_demo_warns_automatically_unless_its_settings_say_otherwise() -> None:
    """Nobody need be at the demo's console: its settings say auto, unless the given settings chose a mode."""
    from gridpatrol.config import Settings
    from gridpatrol.station.demo import demo_settings

    assert demo_settings(Settings()).speaker.warning_mode == "auto"
    chosen = Settings(speaker=SpeakerConfig(warning_mode="confirm"))
    assert demo_settings(chosen).speaker.warning_mode == "confirm"
