"""Mission, fence and rally transfers against the simulator over TCP: a real planner .plan, packet loss, a vehicle
that changes an item, refusals, legacy float items, out-of-order requests, clearing."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from flight import mission_protocol as mp
from flight.errors import FlightError, FlightTimeout, MissionError, MissionVerifyError
from flight.items import (
    PlanItems,
    as_wire_items,
    first_difference,
    from_message,
    is_global,
    load_plan,
    to_message,
    wire_item,
    wire_xy,
)
from flight.vehicle import Vehicle
from mission_planner.district_io import load_district
from mission_planner.mission_items import MissionItem
from mission_planner.planner import PlanRequest, plan_patrol
from mission_planner.qgc_plan import write_qgc_plan
from sim import Simulator
from sim.items import StoredItem

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real sortie from the planner, written as a stamped QGroundControl .plan."""
    plan = plan_patrol(load_district(ROOT / "examples" / "district.geojson"), PlanRequest(grids=["5"], drones=1))
    path = tmp_path_factory.mktemp("plan") / "sortie.plan"
    write_qgc_plan(plan, plan.sorties[0], path)
    return path


def e7(lat_e7: int) -> float:
    """Degrees of a whole number of 1e-7 degrees (what the wire carries)."""
    return lat_e7 / 1e7


def grid_mission(n: int) -> list[MissionItem]:
    """Home, then ``n - 1`` waypoints with odd altitudes and holds (so rounding would show)."""
    items = [MissionItem(0, 0, 16, current=1, x=e7(305440000), y=e7(1142950000))]
    items += [
        MissionItem(
            i, 3, 16, param1=float(i % 3), x=e7(305440000 + 37 * i), y=e7(1142950000 + 53 * i), z=30.0 + i % 7 * 0.25
        )
        for i in range(1, n)
    ]
    return items


def assert_vehicle_holds(stored: list[MissionItem], sent: list[MissionItem], skip_home: bool = True) -> None:
    """Ground truth from the simulator itself (not our comparison): what it stores is what we sent."""
    assert len(stored) == len(sent)
    for have, want in zip(stored, sent, strict=True):
        if skip_home and want.seq == 0:
            continue
        assert have.command == want.command, want.seq
        if is_global(want):
            assert (round(have.x * 1e7), round(have.y * 1e7)) == wire_xy(want), want.seq
        assert abs(have.param1 - want.param1) < 1e-6 and abs(have.param2 - want.param2) < 1e-6, want.seq


def test_planner_plan_uploads_and_verifies(sim: Simulator, vehicle: Vehicle, plan_file: Path) -> None:
    plan = load_plan(plan_file)
    assert isinstance(plan, PlanItems) and plan.validated and len(plan.mission) > 5
    got = mp.upload_verified(vehicle, plan.mission)
    assert_vehicle_holds(sim.vehicle(0).mission, plan.mission)
    assert got[0].frame == 0 and wire_xy(got[0])[0] == round(sim.vehicle(0).home[0] * 1e7)  # item 0 reads back as home
    mp.upload_verified(vehicle, plan.fence, mp.FENCE)
    mp.upload_verified(vehicle, plan.rally, mp.RALLY)
    v = sim.vehicle(0)
    assert [i.command for i in v.fence] == [i.command for i in plan.fence]
    assert len(v.rally) == len(plan.rally) and v.rally[0].z == 40.0
    # Planner items off the 1e-7 grid are put on it (the wire's precision) and verify against what was sent.
    nudged = [replace(i, x=i.x + 3e-9, y=i.y - 4e-9) if is_global(i) else i for i in plan.mission]
    assert any(wire_item(a) != a for a in nudged)
    mp.upload_verified(vehicle, nudged)
    assert_vehicle_holds(sim.vehicle(0).mission, plan.mission)


def test_edited_plan_is_refused(plan_file: Path, tmp_path: Path) -> None:
    doc = json.loads(plan_file.read_text())
    doc["mission"]["items"][-2]["params"][4] += 0.001  # a waypoint moved by hand, ~110 m north
    edited = tmp_path / "edited.plan"
    edited.write_text(json.dumps(doc))
    with pytest.raises(FlightError, match=r"not validated by the gridpatrol planner"):
        load_plan(edited)
    assert not load_plan(edited, require_validated=False).validated
    with pytest.raises(FlightError, match=r"cannot read plan"):
        load_plan(tmp_path / "missing.plan")


