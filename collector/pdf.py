"""The Laporan Hasil SKM as a PDF: the print view's own HTML laid out on A4 by WeasyPrint (CSS Paged Media:
``@page`` sizes and page numbers, ``break-after: avoid`` keeps a heading with what follows it). WeasyPrint is
pure Python on the system's Pango; where Pango is missing it cannot load, and ``PdfUnavailable`` says what to
install. Nothing is fetched over the network: the only URLs it may load are the app's own static files."""
from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

INSTALL_HINT = "apt-get install libpango-1.0-0 libpangoft2-1.0-0"


class PdfUnavailable(Exception):
    """WeasyPrint or the Pango library under it cannot be loaded on this machine."""


def _weasyprint():
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: the Pango shared library is missing
        raise PdfUnavailable(f"{exc.__class__.__name__}: {exc}") from exc
    return weasyprint


def available() -> str | None:
    """None when PDFs can be made here, or the reason they cannot."""
    try:
        _weasyprint()
    except PdfUnavailable as exc:
        return str(exc)
    return None


def static_fetcher(base_url: str, static_folder: str):
    """A URL fetcher that serves ``<base_url>static/<file>`` from the static folder and refuses the rest."""
    root = Path(static_folder).resolve()
    prefix = urlsplit(base_url).path.rstrip("/") + "/static/"

    def fetch(url: str, *args, **kwargs) -> dict:
        path = unquote(urlsplit(url).path)
        if url.startswith(base_url.rstrip("/") + "/") and path.startswith(prefix):
            target = (root / path[len(prefix):]).resolve()
            if target.is_relative_to(root) and target.is_file():
                body, mime_type = target.read_bytes(), mimetypes.guess_type(target.name)[0] or "text/plain"
                if response is not None:  # WeasyPrint 68 and later
                    return response(url, body=body, headers={"Content-Type": mime_type})
                return {"string": body, "mime_type": mime_type, "redirected_url": url}
        raise ValueError(f"not loaded in a PDF: {url}")  # WeasyPrint leaves the resource out
    response = getattr(_weasyprint().urls, "URLFetcherResponse", None)
    return fetch


def render(html: str, base_url: str, static_folder: str) -> bytes:
    """The PDF of ``html``, whose relative and ``base_url`` links to static files are resolved locally."""
    weasyprint = _weasyprint()
    # Its warnings name CSS it skips (the dashboard's SVG rules; the charts carry the same as attributes).
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=static_fetcher(base_url, static_folder))
    return document.write_pdf()
