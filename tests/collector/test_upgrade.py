"""Databases of every earlier release, built by that release's own code (scripts/make_upgrade_fixtures.py
wrote them to tests/data/upgrade/), upgrade to the head with every row kept and every figure equal to a
fresh build of the same responses; the head's schema equals collector/schema.py (SecureDrop's
test_alembic_head_matches_db_models); each revision reproduces the schema its release shipped."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import func, insert, inspect, select, text

from collector import create_app, migrations, rollups, schema as t, store
from skm.cli import main
from skm.periods import Period
from tests.helpers import BACKEND, ROOT, collector_engine, postgres_url_for

FIXTURES = ROOT / "tests" / "data" / "upgrade"
SUFFIX = ".postgresql.sql" if BACKEND == "postgresql" else ".sqlite.sql"
RELEASES = {"0bea51c": "m001_initial", "0e00b86": "m002_dashboard", "af7f7b5": "m003_receipts",
            "7595fe2": "m004_aggregates_by_day", "2dc86cb": "m005_response_keys", "15c317e": "m006_officers",
            "9509f60": "m007_monthly_aggregates", "1b3a755": "m010_sessions"}
COMMITS = [c for c in RELEASES if (FIXTURES / f"collector-{c}{SUFFIX}").exists()]
EVERYTHING = Period("range", date(1970, 1, 1), date(2100, 1, 1))
KEPT_TABLES = ("pemda", "opd", "units", "services", "counters", "counter_services", "kiosks", "responses",
               "conflicts", "batches", "users", "user_units", "audit_log", "populations", "followups",
               "receipts_issued", "used_receipts", "rate_limits", "officers", "officer_notes", "kiosk_installs",
               "sessions", "login_throttle")


def test_every_release_has_a_fixture():
    expected = ("2dc86cb", "15c317e", "9509f60", "1b3a755") if BACKEND == "postgresql" else tuple(RELEASES)
    assert tuple(COMMITS) == expected


def last_release_before(revision: str) -> str:
    """The newest release whose schema is older than ``revision``: its database tests that revision with data."""
    order = [r.revision for r in migrations.script().walk_revisions()][::-1]  # base first
    return [c for c in COMMITS if order.index(RELEASES[c]) < order.index(revision)][-1]


def load(commit: str, instance: Path):
    """The release's database as the instance's database (a SQLite file, or a fresh PostgreSQL database)."""
    script = (FIXTURES / f"collector-{commit}{SUFFIX}").read_text()
    instance.mkdir(parents=True, exist_ok=True)
    if BACKEND == "postgresql":
        import psycopg
        with psycopg.connect(postgres_url_for(instance).replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(script)
    else:
        import sqlite3
        conn = sqlite3.connect(instance / "collector.db")
        conn.executescript(script)
        conn.close()
    return collector_engine(instance)


def load_at(revision: str, instance: Path, release_before: str):
    """The last release's database from before ``release_before``, with its data, brought to ``revision``:
    the database a revision after it upgrades."""
    commit = last_release_before(release_before)
    engine = load(commit, instance)
    with engine.begin() as conn:
        command.stamp(migrations.alembic_config(conn), RELEASES[commit])
        command.upgrade(migrations.alembic_config(conn), revision)
    return engine


def daily_index(engine, unit: str):
    """A unit's index over every day, from its daily aggregates alone (a table every revision keeps alike)."""
    rows = store.aggregate_totals(engine, [unit], EVERYTHING.start, EVERYTHING.end, suspect=None, group_by=("suspect",))
    return rollups.rollup_of(rows).result


def aggregate_figures(engine) -> tuple:
    """The daily, hourly and officer aggregate rows, and the monthly sums per unit, month and suspect, read
    so that any revision's tables answer: m018 keyed the monthly rows by service, counter and channel too,
    and their sums per unit and month must stay what they were."""
    daily, hourly, officer, _monthly = store.all_aggregates(engine, monthly=False)
    with engine.connect() as conn:
        names = [c["name"] for c in inspect(conn).get_columns("monthly_aggregates")
                 if c["name"] not in ("unit", "service", "counter", "channel", "month", "suspect")
                 and not c["name"].startswith("p_")]
        monthly = [tuple(r) for r in conn.execute(text(
            f"SELECT unit, month, suspect, {', '.join(f'sum({n})' for n in names)} FROM monthly_aggregates "
            f"GROUP BY unit, month, suspect ORDER BY unit, month, suspect"))]
    return daily, hourly, officer, monthly


