"""Reads never wait for writes: a dashboard page reads in read transactions (on SQLite a WAL reader, not
BEGIN IMMEDIATE), so it answers while an ingest holds the write lock; and a read transaction cannot write.
The unit page's period figures come from one grouped read and equal the per-figure queries and skm's own
computation on the raw responses."""
import re
import sqlite3
from datetime import date
from fractions import Fraction

import pytest
from sqlalchemy import event, exc, insert, select

from collector import demo, reports, rollups, schema, store
from skm import CODES, IndexOptions, from_responses
from skm.periods import parse
from tests.helpers import create_collector, hidden

UNIT = "dumai-disdukcapil"
PERIODS = ["2026-T4", "2026-11", "2026-10-01..2026-11-10"]


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("reads")
    app = create_collector({"TESTING": True}, instance_path=instance)
    demo.build(app.extensions["skm_engine"], months=4, scale=0.1, end=date(2026, 11, 20))
    app.config["instance_folder"] = instance
    return app


@pytest.fixture
def engine(demo_app):
    return demo_app.extensions["skm_engine"]


def signed_in(app):
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"csrf_token": hidden(html, "csrf_token"), "username": "admin",
                                           "password": demo.DEMO_PASSWORD})
    assert response.status_code == 302
    return client


def test_a_read_transaction_cannot_write_and_its_connection_writes_again_afterwards(engine):
    with pytest.raises(exc.DBAPIError):
        with store.reading(engine) as conn:
            conn.execute(insert(schema.opd).values(code="baru", name="Baru", pemda="dumai"))
    assert baru(engine) is None  # nothing left behind
    # The pooled connections read-only once are writable again in a write transaction.
    for _ in range(3):
        with store.reading(engine) as conn:
            conn.execute(select(schema.opd.c.code)).all()
    store.save_opd(engine, "baru", "dumai", "Baru")
    assert baru(engine) == "Baru"


def baru(engine):
    with store.reading(engine) as conn:
        return conn.execute(select(schema.opd.c.name).where(schema.opd.c.code == "baru")).scalar()


@pytest.mark.sqlite
def test_the_unit_page_takes_no_write_lock(demo_app, engine):
    client = signed_in(demo_app)
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(f"/unit/{UNIT}?period=2026-T4").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert "BEGIN" in statements and "BEGIN IMMEDIATE" not in statements


