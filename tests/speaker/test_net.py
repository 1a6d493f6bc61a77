"""Network sink to a real agent on loopback: delivery, wrong key, dropped connection, bounded queue."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from incident_kit import incident
from speaker_players import PlayerUntilCut

from speaker.config import SpeakerConfig, VoiceConfig
from speaker.net import AgentServer, NetworkSink, SinkError, parse_address, send_cut, send_wav
from speaker.sinks import DeviceSink, FileSink
from speaker.speaker import Speaker
from speaker.synth import render

KEY = b"test-key"


@pytest.fixture(scope="module")
def wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render("Please wear a mask.", VoiceConfig(voice="en"), tmp_path_factory.mktemp("w") / "mask.wav")


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[AgentServer]:
    server = AgentServer(("127.0.0.1", 0), KEY, FileSink(tmp_path / "played"), tmp_path / "spool")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _addr(server: AgentServer) -> tuple[str, int]:
    host, port = server.server_address[:2]
    return str(host), int(port)


def _played(agent: AgentServer, n: int) -> list[Path]:
    assert isinstance(agent.sink, FileSink)
    deadline = time.monotonic() + 10
    while len(files := sorted(agent.sink.directory.glob("*.wav"))) < n and time.monotonic() < deadline:
        time.sleep(0.02)
    return files


def test_network_sink_delivers_identical_audio(agent: AgentServer, wav: Path) -> None:
    sink = NetworkSink(_addr(agent), KEY)
    sink.play(wav)
    sink.close()
    files = _played(agent, 1)
    assert sink.sent == 1 and len(files) == 1 and files[0].read_bytes() == wav.read_bytes()


def test_wrong_key_is_refused(agent: AgentServer, wav: Path) -> None:
    with pytest.raises(SinkError, match="wrong key"):
        send_wav(_addr(agent), b"other", wav.read_bytes())
    assert agent.denied == 1 and _played(agent, 0) == []


def test_agent_survives_dropped_connection(agent: AgentServer, wav: Path) -> None:
    data = wav.read_bytes()
    with socket.create_connection(_addr(agent)) as sock:
        sock.sendall(json.dumps({"size": len(data), "mac": "x"}).encode() + b"\n" + data[:100])
    send_wav(_addr(agent), KEY, data)
    assert len(_played(agent, 1)) == 1


def test_unreachable_agent_and_bounded_queue(wav: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = probe.getsockname()
    with pytest.raises(SinkError, match="unreachable"):
        send_wav(address, KEY, b"x")
    sink = NetworkSink(address, KEY, max_queue=2)
    for _ in range(6):
        sink.play(wav)
    sink.close()
    assert sink.sent == 0 and sink.dropped + sink.failed == 6


def test_cut_stops_what_the_agent_plays_and_drops_its_queue(
    tmp_path: Path, wav: Path, player_until_cut: PlayerUntilCut
) -> None:
    """The first clip plays until cut off (see ``player_until_cut``), so the cut cannot come after its end."""
    player = DeviceSink(player_until_cut.command)
    server = AgentServer(("127.0.0.1", 0), KEY, player, tmp_path / "spool")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sink = NetworkSink(_addr(server), KEY)
    try:
        for _ in range(3):
            sink.play(wav)
        player_until_cut.wait_until_playing()
        deadline = time.monotonic() + 60
        sink.stop()
        while server.cuts == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)
        assert server.cuts == 1 and player.cut == 1  # killed while playing: nothing else ends the first clip
        assert player_until_cut.started() == 1  # the queued clips were dropped: nothing else started
        assert sink.cuts == 1 and sink.sent + sink.dropped == 3
    finally:
        sink.close()
        server.shutdown()
        server.server_close()


def test_cut_with_wrong_key_or_replayed_is_refused(agent: AgentServer) -> None:
    with pytest.raises(SinkError, match="wrong key"):
        send_cut(_addr(agent), b"other")
    with pytest.raises(SinkError, match="stale"):
        send_cut(_addr(agent), KEY, at=time.time() - 120)
    send_cut(_addr(agent), KEY)
    assert agent.denied == 2 and agent.cuts == 1


def test_parse_address() -> None:
    assert parse_address("127.0.0.1:8765") == ("127.0.0.1", 8765)
    with pytest.raises(SinkError, match="HOST:PORT"):
        parse_address("localhost")


def test_speaker_warning_reaches_the_agent(agent: AgentServer, tmp_path: Path) -> None:
    sink = NetworkSink(_addr(agent), KEY)
    speaker = Speaker(SpeakerConfig(engine="espeak-ng"), sink, tmp_path / "cache")
    speaker.start()
    try:
        assert speaker.warn(incident("crowd", people=8, grid_id="B7", id="inc-9")) is not None
        files = _played(agent, 1)
    finally:
        speaker.stop()
        sink.close()
    text = SpeakerConfig().phrasebook["crowd"]["zh"]
    cached = speaker.cache.lookup(text, SpeakerConfig().voices["zh"])
    assert cached is not None and len(files) == 1 and files[0].read_bytes() == cached.read_bytes()
    assert speaker.played[0].cached is True and agent.denied == 0
