"""Kiosk clocks and installs. Each response keeps the time its kiosk claimed beside the corrected one it is
filed under, with the clock skew applied; each kiosk keeps its last measured skew; each install of a
kiosk (a copy of its instance folder is another install) is tracked with the highest seq it sent, and can
be revoked alone. Rows from before have no claimed time, a skew of 0 and no installs.

Revision ID: m009_kiosk_clocks_and_installs
"""
import sqlalchemy as sa
from alembic import op

revision = "m009_kiosk_clocks_and_installs"
down_revision = "m008_receipt_codes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("responses", sa.Column("claimed_submitted_at", sa.String(40)))
    op.add_column("responses", sa.Column("clock_skew_ms", sa.BigInteger, nullable=False, server_default="0"))
    op.add_column("kiosks", sa.Column("clock_skew_ms", sa.BigInteger))
    op.add_column("kiosks", sa.Column("clock_measured_at", sa.String(40)))
    op.create_table(
        "kiosk_installs",
        sa.Column("kiosk_id", sa.String(36), sa.ForeignKey("kiosks.id"), nullable=False),
        sa.Column("install_id", sa.String(36), nullable=False),
        sa.Column("first_seen_at", sa.String(40), nullable=False),
        sa.Column("last_seen_at", sa.String(40), nullable=False),
        sa.Column("max_seq", sa.BigInteger),
        sa.Column("revoked_at", sa.String(40)),
        sa.PrimaryKeyConstraint("kiosk_id", "install_id"),
    )
