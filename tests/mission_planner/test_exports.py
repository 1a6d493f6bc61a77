"""Plan outputs: .plan and .waypoints round trips, MAVLink items, GeoJSON/KML, the preview and the CLI."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from gridpatrol.cli import app
from mission_planner.district import District
from mission_planner.district_io import load_district
from mission_planner.geo_export import plan_to_geojson, plan_to_kml, write_plan_outputs
from mission_planner.mavlink_items import fence_items, items_to_zones, rally_items, sortie_items
from mission_planner.mission_items import Cmd, MissionItem
from mission_planner.plan import Plan
from mission_planner.planner import PlanRequest, plan_patrol
from mission_planner.preview import render_preview
from mission_planner.qgc_plan import PlanFileError, read_qgc_plan, write_qgc_plan
from mission_planner.waypoints_file import WaypointsFileError, read_waypoints, write_waypoints

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def district() -> District:
    return load_district(ROOT / "examples" / "district.geojson")


@pytest.fixture(scope="module")
def plan(district: District) -> Plan:
    return plan_patrol(district, PlanRequest(grids=["5", "8", "12"], drones=2, alt_m=40))


def test_sortie_items_follow_ardupilot_conventions(plan: Plan) -> None:
    sortie = plan.sorties[0]
    items = sortie_items(sortie)
    assert [i.seq for i in items] == list(range(len(items)))
    assert items[0].command == Cmd.NAV_WAYPOINT and items[0].frame == 0 and items[0].current == 1  # home
    assert items[1].command == Cmd.NAV_TAKEOFF and items[1].z == plan.alt_m
    assert items[-1].command == Cmd.NAV_LAND
    assert Cmd.DO_CHANGE_SPEED in {i.command for i in items}
    holds = [i.param1 for i in items if i.command == Cmd.NAV_WAYPOINT and i.param1 > 0]
    hovered = [w.hold_s for w in sortie.waypoints if w.hold_s > 0]
    assert holds == hovered


def test_fence_items_round_trip_and_rally(plan: Plan) -> None:
    items = fence_items(plan)
    assert all(i.mission_type == 1 for i in items)
    zones = items_to_zones(items)
    assert sorted(z.model_dump_json() for z in zones) == sorted(z.model_dump_json() for z in plan.fence)
    assert any(not z.inclusion and z.radius_m for z in zones)  # the helipad circle
    assert [(r.x, r.y) for r in rally_items(plan)] == plan.rally


def test_qgc_plan_round_trip_is_exact_and_stamped(plan: Plan, tmp_path: Path) -> None:
    sortie = plan.sorties[-1]
    path = tmp_path / "s.plan"
    write_qgc_plan(plan, sortie, path)
    doc = json.loads(path.read_text())
    assert doc["fileType"] == "Plan" and doc["groundStation"] == "QGroundControl"
    assert all(item["type"] == "SimpleItem" and len(item["params"]) == 7 for item in doc["mission"]["items"])
    back = read_qgc_plan(path)
    assert back.mission == sortie_items(sortie)
    assert back.fence == fence_items(plan)
    assert back.rally == rally_items(plan)
    assert back.validated
    # a hand edit breaks the stamp: flight must check the route again
    doc["mission"]["items"][3]["params"][4] += 0.001
    path.write_text(json.dumps(doc))
    assert not read_qgc_plan(path).validated


def test_waypoints_round_trip_is_exact(plan: Plan, tmp_path: Path) -> None:
    items = sortie_items(plan.sorties[0])
    path = tmp_path / "s.waypoints"
    write_waypoints(items, path)
    lines = path.read_text().splitlines()
    assert lines[0] == "QGC WPL 110" and lines[1].split("\t")[1] == "1"
    assert read_waypoints(path) == items


def test_bad_plan_and_waypoints_files_name_the_spot(tmp_path: Path) -> None:
    wp = tmp_path / "bad.waypoints"
    wp.write_text("QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\tNORTH\t114.3\t0\t1\n")
    with pytest.raises(WaypointsFileError, match=r"line 2, field lat: 'NORTH'"):
        read_waypoints(wp)
    wp.write_text("hello\n")
    with pytest.raises(WaypointsFileError, match="line 1 must be 'QGC WPL 110'"):
        read_waypoints(wp)
    p = tmp_path / "bad.plan"
    p.write_text(
        '{"fileType": "Plan", "mission": {"plannedHomePosition": [30, 114, 0], "items": [{"type": "Survey"}]}}'
    )
    with pytest.raises(PlanFileError, match=r"mission item 1: type .Survey. is neither SimpleItem nor ComplexItem"):
        read_qgc_plan(p)
    p.write_text("{")
    with pytest.raises(PlanFileError, match="not valid JSON"):
        read_qgc_plan(p)


def test_outputs_geojson_kml_and_preview(plan: Plan, district: District, tmp_path: Path) -> None:
    files = write_plan_outputs(plan, district, tmp_path)
    names = {f.name for f in files}
    assert {"plan.json", "plan.geojson", "plan.kml"} <= names
    assert sum(n.endswith(".plan") for n in names) == len(plan.sorties)
    assert Plan.model_validate_json((tmp_path / "plan.json").read_text()) == plan
    gj = plan_to_geojson(plan, district)
    routes = [f for f in gj["features"] if f["properties"]["kind"] == "route"]
    assert len(routes) == len(plan.sorties)
    assert len({f["properties"]["stroke"] for f in routes}) == 2  # one colour per drone
    kml = etree.fromstring(plan_to_kml(plan, district).encode())
    assert len(kml.findall(".//{http://www.opengis.net/kml/2.2}Placemark")) == len(gj["features"])
    for suffix in (".png", ".svg", ".html"):
        out = tmp_path / f"map{suffix}"
        render_preview(district, plan, out, highlight={"5", "8", "12"})
        assert out.stat().st_size > 10_000
    assert (tmp_path / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_plan_writes_files_and_explains_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "plan",
            str(ROOT / "examples" / "district.geojson"),
            "--grids",
            "1,2",
            "--drones",
            "2",
            "--alt",
            "40",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "patrol done after" in result.output and (out / "plan.geojson").exists()
    bad = runner.invoke(app, ["plan", str(ROOT / "examples" / "district.geojson"), "--grids", "42"])
    assert bad.exit_code == 2 and "unknown grid id(s) 42" in bad.output
    missing = runner.invoke(app, ["plan", str(tmp_path / "nope.geojson")])
    assert missing.exit_code == 2 and "no such file" in missing.output


def test_items_compare_within_vehicle_precision() -> None:
    a = MissionItem(1, 3, 16, x=30.123456789, y=114.1, z=40.0)
    assert a.same_as(MissionItem(1, 3, 16, x=30.12345679, y=114.1, z=40.004))
    assert not a.same_as(MissionItem(1, 3, 16, x=30.1235, y=114.1, z=40.0))


def test_example_script_is_deterministic(tmp_path: Path) -> None:
    before = (ROOT / "examples" / "district.geojson").read_bytes()
    subprocess.run(
        [sys.executable, str(ROOT / "examples" / "make_district.py")],
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
    )
    assert (ROOT / "examples" / "district.geojson").read_bytes() == before