def row_counts(engine) -> dict[str, int]:
    names = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        return {name: conn.execute(text(f"SELECT COUNT(*) FROM {name}")).scalar()
                for name in KEPT_TABLES if name in names}


@pytest.mark.parametrize("commit", COMMITS)
def test_a_release_database_upgrades_with_every_row_and_figure(commit, tmp_path):
    engine = load(commit, tmp_path / "old")
    counts = row_counts(engine)
    assert counts["responses"] > 200 and counts["conflicts"] == 2
    with pytest.raises(migrations.SchemaNotCurrent, match=f"at schema revision {RELEASES[commit]}, this version "
                                                          f"needs .*: run `skm collector migrate` first"):
        create_app({"TESTING": True}, instance_path=tmp_path / "old")

    result = CliRunner().invoke(main, ["collector", "--instance", str(tmp_path / "old"), "migrate"])
    assert result.exit_code == 0, result.output
    if RELEASES[commit] == migrations.head():  # only stamped: the old _migrations table had the head's steps
        assert f"schema up to date at {migrations.head()}" in result.output
    else:
        assert f"schema upgraded from {RELEASES[commit]} to {migrations.head()}" in result.output
    assert migrations.differences(engine) == []
    assert {n: c for n, c in row_counts(engine).items() if n in counts} == counts

    fresh = fresh_build_of(engine, tmp_path / "fresh")
    assert store.all_aggregates(engine) == store.all_aggregates(fresh)  # both at the head: every row
    for unit in store.all_units(engine):
        upgraded, rebuilt = (rollups.rollup(e, [unit["code"]], EVERYTHING) for e in (engine, fresh))
        assert upgraded.respondents > 80
        assert (upgraded.respondents, upgraded.result) == (rebuilt.respondents, rebuilt.result), unit["code"]
    app = create_app({"TESTING": True}, instance_path=tmp_path / "old")  # starts now
    assert app.test_client().get("/status").json["responses"] == counts["responses"]
    engine.dispose()
    fresh.dispose()


def fresh_build_of(engine, instance: Path):
    """A new database at the head holding the same raw responses, its aggregates built from them."""
    instance.mkdir()
    fresh = collector_engine(instance)
    migrations.upgrade(fresh)
    with engine.connect() as conn:
        responses = [dict(r._mapping) for r in conn.execute(select(t.responses))]
    store.prepare_for_days(fresh, store.days_in(engine))
    with fresh.begin() as conn:
        conn.execute(insert(t.responses), responses)
    store.rebuild_aggregates(fresh)
    return fresh


@pytest.mark.parametrize("commit", COMMITS)
def test_each_revision_builds_the_schema_its_release_shipped(commit, tmp_path):
    shipped = schema_of(load(commit, tmp_path / "old"))
    (tmp_path / "new").mkdir()
    engine = collector_engine(tmp_path / "new")
    with engine.begin() as conn:
        command.upgrade(migrations.alembic_config(conn), RELEASES[commit])
    assert schema_of(engine) == shipped
    engine.dispose()


def schema_of(engine) -> dict:
    """Every table's columns (name, type, nullable), primary key, indexes and foreign keys."""
    inspector = inspect(engine)
    tables = [n for n in inspector.get_table_names() if migrations.include_name(n, "table", {})
              and n != "alembic_version"]
    return {name: ({c["name"]: (str(c["type"]), c["nullable"]) for c in inspector.get_columns(name)},
                   sorted(inspector.get_pk_constraint(name)["constrained_columns"]),
                   sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes(name)),
                   sorted((tuple(f["constrained_columns"]), f["referred_table"]) for f in inspector.get_foreign_keys(name)))
            for name in tables}


def test_the_head_matches_the_models(tmp_path):
    engine = collector_engine(tmp_path)
    migrations.upgrade(engine)
    assert migrations.differences(engine) == []
    engine.dispose()


