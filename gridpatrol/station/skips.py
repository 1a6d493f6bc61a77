"""Skipping a grid while the patrol flies: the drone leaves out the rest of that grid's mission items.

The planner writes, in each ``.plan`` file's stamp, which runs of mission items work on which grid
(``gridpatrol.grid_items``, see :func:`mission_planner.mavlink_items.sortie_grid_runs`). Skipping a grid is a jump
inside the uploaded, verified mission (DO_SET_MISSION_CURRENT to the first item after the grid's run): nothing is
uploaded again, and a jump never goes past the mission's final (landing) item. The jump makes one new leg, though:
straight from where the drone is to the item after the grid, which the planner never checked (from a corner of
one grid to the launch site it can cross a no-fly zone). So that leg is checked against the mission's allowed
airspace (inside the fence, outside the no-fly zones) first, and a skip whose leg would leave it is refused.
A grid the drone has not reached yet is remembered (its leg checked from the item before the grid) and jumped over
the moment MISSION_CURRENT enters it, with the leg checked again from where the drone really is.

Example:
    >>> skips = GridSkips(checked, "drone-1", note=print)  # doctest: +SKIP
    >>> skips.attach(flight.vehicle, flight.commander)  # doctest: +SKIP
    >>> skips.skip("8")  # doctest: +SKIP
    'grid 8 will be skipped when drone-1 gets there (items 9-13)'
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from shapely.geometry import LineString

from flight.errors import FlightError
from flight.px4 import plan_seq

if TYPE_CHECKING:
    from flight.commands import Commander
    from flight.fly import FlightStatus
    from flight.safety import CheckedMission
    from flight.vehicle import Vehicle

log = logging.getLogger(__name__)


class GridSkips:
    """The grids an operator left out of one drone's mission, and the jumps over them.

    Args:
        checked: The drone's mission (its plan's ``grid_items`` say which items work on which grid).
        label: The drone's id, for messages.
        note: Shows a line to the operator (the station's message list).
        status: The flight's status; skipped navigation items are added to its ``skipped`` (not "missing").
    """

    def __init__(
        self, checked: CheckedMission, label: str, note: Callable[[str], None], status: FlightStatus | None = None
    ) -> None:
        self.checked = checked
        self.runs: dict[str, list[tuple[int, int]]] = dict(checked.plan.grid_items)
        self.final = len(checked.plan.mission) - 1  # the landing (or RTL) item: never jumped past
        self.nav = set(checked.nav_seqs)
        self.label = label
        self.note = note
        self.status = status
        self.skipped: list[str] = []
        self.jumps: list[tuple[int, int]] = []  # (from, to) as commanded
        self._lock = threading.Lock()
        self._jumping = threading.Lock()  # one jump at a time: the operator's and the watcher's
        self._seqs: queue.Queue[int | None] = queue.Queue()
        self._commander: Commander | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._thread: threading.Thread | None = None

    def grids(self) -> list[str]:
        """The grids this drone's mission works on, in flying order."""
        return sorted(self.runs, key=lambda g: self.runs[g][0][0])

    def grid_items(self, grid_id: str) -> list[int]:
        """The navigation items of a grid (what "covered" means for it)."""
        return [q for first, last in self.runs.get(grid_id, []) for q in range(first, last + 1) if q in self.nav]

    def coverage(self, reached: list[int]) -> dict[str, str]:
        """Per grid: ``covered`` (every navigation item reached), ``skipped``, ``partial`` or ``not flown``."""
        done = set(reached)
        out = {}
        for grid in self.grids():
            items = self.grid_items(grid)
            flown = [q for q in items if q in done]
            if grid in self.skipped:
                out[grid] = "skipped"
            elif items and len(flown) == len(items):
                out[grid] = "covered"
            else:
                out[grid] = "partial" if flown else "not flown"
        return out

    # -- the vehicle side -------------------------------------------------------------------------------------

    def attach(self, vehicle: Vehicle, commander: Commander) -> None:
        """Watch the vehicle's MISSION_CURRENT and jump over skipped grids as it enters them."""
        if self._thread is not None:
            return
        self._commander = commander
        autopilot = commander.autopilot

        def on_current(msg: Any) -> None:  # receive thread: no waiting here, the worker jumps
            seq = plan_seq(autopilot, int(msg.seq))
            if self.target_for(seq) is not None:
                self._seqs.put(seq)

        self._unsubscribe = vehicle.subscribe(on_current, {"MISSION_CURRENT"})
        self._thread = threading.Thread(target=self._work, name=f"skips-{self.label}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop watching."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._thread is not None:
            self._seqs.put(None)
            self._thread.join(5.0)

    def _work(self) -> None:
        while (seq := self._seqs.get()) is not None:
            with self._jumping:
                self._maybe_jump(seq)

    def _maybe_jump(self, seq: int) -> None:
        commander = self._commander
        now = commander.current_item() if commander is not None else None
        target = self.target_for(now if now is not None else seq)
        if commander is None or target is None:
            return  # already jumped (the queue held older MISSION_CURRENTs)
        at = now if now is not None else seq
        try:
            self._jump(commander, at, target)
        except FlightError as exc:  # the drone flies the grid after all: say so, and count it as flown
            self._unskip(at)
            self.note(f"{self.label}: could not skip ahead to item {target}, flying the grid after all: {exc}")

    def _unskip(self, seq: int) -> None:
        with self._lock:
            grids = [g for g in self.skipped if any(f <= seq <= la for f, la in self.runs[g])]
            for g in grids:
                self.skipped.remove(g)
        if self.status is not None:
            for g in grids:
                self.status.skipped -= set(self.grid_items(g))

    def _point(self, seq: int, after: bool) -> tuple[float, float] | None:
        """Where the planned track is at the first item ``>= seq`` (``after``) or the last item ``< seq``."""
        pairs = list(zip(self.checked.track, self.checked.track_seqs, strict=False))
        found = [p for p, s in pairs if s >= seq] if after else [p for p, s in pairs if s < seq][::-1]
        return (float(found[0][0]), float(found[0][1])) if found else None

    def _here(self, commander: Commander) -> tuple[float, float] | None:
        s = commander.state
        if s.lat is None or s.lon is None:
            return None
        x, y = self.checked.frame.to_local(s.lon, s.lat)
        return float(x), float(y)

    def check_leg(self, start: tuple[float, float] | None, target: int) -> None:
        """Refuse a jump whose straight leg from ``start`` to item ``target`` leaves the allowed airspace.

        Raises:
            FlightError: the leg leaves the fence or crosses a no-fly zone (or the drone's position is unknown).
        """
        end = self._point(target, after=True)
        if start is None or end is None:
            raise FlightError(f"{self.label}: position unknown, so the way to item {target} cannot be checked")
        if not self.checked.allowed.covers(LineString([start, end])):
            raise FlightError(
                f"{self.label}: the straight way from here to mission item {target} would leave the fence or cross "
                "a no-fly zone; skip refused (try again further into the grid, or pause and fly around it)"
            )

    def _jump(self, commander: Commander, seq: int, target: int) -> None:
        self.check_leg(self._here(commander), target)
        commander.set_current(target)
        with self._lock:
            self.jumps.append((seq, target))
        log.info("%s: jumped from mission item %d to %d (skipped grid)", self.label, seq, target)

    # -- the operator side ------------------------------------------------------------------------------------

    def target_for(self, seq: int) -> int | None:
        """Where the vehicle must go when its current item is ``seq``: past every skipped run it is in, or None."""
        with self._lock:
            spans = [r for g in self.skipped for r in self.runs[g]]
        target = seq
        moved = True
        while moved:
            moved = False
            for first, last in spans:
                if first <= target <= last:
                    target, moved = last + 1, True
        target = min(target, self.final)
        return target if target > seq else None

    def skip(self, grid_id: str) -> str:
        """Leave out the rest of ``grid_id``: jump now if the drone is in it, else when it gets there.

        Raises:
            KeyError: the drone's mission has no such grid (names the ones it has).
            ValueError: the drone has already flown past that grid.
            FlightError: the straight way past the grid leaves the allowed airspace, or the vehicle refused.
        """
        if grid_id not in self.runs:
            have = ", ".join(self.grids()) or "none (the plan file has no grid_items; plan it again)"
            raise KeyError(f"{self.label}'s mission has no grid {grid_id!r}; its grids are {have}")
        with self._jumping:  # the watcher must not jump on its own while this decides and jumps
            return self._skip(grid_id)

    def _skip(self, grid_id: str) -> str:
        commander = self._commander
        now = commander.current_item() if commander is not None else None
        with self._lock:
            if grid_id in self.skipped:
                return f"grid {grid_id} is already skipped on {self.label}"
        reached = set(self.status.reached) if self.status is not None else set()
        left = [
            (f, la)
            for f, la in self.runs[grid_id]
            if (now is None or la >= now) and any(q not in reached for q in range(f, la + 1) if q in self.nav)
        ]
        if not left:
            raise ValueError(f"{self.label} has already flown grid {grid_id}; nothing left to skip")
        inside = now is not None and any(f <= now <= la for f, la in left)
        with self._lock:
            self.skipped.append(grid_id)
        # Marked skipped before the jump: the flight counts an item as flown when MISSION_CURRENT moves past it,
        # and the vehicle's next MISSION_CURRENT may arrive before the jump command returns.
        leaving = {q for f, la in left for q in range(f, la + 1) if q in self.nav and q not in reached}
        if self.status is not None:
            self.status.skipped |= leaving
        try:
            if inside and commander is not None and now is not None:
                target = self.target_for(now)
                assert target is not None
                self._jump(commander, now, target)
                said = f"{self.label} skips the rest of grid {grid_id}: on to mission item {target}"
            else:
                for first, _ in left:  # the leg it will fly: from the item before the run to past it
                    target = self.target_for(first)
                    if target is not None:
                        self.check_leg(self._point(first, after=False), target)
                said = f"grid {grid_id} will be skipped when {self.label} gets there (items "
                said += ", ".join(f"{f}-{la}" for f, la in left) + ")"
        except (FlightError, ValueError):
            with self._lock:
                self.skipped.remove(grid_id)
            if self.status is not None:
                self.status.skipped -= leaving
            raise
        return said
