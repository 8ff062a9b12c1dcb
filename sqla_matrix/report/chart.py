"""Line charts as inline SVG (no script, no network): log-scaled N against time."""

from __future__ import annotations

import math
from html import escape

COLORS = ("#0969da", "#cf222e", "#1a7f37", "#8250df", "#bf8700", "#57606a", "#e16f24")
WIDTH, HEIGHT = 520, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 130, 28, 36


def _decades(low: float, high: float) -> list[int]:
    return list(range(math.floor(low), math.ceil(high) + 1))


def svg(title: str, series: dict[str, dict[str, float]]) -> str:
    """One chart: x and y on log10 axes, a line and dots per series, a legend."""
    points = [
        (math.log10(float(x)), math.log10(y))
        for s in series.values()
        for x, y in s.items()
        if y > 0
    ]
    if not points:
        return ""
    x_lo, x_hi = min(p[0] for p in points), max(p[0] for p in points)
    y_lo, y_hi = math.floor(min(p[1] for p in points)), math.ceil(max(p[1] for p in points))
    x_hi, y_hi = max(x_hi, x_lo + 1), max(y_hi, y_lo + 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x: float) -> float:
        return LEFT + (x - x_lo) / (x_hi - x_lo) * plot_w

    def py(y: float) -> float:
        return TOP + plot_h - (y - y_lo) / (y_hi - y_lo) * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        'style="font:11px system-ui,sans-serif">',
        f'<text x="{LEFT}" y="16" font-weight="600">{escape(title)}</text>',
    ]
    for d in _decades(x_lo, x_hi):
        if x_lo <= d <= x_hi:
            out.append(
                f'<line x1="{px(d):.1f}" y1="{TOP}" x2="{px(d):.1f}" y2="{TOP + plot_h}" '
                'stroke="#eaeef2"/>'
            )
            out.append(
                f'<text x="{px(d):.1f}" y="{TOP + plot_h + 14}" text-anchor="middle">'
                f"{10**d:,}</text>"
            )
    for d in _decades(y_lo, y_hi):
        out.append(
            f'<line x1="{LEFT}" y1="{py(d):.1f}" x2="{LEFT + plot_w}" y2="{py(d):.1f}" '
            'stroke="#eaeef2"/>'
        )
        out.append(
            f'<text x="{LEFT - 4}" y="{py(d) + 4:.1f}" text-anchor="end">{_seconds(10.0**d)}</text>'
        )
    out.append(
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 4}" text-anchor="middle">'
        "N (log scale)</text>"
    )
    for i, (name, values) in enumerate(series.items()):
        color = COLORS[i % len(COLORS)]
        xy = sorted((math.log10(float(x)), math.log10(y)) for x, y in values.items() if y > 0)
        line = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in xy)
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{line}"/>')
        out += [f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{color}"/>' for x, y in xy]
        ly = TOP + 14 * i + 8
        out.append(
            f'<rect x="{LEFT + plot_w + 10}" y="{ly - 8}" width="10" height="10" fill="{color}"/>'
        )
        out.append(f'<text x="{LEFT + plot_w + 24}" y="{ly + 1}">{escape(name)}</text>')
    out.append("</svg>")
    return "".join(out)


def _seconds(value: float) -> str:
    if value >= 1:
        return f"{value:.3g} s"
    if value >= 1e-3:
        return f"{value * 1e3:.3g} ms"
    return f"{value * 1e6:.3g} µs"


def table_rows(
    series: dict[str, dict[str, float]],
) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """The same data as a table: the x values as columns, a row per series."""
    xs = sorted({x for values in series.values() for x in values}, key=float)
    rows = [
        (name, [_seconds(values[x]) if x in values else "—" for x in xs])
        for name, values in series.items()
    ]
    return xs, rows
