"""One host opening many idle connections must not take the kiosk off the LAN for the tablets.

A real ``skm kiosk run`` process; the test opens idle TCP connections to it on loopback (bounded: a fixed
number, closed at the end) and a tablet, a real HTTP client with its own cookies, loads the survey and
submits it meanwhile.
"""
from __future__ import annotations

import socket
import urllib.parse
import urllib.request
from contextlib import ExitStack
from http.cookiejar import CookieJar


from tests.helpers import KioskServer, full_answers, hidden, init_kiosk

IDLE_CONNECTIONS = 120
TABLET_TIMEOUT = 10.0  # seconds a tablet's browser would wait before showing an error


def idle_connections(stack: ExitStack, port: int, count: int) -> list[socket.socket]:
    """``count`` connections that never send a request (as a scanner or a stuck client leaves them)."""
    sockets = []
    for _ in range(count):
        sock = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=5))
        sockets.append(sock)
    return sockets


def tablet_submits(url: str) -> int:
    """A tablet loads the survey and submits nine answers; the status of the submission (303 = saved)."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def http_error_303(self, req, fp, code, msg, headers):
            return fp

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), NoRedirect)
    with opener.open(url + "/k/1/survey", timeout=TABLET_TIMEOUT) as page:
        html = page.read().decode()
    form = {"csrf_token": hidden(html, "csrf_token"), "ticket": hidden(html, "ticket"), **full_answers(4)}
    with opener.open(urllib.request.Request(url + "/k/1/survey", urllib.parse.urlencode(form).encode()),
                     timeout=TABLET_TIMEOUT) as answer:
        return answer.status


def test_tablet_still_submits_while_one_host_holds_120_idle_connections(tmp_path):
    instance = init_kiosk(tmp_path / "kiosk")
    with KioskServer(instance, {"SYNC_ENABLED": False}) as server, ExitStack() as stack:
        idle_connections(stack, server.port, IDLE_CONNECTIONS)
        assert tablet_submits(server.url) == 303


def test_a_connection_that_never_sends_a_request_is_closed(tmp_path):
    """What really protects: idle connections do not hold a place for long, whatever their number."""
    instance = init_kiosk(tmp_path / "kiosk")
    settings = {"SYNC_ENABLED": False, "SERVER_CHANNEL_TIMEOUT_SECONDS": 2, "SERVER_CLEANUP_INTERVAL_SECONDS": 1}
    with KioskServer(instance, settings) as server, ExitStack() as stack:
        [sock] = idle_connections(stack, server.port, 1)
        sock.settimeout(30)  # a bound for the test only: the server closes it well before
        assert sock.recv(1) == b""  # end of stream: the server hung up


def test_server_settings_reach_waitress():
    from kiosk.cli import waitress_options
    options = waitress_options({"KIOSK_SERVER_CONNECTION_LIMIT": 300, "KIOSK_SERVER_CHANNEL_TIMEOUT_SECONDS": 7,
                                "KIOSK_SERVER_CLEANUP_INTERVAL_SECONDS": 3})
    assert options == {"connection_limit": 300, "channel_timeout": 7, "cleanup_interval": 3,
                       "asyncore_use_poll": True}
