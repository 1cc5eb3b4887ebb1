"""An index on the daily aggregates by (unit, day), for the dashboard's period reads (7595fe2).

Revision ID: m004_aggregates_by_day
"""
from alembic import op

revision = "m004_aggregates_by_day"
down_revision = "m003_receipts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_daily_aggregates_unit_day", "daily_aggregates", ["unit", "day"])
