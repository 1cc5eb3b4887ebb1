"""Shared test set-up.

A test may skip when a tool it needs (Chromium, PostgreSQL) is missing on a laptop. Under
``SKM_REQUIRE_ALL=1``, as ``.ci/run`` sets, such a skip is a failure, so CI always runs every test.
"""
import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("SKM_REQUIRE_ALL") == "1" and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped under SKM_REQUIRE_ALL=1, which forbids skips: {reason}"


@pytest.fixture(scope="session")
def skm_vectors():
    """The published reference cases of shared/skm-vectors.json, read at test time."""
    path = Path(os.environ.get("SKM_VECTORS", SHARED / "skm-vectors.json"))
    if not path.exists():
        pytest.skip(f"reference vectors not found at {path} (set SKM_VECTORS)")
    return json.loads(path.read_text())
