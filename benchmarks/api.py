"""Incident log benchmark: ingest with 50 KB snapshots, p95 of a filtered list page over 100 000 incidents.

Runs the real service (``gridpatrol serve`` in a subprocess, HTTP on 127.0.0.1) on SQLite and on PostgreSQL
(``GRIDPATROL_TEST_PG_URL`` or a throwaway cluster from Debian's binaries) and compares, in the same run, with
a raw SQLAlchemy baseline: an insert-and-commit loop for ingest, the same SELECT for the list page.

Targets (issue 6): >= 300 incidents/s with snapshots, list p95 < 50 ms on SQLite.

Usage::

    python benchmarks/api.py                       # both backends, defaults below
    python benchmarks/api.py --backends sqlite --incidents 200 --rows 20000
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
from PIL import Image
from sqlalchemy import insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.client import ApiClient  # noqa: E402
from api.db import make_engine, migrate, session_factory  # noqa: E402
from api.models import Incident  # noqa: E402
from api.pgcluster import create_database, find_bindir, throwaway_cluster  # noqa: E402
from api.queries import IncidentFilter, after_cursor  # noqa: E402
from api.routes.auth import add_station_key, add_user  # noqa: E402

GRIDS = [f"g{i:02d}" for i in range(20)]
DRONES = [f"d{i}" for i in range(10)]
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def snapshots(n: int, seed: int = 0) -> list[bytes]:
    """``n`` different JPEGs of about 50 KB (a smooth scene plus sensor noise, 640x360)."""
    rng = np.random.default_rng(seed)
    out: list[bytes] = []
    for _ in range(n):
        base = Image.fromarray(rng.integers(0, 255, (36, 64, 3), dtype=np.uint8)).resize((640, 360))
        pixels = np.asarray(base, dtype=np.int16) + rng.integers(-16, 16, (360, 640, 3))
        buf = io.BytesIO()
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=74)
        out.append(buf.getvalue())
    return out


def incident(i: int, rng: random.Random, sha: str | None = None) -> dict[str, object]:
    """A plausible incident spread over a month, 20 grids and 10 drones."""
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128))),
        "ts": (T0 + timedelta(seconds=rng.uniform(0, 30 * 86400))).isoformat(),
        "type": rng.choice(["no_mask", "no_mask", "no_mask", "crowd", "other"]),
        "grid_id": rng.choice(GRIDS),
        "drone_id": rng.choice(DRONES),
        "mission_id": f"m{i % 50}",
        "lon": 116.38 + rng.random() * 0.04,
        "lat": 39.89 + rng.random() * 0.04,
        "people": rng.randint(1, 12),
        "confidence": round(rng.random(), 3),
        "snapshot_sha": sha,
    }


@contextlib.contextmanager
def server(url: str | None, data_dir: Path) -> Iterator[str]:
    """``gridpatrol serve`` on a free port with this database; yields its base URL."""
    from api.pgcluster import _free_port

    port = _free_port()
    env = {**os.environ, "GRIDPATROL_API__DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    if url:
        env["GRIDPATROL_API__DATABASE_URL"] = url
    log = open(data_dir / "server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "gridpatrol", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=log,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(base + "/api/health", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"server did not start; see {data_dir / 'server.log'}")
        yield base
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def raw_insert_rate(url: str, n: int) -> float:
    """Baseline: incidents/s of a plain SQLAlchemy add-and-commit loop (no HTTP, no snapshot)."""
    engine = make_engine(url)
    rng = random.Random(1)
    rows = [incident(i, rng) for i in range(n)]
    sessions = session_factory(engine)
    start = time.perf_counter()
    for row in rows:
        with sessions() as s:
            s.add(Incident(**{**row, "ts": datetime.fromisoformat(str(row["ts"]))}, station="raw"))
            s.commit()
    rate = n / (time.perf_counter() - start)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM incidents WHERE station = 'raw'"))
    engine.dispose()
    return rate


def api_ingest_rate(base: str, key: str, images: list[bytes], workers: int) -> float:
    """Incidents/s through the API: a 50 KB snapshot upload then the incident, ``workers`` clients at once."""
    rng = random.Random(2)
    jobs = [(img, incident(i, rng)) for i, img in enumerate(images)]
    chunks = [jobs[w::workers] for w in range(workers)]
    errors: list[BaseException] = []

    def run(chunk: list[tuple[bytes, dict[str, object]]]) -> None:
        try:
            with ApiClient(base, key) as client:
                for img, body in chunk:
                    body["snapshot_sha"] = client.upload_snapshot(img)
                    client.post_incident(body)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in chunks]
    return len(jobs) / run_threads(threads, errors)


def run_threads(threads: list[threading.Thread], errors: list[BaseException]) -> float:
    """Start the client threads together, wait for them, re-raise the first error; wall seconds taken."""
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - start


def api_batch_rate(base: str, key: str, images: list[bytes], workers: int, size: int) -> float:
    """Incidents/s through POST /incidents/batch, ``size`` incidents a request, ``workers`` at once."""
    rng = random.Random(5)
    jobs = [(incident(i, rng), img) for i, img in enumerate(images)]
    batches = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    errors: list[BaseException] = []

    def run(mine: list[list[tuple[dict[str, object], bytes]]]) -> None:
        try:
            with ApiClient(base, key, timeout_s=60) as client:
                for batch in mine:
                    results = client.post_incident_batch(list(batch))
                    if any(r["result"] != "created" for r in results):
                        raise RuntimeError(f"batch not stored: {results[:3]}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(batches[w::workers],)) for w in range(workers)]
    return len(jobs) / run_threads(threads, errors)


def fill(url: str, rows: int) -> None:
    """Bulk-load ``rows`` incidents (core executemany) and refresh the planner statistics."""
    engine = make_engine(url)
    rng = random.Random(3)
    statuses = ["new", "new", "confirmed", "dismissed", "resolved"]
    with engine.begin() as conn:
        for start in range(0, rows, 5000):
            batch = []
            for i in range(start, min(rows, start + 5000)):
                row = incident(i, rng)
                row["ts"] = datetime.fromisoformat(str(row["ts"]))
                batch.append({**row, "status": rng.choice(statuses), "station": "bench", "details": {}})
            conn.execute(insert(Incident), batch)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def list_queries(rng: random.Random, n: int) -> list[dict[str, str]]:
    """Filtered list requests as a reviewer makes them (status, type, grid, drone, time range, bbox)."""
    out: list[dict[str, str]] = []
    for i in range(n):
        q: dict[str, str] = {"limit": "50"}
        kind = i % 5
        if kind == 0:
            q["status"] = "new"
        elif kind == 1:
            q |= {"type": "crowd", "grid_id": rng.choice(GRIDS)}
        elif kind == 2:
            day = T0 + timedelta(days=rng.randint(0, 28))
            q |= {
                "drone_id": rng.choice(DRONES),
                "since": day.isoformat(),
                "until": (day + timedelta(days=2)).isoformat(),
            }
        elif kind == 3:
            x, y = 116.38 + rng.random() * 0.03, 39.89 + rng.random() * 0.03
            q["bbox"] = f"{x:.5f},{y:.5f},{x + 0.01:.5f},{y + 0.01:.5f}"
        else:
            q |= {"status": "new", "grid_id": rng.choice(GRIDS), "type": "no_mask"}
        out.append(q)
    return out


def p95(samples: list[float]) -> float:
    """95th percentile, in milliseconds."""
    return statistics.quantiles(samples, n=20)[18] * 1000


def api_list_latency(base: str, token: str, queries: list[dict[str, str]]) -> tuple[float, float]:
    """p50 and p95 (ms) of list requests over HTTP; every second request also fetches the next page."""
    times: list[float] = []
    with httpx.Client(base_url=base + "/api", headers={"Authorization": f"Bearer {token}"}) as http:
        for q in queries[:5]:
            http.get("/incidents", params=q)  # warm caches
        for i, q in enumerate(queries):
            start = time.perf_counter()
            page = http.get("/incidents", params=q)
            page.raise_for_status()
            times.append(time.perf_counter() - start)
            cursor = page.json()["next_cursor"]
            if i % 2 and cursor:
                start = time.perf_counter()
                http.get("/incidents", params={**q, "cursor": cursor}).raise_for_status()
                times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, p95(times)


def raw_list_latency(url: str, queries: list[dict[str, str]]) -> float:
    """Baseline p95 (ms): the same filtered SELECT through SQLAlchemy in-process, no HTTP, no JSON."""
    from api.queries import parse_bbox

    engine = make_engine(url)
    times: list[float] = []
    with session_factory(engine)() as s:
        for q in queries:
            filt = IncidentFilter(
                since=datetime.fromisoformat(q["since"]) if "since" in q else None,
                until=datetime.fromisoformat(q["until"]) if "until" in q else None,
                type=[q["type"]] if "type" in q else None,
                status=[q["status"]] if "status" in q else None,
                grid_id=q.get("grid_id"),
                drone_id=q.get("drone_id"),
                bbox=parse_bbox(q["bbox"]) if "bbox" in q else None,
            )
            start = time.perf_counter()
            list(s.scalars(after_cursor(filt.apply(select(Incident)), None).limit(51)))
            times.append(time.perf_counter() - start)
    engine.dispose()
    return p95(times)


def run_backend(name: str, url: str | None, work: Path, args: argparse.Namespace) -> dict[str, float]:
    """All figures for one backend."""
    work.mkdir(parents=True, exist_ok=True)
    db_url = url or f"sqlite:///{work / 'incidents.db'}"
    engine = make_engine(db_url)
    migrate(engine)
    with session_factory(engine)() as s:
        key = add_station_key(s, "bench")
        add_user(s, "bench", "bench-password", "reviewer")
    engine.dispose()
    raw = raw_insert_rate(db_url, args.incidents)
    images = snapshots(args.incidents)
    with server(url, work) as base:
        ingest = api_ingest_rate(base, key, images, args.workers)
        batch = api_batch_rate(base, key, snapshots(args.incidents, seed=1), args.workers, args.batch)
        fill(db_url, args.rows)
        token = httpx.post(base + "/api/auth/login", json={"username": "bench", "password": "bench-password"}).json()[
            "access_token"
        ]
        queries = list_queries(random.Random(4), args.requests)
        p50_ms, p95_ms = api_list_latency(base, token, queries)
    raw_p95 = raw_list_latency(db_url, queries)
    return {
        "snapshot_kb": statistics.mean(len(i) for i in images) / 1000,
        "raw_insert_per_s": raw,
        "api_ingest_per_s": ingest,
        "ingest_ratio": ingest / raw,
        "api_batch_per_s": batch,
        "batch_ratio": batch / raw,
        "list_p50_ms": p50_ms,
        "list_p95_ms": p95_ms,
        "raw_list_p95_ms": raw_p95,
        "list_ratio": p95_ms / raw_p95,
    }


def main() -> None:
    """Run the benchmark and print a table with the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--incidents", type=int, default=400, help="incidents ingested through the API")
    parser.add_argument("--workers", type=int, default=4, help="concurrent station clients")
    parser.add_argument("--batch", type=int, default=50, help="incidents per POST /incidents/batch")
    parser.add_argument("--rows", type=int, default=100_000, help="incidents in the table for the list test")
    parser.add_argument("--requests", type=int, default=200, help="list requests measured")
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="gp-bench-") as tmp:
        for name in args.backends.split(","):
            if name == "sqlite":
                results[name] = run_backend(name, None, Path(tmp) / name, args)
            elif name == "postgres":
                env = os.environ.get("GRIDPATROL_TEST_PG_URL")
                if env:
                    db = create_database(env, f"gp_bench_{uuid.uuid4().hex[:8]}")
                    results[name] = run_backend(name, db, Path(tmp) / name, args)
                elif find_bindir() is None:
                    print("postgres: skipped (no PostgreSQL binaries; apt-get install postgresql)")
                else:
                    with throwaway_cluster() as admin:
                        db = create_database(admin, "gp_bench")
                        results[name] = run_backend(name, db, Path(tmp) / name, args)
            else:
                parser.error(f"unknown backend {name!r}; use sqlite and/or postgres")
    print(f"\nincident log benchmark: {args.incidents} incidents ingested by {args.workers} clients, "
          f"list over {args.rows} incidents, {args.requests} list requests (+ next pages)")  # fmt: skip
    header = f"{'backend':<9}{'snap KB':>8}{'raw ins/s':>11}{'API inc/s':>11}{'ratio':>7}"
    header += f"{'batch/s':>9}{'ratio':>7}"
    header += f"{'list p50':>10}{'list p95':>10}{'raw p95':>9}{'ratio':>7}"
    print(header)
    for name, r in results.items():
        print(
            f"{name:<9}{r['snapshot_kb']:>8.1f}{r['raw_insert_per_s']:>11.0f}{r['api_ingest_per_s']:>11.0f}"
            f"{r['ingest_ratio']:>7.2f}{r['api_batch_per_s']:>9.0f}{r['batch_ratio']:>7.2f}{r['list_p50_ms']:>8.1f}ms{r['list_p95_ms']:>8.1f}ms"
            f"{r['raw_list_p95_ms']:>7.1f}ms{r['list_ratio']:>7.1f}"
        )
    if "sqlite" in results:
        r = results["sqlite"]
        ok_single = r["api_ingest_per_s"] >= 300
        ok_batch = r["api_batch_per_s"] >= 300
        ok_list = r["list_p95_ms"] < 50
        print(f"target ingest >= 300/s with snapshots (SQLite), one by one: {'met' if ok_single else 'NOT met'}")
        print(
            f"target ingest >= 300/s with snapshots (SQLite), batched by {args.batch}: "
            f"{'met' if ok_batch else 'NOT met'}"
        )
        print(f"target list p95 < 50 ms (SQLite, {args.rows} rows): {'met' if ok_list else 'NOT met'}")


if __name__ == "__main__":
    main()
