"""Mission Planner ``.waypoints`` files (``QGC WPL 110``): one tab-separated line per mission item.

Line format: ``seq current frame command param1 param2 param3 param4 lat lon alt autocontinue``; line 0 is home.
Numbers are written with full precision, so items -> file -> items is exact. Every number read is checked as in
:mod:`mission_planner.plan_doc`: ``nan`` only in a parameter the command leaves unused (Mission Planner's
counterpart of QGroundControl's ``null``), never an infinity, never in a position.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from mission_planner.mission_items import MissionItem
from mission_planner.plan_doc import PlanDocument, PlanFileError, checked_item, from_mission, integer

HEADER = "QGC WPL 110"


class WaypointsFileError(PlanFileError):
    """A ``.waypoints`` file that cannot be read; the message names the line and the field."""


def write_waypoints(items: list[MissionItem], path: Path) -> None:
    """Write mission items (item 0 is home) as a ``QGC WPL 110`` file."""
    lines = [HEADER]
    for i in items:
        fields = [
            i.seq,
            i.current,
            int(i.frame),
            int(i.command),
            i.param1,
            i.param2,
            i.param3,
            i.param4,
            i.x,
            i.y,
            i.z,
            i.autocontinue,
        ]
        lines.append("\t".join(repr(float(f)) if isinstance(f, float) else str(f) for f in fields))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_waypoints(path: Path) -> list[MissionItem]:
    """Read a ``QGC WPL 110`` file into mission items, every number checked.

    Raises:
        WaypointsFileError: With the line number and field for a malformed file, a NaN or infinite number, a
            position out of range, or items out of order.
    """
    try:
        text = Path(path).read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise WaypointsFileError(f"{path} is not a text file (is this a Mission Planner waypoints file?)") from None
    if not text or not text[0].strip().startswith("QGC WPL"):
        raise WaypointsFileError(f"{path}: line 1 must be '{HEADER}' (is this a Mission Planner waypoints file?)")
    names = [
        "seq",
        "current",
        "frame",
        "command",
        "param1",
        "param2",
        "param3",
        "param4",
        "lat",
        "lon",
        "alt",
        "autocontinue",
    ]
    items: list[MissionItem] = []
    for n, line in enumerate(text[1:], start=2):
        if not line.strip():
            continue
        cols = line.split("\t") if "\t" in line else line.split()
        if len(cols) != 12:
            raise WaypointsFileError(f"{path}: line {n} has {len(cols)} fields, expected 12 ({' '.join(names)})")
        values: list[float] = []
        for name, col in zip(names, cols, strict=True):
            try:
                values.append(float(col))
            except ValueError:
                raise WaypointsFileError(f"{path}: line {n}, field {name}: {col!r} is not a number") from None
        where = f"{path}: line {n}"
        try:
            seq, current, frame, command = (integer(values[k], f"{where}, field {names[k]}") for k in range(4))
            auto = integer(values[11], f"{where}, field autocontinue", hi=1)
            if seq != len(items):
                raise WaypointsFileError(f"{where}: seq is {seq}, expected {len(items)} (number the items 0, 1, 2...)")
            item = checked_item(seq, frame, command, list(values[4:11]), auto, where)
        except WaypointsFileError:
            raise
        except PlanFileError as exc:
            raise WaypointsFileError(str(exc)) from None
        items.append(replace(item, current=current))
    return items


def read_waypoints_document(path: Path) -> PlanDocument:
    """A ``.waypoints`` file as a :class:`PlanDocument` (line 0 is home; ``doJumpId`` = seq)."""
    items = read_waypoints(path)
    if not items:
        raise WaypointsFileError(f"{path}: no items; line 2 must be home")
    return from_mission(items)
