"""Draw the example district: an old city quarter of Hankou (Wuhan) cut into 12 patrol grids.

The quarter is drawn in local metres (x east, y north) and written as GeoJSON and KML beside this script:

    .venv/bin/python examples/make_district.py

It is deterministic: running it again rewrites identical files. The layout is invented for testing and demos
(streets, grids and sites are plausible, not surveyed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shapely.geometry import LineString, Point, Polygon, mapping
from shapely.geometry.base import BaseGeometry

from mission_planner.geo import LocalFrame
from mission_planner.kml import geojson_to_kml

HERE = Path(__file__).resolve().parent
FRAME = LocalFrame(114.2905, 30.5850)  # the old quarter between Zhongshan Avenue and the river

# Corner lattice of the quarter (x: 5 columns of corners, y: 4 rows), nudged by hand so blocks are not square.
X = [[0, 310, 590, 905, 1200], [0, 300, 610, 890, 1200], [0, 320, 600, 910, 1200], [0, 300, 620, 900, 1200]]
Y = [0, 290, 610, 900]


def corner(i: int, j: int) -> tuple[float, float]:
    return (float(X[j][i]), float(Y[j] + (12 if i in (1, 3) and 0 < j < 3 else 0)))


def block(i: int, j: int) -> list[tuple[float, float]]:
    return [corner(i, j), corner(i + 1, j), corner(i + 1, j + 1), corner(i, j + 1)]


GRID_NAMES = [
    ("江汉里", "Jianghan Lane"),
    ("黎黄陂路", "Lihuangpi Road"),
    ("车站路", "Chezhan Road"),
    ("洞庭街", "Dongting St"),
    ("三民路", "Sanmin Road"),
    ("花楼街", "Hualou Street"),
    ("前进四路", "Qianjin 4th Rd"),
    ("民生路", "Minsheng Rd"),
    ("大智路", "Dazhi Road"),
    ("友谊南路", "Youyi South Rd"),
    ("兰陵路", "Lanling Road"),
    ("鄱阳街", "Poyang Street"),
]


def grids() -> list[tuple[str, Polygon, dict[str, Any]]]:
    out: list[tuple[str, Polygon, dict[str, Any]]] = []
    for k in range(12):
        i, j = k % 4, k // 4
        poly = Polygon(block(i, j))
        out.append((str(k + 1), poly, {"priority": 1 + (k % 3), "patterns": ["coverage"]}))
    # Grid 6 (Hualou Street) takes the south-west corner of grid 7's block: 6 becomes an L, 7 a notched block.
    g6, g7 = out[5][1], out[6][1]
    x0, y0 = corner(2, 1)
    annex = Polygon([(x0, y0), (x0 + 150, y0), (x0 + 150, y0 + 140), (x0, y0 + 140)]).intersection(g7)
    out[5] = ("6", g6.union(annex).simplify(0.01), out[5][2])
    out[6] = ("7", g7.difference(annex).simplify(0.01), out[6][2])
    # Grid 10 (Youyi South Rd) has a walled courtyard (a private compound, not patrolled) in its middle.
    g10 = out[9][1]
    c = g10.centroid
    yard = [(c.x - 70, c.y - 45), (c.x + 60, c.y - 50), (c.x + 65, c.y + 40), (c.x - 65, c.y + 45)]
    out[9] = ("10", Polygon(g10.exterior.coords, [yard]), out[9][2])
    # Mixed patterns: markets and squares get a hover, one grid patrols its streets, one flies its boundary too.
    out[4][2]["patterns"] = ["coverage", "hotspots"]
    out[7][2]["patterns"] = ["streets", "hotspots"]
    out[10][2]["patterns"] = ["coverage", "hotspots"]
    out[2][2]["patterns"] = ["perimeter", "coverage"]
    return out


def streets() -> list[tuple[str, str, LineString]]:
    main = [
        ("s1", "中山大道 Zhongshan Avenue", LineString([corner(i, 1) for i in range(5)])),
        ("s2", "胜利街 Shengli Street", LineString([corner(i, 2) for i in range(5)])),
        ("s3", "黎黄陂路 Lihuangpi Road", LineString([corner(1, j) for j in range(4)])),
        ("s4", "车站路 Chezhan Road", LineString([corner(2, j) for j in range(4)])),
        ("s5", "大智路 Dazhi Road", LineString([corner(3, j) for j in range(4)])),
    ]
    # narrow alleys (里弄) inside the Minsheng Road grid (8)
    x0, y0 = corner(3, 1)
    x1, y1 = corner(4, 2)
    alleys = [
        ("a1", "民生里一巷 Minsheng Lane 1", LineString([(x0, y0 + 100), (x0 + 140, y0 + 110), (x1, y0 + 105)])),
        ("a2", "民生里二巷 Minsheng Lane 2", LineString([(x0, y0 + 220), (x0 + 160, y0 + 215), (x1, y0 + 225)])),
        ("a3", "福寿里 Fushou Lane", LineString([(x0 + 140, y0 + 110), (x0 + 160, y0 + 215), (x0 + 150, y1)])),
    ]
    return main + alleys


def features() -> list[dict[str, Any]]:
    feats: list[dict[str, Any]] = []

    def add(kind: str, geom: BaseGeometry, **props: Any) -> None:
        feats.append(
            {"type": "Feature", "properties": {"kind": kind, **props}, "geometry": mapping(FRAME.geom_to_lonlat(geom))}
        )

    add(
        "fence",
        Polygon([(-120, -110), (1320, -110), (1320, 1010), (-120, 1010)]),
        name="江汉区巡逻电子围栏 fence",
        max_alt_m=120,
    )
    for (gid, poly, props), (zh, en) in zip(grids(), GRID_NAMES, strict=True):
        add("grid", poly, id=gid, name=f"{zh} {en}", **props)
    school = Polygon([(500, 190), (660, 200), (655, 330), (495, 320)])
    add("nofly", school, id="school", name="江汉路小学 Jianghan Road Primary School", margin_m=30)
    add("nofly", Point(1060, 760), id="helipad", name="协和医院停机坪 Union Hospital helipad", radius_m=60, margin_m=25)
    for sid, name, line in streets():
        add("street", line, id=sid, name=name)
    add("hotspot", Point(160, 470), id="market", name="花楼街菜市场 Hualou market", dwell_s=60, grid_id="5")
    add("hotspot", Point(1010, 500), id="square", name="民生路广场 Minsheng square", dwell_s=45, grid_id="8")
    add("hotspot", Point(1005, 580), id="alley-gate", name="民生里口 Minsheng Lane gate", dwell_s=30, grid_id="8")
    add("hotspot", Point(760, 820), id="clinic", name="社区卫生站排队 clinic queue", dwell_s=90, grid_id="11")
    add("launch", Point(-60, 300), id="A", name="西站 West base (Jianghan park gate)")
    add("launch", Point(1260, 430), id="B", name="东站 East base (riverside)")
    return feats


def main() -> None:
    data = {"type": "FeatureCollection", "name": "江汉老街区 Jianghan old quarter", "features": features()}
    (HERE / "district.geojson").write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (HERE / "district.kml").write_text(geojson_to_kml(data), encoding="utf-8")
    print(f"wrote {HERE / 'district.geojson'} and {HERE / 'district.kml'}")


if __name__ == "__main__":
    main()
