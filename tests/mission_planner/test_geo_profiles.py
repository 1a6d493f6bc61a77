import math

import pytest
from shapely.geometry import Polygon

from mission_planner.geo import LocalFrame
from mission_planner.profiles import CameraProfile, VehicleProfile


def test_local_frame_round_trip_and_scale() -> None:
    frame = LocalFrame(121.47, 31.23)  # Shanghai
    x, y = frame.to_local(121.48, 31.23)
    # one hundredth of a degree of longitude at 31.23 N is about 952 m
    assert float(x) == pytest.approx(952.4, abs=1.0)
    assert float(y) == pytest.approx(0.0, abs=0.5)
    lon, lat = frame.to_lonlat(x, y)
    assert float(lon) == pytest.approx(121.48, abs=1e-9)
    assert float(lat) == pytest.approx(31.23, abs=1e-9)


def test_geometry_area_in_square_metres() -> None:
    frame = LocalFrame(121.47, 31.23)
    square = Polygon([(0, 0), (100, 0), (100, 100), (0, 100)])
    lonlat = frame.geom_to_lonlat(square)
    back = frame.geom_to_local(lonlat)
    assert back.area == pytest.approx(10_000.0, rel=1e-6)


def test_camera_footprint_gsd_spacing() -> None:
    cam = CameraProfile()
    w, _h = cam.footprint_m(40.0)
    assert w == pytest.approx(40 * 6.17 / 4.5)
    assert cam.line_spacing_m(40.0) == pytest.approx(w * 0.8)
    assert cam.gsd_cm(40.0) == pytest.approx(w * 100 / 1920)
    oblique = CameraProfile(gimbal_pitch_deg=-45)
    assert oblique.footprint_m(40.0)[0] == pytest.approx(w * math.sqrt(2))
    with pytest.raises(ValueError):
        cam.footprint_m(0)


def test_vehicle_usable_time_and_forbid_typos() -> None:
    assert VehicleProfile(endurance_min=20, reserve_pct=20).usable_s == pytest.approx(960)
    with pytest.raises(ValueError, match="cruise_speed"):
        VehicleProfile(cruise_speed=5)  # type: ignore[call-arg]
