"""The live terminal view of a patrol: per drone mode, battery, progress, link, video; the latest incidents."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group
from rich.table import Table
from rich.text import Text

from gridpatrol.station.console import HELP

if TYPE_CHECKING:
    from gridpatrol.station.runtime import Station


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} %"


def drone_table(station: Station) -> Table:
    """One row per drone: phase, mode, battery, altitude, mission progress, link, video."""
    table = Table(title="drones", expand=True)
    for col in ("drone", "phase", "mode", "battery", "alt", "progress", "link", "video", "people"):
        table.add_column(col)
    for rig in station.rigs.values():
        st = rig.flight.status
        s = st.state
        reached = len([q for q in st.reached if q in st.nav_seqs])
        battery = Text(_pct(s.battery_pct if s else None))
        if s is not None and s.battery_pct is not None and s.battery_pct < 30:
            battery.stylize("red")
        phase = Text(st.phase, style="red" if st.error else "")
        job = station.investigations.get(rig.link.id)
        if job is not None and job.running:
            phase = Text(f"investigating: {job.phase}", style="yellow")
        link = Text("ok", style="green") if st.link_ok else (Text("lost", style="red") if s is not None else Text("-"))
        video = rig.stream_state if rig.stream_state != "analysing" else f"{rig.fps:.1f} fps"
        progress = f"{reached}/{st.total}" + (f" (skip {', '.join(rig.skips.skipped)})" if rig.skips.skipped else "")
        table.add_row(  # Text cells: ids, modes and states print literally, brackets included
            Text(rig.link.id),
            phase,
            Text(s.mode if s else "-"),
            battery,
            "-" if s is None or s.alt_rel_m is None else f"{s.alt_rel_m:.0f} m",
            Text(progress),
            link,
            Text(video),
            str(rig.people),
        )
    return table


def incident_table(station: Station, last: int = 6) -> Table:
    """The most recent incidents: time, drone, type, people, grid, whether a warning was played."""
    table = Table(title="incidents", expand=True)
    for col in ("time", "drone", "type", "people", "grid", "warning", "id"):
        table.add_column(col)
    for r in station.incidents[-last:]:
        inc = r.incident
        warned = "played" if r.played else ("queued" if r.broadcast else "cooldown")
        cells = (inc.ts.strftime("%H:%M:%S"), r.drone_id, inc.type, str(inc.people), inc.grid_id or "-", warned)
        table.add_row(*(Text(c) for c in cells), inc.id[:8])
    return table


def view(station: Station) -> Group:
    """Everything the operator watches, for ``rich.live.Live``."""
    help_line = Text(
        f"commands: {HELP}   (Ctrl-C: return or hold)",
        style="dim",
    )
    messages = Text("\n".join(station.messages) or "-", style="cyan")
    return Group(drone_table(station), incident_table(station), messages, help_line)
