"""Alert rules per unit, alert episodes, and the e-mail log (queued, sent, failed)."""
from __future__ import annotations

import json
from datetime import date
from typing import Any, Iterable, Mapping

from sqlalchemy import Connection, Engine, func, insert, select, text, update

from skm import CODES

from .. import schema as t

from .engine import now_iso, reading, rows, upsert

ALERT_LOCK = 0x736B6D02  # pg_advisory_xact_lock(key, hashtext(unit)) while a unit's episodes are opened or cleared


def saved_rules(engine: Engine, unit: str) -> dict[str, dict]:
    """The rules a unit changed from the defaults, by kind."""
    r = t.alert_rules
    with reading(engine) as conn:
        return {row["kind"]: row for row in rows(conn.execute(select(r).where(r.c.unit == unit)))}


def save_rule(engine: Engine, unit: str, kind: str, enabled: bool, threshold: str | None, min_count: int | None,
              by: str) -> None:
    with engine.begin() as conn:
        upsert(conn, t.alert_rules, {"unit": unit, "kind": kind, "enabled": enabled, "threshold": threshold,
                                     "min_count": min_count, "updated_by": by, "updated_at": now_iso()})
        audit_in(conn, "alert_rule_set", by, unit, f"{kind} enabled={enabled} threshold={threshold} "
                                                   f"min_count={min_count}")


def audit_in(conn: Connection, action: str, username: str | None, target: str, detail: str) -> None:
    conn.execute(insert(t.audit_log).values(at=now_iso(), username=username, action=action, target=target,
                                            detail=detail))


def _lock_unit(conn: Connection, unit: str) -> None:
    """Episodes of one unit are opened and cleared one transaction at a time (SQLite's BEGIN IMMEDIATE does
    it for the whole database; PostgreSQL takes an advisory lock per unit), so an episode opens once."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key, hashtext(:unit))"), {"key": ALERT_LOCK, "unit": unit})


def sync_episodes(engine: Engine, unit: str, kind: str, holding: Mapping[str, Mapping[str, Any]],
                  recipients: Iterable[str], clears: bool = True, any_open: bool | None = None
                  ) -> tuple[list[dict], int]:
    """Open an episode for each subject whose condition holds (``holding``: subject -> the figures) and has
    no open episode; with ``clears``, clear the open episodes whose condition no longer holds. Without
    ``clears`` (integrity reports: one episode per response), a subject gets an episode once ever. Each new
    episode is audited and an e-mail queued to each recipient. Returns (new episodes, how many cleared).
    ``any_open``: whether the unit has an open episode of this kind, when already read (None: read here)."""
    a = t.alerts
    recipients = sorted(set(recipients))
    if not holding and not (clears and (_any_open(engine, unit, kind) if any_open is None else any_open)):
        return [], 0  # nothing to open nor to clear: no write transaction (after every ingest, most rules)
    with engine.begin() as conn:
        _lock_unit(conn, unit)
        where = (a.c.unit == unit) & (a.c.kind == kind)
        if clears:
            where &= a.c.cleared_at.is_(None)
        else:
            where &= a.c.subject.in_(list(holding))
        existing = {r.subject: r.id for r in conn.execute(select(a.c.subject, a.c.id).where(where))}
        now = now_iso()
        opened = []
        for subject in sorted(set(holding) - set(existing)):
            detail = json.dumps(holding[subject], sort_keys=True, default=str)
            alert_id = conn.execute(insert(a).values(unit=unit, kind=kind, subject=subject, opened_at=now,
                                                     detail=detail)).inserted_primary_key[0]  # type: ignore[index]
            audit_in(conn, "alert_opened", None, unit, f"#{alert_id} {kind} {subject}")
            for recipient in recipients:
                conn.execute(insert(t.mail_log).values(created_at=now, kind="alert", alert_id=alert_id,
                                                       recipient=recipient, subject=f"alert #{alert_id}"))
            opened.append({"id": alert_id, "unit": unit, "kind": kind, "subject": subject, "opened_at": now,
                           "detail": holding[subject]})
        gone = [alert_id for subject, alert_id in existing.items() if subject not in holding] if clears else []
        if gone:
            conn.execute(update(a).where(a.c.id.in_(gone)).values(cleared_at=now))
            for alert_id in gone:
                audit_in(conn, "alert_cleared", None, unit, f"#{alert_id} {kind}")
    return opened, len(gone)


def _any_open(engine: Engine, unit: str, kind: str) -> bool:
    return kind in open_alert_kinds(engine, unit)


def open_alert_kinds(engine: Engine, unit: str) -> set[str]:
    """The kinds of the unit's open (not cleared) episodes."""
    a = t.alerts
    with reading(engine) as conn:
        return set(conn.execute(select(a.c.kind).distinct().where((a.c.unit == unit)
                                                                  & a.c.cleared_at.is_(None))).scalars())


def _decoded(row: dict) -> dict:
    row["detail"] = json.loads(row["detail"])
    return row


def get_alert(engine: Engine, alert_id: int) -> dict | None:
    with reading(engine) as conn:
        row = conn.execute(select(t.alerts).where(t.alerts.c.id == alert_id)).first()
    return _decoded(dict(row._mapping)) if row else None


