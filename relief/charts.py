"""Small bar charts drawn on the server as SVG: geometry here, markup in templates/macros/charts.html."""
from __future__ import annotations

from dataclasses import dataclass


#: the size the chart's words are drawn at, in the picture's units (static/css/app.css: .chart-label)
FONT = 16


def text_width(text: str, font: float = FONT) -> float:
    """About how wide `text` is drawn: a Chinese character is a square, a digit a bit over half."""
    return sum(font if ord(ch) > 0x2E80 else 0.6 * font for ch in text)


@dataclass
class Bar:
    label: str  # what the bar is, in words (its tooltip, the table beside the chart)
    text: str  # the value in words
    tick: str  # written under the bar: the label, or a shorter form of it
    shown: str  # written above the bar: the value when it fits the bar's slot, else nothing
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


def bar_chart(items: list[dict], width: int = 360, height: int = 220) -> BarChart:
    """Lay out bars for items of {label, value, text?, tick?, marker?, css?, href?}.

    The scale starts at zero and leaves room above the tallest bar or marker for its text.
    The default size reads at about 0.9:1 on a 360-px phone (its words at 14 px or more); the SVG
    scales up on wider screens. A value too wide for its bar's slot is not written on the chart
    (it is in the bar's tooltip and in the table that goes with every chart).
    """
    top, bottom, side = FONT + 6.0, FONT + 10.0, 4.0
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
        text = item.get("text", str(item["value"]))
        tick = item.get("tick", item["label"])
        bars.append(Bar(label=item["label"], text=text, tick=tick, shown=text if text_width(text) <= slot else "",
                        x=round(x, 1),
                        y=round(y, 1), width=round(bar_w, 1), height=round(baseline - y, 1),
                        css=item.get("css", "bar"), marker_y=None if marker is None else round(y_of(marker), 1),
                        href=item.get("href")))
    return BarChart(width=width, height=height, baseline=baseline, label_y=height - 8, bars=bars)
