"""The public survey: QR receipts issued and used, answers from a receipt or the general link, flood limits."""
from __future__ import annotations

import time
from datetime import date, datetime, timezone
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, case, func, insert, select, update

from skm import CODES, wire
from skm.themes import Lexicon

from .. import schema as t
from .aggregates import AGGREGATE_SOURCE, add_to_aggregates, aggregate_rows, drop_empty_aggregates
from .engine import _insert, now_iso, prepare_for_days, reading, rows
from .ingest import claim
from .themes import add_theme_counts, as_comment, counting_lexicon


def record_public_response(engine: Engine, row: dict, receipt: tuple[str, str] | None,
                           lexicon: Lexicon | None = None) -> bool:
    """Store a response from the public survey with its aggregates (its comment's themes counted with
    ``lexicon``, the app's), in one transaction. With a receipt (kiosk id, nonce), the receipt is taken in
    the same transaction: False when it was already used."""
    prepare_for_days(engine, [row["local_day"]])
    try:
        with engine.begin() as conn:
            fingerprint = counting_lexicon(conn, lexicon)
            if row["id"] not in claim(conn, [(row["id"], row["content_hash"])])[0]:
                raise _AlreadyAnswered  # the same page sent twice: its first answer stands
            if receipt is not None:
                taken = conn.execute(_insert(conn, t.used_receipts).values(
                    kiosk_id=receipt[0], nonce=receipt[1], response_id=row["id"], used_at=now_iso(),
                ).on_conflict_do_nothing(index_elements=["kiosk_id", "nonce"]).returning(t.used_receipts.c.nonce)
                ).first()
                if taken is None:
                    raise _AlreadyAnswered
            conn.execute(insert(t.responses).values(**row))
            add_to_aggregates(conn, aggregate_rows([row]))
            if not row["suspect"]:
                add_theme_counts(conn, fingerprint, lexicon, [as_comment(row)])
    except _AlreadyAnswered:
        return False  # rolled back: nothing of this attempt stays
    return True


class _AlreadyAnswered(Exception):
    pass


def is_stored_as(engine: Engine, row: Mapping[str, Any]) -> bool:
    """Whether the response with ``row``'s id holds the same answers from the same opened page (its start
    time comes from the page's signed ticket): a repeated submission, not another citizen's answer."""
    r = t.responses
    with reading(engine) as conn:
        stored = conn.execute(select(r.c.content_hash, r.c.started_at).where(r.c.id == row["id"])).first()
    return stored is not None and tuple(stored) == (row["content_hash"], row["started_at"])


def receipt_used(engine: Engine, kiosk_id: str, nonce: str) -> bool:
    with reading(engine) as conn:
        return conn.execute(select(t.used_receipts.c.nonce).where(
            (t.used_receipts.c.kiosk_id == kiosk_id) & (t.used_receipts.c.nonce == nonce))).first() is not None


def _compact(receipt: Mapping[str, Any]) -> bool:
    """Whether a reported receipt is one a compact token carries (a short code can lead back to it)."""
    return wire.is_compact_nonce(receipt["nonce"]) and receipt["issued_at"] % 60 == 0


def store_receipts_issued(engine: Engine, kiosk: Mapping[str, Any], receipts: list[dict], zone: ZoneInfo) -> int:
    """Record the receipt tokens a kiosk reports as issued, with the short code of compact ones (computed
    here with the kiosk's key, not taken from the report); a report sent twice counts once."""
    rows = [{"kiosk_id": kiosk["id"], "nonce": r["nonce"], "unit": kiosk["unit"], "counter": r["counter"],
             "service": r["service"], "issued_at": datetime.fromtimestamp(r["issued_at"], timezone.utc).isoformat(),
             "day": datetime.fromtimestamp(r["issued_at"], zone).date(),
             "code": wire.receipt_code(kiosk["secret"], r["nonce"]) if _compact(r) else None}
            for r in receipts]
    with engine.begin() as conn:
        for row in rows:
            conn.execute(_insert(conn, t.receipts_issued).values(**row).on_conflict_do_nothing(
                index_elements=["kiosk_id", "nonce"]))
    return len(rows)