def test_kiosk_clocks_and_installs_revision_keeps_every_response_and_kiosk(tmp_path):
    """m008 -> m009 with data: the responses keep their times (claimed time unknown, skew 0), the kiosks
    their secrets, and no install is invented."""
    commit = last_release_before("m009_kiosk_clocks_and_installs")
    engine = load(commit, tmp_path / "old")
    with engine.begin() as conn:  # that release's database (old steps table: stamped first), brought to m008
        command.stamp(migrations.alembic_config(conn), RELEASES[commit])
        command.upgrade(migrations.alembic_config(conn), "m008_receipt_codes")
    with engine.connect() as conn:
        before = {r.id: (r.submitted_at, r.local_day) for r in conn.execute(text("SELECT * FROM responses"))}
        kiosks = {r.id: r.secret for r in conn.execute(text("SELECT id, secret FROM kiosks"))}
    migrations.upgrade(engine)
    with engine.connect() as conn:
        r = t.responses  # (its column types read the ids m017 keeps as BLOBs on SQLite)
        after = conn.execute(select(r.c.id, r.c.submitted_at, r.c.local_day, r.c.claimed_submitted_at,
                                    r.c.clock_skew_ms)).all()
        assert {r.id: (r.submitted_at, str(r.local_day)) for r in after} == \
            {i: (s, str(d)) for i, (s, d) in before.items()} and len(before) > 200
        assert {(r.claimed_submitted_at, r.clock_skew_ms) for r in after} == {(None, 0)}
        assert {r.id: r.secret for r in conn.execute(text("SELECT id, secret FROM kiosks"))} == kiosks
        assert conn.execute(text("SELECT COUNT(*) FROM kiosk_installs")).scalar() == 0
    assert migrations.differences(engine) == []
    engine.dispose()


def test_m010_moves_sign_in_failures_and_starts_without_sessions(tmp_path):
    engine = collector_engine(tmp_path)
    with engine.begin() as conn:
        command.upgrade(migrations.alembic_config(conn), "m009_kiosk_clocks_and_installs")
        conn.execute(text("INSERT INTO users (username, name, password_hash, role, created_at, failed_logins, "
                          "next_attempt_at, disabled) VALUES ('ani', 'Ani', 'x', 'pimpinan', '2026-01-01', 4, "
                          "'2030-01-01T00:00:00+00:00', false), ('budi', 'Budi', 'x', 'pimpinan', '2026-01-01', 0, "
                          "NULL, false)"))
    migrations.upgrade(engine)
    assert store.login_failures(engine, "ani") == 4 and store.login_failures(engine, "budi") == 0
    with engine.connect() as conn:
        assert conn.execute(select(t.login_throttle.c.next_attempt_at)).scalars().all() == \
            ["2030-01-01T00:00:00+00:00"]
        assert conn.execute(select(t.sessions)).all() == []
    engine.dispose()


def test_m011_keeps_accounts_and_follow_ups_and_starts_without_alerts(tmp_path):
    """m010 -> m011 with data: every account and follow-up kept with its values, no e-mail address or done day
    invented, no alert, rule or e-mail."""
    engine = collector_engine(tmp_path)
    with engine.begin() as conn:
        command.upgrade(migrations.alembic_config(conn), "m010_sessions")
        conn.execute(text("INSERT INTO pemda (code, name) VALUES ('p', 'P')"))
        conn.execute(text("INSERT INTO opd (code, pemda, name) VALUES ('o', 'p', 'O')"))
        conn.execute(text("INSERT INTO units (code, opd, name) VALUES ('u', 'o', 'U')"))
        conn.execute(text("INSERT INTO users (username, name, password_hash, role, created_at, failed_logins, "
                          "disabled) VALUES ('ani', 'Ani', 'x', 'kepala_unit', '2026-01-01', 0, false)"))
        conn.execute(text("INSERT INTO followups (unit, period, unsur, action, person, deadline, status, updated_by, "
                          "updated_at) VALUES ('u', '2026-q1', 'waktu', 'Tambah loket', 'Ani', '2026-03-31', "
                          "'selesai', 'ani', '2026-03-01T00:00:00+00:00')"))
    migrations.upgrade(engine)
    assert migrations.differences(engine) == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT username, role, email FROM users")).all() == [("ani", "kepala_unit", None)]
        [row] = conn.execute(select(t.followups)).mappings().all()
        assert (row["action"], row["person"], row["deadline"], row["status"], row["done_on"], row["source"]) == \
            ("Tambah loket", "Ani", date(2026, 3, 31), "selesai", None, None)
        for table in (t.alerts, t.alert_rules, t.mail_log):
            assert conn.execute(select(table)).all() == []
    assert store.followups_due(engine, ["u"], date(2026, 12, 31)) == []  # selesai: not due
    engine.dispose()


