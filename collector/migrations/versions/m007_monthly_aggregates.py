"""Monthly index rows per unit (9509f60), so the 24-month trend reads 24 rows however many responses
there are; filled from the responses.

Revision ID: m007_monthly_aggregates
"""
import sqlalchemy as sa
from alembic import op

from collector.migrations.frozen import CODES, SCORE_COLUMNS, refill, score_sums

revision = "m007_monthly_aggregates"
down_revision = "m006_officers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("monthly_aggregates", sa.Column("unit", sa.String(40), nullable=False),
                    sa.Column("month", sa.Date, nullable=False), sa.Column("suspect", sa.Boolean, nullable=False),
                    sa.Column("responses", sa.Integer, nullable=False),
                    *(sa.Column(f"{code}_sum", sa.Integer, nullable=False) for code in CODES),
                    *(sa.Column(name, sa.Integer, nullable=False) for name in SCORE_COLUMNS),
                    sa.PrimaryKeyConstraint("unit", "month", "suspect"))
    if op.get_context().dialect.name == "postgresql":
        month = "CAST(date_trunc('month', local_day) AS date)"
    else:
        month = "date(local_day, 'start of month')"
    for statement in refill("monthly_aggregates", {"unit": "unit", "month": month, "suspect": "suspect"},
                            score_sums()):
        op.execute(statement)
