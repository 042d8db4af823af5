"""Charts drawn on the server as SVG: no script, no CDN (CSP script-src 'self'), readable when printed.

Colours come from presentation attributes and classes in static/css/official.css (inline style
attributes would be blocked by the CSP). A hidden cell is drawn as a gap with "<10", never as 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

HIDDEN = "<10"
GREEN = "#1f7a4d"
GREY = "#8a9a90"
AMBER = "#c77c02"


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'class="chart" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 - every text part is escaped above


def _text(x: float, y: float, text: str, *, anchor: str = "start", cls: str = "chart-label") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="{cls}">{escape(text)}</text>'


def number(value: float) -> str:
    """Short numbers for axes and bars: 1 234, 12.3k, 4.5M."""
    size = abs(value)
    if size >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if size >= 10_000:
        return f"{value / 1000:.1f}k"
    if value == int(value):
        return f"{int(value):,}".replace(",", " ")
    return f"{value:.2f}"


def bars(items: Sequence[tuple[str, float | None]], title: str, *, width: int = 640) -> Markup:
    """Horizontal bars, one per item, largest scale at the longest shown value."""
    row, left, right = 26, 150, 70
    height = max(1, len(items)) * row + 10
    top = max([v for _, v in items if v is not None] + [0]) or 1
    body = []
    for i, (label, value) in enumerate(items):
        y = 5 + i * row
        body.append(_text(left - 8, y + 16, label, anchor="end"))
        if value is None:
            body.append(_text(left + 4, y + 16, HIDDEN, cls="chart-hidden"))
            continue
        length = (width - left - right) * value / top
        body.append(
            f'<rect x="{left}" y="{y + 4}" width="{max(length, 1):.1f}" height="{row - 8}" '
            f'fill="{GREEN}" class="chart-bar"/>'
        )
        body.append(_text(left + length + 6, y + 16, number(value)))
    return _svg(width, height, title, body)


def line(points: Sequence[tuple[str, float | None]], title: str, *, width: int = 640, height: int = 220) -> Markup:
    """A time series: a line through the shown periods, broken where a period is hidden."""
    left, bottom, top_pad = 56, 28, 12
    shown = [v for _, v in points if v is not None]
    top = max([*shown, 0]) or 1
    plot_w, plot_h = width - left - 12, height - bottom - top_pad
    step = plot_w / max(1, len(points) - 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + i * step, top_pad + plot_h * (1 - v / top)

    body = [
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width - 12}" y2="{top_pad + plot_h}" '
        f'stroke="{GREY}" class="chart-axis"/>',
        _text(left - 6, top_pad + 8, number(top), anchor="end"),
        _text(left - 6, top_pad + plot_h, "0", anchor="end"),
    ]
    runs: list[list[str]] = [[]]
    for i, (_, value) in enumerate(points):
        if value is None:
            runs.append([])
            x, _y = xy(i, 0)
            body.append(
                f'<circle cx="{x:.1f}" cy="{top_pad + plot_h:.1f}" r="2.5" fill="{AMBER}" '
                f'class="chart-gap"><title>{HIDDEN}</title></circle>'
            )
            continue
        runs[-1].append("{:.1f},{:.1f}".format(*xy(i, value)))
    for run in runs:
        if len(run) > 1:
            body.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{GREEN}" stroke-width="2"/>')
        elif run:
            x, y = run[0].split(",")
            body.append(f'<circle cx="{x}" cy="{y}" r="3" fill="{GREEN}"/>')
    if points:
        body.append(_text(left, height - 8, points[0][0]))
        body.append(_text(width - 12, height - 8, points[-1][0], anchor="end"))
    return _svg(width, height, title, body)


def _arc_point(share: float, radius: float, cx: float, cy: float) -> tuple[float, float]:
    angle = math.pi * (1 - min(max(share, 0.0), 1.0))
    return cx + radius * math.cos(angle), cy - radius * math.sin(angle)


def gauge(
    value: float | None, low: float | None, high: float | None, target: float, title: str, target_label: str
) -> Markup:
    """A half-circle gauge: the share, its 95 % interval as a band, and the target as a tick."""
    width, height, cx, cy, r = 260, 160, 130, 130, 100
    x0, y0 = _arc_point(0, r, cx, cy)
    x1, y1 = _arc_point(1, r, cx, cy)
    body = [
        f'<path d="M{x0:.1f},{y0:.1f} A{r},{r} 0 0 1 {x1:.1f},{y1:.1f}" fill="none" stroke="#e3ebe6" '
        f'stroke-width="22" class="gauge-track"/>'
    ]
    if value is not None:
        if low is not None and high is not None:
            a, b = _arc_point(low, r + 16, cx, cy), _arc_point(high, r + 16, cx, cy)
            body.append(
                f'<path d="M{a[0]:.1f},{a[1]:.1f} A{r + 16},{r + 16} 0 0 1 {b[0]:.1f},{b[1]:.1f}" '
                f'fill="none" stroke="{GREY}" stroke-width="4" class="gauge-ci"/>'
            )
        end = _arc_point(value, r, cx, cy)
        colour = GREEN if value >= target else AMBER
        body.append(
            f'<path d="M{x0:.1f},{y0:.1f} A{r},{r} 0 0 1 {end[0]:.1f},{end[1]:.1f}" fill="none" '
            f'stroke="{colour}" stroke-width="22" class="gauge-value"/>'
        )
        body.append(_text(cx, cy - 10, f"{value:.0%}", anchor="middle", cls="gauge-figure"))
    else:
        body.append(_text(cx, cy - 10, HIDDEN, anchor="middle", cls="gauge-figure"))
    inner, outer = _arc_point(target, r - 16, cx, cy), _arc_point(target, r + 14, cx, cy)
    body.append(
        f'<line x1="{inner[0]:.1f}" y1="{inner[1]:.1f}" x2="{outer[0]:.1f}" y2="{outer[1]:.1f}" '
        f'stroke="#222" stroke-width="3" class="gauge-target"/>'
    )
    body.append(_text(cx, cy + 22, f"{target_label} {target:.0%}", anchor="middle"))
    return _svg(width, height, title, body)