def receipts_with_code(engine: Engine, unit: str, code: str, since: date) -> list[dict]:
    """The receipts of a unit issued on or after ``since`` whose short code is ``code`` (one, nearly always)."""
    r = t.receipts_issued
    with reading(engine) as conn:
        return rows(conn.execute(select(r).where((r.c.unit == unit) & (r.c.code == code) & (r.c.day >= since))))


def receipts_issued_count(engine: Engine, units: Iterable[str], start: date, end: date) -> int:
    r = t.receipts_issued
    with reading(engine) as conn:
        return conn.execute(select(func.count()).select_from(r).where(
            r.c.unit.in_(list(units)), r.c.day >= start, r.c.day < end)).scalar_one()


def receipts_answered_count(engine: Engine, units: Iterable[str], start: date, end: date) -> int:
    """Receipt tokens issued in the period that have been answered (at any time since)."""
    r, u = t.receipts_issued, t.used_receipts
    with reading(engine) as conn:
        return conn.execute(select(func.count()).select_from(r.join(
            u, (u.c.kiosk_id == r.c.kiosk_id) & (u.c.nonce == r.c.nonce))).where(
            r.c.unit.in_(list(units)), r.c.day >= start, r.c.day < end)).scalar_one()


def allow_hit(engine: Engine, key: str, window_seconds: int, limit: int, now: float | None = None) -> bool:
    """Count one hit on ``key`` in the current fixed window; False once more than ``limit`` came in it."""
    return count_hit(engine, key, window_seconds, now) <= limit


def count_hit(engine: Engine, key: str, window_seconds: int, now: float | None = None) -> int:
    """Count one hit on ``key`` in the current fixed window; returns the hits in it so far, this one included."""
    now = int(now if now is not None else time.time())
    start = now - now % window_seconds
    table = t.rate_limits
    with engine.begin() as conn:
        stmt = _insert(conn, table).values(key=key, window_start=start, hits=1)
        stmt = stmt.on_conflict_do_update(index_elements=["key"], set_={
            "hits": case((table.c.window_start == start, table.c.hits + 1), else_=1),
            "window_start": start})
        conn.execute(stmt)
        hits: int = conn.execute(select(table.c.hits).where(table.c.key == key)).scalar_one()  # the row just upserted
    return hits


def recent_link_scores(engine: Engine, unit: str, since_day: date, received_since: str) -> dict[str, dict[str, int]]:
    """The nine scores of the unit's general-link answers received at or after ``received_since`` (UTC ISO
    time, as link answers store it), by id; ``since_day`` bounds the read to the unit/day index."""
    r = t.responses
    stmt = select(r.c.id, *[r.c[c] for c in CODES]).where(
        r.c.unit == unit, r.c.local_day >= since_day, r.c.channel == "link", r.c.received_at >= received_since)
    with reading(engine) as conn:
        return {row.id: {c: row._mapping[c] for c in CODES} for row in conn.execute(stmt)}


def flag_suspect(engine: Engine, ids: Iterable[str], reason: str, lexicon: Lexicon | None = None) -> int:
    """Flag stored responses suspect after the fact (a burst seen later), moving them out of the index's
    aggregates and their comments out of the theme counts of ``lexicon`` (the app's) in the same
    transaction; responses already suspect keep their reason. Returns how many moved.

    The UPDATE decides which rows move, so two requests flagging the same rows at once move each only once.
    """
    ids = sorted(set(ids))
    if not ids:
        return 0
    r = t.responses
    with engine.begin() as conn:
        fingerprint = counting_lexicon(conn, lexicon)
        moved = rows(conn.execute(update(r).where(r.c.id.in_(ids), r.c.suspect.is_(False))
                                  .values(suspect=True, suspect_reason=reason)
                                  .returning(*[r.c[c] for c in AGGREGATE_SOURCE], r.c.comment)))
        if not moved:
            return 0
        add_theme_counts(conn, fingerprint, lexicon, [as_comment(m) for m in moved], sign=-1)
        add_to_aggregates(conn, _negated(aggregate_rows({**m, "suspect": False} for m in moved)))
        drop_empty_aggregates(conn, (m["unit"] for m in moved))
        add_to_aggregates(conn, aggregate_rows(moved))
    return len(moved)


def _negated(deltas: tuple[dict[tuple, dict[str, int]], ...]) -> tuple[dict[tuple, dict[str, int]], ...]:
    return tuple({key: {name: -value for name, value in delta.items()} for key, delta in kind.items()}
                 for kind in deltas)
