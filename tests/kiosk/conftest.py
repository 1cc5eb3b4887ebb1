import pytest

from kiosk import create_app
from tests.helpers import init_kiosk


@pytest.fixture
def instance(tmp_path):
    return init_kiosk(tmp_path / "instance")


@pytest.fixture
def app(instance):
    return create_app({"TESTING": True}, instance_path=instance)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    from kiosk import store
    conn = store.connect(app.config["KIOSK_DATABASE"])
    yield conn
    conn.conn.close()
