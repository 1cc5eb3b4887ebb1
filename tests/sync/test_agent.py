"""The kiosk's sync agent against a real collector process: enrollment, push, ack, clock, revocation,
responses kept aside, the offline bundle and retention."""
import json
import random
import uuid
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner

from collector import store as cstore
from kiosk import create_app
from kiosk import store as kstore
from kiosk import sync
from skm import CODES, QUESTIONNAIRE_VERSION
from skm.cli import main
from tests.helpers import hidden, init_kiosk


@pytest.fixture
def kiosk(tmp_path, collector):
    """An enrolled kiosk's store, and its instance folder."""
    instance = init_kiosk(tmp_path / "kiosk")
    _kiosk_id, code = cstore.add_kiosk(collector.engine, "dumai-disdukcapil")
    db = kstore.connect(str(instance / "kiosk.db"))
    sync.enroll(db, collector.url, code)
    db.instance = instance
    yield db
    db.conn.close()


def add_responses(db, n, counter="2", service="kk", seed=1):
    rnd = random.Random(seed)
    ids = []
    for _ in range(n):
        row = {"id": str(uuid.uuid4()), "counter": counter, "service": service, "unit": kstore.get_setting(
            db, "unit_code"), "channel": "kiosk", "questionnaire_version": QUESTIONNAIRE_VERSION,
               "submitted_at": "2026-11-28T09:14:31.877+07:00", "started_at": "2026-11-28T09:14:01.000+07:00",
               "duration_ms": 30877, **{code: rnd.randint(1, 4) for code in CODES}}
        kstore.record_response(db, row, lambda tx, r: None)
        ids.append(row["id"])
    return ids


def states(db):
    return dict(db.conn.execute("SELECT sync_state, COUNT(*) FROM responses GROUP BY sync_state").fetchall())


def collector_ids(collector):
    return set(cstore.response_ids(collector.engine))


def test_enrollment_pulls_the_units_configuration(kiosk, collector):
    assert kstore.get_setting(kiosk, "collector_url") == collector.url
    assert kstore.unit(kiosk)["code"] == "dumai-disdukcapil"
    assert [c.code for c in kstore.counters(kiosk)] == ["1", "2", "3", "4", "5", "6"]


def test_push_in_batches_marks_synced_only_after_the_ack(kiosk, collector):
    ids = add_responses(kiosk, 23)
    report = sync.sync_once(kiosk, batch_size=10)
    assert report.ok, report.error
    assert (report.batches, report.accepted, report.backlog) == (3, 23, 0)
    assert states(kiosk) == {"synced": 23}
    assert set(ids) <= collector_ids(collector)
    again = sync.sync_once(kiosk, batch_size=10)
    assert again.ok and again.sent == 0


def test_a_resent_batch_after_a_lost_ack_comes_back_duplicate(kiosk, collector):
    ids = add_responses(kiosk, 5)
    # The collector stored the batch but the kiosk never saw the ack: the rows are still pending.
    creds = sync.credentials(kiosk)
    body = json.dumps({"batch_id": str(uuid.uuid4()), "responses": sync.pending_batch(kiosk, 10)}).encode()
    sync.Client(creds).request("POST", "/api/v1/batches", body)
    assert states(kiosk) == {"pending": 5}
    report = sync.sync_once(kiosk)
    assert (report.accepted, report.duplicate, report.backlog) == (0, 5, 0)
    assert states(kiosk) == {"synced": 5}
    assert cstore.response_count(collector.engine) >= 5 and set(ids) <= collector_ids(collector)


def test_a_wrong_kiosk_clock_is_corrected_not_locked_out(kiosk, collector):
    add_responses(kiosk, 2)
    kstore.set_settings(kiosk, clock_offset_ms=str(3 * 3600 * 1000))  # the kiosk runs three hours ahead
    report = sync.sync_once(kiosk)
    assert report.ok and report.accepted == 2
    assert abs(int(kstore.get_setting(kiosk, "clock_offset_ms"))) < 60_000


def test_a_revoked_kiosk_keeps_its_outbox_and_says_why(kiosk, collector):
    add_responses(kiosk, 3)
    cstore.revoke_kiosk(collector.engine, kstore.get_setting(kiosk, "kiosk_id"))
    report = sync.sync_once(kiosk)
    assert report.error.code == "revoked" and report.backlog == 3
    assert states(kiosk) == {"pending": 3}
    error = json.loads(kstore.get_setting(kiosk, "last_sync_error"))
    assert error["code"] == "revoked"


