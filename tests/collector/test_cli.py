import pytest
from click.testing import CliRunner

from collector import store
from skm.cli import main
from tests.helpers import BACKEND, ROOT, create_collector, migrate_collector


def run(instance, *args):
    return CliRunner().invoke(main, ["collector", "--instance", str(instance), *args])


@pytest.fixture
def migrated(tmp_path):
    return migrate_collector(tmp_path)


def test_org_import_and_list(tmp_path, migrated):
    result = run(tmp_path, "org", "import", str(ROOT / "samples" / "org-dumai.csv"))
    assert result.exit_code == 0 and "1 pemda, 2 OPD, 2 units, 8 counters" in result.output
    listing = run(tmp_path, "org", "list").output
    assert "dumai-mpp  Mal Pelayanan Publik Kota Dumai  [Asia/Jakarta]" in listing
    assert "2  Loket 2 - Kartu Keluarga  (kk, pindah)" in listing
    again = run(tmp_path, "org", "import", str(ROOT / "samples" / "org-dumai.csv"))
    assert again.exit_code == 0  # importing twice updates in place


def test_org_built_command_by_command(tmp_path, migrated):
    assert run(tmp_path, "org", "add-pemda", "bengkalis", "Kabupaten Bengkalis").exit_code == 0
    assert run(tmp_path, "org", "add-opd", "rsud", "RSUD Bengkalis", "--pemda", "bengkalis").exit_code == 0
    assert run(tmp_path, "org", "add-unit", "rsud-igd", "IGD", "--opd", "rsud").exit_code == 0
    added = run(tmp_path, "org", "add-counter", "rsud-igd", "a", "Pendaftaran", "--service", "bpjs=Pasien BPJS",
                "--service", "umum=Pasien Umum")
    assert added.exit_code == 0 and "(bpjs, umum)" in added.output
    assert "a  Pendaftaran  (bpjs, umum)" in run(tmp_path, "org", "list").output


@pytest.mark.parametrize("args, expected", [
    (["org", "add-opd", "x", "X", "--pemda", "nowhere"], "pemda 'nowhere' does not exist"),
    (["org", "add-unit", "u", "U", "--opd", "nowhere"], "OPD 'nowhere' does not exist"),
    (["org", "add-counter", "nowhere", "1", "L", "--service", "a=A"], "unit 'nowhere' does not exist"),
    (["org", "add-counter", "nowhere", "1", "L", "--service", "a"], "write CODE=NAME"),
    (["kiosk", "add", "nowhere"], "unit 'nowhere' does not exist"),
    (["kiosk", "revoke", "no-such-kiosk"], "kiosk 'no-such-kiosk' does not exist"),
])
def test_refusals_name_what_is_missing(tmp_path, migrated, args, expected):
    result = run(tmp_path, *args)
    assert result.exit_code != 0 and expected in result.output


BAD_CSV = [
    ("missing columns", "pemda,opd\n", "line 1: missing columns: pemda_name"),
    ("empty cell", "{h}\ndumai,Kota,d,Dinas,u,Unit,Asia/Jakarta,1,,s,S\n", "line 2, column counter_name: empty"),
    ("bad code", "{h}\ndumai,Kota,d,Dinas,u u,Unit,,1,L,s,S\n", "line 2, column unit: 'u u' is not a code"),
    ("bad zone", "{h}\ndumai,Kota,d,Dinas,u,Unit,Mars/Base,1,L,s,S\n", "line 2, column timezone: 'Mars/Base'"),
    ("two names", "{h}\ndumai,Kota,d,Dinas,u,Unit,,1,L,s,S\ndumai,Kota,d,Dinas,u,Unit,,2,M,s,T\n",
     "line 3, column service_name: 's' was named 'S' on line 2"),
    ("bad NIP", "{h},head_name,head_nip,report_place\ndumai,Kota,d,Dinas,u,Unit,,1,L,s,S,Budi,1970,Dumai\n",
     "line 2, column head_nip: '1970' is not an 18-digit NIP"),
    ("half a signatory", "{h},head_name,head_nip,report_place\ndumai,Kota,d,Dinas,u,Unit,,1,L,s,S,Budi,,\n",
     "line 2, columns head_name, head_nip, report_place: fill in all three or none"),
]


def test_org_csv_sets_the_signature_block(tmp_path, migrated):
    from collector.orgfile import COLUMNS
    path = tmp_path / "org.csv"
    path.write_text(",".join((*COLUMNS, "head_name", "head_nip", "report_place")) + "\n"
                    "dumai,Kota,d,Dinas,u,Unit,,1,L,s,S,\"Dra. Siti Aminah, M.Si.\",19700312 199503 2 001,Dumai\n"
                    "dumai,Kota,d,Dinas,u,Unit,,2,M,s,S,,,\n")
    result = run(tmp_path, "org", "import", str(path))
    assert result.exit_code == 0, result.output
    engine = create_collector({"TESTING": True}, instance_path=tmp_path).extensions["skm_engine"]
    unit = store.get_unit(engine, "u")
    assert (unit["head_name"], unit["head_nip"], unit["report_place"]) == (
        "Dra. Siti Aminah, M.Si.", "197003121995032001", "Dumai")


