"""Small bar charts drawn on the server as SVG: geometry here, markup in templates/macros/charts.html."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Bar:
    label: str  # under the bar
    text: str  # the value, written above the bar
    x: float
    y: float
    width: float
    height: float
    css: str
    #: y of a horizontal line across the bar (a target), if any
    marker_y: float | None = None
    href: str | None = None

    @property
    def middle(self) -> float:
        return self.x + self.width / 2


@dataclass
class BarChart:
    width: int
    height: int
    baseline: float
    label_y: float
    bars: list[Bar]


def bar_chart(items: list[dict], width: int = 360, height: int = 200) -> BarChart:
    """Lay out bars for items of {label, value, text?, marker?, css?, href?}.

    The scale starts at zero and leaves room above the tallest bar or marker for its text.
    The default size reads at 1:1 on a 360-px phone; the SVG scales up on wider screens.
    """
    top, bottom, side = 18.0, 22.0, 4.0
    plot = height - top - bottom
    peak = max([i["value"] for i in items] + [i.get("marker") or 0 for i in items] + [1])
    slot = (width - 2 * side) / max(len(items), 1)
    bar_w = slot * 0.7
    baseline = top + plot

    def y_of(value: float) -> float:
        return baseline - plot * value / peak

    bars = []
    for n, item in enumerate(items):
        x = side + n * slot + (slot - bar_w) / 2
        y = y_of(item["value"])
        marker = item.get("marker")
        bars.append(Bar(label=item["label"], text=item.get("text", str(item["value"])), x=round(x, 1),
                        y=round(y, 1), width=round(bar_w, 1), height=round(baseline - y, 1),
                        css=item.get("css", "bar"), marker_y=None if marker is None else round(y_of(marker), 1),
                        href=item.get("href")))
    return BarChart(width=width, height=height, baseline=baseline, label_y=height - 6, bars=bars)
