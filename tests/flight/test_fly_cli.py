"""Planned patrols flown end to end against the real simulator: in-process (:class:`MissionFlight`) and through
``gridpatrol fly`` in a subprocess, with refusals, a low battery and Ctrl-C."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
from flightkit import (
    DISTRICT,
    REPO,
    SIM_GCS_ENV,
    connected,
    edit_plan,
    fly_config,
    hold_when,
    launch_site,
    sim_at,
    wait_until,
    write_plans,
)

from flight.commands import Commander, distance_m
from flight.config import FlightConfig
from flight.fly import MissionFlight, load_missions, split_target
from flight.fly_config import SafetyConfig
from flight.safety import check_plan_file
from gridpatrol.cli import app
from sim import Simulator

CLI_TIMEOUT_S = 150


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """drone-1 over grid 1 from launch site A, drone-2 over grid 4 from B."""
    return write_plans(tmp_path_factory.mktemp("patrol"), grids=("1", "4"), drones=2)


def _reached(sim: Simulator) -> list[int]:
    return [seq for seq, _t in sim.vehicle(0).reached]


def _landed_home(sim: Simulator) -> float:
    v = sim.vehicle(0)
    lat, lon, alt, _ = v.position
    assert not v.armed and alt < 0.5
    return distance_m(lat, lon, v.home[0], v.home[1])


def test_patrol_flies_every_waypoint_in_order_and_lands_home(plans: list[Path]) -> None:
    checked = check_plan_file(plans[0], SafetyConfig())
    with sim_at(plans[0]) as sim:
        flight = MissionFlight(checked, sim.endpoints[0], fly_config())
        status = flight.run()
        assert status.ok, (status.phase, status.detail, status.error)
        assert _reached(sim) == checked.nav_seqs  # every navigation item, in order, once
        assert status.reached == checked.nav_seqs  # and the ground station saw each MISSION_ITEM_REACHED
        assert len(sim.vehicle(0).mission) == len(checked.plan.mission)
        assert _landed_home(sim) < 2.0
        assert f"all {checked.waypoints} items reached" in status.detail
        assert sim.vehicle(0).params["FENCE_ENABLE"] == 1
        checks = {c["key"]: c for c in status.checks.records()}  # the pre-flight checklist, every check ticked
        assert list(checks) == ["link", "gps", "start", "fence", "mission", "battery", "arm"]
        assert status.checks.passed, checks
        assert checks["start"]["detail"].endswith("m from the launch site") and checks["battery"]["detail"].endswith(
            " %"
        )


def test_low_battery_on_patrol_returns_home_early(plans: list[Path]) -> None:
    checked = check_plan_file(plans[0], SafetyConfig())
    config = fly_config(battery_low_cell_volt=0, battery_critical_cell_volt=0, reserve_pct=25)
    link = FlightConfig(heartbeat_timeout_s=60)  # the clock's holds below are no lost link
    with sim_at(plans[0]) as sim:
        flight = MissionFlight(checked, sim.endpoints[0], config, link)
        runner = threading.Thread(target=flight.run)
        runner.start()
        hold_when(sim, "the second waypoint", lambda: len(_reached(sim)) >= 3, timeout=60)
        sim.vehicle(0).sag_battery(70)
        # the clock runs on until the ground station hears of the sag, then waits for its RTL: the mission cannot
        # end before the watchdog acts, however slow the machine
        hold_when(sim, "the sag reported", lambda: _battery_seen(flight) < 25, timeout=60)
        wait_until("the watchdog's RTL", lambda: sim.vehicle(0).mode == "RTL", timeout=60)
        sim.hold_at(None)
        runner.join(timeout=90)
        status = flight.status
        assert status.done and status.phase == "landed", (status.phase, status.detail, status.error)
        kinds = [e.kind for e in status.events]  # the forecast may speak first: 70 % gone in half a kilometre
        assert [k for k in kinds if k != "battery_forecast"] == ["battery_rtl"], kinds
        assert not any("Battery 1 is low" in t for _, _, t in sim.vehicle(0).statustext)  # the watchdog did it
        assert status.missing and not status.ok  # it came back before finishing: not a completed patrol
        assert _landed_home(sim) < 2.0


def _battery_seen(flight: MissionFlight) -> float:
    """The battery charge (%) the ground station last heard; 100 before it heard any."""
    pct = None if flight.vehicle is None else flight.vehicle.state.battery_pct
    return 100.0 if pct is None else pct


def test_lost_link_on_patrol_alarms_and_the_vehicle_failsafe_brings_it_home(plans: list[Path]) -> None:
    checked = check_plan_file(plans[0], SafetyConfig())
    with sim_at(plans[0], speedup=20) as sim:
        flight = MissionFlight(checked, sim.endpoints[0], fly_config())
        runner = threading.Thread(target=flight.run)
        runner.start()
        hold_when(sim, "the first waypoint", lambda: len(_reached(sim)) >= 2, timeout=60)
        # 100 simulated seconds: past the vehicle's FS_GCS_TIMEOUT (30 s of its time here); the clock stands
        # still until the ground station has called the link lost (3 s of ours without a heartbeat), so the cut
        # cannot end first however slow the machine
        sim.vehicle(0).cut_link(100.0)
        wait_until("the link alarm", lambda: any(e.kind == "link_lost" for e in flight.status.events), timeout=60)
        sim.hold_at(None)
        runner.join(timeout=90)
        status = flight.status
        kinds = [e.kind for e in status.events]
        assert kinds[:2] == ["link_lost", "link_back"], kinds
        texts = [t for _, _, t in sim.vehicle(0).statustext]
        assert "GCS Failsafe" in texts  # the vehicle's own failsafe acted, not the ground station
        assert status.phase == "landed" and status.missing
        assert _landed_home(sim) < 2.0


def test_a_failure_in_the_air_returns_home_and_follows_the_landing(
    plans: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from flight.errors import FlightError

    def broken(self: Commander, first: int = 1, timeout_s: float = 10.0) -> None:
        raise FlightError("injected: mission start failed")

    monkeypatch.setattr(Commander, "start_mission", broken)  # the only fake: everything else is the simulator
    checked = check_plan_file(plans[0], SafetyConfig())
    with sim_at(plans[0]) as sim:
        status = MissionFlight(checked, sim.endpoints[0], fly_config()).run()
        assert status.phase == "failed" and status.error == "injected: mission start failed"
        assert "RTL commanded, then landed" in status.detail
        assert sim.vehicle(0).has_flown and _reached(sim) == []  # it took off, never flew the mission, came back
        assert _landed_home(sim) < 2.0


def test_a_part_charged_battery_is_refused_before_arming(plans: list[Path]) -> None:
    checked = check_plan_file(plans[0], SafetyConfig())
    with sim_at(plans[0]) as sim:
        sim.vehicle(0).sag_battery(40)
        status = MissionFlight(checked, sim.endpoints[0], fly_config()).run()
        assert status.phase == "failed" and status.error is not None
        assert "below the 90 % needed to take off" in status.error
        assert not any("Arming" in t for _, _, t in sim.vehicle(0).statustext)  # it never tried to arm
        states = {c["key"]: c["state"] for c in status.checks.records()}
        assert states == {
            **dict.fromkeys(["link", "gps", "start", "fence", "mission"], "passed"),
            "battery": "failed",
            "arm": "waiting",
        }
        assert "below the 90 % needed" in status.checks.get("battery").detail


def test_arm_refusal_stops_the_flight_with_the_vehicles_reason(plans: list[Path]) -> None:
    checked = check_plan_file(plans[0], SafetyConfig())
    with sim_at(plans[0]) as sim:
        sim.vehicle(0).sag_battery(95)  # below BATT_LOW_VOLT: the vehicle's own pre-arm check refuses
        config = fly_config(min_takeoff_battery_pct=0)
        status = MissionFlight(checked, sim.endpoints[0], config).run()
        assert status.phase == "failed" and status.error is not None
        assert "Arm: Battery 1 low voltage failsafe" in status.error
        assert not sim.vehicle(0).armed and sim.vehicle(0).position[2] < 0.1
        arm = status.checks.get("arm")  # the checklist names the vehicle's own pre-arm reason
        assert arm.state == "failed" and "Arm: Battery 1 low voltage failsafe" in arm.detail


def test_a_vehicle_already_armed_is_not_given_a_mission(plans: list[Path]) -> None:
    checked = check_plan_file(plans[0], SafetyConfig())
    with sim_at(plans[0]) as sim:
        with connected(sim) as vehicle:
            cmd = Commander(vehicle)
            cmd.set_mode("GUIDED")
            cmd.arm()
        status = MissionFlight(checked, sim.endpoints[0], fly_config()).run()
        assert status.error is not None and "already armed" in status.error
        assert sim.vehicle(0).params["MIS_TOTAL"] == 0  # nothing uploaded


def _run_cli(args: list[str], *, timeout: float = CLI_TIMEOUT_S, **kw: object) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), COLUMNS="160", YOLO_OFFLINE="1", **SIM_GCS_ENV)
    return subprocess.Popen(
        [sys.executable, "-m", "gridpatrol", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kw,  # type: ignore[call-overload]
    )


def test_cli_flies_two_drones_end_to_end(plans: list[Path]) -> None:
    folder = plans[0].parent
    with sim_at(plans[0]) as sim_a, sim_at(plans[1]) as sim_b:
        proc = _run_cli(["fly", str(folder), "--connect", sim_a.endpoints[0], "--connect", sim_b.endpoints[0], "--yes"])
        out, _ = proc.communicate(timeout=CLI_TIMEOUT_S)
        assert proc.returncode == 0, out
        for plan, sim in ((plans[0], sim_a), (plans[1], sim_b)):
            checked = check_plan_file(plan, SafetyConfig())
            assert _reached(sim) == checked.nav_seqs
            assert _landed_home(sim) < 2.0
            assert f"{plan.stem}: landed" in out
        assert "all" in out and "items reached" in out


def test_cli_ctrl_c_returns_home(plans: list[Path]) -> None:
    with sim_at(plans[0]) as sim:
        proc = _run_cli(["fly", str(plans[0]), "--connect", sim.endpoints[0], "--yes"])
        try:
            # the clock stands still from the second waypoint until the CLI has answered Ctrl-C: the mission cannot
            # end first, however slow the machine
            hold_when(sim, "the patrol under way", lambda: len(_reached(sim)) >= 2, timeout=90)
            proc.send_signal(signal.SIGINT)
            try:
                wait_until("RTL", lambda: sim.vehicle(0).mode in ("RTL", "LAND") or not sim.vehicle(0).armed, 60)
            except AssertionError as exc:  # say what the CLI printed: exited, or still waiting on something
                sim.hold_at(None)
                proc.kill()
                raise AssertionError(f"{exc}; exit {proc.wait()}; the CLI printed:\n{proc.communicate()[0]}") from None
            sim.hold_at(None)
            out, _ = proc.communicate(timeout=CLI_TIMEOUT_S)
        finally:
            proc.kill()
        assert proc.returncode == 130, out
        assert "RTL commanded" in out
        assert _landed_home(sim) < 2.0
        checked = check_plan_file(plans[0], SafetyConfig())
        assert _reached(sim) != checked.nav_seqs  # it came home before the patrol ended


def _shifted_east(metres: float) -> Any:
    """A plan edit: the whole mission (home included) moved ``metres`` east, as for a drone standing there."""

    def change(doc: dict[str, Any]) -> None:
        home = doc["mission"]["plannedHomePosition"]
        dlon = metres / (111_320.0 * math.cos(math.radians(home[0])))
        home[1] += dlon
        for item in doc["mission"]["items"]:
            if item["params"][5]:
                item["params"][5] += dlon

    return change


def test_cli_flies_two_drones_behind_one_shared_link(plans: list[Path], tmp_path: Path) -> None:
    lat, lon = launch_site(plans[0])
    second = edit_plan(plans[0], tmp_path / "drone-2-s1.plan", _shifted_east(5.0), restamp=True)  # vehicle 2: 5 m E
    with Simulator(vehicles=2, speedup=50, home=(lat, lon, 20.0), base_port=0, shared_port=0) as sim:
        url = sim.shared_endpoint
        assert url is not None
        args = ["fly", str(second), str(plans[0]), "--connect", f"{url}@2", "--connect", f"{url}@1", "--yes"]
        result = CliRunner().invoke(app, args, env=SIM_GCS_ENV)
        assert result.exit_code == 0, result.output
        for v, plan in zip(sim.vehicles, (plans[0], second), strict=True):  # each flight drove its own vehicle
            checked = check_plan_file(plan, SafetyConfig())
            assert [seq for seq, _ in v.reached] == checked.nav_seqs
            lat_v, lon_v, alt, _ = v.position
            assert not v.armed and alt < 0.5 and distance_m(lat_v, lon_v, *checked.plan.home[:2]) < 2.0
    with pytest.raises(ValueError, match="system id"):
        split_target("tcp:127.0.0.1:5800@x")
    twice = ["fly", str(plans[0]), str(second), "--connect", "tcp:h:1", "--connect", "tcp:h:1"]
    result = CliRunner().invoke(app, twice)
    assert result.exit_code == 2 and "name a different vehicle on each" in result.output


def test_the_same_mission_on_two_drones_is_refused(plans: list[Path]) -> None:
    result = CliRunner().invoke(app, ["fly", str(plans[0]), str(plans[0]), "--connect", "a", "--connect", "b"])
    assert result.exit_code == 2 and "are the same mission" in result.output


@pytest.mark.parametrize("why", ["edited", "outside"])
def test_cli_refuses_before_anything_reaches_the_vehicle(plans: list[Path], tmp_path: Path, why: str) -> None:
    west = (launch_site(plans[0])[0], 114.2880)  # west of the fence

    def move(doc: dict[str, Any]) -> None:
        wp = next(i for i in doc["mission"]["items"] if i["command"] == 16)
        wp["params"][4], wp["params"][5] = west

    bad = edit_plan(plans[0], tmp_path / f"{why}.plan", move, restamp=why == "outside")
    with sim_at(plans[0]) as sim:
        result = CliRunner().invoke(app, ["fly", str(bad), "--connect", sim.endpoints[0], "--yes"])
        assert result.exit_code == 2, result.output
        assert "refusing to fly" in result.output
        assert "leaves the fence" in result.output  # edited or restamped: every leg is checked again
        sim.wait_sim_time(2.0)
        v = sim.vehicle(0)
        assert (len(v.mission), len(v.fence), len(v.rally)) == (1, 0, 0)  # only home, as at power-on
        assert v.params["MIS_TOTAL"] == 0  # no mission upload ever completed
        assert v.last_gcs_heartbeat is None  # it refused before even connecting
        assert v.params["FENCE_ENABLE"] == 0 and not v.armed


def test_cli_check_only_checks(plans: list[Path], tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["fly", str(plans[0].parent), "--check"])
    assert result.exit_code == 0, result.output
    assert result.output.count("all legs in the fence") == 2
    edited = edit_plan(plans[0], tmp_path / "e.plan", lambda doc: doc["mission"]["items"].pop(), restamp=False)
    result = CliRunner().invoke(app, ["fly", str(edited), "--check"])
    assert result.exit_code == 0 and "fence written in the file (not made by gridpatrol" in _flat(result.output)


def _flat(output: str) -> str:
    """The output as one line: what it says, whatever the terminal's width."""
    return " ".join(output.split())


