import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from collector import store
from skm import wire
from tests.helpers import create_collector, seed_collector


@pytest.fixture
def instance(tmp_path):
    return seed_collector(tmp_path / "collector")


@pytest.fixture
def app(instance):
    return create_collector({"TESTING": True}, instance_path=instance)


@pytest.fixture
def engine(app):
    return app.extensions["skm_engine"]


@pytest.fixture
def client(app):
    return app.test_client()


class KioskClient:
    """Signs requests as an enrolled kiosk would, over the Flask test client."""

    def __init__(self, client, kiosk_id: str, secret: str):
        self.client, self.kiosk_id, self.secret = client, kiosk_id, secret

    def headers(self, body: bytes, *, skew: timedelta = timedelta(0), secret: str | None = None,
                kiosk_id: str | None = None, install: str = "") -> dict:
        """Signed headers; ``install``: the X-SKM-Install of one copy of the kiosk (signed with the time)."""
        timestamp = (datetime.now(timezone.utc) + skew).isoformat()
        kiosk_id = kiosk_id or self.kiosk_id
        signed = wire.signed_time(timestamp, "", install)
        headers = {"X-SKM-Kiosk": kiosk_id, "X-SKM-Timestamp": timestamp, "Content-Type": "application/json",
                   "X-SKM-Signature": wire.sign(secret or self.secret, "request", kiosk_id, signed, body)}
        if install:
            headers["X-SKM-Install"] = install
        return headers

    def push(self, responses, batch_id: str | None = None, body: bytes | None = None, **header_options):
        if body is None:
            body = wire.canonical({"protocol": wire.PROTOCOL, "batch_id": batch_id or str(uuid.uuid4()),
                                   "responses": responses})
        return self.client.post("/api/v1/batches", data=body, headers=self.headers(body, **header_options))

    def statuses(self, response) -> dict[str, str]:
        return {r["id"]: r["status"] for r in json.loads(response.data)["results"]}


@pytest.fixture
def kiosk(client, engine):
    kiosk_id, code = store.add_kiosk(engine, "dumai-disdukcapil", "Tablet")
    enrolled = client.post("/api/v1/enroll", json={"code": code}).json
    return KioskClient(client, enrolled["kiosk_id"], enrolled["secret"])
