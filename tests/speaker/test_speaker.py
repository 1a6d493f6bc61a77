"""The Speaker end to end: real worker process, real pyttsx3/espeak-ng, file and device sinks."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from incident_kit import incident
from speaker_players import PlayerUntilCut

from api.schemas import BroadcastCreate
from speaker.broadcast import Broadcast
from speaker.config import GridOverride, SpeakerConfig
from speaker.policy import Policy
from speaker.sinks import DeviceSink, FileSink
from speaker.speaker import Speaker
from speaker.synth import SynthesisError

Audio = Callable[[Path], tuple[float, float]]
CROWD = "网格{grid}有{count}人聚集，请勿聚集"


class GateSink(FileSink):
    """A file sink whose plays wait for ``gate``, so the test can fill the queue behind the first one."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.gate = threading.Event()
        self.paths: list[Path] = []

    def play(self, wav: Path) -> None:
        self.gate.wait(30)
        self.paths.append(wav)
        super().play(wav)


def _wait_played(speaker: Speaker, n: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while len(speaker.played) < n:
        assert time.monotonic() < deadline, f"only {len(speaker.played)} of {n} played"
        time.sleep(0.01)


@pytest.fixture
def config() -> SpeakerConfig:
    phrasebook = SpeakerConfig().phrasebook | {"crowd": {"zh": CROWD, "en": "{count} people in grid {grid}."}}
    return SpeakerConfig(phrasebook=phrasebook, prerender_counts=(2, 12), grids={"H1": GridOverride(volume=40)})


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One phrase cache for the module, as on a station: the first start renders, later ones find it on disk."""
    return tmp_path_factory.mktemp("speaker-cache")


@pytest.fixture
def speaker(tmp_path: Path, config: SpeakerConfig, cache_dir: Path) -> Iterator[Speaker]:
    records: list[Broadcast] = []
    spk = Speaker(config, GateSink(tmp_path / "out"), cache_dir, drone_id="d1", on_broadcast=records.append)
    spk.records = records  # type: ignore[attr-defined]
    spk.start(grids=["B7", "B8"])
    yield spk
    assert isinstance(spk.sink, GateSink)
    spk.sink.gate.set()
    spk.stop()


def test_start_prerenders_phrasebook_fragments_and_announcements(speaker: Speaker, config: SpeakerConfig) -> None:
    plan = {text for text, _ in speaker.prerender_plan(["B7", "B8"])}
    assert {"网格", "有", "人聚集，请勿聚集", "B7", "B8", "H1", "2", "12", "请佩戴口罩"} <= plan
    assert {"people in grid", "无人机即将降落，请避让", "The drone is landing. Please stand clear."} <= plan
    assert "13" not in plan and "网格B7有5人聚集，请勿聚集" not in plan
    volumes = {voice.volume for text, voice in speaker.prerender_plan(["B7"]) if text == "H1"}
    assert volumes == {40}  # H1's own volume
    again = speaker.prerender(["B7", "B8"])
    assert again.rendered == 0 and again.cached == again.total  # all on disk


def test_warnings_play_from_the_cache_without_the_worker(speaker: Speaker, audio: Audio) -> None:
    assert isinstance(speaker.sink, GateSink)
    speaker.sink.gate.set()
    speaker.worker.stop()  # no synthesis possible: pre-rendered audio must be enough
    speaker.worker.start = lambda: pytest.fail("a warning needed synthesis")  # type: ignore[method-assign]
    joined = speaker.warn(incident("crowd", people=12, grid_id="B7", id="inc-1", track_ids=(1, 2)))
    quiet = speaker.warn(incident("crowd", people=5, grid_id="H1", id="inc-2"))
    plain = speaker.warn(incident("no_mask", grid_id="B8", id="inc-3"))
    assert joined is not None and joined.text == "网格B7有12人聚集，请勿聚集"
    assert quiet is not None and plain is not None
    _wait_played(speaker, 3)
    assert [(b.incident_id, b.outcome, b.cached) for b in speaker.played] == [
        ("inc-1", "played", True),
        ("inc-2", "played", True),
        ("inc-3", "played", True),
    ]
    durations_rms = [audio(p) for p in speaker.sink.paths]
    assert all(d > 1.0 and rms > 0.01 for d, rms in durations_rms)
    assert durations_rms[1][1] < 0.6 * durations_rms[0][1]  # H1 is quieter (volume 40)


def test_counts_outside_the_prerendered_range_are_synthesised(speaker: Speaker) -> None:
    assert isinstance(speaker.sink, GateSink)
    speaker.sink.gate.set()
    speaker.warn(incident("crowd", people=99, grid_id="B7"))
    speaker.announce("Free text typed by the operator.", "en")
    _wait_played(speaker, 2)
    assert sorted((b.kind, b.cached) for b in speaker.played) == [("crowd", False), ("operator", False)]


def test_record_is_logged_and_maps_onto_the_api(speaker: Speaker) -> None:
    assert isinstance(speaker.sink, GateSink)
    speaker.sink.gate.set()
    first = speaker.warn(incident("no_mask", grid_id="B7", id="inc-1", lat=31.2, lon=121.5, track_ids=(7,)))
    assert first is not None and first.outcome == "queued" and first.text == "请佩戴口罩"
    assert speaker.warn(incident("no_mask", grid_id="B7", id="inc-2")) is None  # cooldown
    _wait_played(speaker, 1)
    deadline = time.monotonic() + 5
    while not speaker.records and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.01)  # on_broadcast runs just after the record is appended to `played`
    record = speaker.records[0]  # type: ignore[attr-defined]
    assert record.id == first.id and record.outcome == "played" and record.started_at is not None
    assert (record.lat, record.lon, record.track_ids, record.drone_id) == (31.2, 121.5, ["7"], "d1")
    body = BroadcastCreate.model_validate(record.to_api())
    assert (body.incident_id, body.grid_id, body.kind, body.language, body.drone_id) == (
        "inc-1",
        "B7",
        "no_mask",
        "zh",
        "d1",
    )
    shared = set(BroadcastCreate.model_fields) - {"ts"}  # the record keeps the API's names: nothing renamed
    assert shared <= set(Broadcast.model_fields)
    assert {k: getattr(body, k) for k in shared} == {k: getattr(record, k) for k in shared}
    assert body.ts == record.started_at


def test_same_tracks_are_not_warned_again_in_the_next_grid(speaker: Speaker) -> None:
    assert speaker.warn(incident("crowd", people=4, grid_id="B7", track_ids=(1, 2, 3, 4))) is not None
    assert speaker.warn(incident("crowd", people=4, grid_id="B8", track_ids=(1, 2, 3, 4))) is None
    assert speaker.warn(incident("crowd", people=3, grid_id="B8", track_ids=(8, 9, 10))) is not None


def test_operator_goes_before_queued_warnings(speaker: Speaker) -> None:
    assert isinstance(speaker.sink, GateSink)
    speaker.warn(incident("no_mask", grid_id="A1"))
    deadline = time.monotonic() + 10
    while speaker.pending() and time.monotonic() < deadline:  # the loop takes it and waits in the sink
        time.sleep(0.01)
    speaker.warn(incident("no_mask", grid_id="A2"))
    speaker.warn(incident("crowd", people=9, grid_id="A3"))
    speaker.announce_named("landing", "en")
    speaker.sink.gate.set()
    _wait_played(speaker, 4)
    assert [b.kind for b in speaker.played] == ["no_mask", "operator", "crowd", "no_mask"]
    assert speaker.played[1].text == "The drone is landing. Please stand clear."


def test_operator_message_cuts_off_the_warning_playing(
    config: SpeakerConfig, cache_dir: Path, player_until_cut: PlayerUntilCut
) -> None:
    """The warning plays until something cuts it off (see ``player_until_cut``): only the operator message can."""
    sink = DeviceSink(player_until_cut.command)
    spk = Speaker(config, sink, cache_dir, policy=Policy(cooldown_s=60))
    spk.start()
    try:
        spk.warn(incident("crowd", people=12, grid_id="B7"))
        player_until_cut.wait_until_playing()
        spk.announce_named("thanks")
        _wait_played(spk, 2, timeout=120)
    finally:
        spk.stop()
    assert [(b.kind, b.outcome) for b in spk.played] == [("crowd", "interrupted"), ("operator", "played")]
    assert sink.cut == 1  # the player was killed while the warning still played: nothing else could end it


def test_worker_survives_being_killed(speaker: Speaker) -> None:
    assert isinstance(speaker.sink, GateSink)
    speaker.sink.gate.set()
    speaker.announce("one", "en")
    _wait_played(speaker, 1)
    process = speaker.worker.process
    assert process is not None and process.pid is not None
    os.kill(process.pid, signal.SIGKILL)
    process.join(5)
    speaker.announce("two", "en")
    _wait_played(speaker, 2)
    assert speaker.worker.restarts == 1 and speaker.played[1].outcome == "played"


def test_bad_requests_fail_clearly(speaker: Speaker) -> None:
    with pytest.raises(SynthesisError, match=r"\[speaker.phrasebook.other\]"):
        speaker.warn(incident("other", grid_id="B7"))
    with pytest.raises(SynthesisError, match=r"known: landing, thanks"):
        speaker.announce_named("fire")
    with pytest.raises(SynthesisError, match="empty"):
        speaker.announce("   ")
    with pytest.raises(SynthesisError, match=r"\[speaker.voices.fr\]"):
        speaker.announce("Bonjour", "fr")


def test_operator_voice_goes_before_queued_warnings_and_plays_as_recorded(speaker: Speaker, tmp_path: Path) -> None:
    import math
    import wave

    from speaker.recording import store_recording

    assert isinstance(speaker.sink, GateSink)
    raw = tmp_path / "raw.wav"
    with wave.open(str(raw), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"".join(int(8000 * math.sin(i / 5)).to_bytes(2, "little", signed=True) for i in range(16000)))
    clip = store_recording(raw.read_bytes(), tmp_path / "talk" / "clip.wav")
    speaker.warn(incident("no_mask", grid_id="A1"))
    deadline = time.monotonic() + 10
    while speaker.pending() and time.monotonic() < deadline:  # the loop takes it and waits in the sink
        time.sleep(0.01)
    speaker.warn(incident("crowd", people=9, grid_id="A3"))
    voice = speaker.talk(clip.path, clip.seconds, "en")
    assert voice.kind == "operator" and voice.text == "(operator's voice, 1.0 s)"
    BroadcastCreate.model_validate(voice.to_api())  # the incident log takes it as it is
    speaker.sink.gate.set()
    _wait_played(speaker, 3)
    assert [b.kind for b in speaker.played] == ["no_mask", "operator", "crowd"]
    assert speaker.played[1].outcome == "played" and speaker.played[1].cached
    assert speaker.sink.paths[1] == clip.path
    assert (speaker.sink.directory / "000002.wav").read_bytes() == clip.path.read_bytes()
