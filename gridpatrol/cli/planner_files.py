"""``gridpatrol plan import`` and ``gridpatrol plan export``: plans from and for other ground stations.

Errors and file names are printed without Rich markup, so a path or a key in square brackets is shown as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gridpatrol.cli.core import console, fail, state


def import_command(
    file: Annotated[Path, typer.Argument(help="A QGroundControl .plan or Mission Planner .waypoints file.")],
    district_file: Annotated[
        Path | None,
        typer.Option(
            "--district",
            help="District GeoJSON/KML: re-plan surveys over it, use its fence and no-fly zones.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the imported .plan and .waypoints.")] = Path(
        "out"
    ),
) -> None:
    """Import another ground station's plan: check every number, re-plan surveys, write .plan and .waypoints.

    Example: gridpatrol plan import survey.plan --district examples/district.geojson --out out/imported
    """
    from mission_planner.district_io import load_district
    from mission_planner.errors import PlanningError
    from mission_planner.plan_import import import_plan, write_any

    settings = state.settings.planner
    targets = [out / f"{file.stem}.plan", out / f"{file.stem}.waypoints"]
    try:
        if any(t.resolve() == file.resolve() for t in targets):
            raise ValueError(f"{file} would be overwritten by the import; give another --out folder")
        district = load_district(district_file) if district_file is not None else None
        doc, notes = import_plan(file, district, settings.camera, settings.vehicle)
        for target in targets:
            write_any(doc, target)
    except FileNotFoundError as exc:
        fail(f"cannot read {exc.filename or file}: no such file")
        return
    except (PlanningError, ValueError) as exc:
        fail(str(exc))
        return
    for note in notes:
        console.print(note, markup=False, highlight=False)
    count = len(doc.mission(str(file))) - 1
    console.print(f"wrote {targets[0]} and {targets[1]}: {count} mission items", markup=False, highlight=False)
    check = f"gridpatrol fly {targets[0]} --check" + (f" --district {district_file}" if district_file else "")
    console.print(f"check it before flight: {check}", markup=False, highlight=False)


def export_command(
    plan_file: Annotated[Path, typer.Argument(help="A .plan (gridpatrol's or another's) or .waypoints file.")],
    out_file: Annotated[Path, typer.Argument(help="Where to write: .plan (QGroundControl) or .waypoints.")],
) -> None:
    """Export a plan for another ground station: .plan for QGroundControl, .waypoints for Mission Planner.

    Altitude modes, DO_JUMP targets, fences (polygons and circles) and rally points are kept (.waypoints holds the
    mission only). Example: gridpatrol plan export out/drone-1-s1.plan out/drone-1-s1-mp.waypoints
    """
    from mission_planner.plan_import import read_any, write_any

    try:
        if out_file.resolve() == plan_file.resolve():
            raise ValueError(f"{out_file} is the file being exported; give another name")
        doc = read_any(plan_file)
        write_any(doc, out_file)
    except FileNotFoundError as exc:
        fail(f"cannot read {exc.filename or plan_file}: no such file")
        return
    except ValueError as exc:
        fail(str(exc))
        return
    count = len(doc.mission(str(plan_file))) - 1
    console.print(f"wrote {out_file}: {count} mission items", markup=False, highlight=False)
