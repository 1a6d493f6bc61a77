"""Named places for addressed warnings: the nearest hotspot or street of the district, and its name per language."""

from __future__ import annotations

from pathlib import Path

import pytest

from incidents.places import place_name
from mission_planner.district_io import load_district
from vision.places import MAX_PLACE_M, NamedPlaces

DISTRICT = Path(__file__).resolve().parents[2] / "examples" / "district.geojson"


@pytest.fixture(scope="module")
def places() -> NamedPlaces:
    return NamedPlaces(load_district(DISTRICT))


def test_a_point_on_a_street_is_that_street(places: NamedPlaces) -> None:
    district = load_district(DISTRICT)
    street = next(s for s in district.streets if s.id == "s5")
    mid = street.local.interpolate(0.5, normalized=True)
    hotspots = [h.local for h in district.hotspots]
    assert min(mid.distance(h) for h in hotspots) > MAX_PLACE_M, "the test point must be away from every hotspot"
    assert places.nearest(mid.x, mid.y) == "大智路 Dazhi Road"


def test_a_hotspot_wins_over_a_street_just_as_near(places: NamedPlaces) -> None:
    district = load_district(DISTRICT)
    for hotspot in district.hotspots:
        assert places.nearest(hotspot.local.x + 2.0, hotspot.local.y) == hotspot.name


def test_nothing_is_said_far_from_every_place_or_for_bad_numbers(places: NamedPlaces) -> None:
    assert places.nearest(50_000.0, 50_000.0) is None
    assert places.nearest(float("nan"), 0.0) is None
    assert places.nearest(float("inf"), 0.0) is None


@pytest.mark.parametrize(
    ("name", "zh", "en"),
    [
        ("民生里一巷 Minsheng Lane 1", "民生里一巷", "Minsheng Lane 1"),
        ("西站 West base (Jianghan park gate)", "西站", "West base (Jianghan park gate)"),
        ("民生路广场", "民生路广场", "民生路广场"),
        ("Riverside  walk", "Riverside walk", "Riverside walk"),
        ("12号门 Gate 12", "12号门", "Gate 12"),
        ("", None, None),
        ("x" * 65, None, None),
        (None, None, None),
    ],
)
def test_place_names_per_language(name: object, zh: str | None, en: str | None) -> None:
    assert (place_name(name, "zh"), place_name(name, "en")) == (zh, en)
