import sqlite3

import pytest

from kiosk import store


def test_durability_pragmas(tmp_path):
    db = store.connect(str(tmp_path / "k.db"))
    assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    db.conn.close()


def test_migrations_are_recorded_and_run_once(tmp_path):
    db = store.connect(str(tmp_path / "k.db"))
    assert store.migrate(db) == [name for name, _ in store.SCHEMA_MIGRATIONS]
    assert store.migrate(db) == []
    recorded = [r[0] for r in db.conn.execute("SELECT name FROM _migrations")]
    assert recorded == [name for name, _ in store.SCHEMA_MIGRATIONS]
    db.conn.close()


def test_a_new_migration_keeps_unsynced_responses(tmp_path, monkeypatch):
    """An upgrade adds a migration; the pending rows of the old version are all still there."""
    db = store.connect(str(tmp_path / "k.db"))
    store.migrate(db)
    row = {"id": "r1", "counter": "1", "service": "s", "submitted_at": "2026-01-01T10:00:00+07:00",
           **{code: 3 for code in ("persyaratan", "prosedur", "waktu", "biaya", "produk", "kompetensi",
                                   "perilaku", "pengaduan", "sarana")}}
    store.record_response(db, row, lambda tx, r: None)

    def m999_add_note(db):
        db["responses"].add_column("note", str)

    monkeypatch.setattr(store, "SCHEMA_MIGRATIONS", [*store.SCHEMA_MIGRATIONS, ("m999_add_note", m999_add_note)])
    assert store.migrate(db) == ["m999_add_note"]
    assert [(r["id"], r["sync_state"], r["note"]) for r in db.query("SELECT * FROM responses")] == \
        [("r1", "pending", None)]
    db.conn.close()


def test_a_failing_migration_changes_nothing(tmp_path, monkeypatch):
    db = store.connect(str(tmp_path / "k.db"))
    store.migrate(db)

    def m998_broken(db):
        db["responses"].add_column("half", str)
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "SCHEMA_MIGRATIONS", [*store.SCHEMA_MIGRATIONS, ("m998_broken", m998_broken)])
    with pytest.raises(RuntimeError):
        store.migrate(db)
    assert "half" not in db["responses"].columns_dict
    assert "m998_broken" not in [r[0] for r in db.conn.execute("SELECT name FROM _migrations")]
    db.conn.close()


def test_record_response_is_idempotent_by_id(tmp_path):
    db = store.connect(str(tmp_path / "k.db"))
    store.migrate(db)
    row = {"id": "r1", "counter": "1", "service": "s", "submitted_at": "2026-01-01T10:00:00+07:00",
           **{code: 4 for code in ("persyaratan", "prosedur", "waktu", "biaya", "produk", "kompetensi",
                                   "perilaku", "pengaduan", "sarana")}}
    first, new = store.record_response(db, row, lambda tx, r: None)
    again, new_again = store.record_response(db, {**row, "waktu": 1}, lambda tx, r: "x")
    assert (new, new_again) == (True, False) and again == first and again["waktu"] == 4
    with pytest.raises(sqlite3.IntegrityError):  # a row without its answers is refused by the schema
        store.record_response(db, {**row, "id": "r2", "waktu": None}, lambda tx, r: None)
    assert db["responses"].count == 1
    db.conn.close()
