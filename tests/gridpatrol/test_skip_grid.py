"""Skipping a grid: a real planned mission flown on the simulator over a real MAVLink socket, one grid left out
now (the drone is in it) and one later (remembered, jumped over when MISSION_CURRENT enters it)."""

from __future__ import annotations

import json
import math
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "flight"))

from flightkit import act_held, fly_config, hold_when, sim_at, small_plan, write_plans

from flight.errors import FlightError
from flight.fly import FlightStatus, MissionFlight
from flight.fly_config import FlyConfig
from flight.safety import check_plan_file
from gridpatrol.station.console import run_command
from gridpatrol.station.skips import GridSkips
from mission_planner.mavlink_items import sortie_grid_runs
from mission_planner.qgc_plan import PlanFileError, read_qgc_plan
from sim import Simulator

GRIDS = ("1", "4")  # one drone, one sortie: grid 4 (items 4-8) then grid 1 (items 9-13), home 14, land 15


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_plans(tmp_path_factory.mktemp("plans"), GRIDS)[0]


def test_plan_file_says_which_items_work_on_which_grid(plan_file: Path, tmp_path: Path) -> None:
    sortie = small_plan(GRIDS).drones[0].sorties[0]
    runs = sortie_grid_runs(sortie)
    assert runs == {"4": [(4, 8)], "1": [(9, 13)]}
    assert read_qgc_plan(plan_file).grid_items == runs
    doc = json.loads(plan_file.read_text())
    doc["gridpatrol"]["grid_items"]["1"] = [[9, 99]]
    bad = tmp_path / "bad.plan"
    bad.write_text(json.dumps(doc))
    with pytest.raises(PlanFileError, match=r"grid_items\['1'\].*between 1 and 15"):
        read_qgc_plan(bad)


def test_unknown_grid_names_the_drones_grids(plan_file: Path) -> None:
    skips = GridSkips(check_plan_file(plan_file, FlyConfig().safety), "drone-1", note=print)
    with pytest.raises(KeyError, match="drone-1's mission has no grid '8'; its grids are 4, 1"):
        skips.skip("8")
    assert "when drone-1 gets there (items 9-13)" in skips.skip("1")
    assert "already skipped" in skips.skip("1")
    assert skips.target_for(9) == 14 and skips.target_for(4) is None


def _distance_to_segment(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy or 1.0)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


@dataclass
class Flown:
    """What one flight on the simulator did, as the vehicle reported it over MAVLink."""

    status: FlightStatus
    skips: GridSkips
    currents: list[int]  # every MISSION_CURRENT, in order
    track: list[tuple[float, float]]  # GLOBAL_POSITION_INT in the plan's local frame
    said: dict[int, str]  # operator action at reached item -> what skip() answered (or raised)
    notes: list[str]


