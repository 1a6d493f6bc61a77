"""Plans from other ground stations: hand-made QGroundControl and Mission Planner files in ``plans/`` are read
strictly, written back unchanged (altitude modes, DO_JUMP, null params, fences, rally points), their surveys
re-planned over the district; every refusal names the item and field."""

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import LineString, Point, Polygon
from typer.testing import CliRunner

from gridpatrol.cli import app
from mission_planner.district import District
from mission_planner.district_io import load_district
from mission_planner.plan_doc import PlanDocument, PlanFileError, PlanItem
from mission_planner.plan_import import import_plan, read_any, write_any
from mission_planner.profiles import CameraProfile, VehicleProfile
from mission_planner.qgc_plan import read_qgc_plan

ROOT = Path(__file__).parents[2]
PLANS = Path(__file__).parent / "plans"
DISTRICT = ROOT / "examples" / "district.geojson"
FILES = ["foreign_mixed.plan", "jump_and_terrain.plan", "older_layout.plan"]


@pytest.fixture(scope="module")
def district() -> District:
    return load_district(DISTRICT)


def _strict_json(path: Path) -> Any:
    def refuse(text: str) -> None:
        raise AssertionError(f"{path} holds {text}, which is not JSON")

    return json.loads(path.read_text(), parse_constant=refuse)


def _import(path: Path, district: District | None) -> PlanDocument:
    return import_plan(path, district, CameraProfile(), VehicleProfile())[0]


@pytest.mark.parametrize("name", FILES)
def test_plan_files_round_trip_through_both_formats(name: str, tmp_path: Path) -> None:
    doc = read_any(PLANS / name)
    write_any(doc, tmp_path / "again.plan")
    assert read_any(tmp_path / "again.plan") == doc
    _strict_json(tmp_path / "again.plan")
    write_any(doc, tmp_path / "again.waypoints")
    back = read_any(tmp_path / "again.waypoints")
    assert back.mission("w") == doc.mission("d")  # the mission itself is the same, DO_JUMP targets as seq
    write_any(back, tmp_path / "third.waypoints")
    assert (tmp_path / "third.waypoints").read_text() == (tmp_path / "again.waypoints").read_text()


def test_altitude_modes_nulls_jumps_fences_and_rally_are_kept(tmp_path: Path) -> None:
    for name in ("foreign_mixed.plan", "jump_and_terrain.plan"):
        write_any(read_any(PLANS / name), tmp_path / name)
    mixed = _strict_json(tmp_path / "foreign_mixed.plan")
    items = mixed["mission"]["items"]
    assert [i.get("AltitudeMode") for i in items] == [1, 1, 2, None, 1, 3, 1]
    assert [i["frame"] for i in items] == [3, 3, 0, 2, 6, 0, 3]
    assert items[5]["AMSLAltAboveTerrain"] == 55 and items[5]["Altitude"] == 25
    assert items[1]["params"][3] is None  # QGroundControl's null yaw stays null, never NaN
    fence = mixed["geoFence"]
    assert [p["inclusion"] for p in fence["polygons"]] == [True, False]
    assert [c["inclusion"] for c in fence["circles"]] == [False, True]
    assert mixed["rallyPoints"]["points"] == [[30.588, 114.2905, 30]]
    jumps = _strict_json(tmp_path / "jump_and_terrain.plan")["mission"]["items"]
    assert (jumps[2]["AltitudeMode"], jumps[2]["frame"]) == (4, 10)
    assert jumps[3]["command"] == 177 and jumps[3]["params"][:2] == [2, 3] and jumps[3]["params"][2:] == [None] * 5


def test_do_jump_follows_its_target_when_a_survey_before_it_is_replanned(district: District, tmp_path: Path) -> None:
    doc = read_any(PLANS / "concave_survey.plan")
    jump = PlanItem(replace(read_any(PLANS / "jump_and_terrain.plan").mission("j")[4], param1=3.0), do_jump_id=4)
    doc = replace(doc, items=[*doc.items, jump])
    write_any(replace(doc, items=[i for i in doc.items if isinstance(i, PlanItem)]), tmp_path / "no_survey.plan")
    flat = _import(tmp_path / "no_survey.plan", district)
    assert flat.mission("x")[-1].param1 == 2  # RTL (doJumpId 3) is item 2 once the survey is gone
    (tmp_path / "with_survey.plan").write_text(json.dumps(_with_items(PLANS / "concave_survey.plan", jump)))
    replanned = _import(tmp_path / "with_survey.plan", district)
    mission = replanned.mission("x")
    assert mission[-1].command == 177 and mission[int(mission[-1].param1)].command == 20  # still the RTL


