"""The station outbox against a real incident log (uvicorn + SQLite): ids, outages, kill -9, refusals, reopen."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from outbox_kit import STATION_KEY, IncidentLog, broadcast, incident, jpeg
from typer.testing import CliRunner

from api.client import ApiClient
from gridpatrol.cli import app
from gridpatrol.config import OutboxConfig, Settings
from gridpatrol.deliverer import Deliverer
from gridpatrol.outbox import Outbox, OutboxError
from incidents import Incident

HERE = Path(__file__).resolve().parent


class CountingTransport(httpx.HTTPTransport):
    """Real HTTP, remembering the paths requested (to see that the batch endpoint was used)."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return super().handle_request(request)


@pytest.fixture
def log(tmp_path: Path) -> Iterator[IncidentLog]:
    server = IncidentLog(tmp_path / "api")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Outbox]:
    with Outbox(tmp_path / "station" / "outbox.db") as outbox:
        yield outbox


def deliverer(box: Outbox, log: IncidentLog, transport: httpx.BaseTransport | None = None) -> Deliverer:
    client = ApiClient(log.url, STATION_KEY, timeout_s=5, transport=transport)
    return Deliverer(box, client, backoff_initial_s=0.1, backoff_max_s=0.4)


def test_delivered_with_ids_snapshot_and_broadcast(box: Outbox, log: IncidentLog) -> None:
    image = jpeg(1)
    assert box.put_incident(incident(1, type="crowd", people=6), image)
    assert box.put_broadcast(broadcast(1, kind="crowd"))
    assert box.put_incident(incident(2))
    assert box.put_snapshot("inc-2", jpeg(2))  # attached while pending
    d = deliverer(box, log)
    assert d.flush(20)
    assert box.counts() == {"pending": 0, "sent": 3, "dead": 0}
    stored = log.incident("inc-1")
    assert stored["people"] == 6 and stored["type"] == "crowd"
    import hashlib

    assert stored["snapshot_sha"] == hashlib.sha256(image).hexdigest()
    assert [b["id"] for b in stored["broadcasts"]] == ["bc-1"]
    assert log.incident("inc-2")["snapshot_sha"] == hashlib.sha256(jpeg(2)).hexdigest()
    snap = httpx.get(log.url + f"/api/snapshots/{stored['snapshot_sha']}", headers={"Authorization": "x"})
    assert snap.status_code == 401  # the image is there behind auth (200 with a token, checked by the API tests)
    # a snapshot for an incident already sent is uploaded on its own (the API cannot link it afterwards)
    assert box.put_snapshot("inc-1", jpeg(3))
    assert d.flush(10)
    assert [i.kind for i in box.items("sent")] == ["incident", "broadcast", "incident", "snapshot"]


def test_many_pending_go_in_batches(box: Outbox, log: IncidentLog) -> None:
    for i in range(25):
        box.put_incident(incident(i), jpeg(i) if i % 4 == 0 else None)
    box.put_broadcast(broadcast(3))
    transport = CountingTransport()
    d = deliverer(box, log, transport)
    d.batch_max = 10
    assert d.flush(30)
    assert transport.paths.count("/api/incidents/batch") == 3
    assert transport.paths.count("/api/incidents") == 0
    assert transport.paths[-1] == "/api/broadcasts"  # after the incidents, as it was put
    ids = [i["id"] for i in log.incidents()]
    assert sorted(ids) == sorted(f"inc-{i}" for i in range(25))
    assert log.incident("inc-8")["snapshot_sha"] is not None


def test_api_down_items_wait_then_arrive_once(box: Outbox, log: IncidentLog) -> None:
    box.put_incident(incident(0))
    d = deliverer(box, log).start()
    assert d.flush(10)
    log.stop()
    for i in range(1, 8):
        box.put_incident(incident(i), jpeg(i) if i % 2 else None)
        box.put_broadcast(broadcast(i))
    # Refused connections meanwhile, backing off: wait for two failed tries (however slow the machine), not a time.
    deadline = time.monotonic() + 60
    while d.failures < 2 or box.items("pending")[0].attempts < 2:
        assert time.monotonic() < deadline, f"{d.failures} failed tries in 60 s"
        time.sleep(0.02)
    assert box.counts()["pending"] == 14
    waiting = box.items("pending")
    assert waiting[0].attempts >= 2 and "unreachable" in (waiting[0].last_error or "")
    log.start()
    assert d.flush(20)
    d.stop()
    ids = Counter(i["id"] for i in log.incidents())
    assert ids == Counter(f"inc-{i}" for i in range(8))
    assert sorted(b["id"] for b in log.broadcasts()) == sorted(f"bc-{i}" for i in range(1, 8))