@pytest.mark.parametrize("case, content, expected", BAD_CSV, ids=[b[0] for b in BAD_CSV])
def test_bad_org_csv_changes_nothing(tmp_path, case, content, expected):
    from collector.orgfile import COLUMNS
    path = tmp_path / "org.csv"
    path.write_text(content.format(h=",".join(COLUMNS)))
    migrate_collector(tmp_path / "i")
    result = run(tmp_path / "i", "org", "import", str(path))
    assert result.exit_code == 1 and expected in result.output
    engine = create_collector({"TESTING": True}, instance_path=tmp_path / "i").extensions["skm_engine"]
    assert store.org_tree(engine) == []


def test_kiosk_add_list_revoke(tmp_path, migrated):
    run(tmp_path, "org", "import", str(ROOT / "samples" / "org-dumai.csv"))
    added = run(tmp_path, "kiosk", "add", "dumai-mpp", "--name", "Tablet MPP")
    assert added.exit_code == 0 and "enrollment code (works once):" in added.output
    kiosk_id = added.output.split()[1]
    assert "waiting for enrollment" in run(tmp_path, "kiosk", "list").output
    assert run(tmp_path, "kiosk", "revoke", kiosk_id).exit_code == 0
    assert f"{kiosk_id}  dumai-mpp  Tablet MPP  revoked" in run(tmp_path, "kiosk", "list").output


def test_migrate_and_settings(tmp_path):
    assert "schema upgraded from an empty database to " in run(tmp_path, "migrate").output
    assert "schema up to date at " in run(tmp_path, "migrate").output
    assert "COLLECTOR_BATCH_MAX (int: a whole number from 1 to 10000; default 500)" in run(tmp_path, "settings").output


def test_commands_refuse_an_unmigrated_database_naming_migrate(tmp_path):
    for args in (["org", "list"], ["kiosk", "list"], ["run"]):
        result = run(tmp_path, *args)
        assert result.exit_code == 1, args
        assert "has no schema yet: run `skm collector migrate` first" in result.output, args
    assert run(tmp_path, "settings").exit_code == 0  # needs no database


def test_migrate_sql_prints_the_upgrade_without_running_it(tmp_path):
    result = run(tmp_path, "migrate", "--sql")
    if BACKEND == "postgresql":
        assert result.exit_code == 0, result.output
        assert "PARTITION BY RANGE (local_day)" in result.output and "INSERT INTO alembic_version" in result.output
    else:  # m002's local hours need Python's time zones, which SQLite has not
        assert result.exit_code == 1 and "m002 on SQLite computes local hours" in result.output
    assert "has no schema yet" in run(tmp_path, "org", "list").output  # nothing was run
    assert "COLLECTOR_BATCH_MAX (int: a whole number from 1 to 10000; default 500)" in run(tmp_path, "settings").output


def test_every_command_has_help():
    from collector.cli import collector
    def walk(group):
        for name, command in group.commands.items():
            assert command.help, name
            if hasattr(command, "commands"):
                walk(command)
    walk(collector)


def test_user_password_and_disable_end_sessions_through_the_cli(tmp_path):
    from collector import auth
    app = create_collector({"TESTING": True}, instance_path=tmp_path)
    engine = app.extensions["skm_engine"]
    auth.create_user(engine, "ani", "Ani", "kata-sandi-panjang", "pimpinan", [])
    store.start_session(engine, "a" * 64, "ani")
    store.start_session(engine, "b" * 64, "ani")
    run = CliRunner().invoke
    changed = run(main, ["collector", "--instance", str(tmp_path), "user", "password", "ani", "--password",
                         "kata-sandi-baru-1"])
    assert changed.exit_code == 0 and "2 session(s) ended" in changed.output
    store.start_session(engine, "c" * 64, "ani")
    disabled = run(main, ["collector", "--instance", str(tmp_path), "user", "disable", "ani"])
    assert disabled.exit_code == 0 and "disabled, 1 session(s) ended" in disabled.output
    assert store.get_user(engine, "ani")["disabled"]
    assert [(e["action"], e["target"]) for e in store.audit_entries(engine, 2)] == [
        ("user_disabled", "ani"), ("password_changed", "ani")]
    missing = run(main, ["collector", "--instance", str(tmp_path), "user", "disable", "nobody"])
    assert missing.exit_code == 1 and "does not exist" in missing.output


def test_officer_pins_need_six_digits_and_a_costly_hash(tmp_path):
    seeded = tmp_path / "c"
    from tests.helpers import seed_collector
    seed_collector(seeded)
    base = ["collector", "--instance", str(seeded), "officer", "add", "198501012010011001", "--name", "Ani",
            "--unit", "dumai-disdukcapil", "--pin"]
    short = CliRunner().invoke(main, [*base, "2468"])
    assert short.exit_code == 2 and "at least 6 digits" in short.output
    assert CliRunner().invoke(main, [*base, "246813"]).exit_code == 0
    from tests.helpers import collector_engine
    engine = collector_engine(seeded)
    assert store.get_officer(engine, "198501012010011001")["pin_hash"].startswith("scrypt:131072:8:1$")
    engine.dispose()