def test_m012_adds_an_empty_signature_block_and_keeps_every_unit(tmp_path):
    """m011 -> m012 with units in it: each keeps its name, zone and volume, and has no signatory yet; one can
    then be set and is read back."""
    engine = collector_engine(tmp_path)
    with engine.begin() as conn:
        command.upgrade(migrations.alembic_config(conn), "m011_alerts")
        conn.execute(text("INSERT INTO pemda (code, name) VALUES ('dumai', 'Kota Dumai')"))
        conn.execute(text("INSERT INTO opd (code, pemda, name) VALUES ('dukcapil', 'dumai', 'Disdukcapil')"))
        conn.execute(text("INSERT INTO units (code, opd, name, timezone, monthly_volume, officer_ranking) VALUES "
                          "('u1', 'dukcapil', 'Kantor Dukcapil', 'Asia/Jakarta', 900, false), "
                          "('u2', 'dukcapil', 'Loket Kecamatan', 'Asia/Makassar', NULL, true)"))
    migrations.upgrade(engine)
    assert migrations.differences(engine) == []
    u1, u2 = store.get_unit(engine, "u1"), store.get_unit(engine, "u2")
    assert (u1["name"], u1["timezone"], u1["monthly_volume"]) == ("Kantor Dukcapil", "Asia/Jakarta", 900)
    assert (u2["name"], u2["timezone"], bool(u2["officer_ranking"])) == ("Loket Kecamatan", "Asia/Makassar", True)
    assert [(u["head_name"], u["head_nip"], u["report_place"]) for u in (u1, u2)] == [(None, None, None)] * 2
    store.set_signatory(engine, "u1", "Dra. Siti Aminah, M.Si.", "197003121995032001", "Dumai")
    assert store.get_unit(engine, "u1")["head_nip"] == "197003121995032001"
    assert store.get_unit(engine, "u2")["head_name"] is None
    engine.dispose()


def test_m013_keeps_every_response_and_takes_the_ids_from_responses_on_sqlite(tmp_path):
    """m012 -> m013 with data: every response and figure kept; on SQLite response_keys is gone and the ids are
    looked up in responses (a resend is a duplicate, other content a conflict); PostgreSQL keeps its keys."""
    from zoneinfo import ZoneInfo
    from skm import CODES, PROFILE, wire
    commit = last_release_before("m013_sqlite_keys")
    engine = load(commit, tmp_path / "old")
    with engine.begin() as conn:  # that release's database (stamped, if of the old steps table), brought to m012
        command.stamp(migrations.alembic_config(conn), RELEASES[commit])
        command.upgrade(migrations.alembic_config(conn), "m012_signatory")
    with engine.connect() as conn:
        before = sorted(tuple(r) for r in conn.execute(select(t.responses)))
        keys = sorted(tuple(r) for r in conn.execute(text("SELECT id, content_hash FROM response_keys")))
    figures = aggregate_figures(engine)
    indices = {u["code"]: daily_index(engine, u["code"]) for u in store.all_units(engine)}
    assert len(before) > 200 and len(keys) == len(before)
    migrations.upgrade(engine)
    assert migrations.differences(engine) == []
    tables = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert sorted(tuple(r) for r in conn.execute(select(t.responses))) == before
        if BACKEND == "postgresql":
            assert sorted(tuple(r) for r in conn.execute(text("SELECT id, content_hash FROM response_keys"))) == keys
        else:
            assert "response_keys" not in tables
        stored = dict(conn.execute(select(t.responses)).first()._mapping)
    assert aggregate_figures(engine) == figures
    assert {u["code"]: daily_index(engine, u["code"])
            for u in store.all_units(engine)} == indices
    sent = wire.validate_wire_response(wire.response_to_wire(stored, CODES, tuple(f.name for f in PROFILE)))
    zone = ZoneInfo("Asia/Jakarta")
    again, _note = store.ingest(engine, stored["kiosk_id"], "0b1e3c4d-0000-4000-8000-000000000012", "api",
                                [(sent, stored["content_hash"])], [], zone)
    other, _note = store.ingest(engine, stored["kiosk_id"], "0b1e3c4d-0000-4000-8000-000000000013", "api",
                                [(sent, "0" * 64)], [], zone)
    assert [o.status for o in again] == ["duplicate"] and [o.status for o in other] == ["conflict"]
    assert store.response_count(engine) == len(before) and aggregate_figures(engine) == figures
    engine.dispose()


