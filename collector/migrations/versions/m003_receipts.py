"""QR receipts (af7f7b5): tokens issued, tokens used, public flood limits.

Revision ID: m003_receipts
"""
import sqlalchemy as sa
from alembic import op

revision = "m003_receipts"
down_revision = "m002_dashboard"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("receipts_issued", sa.Column("kiosk_id", sa.String(36), nullable=False),
                    sa.Column("nonce", sa.String(40), nullable=False), sa.Column("unit", sa.String(40), nullable=False),
                    sa.Column("counter", sa.String(40), nullable=False),
                    sa.Column("service", sa.String(40), nullable=False),
                    sa.Column("issued_at", sa.String(40), nullable=False), sa.Column("day", sa.Date, nullable=False),
                    sa.PrimaryKeyConstraint("kiosk_id", "nonce"))
    op.create_index("ix_receipts_issued_unit_day", "receipts_issued", ["unit", "day"])
    op.create_table("used_receipts", sa.Column("kiosk_id", sa.String(36), nullable=False),
                    sa.Column("nonce", sa.String(40), nullable=False),
                    sa.Column("response_id", sa.String(36), nullable=False),
                    sa.Column("used_at", sa.String(40), nullable=False), sa.PrimaryKeyConstraint("kiosk_id", "nonce"))
    op.create_table("rate_limits", sa.Column("key", sa.String(120), primary_key=True),
                    sa.Column("window_start", sa.Integer, nullable=False), sa.Column("hits", sa.Integer, nullable=False))
