"""SQLite keeps a response's id once: ``response_keys`` (made by m005 for PostgreSQL, whose partitioned
responses table cannot hold a unique id) is dropped there, as the primary key of ``responses`` already makes
an id unique; the ingest looks the ids up in ``responses``. Every key it held is the id and content hash of a
row of ``responses`` (both were written in one transaction), which the upgrade checks before dropping it.
PostgreSQL is unchanged.

Revision ID: m013_sqlite_keys
"""
from alembic import op

revision = "m013_sqlite_keys"
down_revision = "m012_signatory"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        return
    missing = bind.exec_driver_sql(
        "SELECT count(*) FROM response_keys k LEFT JOIN responses r ON r.id = k.id "
        "WHERE r.id IS NULL OR r.content_hash <> k.content_hash").scalar()
    if missing:
        raise RuntimeError(f"{missing} ids of response_keys have no response with that content hash: this "
                           f"database is not as the collector wrote it; restore a backup before upgrading")
    op.drop_table("response_keys")
