"""The organisation tree: pemda, OPD, units, services and counters, and lookups of its codes and names."""
from __future__ import annotations

from zoneinfo import ZoneInfo

import re

from sqlalchemy import Connection, Engine, func, insert, select, update

from .. import schema as t
from .engine import NotFound, reading, rows, upsert


def save_pemda(engine: Engine, code: str, name: str) -> None:
    with engine.begin() as conn:
        upsert(conn, t.pemda, {"code": code, "name": name})


def save_opd(engine: Engine, code: str, pemda: str, name: str) -> None:
    with engine.begin() as conn:
        _require(conn, t.pemda, pemda, "pemda")
        upsert(conn, t.opd, {"code": code, "pemda": pemda, "name": name})


def save_unit(engine: Engine, code: str, opd: str, name: str, timezone_name: str = "Asia/Jakarta") -> None:
    ZoneInfo(timezone_name)  # raises for an unknown zone
    with engine.begin() as conn:
        _require(conn, t.opd, opd, "OPD")
        upsert(conn, t.units, {"code": code, "opd": opd, "name": name, "timezone": timezone_name})


NIP = re.compile(r"^[0-9]{18}$")  # the 18-digit Nomor Induk Pegawai of an ASN


def set_signatory(engine: Engine, unit: str, name: str, nip: str, place: str) -> None:
    """The kepala unit who signs the unit's Laporan Hasil SKM, and the place it is signed in. Raises
    ``ValueError`` naming the bad field (a name of 1..200 characters, an 18-digit NIP with spaces ignored,
    a place of 1..100 characters) and ``NotFound`` for an unknown unit; nothing is written then."""
    name, nip, place = name.strip(), nip.replace(" ", "").strip(), place.strip()
    if not 0 < len(name) <= 200:
        raise ValueError("name: 1 to 200 characters")
    if not NIP.match(nip):
        raise ValueError(f"NIP {nip!r}: 18 digits")
    if not 0 < len(place) <= 100:
        raise ValueError("place: 1 to 100 characters")
    with engine.begin() as conn:
        _require(conn, t.units, unit, "unit")
        conn.execute(update(t.units).where(t.units.c.code == unit).values(head_name=name, head_nip=nip,
                                                                           report_place=place))


def save_counter(engine: Engine, unit: str, code: str, name: str, services: list[tuple[str, str]]) -> None:
    """Add or replace a counter of a unit with its services (code, name); services are shared in the unit."""
    with engine.begin() as conn:
        _require(conn, t.units, unit, "unit")
        position = conn.execute(select(func.count()).select_from(t.counters).where(t.counters.c.unit == unit)).scalar()
        existing = conn.execute(select(t.counters.c.position).where(
            (t.counters.c.unit == unit) & (t.counters.c.code == code))).scalar()
        upsert(conn, t.counters, {"unit": unit, "code": code, "name": name,
                                  "position": existing if existing is not None else position})
        conn.execute(t.counter_services.delete().where(
            (t.counter_services.c.unit == unit) & (t.counter_services.c.counter == code)))
        for i, (s_code, s_name) in enumerate(services):
            upsert(conn, t.services, {"unit": unit, "code": s_code, "name": s_name})
            conn.execute(insert(t.counter_services).values(unit=unit, counter=code, service=s_code, position=i))


def _require(conn: Connection, table, code: str, what: str) -> None:
    if conn.execute(select(table.c.code).where(table.c.code == code)).first() is None:
        raise NotFound(f"{what} {code!r} does not exist")


def org_tree(engine: Engine) -> list[dict]:
    """Pemda -> OPD -> unit -> counters with services, as nested dicts."""
    with reading(engine) as conn:
        pemdas = rows(conn.execute(select(t.pemda).order_by(t.pemda.c.code)))
        opds = rows(conn.execute(select(t.opd).order_by(t.opd.c.code)))
        units = rows(conn.execute(select(t.units).order_by(t.units.c.code)))
    for p in pemdas:
        p["opd"] = [o for o in opds if o["pemda"] == p["code"]]
        for o in p["opd"]:
            o["units"] = [u for u in units if u["opd"] == o["code"]]
            for u in o["units"]:
                u["counters"] = unit_counters(engine, u["code"])
    return pemdas