def _strip_stamp_and_fence(doc: dict[str, Any]) -> None:
    doc.pop("gridpatrol")
    doc["geoFence"] = {"circles": [], "polygons": [], "version": 2}


def test_cli_checks_a_foreign_plan_against_the_district(plans: list[Path], tmp_path: Path) -> None:
    foreign = edit_plan(plans[0], tmp_path / "qgc [copy].plan", _strip_stamp_and_fence, restamp=False)
    refused = CliRunner().invoke(app, ["fly", str(foreign), "--check"])
    assert refused.exit_code == 2, refused.output
    assert "qgc [copy].plan: this plan was not made by gridpatrol" in _flat(
        refused.output
    )  # brackets printed as they are
    assert "give --district" in _flat(refused.output) and "stamp" not in _flat(refused.output)
    ok = CliRunner().invoke(app, ["fly", str(foreign), "--check", "--district", str(DISTRICT)])
    assert ok.exit_code == 0, ok.output
    assert "all legs in the fence and outside the no-fly zones of" in _flat(ok.output)
    # several plans, a foreign one among them: each is checked against the district
    two = CliRunner().invoke(app, ["fly", str(foreign), str(plans[1]), "--check", "--district", str(DISTRICT)])
    assert two.exit_code == 0, two.output
    assert _flat(two.output).count("outside the no-fly zones of") == 2


def test_cli_needs_one_link_per_mission(plans: list[Path]) -> None:
    result = CliRunner().invoke(app, ["fly", str(plans[0]), str(plans[1]), "--connect", "tcp:127.0.0.1:9", "--yes"])
    assert result.exit_code == 2
    assert "2 mission(s)" in result.output and "1 --connect" in result.output


def test_folder_without_plans_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Exception, match=r"no '\*-s1\.plan' files"):
        load_missions([tmp_path], SafetyConfig())