@pytest.mark.sqlite
def test_m013_refuses_a_key_without_its_response_and_changes_nothing(tmp_path):
    engine = load_at("m012_signatory", tmp_path / "old", release_before="m013_sqlite_keys")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO response_keys (id, content_hash) VALUES "
                          "('00000000-0000-4000-8000-00000000dead', 'ff')"))
    with pytest.raises(RuntimeError, match="1 ids of response_keys have no response with that content hash"):
        migrations.upgrade(engine)
    with engine.connect() as conn:
        assert migrations.current_revision(conn) == "m012_signatory"
        assert conn.execute(text("SELECT COUNT(*) FROM response_keys")).scalar() > 200
    engine.dispose()


def test_m014_keeps_every_unit_and_response_and_starts_without_publications(tmp_path):
    """m013 -> m014 with data: every unit, response and figure kept, no publication invented; one can then be
    recorded for a unit's period and is read back."""
    engine = load_at("m013_sqlite_keys", tmp_path / "old", release_before="m013_sqlite_keys")
    with engine.connect() as conn:
        before = sorted(tuple(r) for r in conn.execute(select(t.responses)))
    units = store.all_units(engine)
    figures = aggregate_figures(engine)
    indices = {u["code"]: daily_index(engine, u["code"]) for u in units}
    assert len(before) > 200 and units
    migrations.upgrade(engine)
    assert migrations.differences(engine) == []
    with engine.connect() as conn:
        assert sorted(tuple(r) for r in conn.execute(select(t.responses))) == before
        assert conn.execute(select(t.publications)).all() == []
    assert store.all_units(engine) == units and aggregate_figures(engine) == figures
    assert {u["code"]: daily_index(engine, u["code"]) for u in units} == indices
    code = units[0]["code"]
    store.add_publication(engine, code, "2026-T3", date(2026, 10, 15), "papan", "Lobi kantor", "admin")
    assert [(p["unit"], p["published_on"], p["medium"], p["place"]) for p in store.publications(engine, code, "2026-T3")] \
        == [(code, date(2026, 10, 15), "papan", "Lobi kantor")]
    engine.dispose()


def test_m016_starts_without_theme_counts_and_the_page_counts_the_comments_until_a_rebuild(tmp_path):
    """m014 -> m016 with data: every response and figure kept, no theme count invented (a revision cannot tag
    comments), so the themes are counted from the comments themselves; a rebuild counts them with the
    same figures."""
    from collector import themes
    from skm import themes as lexicons
    engine = load_at("m014_publications", tmp_path / "old", release_before="m013_sqlite_keys")
    with engine.connect() as conn:
        before = sorted(tuple(r) for r in conn.execute(select(t.responses)))
        commented = conn.execute(select(t.responses.c.unit).where(t.responses.c.comment.is_not(None),
                                                                   t.responses.c.comment != "",
                                                                   t.responses.c.suspect.is_(False))).all()
    figures = aggregate_figures(engine)
    assert len(before) > 200 and commented
    unit = commented[0][0]
    migrations.upgrade(engine)
    assert migrations.differences(engine) == []
    with engine.connect() as conn:
        assert sorted(tuple(r) for r in conn.execute(select(t.responses))) == before
    assert aggregate_figures(engine) == figures
    assert store.theme_counts(engine) == [] and store.complete_lexicons(engine) == []
    lexicon = lexicons.default_lexicon()
    def page():
        shown = themes.unit_section(engine, lexicon, [unit], EVERYTHING, "id")
        return shown["comments"], {r.code: r.count for r in shown["themes"] + shown["signals"]}
    counted = themes.counts(lexicon, (r["comment"] for r in store.period_comments(engine, [unit], EVERYTHING.start,
                                                                                EVERYTHING.end)))
    assert page() == counted and counted[0] == sum(1 for (u,) in commented if u == unit)
    assert store.rebuild_theme_counts(engine, lexicon) == len(commented)
    assert store.complete_lexicons(engine) == [lexicon.fingerprint]
    assert store.theme_totals(engine, lexicon, [unit], [(EVERYTHING.start, EVERYTHING.end)]) is not None
    assert page() == counted
    engine.dispose()