def test_invalid_responses_are_kept_aside_and_retried_after_the_tree_is_fixed(kiosk, collector):
    good = add_responses(kiosk, 2)
    bad = add_responses(kiosk, 1, counter="7", service="paspor", seed=2)
    report = sync.sync_once(kiosk)
    assert (report.accepted, report.invalid) == (2, 1) and report.ok
    row = kstore.get_response(kiosk, bad[0])
    assert row["sync_state"] == "invalid" and "counter '7' is not registered" in row["sync_note"]
    assert kstore.set_aside(kiosk)[0]["id"] == bad[0]
    cstore.save_counter(collector.engine, "dumai-disdukcapil", "7", "Loket 7", [("paspor", "Paspor")])
    assert sync.retry_invalid(kiosk) == 1
    assert sync.sync_once(kiosk).accepted == 1
    assert set(good + bad) <= collector_ids(collector)


def test_staff_page_shows_sync_state(kiosk, collector):
    add_responses(kiosk, 4)
    sync.sync_once(kiosk)
    app = create_app({"TESTING": True}, instance_path=kiosk.instance)
    client = app.test_client()
    html = client.get("/staff/login").get_data(as_text=True)
    client.post("/staff/login", data={"csrf_token": hidden(html, "csrf_token"), "pin": "4321"})
    page = client.get("/staff/").get_data(as_text=True)
    assert '<dd id="backlog">0</dd>' in page
    assert "4 terkirim (4 baru, 0 sudah ada)" in page
    assert 'id="last-success">' in page and "belum pernah" not in page.split('id="last-success">')[1][:40]


def test_bundle_export_and_import_twice_then_the_push_is_a_duplicate(kiosk, collector, tmp_path):
    ids = add_responses(kiosk, 6)
    out = tmp_path / "bundle.json"
    run = CliRunner().invoke
    exported = run(main, ["kiosk", "--instance", str(kiosk.instance), "export", "--out", str(out)])
    assert exported.exit_code == 0 and "6 responses written" in exported.output
    assert states(kiosk) == {"pending": 6}  # nothing is marked by an export
    collector_cli = ["collector", "--instance", str(collector.instance), "import", str(out)]
    first = run(main, collector_cli)
    assert first.exit_code == 0 and "6 accepted, 0 duplicate" in first.output, first.output
    second = run(main, collector_cli)
    assert "0 accepted, 6 duplicate" in second.output
    assert set(ids) <= collector_ids(collector)
    report = sync.sync_once(kiosk)
    assert (report.accepted, report.duplicate) == (0, 6) and states(kiosk) == {"synced": 6}


