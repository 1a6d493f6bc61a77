"""A station process for the kill -9 test: queues N incidents (+ snapshots, broadcasts) and delivers slowly.

Usage: python outbox_station.py OUTBOX URL KEY N DELAY_S [HANG_AFTER]. Queuing is idempotent (same ids), so a
restarted station puts the same items again without duplicates, then delivers whatever is still pending and exits
0. With HANG_AFTER the delivery stops for good once the API has answered that many incident requests, before the
outbox hears of the last answer: it prints ``stored K`` and waits to be killed, in the window where a kill leaves
an item stored by the API but still pending in the outbox, whatever the machine's speed.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from outbox_kit import broadcast, incident, jpeg

from api.client import ApiClient
from gridpatrol.deliverer import Deliverer
from gridpatrol.outbox import Outbox


class SlowClient(ApiClient):
    """The real client, waiting before every request (a slow uplink); with ``hang_after`` it stops for good after
    the API answered that many incident requests, without returning the last answer (the kill's window)."""

    delay_s = 0.0
    hang_after: int | None = None
    incident_requests = 0

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        time.sleep(self.delay_s)
        result = super()._call(method, path, **kwargs)
        if path.startswith("/incidents"):
            self.incident_requests += 1
            if self.incident_requests == self.hang_after:
                print("stored", self.incident_requests, flush=True)
                threading.Event().wait()  # until killed
        return result


def main() -> None:
    path, url, key, n, delay = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    hang_after = int(sys.argv[6]) if len(sys.argv) > 6 else None
    box = Outbox(path)
    for i in range(n):
        box.put_incident(incident(i), jpeg(i) if i % 3 == 0 else None)
        box.put_broadcast(broadcast(i))
    print("queued", flush=True)
    client = SlowClient(url, key, timeout_s=5)
    client.delay_s = delay
    client.hang_after = hang_after
    ok = Deliverer(box, client, batch_max=1, backoff_initial_s=0.2, backoff_max_s=1).flush(120)
    print("flushed" if ok else "timeout", box.counts(), flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
