"""The publication record of the Laporan Hasil SKM: where and when a unit published a period's results."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, delete, insert, select

from .. import schema as t
from .engine import now_iso, reading, rows

MEDIA = ("papan", "situs", "medsos", "massa", "lainnya")  # the choices of a publication's medium


def publications(engine: Engine, unit: str, period: str) -> list[dict]:
    """The unit's publications of the period, earliest day first."""
    p = t.publications
    with reading(engine) as conn:
        return rows(conn.execute(select(p).where((p.c.unit == unit) & (p.c.period == period))
                                 .order_by(p.c.published_on, p.c.id)))


def add_publication(engine: Engine, unit: str, period: str, published_on: date, medium: str, place: str,
                    by: str) -> int:
    if medium not in MEDIA:
        raise ValueError(f"medium {medium!r} is not one of {', '.join(MEDIA)}")
    with engine.begin() as conn:
        result = conn.execute(insert(t.publications).values(
            unit=unit, period=period, published_on=published_on, medium=medium, place=place, updated_by=by,
            updated_at=now_iso()))
        key = result.inserted_primary_key
        assert key is not None  # an INSERT has one
        return key[0]


def delete_publication(engine: Engine, unit: str, publication_id: int) -> dict | None:
    """Delete the unit's publication; returns what it was, None when the unit has no such publication."""
    p = t.publications
    with engine.begin() as conn:
        found = conn.execute(select(p).where((p.c.id == publication_id) & (p.c.unit == unit))).first()
        if found is None:
            return None
        conn.execute(delete(p).where(p.c.id == publication_id))
        return dict(found._mapping)