def test_mission_and_fence_verify_at_5_percent_loss(sim: Simulator, vehicle: Vehicle, plan_file: Path) -> None:
    sim.vehicle(0).set_packet_loss(5)
    mission = grid_mission(120)
    mp.upload_verified(vehicle, mission)
    assert_vehicle_holds(sim.vehicle(0).mission, mission)
    fence = load_plan(plan_file).fence
    mp.upload_verified(vehicle, fence, mp.FENCE)
    assert [(round(i.x * 1e7), round(i.y * 1e7)) for i in sim.vehicle(0).fence] == [wire_xy(f) for f in fence]


def test_changed_item_on_the_vehicle_is_detected_and_mission_cleared(sim: Simulator, vehicle: Vehicle) -> None:
    server = sim.vehicle(0).missions
    original = server.item

    def corrupt(mission_type: int, seq: int) -> StoredItem:  # the vehicle reports item 3 30 cm higher
        item = original(mission_type, seq)
        if mission_type == 0 and seq == 3:
            return StoredItem(item.command, item.frame, item.param1, item.param2, item.param3, item.param4,
                              item.x, item.y, item.z + 0.3)  # fmt: skip
        return item

    server.item = corrupt  # type: ignore[method-assign]
    with pytest.raises(MissionVerifyError) as info:
        mp.upload_verified(vehicle, grid_mission(10))
    assert info.value.seq == 3 and info.value.field == "z (altitude m)"
    text = str(info.value)
    assert "item 3" in text and "was cleared" in text
    server.item = original  # type: ignore[method-assign]
    assert len(sim.vehicle(0).mission) == 1  # only home: nothing half-right left to fly


def test_one_bad_read_back_is_retried(sim: Simulator, vehicle: Vehicle) -> None:
    server = sim.vehicle(0).missions
    original = server.item
    bad = {"left": 1}

    def corrupt_once(mission_type: int, seq: int) -> StoredItem:
        item = original(mission_type, seq)
        if mission_type == 0 and seq == 5 and bad["left"]:
            bad["left"] -= 1
            return StoredItem(item.command, item.frame, item.param1, item.param2, item.param3, item.param4,
                              item.x + 100, item.y, item.z)  # fmt: skip
        return item

    server.item = corrupt_once  # type: ignore[method-assign]
    mission = grid_mission(10)
    mp.upload_verified(vehicle, mission)
    assert bad["left"] == 0
    assert_vehicle_holds(sim.vehicle(0).mission, mission)


def test_refused_item_is_not_retried_and_says_why(sim: Simulator, vehicle: Vehicle) -> None:
    mp.upload_verified(vehicle, grid_mission(5))
    items = grid_mission(6)
    items[4] = MissionItem(4, 3, 31999, x=30.544, y=114.295, z=10)  # a command ArduPilot does not know
    with pytest.raises(MissionError) as info:
        mp.upload_verified(vehicle, items)
    assert info.value.result == mavlink.MAV_MISSION_UNSUPPORTED
    assert "refused the mission upload at item 4" in str(info.value) and "MAV_MISSION_UNSUPPORTED" in str(info.value)
    assert len(sim.vehicle(0).mission) == 1  # the half-written mission was cleared


def test_fence_refusal_keeps_the_old_fence(sim: Simulator, vehicle: Vehicle, plan_file: Path) -> None:
    fence = load_plan(plan_file).fence
    mp.upload_verified(vehicle, fence, mp.FENCE)
    bad = [MissionItem(i, 0, 5001, param1=2, x=e7(305440000 + i), y=114.295, mission_type=1) for i in range(2)]
    with pytest.raises(MissionError, match=r"previous fence"):
        mp.upload_verified(vehicle, bad, mp.FENCE)
    assert len(sim.vehicle(0).fence) == len(fence)


