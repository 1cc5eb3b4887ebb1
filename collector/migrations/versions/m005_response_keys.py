"""One row per response id, unpartitioned (2dc86cb): what makes a response exactly-once when the
responses table itself is partitioned by month (PostgreSQL cannot enforce a unique id across partitions).

Revision ID: m005_response_keys
"""
import sqlalchemy as sa
from alembic import op

revision = "m005_response_keys"
down_revision = "m004_aggregates_by_day"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("response_keys", sa.Column("id", sa.String(36), primary_key=True),
                    sa.Column("content_hash", sa.String(64), nullable=False))
    op.execute("INSERT INTO response_keys (id, content_hash) SELECT id, content_hash FROM responses")
