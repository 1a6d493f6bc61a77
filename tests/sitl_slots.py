"""SITL instance numbers for the tests: each test process reserves a block of its own.

ArduCopter SITL listens on fixed ports (serial0 on TCP ``5760 + 10 * instance``), so two SITL tests that run at the
same time with the same instance number would talk to one vehicle, or the second launcher would take the first's
open port for its own. That happens with pytest-xdist (one process per worker) and with two test runs on one
machine. Each test process therefore reserves a block of :data:`BLOCK` instances the first time it needs one: it
holds an exclusive ``flock`` on a lock file per block for as long as it lives (the kernel drops the lock when the
process ends, however it ends) and takes a block only where no port of it is in use. The tests keep their own
numbering within the block (``sitl_instance(0)`` .. ``sitl_instance(4)``).
"""

from __future__ import annotations

import fcntl
import os
import socket
import tempfile
from pathlib import Path

#: Instances per block: the SITL tests use offsets 0-4 (flight 0-2, conformance 2, fleet 3-4).
BLOCK = 5
#: Blocks to try: instances 0..89 (``gridpatrol sitl --instance`` accepts at most 90).
BLOCKS = 18

_held: tuple[int, int] | None = None  # (block, file descriptor holding its lock) of this process


def sitl_instance(offset: int) -> int:
    """The SITL instance number ``offset`` (0 .. BLOCK-1) of this process's block."""
    if not 0 <= offset < BLOCK:
        raise ValueError(f"SITL instance offset {offset} is outside 0..{BLOCK - 1}")
    global _held
    if _held is None:
        _held = _reserve()
    return _held[0] * BLOCK + offset


def sitl_port(offset: int) -> int:
    """SITL's serial0 TCP port of :func:`sitl_instance` ``(offset)``."""
    return 5760 + 10 * sitl_instance(offset)


def _reserve() -> tuple[int, int]:
    """Lock the first block no other process holds and whose ports are free; keep its descriptor open."""
    lock_dir = Path(tempfile.gettempdir())
    for block in range(BLOCKS):
        fd = os.open(lock_dir / f"gridpatrol-sitl-block-{block}.lock", os.O_CREAT | os.O_RDWR, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        if all(_port_free(5760 + 10 * (block * BLOCK + i)) for i in range(BLOCK)):
            return block, fd
        os.close(fd)  # a SITL started outside the tests holds a port of this block
    raise RuntimeError(f"no free block of {BLOCK} SITL instances among 0..{BLOCK * BLOCKS - 1}")


def _port_free(port: int) -> bool:
    """Whether nothing listens on TCP ``port`` on loopback (SITL's serial0 and the two ports after it)."""
    for p in (port, port + 2, port + 3):
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                return False
    return True
