"""Compact storage of the responses' UUIDs and content hashes on SQLite, in one place.

On SQLite a response's ``id``, ``kiosk_id`` and ``batch_id`` are kept as 16-byte BLOBs and its ``content_hash``
as a 32-byte BLOB instead of 36 and 64 characters of text (bench/bench_sync.py measured 584 MiB per million
responses before, most of it these four texts and the two indexes holding them). A reader gets back exactly
the text it gets on PostgreSQL, which keeps the text: the conversion is exact, and a value whose BLOB would
not give back the same text (not a lower-case canonical UUID, not 64 lower-case hex digits) is kept as text.
So a canonical value is always a BLOB, and a look-up encodes its key the same way (``sqlite_uuid``).

The Core tables convert through the column types below (``UuidText``, ``HexText``); the SQL text of the
ingest fast path and the kiosk seq check convert by hand with the same functions. The declared column types
stay VARCHAR: SQLite keeps a BLOB as given in a column of TEXT affinity.
"""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").fullmatch
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}").fullmatch


def sqlite_uuid(value: str | None) -> Any:
    """A UUID's text as SQLite keeps it: 16 bytes for a lower-case canonical UUID, else the text itself."""
    if value is not None and _CANONICAL_UUID(value):
        return bytes.fromhex(value.replace("-", ""))
    return value


def uuid_text(value: Any) -> Any:
    """Back from ``sqlite_uuid``: the canonical text of a 16-byte BLOB; text as it is."""
    if type(value) is not bytes:
        return value
    h = value.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def sqlite_hex(value: str | None) -> Any:
    """A SHA-256 hex digest as SQLite keeps it: 32 bytes for 64 lower-case hex digits, else the text."""
    if value is not None and _HEX_DIGEST(value):
        return bytes.fromhex(value)
    return value


def hex_text(value: Any) -> Any:
    """Back from ``sqlite_hex``."""
    return value.hex() if type(value) is bytes else value


# The text a BLOB of sqlite_uuid gives back, as an SQL expression of SQLite (for joins with text ids).
SQLITE_UUID_TEXT = ("(CASE WHEN typeof({0}) = 'blob' THEN lower(substr(hex({0}), 1, 8) || '-' || "
                    "substr(hex({0}), 9, 4) || '-' || substr(hex({0}), 13, 4) || '-' || substr(hex({0}), 17, 4) "
                    "|| '-' || substr(hex({0}), 21)) ELSE {0} END)")


class UuidText(TypeDecorator):
    """A UUID as text to the code; a 16-byte BLOB in SQLite (``sqlite_uuid``), text elsewhere."""
    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return sqlite_uuid(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        return uuid_text(value)


class HexText(TypeDecorator):
    """A hex digest as text to the code; a BLOB of its bytes in SQLite (``sqlite_hex``), text elsewhere."""
    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return sqlite_hex(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        return hex_text(value)
