import pytest
from click.testing import CliRunner

from kiosk import store
from skm.cli import main
from tests.helpers import DEMO_OFFICE, full_answers, init_kiosk


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_init_prints_counter_urls_and_is_safe_to_repeat(tmp_path, monkeypatch):
    result = run("kiosk", "--instance", str(tmp_path), "init", str(DEMO_OFFICE), "--pin", "1234")
    assert result.exit_code == 0, result.output
    assert "/k/1  Loket 1 - KTP Elektronik" in result.output and "6 counters" in result.output
    db = store.connect(str(tmp_path / "kiosk.db"))
    kiosk_id = store.get_setting(db, "kiosk_id")
    store.record_response(db, {"id": "r1", "counter": "1", "service": "ktp-el", "submitted_at": "x",
                               **{k.split(".")[1]: 3 for k in full_answers()}}, lambda tx, r: None)
    assert run("kiosk", "--instance", str(tmp_path), "init", str(DEMO_OFFICE)).exit_code == 0
    assert store.get_setting(db, "kiosk_id") == kiosk_id and db["responses"].count == 1
    db.conn.close()


BAD_OFFICES = [
    ("not toml", "[unit\n", "TOML:"),
    ("no unit", '[[counters]]\ncode="1"\nname="L"\nservices=[{code="a",name="A"}]\n', "[unit]: missing"),
    ("bad timezone", '[unit]\ncode="u"\nname="U"\ntimezone="Mars/Olympus"\n', "timezone 'Mars/Olympus'"),
    ("no counters", '[unit]\ncode="u"\nname="U"\n', "at least one counter"),
    ("bad counter code", '[unit]\ncode="u"\nname="U"\n[[counters]]\ncode="loket 1"\nname="L"\n'
                         'services=[{code="a",name="A"}]\n', "[[counters]] #1 code 'loket 1'"),
    ("no services", '[unit]\ncode="u"\nname="U"\n[[counters]]\ncode="1"\nname="L"\n', "#1 services"),
    ("twice", '[unit]\ncode="u"\nname="U"\n[[counters]]\ncode="1"\nname="L"\nservices=[{code="a",name="A"}]\n'
              '[[counters]]\ncode="1"\nname="M"\nservices=[{code="a",name="A"}]\n', "#2 code '1': used twice"),
]


@pytest.mark.parametrize("case, content, expected", BAD_OFFICES, ids=[b[0] for b in BAD_OFFICES])
def test_bad_office_files_are_refused_with_where(tmp_path, case, content, expected):
    office = tmp_path / "office.toml"
    office.write_text(content)
    result = run("kiosk", "--instance", str(tmp_path / "i"), "init", str(office))
    assert result.exit_code == 1
    assert expected in result.output
    assert not (tmp_path / "i" / "kiosk.db").exists()


def test_pin_rules(tmp_path):
    result = run("kiosk", "--instance", str(tmp_path), "init", str(DEMO_OFFICE), "--pin", "12a")
    assert result.exit_code == 2 and "at least 4 digits" in result.output


def test_settings_are_listed_with_help():
    result = run("kiosk", "settings")
    assert "KIOSK_IDLE_SECONDS (int: a whole number from 1 to 3600; default 60)" in result.output
    assert "KIOSK_MIN_SURVEY_SECONDS" in result.output


def test_every_command_has_help():
    from kiosk.cli import kiosk
    for name, command in kiosk.commands.items():
        assert command.help, name


def test_backup_while_running_and_restore(tmp_path):
    instance = init_kiosk(tmp_path / "k")
    db = store.connect(str(instance / "kiosk.db"))
    row = {"id": "r1", "counter": "1", "service": "ktp-el", "submitted_at": "x",
           **{k.split(".")[1]: 3 for k in full_answers()}}
    store.record_response(db, row, lambda tx, r: None)
    backups = tmp_path / "backups"
    for _ in range(3):
        result = run("kiosk", "--instance", str(instance), "backup", "--out", str(backups / "k-%H%M%S-%f.db"),
                     "--keep", "2")
        assert result.exit_code == 0, result.output
    kept = sorted(backups.iterdir())
    assert len({p.name for p in kept}) == 2 and len(kept) == 2 and all(p.suffix == ".db" for p in kept)  # one file each, no -wal left
    store.record_response(db, {**row, "id": "r2"}, lambda tx, r: None)  # after the backup
    db.conn.close()
    restored = run("kiosk", "--instance", str(instance), "restore", "--yes", str(kept[-1]))
    assert restored.exit_code == 0, restored.output
    db = store.connect(str(instance / "kiosk.db"))
    assert [r["id"] for r in db.query("SELECT id FROM responses")] == ["r1"]
    db.conn.close()
    before = store.connect(str(instance / "kiosk.db.before-restore"))
    assert before["responses"].count == 2  # nothing is thrown away by a restore
    before.conn.close()


