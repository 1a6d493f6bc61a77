"""Mission Planner ``.waypoints`` files (``QGC WPL 110``): one tab-separated line per mission item.

Line format: ``seq current frame command param1 param2 param3 param4 lat lon alt autocontinue``; line 0 is home.
Numbers are written with full precision, so items -> file -> items is exact.
"""

from __future__ import annotations

from pathlib import Path

from mission_planner.mission_items import MissionItem

HEADER = "QGC WPL 110"


class WaypointsFileError(ValueError):
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
    """Read a ``QGC WPL 110`` file into mission items.

    Raises:
        WaypointsFileError: With the line number and field for a malformed file.
    """
    text = Path(path).read_text(encoding="utf-8").splitlines()
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
        ints = [int(values[k]) for k in (0, 1, 2, 3)]
        p1, p2, p3, p4, lat, lon, alt = values[4:11]
        items.append(MissionItem(ints[0], ints[2], ints[3], ints[1], int(values[11]), p1, p2, p3, p4, lat, lon, alt))
    return items