def test_station_killed_mid_delivery_everything_arrives_once(tmp_path: Path, log: IncidentLog) -> None:
    n = 24
    path = tmp_path / "station" / "outbox.db"
    cmd = [sys.executable, str(HERE / "outbox_station.py"), str(path), log.url, STATION_KEY, str(n), "0.01"]
    # the station stops for good once the API has stored n // 3 incidents, before its outbox hears of the last:
    # the kill lands there (stored by the API, still pending at the station), however slow the machine
    proc = subprocess.Popen([*cmd, str(n // 3)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        said = [proc.stdout.readline() for _ in range(2)] if proc.stdout else []
        assert said == ["queued\n", f"stored {n // 3}\n"], (said, proc.poll())
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    stored = {i["id"] for i in log.incidents()}
    assert len(stored) == n // 3, "the kill did not land mid-delivery"
    with Outbox(path) as box:
        pending = {i.client_id for i in box.items("pending")}
    assert pending & stored, "no item the API stored is still pending at the station"
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr
    assert Counter(i["id"] for i in log.incidents()) == Counter(f"inc-{i}" for i in range(n))
    assert Counter(b["id"] for b in log.broadcasts()) == Counter(f"bc-{i}" for i in range(n))
    assert all(log.incident(f"inc-{i}")["snapshot_sha"] for i in range(0, n, 3))
    with Outbox(path) as box:
        assert box.counts() == {"pending": 0, "sent": 2 * n, "dead": 0}


def test_refused_items_go_dead_with_the_api_error(box: Outbox, log: IncidentLog, tmp_path: Path) -> None:
    with ApiClient(log.url, STATION_KEY) as client:
        client.post_incident(incident(1, people=3))
    box.put_incident(incident(1, people=4))  # same id, other content: 409
    # 413 (the test API takes at most 300 kB); not a 415 for junk bytes: once ultralytics is imported in the same
    # process (the camera tests), PIL's HEIF hook turns junk into a 500 (reported to the API's owner)
    box.put_incident(incident(2), b"\xff" * 400_000)
    box.put_broadcast(broadcast(2, incident_id="inc-1"))  # for a stored incident: delivered after the refused
    d = deliverer(box, log)
    assert d.flush(15)
    assert box.counts() == {"pending": 0, "sent": 1, "dead": 2}
    dead = {i.client_id: i.last_error or "" for i in box.items("dead")}
    assert "409" in dead["inc-1"] and "different content" in dead["inc-1"]
    assert "413" in dead["inc-2"] and "larger than" in dead["inc-2"]
    assert log.incident("inc-1")["people"] == 3
    # in a batch the same refusals are per item
    box.put_incident(incident(1, people=5))
    box.put_incident(incident(3), jpeg(3))
    box.put_incident(incident(4, snapshot_sha="0" * 64))  # names a snapshot nobody uploaded
    assert d.flush(15)
    dead = {i.client_id: i.last_error or "" for i in box.items("dead")}
    assert dead["inc-4"].startswith("rejected") and "unknown" in dead["inc-4"]
    assert box.counts()["dead"] == 3 and {i["id"] for i in log.incidents()} == {"inc-1", "inc-3"}
    env = {"GRIDPATROL_OUTBOX__PATH": str(box.path)}
    out = CliRunner().invoke(app, ["outbox", "status"], env=env)
    assert out.exit_code == 0, out.output
    assert "dead" in out.output and "3" in out.output and "rejected" in out.output
    assert "snapshot_sha" in out.output  # the API's reason, for the operator


def test_an_incident_only_the_api_refuses_goes_dead_with_its_reason(box: Outbox, log: IncidentLog) -> None:
    """The station validates an incident once (the contract); the client sends it as stored and the API's own
    checks (here its timestamp window) refuse it: dead with the API's reason, not retried, the rest delivered."""
    old = Incident(id="inc-old", ts=datetime(1999, 12, 31, tzinfo=UTC), type="no_mask")  # a valid contract
    box.put_incident(old)
    box.put_incident(incident(1))
    assert deliverer(box, log).flush(15)
    assert box.counts() == {"pending": 0, "sent": 1, "dead": 1}
    dead = box.items("dead")[0]
    assert dead.client_id == "inc-old" and "422" in (dead.last_error or "") and "ts" in (dead.last_error or "")
    assert {i["id"] for i in log.incidents()} == {"inc-1"}


def test_reopened_outbox_keeps_everything(tmp_path: Path, log: IncidentLog) -> None:
    path = tmp_path / "outbox.db"
    with Outbox(path) as box:
        box.put_incident(incident(1), jpeg(1))
        box.put_broadcast(broadcast(1))
    with Outbox(path) as box:
        items = box.items("pending")
        assert [i.client_id for i in items] == ["inc-1", "bc-1"]
        assert items[0].blob == jpeg(1)
        assert not box.put_incident(incident(1), jpeg(1))  # already queued
        assert deliverer(box, log).flush(15)
    with Outbox(path) as box:
        assert box.counts() == {"pending": 0, "sent": 2, "dead": 0}
        assert box.items("sent")[0].blob is None  # the image is not kept once the API has it


def test_bad_input_is_refused_at_put_naming_the_field(box: Outbox) -> None:
    with pytest.raises(OutboxError, match="type"):
        box.put_incident(incident(1, type="fire"))
    with pytest.raises(OutboxError, match="language"):
        box.put_broadcast(broadcast(1, language="fr"))
    with pytest.raises(OutboxError, match="empty"):
        box.put_snapshot("inc-1", b"")
    assert box.counts()["pending"] == 0


def test_outbox_config_section() -> None:
    assert Settings().outbox.api_url == "http://127.0.0.1:8321"
    with pytest.raises(ValueError, match="extra"):
        OutboxConfig(urll="x")  # type: ignore[call-arg]
    for name, field in OutboxConfig.model_fields.items():
        assert field.title and field.description, name
    with pytest.raises(ValueError, match="station_key"):
        Deliverer.from_config(Outbox(":memory:"), OutboxConfig())


def test_a_wrong_station_key_keeps_items_waiting_not_dead(box: Outbox, log: IncidentLog) -> None:
    box.put_incident(incident(1))
    box.put_incident(incident(2))
    wrong = Deliverer(box, ApiClient(log.url, "gps_wrong", timeout_s=5), backoff_initial_s=0.05, backoff_max_s=0.1)
    assert not wrong.flush(0.5)
    assert box.counts() == {"pending": 2, "sent": 0, "dead": 0}
    assert "401" in (box.items("pending")[0].last_error or "")
    assert deliverer(box, log).flush(10)  # the right key: both arrive
    assert {i["id"] for i in log.incidents()} == {"inc-1", "inc-2"}


def test_operator_fixes_the_cause_then_retry_dead_and_flush_from_the_cli(box: Outbox, log: IncidentLog) -> None:
    import hashlib

    sha = hashlib.sha256(jpeg(9)).hexdigest()
    box.put_incident(incident(1, snapshot_sha=sha))  # names a snapshot the API does not have yet
    env = {
        "GRIDPATROL_OUTBOX__PATH": str(box.path),
        "GRIDPATROL_OUTBOX__API_URL": log.url,
        "GRIDPATROL_OUTBOX__STATION_KEY": STATION_KEY,
        "GRIDPATROL_OUTBOX__BACKOFF_INITIAL_S": "0.1",
    }
    runner = CliRunner()
    out = runner.invoke(app, ["outbox", "flush", "--timeout", "10"], env=env)
    assert out.exit_code == 0, out.output
    assert box.counts()["dead"] == 1 and "unknown" in (box.items("dead")[0].last_error or "")
    with ApiClient(log.url, STATION_KEY) as client:
        client.upload_snapshot(jpeg(9))  # the cause, fixed
    out = runner.invoke(app, ["outbox", "retry-dead"], env=env)
    assert out.exit_code == 0 and "1 item(s) queued again" in out.output
    out = runner.invoke(app, ["outbox", "flush", "--timeout", "10"], env=env)
    assert out.exit_code == 0 and "sent 1" in out.output, out.output
    assert log.incident("inc-1")["snapshot_sha"] == sha
    log.stop()
    box.put_incident(incident(2))
    out = runner.invoke(app, ["outbox", "flush", "--timeout", "0.5"], env=env)
    assert out.exit_code == 1 and "still pending" in out.output
    out = runner.invoke(app, ["outbox", "flush"], env={**env, "GRIDPATROL_OUTBOX__STATION_KEY": ""})
    assert out.exit_code == 2 and "station_key" in out.output


def test_snapshot_for_an_incident_that_names_it_is_attached(box: Outbox, log: IncidentLog) -> None:
    import hashlib

    sha = hashlib.sha256(jpeg(5)).hexdigest()
    box.put_incident(incident(5, snapshot_sha=sha))
    assert box.put_snapshot("inc-5", jpeg(5))  # the bytes for the named sha: attached
    assert not box.put_snapshot("inc-5", jpeg(5))  # once
    with pytest.raises(OutboxError, match="already has snapshot"):
        box.put_snapshot("inc-5", jpeg(6))
    assert deliverer(box, log).flush(10)
    assert log.incident("inc-5")["snapshot_sha"] == sha


def test_backoff_doubles_up_to_the_limit_and_purge_forgets_old_sent(tmp_path: Path) -> None:
    now = [1000.0]
    with Outbox(tmp_path / "o.db", clock=lambda: now[0]) as box:
        box.put_incident(incident(1))
        d = Deliverer(box, ApiClient("http://127.0.0.1:1", "gps_x", timeout_s=1), backoff_initial_s=2, backoff_max_s=10)
        waits = []
        for _ in range(5):
            assert d.deliver_once() == 0
            waits.append(box.items()[0].next_try - now[0])
            assert d.deliver_once() == 0 and box.items()[0].attempts == len(waits)  # not due: not tried
            now[0] = box.items()[0].next_try
        for got, want in zip(waits, [2, 4, 8, 10, 10], strict=True):
            assert 0.8 * want <= got <= 1.2 * want
        assert "unreachable" in (box.status().last_error or (0, "", "", ""))[3]
        box.mark_sent([box.items()[0].seq])
        now[0] += 100
        assert box.purge_sent(older_than_s=200) == 0
        assert box.purge_sent(older_than_s=50) == 1
        assert box.put_incident(incident(1))  # forgotten: the id can be queued again