def get_unit(engine: Engine, code: str) -> dict:
    with reading(engine) as conn:
        row = conn.execute(select(t.units).where(t.units.c.code == code)).first()
    if row is None:
        raise NotFound(f"unit {code!r} does not exist")
    return dict(row._mapping)


def unit_counters(engine: Engine, unit: str) -> list[dict]:
    with reading(engine) as conn:
        result = conn.execute(
            select(t.counters.c.code, t.counters.c.name, t.services.c.code.label("s_code"),
                   t.services.c.name.label("s_name"))
            .select_from(t.counters.outerjoin(t.counter_services, (t.counter_services.c.unit == t.counters.c.unit)
                                              & (t.counter_services.c.counter == t.counters.c.code))
                         .outerjoin(t.services, (t.services.c.unit == t.counter_services.c.unit)
                                    & (t.services.c.code == t.counter_services.c.service)))
            .where(t.counters.c.unit == unit)
            .order_by(t.counters.c.position, t.counters.c.code, t.counter_services.c.position))
        counters: dict[str, dict] = {}
        for code, name, s_code, s_name in result:
            # SQLAlchemy 2.1's Row unpacks as object under mypy, though its items are typed Any.
            counter = counters.setdefault(code, {"code": code, "name": name, "services": []})  # type: ignore[arg-type]
            if s_code:
                counter["services"].append({"code": s_code, "name": s_name})
    return list(counters.values())




def known_codes(engine: Engine, unit: str) -> tuple[set[str], set[str]]:
    """The counter codes and service codes registered for a unit."""
    with reading(engine) as conn:
        counters = {r[0] for r in conn.execute(select(t.counters.c.code).where(t.counters.c.unit == unit))}
        services = {r[0] for r in conn.execute(select(t.services.c.code).where(t.services.c.unit == unit))}
    return counters, services


def unit_with_codes(engine: Engine, code: str) -> tuple[dict, set[str], set[str], set[str]]:
    """A unit, its counter codes, its service codes and the NIPs of its officers (active or not), read in one
    snapshot: what checking a batch of its responses needs."""
    with reading(engine) as conn:
        row = conn.execute(select(t.units).where(t.units.c.code == code)).first()
        if row is None:
            raise NotFound(f"unit {code!r} does not exist")
        counters: set[str] = set(conn.execute(select(t.counters.c.code).where(t.counters.c.unit == code)).scalars())
        services: set[str] = set(conn.execute(select(t.services.c.code).where(t.services.c.unit == code)).scalars())
        officers: set[str] = set(conn.execute(select(t.officers.c.nip).where(t.officers.c.unit == code)).scalars())
    return dict(row._mapping), counters, services, officers


def units_under(engine: Engine, level: str, code: str) -> list[str]:
    """The unit codes of a unit, an OPD or a pemda, for pooling."""
    u, o = t.units, t.opd
    stmt = {"unit": select(u.c.code).where(u.c.code == code),
            "opd": select(u.c.code).where(u.c.opd == code),
            "pemda": select(u.c.code).join(o, o.c.code == u.c.opd).where(o.c.pemda == code)}[level]
    with reading(engine) as conn:
        return [r[0] for r in conn.execute(stmt.order_by(u.c.code))]


def all_units(engine: Engine) -> list[dict]:
    """Every unit with its OPD and pemda names, in tree order."""
    u, o, p = t.units, t.opd, t.pemda
    stmt = (select(u, o.c.name.label("opd_name"), o.c.pemda, p.c.name.label("pemda_name"))
            .join(o, o.c.code == u.c.opd).join(p, p.c.code == o.c.pemda).order_by(p.c.code, o.c.code, u.c.code))
    with reading(engine) as conn:
        return rows(conn.execute(stmt))


def service_names(engine: Engine, unit: str) -> dict[str, str]:
    with reading(engine) as conn:
        return dict(conn.execute(select(t.services.c.code, t.services.c.name).where(t.services.c.unit == unit)).all())


def counter_names(engine: Engine, unit: str) -> dict[str, str]:
    with reading(engine) as conn:
        return dict(conn.execute(select(t.counters.c.code, t.counters.c.name).where(t.counters.c.unit == unit)).all())
