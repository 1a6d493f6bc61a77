"""District loading: the example loads from GeoJSON and KML alike; every bad input gets a clear error."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from mission_planner.district_io import district_from_geojson, load_district
from mission_planner.errors import DistrictError
from mission_planner.kml import geojson_to_kml
from mission_planner.synthetic import synthetic_district

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_example_district_matches_the_brief() -> None:
    d = load_district(EXAMPLES / "district.geojson")
    assert 8 <= len(d.grids) <= 15
    assert len(d.launches) == 2 and len(d.hotspots) >= 3
    assert any(z.radius_m for z in d.nofly) and any(z.radius_m is None for z in d.nofly)
    assert any(g.local.interiors for g in d.grids if g.local.geom_type == "Polygon")  # a courtyard
    assert any(g.local.convex_hull.area > 1.05 * g.local.area for g in d.grids)  # a concave grid
    assert d.max_alt_m == 120
    for h in d.hotspots:
        assert d.grid(h.grid_id or "").local.covers(h.local)


def test_kml_loads_the_same_district() -> None:
    a = load_district(EXAMPLES / "district.geojson")
    b = load_district(EXAMPLES / "district.kml")
    assert a.name == b.name
    assert [g.id for g in a.grids] == [g.id for g in b.grids]
    assert all(x.geometry.equals_exact(y.geometry, 0) for x, y in zip(a.grids, b.grids, strict=True))
    assert [(z.name, z.radius_m, z.margin_m) for z in a.nofly] == [(z.name, z.radius_m, z.margin_m) for z in b.nofly]


def test_example_files_are_what_the_script_draws(tmp_path: Path) -> None:
    data = json.loads((EXAMPLES / "district.geojson").read_text(encoding="utf-8"))
    assert (EXAMPLES / "district.kml").read_text(encoding="utf-8") == geojson_to_kml(data)


def base() -> dict[str, Any]:
    return json.loads(json.dumps(synthetic_district(3, seed=1, nofly_zones=0)))  # lists, as a file gives


def feature(data: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(f for f in data["features"] if f["properties"]["kind"] == kind)


def errors_for(mutate: Any) -> str:
    data = copy.deepcopy(base())
    mutate(data)
    with pytest.raises(DistrictError) as info:
        district_from_geojson(data, "t")
    return str(info.value)


def test_malformed_json_names_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "d.geojson"
    bad.write_text('{"type": "FeatureCollection",\n "features": [,]}')
    with pytest.raises(DistrictError, match=r"not valid JSON: .* line 2, column"):
        load_district(bad)


def test_not_a_feature_collection() -> None:
    with pytest.raises(DistrictError, match="must be a GeoJSON FeatureCollection, got 'Feature'"):
        district_from_geojson({"type": "Feature"}, "t")


def test_unknown_and_missing_kind() -> None:
    msg = errors_for(lambda d: feature(d, "grid")["properties"].update(kind="park"))
    assert "unknown kind 'park'" in msg and "grid, fence, nofly" in msg
    msg = errors_for(lambda d: feature(d, "launch")["properties"].pop("kind"))
    assert "feature" in msg and "has no 'kind' property" in msg


def test_self_intersecting_polygon_is_explained() -> None:
    def bowtie(d: dict[str, Any]) -> None:
        ring = feature(d, "grid")["geometry"]["coordinates"][0]
        ring[1], ring[2] = ring[2], ring[1]  # swap two corners: the edges cross

    msg = errors_for(bowtie)
    assert "feature 0 (1)" in msg and "Self-intersection" in msg and "redraw that ring" in msg


def test_swapped_coordinates_get_a_hint() -> None:
    def swap(d: dict[str, Any]) -> None:
        g = feature(d, "launch")["geometry"]
        g["coordinates"] = [g["coordinates"][1], 114.3 + 100]

    assert "look swapped" in errors_for(swap) or "outside longitude/latitude" in errors_for(swap)


def test_wrong_geometry_and_missing_properties() -> None:
    def point_grid(d: dict[str, Any]) -> None:
        feature(d, "grid")["geometry"] = {"type": "Point", "coordinates": [114.3, 30.5]}

    assert "a grid must be a Polygon or MultiPolygon, got a Point" in errors_for(point_grid)
    assert "'max_alt_m' is required" in errors_for(lambda d: feature(d, "fence")["properties"].pop("max_alt_m"))
    assert "'max_alt_m' must be a number" in errors_for(
        lambda d: feature(d, "fence")["properties"].update(max_alt_m="high")
    )
    assert "property 'id' is required" in errors_for(lambda d: feature(d, "grid")["properties"].pop("id"))


def test_missing_fence_grid_launch_and_duplicates() -> None:
    def drop(kind: str) -> Any:
        return lambda d: d.update(features=[f for f in d["features"] if f["properties"]["kind"] != kind])

    assert "no fence" in errors_for(drop("fence"))
    assert "no grid" in errors_for(drop("grid"))
    assert "no launch site" in errors_for(drop("launch"))

    def dupe(d: dict[str, Any]) -> None:
        grids = [f for f in d["features"] if f["properties"]["kind"] == "grid"]
        grids[1]["properties"]["id"] = grids[0]["properties"]["id"]

    assert "used by more than one grid" in errors_for(dupe)


def test_grid_outside_every_fence_and_unknown_pattern() -> None:
    def move(d: dict[str, Any]) -> None:
        g = feature(d, "grid")["geometry"]
        g["coordinates"] = [[[x + 1.0, y] for x, y in ring] for ring in g["coordinates"]]

    assert "does not overlap any fence" in errors_for(move)
    assert "unknown pattern(s) ['spiral']" in errors_for(
        lambda d: feature(d, "grid")["properties"].update(patterns=["spiral"])
    )


def test_unknown_file_type(tmp_path: Path) -> None:
    other = tmp_path / "d.shp"
    other.write_text("x")
    with pytest.raises(DistrictError, match="unknown file type"):
        load_district(other)
