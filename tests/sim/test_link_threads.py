"""A simulated vehicle's link written from two threads at once (the simulator's telemetry and a test's STATUSTEXT).

Found in a loaded run of the console browser tests: a STATUSTEXT sent from the test thread while the simulator
thread wrote telemetry to the same TCP client resized the link's output buffer during a send, and the simulator
thread died (``BufferError: Existing exports of data``): the vehicle fell silent for good.
"""

from __future__ import annotations

import socket
import threading

from sim.link import Link


def test_two_threads_sending_on_one_link_lose_nothing_and_raise_nothing() -> None:
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    link = Link(name="tcp:test", sock=ours)
    chunk, rounds = b"m" * 700, 3000
    expected = 2 * rounds * len(chunk)
    errors: list[BaseException] = []
    received = bytearray()
    done = threading.Event()  # the writers have finished and the backlog is sent

    def reader() -> None:  # until everything came, or nothing more comes once the writers are done
        theirs.settimeout(0.5)
        while len(received) < expected:
            try:
                received.extend(theirs.recv(2048))
            except TimeoutError:
                if done.is_set():
                    return

    def writer() -> None:
        try:
            for _ in range(rounds):
                link.send(chunk)
        except BaseException as exc:  # the failure this test is about
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(2)]
    drain = threading.Thread(target=reader)
    drain.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    while link.backlog and not link.closed:
        link.flush()
    done.set()
    drain.join(30)
    ours.close()
    theirs.close()
    assert not errors, errors[:1]
    assert not link.closed
    assert len(received) == expected
