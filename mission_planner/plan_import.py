"""Plans from other ground stations: read ``.plan`` (QGroundControl) or ``.waypoints`` (Mission Planner), re-plan
their surveys over a district, and write either format back.

``gridpatrol plan import`` and ``gridpatrol plan export`` are thin layers over :func:`import_plan`,
:func:`read_any` and :func:`write_any`. Importing with a district replaces the file's inclusion fence by the
district's fence and adds the district's no-fly zones to the file's own exclusion zones (:func:`district_fence`):
the district is what every leg is checked against before flight, and what the vehicle then enforces.
Nothing here stamps a plan: a foreign plan is checked by ``gridpatrol fly`` (``--district``) before it flies.

Example:
    >>> from mission_planner.profiles import CameraProfile, VehicleProfile
    >>> doc, notes = import_plan(Path("survey.plan"), district, CameraProfile(), VehicleProfile())  # doctest: +SKIP
    >>> write_any(doc, Path("out/survey.waypoints"))  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from mission_planner.district import District
from mission_planner.plan import GeoFenceZone
from mission_planner.plan_doc import PlanDocument, PlanFileError
from mission_planner.planner import fence_zones
from mission_planner.profiles import CameraProfile, VehicleProfile
from mission_planner.qgc_json import read_plan_document, write_plan_document
from mission_planner.survey_replan import replan_surveys
from mission_planner.waypoints_file import read_waypoints_document, write_waypoints

SUFFIXES = (".plan", ".waypoints", ".txt")


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise PlanFileError(
            f"{path}: unknown file type {suffix or '(none)'!r}; use .plan (QGroundControl) or .waypoints "
            "(Mission Planner)"
        )
    return "plan" if suffix == ".plan" else "waypoints"


def read_any(path: Path) -> PlanDocument:
    """A ``.plan`` or ``.waypoints`` (``.txt``) file as a document, every number checked.

    Raises:
        PlanFileError: unknown type or unreadable file, naming the item and field; FileNotFoundError.
    """
    path = Path(path)
    return read_plan_document(path) if _kind(path) == "plan" else read_waypoints_document(path)


def write_any(doc: PlanDocument, path: Path) -> None:
    """Write a document as ``.plan`` or ``.waypoints`` by the file's suffix (its folder is created).

    A ``.waypoints`` file holds the mission only (no fence, no rally points, no altitude modes beyond the frame).

    Raises:
        PlanFileError: unknown suffix, or survey items not yet re-planned.
    """
    path = Path(path)
    kind = _kind(path)
    doc.simple_items(str(path))  # refuse surveys before creating anything
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "plan":
        write_plan_document(doc, path)
    else:
        write_waypoints(doc.mission(str(path)), path)


def district_fence(zones: list[GeoFenceZone], district: District) -> list[GeoFenceZone]:
    """The district's fence and no-fly zones, plus the file's own exclusion zones (extra places to keep out of).

    The file's inclusion zones are left out: gridpatrol's check and the vehicle must agree on one allowed area,
    and the district's is the one the operator answers for.
    """
    ours = fence_zones(district)
    extra = [z for z in zones if not z.inclusion and z not in ours]
    merged = ours + extra
    return [z for z in merged if z.polygon is not None] + [z for z in merged if z.polygon is None]


def import_plan(
    path: Path, district: District | None, camera: CameraProfile, vehicle: VehicleProfile
) -> tuple[PlanDocument, list[str]]:
    """Read another ground station's plan; with a district, re-plan its surveys and take the district's fence.

    Returns the document (without any planner stamp) and notes for the operator.

    Raises:
        PlanFileError: the file cannot be read or used (a survey without a district, a survey outside the allowed
            area, a NaN), naming the item and field.
    """
    doc = read_any(path)
    notes: list[str] = []
    if doc.stamp is not None:
        notes.append("the file's gridpatrol stamp is dropped: an imported plan is checked again before it flies")
    doc = replace(doc, stamp=None)
    if district is None:
        doc.simple_items(str(path))
        return doc, notes
    doc, replanned = replan_surveys(doc, district, camera, vehicle)
    dropped = sum(z.inclusion for z in doc.fence)
    fence = district_fence(doc.fence, district)
    notes += replanned
    notes.append(
        f"fence: the district's ({len(fence)} zones)"
        + (f"; the file's {dropped} inclusion zone(s) replaced by it" if dropped else "")
    )
    return replace(doc, fence=fence), notes
