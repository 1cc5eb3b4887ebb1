"""Shared test set-up.

A test may skip when a tool it needs (Chromium, PostgreSQL) is missing on a laptop. Under
``SKM_REQUIRE_ALL=1``, as ``.ci/run`` sets, such a skip is a failure, so CI always runs every test.
"""
import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "data" / "skm-vectors.json"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("SKM_REQUIRE_ALL") == "1" and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped under SKM_REQUIRE_ALL=1, which forbids skips: {reason}"


@pytest.hookimpl(trylast=True)  # after pytest-xdist's own, which marks each test's group in its node id
def pytest_collection_modifyitems(config, items):
    """Two tests with one node id would run and report as one under pytest-xdist: refuse them.

    Under ``--dist loadgroup`` every test of one ``xdist_group`` must run on one worker (the wheel is built
    once, the demo started once). pytest-xdist marks them by a node id suffix that some pytest releases
    ignore (pytest-xdist#1386): the groups are then split without a word, so such a test fails instead."""
    seen, twice = set(), set()
    for item in items:
        (twice if item.nodeid in seen else seen).add(item.nodeid)
    if twice:
        raise pytest.UsageError("tests collected twice under one node id (give them distinct ids): "
                                + ", ".join(sorted(twice)))
    if getattr(config.option, "loadgroup", False):
        for item in items:
            if item.get_closest_marker("xdist_group") and "@" not in item.nodeid.rsplit("::", 1)[-1]:
                item.stash[UNGROUPED] = True


UNGROUPED = pytest.StashKey[bool]()


def pytest_runtest_setup(item):
    if item.stash.get(UNGROUPED, False):
        pytest.fail("--dist loadgroup did not keep this test's xdist_group on one worker with this pytest and "
                    "pytest-xdist (pytest-xdist#1386; setup.cfg keeps pytest below 9.2)", pytrace=False)


@pytest.fixture(scope="session")
def skm_vectors():
    """The published reference cases (a copy of shared/skm-vectors.json kept in tests/data, so that a clone
    alone runs every test; SKM_VECTORS points at another copy)."""
    return json.loads(Path(os.environ.get("SKM_VECTORS", VECTORS)).read_text())


@pytest.fixture(scope="session", autouse=True)
def collector_backend():
    """Under SKM_TEST_BACKEND=postgresql every collector instance folder gets its own PostgreSQL database on
    the cluster at SKM_TEST_POSTGRES_URL (``scripts/pg_test_cluster.sh`` starts one); the databases are
    dropped at the end."""
    from tests import helpers
    if helpers.BACKEND != "postgresql":
        yield "sqlite"
        return
    if not helpers.POSTGRES_ADMIN_URL:
        pytest.skip("SKM_TEST_BACKEND=postgresql needs SKM_TEST_POSTGRES_URL (run scripts/pg_test_cluster.sh)")
    import collector
    original = collector.database_url
    collector.database_url = lambda url, instance_path: url or helpers.postgres_url_for(instance_path)
    yield "postgresql"
    collector.database_url = original
    helpers.drop_created_databases()