def _with_items(path: Path, jump: PlanItem) -> dict[str, Any]:
    doc = json.loads(path.read_text())
    doc["mission"]["items"].append(
        {
            "autoContinue": True,
            "command": 177,
            "doJumpId": 4,
            "frame": 2,
            "params": [3, 1, 0, 0, 0, 0, 0],
            "type": "SimpleItem",
        }
    )
    return doc


def test_survey_is_replanned_inside_the_district_around_the_school(district: District, tmp_path: Path) -> None:
    doc = _import(PLANS / "concave_survey.plan", district)
    mission = doc.mission("x")
    assert not doc.surveys and len(mission) > 20
    wps = [m for m in mission[2:] if m.command == 16]
    assert {(m.frame, m.z) for m in wps} == {(3, 40.0)}
    xs, ys = district.frame.to_local([m.y for m in wps], [m.x for m in wps])
    route = LineString(list(zip(xs.tolist(), ys.tolist(), strict=True)))
    assert district.allowed.buffer(0.5).covers(route)  # every leg, not only every point, stays out of the school
    school = next(z for z in district.nofly if z.id == "school")
    assert not route.intersects(school.keep_out.buffer(-0.5))
    survey = district.frame.geom_to_local(
        Polygon([(lon, lat) for lat, lon in read_any(PLANS / "concave_survey.plan").surveys[0].polygon])
    )
    target = survey.intersection(district.allowed)
    swath, _ = CameraProfile().footprint_m(40.0)
    assert route.buffer(swath / 2).intersection(target).area / target.area > 0.95
    notch = Point(*district.frame.to_local(114.2980, 30.5888)).buffer(30)  # the L's missing corner
    assert not route.buffer(1).intersects(notch), "a convex-hull sweep would fly over the notch"
    # import -> export -> import is the same plan; the fence is the district's
    write_any(doc, tmp_path / "imported.plan")
    assert _import(tmp_path / "imported.plan", district) == doc
    assert any(not z.inclusion and z.radius_m == 60 for z in doc.fence)  # the helipad, from the district


def test_corridor_and_structure_scans_are_replanned(district: District, tmp_path: Path) -> None:
    doc = json.loads((PLANS / "concave_survey.plan").read_text())
    survey = doc["mission"]["items"][1]
    corridor = {
        "type": "ComplexItem",
        "complexItemType": "CorridorScan",
        "CorridorWidth": 40,
        "polyline": [[30.5860, 114.2910], [30.5860, 114.2940], [30.5900, 114.2940]],
        "TransectStyleComplexItem": survey["TransectStyleComplexItem"],
        "version": 3,
    }
    structure = {
        "type": "ComplexItem",
        "complexItemType": "StructureScan",
        "Altitude": 20,
        "altitudeRelative": True,
        "Layers": 2,
        "StructureHeight": 20,
        "CameraCalc": {"DistanceToSurface": 15, "DistanceMode": 1},
        "polygon": [[30.5900, 114.2915], [30.5900, 114.2920], [30.5905, 114.2920], [30.5905, 114.2915]],
        "version": 3,
    }
    doc["mission"]["items"][1:2] = [corridor, structure]
    (tmp_path / "scans.plan").write_text(json.dumps(doc))
    mission = _import(tmp_path / "scans.plan", district).mission("x")
    alts = {m.z for m in mission if m.command == 16}
    assert {20.0, 30.0} <= alts  # two structure layers, 10 m apart
    assert 40.0 in alts  # the corridor at its camera distance


def _edited(tmp_path: Path, change: Any, name: str = "foreign_mixed.plan") -> Path:
    doc = json.loads((PLANS / name).read_text())
    change(doc)
    out = tmp_path / "edited.plan"
    out.write_text(json.dumps(doc))
    return out


