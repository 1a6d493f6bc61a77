"""Draw a district and its plan as a map operators can read: grids, fence, no-fly zones, each drone's route.

Drawn in the district's local metres (true shape and scale, north up) with a scale bar, as PNG or SVG, or as a
self-contained HTML page embedding the SVG (no network needed to open it).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import shapely
from matplotlib.axes import Axes
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath
from shapely.geometry.base import BaseGeometry

from mission_planner.district import District
from mission_planner.geo_export import drone_colour
from mission_planner.plan import Plan

plt.rcParams["font.sans-serif"] = ["Noto Sans CJK SC", "WenQuanYi Micro Hei", "DejaVu Sans"]


def _patch(geom: BaseGeometry, **style: object) -> list[PathPatch]:
    patches = []
    for poly in shapely.get_parts(geom):
        if poly.geom_type != "Polygon":
            continue
        verts, codes = [], []
        for ring in (poly.exterior, *poly.interiors):
            pts = list(ring.coords)
            verts += pts
            codes += [MplPath.MOVETO] + [MplPath.LINETO] * (len(pts) - 2) + [MplPath.CLOSEPOLY]
        patches.append(PathPatch(MplPath(verts, codes), **style))
    return patches


def _lines(ax: Axes, geoms: Iterable[BaseGeometry], **style: object) -> None:
    for g in geoms:
        for part in shapely.get_parts(g):
            xs, ys = part.xy
            ax.plot(xs, ys, **style)  # type: ignore[arg-type]


def render_preview(district: District, plan: Plan | None, path: Path, highlight: set[str] | None = None) -> None:
    """Draw the district (and the plan's routes, when given) to ``path`` (.png, .svg or .html)."""
    path = Path(path)
    fig, ax = plt.subplots(figsize=(11, 9), dpi=110)
    for f in district.fences:
        for p in _patch(f.local, fill=False, edgecolor="#c00000", linewidth=2.0, linestyle="-"):
            ax.add_patch(p)
    for g in district.grids:
        chosen = highlight is None or g.id in highlight
        face = "#d9ead3" if chosen else "#f2f2f2"
        for p in _patch(g.local, facecolor=face, edgecolor="#6a8f5a", linewidth=1.0):
            ax.add_patch(p)
        c = g.local.representative_point()
        ax.annotate(g.id, (c.x, c.y), fontsize=11, weight="bold", color="#274e13", ha="center", va="center")
    _lines(ax, [s.local for s in district.streets], color="#9e9e9e", linewidth=1.2, zorder=2)
    for z in district.nofly:
        for p in _patch(z.local, facecolor="#f4cccc", edgecolor="#cc0000", hatch="///", linewidth=1.2, zorder=3):
            ax.add_patch(p)
        if z.margin_m > 0:
            _lines(ax, [z.keep_out.boundary], color="#cc0000", linewidth=0.8, linestyle="--", zorder=3)
        c = z.local.centroid
        ax.annotate(z.name, (c.x, c.y), fontsize=7, color="#990000", ha="center", zorder=6)
    for h in district.hotspots:
        ax.plot(h.local.x, h.local.y, marker="*", color="#e69138", markersize=13, zorder=7)
    for s in district.launches:
        ax.plot(s.local.x, s.local.y, marker="^", color="#073763", markersize=12, zorder=7)
        ax.annotate(f"  {s.id}", (s.local.x, s.local.y), fontsize=9, color="#073763", zorder=7)
    if plan is not None:
        for d, drone in enumerate(plan.drones):
            colour = drone_colour(d)
            minutes = drone.finish_s / 60
            km = sum(s.length_m for s in drone.sorties) / 1000
            for k, sortie in enumerate(drone.sorties):
                xs, ys = district.frame.to_local([w.lon for w in sortie.waypoints], [w.lat for w in sortie.waypoints])
                label = (
                    f"{drone.drone_id}: {len(drone.sorties)} sorties, {km:.1f} km, {minutes:.0f} min"
                    if k == 0
                    else None
                )
                ax.plot(xs, ys, color=colour, linewidth=1.3, alpha=0.9, zorder=5, label=label)
        ax.legend(loc="upper left", fontsize=9, framealpha=0.9)
    _scale_bar(ax)
    ax.set_aspect("equal")
    ax.autoscale_view()
    ax.set_xticks([])
    ax.set_yticks([])
    title = f"{district.name}" + (
        f"  -  patrol at {plan.alt_m:g} m, done after {plan.makespan_s / 60:.0f} min" if plan else ""
    )
    ax.set_title(title + "   (north up)")
    fig.tight_layout()
    if path.suffix.lower() == ".html":
        buf = io.StringIO()
        fig.savefig(buf, format="svg")
        path.write_text(
            f"<!doctype html><meta charset='utf-8'><title>{title}</title>\n{buf.getvalue()}", encoding="utf-8"
        )
    else:
        fig.savefig(path)
    plt.close(fig)


def _scale_bar(ax: Axes) -> None:
    ax.autoscale_view()
    (x0, x1), (y0, _) = ax.get_xlim(), ax.get_ylim()
    span = (x1 - x0) / 5
    length = next(v for v in (10_000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10) if v <= span) if span >= 10 else 10
    bx, by = x0 + (x1 - x0) * 0.04, y0 + (x1 - x0) * 0.03
    ax.plot([bx, bx + length], [by, by], color="black", linewidth=3, zorder=8)
    ax.annotate(
        f"{length:g} m",
        (bx + length / 2, by),
        textcoords="offset points",
        xytext=(0, 5),
        ha="center",
        fontsize=9,
        zorder=8,
    )
