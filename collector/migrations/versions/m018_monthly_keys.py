"""The monthly aggregates keyed like the daily ones: per unit, service, counter, channel, month and suspect,
with the daily rows' every column (the respondent profile too), so that a period's whole months are read
from a few rows per key instead of one per key and day (the unit page at millions of responses). The table
is derived, so it is made anew and filled from the daily aggregates, whose sums add up; the downgrade sums
it back to one row per unit, month and suspect.

The value columns are the daily table's own, read from the database (this revision imports no app code).

Revision ID: m018_monthly_keys
"""
import sqlalchemy as sa
from alembic import op

revision = "m018_monthly_keys"
down_revision = "m017_sqlite_compact"
branch_labels = None
depends_on = None

KEYS = ("unit", "service", "counter", "channel")
DAILY_KEYS = (*KEYS, "day", "suspect")


def _month(day: str) -> str:
    if op.get_bind().dialect.name == "postgresql":
        return f"CAST(date_trunc('month', {day}) AS DATE)"
    return f"date({day}, 'start of month')"


def _value_columns() -> list:
    return [c for c in sa.inspect(op.get_bind()).get_columns("daily_aggregates") if c["name"] not in DAILY_KEYS]


def upgrade() -> None:
    values = _value_columns()
    op.drop_table("monthly_aggregates")
    op.create_table(
        "monthly_aggregates",
        sa.Column("unit", sa.String(40), nullable=False),
        sa.Column("service", sa.String(40), nullable=False),
        sa.Column("counter", sa.String(40), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("month", sa.Date, nullable=False),  # the first day of the month
        sa.Column("suspect", sa.Boolean, nullable=False),
        *(sa.Column(c["name"], sa.Integer, nullable=False,
                    server_default=sa.text(c["default"]) if c.get("default") is not None else None) for c in values),
        sa.PrimaryKeyConstraint("unit", "service", "counter", "channel", "month", "suspect"),
    )
    op.create_index("ix_monthly_aggregates_unit_month", "monthly_aggregates", ["unit", "month"])
    names = [c["name"] for c in values]
    op.execute(f"INSERT INTO monthly_aggregates ({', '.join(KEYS)}, month, suspect, {', '.join(names)}) "
               f"SELECT {', '.join(KEYS)}, {_month('day')}, suspect, {', '.join(f'sum({n})' for n in names)} "
               f"FROM daily_aggregates GROUP BY {', '.join(KEYS)}, {_month('day')}, suspect")


def downgrade() -> None:
    names = [c["name"] for c in _value_columns() if not c["name"].startswith("p_")]  # no profile before
    op.rename_table("monthly_aggregates", "monthly_keyed")
    op.drop_index("ix_monthly_aggregates_unit_month", table_name="monthly_keyed")
    op.create_table(
        "monthly_aggregates",
        sa.Column("unit", sa.String(40), nullable=False),
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("suspect", sa.Boolean, nullable=False),
        *(sa.Column(name, sa.Integer, nullable=False) for name in names),
        sa.PrimaryKeyConstraint("unit", "month", "suspect"),
    )
    op.execute(f"INSERT INTO monthly_aggregates (unit, month, suspect, {', '.join(names)}) "
               f"SELECT unit, month, suspect, {', '.join(f'sum({n})' for n in names)} "
               f"FROM monthly_keyed GROUP BY unit, month, suspect")
    op.drop_table("monthly_keyed")
