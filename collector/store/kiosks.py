"""Kiosks: registration, one-time enrollment codes, revocation, last contact."""
from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Collection, Iterable, Mapping

from sqlalchemy import Connection, Engine, case, func, insert, select, update

from .. import schema as t
from ..columns import sqlite_uuid, uuid_text
from .accounts import audit
from .engine import NotFound, Refused, _insert, now_iso, reading, rows
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
    with reading(engine) as conn:
        return rows(conn.execute(select(t.kiosks).where(match)))


def get_kiosk(engine: Engine, kiosk_id: str) -> dict | None:
    with reading(engine) as conn:
        row = conn.execute(select(t.kiosks).where(t.kiosks.c.id == kiosk_id)).first()
    return dict(row._mapping) if row else None


def list_kiosks(engine: Engine) -> list[dict]:
    with reading(engine) as conn:
        return rows(conn.execute(select(t.kiosks).order_by(t.kiosks.c.unit, t.kiosks.c.created_at)))


def revoke_kiosk(engine: Engine, kiosk_id: str) -> None:
    with engine.begin() as conn:
        done = conn.execute(update(t.kiosks).where(t.kiosks.c.id == kiosk_id).values(
            revoked_at=now_iso(), enroll_code_hash=None))
    if done.rowcount == 0:
        raise NotFound(f"kiosk {kiosk_id!r} does not exist")


def touch_kiosk(engine: Engine, kiosk_id: str, clock_skew_ms: int) -> None:
    """A signed request came in: when, and how far off the kiosk's clock was (ms, kiosk minus server)."""
    with engine.begin() as conn:
        _touch(conn, kiosk_id, clock_skew_ms, now_iso())


def _touch(conn: Connection, kiosk_id: str, clock_skew_ms: int, now: str) -> None:
    conn.execute(update(t.kiosks).where(t.kiosks.c.id == kiosk_id).values(
        last_seen_at=now, clock_skew_ms=clock_skew_ms, clock_measured_at=now))


def skewed_kiosks(engine: Engine, unit: str, beyond_ms: int) -> list[dict]:
    """The unit's kiosks whose clock was last measured off by more than ``beyond_ms``, in either direction."""
    k = t.kiosks
    with reading(engine) as conn:
        return rows(conn.execute(select(k).where(
            (k.c.unit == unit) & k.c.revoked_at.is_(None)
            & ((k.c.clock_skew_ms > beyond_ms) | (k.c.clock_skew_ms < -beyond_ms))).order_by(k.c.name)))


# -- installs: copies of one kiosk ------------------------------------------------------------------------------

def kiosk_and_install(engine: Engine, kiosk_id: str, install: str) -> tuple[dict | None, bool]:
    """A signed request's kiosk (None if unknown) and whether its install is revoked, in one snapshot."""
    i = t.kiosk_installs
    with reading(engine) as conn:
        row = conn.execute(select(t.kiosks).where(t.kiosks.c.id == kiosk_id)).first()
        if row is None:
            return None, False
        revoked = conn.execute(select(i.c.revoked_at).where(
            (i.c.kiosk_id == kiosk_id) & (i.c.install_id == install))).scalar() is not None
    return dict(row._mapping), revoked


@dataclass(frozen=True)
class Arrival:
    """A signed push of a batch from one install of a kiosk, noted in the transaction that stores the batch
    (``store.ingest``): the kiosk's last contact and clock skew, and the install's highest seq and clashes."""
    kiosk_id: str
    install: str
    clock_skew_ms: int
    seqs: Mapping[int, str]  # seq -> response id of the batch's responses (``collector.ingest.seqs_of``)


