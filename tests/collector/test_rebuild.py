"""``rebuild-aggregates`` in set-based SQL gives exactly the rows the incremental ingest added up (every
aggregate table: daily with the profile counts, hourly, per officer, monthly), on both backends."""
import random
from datetime import datetime, timedelta, timezone

from click.testing import CliRunner

from collector import store
from collector.store.aggregates import aggregate_rows
from skm import CODES, PROFILE
from skm.cli import main
from tests.helpers import wire_response

OFFICERS = ("198701012010011001", "199002022012012002")
COUNTERS = {"1": ["ktp-el"], "2": ["kk", "pindah"], "6": ["ktp-el", "kk", "akta-lahir"]}


def varied_responses(n: int, rnd: random.Random) -> list[dict]:
    """Responses over three months and around local midnight, at several counters, services, channels and
    officers, with every profile answer or none, some suspect."""
    start = datetime(2026, 9, 30, 16, 30, tzinfo=timezone.utc)  # 23:30 in Jakarta: days split in local time
    out = []
    for seq in range(1, n + 1):
        counter = rnd.choice(list(COUNTERS))
        submitted = start + timedelta(minutes=rnd.randrange(0, 60 * 24 * 75))
        suspect = rnd.random() < 0.15
        out.append(wire_response(
            seq=seq, counter=counter, service=rnd.choice(COUNTERS[counter]), channel=rnd.choice(["kiosk", "qr"]),
            officer=rnd.choice([None, *OFFICERS]),
            answers={code: rnd.randint(1, 4) for code in CODES},
            profile={f.name: v for f in PROFILE if (v := rnd.choice([*f.values, None])) is not None},
            started_at=(submitted - timedelta(seconds=40)).isoformat(timespec="milliseconds"),
            submitted_at=submitted.isoformat(timespec="milliseconds"), duration_ms=40000,
            suspect=suspect, suspect_reason="burst" if suspect else None))
    return out


def test_sql_rebuild_equals_incremental_ingest_in_every_table(kiosk, engine, instance):
    for nip in OFFICERS:
        store.save_officer(engine, nip, f"Petugas {nip[-1]}", "dumai-disdukcapil", "x")
    responses = varied_responses(400, random.Random(16))
    for part in range(0, len(responses), 50):
        assert kiosk.push(responses[part:part + 50]).status_code == 200
    assert store.response_count(engine) == 400
    incremental = store.all_aggregates(engine)
    daily, hourly, officer, monthly = incremental
    assert sum(r["responses"] for r in daily) == 400 and len(monthly) >= 6 and officer and hourly
    assert any(r["suspect"] for r in daily) and {r["channel"] for r in daily} == {"kiosk", "qr"}

    result = CliRunner().invoke(main, ["collector", "--instance", str(instance), "rebuild-aggregates"])
    assert result.exit_code == 0, result.output
    assert f"{len(daily)} daily aggregate rows rebuilt from 400 responses" in result.output
    assert store.all_aggregates(engine) == incremental


def test_the_rebuild_agrees_with_the_row_by_row_sums(kiosk, engine):
    """Independently of the ingest: the daily rows equal aggregate_rows over the stored responses."""
    responses = varied_responses(120, random.Random(7))
    assert kiosk.push(responses).status_code == 200
    store.rebuild_aggregates(engine)
    from sqlalchemy import select
    from collector import schema
    with engine.connect() as conn:
        stored = [dict(r._mapping) for r in conn.execute(select(schema.responses))]
    expected_daily = aggregate_rows(stored)[0]
    got = {(r["unit"], r["service"], r["counter"], r["channel"], r["day"], bool(r["suspect"])): r
           for r in store.aggregates(engine)}
    assert {(k[0], k[1], k[2], k[3], str(k[4]), k[5]) for k in got} == \
        {(k[0], k[1], k[2], k[3], str(k[4]), k[5]) for k in expected_daily}
    for key, delta in expected_daily.items():
        row = got[key]
        assert {name: row[name] for name in delta} == delta


def test_a_rebuild_of_nothing_leaves_no_rows(engine):
    assert store.rebuild_aggregates(engine) == 0
    assert store.all_aggregates(engine) == ([], [], [], [])
