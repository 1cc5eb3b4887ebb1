"""The collector the sync tests push to: one real server process per test module, on the Dumai tree."""
import pytest

from tests.helpers import CollectorServer, collector_engine, seed_collector


@pytest.fixture(scope="module")
def collector(tmp_path_factory):
    instance = seed_collector(tmp_path_factory.mktemp("collector"))
    with CollectorServer(instance) as server:
        server.engine = collector_engine(instance)
        yield server
        server.engine.dispose()