@dataclass(frozen=True)
class InstallNote:
    """What noting a batch found: the kiosk, the install, whether it was new, the other installs in use, and
    the seqs already stored under another response id. ``warnings`` words them."""
    kiosk_id: str
    install: str
    new: bool
    others: tuple[str, ...]
    clashes: tuple[int, ...]

    @property
    def warnings(self) -> list[str]:
        install, kiosk_id = self.install or "unknown", self.kiosk_id
        warnings = []
        if self.new and self.others:
            warnings.append(f"a second install {install} of kiosk {kiosk_id} (others: "
                            f"{', '.join(o or 'unknown' for o in self.others)}): the kiosk may have been copied")
        if self.clashes:
            warnings.append(f"install {install} of kiosk {kiosk_id} sent seq {shown_seqs(list(self.clashes))} "
                            f"already stored with other responses: the kiosk may have been copied")
        return warnings


def seqs_stored(conn: Connection, kiosk_id: str, seqs: Collection[int]) -> list[tuple[int, str]]:
    """(seq, response id) of what this kiosk has stored under these seqs. Driver SQL: a batch's 500 seqs as
    SQLAlchemy bind parameters cost more than the query. A batch's seqs nearly always run on: then one range
    of the (kiosk_id, seq) index is read (read before a batch is stored, it is nearly always empty)."""
    pg = conn.dialect.name == "postgresql"
    # A seq past the column's integers cannot be stored (its response is refused), so it is stored under none.
    seqs = {seq for seq in seqs if 0 < seq <= (2 ** 31 - 1 if pg else 2 ** 63 - 1)}
    if not seqs:
        return []
    mark, key = ("%s", kiosk_id) if pg else ("?", sqlite_uuid(kiosk_id))  # SQLite keeps the ids as BLOBs
    low, high = min(seqs), max(seqs)
    if high - low < 2 * len(seqs):
        found = conn.exec_driver_sql(f"SELECT seq, id FROM responses WHERE kiosk_id = {mark} AND seq BETWEEN {mark} "
                                     f"AND {mark}", (key, low, high))
    elif pg:
        found = conn.exec_driver_sql("SELECT seq, id FROM responses WHERE kiosk_id = %s AND seq = ANY(%s::integer[])",
                                     (key, list(seqs)))
    else:
        found = conn.exec_driver_sql(f"SELECT seq, id FROM responses WHERE kiosk_id = ? AND seq IN "
                                     f"({', '.join('?' * len(seqs))})", (key, *seqs))
    rows: Iterable[tuple[int, str]] = found  # rows of (seq, id)
    return [(seq, uuid_text(response_id)) for seq, response_id in rows if seq in seqs]


def before_arrival(conn: Connection, arrival: Arrival) -> list[tuple[int, str]]:
    """In the transaction storing the batch, before it is stored: what the kiosk has under the batch's seqs."""
    return seqs_stored(conn, arrival.kiosk_id, arrival.seqs.keys())


def note_arrival(conn: Connection, arrival: Arrival, stored: set[str], before: list[tuple[int, str]]) -> InstallNote:
    """In the transaction storing the batch, once stored: the kiosk seen now (``touch_kiosk``) and the batch
    noted under its install (``record_install``). ``stored``: the ids of its responses now stored (accepted or
    duplicates); ``before``: ``before_arrival``'s reading."""
    _touch(conn, arrival.kiosk_id, arrival.clock_skew_ms, now_iso())
    return _note_install(conn, arrival.kiosk_id, arrival.install,
                         {seq: rid for seq, rid in arrival.seqs.items() if rid in stored}, before)


def report_install(engine: Engine, note: InstallNote) -> list[str]:
    """The note's warnings, each written to the audit log (after the batch's transaction)."""
    warnings = note.warnings
    for warning in warnings:
        audit(engine, "kiosk_copy_suspected", None, note.kiosk_id, warning)
    return warnings


def record_install(engine: Engine, kiosk_id: str, install: str, responses: Mapping[int, str]) -> list[str]:
    """Note a batch from one install of a kiosk (``responses``: seq -> response id, stored) and return what
    shows the kiosk was copied: a new install while another one is in use, or a seq already stored under
    another response id of this kiosk. Each is also written to the audit log."""
    with engine.begin() as conn:
        note = _note_install(conn, kiosk_id, install, responses, seqs_stored(conn, kiosk_id, responses.keys()))
    return report_install(engine, note)


