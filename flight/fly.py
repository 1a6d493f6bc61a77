"""Fly one planned mission on one vehicle, start to landing, safely; the engine behind ``gridpatrol fly``.

:class:`MissionFlight` runs these steps, each of which must succeed before the next:

1. the ``.plan`` was checked before connecting (:func:`flight.safety.check_plan_file`: planner stamp, every
   leg inside the fence, outside no-fly zones, below the ceiling);
2. connect, wait for a 3-D GPS fix and a healthy EKF, refuse unless the vehicle stands at the plan's launch
   site (:func:`flight.safety.check_start`);
3. upload the fence and rally points, set the vehicle's fence and failsafe parameters, upload the mission,
   each verified by read-back;
4. arm (pre-arm failures reported as the vehicle states them), take off, fly AUTO, with the
   :class:`~flight.watchdog.Watchdog` watching battery, link and fence;
5. follow the mission item by item (MISSION_CURRENT moving on, MISSION_ITEM_REACHED where it arrives; the final
   LAND by the vehicle being down and disarmed at its spot) until it has landed; a mission that ends in the air
   is followed by an RTL.

:attr:`MissionFlight.status` is what a progress display shows; :meth:`MissionFlight.return_home` is the
operator's "bring it back" (Ctrl-C in the CLI).

Example:
    >>> checked = check_plan_file(Path("out/demo/drone-1-s1.plan"), FlyConfig().safety)  # doctest: +SKIP
    >>> flight = MissionFlight(checked, "tcp:127.0.0.1:5760", FlyConfig())  # doctest: +SKIP
    >>> flight.run()  # doctest: +SKIP
    >>> flight.status.phase, flight.status.reached == checked.nav_seqs  # doctest: +SKIP
    ('landed', True)
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flight.battery_forecast import BatteryForecast
from flight.commands import Commander, distance_m
from flight.config import FlightConfig
from flight.errors import FlightError
from flight.failsafes import arm_fence_and_failsafes
from flight.fly_config import FlyConfig, SafetyConfig
from flight.preflight import Checklist
from flight.px4 import first_mission_item, plan_seq, role_mode, to_px4_mission
from flight.safety import CheckedMission, check_plan_file, check_start
from flight.state import VehicleState
from flight.watchdog import Watchdog, WatchEvent

if TYPE_CHECKING:
    from flight.link import MavLink
    from flight.vehicle import Vehicle
    from mission_planner.district import District

log = logging.getLogger(__name__)

TAKEOFF = 22
LAND = 21
LAND_COMMANDS = {20, LAND}  # RTL, LAND: the mission ends on the ground
#: A final LAND/RTL counts as flown when the vehicle came down this close to its landing point (GPS and wind).
LANDED_WITHIN_M = 10.0


@dataclass
class FlightStatus:
    """What a progress display shows for one vehicle (updated by the flight's thread)."""

    label: str
    url: str
    nav_seqs: list[int]
    phase: str = "waiting"
    detail: str = ""
    state: VehicleState | None = None
    link_ok: bool = False
    reached: list[int] = field(default_factory=list)
    events: list[WatchEvent] = field(default_factory=list)
    error: str | None = None
    done: bool = False
    landed_from_home_m: float | None = None
    #: Navigation items the operator chose to leave out (a skipped grid): not counted as missing.
    skipped: set[int] = field(default_factory=set)
    #: The pre-flight checks, ticked as the flight prepares and launches.
    checks: Checklist = field(default_factory=Checklist)

    @property
    def total(self) -> int:
        """How many navigation items the mission has."""
        return len(self.nav_seqs)

    @property
    def missing(self) -> list[int]:
        """Navigation items of the mission not (yet) reached."""
        return [q for q in self.nav_seqs if q not in self.reached and q not in self.skipped]

    @property
    def ok(self) -> bool:
        """Whether the flight ended landed, without errors, with every mission item reached."""
        return self.done and self.error is None and self.phase == "landed" and not self.missing


class FlightAborted(FlightError):
    """The operator stopped the flight before take-off, or the station stopped following it (:meth:`release`)."""


class MissionFlight:
    """One mission on one vehicle (see the module docs).

    Args:
        checked: The mission, already through :func:`flight.safety.check_plan_file`.
        url: The vehicle's link (``tcp:127.0.0.1:5760``, ``udpin:0.0.0.0:14550``, ``serial:/dev/ttyACM0:115200``),
            optionally ``@SYSID`` for one vehicle of several on that link (``tcp:127.0.0.1:5800@2``).
        config: Timeouts and safety settings (``[fly]``).
        link: Link settings (``[flight]``: ids, link timeout, telemetry rates, resends, tlog folder).
        on_event: Called with (flight, event) for each watchdog event (from the watchdog thread).
    """

    def __init__(
        self,
        checked: CheckedMission,
        url: str,
        config: FlyConfig,
        link: FlightConfig | None = None,
        on_event: Any = None,
        shared_link: MavLink | None = None,
    ) -> None:
        self.checked = checked
        self.url = url
        self.base_url, self.sysid = split_target(url)
        self.shared_link = shared_link
        self.config = config
        self.link_config = link or FlightConfig()
        self.on_event = on_event
        self.status = FlightStatus(checked.path.stem, url, checked.nav_seqs)
        self.link: MavLink | None = None
        self.vehicle: Vehicle | None = None
        self.commander: Commander | None = None
        self.watchdog: Watchdog | None = None
        self.abort = threading.Event()
        self.returning = threading.Event()
        self.released = threading.Event()
        self._airborne = False
        self._current_seq: int | None = None

    # -- the steps -------------------------------------------------------------------------------------------

    def _phase(self, phase: str, detail: str = "") -> None:
        if (phase, detail) == (self.status.phase, self.status.detail):
            return
        self.status.phase, self.status.detail = phase, detail
        log.info("%s: %s %s", self.status.label, phase, detail)

    def _check_abort(self) -> None:
        if self.abort.is_set():
            raise FlightAborted("stopped by the operator before take-off")

    def connect(self) -> Vehicle:
        """Open the link and wait for the vehicle's heartbeat."""
        from flight.link import MavLink

        self._phase("connecting", self.url)
        lc = self.link_config
        tlog = None
        if lc.tlog_dir is not None:
            lc.tlog_dir.mkdir(parents=True, exist_ok=True)
            tlog = lc.tlog_dir / f"{self.status.label}-{time.strftime('%Y%m%d-%H%M%S')}.tlog"
        with self.status.checks.checking("link", self.url) as found:
            self.link = self.shared_link or MavLink(self.base_url, tlog=tlog, **lc.link_options())
            vehicle = self.link.wait_vehicle(self.sysid, timeout=self.config.connect_timeout_s)
            found(self.url)
        self.vehicle = vehicle
        self.commander = Commander(vehicle, ack_timeout_s=lc.command_timeout_s, retries=lc.command_retries)
        vehicle.subscribe(self._on_reached, {"MISSION_ITEM_REACHED"})
        vehicle.subscribe(self._on_current, {"MISSION_CURRENT"})
        vehicle.request_rates({"FENCE_STATUS": 1.0, "EXTENDED_SYS_STATE": 1.0})
        return vehicle

    def _mark_reached(self, seq: int) -> None:
        if seq in self.checked.nav_seqs and seq not in self.status.reached:
            self.status.reached.append(seq)

    def _on_reached(self, msg: Any) -> None:  # receive thread
        """MISSION_ITEM_REACHED: one piece of evidence; ArduPilot keeps one pending report per channel, so a
        report that is overwritten before it is sent (TAKEOFF, then the DO items after it) never arrives."""
        autopilot = self.vehicle.autopilot if self.vehicle is not None else "ardupilot"
        self._mark_reached(plan_seq(autopilot, int(msg.seq)))

    def _on_current(self, msg: Any) -> None:  # receive thread
        """MISSION_CURRENT moving on from item A to a later item B: the items from A up to B were done.

        Items the operator skipped (a grid jumped over) are in ``status.skipped`` and are not counted; a
        DO_JUMP back only moves the marker. Before take-off, and once disarmed, the vehicle's current item means
        nothing.
        """
        if self.vehicle is None or not self.vehicle.state.armed:
            return  # ArduCopter rewinds its mission to item 1 once it has disarmed: not a move backwards
        seq = plan_seq(self.vehicle.autopilot, int(msg.seq))
        previous, self._current_seq = self._current_seq, seq
        if not self._airborne or previous is None or seq <= previous:
            return
        for done in range(previous, seq):
            if done not in self.status.skipped:
                self._mark_reached(done)

    def prepare(self) -> None:
        """Wait for GPS, check the launch site, upload fence, failsafes and mission (all verified)."""
        vehicle, commander = self._need()
        if vehicle.state.armed:
            raise FlightError(
                f"{self.status.label}: vehicle {vehicle.sysid} is already armed ({vehicle.state.mode}); gridpatrol "
                "only starts missions on the ground: land and disarm it first"
            )
        checks = self.status.checks
        self._phase("waiting for GPS", "3-D fix and EKF")
        with checks.checking("gps", "waiting for a 3-D fix and a healthy EKF"):
            state = commander.wait_for(
                "a 3-D GPS fix and a healthy EKF",
                lambda s: s.has_position and (s.gps_fix or 0) >= 3 and bool(s.ekf_ok),
                self.config.ready_timeout_s,
                "check the GPS antenna and wait for satellites",
            )
        assert state.lat is not None and state.lon is not None
        with checks.checking("start") as found:
            offset = check_start(self.checked, state.lat, state.lon, self.config.safety)
            found(f"{offset:.0f} m from the launch site")
        self._check_abort()
        self._phase("uploading fence", f"{len(self.checked.plan.fence)} items, {offset:.0f} m from launch site")
        lc = self.link_config
        with checks.checking("fence", f"{len(self.checked.plan.fence)} fence items"):
            arm_fence_and_failsafes(
                vehicle,
                self.checked,
                self.config.safety,
                commander.autopilot,
                report=lambda t: self._phase("preflight", t),
                timeout=lc.mission_timeout_s,
                retries=lc.mission_retries,
            )
        self._check_abort()
        from flight.mission_protocol import MISSION, upload_verified

        items = self.checked.plan.mission
        if commander.autopilot == "px4":
            items = to_px4_mission(items)
        self._phase("uploading mission", f"{len(items)} items")
        with checks.checking("mission", f"{len(items)} items"):
            upload_verified(vehicle, items, MISSION, timeout=lc.mission_timeout_s, retries=lc.mission_retries)
        self._phase("uploaded", "mission, fence and failsafes verified")

    def launch(self) -> None:
        """Arm, take off to the mission's take-off altitude, and start the mission in AUTO."""
        _, commander = self._need()
        self._check_abort()
        takeoff_alt = next((i.z for i in self.checked.plan.mission if i.command == TAKEOFF), self.checked.cruise_alt_m)
        need = self.config.safety.min_takeoff_battery_pct
        battery = commander.state.battery_pct
        checks = self.status.checks
        with checks.checking("battery") as found:
            if need > 0 and (battery is None or battery < need):
                have = "unknown" if battery is None else f"{battery:.0f} %"
                raise FlightError(
                    f"{self.status.label}: battery {have}, below the {need:g} % needed to take off (the planner "
                    "sizes each sortie for a full battery); fit a charged battery"
                )
            found("unknown (no minimum set)" if battery is None else f"{battery:.0f} %")
        self._phase("arming")
        with checks.checking("arm"):
            commander.set_role("takeoff")
            commander.arm()
        self._airborne = True
        if self.abort.is_set():  # Ctrl-C between arming and take-off: disarm on the ground
            commander.disarm()
            self._airborne = False
            raise FlightAborted("stopped by the operator before take-off (disarmed)")
        self._phase("taking off", f"to {takeoff_alt:g} m")
        commander.takeoff(takeoff_alt)
        if self.returning.is_set():
            return
        self._phase("mission", f"item 1/{self.status.total}")
        commander.start_mission(first_mission_item(commander.autopilot))

    def follow(self) -> None:
        """Follow the flight until the vehicle has landed and disarmed (RTL if the mission ends in the air)."""
        vehicle, commander = self._need()
        deadline = time.monotonic() + self.config.flight_timeout_s
        last_nav = self.checked.nav_seqs[-1] if self.checked.nav_seqs else None
        ends_landed = self.checked.plan.mission[-1].command in LAND_COMMANDS
        mission_mode = role_mode(commander.autopilot, "mission")
        forecast = BatteryForecast(self.checked.track, self.checked.track_seqs, self.config.safety.reserve_pct)
        while True:
            if self.released.is_set():
                raise FlightAborted("the station stopped following it; the vehicle's own failsafes look after it")
            s = vehicle.state
            self.status.state, self.status.link_ok = s, vehicle.link_ok
            if not s.armed and s.alt_rel_m is not None and s.alt_rel_m < 1.0:
                break
            if s.mode == mission_mode and not self.returning.is_set():
                warning = forecast.update(s.battery_pct, self._current_seq)
                if warning is not None:
                    log.warning("%s: %s", self.status.label, warning)
                    self._event(WatchEvent("battery_forecast", vehicle.sysid, warning, time.monotonic()))
            if time.monotonic() > deadline:
                self._phase("returning", "flight timeout")
                self._safe_rtl()
                deadline = time.monotonic() + self.config.flight_timeout_s
            if s.mode == mission_mode and not self.returning.is_set():
                k = len([q for q in self.status.reached if q in self.checked.nav_seqs])
                self._phase("mission", f"item {min(k + 1, self.status.total)}/{self.status.total}")
                if not ends_landed and last_nav is not None and last_nav in self.status.reached:
                    self._phase("returning", "mission complete")
                    self._safe_rtl()
            elif s.mode != mission_mode:
                self._phase("returning" if s.mode == role_mode(commander.autopilot, "return") else s.mode.lower(), "")
            time.sleep(0.05)
        home = s.home or self.checked.plan.home
        if s.lat is not None and s.lon is not None:
            self.status.landed_from_home_m = distance_m(s.lat, s.lon, home[0], home[1])
        self._airborne = False
        self._judge_last_item(s)
        self._phase("landed", self._landing_detail())

    def _judge_last_item(self, s: VehicleState) -> None:
        """The final LAND or RTL is done when the vehicle was on it and is now down and disarmed at its spot.

        ArduPilot never reports the final NAV_LAND as reached: it disarms first, and the mission just stops.
        """
        last = self.checked.plan.mission[-1]
        if last.command not in LAND_COMMANDS or s.lat is None or s.lon is None:
            return
        before = [q for q in self.checked.nav_seqs if q != last.seq]
        on_last = self._current_seq == last.seq or (bool(before) and before[-1] in self.status.reached)
        home = s.home or self.checked.plan.home
        lat, lon = (last.x, last.y) if last.command == LAND and (last.x, last.y) != (0.0, 0.0) else home[:2]
        off = distance_m(s.lat, s.lon, lat, lon)
        if on_last and off <= LANDED_WITHIN_M:
            self._mark_reached(last.seq)
        else:
            log.info("%s: final item %d not counted (current item %s, %.1f m from its landing point)",
                     self.status.label, last.seq, self._current_seq, off)  # fmt: skip

    def _landing_detail(self) -> str:
        missing = self.status.missing
        where = (
            f"{self.status.landed_from_home_m:.1f} m from home" if self.status.landed_from_home_m is not None else ""
        )
        skipped = f"; {len(self.status.skipped)} items skipped by the operator" if self.status.skipped else ""
        if missing:
            return f"{where}; items not reached: {', '.join(map(str, missing))}{skipped}"
        return f"{where}; all {self.status.total - len(self.status.skipped)} items reached{skipped}"

    def _safe_rtl(self) -> None:
        _, commander = self._need()
        try:
            commander.return_home()
        except FlightError as exc:
            self.status.error = f"RTL failed: {exc}"
            log.error("%s: RTL failed: %s", self.status.label, exc)

    def _need(self) -> tuple[Vehicle, Commander]:
        if self.vehicle is None or self.commander is None:
            raise FlightError(f"{self.status.label}: not connected")
        return self.vehicle, self.commander

    # -- whole flight and operator actions -------------------------------------------------------------------

    def run(self) -> FlightStatus:
        """All the steps; errors end up in :attr:`status` (``error``), never as exceptions."""
        try:
            vehicle = self.connect()
            self.prepare()
            _, commander = self._need()
            with Watchdog(vehicle, commander, reserve_pct=self.config.safety.reserve_pct, on_event=self._event) as dog:
                self.watchdog = dog
                self.launch()
                self.follow()
        except FlightAborted as exc:
            self._phase("cancelled", str(exc))
        except FlightError as exc:
            self.status.error = str(exc)
            self._phase("failed", str(exc))
            if self._airborne:
                self._bring_back(exc)
        finally:
            self.status.done = True
            if self.vehicle is not None:
                self.status.state, self.status.link_ok = self.vehicle.state, self.vehicle.link_ok
            if self.link is not None and self.link is not self.shared_link:
                self.link.close()
        return self.status

    def _bring_back(self, exc: FlightError) -> None:
        """After a failure in the air: RTL and keep following until it has landed (the error stays reported)."""
        self.returning.set()
        self._safe_rtl()
        error = self.status.error
        try:
            self.follow()
        except FlightError as again:
            log.error("%s: lost track of the vehicle after the failure: %s", self.status.label, again)
        self.status.error = error
        self._phase("failed", f"{exc}; RTL commanded, then {self.status.phase} {self.status.detail}".strip())

    def _event(self, event: WatchEvent) -> None:
        self.status.events.append(event)
        if self.on_event is not None:
            self.on_event(self, event)

    def release(self) -> None:
        """Stop following the vehicle (the station is stopping and leaves a held drone to its failsafes): the
        flight ends ``cancelled`` and closes its link, instead of following, and reconnecting, for as long as the
        process lives."""
        self.released.set()

    def return_home(self) -> str:
        """The operator's "bring it back": RTL if airborne, else stop before take-off; returns what was done."""
        self.abort.set()
        if not self._airborne or self.commander is None:
            return "stopped before take-off"
        self.returning.set()
        self._phase("returning", "operator")
        self._safe_rtl()
        return "RTL commanded"


def split_target(url: str) -> tuple[str, int | None]:
    """``"tcp:127.0.0.1:5800@2"`` -> ``("tcp:127.0.0.1:5800", 2)``; without ``@SYSID`` the sysid is None.

    Raises:
        ValueError: ``@`` followed by something other than a system id 1..255.
    """
    base, sep, tail = url.rpartition("@")
    if not sep:
        return url, None
    if not tail.isdigit() or not 1 <= int(tail) <= 255:
        raise ValueError(f"--connect {url!r}: after '@' comes the vehicle's system id (1..255), e.g. {base}@2")
    return base, int(tail)


def load_missions(paths: list[Path], config: SafetyConfig, district: District | None = None) -> list[CheckedMission]:
    """Check every plan before anything connects (see :func:`flight.safety.check_plan_file`).

    A folder stands for the first sortie of each drone in it (``drone-1-s1.plan``, ``drone-2-s1.plan``, ...),
    as ``gridpatrol plan`` writes them. With ``district``, each plan (another ground station's too) is checked
    against the district's fence and no-fly zones.

    Raises:
        UnsafeMissionError: the first plan that must not fly, a folder without plans, or the same mission twice.
    """
    from flight.safety import UnsafeMissionError
    from mission_planner.qgc_plan import digest

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.glob("*-s1.plan"))
            if not found:
                raise UnsafeMissionError(f"{path}: no '*-s1.plan' files; run `gridpatrol plan --out {path}` first")
            files += found
        else:
            files.append(path)
    checked = [check_plan_file(f, config, district=district) for f in files]
    seen: dict[str, Path] = {}
    for m in checked:
        key = digest(m.plan.mission)
        if key in seen:
            raise UnsafeMissionError(
                f"{m.path} and {seen[key]} are the same mission: two drones would fly the same route at the same "
                "time; give each drone its own plan"
            )
        seen[key] = m.path
    return checked