def backup(instance, out, keep=1):
    return run("kiosk", "--instance", str(instance), "backup", "--out", str(out), "--keep", str(keep))


@pytest.mark.parametrize("name", ["backup-%Y%m%d.db", "%Y%m%d-%H%M%S-%f.db", "kiosk-%H%M%S%f.db"])
def test_keep_removes_only_its_own_backups_never_the_live_database(tmp_path, name):
    """The backups in the instance folder itself, beside the live kiosk.db, a hand-made copy and a note."""
    instance = init_kiosk(tmp_path / "k")
    db = store.connect(str(instance / "kiosk.db"))
    store.record_response(db, {"id": "r1", "counter": "1", "service": "ktp-el", "submitted_at": "x",
                               **{k.split(".")[1]: 3 for k in full_answers()}}, lambda tx, r: None)
    (instance / "notes.db").write_text("not a database")
    store.backup(db, str(instance / "kiosk-copy-by-hand.db"))  # a plain copy, not made by `backup`
    for _ in range(3):
        result = backup(instance, instance / name)
        assert result.exit_code == 0, result.output
    left = sorted(p.name for p in instance.iterdir())
    made = [n for n in left if n not in ("kiosk.db", "kiosk.db-wal", "kiosk.db-shm", "notes.db",
                                         "kiosk-copy-by-hand.db", "secret_key")]
    assert len(made) == 1, left
    assert {"kiosk.db", "notes.db", "kiosk-copy-by-hand.db"} <= set(left)
    assert db["responses"].count == 1 and store.integrity(str(instance / "kiosk.db")) == "ok"
    db.conn.close()


def test_a_restored_database_is_never_taken_for_a_backup(tmp_path):
    instance = init_kiosk(tmp_path / "k")
    first = backup(instance, instance / "%Y%m%d-%H%M%S-%f.db")
    made = first.output.split("backup written to ")[1].split()[0]
    assert run("kiosk", "--instance", str(instance), "restore", "--yes", made).exit_code == 0
    for _ in range(2):
        assert backup(instance, instance / "%Y%m%d-%H%M%S-%f.db").exit_code == 0
    db = store.connect(str(instance / "kiosk.db"))
    assert store.is_configured(db)
    db.conn.close()


def test_backup_never_overwrites_a_file_it_did_not_make(tmp_path):
    instance = init_kiosk(tmp_path / "k")
    result = backup(instance, instance / "kiosk.db")
    assert result.exit_code == 1 and "is not a backup made by skm kiosk backup: it is left alone" in result.output
    db = store.connect(str(instance / "kiosk.db"))
    assert store.is_configured(db)
    db.conn.close()


def test_a_failed_export_leaves_no_file_and_keeps_the_previous_bundle(tmp_path):
    """Not enrolled: the bundle cannot be signed. Neither a half-written file nor a clobbered old one."""
    instance = init_kiosk(tmp_path / "kiosk")
    out = tmp_path / "usb" / "bundle.json"
    out.parent.mkdir()
    out.write_text("the bundle of last week")
    result = run("kiosk", "--instance", str(instance), "export", "--out", str(out))
    assert result.exit_code == 1 and "enroll first" in result.output
    assert out.read_text() == "the bundle of last week"
    assert sorted(p.name for p in out.parent.iterdir()) == ["bundle.json"]  # no .bundle.json.partial
    missing = run("kiosk", "--instance", str(instance), "export", "--out", str(tmp_path / "nowhere" / "b.json"))
    assert missing.exit_code == 1 and "No such file or directory" in missing.output