def _note_install(conn: Connection, kiosk_id: str, install: str, responses: Mapping[int, str],
                  stored_seqs: list[tuple[int, str]]) -> InstallNote:
    """``responses``: seq -> id of the batch's stored responses; ``stored_seqs``: (seq, id) the kiosk has
    stored under the batch's seqs. A clash is a seq of ``responses`` stored under an id none of them has."""
    i, now = t.kiosk_installs, now_iso()
    others: list[str] = list(conn.execute(select(i.c.install_id).where(
        (i.c.kiosk_id == kiosk_id) & (i.c.install_id != install) & i.c.revoked_at.is_(None))).scalars())
    ids = set(responses.values())
    clashes = sorted(seq for seq, response_id in stored_seqs if seq in responses and response_id not in ids)
    top = max(responses, default=None)
    # Several collector processes may take batches of one install at once: the row is claimed with ON
    # CONFLICT DO NOTHING, and the highest seq raised in SQL, never read then written.
    new = conn.execute(_insert(conn, i).values(
        kiosk_id=kiosk_id, install_id=install, first_seen_at=now, last_seen_at=now, max_seq=top,
    ).on_conflict_do_nothing(index_elements=["kiosk_id", "install_id"]).returning(i.c.install_id)).first()
    if new is None:
        values: dict = {"last_seen_at": now}
        if top is not None:
            values["max_seq"] = case((i.c.max_seq.is_(None) | (i.c.max_seq < top), top), else_=i.c.max_seq)
        conn.execute(update(i).where((i.c.kiosk_id == kiosk_id) & (i.c.install_id == install)).values(**values))
    return InstallNote(kiosk_id, install, new is not None, tuple(others), tuple(clashes))


def shown_seqs(seqs: list[int], limit: int = 5) -> str:
    return ", ".join(map(str, seqs[:limit])) + (f" and {len(seqs) - limit} more" if len(seqs) > limit else "")


def kiosk_installs(engine: Engine, kiosk_id: str) -> list[dict]:
    i = t.kiosk_installs
    with reading(engine) as conn:
        return rows(conn.execute(select(i).where(i.c.kiosk_id == kiosk_id).order_by(i.c.first_seen_at)))


def copied_kiosks(engine: Engine, unit: str) -> list[dict]:
    """The unit's kiosks with more than one install in use, each with its installs."""
    i, k = t.kiosk_installs, t.kiosks
    with reading(engine) as conn:
        ids: list[str] = list(conn.execute(select(i.c.kiosk_id).join(k, k.c.id == i.c.kiosk_id).where(
            (k.c.unit == unit) & i.c.revoked_at.is_(None) & k.c.revoked_at.is_(None)).group_by(i.c.kiosk_id)
            .having(func.count() > 1)).scalars())
    return [{**(get_kiosk(engine, kiosk_id) or {}), "installs": kiosk_installs(engine, kiosk_id)} for kiosk_id in ids]


def revoke_install(engine: Engine, kiosk_id: str, install: str) -> None:
    """Refuse one copy of a kiosk; the others go on."""
    i = t.kiosk_installs
    with engine.begin() as conn:
        done = conn.execute(update(i).where((i.c.kiosk_id == kiosk_id) & (i.c.install_id == install)).values(
            revoked_at=now_iso()))
    if done.rowcount == 0:
        raise NotFound(f"kiosk {kiosk_id!r} has no install {install!r}")
    audit(engine, "kiosk_install_revoked", None, kiosk_id, f"install {install or 'unknown'} revoked")


def kiosk_config(engine: Engine, kiosk: Mapping[str, Any]) -> dict:
    """What a kiosk pulls when it syncs: its unit, counters and services."""
    unit = get_unit(engine, kiosk["unit"])
    return {"unit": {"code": unit["code"], "name": unit["name"], "timezone": unit["timezone"]},
            "counters": unit_counters(engine, unit["code"]),
            "officers": [{"nip": o["nip"], "name": o["name"], "pin_hash": o["pin_hash"]}
                         for o in unit_officers(engine, unit["code"])]}