def alerts_of(engine: Engine, units: Iterable[str] | None, kinds: Iterable[str] | None = None, *,
              open_only: bool = False, unhandled_only: bool = False, limit: int = 50) -> list[dict]:
    """Episodes of these units (None: all units) and kinds, newest first. Open: not yet cleared (an
    integrity report, which cannot clear by itself, clears when acknowledged). Unhandled: open and not yet
    acknowledged (what the dashboard's open list and the digest show)."""
    a = t.alerts
    stmt = select(a).order_by(a.c.opened_at.desc(), a.c.id.desc()).limit(limit)
    if units is not None:
        stmt = stmt.where(a.c.unit.in_(list(units)))
    if kinds is not None:
        stmt = stmt.where(a.c.kind.in_(list(kinds)))
    if open_only or unhandled_only:
        stmt = stmt.where(a.c.cleared_at.is_(None))
    if unhandled_only:
        stmt = stmt.where(a.c.acknowledged_at.is_(None))
    with reading(engine) as conn:
        return [_decoded(r) for r in rows(conn.execute(stmt))]


def acknowledge(engine: Engine, alert_id: int, by: str, note: str, clear: bool) -> bool:
    """Acknowledge an episode with a note (once); ``clear``: it also ends (a report with no condition that
    could stop holding). False when it is unknown or was acknowledged before."""
    a = t.alerts
    now = now_iso()
    values: dict = {"acknowledged_by": by, "acknowledged_at": now, "ack_note": note}
    if clear:
        values["cleared_at"] = now
    with engine.begin() as conn:
        done = conn.execute(update(a).where((a.c.id == alert_id) & a.c.acknowledged_at.is_(None))
                            .values(**values).returning(a.c.unit, a.c.kind)).first()
        if done is not None:
            audit_in(conn, "alert_acknowledged", by, done.unit, f"#{alert_id} {done.kind}")
    return done is not None


def recipients(engine: Engine, unit: str, roles_for_unit: Iterable[str], roles_everywhere: Iterable[str]) -> list[str]:
    """E-mail addresses of enabled accounts: ``roles_for_unit`` assigned to the unit, ``roles_everywhere`` all."""
    u, uu = t.users, t.user_units
    assigned = select(uu.c.username).where(uu.c.unit == unit)
    stmt = select(u.c.email).where(u.c.email.is_not(None), u.c.disabled.is_(False),
                                   (u.c.role.in_(list(roles_for_unit)) & u.c.username.in_(assigned))
                                   | u.c.role.in_(list(roles_everywhere)))
    with reading(engine) as conn:
        return sorted({r[0] for r in conn.execute(stmt)})


def queued_mail(engine: Engine, max_attempts: int) -> list[dict]:
    m = t.mail_log
    with reading(engine) as conn:
        return rows(conn.execute(select(m).where(m.c.sent_at.is_(None), m.c.attempts < max_attempts)
                                 .order_by(m.c.id)))


def log_mail(engine: Engine, kind: str, recipient: str, subject: str, alert_id: int | None = None) -> int:
    with engine.begin() as conn:
        return conn.execute(insert(t.mail_log).values(created_at=now_iso(), kind=kind, alert_id=alert_id,
                                                      recipient=recipient, subject=subject)
                            ).inserted_primary_key[0]  # type: ignore[index]


def mark_mail(engine: Engine, mail_id: int, subject: str, error: str | None) -> None:
    """One send attempt of a logged e-mail: sent (error None) or failed with why; audited."""
    m = t.mail_log
    with engine.begin() as conn:
        conn.execute(update(m).where(m.c.id == mail_id).values(
            subject=subject[:300], attempts=m.c.attempts + 1, error=error,
            sent_at=None if error else now_iso()))
        audit_in(conn, "mail_failed" if error else "mail_sent", None, f"mail #{mail_id}", subject[:200])


def mail_log(engine: Engine, limit: int = 100) -> list[dict]:
    m = t.mail_log
    with reading(engine) as conn:
        return rows(conn.execute(select(m).order_by(m.c.id.desc()).limit(limit)))


def last_received_by_kiosk(engine: Engine, unit: str, since: date) -> dict[str, str]:
    """kiosk id -> the latest received_at of its responses filed on local days from ``since`` (the unit/day
    index bounds the read)."""
    r = t.responses
    stmt = (select(r.c.kiosk_id, func.max(r.c.received_at)).where(r.c.unit == unit, r.c.local_day >= since,
                                                                   r.c.kiosk_id.is_not(None))
            .group_by(r.c.kiosk_id))
    with reading(engine) as conn:
        return {str(k): str(v) for k, v in conn.execute(stmt)}


def low_responses(engine: Engine, unit: str, since_day: date, most_total: int) -> list[dict]:
    """Trusted responses filed on local days from ``since_day`` whose nine scores total at most ``most_total``:
    counter and submit time (a bounded read by the unit/day index)."""
    r = t.responses
    total = sum((r.c[c] for c in CODES[1:]), r.c[CODES[0]])
    stmt = select(r.c.counter, r.c.submitted_at).where(r.c.unit == unit, r.c.local_day >= since_day,
                                                       r.c.suspect.is_(False), total <= most_total)
    with reading(engine) as conn:
        return rows(conn.execute(stmt))


def recent_comments(engine: Engine, unit: str, since_day: date) -> list[dict]:
    """Responses with a comment filed on local days from ``since_day``: what the integrity check reads."""
    r = t.responses
    stmt = select(r.c.id, r.c.counter, r.c.service, r.c.submitted_at, r.c.comment).where(
        r.c.unit == unit, r.c.local_day >= since_day, r.c.comment.is_not(None), r.c.comment != "")
    with reading(engine) as conn:
        return rows(conn.execute(stmt))


def unit_kiosks(engine: Engine, unit: str) -> list[dict]:
    """The unit's enrolled kiosks that are not revoked."""
    k = t.kiosks
    with reading(engine) as conn:
        return rows(conn.execute(select(k.c.id, k.c.name, k.c.enrolled_at, k.c.last_seen_at).where(
            k.c.unit == unit, k.c.secret.is_not(None), k.c.revoked_at.is_(None)).order_by(k.c.name)))



