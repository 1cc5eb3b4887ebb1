"""SQLite keeps a response's UUIDs (``id``, ``kiosk_id``, ``batch_id``) as 16-byte BLOBs and its
``content_hash`` as a 32-byte BLOB (collector/columns.py): about 160 bytes less a response with the indexes
on ``id`` and ``kiosk_id``. ``responses`` is rewritten: a copy under the same DDL with the values converted,
the old table dropped, the copy renamed, its indexes made again. A value whose BLOB would not give back the
same text (not a lower-case canonical UUID, not 64 lower-case hex digits) stays text, as the collector
writes it. PostgreSQL keeps its text and is unchanged. The pages freed stay in the file for the next rows;
``VACUUM`` gives them back to the file system.

Revision ID: m017_sqlite_compact
"""
import re

from alembic import op

revision = "m017_sqlite_compact"
down_revision = "m016_theme_counts"
branch_labels = None
depends_on = None

_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").fullmatch
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}").fullmatch
_UUIDS = ("id", "kiosk_id", "batch_id")


# Frozen copies of collector/columns.py's conversions (a revision never imports app code).
def _uuid_blob(value):
    if type(value) is str and _CANONICAL_UUID(value):
        return bytes.fromhex(value.replace("-", ""))
    return value


def _uuid_text(value):
    if type(value) is not bytes:
        return value
    h = value.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _hex_blob(value):
    if type(value) is str and _HEX_DIGEST(value):
        return bytes.fromhex(value)
    return value


def _hex_text(value):
    return value.hex() if type(value) is bytes else value


def upgrade() -> None:
    _rewrite(_uuid_blob, _hex_blob)


def downgrade() -> None:
    _rewrite(_uuid_text, _hex_text)


def _rewrite(uuid, digest) -> None:
    """Copy ``responses`` into a table of the same DDL with ``uuid`` applied to the UUID columns and
    ``digest`` to the content hash, then put the copy in its place with the same indexes."""
    if op.get_context().dialect.name == "postgresql":
        return
    if op.get_context().as_sql:
        raise RuntimeError("m017 on SQLite converts the response ids with Python: run it online "
                           "(skm collector migrate without --sql)")
    bind = op.get_bind()
    driver = bind.connection.driver_connection
    driver.create_function("m017_uuid", 1, uuid, deterministic=True)
    driver.create_function("m017_digest", 1, digest, deterministic=True)
    table_sql: str = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'responses'"
                                     ).scalar_one()
    index_sql = [row[0] for row in bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'responses' AND sql IS NOT NULL "
        "ORDER BY name")]
    columns = [row[1] for row in bind.exec_driver_sql("PRAGMA table_info(responses)")]
    prefix = next((p for p in ("CREATE TABLE responses (", 'CREATE TABLE "responses" (') if table_sql.startswith(p)),
                  None)  # as made, or as renamed by a rewrite before
    if prefix is None:
        raise RuntimeError(f"the responses table is not as the collector made it: {table_sql[:80]!r}")
    values = [f"m017_uuid({c})" if c in _UUIDS else "m017_digest(content_hash)" if c == "content_hash" else c
              for c in columns]
    op.execute("CREATE TABLE m017_responses (" + table_sql[len(prefix):])
    op.execute(f"INSERT INTO m017_responses ({', '.join(columns)}) SELECT {', '.join(values)} FROM responses "
               "ORDER BY rowid")
    op.execute("DROP TABLE responses")
    op.execute("ALTER TABLE m017_responses RENAME TO responses")
    for sql in index_sql:
        op.execute(sql)
    op.execute("REINDEX responses")  # the primary key's index too made in order, its pages full
