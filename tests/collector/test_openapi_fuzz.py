"""schemathesis against docs/openapi.yaml and a real collector process (issue 14, finding 7): every case it
generates for every collector route, signed as the enrolled kiosk signs, gets no 5xx, and every answer's
status, content type, headers and body are what the spec says. Bounded: a few examples per route."""
from datetime import datetime, timezone

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi import checks as spec_checks

from collector import store
from skm import wire
from tests.helpers import ROOT, CollectorServer, create_collector, seed_collector

# Left out: the kiosk's receipts API, and the dashboard's pages (a signed-in session, HTML; tested in test_report.py).
SPEC = (schemathesis.openapi.from_path(ROOT / "docs" / "openapi.yaml").exclude(path="/api/v1/receipts")
        .exclude(path_regex="^/unit/"))
CHECKS = [not_a_server_error, spec_checks.status_code_conformance, spec_checks.content_type_conformance,
          spec_checks.response_schema_conformance, spec_checks.response_headers_conformance]
EXAMPLES = 25


class KioskSignature(requests.auth.AuthBase):
    """Signs each request as the enrolled kiosk: the body schemathesis made, at the time it is sent."""

    def __init__(self, kiosk_id: str, secret: str):
        self.kiosk_id, self.secret = kiosk_id, secret

    def __call__(self, request):
        timestamp = datetime.now(timezone.utc).isoformat()
        body = request.body or b""
        body = body.encode() if isinstance(body, str) else body
        request.headers.update({"X-SKM-Kiosk": self.kiosk_id, "X-SKM-Timestamp": timestamp,
                                "X-SKM-Signature": wire.sign(self.secret, "request", self.kiosk_id, timestamp, body)})
        return request


@pytest.fixture(scope="module")
def collector(tmp_path_factory):
    instance = seed_collector(tmp_path_factory.mktemp("fuzz") / "collector")
    engine = create_collector({"TESTING": True}, instance_path=instance).extensions["skm_engine"]
    _kiosk_id, code = store.add_kiosk(engine, "dumai-disdukcapil", "Tablet")
    engine.dispose()
    with CollectorServer(instance) as server:
        server.migrated = True
        enrolled = requests.post(server.url + "/api/v1/enroll", json={"code": code}, timeout=10).json()
        session = requests.Session()
        session.auth = KioskSignature(enrolled["kiosk_id"], enrolled["secret"])
        yield server, session


# One pytest parameter per operation, each with its own node id ("GET /healthz", ...): schemathesis's own
# parametrize gives all of them one node id, and pytest-xdist then runs and reports only one of them.
OPERATIONS = {f"{op.method.upper()} {op.path}": op for op in (result.ok() for result in SPEC.get_all_operations())}


def test_every_operation_of_the_spec_is_fuzzed():
    assert len(OPERATIONS) >= 7 and "POST /api/v1/batches" in OPERATIONS, sorted(OPERATIONS)


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_no_5xx_and_answers_as_specified(operation, collector, data):
    server, session = collector
    case = data.draw(OPERATIONS[operation].as_strategy())
    case.call_and_validate(base_url=server.url, session=session, checks=CHECKS, timeout=10)