def _set(item: int, key: str, value: Any, k: int | None = None) -> Any:
    def change(doc: dict[str, Any]) -> None:
        target = doc["mission"]["items"][item]
        if k is None:
            target[key] = value
        else:
            target[key][k] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set(1, "params", None, 6), r"mission item 2, altitude \(command 16, frame 3\) is null"),
        (_set(1, "params", None, 4), r"mission item 2, latitude \(command 16, frame 3\) is null"),
        (_set(2, "params", 91, 4), r"mission item 3, latitude .* is 91, outside -90 to 90"),
        (_set(1, "params", math.inf, 5), r"mission item 2, longitude .*: Infinity is not a number"),
        (_set(3, "params", None, 1), r"mission item 4, param2 \(command 178, frame 2\) is null"),
        (_set(2, "AltitudeMode", 1), r"mission item 3: AltitudeMode 1 \(relative\) does not match frame 0"),
        (_set(4, "Altitude", 80), r"mission item 5: Altitude is 80 m but the item flies at 35 m"),
        (_set(5, "AMSLAltAboveTerrain", 90), r"mission item 6: AMSLAltAboveTerrain is 90 m but the item flies at 55"),
        (lambda d: d["geoFence"]["circles"][0]["circle"].update(radius=None), r"circle 0, radius is null"),
        (lambda d: d["rallyPoints"]["points"][0].__setitem__(2, None), r"rally point 0, altitude is null"),
        (lambda d: d["mission"]["items"][0].pop("frame"), r"mission item 1: no 'frame'"),
    ],
)
def test_bad_numbers_are_refused_naming_item_and_field(tmp_path: Path, change: Any, message: str) -> None:
    with pytest.raises(PlanFileError, match=message):
        read_any(_edited(tmp_path, change))


def test_nan_and_infinity_literals_are_named(tmp_path: Path) -> None:
    text = (
        (PLANS / "foreign_mixed.plan")
        .read_text()
        .replace("[0, 0, 0, null, 30.5860, 114.2910, 30]", "[0, 0, 0, null, NaN, 114.2910, 30]")
    )
    (tmp_path / "nan.plan").write_text(text)
    with pytest.raises(PlanFileError, match=r"mission item 2, latitude \(command 16, frame 3\): NaN is not a number"):
        read_qgc_plan(tmp_path / "nan.plan")
    (tmp_path / "inf.plan").write_text(text.replace("NaN", "30.586").replace('"Altitude": 60', '"Altitude": -Infinity'))
    with pytest.raises(PlanFileError, match=r"mission item 3, Altitude: -Infinity is not a number"):
        read_any(tmp_path / "inf.plan")
    (tmp_path / "big.plan").write_text(text.replace("NaN", "1e999"))  # JSON that Python reads as infinity
    with pytest.raises(PlanFileError, match=r"mission item 2, latitude .* is inf: only finite numbers"):
        read_any(tmp_path / "big.plan")


def test_older_layout_needs_its_coordinate_and_surveys_need_the_district(tmp_path: Path) -> None:
    old = _edited(tmp_path, lambda d: d["mission"]["items"][1].pop("coordinate"), "older_layout.plan")
    with pytest.raises(
        PlanFileError, match=r"mission item 2: 'params' has 4 values; expected 7 .*\(no 'coordinate' here\)"
    ):
        read_any(old)
    with pytest.raises(PlanFileError, match=r"mission item 2 \(survey\) is a survey: give the district"):
        _import(PLANS / "concave_survey.plan", None)
    with pytest.raises(PlanFileError, match=r"mission item 2 \(survey\) is a survey: give the district"):
        read_qgc_plan(PLANS / "concave_survey.plan")  # what `fly` reads