def fly(plan_file: Path, before: list[str], at: dict[int, str]) -> Flown:
    """Fly the mission; skip the grids ``before`` take-off, and grid ``at[k]`` once item ``k`` is reached."""
    checked = check_plan_file(plan_file, FlyConfig().safety)
    frame = checked.frame
    currents: list[int] = []
    track: list[tuple[float, float]] = []
    notes: list[str] = []
    said: dict[int, str] = {}

    def record(msg: Any) -> None:
        if msg.get_type() == "MISSION_CURRENT":
            currents.append(int(msg.seq))
        else:
            x, y = frame.to_local(msg.lon / 1e7, msg.lat / 1e7)
            track.append((float(x), float(y)))

    with sim_at(plan_file) as sim:
        flight = MissionFlight(checked, sim.endpoints[0], fly_config())
        skips = GridSkips(checked, "drone-1", notes.append, flight.status)
        for grid in before:
            assert "will be skipped" in skips.skip(grid)
        thread = threading.Thread(target=flight.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while flight.commander is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert flight.vehicle is not None and flight.commander is not None, flight.status
        flight.vehicle.subscribe(record, {"MISSION_CURRENT", "GLOBAL_POSITION_INT"})
        skips.attach(flight.vehicle, flight.commander)
        for item, grid in at.items():
            # the clock stands still from the moment the station hears item k reached until the skip is decided
            # and, for a jump, the vehicle has taken its new current item: however slow the machine, the drone
            # is where the station saw it when it decides
            hold_when(sim, f"item {item} reported", lambda k=item: k in flight.status.reached or flight.status.done)
            current = sim.vehicle(0).runner.current
            said[item] = act_held(  # a jump is confirmed by MISSION_CURRENT: the clock runs again once it landed
                sim, f"the skip at item {item}", lambda g=grid: ask(skips, g), lambda c=current: jumped(sim, c)
            )
        thread.join(120)
        skips.close()
    assert flight.status.done, flight.status
    return Flown(flight.status, skips, currents, track, said, notes)


def jumped(sim: Simulator, current: int) -> bool:
    """Whether the simulated vehicle's current mission item (its ground truth) is no longer ``current``."""
    return bool(sim.vehicle(0).runner.current != current)


def ask(skips: GridSkips, grid: str) -> str:
    """The operator's skip of ``grid``: what the station said, or why it refused."""
    try:
        return skips.skip(grid)
    except (FlightError, ValueError) as exc:
        return f"refused: {exc}"


def planned_xy(plan_file: Path) -> dict[int, tuple[float, float]]:
    checked = check_plan_file(plan_file, FlyConfig().safety)
    out: dict[int, tuple[float, float]] = {}
    for (x, y, _), seq in zip(checked.track, checked.track_seqs, strict=True):
        out.setdefault(seq, (float(x), float(y)))
    return out


def test_a_later_grid_is_jumped_over_when_reached_and_never_flown(plan_file: Path) -> None:
    # grid 1 skipped before take-off; at item 5 skipping grid 4 is refused: the straight way home from there
    # would cross the district's no-fly zone
    f = fly(plan_file, before=["1"], at={5: "4"})
    st = f.status
    assert f.said[5].startswith("refused:") and "no-fly zone" in f.said[5], f.said
    assert f.skips.skipped == ["1"] and f.skips.jumps == [(9, 14)], (f.skips.jumps, f.notes)
    assert st.ok, (st.phase, st.detail, st.error)  # landed home; skipped items are not "missing"
    assert not [e for e in st.events if "FENCE" in e.text.upper()], st.events
    assert st.skipped == set(range(9, 14))
    assert f.skips.coverage(st.reached) == {"4": "covered", "1": "skipped"}
    assert set(range(4, 9)) <= set(st.reached) and not set(st.reached) & st.skipped, st.reached
    after = [q for q in f.currents[f.currents.index(9) :] if q != 9]
    assert after[0] == 14 and not set(after) & set(range(10, 14)), f.currents  # left at once, for 14
    assert 15 in st.reached
    xy = planned_xy(plan_file)
    off_route = [q for q in range(10, 14) if _distance_to_segment(xy[q], xy[8], xy[14]) > 60]
    closest = [min(math.hypot(xy[q][0] - x, xy[q][1] - y) for x, y in f.track) for q in off_route]
    assert len(off_route) >= 2 and min(closest) > 40, (off_route, closest)


def test_the_grid_being_flown_is_left_at_once(plan_file: Path) -> None:
    f = fly(plan_file, before=[], at={7: "4"})
    st = f.status
    assert "on to mission item 9" in f.said[7], f.said
    assert f.skips.jumps == [(8, 9)], (f.skips.jumps, f.notes)
    assert st.ok, (st.phase, st.detail, st.error)
    assert st.skipped == {8} and 8 not in st.reached
    assert f.skips.coverage(st.reached) == {"4": "skipped", "1": "covered"}
    assert set(range(9, 16)) <= set(st.reached)  # grid 1 and the way home flown as planned
    with pytest.raises(ValueError, match="already flown grid 1"):
        f.skips.skip("1")


class _OneDrone:
    """Only the command parsing is under test here."""

    def __init__(self) -> None:
        self.rigs = {"drone-1": None}
        self.asked: list[tuple[str, str]] = []

    def skip_grid(self, drone: str, grid: str) -> str:
        self.asked.append((drone, grid))
        return "ok"


def test_skip_command_parses_drone_and_grid() -> None:
    station = _OneDrone()
    assert run_command(station, "skip 8") == "ok"  # type: ignore[arg-type]
    assert run_command(station, "skip drone-1 5") == "ok"  # type: ignore[arg-type]
    assert station.asked == [("drone-1", "8"), ("drone-1", "5")]
    assert run_command(station, "skip").startswith("skip which grid?")  # type: ignore[arg-type]