@pytest.mark.sqlite
def test_the_unit_page_answers_while_an_ingest_holds_the_write_lock(demo_app, engine):
    client = signed_in(demo_app)
    path = f"/unit/{UNIT}?period=2026-T4"
    before = client.get(path).get_data(as_text=True)
    db = demo_app.config["instance_folder"] / "collector.db"
    writer = sqlite3.connect(db, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # what an ingest transaction takes first
        writer.execute("UPDATE daily_aggregates SET responses = responses + 1000 WHERE unit = ?", (UNIT,))
        page = client.get(path)
        assert page.status_code == 200
        assert client.get("/readyz").status_code == 200  # a readiness probe reads too
        assert client.get("/publik/dumai-disdukcapil").status_code == 200
        assert client.get("/status").status_code == 200
        assert writer.in_transaction
        probe = sqlite3.connect(db, timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                probe.execute("BEGIN IMMEDIATE")  # the writer still holds the lock: the page did not wait for it
        finally:
            probe.close()
        assert without_tokens(page.get_data(as_text=True)) == without_tokens(before)  # the last committed state
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def without_tokens(html: str) -> str:
    """A page without its CSRF tokens (signed with the time, so they differ from one second to the next)."""
    return re.sub(r'name="csrf_token"[^>]*>', "", html)


def raw(engine, period, leave_out=()):
    return [r for r in store.raw_responses(engine, [UNIT], period.start, period.end, leave_out)]


def index_of_raw(rows):
    trusted = [r for r in rows if not r["suspect"]]
    return (from_responses([{c: r[c] for c in CODES} for r in trusted]) if trusted else None), len(trusted)


@pytest.mark.parametrize("text", PERIODS)
@pytest.mark.parametrize("leave_out", [(), ("qr",)])
def test_sections_equal_the_per_figure_queries_and_the_raw_responses(engine, text, leave_out):
    period = parse(text)
    got = rollups.sections(engine, [UNIT], period, leave_out=leave_out)
    trusted = store.aggregate_totals(engine, [UNIT], period.start, period.end, leave_out=leave_out)
    suspect = store.aggregate_totals(engine, [UNIT], period.start, period.end, suspect=True, leave_out=leave_out)
    old = rollups.Rollup(trusted[0]["responses"], suspect[0]["responses"] if suspect else 0,
                         rollups.index_of(trusted[0], IndexOptions()), trusted[0])
    assert (got.current.respondents, got.current.suspect, got.current.result, got.current.profile()) == (
        old.respondents, old.suspect, old.result, old.profile())
    rows = raw(engine, period, leave_out)
    assert (got.current.result, got.current.respondents) == index_of_raw(rows)
    assert got.current.suspect == sum(1 for r in rows if r["suspect"])
    assert got.previous == index_of_raw(raw(engine, period.previous(), leave_out))[0]
    assert got.previous == rollups.rollup(engine, [UNIT], period.previous(), leave_out=leave_out).result
    assert got.current.respondents > 0
    for key in rollups.BREAKDOWNS:
        old = rollups.breakdown(engine, [UNIT], period, key, leave_out=leave_out)
        assert sorted(got.by[key]) == sorted(old) and [k for k, _n, _r in got.by[key]] == sorted(k for k, _n, _r in old)
        rows = raw(engine, period, leave_out)
        for value, n, result in got.by[key]:
            assert (result, n) == index_of_raw([r for r in rows if r[key] == value])
    assert got.share == rollups.channel_share(engine, [UNIT], period)


@pytest.mark.parametrize("leave_out", [(), ("link",), ("qr",)])
def test_overview_sections_equal_the_per_unit_queries(engine, leave_out):
    period = parse("2026-T4")
    units = [u["code"] for u in store.all_units(engine)]
    current, previous, share = rollups.by_unit_sections(engine, units, period, leave_out=leave_out)
    for got, of in ((current, period), (previous, period.previous())):
        old = rollups.by_unit(engine, units, of, leave_out=leave_out)
        assert got.keys() == old.keys()
        for unit, rollup in got.items():
            assert (rollup.respondents, rollup.suspect, rollup.result) == (old[unit].respondents, old[unit].suspect,
                                                                           old[unit].result)
            assert rollup.row == {k: v for k, v in old[unit].row.items() if k != "unit"}  # old rows named the unit
    assert share == rollups.channel_share(engine, units, period)
    assert sum(r.respondents for r in current.values()) > 0


def test_the_unit_page_reads_the_period_in_one_aggregate_query(engine):
    unit = store.get_unit(engine, UNIT)
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        page = reports.unit_page(engine, unit, parse("2026-T4"))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    grouped = [s for s in statements if "aggregates.service" in s]  # the sections' one grouped read
    assert len(grouped) == 1 and "FROM monthly_aggregates" in grouped[0]
    assert not any("FROM daily_aggregates" in s for s in statements)  # a triwulan is whole months
    assert page["summary"].rollup.respondents == index_of_raw(raw(engine, parse("2026-T4")))[1]


@pytest.mark.parametrize("text", PERIODS)
def test_the_weekday_hour_grid_summed_in_sql_equals_the_raw_responses(engine, text):
    period = parse(text)
    expected: dict[tuple[int, int], list[int]] = {}
    for r in raw(engine, period):
        if not r["suspect"]:
            day = r["local_day"] if isinstance(r["local_day"], date) else date.fromisoformat(str(r["local_day"]))
            cell = expected.setdefault((day.weekday(), r["local_hour"]), [0, 0])
            cell[0] += 1
            cell[1] += sum(r[c] for c in CODES)
    grid = rollups.weekday_hour(engine, [UNIT], period)
    assert len(grid) > 5
    assert grid == {key: rollups.Cell(n, Fraction(total, 9 * n)) for key, (n, total) in expected.items()}
