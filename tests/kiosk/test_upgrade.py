"""A kiosk database of each earlier release (built by that release's code, scripts/make_upgrade_fixtures.py)
upgrades at start without losing a row; its schema then equals a fresh one's; concurrent starts are safe."""
from __future__ import annotations

import sqlite3
import threading

import pytest

from kiosk import create_app, store
from tests.helpers import ROOT

FOLDER = ROOT / "tests" / "data" / "upgrade"
RELEASES = ("7205129", "af7f7b5", "a0c6e3d", "1b3a755")  # oldest first: kiosk steps m001, m002, m003, m006
FIXTURES = [FOLDER / f"kiosk-{commit}.sqlite.sql" for commit in RELEASES]


def load(fixture, path):
    conn = sqlite3.connect(path)
    conn.executescript(fixture.read_text())
    conn.close()
    return path


def contents(path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> "
                                         "'_migrations' ORDER BY name")]
    found = {name: conn.execute(f"SELECT * FROM {name} ORDER BY 1").fetchall() for name in tables}
    conn.close()
    return found


def officer_names(rows: list[tuple]) -> list[tuple]:
    return [row[:2] for row in rows]


def schema(path) -> dict:
    """PRAGMA table_info, index_list/index_info and foreign_key_list of every table."""
    conn = sqlite3.connect(path)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    found = {name: (conn.execute(f"PRAGMA table_info({name})").fetchall(),
                    sorted((i[1], i[2], tuple(c[2] for c in conn.execute(f"PRAGMA index_info('{i[1]}')")))
                           for i in conn.execute(f"PRAGMA index_list({name})")),
                    conn.execute(f"PRAGMA foreign_key_list({name})").fetchall()) for name in tables}
    conn.close()
    return found


def test_every_kiosk_release_has_a_fixture():
    assert sorted(FOLDER.glob("kiosk-*.sqlite.sql")) == sorted(FIXTURES)


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.name for f in FIXTURES])
def test_an_old_kiosk_database_upgrades_at_start_keeping_every_row(fixture, tmp_path):
    instance = tmp_path / "kiosk"
    instance.mkdir()
    path = load(fixture, instance / "kiosk.db")
    before = contents(path)
    assert len(before["responses"]) == 30
    assert sum(1 for r in before["responses"] if "pending" in r) == 10  # the unsynced ratings
    create_app({"TESTING": True}, instance_path=instance)  # migrates at start
    after = contents(path)
    # Officers keep their NIP and name; the PIN hash an older kiosk kept is sealed at start (officer_pins.py).
    assert {name: officer_names(rows) if name == "officers" else rows for name, rows in after.items()
            if name in before} == {name: officer_names(rows) if name == "officers" else rows
                                   for name, rows in before.items()}
    assert all(row[2] is None for row in after.get("officers", []))  # no pin_hash left
    fresh = tmp_path / "fresh.db"
    db = store.connect(str(fresh))
    store.migrate(db)
    db.conn.close()
    assert schema(path) == schema(fresh)  # the frozen steps give what the release's sqlite-utils calls gave


def test_two_kiosk_processes_starting_on_an_old_schema_both_succeed(tmp_path):
    path = load(FIXTURES[0], tmp_path / "kiosk.db")
    barrier, applied, errors = threading.Barrier(2), [], []

    def start():
        db = store.connect(str(path))
        barrier.wait()
        try:
            applied.append(store.migrate(db))
        except Exception as exc:  # noqa: BLE001 - the test reports it
            errors.append(exc)
        finally:
            db.conn.close()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    after_m001 = [name for name, _step in store.SCHEMA_MIGRATIONS[1:]]
    assert sorted(sum(applied, [])) == after_m001  # each step applied once
