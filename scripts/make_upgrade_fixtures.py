"""Write the upgrade fixtures in tests/data/upgrade/: a database of each earlier release, built by that
release's own code, so the upgrade tests need no git history.

For each release commit this checks the commit out into a temporary ``git worktree`` and runs this file
again there (``--build``), with the worktree first on the import path: the old ``collector`` / ``kiosk``
code migrates its own schema and stores an organisation tree, enrolled kiosks, responses through its
ingest (with a duplicate and a conflict), and users, populations, follow-ups, receipts, officers, kiosk
installs (one copy refused), sessions and sign-in throttling, tablets and PIN attempts as far as that release
had them. The result is written as SQL: ``sqlite3`` iterdump for SQLite, plain
``pg_dump --inserts`` for PostgreSQL (the releases from 2dc86cb on, when PostgreSQL was documented).

    .venv/bin/python scripts/make_upgrade_fixtures.py [--postgres ADMIN_URL] [--only COMMIT ...]

``--only`` builds just the named releases, so adding a release leaves the earlier fixtures byte-identical
(a full rebuild gives new creation times, ids of enrollment and such).

The build part imports only what the old release has (checked by name), so it runs on every commit below.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "upgrade"
# The commits that shipped a collector schema step (m001 .. m007, then 1b3a755 at m010 after three steps
# shipped together), and those of the kiosk's (m001 .. m003, then 1b3a755 at m006).
COLLECTOR_RELEASES = {"0bea51c": "m001_initial", "0e00b86": "m002_dashboard", "af7f7b5": "m003_receipts",
                      "7595fe2": "m004_aggregates_by_day", "2dc86cb": "m005_response_keys",
                      "15c317e": "m006_officers", "9509f60": "m007_monthly_aggregates", "1b3a755": "m010_sessions"}
POSTGRES_RELEASES = ("2dc86cb", "15c317e", "9509f60", "1b3a755")
KIOSK_RELEASES = {"7205129": "m001_initial", "af7f7b5": "m002_receipts", "a0c6e3d": "m003_officers",
                  "1b3a755": "m006_officer_verifiers"}
RESPONSES_PER_UNIT = 120
UNITS = (("dumai-disdukcapil", "Asia/Jakarta"), ("dumai-rsud", "Asia/Makassar"))  # two zones: local hours differ
OFFICERS = ("198001012005011001", "198502022010012002")
# From 1b3a755 on a kiosk may name only its own unit's officers (collector.ingest.UnitCodes): each unit has two.
UNIT_OFFICERS = {"dumai-disdukcapil": OFFICERS, "dumai-rsud": ("197905052006041003", "198806062012012004")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="also write PostgreSQL dumps, on this cluster")
    parser.add_argument("--only", metavar="COMMIT", action="append",
                        help="build only this release's fixtures (repeatable); the others are left as they are")
    parser.add_argument("--build", nargs=2, metavar=("KIND", "TARGET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        {"collector": build_collector, "kiosk": build_kiosk}[args.build[0]](args.build[1])
        return
    releases = set(COLLECTOR_RELEASES) | set(KIOSK_RELEASES)
    unknown = sorted(set(args.only or ()) - releases)
    if unknown:
        parser.error(f"--only: {', '.join(unknown)} is not a release here ({', '.join(sorted(releases))})")
    wanted = set(args.only) if args.only else releases
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for commit in (c for c in COLLECTOR_RELEASES if c in wanted):
            with worktree(commit, Path(tmp)) as tree:
                path = Path(tmp) / f"{commit}.db"
                run_old(tree, "collector", f"sqlite:///{path}")
                write_sqlite_dump(path, OUT / f"collector-{commit}.sqlite.sql")
                if args.postgres and commit in POSTGRES_RELEASES:
                    write_postgres_dump(tree, args.postgres, commit)
        for commit in (c for c in KIOSK_RELEASES if c in wanted):
            with worktree(commit, Path(tmp)) as tree:
                path = Path(tmp) / f"kiosk-{commit}.db"
                run_old(tree, "kiosk", str(path))
                write_sqlite_dump(path, OUT / f"kiosk-{commit}.sqlite.sql")
    for path in sorted(OUT.iterdir()):
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KiB")


class worktree:
    """A detached checkout of ``commit`` in a temporary folder, removed afterwards."""

    def __init__(self, commit: str, tmp: Path):
        self.commit, self.path = commit, tmp / f"tree-{commit}"

    def __enter__(self) -> Path:
        subprocess.run(["git", "worktree", "add", "--detach", str(self.path), self.commit], cwd=ROOT, check=True,
                       capture_output=True)
        return self.path

    def __exit__(self, *exc) -> None:
        subprocess.run(["git", "worktree", "remove", "--force", str(self.path)], cwd=ROOT, check=True)


def run_old(tree: Path, kind: str, target: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--build", kind, target], cwd=tree, env=env,
                   check=True)


def write_sqlite_dump(path: Path, out: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    out.write_text("\n".join(conn.iterdump()) + "\n")
    conn.close()


def write_postgres_dump(tree: Path, admin_url: str, commit: str) -> None:
    import psycopg
    admin = admin_url.replace("postgresql+psycopg://", "postgresql://")
    name = f"skm_fixture_{commit}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        run_old(tree, "collector", url)
        dump = subprocess.run(["pg_dump", "--inserts", "--no-owner", "--no-privileges", "--no-comments",
                               url.replace("postgresql+psycopg://", "postgresql://")],
                              check=True, capture_output=True, text=True).stdout
        # psql meta-commands (\restrict) are not SQL: the tests load the dump through psycopg.
        dump = "\n".join(line for line in dump.splitlines() if not line.startswith("\\"))
        (OUT / f"collector-{commit}.postgresql.sql").write_text(re.sub(r"\n{3,}", "\n\n", dump) + "\n")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- run inside the old release's worktree ------------------------------------------------------------------

def build_collector(url: str) -> None:
    """A collector database through the old release's own store and ingest."""
    import inspect

    from collector import ingest, store
    from werkzeug.security import generate_password_hash

    engine = store.make_engine(url)
    if hasattr(store, "migrate"):
        store.migrate(engine)
    else:  # Alembic revisions (m008 on): collector.migrations
        from collector import migrations
        migrations.upgrade(engine)
    # From m009 on a kiosk's batch carries its clock's skew, filed with each response: a kiosk 90 s fast.
    skew = {"clock_skew_ms": 90_000} if "clock_skew_ms" in inspect.signature(ingest.ingest_batch).parameters else {}
    store.save_pemda(engine, "dumai", "Kota Dumai")
    store.save_opd(engine, "disdukcapil", "dumai", "Dinas Kependudukan dan Pencatatan Sipil")
    rng = random.Random(13)
    hashed = generate_password_hash("rahasia-fixture")
    checks_officers = hasattr(ingest, "UnitCodes")  # officers are then stored before the responses naming them
    kiosks = {}
    for unit, zone in UNITS:
        store.save_unit(engine, unit, "disdukcapil", unit.replace("-", " ").title(), zone)
        store.save_counter(engine, unit, "1", "Loket 1", [("kk", "Kartu Keluarga"), ("ktp", "KTP-el")])
        store.save_counter(engine, unit, "2", "Loket 2", [("kk", "Kartu Keluarga"), ("akta", "Akta Kelahiran")])
        if checks_officers:
            for nip in UNIT_OFFICERS[unit]:
                store.save_officer(engine, nip, f"Petugas {nip[-3:]}", unit, hashed)
        _kiosk_id, code = store.add_kiosk(engine, unit, f"Tablet {unit}")
        kiosks[unit] = store.enroll(engine, code)
        officers = UNIT_OFFICERS[unit] if checks_officers else OFFICERS
        responses = [wire_response(rng, unit, seq, officers=officers) for seq in range(1, RESPONSES_PER_UNIT + 1)]
        for start in range(0, len(responses), 50):
            ingest.ingest_batch(engine, kiosks[unit], batch(rng, responses[start:start + 50]), "api", **skew)
        ingest.ingest_batch(engine, kiosks[unit], batch(rng, responses[:3]), "api", **skew)  # a resend: duplicates
        changed = {**responses[0], "answers": {**responses[0]["answers"], "waktu": 1}}
        ingest.ingest_batch(engine, kiosks[unit], batch(rng, [changed]), "bundle")  # a conflict kept aside
    if hasattr(store, "save_user"):
        store.save_user(engine, "admin", "Admin Kota", hashed, "admin", [])
        store.save_user(engine, "kepala", "Kepala Dinas", hashed, "kepala_unit", ["dumai-disdukcapil"])
        store.audit(engine, "login", "admin", None, None, "127.0.0.1")
        store.set_population(engine, "dumai-disdukcapil", "2026-T4", 4000, "admin")
        store.add_followup(engine, "dumai-disdukcapil", "2026-T3", "waktu", "Tambah loket", "Kasi Pelayanan",
                           None, "rencana", "admin")
    if hasattr(store, "store_receipts_issued"):
        from zoneinfo import ZoneInfo
        kiosk = kiosks["dumai-disdukcapil"]
        receipts = [{"nonce": f"n{i:04d}", "counter": "1", "service": "kk", "issued_at": 1790000000 + i * 3600}
                    for i in range(10)]
        from skm import wire
        if hasattr(wire, "is_compact_nonce"):  # m008: compact receipts (whole minutes) get a short code
            receipts += [{"nonce": f"c0ffee{i:06x}", "counter": "1", "service": "ktp",
                          "issued_at": 1790006400 + i * 600} for i in range(4)]
        store.store_receipts_issued(engine, kiosk, receipts, ZoneInfo("Asia/Jakarta"))
        store.allow_hit(engine, "token:n0001", 3600, 10)
        answer_receipt(engine, rng, kiosk, "n0001")
    if hasattr(store, "save_officer"):
        if not checks_officers:
            for nip in OFFICERS:
                store.save_officer(engine, nip, f"Petugas {nip[-3:]}", "dumai-disdukcapil", hashed)
        store.set_officer_ranking(engine, "dumai-disdukcapil", True)
        store.add_officer_note(engine, OFFICERS[0], "2026-T4", "Sistem antrean mati dua hari", "kepala")
        store.save_user(engine, "petugas", "Petugas 001", hashed, "petugas", ["dumai-disdukcapil"])
        store.link_user_to_officer(engine, "petugas", OFFICERS[0])
    if hasattr(store, "set_monthly_volume"):
        store.set_monthly_volume(engine, "dumai-disdukcapil", 900)
    if hasattr(store, "record_install"):  # m009: each install of a kiosk, and one copy refused
        from collector import schema
        from sqlalchemy import select
        for unit, _zone in UNITS:
            with engine.connect() as conn:
                seqs = dict(conn.execute(select(schema.responses.c.seq, schema.responses.c.id).where(
                    schema.responses.c.kiosk_id == kiosks[unit]["id"]).where(schema.responses.c.seq.is_not(None))
                    .order_by(schema.responses.c.seq).limit(50)).all())
            store.record_install(engine, kiosks[unit]["id"], f"install-{unit}", seqs)
        copied = kiosks["dumai-disdukcapil"]["id"]
        store.record_install(engine, copied, "install-copy", {})
        store.revoke_install(engine, copied, "install-copy")
    if hasattr(store, "start_session"):  # m010: sessions and sign-in throttling by name
        import hashlib
        from datetime import datetime, timedelta, timezone
        store.start_session(engine, hashlib.sha256(b"fixture-session-admin").hexdigest(), "admin")
        store.start_session(engine, hashlib.sha256(b"fixture-session-kepala").hexdigest(), "kepala")
        store.end_session(engine, hashlib.sha256(b"fixture-session-kepala").hexdigest(), "logout")
        for _ in range(3):
            store.take_login_attempt(engine, "kepala", datetime.now(timezone.utc),
                                     lambda n: timedelta(minutes=5) if n >= 3 else None)
    engine.dispose()


