"""Kiosks: registration, one-time enrollment codes, revocation, last contact."""
from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from sqlalchemy import Engine, insert, select, update

from .. import schema as t
from .engine import NotFound, Refused, now_iso, rows
from .officers import unit_officers
from .org import _require, get_unit, unit_counters

ENROLL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").upper().encode()).hexdigest()


def add_kiosk(engine: Engine, unit: str, name: str | None = None, valid_days: int = 7) -> tuple[str, str]:
    """Register a kiosk for a unit; returns its id and a one-time enrollment code."""
    raw = "".join(secrets.choice(ENROLL_ALPHABET) for _ in range(12))
    code = "-".join(raw[i:i + 4] for i in range(0, 12, 4))
    kiosk_id = str(uuid.uuid4())
    with engine.begin() as conn:
        _require(conn, t.units, unit, "unit")
        conn.execute(insert(t.kiosks).values(
            id=kiosk_id, unit=unit, name=name or f"kiosk {kiosk_id[:8]}", enroll_code_hash=_hash_code(code),
            enroll_expires_at=(datetime.now(timezone.utc) + timedelta(days=valid_days)).isoformat(),
            created_at=now_iso()))
    return kiosk_id, code


def enroll(engine: Engine, code: str) -> dict:
    """Exchange a one-time code for the kiosk's id and secret. The code works once: it is claimed by one
    ``UPDATE ... WHERE enroll_code_hash = :h AND secret IS NULL ... RETURNING``, so of several kiosks
    presenting it at the same moment exactly one gets a secret (the others find no row to update)."""
    code_hash, now = _hash_code(code), now_iso()
    k = t.kiosks
    secret = secrets.token_hex(32)
    with engine.begin() as conn:
        claimed = conn.execute(update(k).where(
            (k.c.enroll_code_hash == code_hash) & k.c.secret.is_(None) & k.c.revoked_at.is_(None)
            & (k.c.enroll_expires_at >= now)
        ).values(secret=secret, enroll_code_hash=None, enrolled_at=now).returning(*k.c)).first()
        if claimed is None:
            raise _why_not_enrolled(conn.execute(select(k).where(k.c.enroll_code_hash == code_hash)).first())
    return dict(claimed._mapping)


def _why_not_enrolled(row) -> Refused:
    if row is not None and row.revoked_at:
        return Refused("revoked", "this kiosk was revoked")
    if row is not None and row.secret is None:
        return Refused("enroll_code_expired", "this enrollment code has expired; ask for a new one")
    return Refused("enroll_code_unknown", "this enrollment code is unknown or was already used")


def kiosks_by_reference(engine: Engine, reference: str) -> list[dict]:
    """The kiosk with this id, or for a compact receipt token every kiosk whose id starts with these
    8 hex digits (one, nearly always; the token's signature tells which)."""
    column = t.kiosks.c.id
    match = column == reference if len(reference) == 36 else column.startswith(reference, autoescape=True)
    with engine.connect() as conn:
        return rows(conn.execute(select(t.kiosks).where(match)))


def get_kiosk(engine: Engine, kiosk_id: str) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(select(t.kiosks).where(t.kiosks.c.id == kiosk_id)).first()
    return dict(row._mapping) if row else None


def list_kiosks(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return rows(conn.execute(select(t.kiosks).order_by(t.kiosks.c.unit, t.kiosks.c.created_at)))


def revoke_kiosk(engine: Engine, kiosk_id: str) -> None:
    with engine.begin() as conn:
        done = conn.execute(update(t.kiosks).where(t.kiosks.c.id == kiosk_id).values(
            revoked_at=now_iso(), enroll_code_hash=None))
    if done.rowcount == 0:
        raise NotFound(f"kiosk {kiosk_id!r} does not exist")


def touch_kiosk(engine: Engine, kiosk_id: str, clock_skew_ms: int) -> None:
    """A signed request came in: when, and how far off the kiosk's clock was (ms, kiosk minus server)."""
    now = now_iso()
    with engine.begin() as conn:
        conn.execute(update(t.kiosks).where(t.kiosks.c.id == kiosk_id).values(
            last_seen_at=now, clock_skew_ms=clock_skew_ms, clock_measured_at=now))


def skewed_kiosks(engine: Engine, unit: str, beyond_ms: int) -> list[dict]:
    """The unit's kiosks whose clock was last measured off by more than ``beyond_ms``, in either direction."""
    k = t.kiosks
    with engine.connect() as conn:
        return rows(conn.execute(select(k).where(
            (k.c.unit == unit) & k.c.revoked_at.is_(None)
            & ((k.c.clock_skew_ms > beyond_ms) | (k.c.clock_skew_ms < -beyond_ms))).order_by(k.c.name)))


def kiosk_config(engine: Engine, kiosk: Mapping[str, Any]) -> dict:
    """What a kiosk pulls when it syncs: its unit, counters and services."""
    unit = get_unit(engine, kiosk["unit"])
    return {"unit": {"code": unit["code"], "name": unit["name"], "timezone": unit["timezone"]},
            "counters": unit_counters(engine, unit["code"]),
            "officers": [{"nip": o["nip"], "name": o["name"], "pin_hash": o["pin_hash"]}
                         for o in unit_officers(engine, unit["code"])]}
