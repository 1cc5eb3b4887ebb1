"""Geometry of the inline SVG charts (no script, no CDN). Templates draw what these functions place, and
show the same numbers in a table beside each chart."""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from decimal import Decimal

from skm.numbers import round_half_up

# RIGHT leaves a margin beyond the last month for the grade-band labels, so no label sits on the line.
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 760, 260, 44, 78, 12, 36
FLOORS = ((Decimal("88.31"), "A"), (Decimal("76.61"), "B"), (Decimal("65.00"), "C"))
LABEL_CHARACTERS = 36  # an unsur name on the NRR bars wraps at this width, never cut


def y_of(konversi: float, low: float = 25) -> float:
    """Vertical position of a konversi value on the low..100 axis."""
    return round(TOP + (100 - konversi) / (100 - low) * (HEIGHT - TOP - BOTTOM), 1)


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    left: int
    paths: list[str]  # one path per run of months with data
    points: list[tuple[float, float, str]]  # x, y, tooltip
    ticks: list[tuple[float, str]]  # x, label
    floors: list[tuple[float, str]]  # y, label such as "B >= 76,61", drawn in the right margin
    grid: list[tuple[float, str]]  # y, axis label
    band_end: float  # x where the band lines (and the plotted months) end

    @property
    def label_x(self) -> float:
        return self.band_end + 6


def plain_number(value, places: int = 2) -> str:
    return str(round_half_up(value, places))


def trend_chart(trend, lang: str = "id", number=plain_number) -> TrendChart:
    """The monthly konversi line. The axis starts at 50 unless a month falls below it (then at 25), so a
    change of a few points stays visible. ``number(value, places)`` formats every figure (decimal commas in
    Bahasa Indonesia); the band labels stand right of the plot, beyond the last month."""
    values = [float(r.konversi) for _p, _n, r in trend if r is not None]
    low = 50 if not values or min(values) >= 50 else 25
    n = len(trend)
    step = (WIDTH - LEFT - RIGHT) / (n - 1 if n > 1 else 1)
    current: list[str]  # the path being drawn, as SVG commands
    paths, points, ticks, current = [], [], [], []
    for i, (period, _count, result) in enumerate(trend):
        x = round(LEFT + i * step, 1)
        if result is not None:
            y = y_of(float(result.konversi), low)
            current.append(f"{'L' if current else 'M'}{x},{y}")
            points.append((x, y, f"{period.label(lang)}: {number(result.konversi)}"))
        elif current:
            paths.append(" ".join(current))
            current = []
        if i % 3 == 0 or i == n - 1:
            ticks.append((x, period.start.strftime("%m/%y")))
    if current:
        paths.append(" ".join(current))
    grid = [v for v in (Decimal(25), Decimal(50), Decimal("62.5"), Decimal(75), Decimal("87.5"), Decimal(100))
            if v >= low and (low == 50 or v in (25, 50, 75, 100))]
    return TrendChart(WIDTH, HEIGHT, LEFT, paths, points, ticks,
                      [(y_of(float(v), low), f"{label} \u2265 {number(v, 2)}") for v, label in FLOORS],
                      [(y_of(float(v), low), number(v, 0 if v == v.to_integral_value() else 1)) for v in grid],
                      WIDTH - RIGHT)


def label_lines(text: str, width: int = LABEL_CHARACTERS) -> list[str]:
    """A chart label in whole words over as many lines as it needs (an unsur's full name, never cut)."""
    return textwrap.wrap(text, width) or [""]


def bar_width(nrr, span: float = 420) -> float:
    """Width of an NRR bar (1..4 scale)."""
    return max(1.0, round((float(nrr) - 1) / 3 * span, 1))


def heat_class(count: int, peak: int) -> str:
    """One of five shades for a weekday x hour cell's volume."""
    if not count or not peak:
        return "heat-0"
    return f"heat-{min(4, 1 + int(4 * count / (peak + 1)))}"