def answer_receipt(engine, rng: random.Random, kiosk: dict, nonce: str) -> None:
    """A phone answer to a receipt, stored as the old public survey (collector/qr.py) stores it."""
    from datetime import datetime

    from collector import store
    from skm import wire
    data = wire_response(rng, kiosk["unit"], None, channel="qr")
    submitted = datetime.fromisoformat(data["submitted_at"])
    row = {key: data[key] for key in ("id", "unit", "service", "counter", "officer", "channel",
                                      "questionnaire_version", "comment", "started_at", "submitted_at",
                                      "duration_ms", "suspect", "suspect_reason")}
    row.update(data["answers"], **data["profile"], kiosk_id=kiosk["id"], seq=None, local_day=submitted.date(),
               local_hour=submitted.hour, received_at=data["submitted_at"], batch_id=None,
               content_hash=wire.content_hash({"answers": data["answers"], "channel": "qr",
                                               "profile": data["profile"], "comment": data["comment"]}))
    assert store.record_public_response(engine, row, (kiosk["id"], nonce))


def wire_response(rng: random.Random, unit: str, seq: int | None, channel: str = "kiosk",
                  officers: tuple[str, ...] = OFFICERS) -> dict:
    from skm import CODES, PROFILE, QUESTIONNAIRE_VERSION
    day, hour = rng.randrange(1, 28), rng.randrange(7, 16)
    month = rng.choice((8, 9, 10, 11))
    submitted = f"2026-{month:02d}-{day:02d}T{hour:02d}:{rng.randrange(60):02d}:31.877+07:00"
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "seq": seq, "unit": unit,
        "service": rng.choice(("kk", "ktp")), "counter": "1", "channel": channel,
        "officer": rng.choice((*officers, None)) if channel == "kiosk" else None,
        "questionnaire_version": QUESTIONNAIRE_VERSION,
        "answers": {code: rng.choice((2, 3, 3, 4, 4, 1)) for code in CODES},
        "profile": {f.name: rng.choice((*f.values, None)) for f in PROFILE},
        "comment": rng.choice((None, None, "Antrean lama", "Petugas ramah")),
        "started_at": submitted.replace(":31.877", ":02.120"), "submitted_at": submitted,
        "duration_ms": 29757, "suspect": rng.random() < 0.1, "suspect_reason": None,
    }


