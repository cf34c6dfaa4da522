"""Server-rendered SVG: the region map (choropleth) and the time-series bars.

No JavaScript and no tiles: the shipped Natural Earth boundaries (complaints/geo) are projected
here into one path per region, each inside a link. Colours come from a sequential single-hue
scale (ColorBrewer "Blues", readable with every common colour-vision deficiency); a hidden count
(public pages: below the floor, or hidden beside one) is hatched, never coloured by its value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from complaints.geo import Projection, region_geometry, svg_path
from complaints.selectors.public_stats import HIDDEN

STEPS = 4  # coloured classes above zero


@dataclass(frozen=True)
class MapRegion:
    code: str
    label: str
    d: str  # SVG path data
    href: str
    display: str  # the count as shown ("x" when hidden)
    css: str  # "map__r--0" (none), "map__r--1".."map__r--4", "map__r--hidden"
    marker: tuple[float, float] | None  # a city's centre: a circle keeps it visible and clickable


@dataclass(frozen=True)
class MapPoint:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class LegendStep:
    css: str
    label: str


@dataclass(frozen=True)
class RegionMap:
    width: int
    height: int
    title: str
    regions: list[MapRegion]
    points: list[MapPoint]
    legend: list[LegendStep]


def _bounds(largest: int) -> list[int]:
    """Upper bounds of the coloured classes: equal steps of the largest shown count."""
    return [max(1, math.ceil(largest * k / STEPS)) for k in range(1, STEPS + 1)]


def _css(count: int | None, bounds: list[int]) -> str:
    if count is None:
        return "map__r--hidden"
    if count == 0:
        return "map__r--0"
    return f"map__r--{next(i for i, b in enumerate(bounds, 1) if count <= b)}"


def _legend(bounds: list[int], with_hidden: bool) -> list[LegendStep]:
    steps = [LegendStep("map__r--0", "0")]
    low = 1
    for i, high in enumerate(bounds, 1):
        if high >= low:
            steps.append(LegendStep(f"map__r--{i}", str(low) if high == low else f"{low}–{high}"))
            low = high + 1
    if with_hidden:
        steps.append(LegendStep("map__r--hidden", _("hidden (%(mark)s)") % {"mark": HIDDEN}))
    return steps


def region_map(
    counts: dict[str, int | None],
    labels: dict[str, str],
    href: Callable[[str], str],
    *,
    title: str,
    points: Iterable[tuple[float, float, str]] = (),
) -> RegionMap:
    """The choropleth of ``counts`` (region code -> count, None when hidden); a region with no entry is 0.

    ``href(code)``: where a region's link goes. ``points``: (lon, lat, label) drawn as dots
    (the staff map's polling stations); never pass them on a public page.
    """
    geometry = region_geometry()
    project = Projection.fit(geometry.shapes)
    bounds = _bounds(max([c for c in counts.values() if c] or [0]))
    regions = []
    for shape in geometry.shapes:
        count = counts.get(shape.code, 0)
        regions.append(
            MapRegion(
                code=shape.code,
                label=labels.get(shape.code) or shape.name,
                d=svg_path(shape, project),
                href=href(shape.code),
                display=HIDDEN if count is None else str(count),
                css=_css(count, bounds),
                marker=project(*shape.label_point) if shape.kind == "city" else None,
            )
        )
    dots = [MapPoint(*project(lon, lat), label) for lon, lat, label in points]
    hidden = any(c is None for c in counts.values())
    return RegionMap(project.width, project.height, title, regions, dots, _legend(bounds, hidden))


@dataclass(frozen=True)
class TimeBar:
    label: str  # the bucket as read ("14:00", "3 Dec")
    display: str  # the count as shown
    x: float
    height: float
    href: str
    hidden: bool


@dataclass(frozen=True)
class TimeChart:
    title: str
    bars: list[TimeBar]
    width: int
    height: int
    bar_width: float
    largest: str
    first_label: str
    last_label: str


def time_chart(
    buckets: list[tuple[str, int | None]], *, title: str, hrefs: list[str] | None = None, height: int = 120
) -> TimeChart:
    """Vertical bars, one per bucket; a hidden bucket (None) is drawn as a short hatched stub."""
    width = 640
    step = min(width / max(len(buckets), 1), width / 24)  # a lone bar is an hour's width, not the chart's
    largest = max([n for _, n in buckets if n] or [0])
    bars = []
    for i, (label, count) in enumerate(buckets):
        h = 4.0 if count is None else (round((height - 4) * count / largest, 1) if largest else 0.0)
        bars.append(
            TimeBar(
                label=label,
                display=HIDDEN if count is None else str(count),
                x=round(i * step, 2),
                height=h,
                href=hrefs[i] if hrefs else "",
                hidden=count is None,
            )
        )
    first, last = (buckets[0][0], buckets[-1][0]) if buckets else ("", "")
    return TimeChart(title, bars, width, height, round(max(step - 1, 1), 2), str(largest), first, last)