def test_migrate_counts_the_themes_of_an_upgraded_databases_comments_once(tmp_path):
    """``skm collector migrate`` of a database from before m016: the schema upgraded, then every trusted
    comment's themes counted with the lexicon in use, as a rebuild counts them; migrating again counts
    nothing."""
    import re

    from skm import themes as lexicons
    instance = tmp_path / "old"
    engine = load(last_release_before("m013_sqlite_keys"), instance)
    with engine.connect() as conn:
        commented = len(conn.execute(select(t.responses.c.id).where(
            t.responses.c.comment.is_not(None), t.responses.c.comment != "", t.responses.c.suspect.is_(False))).all())
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    env = {"SKM_COLLECTOR_DATABASE_URL": url}
    done = CliRunner().invoke(main, ["collector", "--instance", str(instance), "migrate"], env=env)
    assert done.exit_code == 0, done.output
    found = re.search(r"the themes of (\d+) comments counted with the lexicon in use", done.output)
    assert "schema upgraded from " in done.output and found and int(found[1]) == commented > 0, done.output
    engine = collector_engine(instance)
    lexicon = lexicons.default_lexicon()
    assert store.complete_lexicons(engine) == [lexicon.fingerprint]
    counted = store.theme_counts(engine)
    assert counted and store.rebuild_theme_counts(engine, lexicon) == commented and store.theme_counts(engine) == counted
    again = CliRunner().invoke(main, ["collector", "--instance", str(instance), "migrate"], env=env)
    assert again.exit_code == 0 and "schema up to date" in again.output and "themes of" not in again.output
    engine.dispose()


def test_m017_compacts_the_responses_on_sqlite_and_keeps_every_figure(tmp_path):
    """m016 -> m017 with data (several kiosks, skewed clocks, suspect rows, comments): every response as the
    code reads it, every index and export row kept, a resend a duplicate and other content a conflict; on
    SQLite the ids and hashes are BLOBs after it, the rows' bytes smaller; the downgrade gives the text back."""
    from zoneinfo import ZoneInfo
    from skm import CODES, PROFILE, wire
    engine = load_at("m016_theme_counts", tmp_path / "old", release_before="m013_sqlite_keys")

    def state():
        with engine.connect() as conn:
            responses = sorted(tuple(r) for r in conn.execute(select(t.responses)))
        units = [u["code"] for u in store.all_units(engine)]
        exported = {u: list(store.raw_responses(engine, [u], EVERYTHING.start, EVERYTHING.end)) for u in units}
        indices = {u: daily_index(engine, u) for u in units}
        return responses, exported, indices, aggregate_figures(engine)

    def stored_bytes() -> dict[str, int]:
        with engine.connect() as conn:
            types = {c: tuple(conn.exec_driver_sql(f"SELECT count({c}), sum(typeof({c}) = 'blob') FROM responses").one())
                     for c in ("id", "kiosk_id", "batch_id", "content_hash")}  # (values, BLOBs)
            payload = conn.exec_driver_sql("SELECT sum(payload) FROM dbstat WHERE name = 'responses' OR name IN "
                                           "(SELECT name FROM sqlite_master WHERE tbl_name = 'responses')").scalar()
        return {**types, "payload": payload}

    before = state()
    responses, exported, _indices, _figures = before
    assert len(responses) > 200 and len({r[1] for r in responses}) >= 2
    assert sum(len(rows) for rows in exported.values()) == len(responses)
    with engine.connect() as conn:
        kept = conn.execute(select(func.count()).select_from(t.responses).where(
            t.responses.c.clock_skew_ms != 0, t.responses.c.suspect.is_(True), t.responses.c.comment.is_not(None)
        )).scalar_one()
    assert kept > 0  # skewed, suspect and commented rows among them
    if BACKEND != "postgresql":
        text_bytes = stored_bytes()
        assert text_bytes["id"] == text_bytes["content_hash"] == (len(responses), 0)
        assert text_bytes["kiosk_id"][0] > 200 and text_bytes["batch_id"][0] > 200
        assert text_bytes["kiosk_id"][1] == text_bytes["batch_id"][1] == 0
    migrations.upgrade(engine)
    assert migrations.differences(engine) == []
    assert state() == before
    if BACKEND != "postgresql":
        compact = stored_bytes()
        assert all(compact[c] == (text_bytes[c][0],) * 2 for c in ("id", "kiosk_id", "batch_id", "content_hash"))
        # 20 bytes less in each of three UUIDs and 32 in the hash; 20 less in each index on an id
        assert compact["payload"] <= text_bytes["payload"] - 130 * len(responses), (compact, text_bytes)

    with engine.connect() as conn:
        stored = dict(conn.execute(select(t.responses).order_by(t.responses.c.id)).first()._mapping)
    sent = wire.validate_wire_response(wire.response_to_wire(stored, CODES, tuple(f.name for f in PROFILE)))
    zone = ZoneInfo("Asia/Jakarta")
    again, _note = store.ingest(engine, stored["kiosk_id"], "0b1e3c4d-0000-4000-8000-000000000015", "api",
                                [(sent, stored["content_hash"])], [], zone)
    other, _note = store.ingest(engine, stored["kiosk_id"], "0b1e3c4d-0000-4000-8000-000000000016", "api",
                                [(sent, "0" * 64)], [], zone)
    assert [o.status for o in again] == ["duplicate"] and [o.status for o in other] == ["conflict"]
    assert state() == before

    with engine.begin() as conn:
        command.downgrade(migrations.alembic_config(conn), "m016_theme_counts")
    assert state() == before
    if BACKEND != "postgresql":
        assert stored_bytes() == text_bytes
    engine.dispose()


