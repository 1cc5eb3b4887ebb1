"""`skm collector copy`: a seeded SQLite collector moved to another database shows identical dashboards."""
import re

import pytest
from click.testing import CliRunner

from collector import demo, migrations, store
from skm.cli import main
from tests.helpers import BACKEND, create_collector, hidden, postgres_url_for


def sqlite_url(folder):
    return f"sqlite:///{folder}/collector.db"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("city")
    engine = store.make_engine(sqlite_url(folder))
    migrations.upgrade(engine)
    demo.build(engine, months=3, scale=0.05)
    store.set_population(engine, "dumai-mpp", "2026-T4", 4000, "test")
    engine.dispose()
    return folder


def target_url(tmp_path):
    if BACKEND == "postgresql":
        return postgres_url_for(tmp_path / "province")
    return sqlite_url(tmp_path)


def unit_page(app, unit):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"csrf_token": hidden(page, "csrf_token"), "username": "admin",
                                "password": demo.DEMO_PASSWORD})
    html = client.get(f"/unit/{unit}?period=2026").get_data(as_text=True)
    return re.sub(r'name="csrf_token"[^>]*>', "", re.sub(r'value="[^"]*" name="csrf_token"', "", html))


def test_copy_gives_identical_dashboards(seeded, tmp_path):
    url = target_url(tmp_path)
    assert CliRunner().invoke(main, ["collector", "--database", url, "migrate"]).exit_code == 0
    result = CliRunner().invoke(main, ["collector", "copy", sqlite_url(seeded), url])
    assert result.exit_code == 0, result.output
    assert "every unit's index identical" in result.output
    source = create_collector({"TESTING": True, "SECRET_KEY": "k", "COLLECTOR_DATABASE_URL": sqlite_url(seeded)},
                        instance_path=tmp_path / "a")
    target = create_collector({"TESTING": True, "SECRET_KEY": "k", "COLLECTOR_DATABASE_URL": url},
                        instance_path=tmp_path / "b")
    copied = store.table_counts(target.extensions["skm_engine"])
    assert copied.pop("response_keys", copied["responses"]) == copied["responses"]  # PostgreSQL's, made by the copy
    assert store.table_counts(source.extensions["skm_engine"]) == copied
    for unit in ("dumai-disdukcapil", "dumai-mpp"):
        before, after = unit_page(source, unit), unit_page(target, unit)
        assert re.search(r'class="big konversi">[0-9,]+<', before)
        assert before == after, unit
    again = CliRunner().invoke(main, ["collector", "copy", sqlite_url(seeded), url])
    assert again.exit_code == 1 and "already has data" in again.output
