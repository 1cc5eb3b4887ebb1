"""Every answer of the kiosk says ``nosniff``; every answer but the citizen's survey pages and static files
is ``Cache-Control: no-store`` (issue 14, finding 12). A body past ``KIOSK_MAX_BODY_BYTES`` is refused with
413 and a clear page or JSON (finding 8)."""
import pytest

from tests.helpers import hidden

from .test_staff import login

# The citizen's survey (pages the tablet and its service worker keep) and static files keep their caching.
CACHEABLE_BLUEPRINTS = ("survey.", "offline.")
NOT_CACHEABLE = {"offline.heartbeat"}  # a tablet's report to the kiosk, not a page
ARGUMENTS = {"code": "1", "lang": "en", "filename": "kiosk.css", "shift_id": 1}


def cacheable(endpoint: str) -> bool:
    return endpoint == "static" or (endpoint.startswith(CACHEABLE_BLUEPRINTS) and endpoint not in NOT_CACHEABLE)


def test_every_answer_has_nosniff_and_every_non_public_one_no_store(app, client):
    assert login(client).status_code == 302
    token = hidden(client.get("/k/1/survey").get_data(as_text=True), "csrf_token")
    problems, checked = [], 0
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if rule.endpoint == "staff.logout":
                continue  # would end the staff session the other routes need
            path = app.url_map.bind("localhost").build(rule.endpoint, {a: ARGUMENTS[a] for a in rule.arguments})
            response = client.open(path, method=method, data={"csrf_token": token} if method == "POST" else None)
            checked += 1
            where = f"{method} {path} ({response.status_code} {response.mimetype})"
            if response.headers.get("X-Content-Type-Options") != "nosniff":
                problems.append(f"{where}: no X-Content-Type-Options: nosniff")
            no_store = "no-store" in response.headers.get("Cache-Control", "")
            if no_store != (not cacheable(rule.endpoint)) and rule.endpoint != "survey.fresh_csrf":
                problems.append(f"{where}: Cache-Control {response.headers.get('Cache-Control')!r}")
    assert checked >= 20, checked
    assert not problems, "\n".join(problems)
    staff = client.get("/staff/")
    assert staff.status_code == 200 and staff.headers["Cache-Control"] == "no-store"
    assert client.get("/csrf").headers["Cache-Control"] == "no-store"  # a fresh token is never kept


TWENTY_MB = 20 * 1024 * 1024


def test_a_20_mb_form_body_is_refused_with_a_clear_page(client):
    token = hidden(client.get("/k/1/survey").get_data(as_text=True), "csrf_token")
    response = client.post("/k/1/survey", data={"csrf_token": token, "comment": "x" * TWENTY_MB})
    assert response.status_code == 413 and response.mimetype == "text/html"
    assert "Data yang dikirim terlalu besar" in response.get_data(as_text=True)
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path, headers", [("/k/1/survey", {"Accept": "application/json"}),
                                           ("/api/v1/receipts", {"Authorization": "Bearer key"})])
def test_a_20_mb_body_is_refused_with_json_to_a_script(instance, path, headers):
    from kiosk import create_app
    client = create_app({"TESTING": True, "KIOSK_RECEIPT_API_KEY": "key"}, instance_path=instance).test_client()
    response = client.post(path, data=b"{" + b" " * TWENTY_MB + b"}", headers={**headers,
                                                                               "Content-Type": "application/json"})
    assert response.status_code == 413 and response.get_json()["error"] == "body_too_large", response.data[:300]
    assert str(1024 * 1024) in response.get_json()["message"]


def test_the_limit_is_a_checked_setting(instance):
    from kiosk import create_app
    from skmweb import SettingError
    app = create_app({"TESTING": True, "KIOSK_MAX_BODY_BYTES": 20000}, instance_path=instance)
    assert app.config["MAX_CONTENT_LENGTH"] == 20000
    with pytest.raises(SettingError, match="KIOSK_MAX_BODY_BYTES=4096 .*from 16384 to 67108864"):
        create_app({"TESTING": True, "KIOSK_MAX_BODY_BYTES": 4096}, instance_path=instance)