def test_surveys_we_cannot_fly_are_refused_with_the_reason(district: District, tmp_path: Path) -> None:
    def terrain(doc: dict[str, Any]) -> None:
        doc["mission"]["items"][1]["TransectStyleComplexItem"]["FollowTerrain"] = True

    with pytest.raises(PlanFileError, match=r"follows terrain; gridpatrol has no terrain data"):
        read_any(_edited(tmp_path, terrain, "concave_survey.plan"))

    def far_away(doc: dict[str, Any]) -> None:
        doc["mission"]["items"][1]["polygon"] = [[30.60, 114.31], [30.60, 114.32], [30.61, 114.32]]

    with pytest.raises(PlanFileError, match=r"lies outside the district's fence or inside its no-fly zones"):
        _import(_edited(tmp_path, far_away, "concave_survey.plan"), district)


def test_waypoints_files_refuse_nan_infinity_and_disorder(tmp_path: Path) -> None:
    write_any(read_any(PLANS / "foreign_mixed.plan"), tmp_path / "m.waypoints")
    lines = (tmp_path / "m.waypoints").read_text().splitlines()
    assert lines[2].split("\t")[7] == "nan"  # an unset yaw stays unset
    cases = {
        r"line 3, latitude \(command 22, frame 3\) is NaN": (2, 8, "nan"),
        r"line 3, param1 .* is inf": (2, 4, "inf"),
        r"line 3: seq is 5, expected 1": (2, 0, "5"),
    }
    for message, (row, col, value) in cases.items():
        bad = [line.split("\t") for line in lines]
        bad[row][col] = value
        (tmp_path / "bad.waypoints").write_text("\n".join("\t".join(c) for c in bad) + "\n")
        with pytest.raises(PlanFileError, match=message):
            read_any(tmp_path / "bad.waypoints")


def test_cli_import_export_and_check(district: District, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["plan", "import", str(PLANS / "concave_survey.plan"), "--district", str(DISTRICT), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "re-planned by gridpatrol" in said and f"--district {DISTRICT}" in said
    assert (out / "concave_survey.plan").exists() and (out / "concave_survey.waypoints").exists()
    checked = runner.invoke(app, ["fly", str(out / "concave_survey.plan"), "--check", "--district", str(DISTRICT)])
    assert checked.exit_code == 0, checked.output
    exported = runner.invoke(app, ["plan", "export", str(out / "concave_survey.plan"), str(out / "mp.waypoints")])
    assert exported.exit_code == 0, exported.output
    assert read_any(out / "mp.waypoints").mission("a") == read_any(out / "concave_survey.plan").mission("b")
    bad_suffix = runner.invoke(app, ["plan", "export", str(out / "concave_survey.plan"), str(out / "x.kml")])
    assert bad_suffix.exit_code == 2 and "use .plan (QGroundControl) or .waypoints" in " ".join(
        bad_suffix.output.split()
    )
    terrain = runner.invoke(app, ["fly", str(PLANS / "jump_and_terrain.plan"), "--check", "--district", str(DISTRICT)])
    assert terrain.exit_code == 2 and "above terrain" in terrain.output


def test_cli_errors_are_printed_as_they_are(tmp_path: Path) -> None:
    odd = tmp_path / "[planner.camera]"
    odd.mkdir()
    text = (PLANS / "foreign_mixed.plan").read_text().replace('"Altitude": 60', '"Altitude": NaN')
    (odd / "x.plan").write_text(text)
    result = CliRunner().invoke(app, ["plan", "import", str(odd / "x.plan"), "--out", str(tmp_path)])
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "[planner.camera]/x.plan: mission item 3, Altitude: NaN is not a number" in said
    missing = CliRunner().invoke(app, ["plan", "export", str(tmp_path / "none.plan"), str(tmp_path / "y.plan")])
    assert missing.exit_code == 2 and "no such file" in missing.output


def test_plan_stays_the_planning_command(tmp_path: Path) -> None:
    runner = CliRunner()
    helped = runner.invoke(app, ["plan", "--help"])
    assert helped.exit_code == 0 and all(c in helped.output for c in ("make", "import", "export"))
    made = runner.invoke(
        app, ["plan", "make", str(DISTRICT), "--grids", "1", "--pattern", "perimeter", "--out", str(tmp_path)]
    )
    assert made.exit_code == 0, made.output
    plans = sorted(tmp_path.glob("*.plan"))
    assert plans and read_qgc_plan(plans[0]).validated
