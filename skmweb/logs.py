"""One logging configuration for both apps: stdlib ``logging`` to standard error, plain text or one JSON
object a line, at the level of ``<APP>_LOG_LEVEL``, with a request id on every line logged during a request.

The request id comes from ``X-Request-Id`` when a trusted proxy (``<APP>_TRUSTED_PROXIES``) sends one
of a safe form, else it is made here; the response returns it. Each request is logged once, by its route
pattern (``/q/<token>``), never by its path or query, which may hold a QR token. What is logged never
includes comments, PINs, passwords, secrets, enrollment codes, tokens or signatures.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request

OUR_LOGGERS = ("skm", "skmweb", "kiosk", "collector")
REQUEST_ID_FORM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,99}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
access_log = logging.getLogger("skmweb.access")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, request_id, message, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": self.formatTime(record), "level": record.levelname, "logger": record.name,
                "request_id": record.request_id,  # type: ignore[attr-defined]  # added by our record factory
                "message": record.getMessage()}
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class SkmHandler(logging.StreamHandler):
    """The one handler this configuration installs (replaced, not added again, by each new app)."""


def configure_logging(app: Flask, prefix: str) -> None:
    install_request_id_factory()
    handler = SkmHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if app.config[f"{prefix}_LOG_FORMAT"] == "json"
                         else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, SkmHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    for name in (*OUR_LOGGERS, app.import_name):
        logging.getLogger(name).setLevel(app.config[f"{prefix}_LOG_LEVEL"])
    trusted = bool(app.config.get(f"{prefix}_TRUSTED_PROXIES"))
    app.before_request(lambda: start_request(trusted))
    app.after_request(finish_request)


def install_request_id_factory() -> None:
    """Every log record gets ``request_id``: the current request's, or "-" outside a request."""
    current = logging.getLogRecordFactory()
    if getattr(current, "adds_request_id", False):
        return

    def factory(*args, **kwargs):
        record = current(*args, **kwargs)
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return record

    factory.adds_request_id = True  # type: ignore[attr-defined]  # a marker on the function, which typing cannot see
    logging.setLogRecordFactory(factory)


def start_request(trusted_proxy: bool) -> None:
    sent = request.headers.get("X-Request-Id", "")
    g.request_id = sent if trusted_proxy and REQUEST_ID_FORM.fullmatch(sent) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def finish_request(response):
    response.headers["X-Request-Id"] = g.get("request_id", "")
    route = request.url_rule.rule if request.url_rule else "(no route)"
    took = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
    access_log.info("%s %s %d %.0fms", request.method, route, response.status_code, took)
    return response
