"""Whatever the batching, order or duplication, the collector ends with exactly the set that was sent."""
import shutil
import tempfile
import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from collector import store
from skm import CODES
from tests.helpers import copy_collector, create_collector, seed_collector, wire_response

TEMPLATE = {}


def fresh_collector():
    """A seeded collector copied from one template folder: seeding once keeps each example fast."""
    if "path" not in TEMPLATE:
        TEMPLATE["path"] = seed_collector(Path(tempfile.mkdtemp()) / "template")
    target = copy_collector(TEMPLATE["path"], Path(tempfile.mkdtemp()) / "c")
    return create_collector({"TESTING": True}, instance_path=target), target


responses = st.lists(st.builds(lambda seq, score, counter: wire_response(
    seq=seq, score=score, counter=counter, service="ktp-el" if counter == "1" else "kk"),
    st.integers(1, 10_000), st.integers(1, 4), st.sampled_from(["1", "2"])), min_size=1, max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(responses, st.data())
def test_any_batches_any_order_any_duplicates_give_exactly_the_set(sent, data):
    app, folder = fresh_collector()
    try:
        engine = app.extensions["skm_engine"]
        kiosk_id, code = store.add_kiosk(engine, "dumai-disdukcapil")
        client = app.test_client()
        secret = client.post("/api/v1/enroll", json={"code": code}).json["secret"]
        from tests.collector.conftest import KioskClient
        kiosk = KioskClient(client, kiosk_id, secret)
        # Every response at least once, some several times, shuffled, cut into batches of any size.
        copies = data.draw(st.lists(st.integers(1, 3), min_size=len(sent), max_size=len(sent)))
        stream = [r for r, n in zip(sent, copies) for _ in range(n)]
        stream = data.draw(st.permutations(stream))
        cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(stream) - 1)), max_size=6)))
        batches = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)]) if stream[a:b]]
        for batch in batches:
            assert kiosk.push(batch, batch_id=str(uuid.uuid4())).status_code == 200
        assert sorted(store.response_ids(engine)) == sorted({r["id"] for r in sent})
        assert store.conflict_count(engine) == 0
        aggregates = store.aggregates(engine)
        everything = store.all_aggregates(engine)
        assert sum(a["responses"] for a in aggregates) == len(sent)
        for code in CODES:
            assert sum(a[f"{code}_sum"] for a in aggregates) == sum(r["answers"][code] for r in sent)
        store.rebuild_aggregates(engine)
        assert store.all_aggregates(engine) == everything
    finally:
        app.extensions["skm_engine"].dispose()
        shutil.rmtree(folder.parent, ignore_errors=True)
