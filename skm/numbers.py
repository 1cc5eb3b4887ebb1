"""Exact rounding, as published reports round: halves away from zero."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction


def round_half_up(value: Fraction | Decimal | int | str, places: int) -> Decimal:
    """Round to ``places`` decimals, halves away from zero, exactly."""
    value = Fraction(value)
    scale = 10 ** places
    scaled = abs(value) * scale
    whole = int(scaled + Fraction(1, 2))  # floor, since scaled >= 0
    sign = -1 if value < 0 else 1
    return Decimal(sign * whole).scaleb(-places).quantize(Decimal(1).scaleb(-places))
