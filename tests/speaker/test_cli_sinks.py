"""`gridpatrol say` onto sinks: device fallback (no sound card here), file, network to a real agent."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridpatrol.cli import app
from speaker.net import AgentServer
from speaker.sinks import FileSink, NoSoundCardError, find_player

NO_CARD = not Path("/proc/asound/cards").exists() or "no soundcards" in Path("/proc/asound/cards").read_text()


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GRIDPATROL_STATION__STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


@pytest.mark.skipif(not NO_CARD, reason="this machine has a sound card")
def test_no_sound_card_is_detected_and_device_falls_back_to_file(state_dir: Path) -> None:
    with pytest.raises(NoSoundCardError, match="no sound card"):
        find_player()
    result = CliRunner().invoke(app, ["say", "请佩戴口罩", "--sink", "device"])
    assert result.exit_code == 0, result.output
    assert "FileSink" in result.output
    assert len(list((state_dir / "speaker-out").glob("*.wav"))) == 1


def test_say_to_network_agent_and_wrong_key(state_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = AgentServer(("127.0.0.1", 0), b"k1", FileSink(tmp_path / "agent"), tmp_path / "spool")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("GRIDPATROL_SPEAKER__SINK__ADDRESS", f"127.0.0.1:{server.server_address[1]}")
        monkeypatch.setenv("GRIDPATROL_SPEAKER__SINK__KEY", "k1")
        ok = CliRunner().invoke(app, ["say", "Stand clear.", "--lang", "en", "--sink", "network"])
        assert ok.exit_code == 0, ok.output
        monkeypatch.setenv("GRIDPATROL_SPEAKER__SINK__KEY", "wrong")
        bad = CliRunner().invoke(app, ["say", "Stand clear.", "--lang", "en", "--sink", "network"])
        assert bad.exit_code == 2
        assert server.denied == 1
    finally:
        server.shutdown()
        server.server_close()
    assert len(list((tmp_path / "agent").glob("*.wav"))) == 1


def test_network_without_key_names_the_setting(state_dir: Path) -> None:
    result = CliRunner().invoke(app, ["say", "hi", "--lang", "en", "--sink", "network"])
    assert result.exit_code == 2 and "[speaker.sink] key" in result.output


def test_speaker_prerender_command_fills_the_cache_once(state_dir: Path) -> None:
    first = CliRunner().invoke(app, ["speaker-prerender", "--grid", "B7", "--grid", "B8"])
    assert first.exit_code == 0, first.output
    assert "phrases ready" in first.output and "0 already cached" in first.output
    files = len(list((state_dir / "speaker-cache").glob("*.wav")))
    assert files >= 6
    again = CliRunner().invoke(app, ["speaker-prerender", "--grid", "B7", "--grid", "B8"])
    assert again.exit_code == 0 and "0 rendered now" in again.output
    assert len(list((state_dir / "speaker-cache").glob("*.wav"))) == files