def batch(rng: random.Random, responses: list[dict]) -> dict:
    from skm import wire
    return {"protocol": wire.PROTOCOL, "batch_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "responses": responses}


def build_kiosk(path: str) -> None:
    """A kiosk database through the old release's own store: pending and synced responses, an abandoned
    survey, receipts, officers and a shift as far as that release had them."""
    from kiosk import store
    db = store.connect(path)
    store.migrate(db)
    services = (store.Service("kk", "Kartu Keluarga"), store.Service("ktp", "KTP-el"))
    store.save_configuration(db, {"code": "dumai-disdukcapil", "name": "Disdukcapil", "timezone": "Asia/Jakarta"},
                             [store.Counter("1", "Loket 1", services), store.Counter("2", "Loket 2", services[:1])])
    rng = random.Random(17)
    for seq in range(1, 31):
        data = wire_response(rng, "dumai-disdukcapil", seq)
        row = {key: data[key] for key in ("id", "seq", "unit", "service", "counter", "channel", "officer",
                                          "questionnaire_version", "comment", "started_at", "submitted_at",
                                          "duration_ms")}
        row.update(data["answers"])
        row.update(data["profile"])
        store.record_response(db, row, lambda tx, r: None)
    # What the sync agent marks after the collector's ack: the first twenty went out.
    db.conn.execute("UPDATE responses SET sync_state = 'synced', synced_at = '2026-11-28T10:00:00.000+07:00' "
                    "WHERE seq <= 20")
    store.record_abandonment(db, {"id": str(uuid.UUID(int=rng.getrandbits(128))), "counter": "1", "service": "kk",
                                  "reached": "u3", "step": 3, "started_at": "2026-11-28T09:00:00+07:00",
                                  "abandoned_at": "2026-11-28T09:02:00+07:00"})
    if hasattr(store, "record_receipt"):
        for i in range(5):
            store.record_receipt(db, f"r{i:03d}", "1", "kk", 1790000000 + i)
        store.mark_receipts_synced(db, ["r000", "r001"])
    if hasattr(store, "save_officers"):
        officers = [{"nip": nip, "name": f"Petugas {nip[-3:]}", "pin_hash": "x"} for nip in OFFICERS]
        try:  # m006: the kiosk keeps a sealed verifier of each PIN hash, not the hash
            from kiosk import officer_pins
        except ImportError:
            pass
        else:
            from werkzeug.security import generate_password_hash
            officers = officer_pins.sealed_officers(
                [{**o, "pin_hash": generate_password_hash("123456", "pbkdf2:sha256:1000")} for o in officers],
                officer_pins.key_for(db))
        store.save_officers(db, officers)
        store.check_in(db, OFFICERS[0], "1", "2026-11-28T08:00:00.000+07:00")
    if hasattr(store, "record_tablet"):  # m004: counter tablets' heartbeats
        store.record_tablet(db, "tablet-loket-1", "1", 2, "2026-11-28T10:05:00.000+07:00")
        store.record_tablet(db, "tablet-loket-2", "2", 0, "2026-11-28T10:06:00.000+07:00")
    if hasattr(store, "take_pin_attempt"):  # m005: wrong-PIN counters
        store.take_pin_attempt(db, f"officer:{OFFICERS[1]}", 5, 300.0, 1795000000.0)
    db.conn.close()


if __name__ == "__main__":
    main()
