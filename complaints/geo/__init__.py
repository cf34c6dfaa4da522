"""The territory's region boundaries (shipped, simplified Natural Earth admin-1) and their projection.

Standard library only, no model: the geometry is a file beside this module (PROVENANCE.md says
where it came from and how to replace it), read once per process. ``Projection`` turns lon/lat
into SVG user units (an equirectangular projection with its parallels shortened by the cosine
of the middle latitude, which keeps the country's shape at this size); ``svg_path`` writes one
region as one path.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

GEOMETRY_FILE = Path(__file__).resolve().parent / "kz_regions.geojson"

Ring = tuple[tuple[float, float], ...]
Polygon = tuple[Ring, ...]  # the outer ring, then its holes


@dataclass(frozen=True)
class RegionShape:
    code: str  # the registry's region code (TerritorialUnit.code of level "region")
    kind: str  # "region", or "city" for a city of republican significance (drawn with a marker too)
    name: str  # the source's name (Natural Earth's), for a region the registry does not hold
    polygons: tuple[Polygon, ...]
    label_point: tuple[float, float]  # lon, lat
    geometry: dict[str, Any]  # the GeoJSON geometry, as shipped


@dataclass(frozen=True)
class Geometry:
    shapes: tuple[RegionShape, ...]
    source: str
    licence: str
    simplification: str

    def by_code(self) -> dict[str, RegionShape]:
        return {s.code: s for s in self.shapes}


@cache
def region_geometry() -> Geometry:
    data = json.loads(GEOMETRY_FILE.read_text(encoding="utf-8"))
    shapes = tuple(
        RegionShape(
            code=f["properties"]["code"],
            kind=f["properties"]["kind"],
            name=f["properties"]["ne_name"],
            polygons=tuple(
                tuple(tuple((float(x), float(y)) for x, y in ring) for ring in poly)
                for poly in f["geometry"]["coordinates"]
            ),
            label_point=(float(f["properties"]["label_lon"]), float(f["properties"]["label_lat"])),
            geometry=f["geometry"],
        )
        for f in data["features"]
    )
    return Geometry(shapes, data["source"], data["licence"], data["simplification"])


@dataclass(frozen=True)
class Projection:
    """lon/lat -> x/y in SVG user units, fitted to ``width`` with ``margin`` around the bounds."""

    west: float
    north: float
    scale: float  # user units per degree of latitude
    shrink: float  # cos(middle latitude): a degree of longitude is this much shorter
    width: int
    height: int
    margin: int

    @classmethod
    def fit(cls, shapes: tuple[RegionShape, ...], width: int = 640, margin: int = 8) -> Projection:
        xs = [x for s in shapes for poly in s.polygons for x, _ in poly[0]]
        ys = [y for s in shapes for poly in s.polygons for _, y in poly[0]]
        west, east, south, north = min(xs), max(xs), min(ys), max(ys)
        shrink = math.cos(math.radians((north + south) / 2))
        scale = (width - 2 * margin) / ((east - west) * shrink)
        height = round((north - south) * scale) + 2 * margin
        return cls(west, north, scale, shrink, width, height, margin)

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        x = self.margin + (lon - self.west) * self.shrink * self.scale
        y = self.margin + (self.north - lat) * self.scale
        return round(x, 1), round(y, 1)


def svg_path(shape: RegionShape, project: Projection) -> str:
    """The SVG path data of a region: one subpath per ring (holes drawn with fill-rule evenodd)."""
    parts = []
    for poly in shape.polygons:
        for ring in poly:
            points = [project(x, y) for x, y in ring[:-1]]
            parts.append("M" + "L".join(f"{x:g},{y:g}" for x, y in points) + "Z")
    return "".join(parts)
