"""Plan and launch a patrol from the console: pick grids, drones, pattern and height, see the routes, launch.

A station started with ``gridpatrol run --launch-from-console`` serves the console and waits: nothing flies
until an operator (or a schedule, :mod:`gridpatrol.console.schedules`) launches. Later launches fly drones whose
last flight has ended again (another sortie, another patrol); a drone still flying is refused by name.

:class:`Launcher` plans with the same planner and checks as ``gridpatrol run`` (:mod:`gridpatrol.station.missions`:
the planner, the `.plan` files, :func:`flight.safety.check_plan_file`), so a route the console shows is the route
that flies. The planner's refusals (a grid that cannot be reached, a height
above the fence) come back in its words; unknown grids or drones are named with the ones there are.

No ``from __future__ import annotations``: FastAPI must see the routes' dependency types as objects.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from flight.errors import FlightError
from flight.fly import MissionFlight
from gridpatrol.console.access import require_operator
from gridpatrol.console.accounts import Accounts, Session
from gridpatrol.console.actions import ActionError
from gridpatrol.station.missions import checked_missions, plan_for_run, write_missions
from mission_planner.altitude import PatrolAltitude
from mission_planner.district import PATTERNS, District
from mission_planner.geo_export import plan_to_geojson
from mission_planner.plan import Plan

log = logging.getLogger(__name__)


class LaunchBody(BaseModel):
    """What to fly: the grids, the drones, one pattern for every grid (or each grid's own) and the height."""

    model_config = ConfigDict(extra="forbid")
    grids: list[str] = Field(min_length=1, max_length=500, title="Grids", description="Grid ids to patrol.")
    drones: list[str] = Field(min_length=1, max_length=50, title="Drones", description="Drone ids that fly.")
    pattern: str | None = Field(None, max_length=32, title="Pattern", description="Empty: each grid's own.")
    alt_m: PatrolAltitude | None = Field(None, title="Height (m)", description="Empty: the station's.")
    sortie: int = Field(1, ge=1, le=99, title="Sortie", description="Which sortie of each drone flies (1: first).")
    confirm: bool = Field(False, title="Confirmed", description="Launch only: the operator confirmed it.")


@dataclass
class Launched:
    """What a launch set going: the words for the operator and each drone's new flight."""

    text: str
    flights: dict[str, MissionFlight]


@dataclass
class Launcher:
    """Plans for the console and launches the station once (see the module doc).

    Args:
        station: The station, built with every ``[[run.drones]]`` drone and not started.
        district: The district its grids come from.
    """

    station: Any
    district: District

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._links = {link.id: link for link in self.station.run.drones}
        self._launched = False
        self._launches = 0

    @property
    def launched(self) -> bool:
        """Whether the patrol has been launched (here, or by the station's own start)."""
        return self._launched or bool(self.station.started_wall)

    def choices(self) -> dict[str, Any]:
        """What the page offers: grids, drones, patterns and the station's default height and selection."""
        run = self.station.run
        return {
            "launched": self.launched,
            "grids": [{"id": g.id, "name": g.name} for g in self.district.grids],
            "drones": list(self._links),
            "patterns": list(PATTERNS),
            "selected": {"grids": list(run.grids or []), "drones": list(self.station.rigs)},
            "flying": self.flying(),
            "alt_m": run.alt_m if run.alt_m is not None else self.station.settings.planner.alt_m,
        }

    def preview(self, body: LaunchBody) -> dict[str, Any]:
        """The routes (GeoJSON) and each drone's sorties for ``body``, as they would fly.

        Raises:
            ActionError: 404 an unknown grid or drone; 422 the planner refused (its reason).
        """
        run, plan = self._plan(body)
        return self._view(plan, [link.id for link in run.drones])

    def flying(self) -> list[str]:
        """The drones launched whose flight has not ended (they cannot be launched again yet)."""
        if not self.launched:
            return []
        return [d for d, rig in self.station.rigs.items() if not rig.flight.status.done]

    def launch(self, body: LaunchBody) -> Launched:
        """Plan ``body``, write and check its missions, and fly them: the first launch starts the station (take-off
        follows once the video analyses are ready); a later one flies the chosen drones again.

        Raises:
            ActionError: 428 not confirmed; 409 a chosen drone is still flying; as :meth:`preview`; 422 a mission
                failed its checks.
        """
        if not body.confirm:
            raise ActionError(428, "launching needs confirmation")
        with self._lock:
            run, plan = self._plan(body)
            busy = [d for d in dict.fromkeys(body.drones) if d in self.flying()]
            if busy:
                phases = ", ".join(f"{d} ({self.station.rigs[d].flight.status.phase})" for d in busy)
                raise ActionError(409, f"still flying: {phases}; launch it again once it has landed")
            folder = Path(self.station.out_dir) / "plans"
            if self.launched:  # keep the plans that flew before
                folder = folder / f"launch-{self._launches + 1}"
            try:
                paths = write_missions(plan, run, folder)
                missions = checked_missions(run, paths, self.station.settings.fly)
            except (FlightError, ValueError, OSError) as exc:
                raise ActionError(422, str(exc)) from None
            if self.launched:
                try:
                    self.station.fly_again(missions, run.grids)
                except RuntimeError as exc:
                    raise ActionError(409, str(exc)) from None
            else:
                self.station.replan(missions, run)
                self._launched = True
                threading.Thread(target=self._start, args=(run.grids,), name="console-launch", daemon=True).start()
            self._launches += 1
            flights = {link.id: self.station.rigs[link.id].flight for link, _ in missions}
        sortie = f" (sortie {body.sortie})" if body.sortie > 1 else ""
        return Launched(f"launched {', '.join(flights)} over grid(s) {', '.join(body.grids)}{sortie}", flights)

    def _start(self, grids: list[str]) -> None:
        """Start the station (in a thread of its own: it waits for the video analyses); a failure is said."""
        try:
            self.station.start(grids=grids)
        except Exception as exc:  # the operator must hear of any failure to start
            log.exception("console launch: the station did not start")
            self.station.note(f"launch failed: the station did not start: {type(exc).__name__}: {exc}")

    def _plan(self, body: LaunchBody) -> tuple[Any, Plan]:
        known = {g.id for g in self.district.grids}
        unknown = [g for g in body.grids if g not in known]
        if unknown:
            raise ActionError(404, f"no grid {', '.join(map(repr, unknown))}; the grids are {', '.join(sorted(known))}")
        strangers = [d for d in body.drones if d not in self._links]
        if strangers:
            raise ActionError(
                404, f"no drone {', '.join(map(repr, strangers))}; the drones are {', '.join(self._links)}"
            )
        if body.pattern is not None and body.pattern not in PATTERNS:
            raise ActionError(422, f"no pattern {body.pattern!r}; use one of {', '.join(PATTERNS)}")
        run = self.station.run.model_copy(
            update={
                "grids": list(dict.fromkeys(body.grids)),
                "drones": [self._links[d] for d in dict.fromkeys(body.drones)],
                "patterns": [body.pattern] if body.pattern else None,
                "alt_m": body.alt_m if body.alt_m is not None else self.station.run.alt_m,
                "plan_dir": None,
                "sortie": body.sortie,
            }
        )
        try:
            _, plan = plan_for_run(run, self.station.settings, self.station.settings.planner.camera)
        except ValueError as exc:  # the planner's errors (PlanningError) say what to change
            raise ActionError(422, f"the planner refused: {exc}") from None
        short = [f"{link.id} has {len(d.sorties)}" for link, d in zip(run.drones, plan.drones, strict=False)
                 if len(d.sorties) < body.sortie]  # fmt: skip
        if short:
            raise ActionError(422, f"no sortie {body.sortie}: {', '.join(short)}; choose a sortie they all have")
        return run, plan

    def _view(self, plan: Plan, drone_ids: list[str]) -> dict[str, Any]:
        """The plan as the page shows it, each planner drone named by the station's drone that flies it."""
        routes = [f for f in plan_to_geojson(plan, self.district)["features"] if f["properties"]["kind"] == "route"]
        names = dict(zip((d.drone_id for d in plan.drones), drone_ids, strict=False))
        for route in routes:
            route["properties"]["drone"] = names.get(route["properties"]["drone"], route["properties"]["drone"])
        drones = []
        for d in plan.drones:
            sorties = [
                {
                    "sortie": s.index + 1,
                    "grids": s.grid_ids,
                    "length_m": round(s.length_m),
                    "duration_min": round(s.duration_s / 60, 1),
                    "energy_pct": round(s.energy_pct),
                }
                for s in d.sorties
            ]
            drones.append({"drone": names.get(d.drone_id, d.drone_id), "launch": d.launch_id, "sorties": sorties})
        return {
            "routes": {"type": "FeatureCollection", "features": routes},
            "drones": drones,
            "length_m": round(sum(s.length_m for d in plan.drones for s in d.sorties)),
            "flight_min": round(max((sum(s.duration_s for s in d.sorties) for d in plan.drones), default=0) / 60, 1),
            "sorties": sum(len(d.sorties) for d in plan.drones),
            "flies_first_sortie_only": any(len(d.sorties) > 1 for d in plan.drones),
            "coverage_pct": {g.grid_id: round(g.coverage_pct, 1) for g in plan.grids},
            "alt_m": plan.alt_m,
        }


def launch_router(
    launcher: Launcher,
    accounts: Accounts,
    session: Callable[..., Session],
    changing: Callable[..., Session],
) -> APIRouter:
    """``GET /api/launch`` (the choices), ``POST /api/plan`` (a preview) and ``POST /api/launch``; planning and
    launching are for operators, and every launch attempt goes into the audit log."""
    router = APIRouter()
    Who = Annotated[Session, Depends(session)]
    Changing = Annotated[Session, Depends(changing)]

    @router.get("/api/launch")
    def choices(who: Who) -> dict[str, Any]:
        """Grids, drones and patterns to choose from, the defaults, and whether the patrol was launched."""
        return launcher.choices()

    @router.post("/api/plan")
    def preview(body: LaunchBody, who: Changing) -> dict[str, Any]:
        """The routes and sorties for the chosen grids, drones, pattern and height; nothing flies."""
        require_operator(accounts, who, "plan", "patrol", "to plan and launch")
        try:
            return launcher.preview(body)
        except ActionError as exc:
            raise HTTPException(exc.status, exc.message) from None

    @router.post("/api/launch")
    def launch(body: LaunchBody, who: Changing) -> dict[str, str]:
        """Plan as previewed and fly it (asks for ``confirm``)."""
        require_operator(accounts, who, "launch", "patrol", "to plan and launch")
        detail = (
            f"grids={','.join(body.grids)} pattern={body.pattern or 'own'} alt_m={body.alt_m} sortie={body.sortie}"[
                :500
            ]
        )
        target = ",".join(body.drones)[:200]
        try:
            done = launcher.launch(body).text
        except ActionError as exc:
            accounts.audit(who.username, "launch", target, detail, f"refused: {exc.message}")
            raise HTTPException(exc.status, exc.message) from None
        accounts.audit(who.username, "launch", target, detail, f"ok: {done}")
        launcher.station.note(f"patrol launched by {who.username} (console): {done}")
        return {"result": done}

    return router