def bulk_responses(db, n):
    """``n`` pending responses in one transaction (set-up for a large backlog), with profiles and comments."""
    from skm import PROFILE
    rnd = random.Random(n)
    unit = kstore.get_setting(db, "unit_code")
    rows = []
    for seq in range(1, n + 1):
        rows.append({"id": str(uuid.uuid4()), "seq": seq, "counter": "2", "service": "kk", "unit": unit,
                     "channel": "kiosk", "questionnaire_version": QUESTIONNAIRE_VERSION,
                     "submitted_at": f"2026-11-28T09:{seq // 60 % 60:02d}:{seq % 60:02d}.000+07:00",
                     "started_at": "2026-11-28T08:59:01.000+07:00", "duration_ms": 30877 + seq,
                     "comment": rnd.choice([None, "Pelayanan cepat — terima kasih", 'antre "lama"']),
                     **{code: rnd.randint(1, 4) for code in CODES},
                     **{f.name: rnd.choice([*f.values, None]) for f in PROFILE}})
    columns = list(rows[0])
    with kstore.transaction(db):
        db.conn.executemany(f"INSERT INTO responses ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                            [[r[c] for c in columns] for r in rows])
    return [r["id"] for r in rows]


def test_a_large_bundle_is_streamed_in_chunks_and_imports_whole(kiosk, collector, tmp_path):
    ids = bulk_responses(kiosk, 3000)
    run = CliRunner().invoke
    out = tmp_path / "bundle.json"
    exported = run(main, ["kiosk", "--instance", str(kiosk.instance), "export", "--out", str(out)])
    assert exported.exit_code == 0 and "3000 responses written" in exported.output, exported.output
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no partial file left
    bundle = json.loads(out.read_bytes())
    assert bundle["format"] == "skm-bundle/1" and [r["id"] for r in bundle["batch"]["responses"]] == ids
    assert bundle["batch"]["responses"] == sync.pending_batch(kiosk, 3000)  # what a push would send
    small = tmp_path / "small-chunks.json"
    with open(small, "wb") as stream:
        assert sync.write_bundle(kiosk, stream, chunk=7) == 3000
    assert json.loads(small.read_bytes())["batch"]["responses"] == bundle["batch"]["responses"]
    collector_cli = ["collector", "--instance", str(collector.instance), "import"]
    first = run(main, [*collector_cli, str(small)])
    assert first.exit_code == 0 and "3000 accepted, 0 duplicate" in first.output, first.output
    second = run(main, [*collector_cli, str(out)])
    assert second.exit_code == 0 and "0 accepted, 3000 duplicate" in second.output, second.output
    assert set(ids) <= collector_ids(collector)


def test_an_altered_bundle_is_refused(kiosk, collector, tmp_path):
    add_responses(kiosk, 2)
    content, _ = sync.export_bundle(kiosk)
    bundle = json.loads(content)
    bundle["batch"]["responses"][0]["answers"]["waktu"] = 4 if bundle["batch"]["responses"][0]["answers"]["waktu"] != 4 else 1
    path = tmp_path / "altered.json"
    path.write_text(json.dumps(bundle))
    before = cstore.response_count(collector.engine)
    result = CliRunner().invoke(main, ["collector", "--instance", str(collector.instance), "import", str(path)])
    assert result.exit_code == 1 and "signature does not match" in result.output
    assert cstore.response_count(collector.engine) == before


def test_retention_prunes_only_old_synced_rows(kiosk):
    add_responses(kiosk, 3)
    sync.sync_once(kiosk)
    add_responses(kiosk, 2, seed=3)  # pending: never pruned
    old = (datetime.now().astimezone() - timedelta(days=100)).isoformat(timespec="milliseconds")
    with kstore.transaction(kiosk):
        kiosk.conn.execute("UPDATE responses SET synced_at = ? WHERE sync_state = 'synced'", (old,))
    assert sync.prune(kiosk, retention_days=90) == 3
    assert states(kiosk) == {"pending": 2}


def test_not_enrolled_is_reported_in_plain_words(tmp_path):
    instance = init_kiosk(tmp_path / "lonely")
    db = kstore.connect(str(instance / "kiosk.db"))
    report = sync.sync_once(db)
    assert report.error.code == "not_enrolled"
    db.conn.close()


def test_unreachable_collector_is_a_network_error(kiosk):
    kstore.set_settings(kiosk, collector_url="http://127.0.0.1:9")  # nothing listens on the discard port
    add_responses(kiosk, 1)
    report = sync.sync_once(kiosk, timeout=2)
    assert report.error.code == "network" and states(kiosk) == {"pending": 1}


@pytest.mark.parametrize("failures", range(12))
def test_backoff_is_full_jitter_below_the_cap(failures):
    rnd = random.Random(failures)
    delays = [sync.backoff_delay(failures, 2, 300, rnd) for _ in range(200)]
    assert all(0 <= d <= min(300, 2 * 2 ** failures) for d in delays)
    assert max(delays) > min(300, 2 * 2 ** failures) / 2  # spread over the range, not fixed


def test_a_nul_in_a_comment_is_refused_at_the_counter_and_never_blocks_the_outbox(kiosk, collector):
    """The audit's critical finding: one NUL in a comment stopped a kiosk's sync for good on PostgreSQL. The
    counter's form refuses it, naming the character, and keeps the answers; a row an older version already
    holds with one is answered invalid, and the 21 surveys after it arrive."""
    from tests.helpers import full_answers
    client = create_app({"TESTING": True}, instance_path=kiosk.instance).test_client()
    page = client.get("/k/2/survey").get_data(as_text=True)
    refused = client.post("/k/2/survey", data={"csrf_token": hidden(page, "csrf_token"), "ticket": hidden(page, "ticket"),
                                               "service": "kk", **full_answers(3), "comment": "antri\x00lama"})
    assert refused.status_code == 400
    assert "karakter yang tidak dapat disimpan (U+0000)" in refused.get_data(as_text=True)
    assert kiosk.conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == 0
    held = add_responses(kiosk, 1)
    with kstore.transaction(kiosk):  # as an older version stored it, before the check
        kiosk.conn.execute("UPDATE responses SET comment = ? WHERE id = ?", ("antri\x00lama", held[0]))
    later = add_responses(kiosk, 21, seed=3)
    report = sync.sync_once(kiosk)
    assert (report.accepted, report.invalid) == (21, 1) and report.ok
    assert set(later) <= collector_ids(collector) and held[0] not in collector_ids(collector)
    row = kstore.get_response(kiosk, held[0])
    assert row["sync_state"] == "invalid" and "cannot be stored (U+0000)" in row["sync_note"]
    assert states(kiosk) == {"synced": 21, "invalid": 1}
