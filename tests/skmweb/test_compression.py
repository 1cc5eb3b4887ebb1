"""gzip on the wire, for both apps: measured with a real HTTP client against a real server process."""
import gzip
import http.client
from urllib.parse import urlsplit

import pytest

from kiosk import create_app as create_kiosk
from tests.helpers import CollectorServer, init_kiosk, seed_collector


def fetch(base: str, path: str, **headers) -> tuple[int, dict, bytes]:
    """Status, headers and the raw body bytes as they came over the socket (no decoding)."""
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        answer = conn.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def collector(tmp_path_factory):
    with CollectorServer(seed_collector(tmp_path_factory.mktemp("gzip") / "c")) as server:
        yield server


@pytest.mark.parametrize("path, mimetype", [
    ("/s/dumai-disdukcapil", "text/html"), ("/static/kiosk.css", "text/css"), ("/static/faces.svg", "image/svg+xml"),
    ("/static/kiosk.js", "text/javascript"),
])
def test_text_is_gzipped_when_the_client_accepts_it(collector, path, mimetype):
    status, plain_headers, plain = fetch(collector.url, path)
    status_gz, headers, body = fetch(collector.url, path, **{"Accept-Encoding": "gzip, deflate, br"})
    assert status == status_gz == 200 and headers["content-type"].startswith(mimetype)
    assert "content-encoding" not in plain_headers and headers["content-encoding"] == "gzip"
    assert int(headers["content-length"]) == len(body) < len(plain) / 2
    assert "Accept-Encoding" in headers["vary"] and "Accept-Encoding" in plain_headers["vary"]
    if mimetype != "text/html":  # a page carries a fresh form token each time; a file is the same bytes
        assert gzip.decompress(body) == plain


def test_no_gzip_when_refused_or_not_worth_it(collector):
    _s, headers, _b = fetch(collector.url, "/static/kiosk.css", **{"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in headers
    _s, headers, body = fetch(collector.url, "/status", **{"Accept-Encoding": "gzip"})  # a tiny JSON answer
    assert "content-encoding" not in headers and body.startswith(b"{")
    _s, headers, _b = fetch(collector.url, "/static/favicon.svg", **{"Accept-Encoding": "gzip"})
    assert "content-encoding" not in headers or len(_b) >= 512


def test_etags_and_conditional_requests_stay_right(collector):
    _s, plain, _b = fetch(collector.url, "/static/kiosk.css")
    _s, zipped, _b = fetch(collector.url, "/static/kiosk.css", **{"Accept-Encoding": "gzip"})
    assert zipped["etag"] == "W/" + plain["etag"]  # another coding of the same file: a weak validator
    again, headers, body = fetch(collector.url, "/static/kiosk.css",
                                 **{"Accept-Encoding": "gzip", "If-None-Match": zipped["etag"]})
    assert (again, body, headers["etag"]) == (304, b"", zipped["etag"])
    again, _h, body = fetch(collector.url, "/static/kiosk.css", **{"If-None-Match": plain["etag"]})
    assert (again, body) == (304, b"")
    ranged, headers, body = fetch(collector.url, "/static/kiosk.css",
                                  **{"Accept-Encoding": "gzip", "Range": "bytes=0-9"})
    assert (ranged, len(body), "content-encoding" in headers) == (206, 10, False)


def test_the_kiosk_compresses_too(tmp_path):
    client = create_kiosk({"TESTING": True}, instance_path=init_kiosk(tmp_path / "k")).test_client()
    zipped = client.get("/static/kiosk.js", headers={"Accept-Encoding": "gzip"})
    plain = client.get("/static/kiosk.js")
    assert zipped.headers["Content-Encoding"] == "gzip" and gzip.decompress(zipped.get_data()) == plain.get_data()
