"""gzip of text answers (HTML, CSS, JS, SVG, JSON) for clients that accept it, in one ``after_request``
shared by both apps: a phone on a slow connection gets the survey page in a fifth of the bytes.

Stdlib ``gzip`` rather than a library: Flask-Compress would fit, but it adds brotli/zstd wheels to a
kiosk PC that only needs the one codec every browser speaks. Static files come from ``send_file`` in
direct-passthrough mode (a file wrapper, not bytes); they are read and compressed here. Their ETag
becomes weak, as a compressed body is the same file in another coding: a revalidation with it still gets
304 (If-None-Match compares weakly), and 304s, ranges, streamed and already-encoded answers pass untouched.
"""
from __future__ import annotations

import gzip

from flask import Response, request

COMPRESSIBLE = {"text/html", "text/css", "text/javascript", "application/javascript", "image/svg+xml",
                "application/json", "text/plain", "text/csv"}
MIN_BYTES = 512  # below this, gzip's header and the extra work cost more than they save
LEVEL = 6


def compress_response(response: Response) -> Response:
    if response.mimetype not in COMPRESSIBLE:
        return response
    response.vary.add("Accept-Encoding")
    if response.status_code == 304 and request.accept_encodings["gzip"] > 0:
        _weaken_etag(response)  # the validator of the compressed body the client holds
    if not _wanted(response):
        return response
    if response.direct_passthrough:  # a static file: its wrapper is read once here, then closed
        response.direct_passthrough = False
    data = response.get_data()
    if len(data) < MIN_BYTES:
        return response
    response.set_data(gzip.compress(data, compresslevel=LEVEL, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    _weaken_etag(response)
    return response


def _weaken_etag(response: Response) -> None:
    etag, weak = response.get_etag()
    if etag and not weak:
        response.set_etag(etag, weak=True)


def _wanted(response: Response) -> bool:
    return (response.status_code == 200 and request.method != "HEAD" and request.accept_encodings["gzip"] > 0
            and "Content-Encoding" not in response.headers and "Content-Range" not in response.headers
            and (response.direct_passthrough or not response.is_streamed))
