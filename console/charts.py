"""Small inline SVG charts drawn on the server (no chart library in the browser).

`interval_chart` draws, per 15-minute interval, answered calls (stacked with abandoned ones) as
bars on the left scale, and the service level as a line on a 0–100 % right scale, with the
interval start times under the bars. Colours are CSS classes so the wall screen's theme sets
them. The output is markup-safe: every text is escaped.

>>> svg = interval_chart([{"answered": 3, "abandoned": 1, "service_level": 0.5}], ["19:00"])
>>> svg.count("<rect"), "19:00" in svg, "<polyline" in svg
(2, True, False)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

WIDTH, HEIGHT = 420, 160
LEFT, RIGHT, TOP, BOTTOM = 30, 34, 10, 22


def _y(value: float, top_value: float, plot_h: float) -> float:
    return TOP + plot_h - (value / top_value) * plot_h if top_value else TOP + plot_h


def interval_chart(
    points: Sequence[Mapping[str, Any]], labels: Sequence[str], *, title: str = ""
) -> Markup:
    """Bars of answered + abandoned calls and a service-level line, one slot per interval."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(points))
    peak = max(
        (int(p.get("answered") or 0) + int(p.get("abandoned") or 0) for p in points), default=0
    )
    scale = max(1, peak)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" '
        f'y2="{TOP + plot_h}"/>',
        f'<text class="tick" x="{LEFT - 4}" y="{TOP + 8}" text-anchor="end">{scale}</text>',
        f'<text class="tick" x="{WIDTH - RIGHT + 4}" y="{TOP + 8}">100%</text>',
    ]
    line: list[str] = []
    for i, (point, label) in enumerate(zip(points, labels, strict=False)):
        x = LEFT + i * slot + slot * 0.15
        bar_w = slot * 0.7
        answered = int(point.get("answered") or 0)
        abandoned = int(point.get("abandoned") or 0)
        y_answered = _y(answered, scale, plot_h)
        y_total = _y(answered + abandoned, scale, plot_h)
        parts.append(
            f'<rect class="answered" x="{x:.1f}" y="{y_answered:.1f}" '
            f'width="{bar_w:.1f}" height="{TOP + plot_h - y_answered:.1f}">'
            f"<title>{answered} answered</title></rect>"
        )
        parts.append(
            f'<rect class="abandoned" x="{x:.1f}" y="{y_total:.1f}" '
            f'width="{bar_w:.1f}" height="{y_answered - y_total:.1f}">'
            f"<title>{abandoned} abandoned</title></rect>"
        )
        if i % 2 == 0 or len(points) <= 4:
            parts.append(
                f'<text class="tick" x="{x + bar_w / 2:.1f}" y="{HEIGHT - 6}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
        level = point.get("service_level")
        if level is not None:
            line.append(f"{x + bar_w / 2:.1f},{_y(float(level), 1.0, plot_h):.1f}")
    if len(line) >= 2:
        parts.append(f'<polyline class="sl" points="{" ".join(line)}"/>')
    for dot in line:
        cx, cy = dot.split(",")
        parts.append(f'<circle class="sl" cx="{cx}" cy="{cy}" r="3"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