def test_m018_keys_the_monthly_aggregates_like_the_daily_ones_and_keeps_every_figure(tmp_path):
    """m017 -> m018 with data: the monthly rows become the daily rows summed per month (exactly what a
    rebuild makes), their sums per unit and month stay, the index over whole months read from them equals
    the daily aggregates' for every unit and triwulan; the downgrade gives the old rows back."""
    from skm.periods import containing
    engine = load_at("m017_sqlite_compact", tmp_path / "old", release_before="m013_sqlite_keys")
    before = aggregate_figures(engine)
    units = [u["code"] for u in store.all_units(engine)]
    days = sorted({r["day"] for r in before[0]})
    triwulans = sorted({containing("triwulan", d if isinstance(d, date) else date.fromisoformat(str(d)))
                        for d in days}, key=lambda p: p.start)
    first, last = (d if isinstance(d, date) else date.fromisoformat(str(d)) for d in (days[0], days[-1]))
    ragged = Period("range", first.replace(day=min(first.day + 3, 28)), last)  # whole months and edge days
    assert len(before[3]) > 5 and len(triwulans) >= 2 and store.whole_months(ragged.start, ragged.end)
    assert ragged.start.day != 1 and ragged.end.day != 1
    migrations.upgrade(engine)
    assert migrations.differences(engine) == []
    assert aggregate_figures(engine) == before  # daily, hourly, officer rows; monthly sums per unit and month
    keyed = store.monthly_rows(engine)
    assert len(keyed) > len(before[3]) and {r["unit"] for r in keyed} <= set(units)
    store.rebuild_aggregates(engine)
    assert store.monthly_rows(engine) == keyed  # what a rebuild makes from the raw responses
    for unit in units:
        assert rollups.rollup(engine, [unit], EVERYTHING).result == daily_index(engine, unit)
        for period in [*triwulans, ragged]:
            daily = store.aggregate_totals(engine, [unit], period.start, period.end, suspect=None,
                                           group_by=("service", "counter", "channel", "suspect"))
            read = store.grouped_totals(engine, [unit], period.start, period.end, ("service", "counter", "channel"))
            key = lambda r: (r["service"], r["counter"], r["channel"], bool(r["suspect"]))  # noqa: E731
            assert sorted((key(r), {c: r[c] for c in store.SUM_COLUMNS}) for r in read) == \
                sorted((key(r), {c: r[c] for c in store.SUM_COLUMNS}) for r in daily), (unit, period.key())
    with engine.begin() as conn:
        command.downgrade(migrations.alembic_config(conn), "m017_sqlite_compact")
    assert aggregate_figures(engine) == before
    engine.dispose()
