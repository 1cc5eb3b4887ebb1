"""The kiosk PC's clock, which may be wrong: every time the kiosk stamps or signs comes from ``now``.

``KIOSK_CLOCK_SHIFT_SECONDS`` moves it (positive: fast), to drill or test a wrong PC clock without
changing the machine's; it is 0 in production. The offset to the collector's clock, learned from the
``server_time`` of each answer, is kept apart (setting ``clock_offset_ms`` in the store) and used where
the kiosk needs the true time: signing requests and receipt tokens.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

_shift = timedelta(0)


def set_shift(seconds: float) -> None:
    global _shift
    _shift = timedelta(seconds=seconds)


def now(tz=None) -> datetime:
    """This PC's clock reading (shifted by the setting), aware, in ``tz`` or the machine's zone."""
    return (datetime.now(timezone.utc) + _shift).astimezone(tz)


def timestamp() -> float:
    return now().timestamp()
