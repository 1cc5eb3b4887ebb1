"""A clock skew in words, for the kiosk's staff page and the collector's dashboard."""
from __future__ import annotations

from flask_babel import gettext as _

UNITS = ((86400_000, "hari"), (3600_000, "jam"), (60_000, "menit"), (1000, "detik"))


def skew_text(skew_ms: int) -> str:
    """``400 hari lebih cepat`` / ``8 hari lebih lambat`` (kiosk minus server: positive is fast), in the
    largest unit it reaches, rounded."""
    size = abs(skew_ms)
    amount, unit = next(((round(size / ms), name) for ms, name in UNITS if size >= ms), (0, "detik"))
    words = {"hari": _("%(n)d hari", n=amount), "jam": _("%(n)d jam", n=amount),
             "menit": _("%(n)d menit", n=amount), "detik": _("%(n)d detik", n=amount)}[unit]
    return _("%(amount)s lebih cepat", amount=words) if skew_ms > 0 else _("%(amount)s lebih lambat", amount=words)
