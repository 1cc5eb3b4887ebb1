"""The short code of each receipt issued (printed under a compact token's QR code), found by unit and code
when a citizen types it. Receipts reported before have none: their slips never printed one.

Revision ID: m008_receipt_codes
"""
import sqlalchemy as sa
from alembic import op

revision = "m008_receipt_codes"
down_revision = "m007_monthly_aggregates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("receipts_issued", sa.Column("code", sa.String(8)))
    op.create_index("ix_receipts_issued_unit_code", "receipts_issued", ["unit", "code"])