def test_legacy_float_requests_and_out_of_order_requests(
    sim: Simulator, vehicle: Vehicle, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = sim.vehicle(0).missions
    original = server._request

    def legacy_and_shuffled(up: Any, now: float) -> None:
        up.use_int = False  # an old autopilot: MISSION_REQUEST, float MISSION_ITEM
        if up.next_seq >= 2:  # ... that first asks again for an item it already has
            up.next_seq -= 1
            original(up, now)
            up.next_seq += 1
        original(up, now)

    monkeypatch.setattr(server, "_request", legacy_and_shuffled)
    mission = grid_mission(12)
    assert mp.upload(vehicle, mission).legacy_float
    mp.upload_verified(vehicle, mission)
    stored = sim.vehicle(0).mission
    assert len(stored) == 12 and all(abs(s.x - m.x) < 1e-5 for s, m in zip(stored[1:], mission[1:], strict=True))


def test_download_clear_and_empty_upload(sim: Simulator, vehicle: Vehicle) -> None:
    mp.upload(vehicle, grid_mission(4))
    got = mp.download(vehicle)
    assert [i.seq for i in got] == [0, 1, 2, 3] and wire_xy(got[2])[0] == 305440074 and got[2].x == 30.5440074
    mp.clear(vehicle)
    assert mp.download(vehicle)[0].command == 16 and len(mp.download(vehicle)) == 1  # ArduPilot keeps home
    mp.upload(vehicle, grid_mission(3), mp.MISSION)
    mp.upload(vehicle, [], mp.MISSION)  # empty = clear
    assert len(sim.vehicle(0).mission) == 1
    assert mp.download(vehicle, mp.RALLY) == []


class _WindowVehicle:
    """Just enough of a Vehicle for :class:`mp._Download`: records the requests it is asked to send."""

    autopilot, sysid, target, rtt_s = "ardupilot", 1, (1, 1), 0.01

    def __init__(self) -> None:
        self.link, self.mav = self, self
        self.requested: list[int] = []
        self.source_system = 255

    def mission_request_int_send(self, _ts: int, _tc: int, seq: int, _mission_type: int) -> None:
        self.requested.append(seq)

    def note_rtt(self, sample: float) -> float:
        return sample


def test_download_window_grows_while_answered_and_halves_on_a_timeout() -> None:
    vehicle = _WindowVehicle()
    down = mp._Download(vehicle, mp.MISSION, 300, timeout=1.5)  # type: ignore[arg-type]

    def answer(seq: int) -> None:
        item = MissionItem(seq, 3, 16, x=e7(305440000 + seq), y=114.295, z=30.0)
        down.on_message(to_message(item, (255, 190)))

    down.fill()
    assert vehicle.requested == list(range(mp.DOWNLOAD_WINDOW_START))
    most = 0
    while len(down.got) < 200:  # every request answered: slow start up to the ceiling, never beyond
        answer(min(down.asked))
        most = max(most, len(down.asked))
    assert most == mp.DOWNLOAD_WINDOW["ardupilot"] and down.resends == 0
    in_flight = sorted(down.asked)
    vehicle.requested.clear()
    down.lost(time.monotonic() + 10)  # all timed out (the vehicle's send buffer was full): half sent again
    assert down.window == most / 2 and len(down.asked) == most // 2
    assert vehicle.requested == in_flight[: most // 2] and down.resends == most // 2
    answer(in_flight[-1])  # a late answer to a request taken back is kept, and that item not asked again
    while not down.done.is_set():
        answer(min(down.asked))
    assert sorted(down.got) == list(range(300)) and in_flight[-1] not in vehicle.requested
    assert len(vehicle.requested) == len(set(vehicle.requested))  # nothing asked twice without a timeout


def test_silent_vehicle_times_out_with_the_stage(sim: Simulator, vehicle: Vehicle) -> None:
    sim.vehicle(0).set_packet_loss(100)
    with pytest.raises(FlightTimeout, match=r"mission upload to vehicle 1 \(stuck after MISSION_COUNT of 3\)"):
        mp.upload(vehicle, grid_mission(3), timeout=0.1, retries=2)
    with pytest.raises(FlightTimeout, match=r"mission count of vehicle 1"):
        mp.download(vehicle, timeout=0.1, retries=1)


def test_bad_item_lists_are_named() -> None:
    with pytest.raises(ValueError, match=r"position 1 has seq 5"):
        as_wire_items([MissionItem(0, 0, 16), MissionItem(5, 0, 16)], 0)
    with pytest.raises(ValueError, match=r"mission_type=1"):
        as_wire_items([MissionItem(0, 0, 5001, mission_type=1)], 0)
    with pytest.raises(ValueError, match=r"out of range"):
        wire_item(MissionItem(1, 3, 16, x=91.0, y=0.0))
    with pytest.raises(ValueError, match=r"item 2: x/y nan"):
        wire_item(MissionItem(2, 2, 177, x=float("nan")))


def test_wire_conversion_is_exact_both_ways() -> None:
    """Degrees on the 1e-7 grid survive MISSION_ITEM_INT unchanged; a legacy float MISSION_ITEM lands on the grid."""
    item = wire_item(MissionItem(7, 6, 16, param1=2.5, x=-33.8688197049, y=151.2092955451, z=12.34))
    assert (item.x, item.y) == (-33.8688197, 151.2092955) and wire_xy(item) == (-338688197, 1512092955)
    msg = to_message(item, (1, 1))
    assert (msg.x, msg.y, msg.frame, msg.seq) == (-338688197, 1512092955, 6, 7)
    assert from_message(msg) == item
    legacy = mavlink.MAVLink_mission_item_message(1, 1, 7, 3, 16, 0, 1, 2.5, 0, 0, 0, -33.86881971, 151.2092955, 12.34)
    back = from_message(legacy)
    assert wire_xy(back) == (-338688197, 1512092955) and back.x == -33.8688197
    jump = wire_item(MissionItem(3, 2, 177, param1=2, x=4.4, y=0.0))  # off global frames x/y are whole numbers
    assert jump.x == 4.0 and to_message(jump, (1, 1)).x == 4


def test_comparison_allows_only_what_arducopter_keeps() -> None:
    """What ArduCopter SITL reads back (measured; tests/sim/test_conformance.py keeps measuring it) passes, and
    every real difference in position, altitude, frame, command or a kept parameter is caught."""
    LAT, LON = e7(305440001), e7(1142950001)
    sent = [
        MissionItem(0, 0, 16, x=e7(1), y=e7(1)),
        # a waypoint with a fractional hold, an acceptance radius, pass-by and yaw: ArduCopter keeps 2 s only
        MissionItem(1, 6, 16, param1=2.7, param2=3.5, param3=1.25, param4=45, x=LAT, y=LON, z=12.345),
        MissionItem(2, 3, 21, param4=0.0, x=LAT, y=LON, z=0.0),  # LAND keeps the sign of the yaw
        MissionItem(3, 2, 178, param1=1, param2=7.5, param3=-1),  # DO_CHANGE_SPEED: frame 0 back
    ]
    back = [
        MissionItem(0, 0, 16, x=e7(9), y=e7(9), z=20),
        MissionItem(1, 3, 16, param1=2.0, x=LAT, y=LON, z=12.34),
        MissionItem(2, 3, 21, param4=1.0, x=LAT, y=LON, z=0.0),
        MissionItem(3, 0, 178, param1=1, param2=7.5, param3=-1),
    ]
    assert first_difference(sent, back, skip_home=True) is None
    assert first_difference(sent, back, skip_home=False) is not None
    # PX4 keeps everything: the same read-back is a difference there
    assert first_difference(sent, back, skip_home=True, autopilot="px4")[:2] == (1, "frame")  # type: ignore[index]

    def changed(seq: int, **fields: Any) -> list[MissionItem]:
        return [replace(item, **fields) if item.seq == seq else item for item in back]

    cases = [
        (changed(1, x=e7(305440002)), (1, "x (latitude * 1e7)")),  # one centimetre north
        (changed(1, y=e7(1142950000)), (1, "y (longitude * 1e7)")),
        (changed(1, z=12.33), (1, "z (altitude m)")),  # one centimetre lower
        (changed(1, frame=10), (1, "frame")),  # terrain instead of relative
        (changed(1, command=19), (1, "command")),
        (changed(1, param1=3.0), (1, "param1")),  # hold time is kept: a different one is a difference
        (changed(2, param4=-1.0), (2, "param4")),
        (changed(3, param2=5.0), (3, "param2")),  # a speed is kept
        (back[:3], (3, "count")),
    ]
    for got, where in cases:
        assert first_difference(sent, got, skip_home=True)[:2] == where  # type: ignore[index]
