"""The comments' themes counted per unit, local day and channel (``theme_daily``) under one lexicon's
fingerprint, so the unit page sums a period's rows instead of reading and tagging its comments: added in the
transaction that stores (or moves to suspect) the comments, rebuilt from the raw comments with the same
result. Counts are complete for the lexicons in ``theme_lexicons`` only; for any other the reader gets
None and counts the comments itself (``collector.themes``)."""
from __future__ import annotations

from datetime import date
from typing import Iterable, Mapping

from sqlalchemy import Connection, Engine, func, select

from skm.themes import Lexicon

from .. import schema as t
from .engine import _insert, now_iso, reading

ALL = ""  # the theme of the row counting every comment


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def theme_deltas(lexicon: Lexicon, comments: Iterable[tuple[str, object, str, str | None]]
                 ) -> dict[tuple[str, date, str, str], int]:
    """{(unit, day, channel, theme): comments} of trusted comments given as (unit, day, channel, text); empty
    texts are no comment."""
    deltas: dict[tuple[str, date, str, str], int] = {}
    for unit, day, channel, text in comments:
        if not text:
            continue
        tagging = lexicon.tag(text)
        on = _day(day)
        for code in (ALL, *tagging.themes, *tagging.integrity):
            key = (unit, on, channel, code)
            deltas[key] = deltas.get(key, 0) + 1
    return deltas


def counting_lexicon(conn: Connection, lexicon: Lexicon | None) -> str | None:
    """At the start of a write transaction that may store or move comments, before it stores any: the
    fingerprint to count them under, or None when no complete counts are kept for ``lexicon``. A write
    counted under one lexicon leaves every other's counts short, so their marks go; the first write into a
    database with no responses makes ``lexicon``'s counts complete from the start."""
    marks = t.theme_lexicons
    if lexicon is None:
        conn.execute(marks.delete())
        return None
    fingerprint = lexicon.fingerprint
    conn.execute(marks.delete().where(marks.c.lexicon != fingerprint))
    if conn.execute(select(marks.c.lexicon).where(marks.c.lexicon == fingerprint)).first() is not None:
        return fingerprint
    if conn.execute(select(t.responses.c.id).limit(1)).first() is not None:
        return None  # comments stored before are not counted: until a rebuild, readers count them
    conn.execute(_insert(conn, marks).values(lexicon=fingerprint, since=now_iso())
                 .on_conflict_do_nothing(index_elements=["lexicon"]))
    return fingerprint


def add_theme_counts(conn: Connection, fingerprint: str | None, lexicon: Lexicon | None,
                     comments: Iterable[tuple[str, object, str, str | None]], sign: int = 1) -> None:
    """Add (``sign`` -1: take off) trusted comments (unit, day, channel, text) to the counts of
    ``fingerprint`` (from ``counting_lexicon``; None: nothing is kept), one statement in key order."""
    if fingerprint is None or lexicon is None:
        return
    deltas = theme_deltas(lexicon, comments)
    if not deltas:
        return
    table = t.theme_daily
    stmt = _insert(conn, table)
    stmt = stmt.on_conflict_do_update(index_elements=["lexicon", "unit", "day", "channel", "theme"],
                                      set_={"comments": table.c.comments + stmt.excluded.comments})
    conn.execute(stmt, [{"lexicon": fingerprint, "unit": unit, "day": day, "channel": channel, "theme": theme,
                         "comments": sign * n} for (unit, day, channel, theme), n in sorted(deltas.items())])
    if sign < 0:
        conn.execute(table.delete().where(table.c.lexicon == fingerprint,
                                          table.c.unit.in_(sorted({k[0] for k in deltas})), table.c.comments == 0))


