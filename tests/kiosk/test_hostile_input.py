"""Hostile input to the kiosk (issue 14, finding 7): a 4xx with a clear message, never a 500, nothing stored."""
import pytest

from tests.helpers import hidden

from .test_staff import login


def table_counts(db) -> dict[str, int]:
    return {name: db[name].count for name in db.table_names()}


@pytest.mark.parametrize("step", ["9" * 5000, "9" * 20, "-1", "1.5", "1001"])
def test_an_abandonment_with_an_impossible_step_is_refused(client, db, step):
    html = client.get("/k/2/survey").get_data(as_text=True)
    before = table_counts(db)
    response = client.post("/k/2/abandon", data={"csrf_token": hidden(html, "csrf_token"),
                                                 "ticket": hidden(html, "ticket"), "reached": "u3", "step": step})
    assert response.status_code == 400 and response.json["status"] == "invalid", response.data[:300]
    assert "step" in response.json["errors"]
    assert table_counts(db) == before


def test_a_checkout_of_an_impossible_shift_is_not_found(client, db):
    assert login(client).status_code == 302
    html = client.get("/staff/").get_data(as_text=True)
    before = table_counts(db)
    response = client.post(f"/staff/checkout/{2 ** 70}", data={"csrf_token": hidden(html, "csrf_token")})
    assert response.status_code == 404 and "Halaman tidak ditemukan." in response.get_data(as_text=True)
    assert table_counts(db) == before
