"""Perimeter pattern: fly a grid's boundary so the camera watches its edge streets.

The loop is the boundary pulled in by a quarter of the swath (so the camera's view is centred a little inside the
grid), or the boundary itself where the grid is too thin for that.
"""

from __future__ import annotations

from shapely.geometry import Polygon

from mission_planner.route import XY, PatternRoute


def plan_perimeter(grid_id: str, area: Polygon, swath_m: float) -> PatternRoute:
    """A closed loop around one polygon of a grid, starting at its south-west-most vertex.

    Example:
        >>> from shapely.geometry import box
        >>> round(plan_perimeter("1", box(0, 0, 200, 100), 40).length_m)
        520
    """
    if area.geom_type != "Polygon":
        raise ValueError(f"grid {grid_id}: plan_perimeter takes one polygon; split a MultiPolygon into its parts")
    inset = area.buffer(-swath_m / 4.0, join_style="mitre")
    ring = area.exterior
    if inset.geom_type == "Polygon" and not inset.is_empty and inset.area > 0.2 * area.area:
        ring = inset.exterior
    pts: list[XY] = [(float(x), float(y)) for x, y in ring.coords]
    start = min(range(len(pts) - 1), key=lambda i: (pts[i][1] + pts[i][0], pts[i]))
    loop = pts[start:-1] + pts[:start] + [pts[start]]
    return PatternRoute(grid_id, "perimeter", tuple(loop), swath_m=swath_m)