def theme_totals(engine: Engine, lexicon: Lexicon, units: Iterable[str], ranges: Iterable[tuple[date, date]],
                 leave_out: tuple[str, ...] = ()) -> list[dict[str, int]] | None:
    """For each [start, end) of ``ranges``: {theme or signal code: trusted comments carrying it, ALL: every
    trusted comment}, summed from the counts of ``lexicon`` in one read transaction; None when its counts are
    not complete (the caller counts the comments)."""
    table, marks = t.theme_daily, t.theme_lexicons
    units = list(units)
    with reading(engine) as conn:
        if conn.execute(select(marks.c.lexicon).where(marks.c.lexicon == lexicon.fingerprint)).first() is None:
            return None
        result = []
        for start, end in ranges:
            stmt = (select(table.c.theme, func.sum(table.c.comments))
                    .where(table.c.lexicon == lexicon.fingerprint, table.c.unit.in_(units), table.c.day >= start,
                           table.c.day < end, table.c.channel.not_in(leave_out))
                    .group_by(table.c.theme))
            result.append({str(row[0]): int(row[1]) for row in conn.execute(stmt)})
        return result


def rebuild_theme_counts_in(conn: Connection, lexicon: Lexicon) -> int:
    """Count every trusted comment's themes again with ``lexicon`` inside the caller's transaction (every
    other lexicon's counts dropped) and mark them complete. Returns how many comments were counted."""
    r = t.responses
    if conn.dialect.name == "postgresql":
        # Waits for the write transactions that read the marks (``counting_lexicon``) to end, and holds back
        # new ones until this commits: each ingest's comments are then either read here or counted by it.
        conn.exec_driver_sql("LOCK TABLE theme_lexicons IN EXCLUSIVE MODE")
    conn.execute(t.theme_daily.delete())
    conn.execute(t.theme_lexicons.delete())
    stmt = (select(r.c.unit, r.c.local_day, r.c.channel, r.c.comment)
            .where(r.c.suspect.is_(False), r.c.comment.is_not(None), r.c.comment != ""))
    deltas: dict[tuple[str, date, str, str], int] = {}
    counted = 0
    for part in conn.execute(stmt.execution_options(yield_per=5000)).partitions():
        counted += len(part)
        for key, n in theme_deltas(lexicon, part).items():
            deltas[key] = deltas.get(key, 0) + n
    rows = [{"lexicon": lexicon.fingerprint, "unit": unit, "day": day, "channel": channel, "theme": theme,
             "comments": n} for (unit, day, channel, theme), n in sorted(deltas.items())]
    for i in range(0, len(rows), 10_000):
        conn.execute(t.theme_daily.insert(), rows[i:i + 10_000])
    conn.execute(t.theme_lexicons.insert().values(lexicon=lexicon.fingerprint, since=now_iso()))
    return counted


def rebuild_theme_counts(engine: Engine, lexicon: Lexicon) -> int:
    """``rebuild_theme_counts_in`` in a transaction of its own."""
    with engine.begin() as conn:
        return rebuild_theme_counts_in(conn, lexicon)


THEMES_LOCK = 0x736B6D03  # pg_advisory_xact_lock key held while a migrate completes the theme counts


def complete_theme_counts(engine: Engine, lexicon: Lexicon) -> int | None:
    """Count every trusted comment's themes with ``lexicon`` unless its counts are complete already (what
    ``skm collector migrate`` does after an upgrade): how many comments were counted, None when they were
    complete. Two at once (collectors migrated together) queue on the write lock (SQLite) or an advisory
    lock (PostgreSQL): the second finds the counts complete."""
    marks = t.theme_lexicons
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (THEMES_LOCK,))
        if conn.execute(select(marks.c.lexicon).where(marks.c.lexicon == lexicon.fingerprint)).first() is not None:
            return None
        return rebuild_theme_counts_in(conn, lexicon)


def theme_counts(engine: Engine) -> list[dict]:
    """Every theme_daily row in key order, and the marks (for tests: the incremental path against a rebuild)."""
    table = t.theme_daily
    with reading(engine) as conn:
        return [dict(row._mapping) for row in conn.execute(
            select(table).order_by(*[table.c[k] for k in ("lexicon", "unit", "day", "channel", "theme")]))]


def complete_lexicons(engine: Engine) -> list[str]:
    with reading(engine) as conn:
        return [row[0] for row in conn.execute(select(t.theme_lexicons.c.lexicon).order_by(t.theme_lexicons.c.lexicon))]


def as_comment(row: Mapping) -> tuple[str, object, str, str | None]:
    """(unit, day, channel, comment) of a response row (a dict with ``local_day``)."""
    return row["unit"], row["local_day"], row["channel"], row.get("comment")
