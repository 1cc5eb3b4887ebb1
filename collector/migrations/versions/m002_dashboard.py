"""The dashboard's schema (0e00b86): profile counts in the daily aggregates, each response's local hour,
hourly aggregates, populations, follow-up plans, users, audit log; the aggregates refilled from the
responses so the new counts cover the rows stored before.

Revision ID: m002_dashboard
"""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from collector.migrations.frozen import PROFILE_COLUMNS, TOTAL, profile_counts, refill, score_sums

revision = "m002_dashboard"
down_revision = "m001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for column in PROFILE_COLUMNS.values():
        op.add_column("daily_aggregates", sa.Column(column, sa.Integer, nullable=False, server_default="0"))
    op.add_column("units", sa.Column("monthly_volume", sa.Integer))
    op.add_column("responses", sa.Column("local_hour", sa.Integer))
    _fill_local_hours()
    op.create_table("hourly_aggregates", sa.Column("unit", sa.String(40), nullable=False),
                    sa.Column("day", sa.Date, nullable=False), sa.Column("hour", sa.Integer, nullable=False),
                    sa.Column("suspect", sa.Boolean, nullable=False),
                    sa.Column("responses", sa.Integer, nullable=False),
                    sa.Column("score_sum", sa.Integer, nullable=False),
                    sa.PrimaryKeyConstraint("unit", "day", "hour", "suspect"))
    op.create_table("populations", sa.Column("unit", sa.String(40), sa.ForeignKey("units.code"), nullable=False),
                    sa.Column("period", sa.String(30), nullable=False),
                    sa.Column("recipients", sa.Integer, nullable=False), sa.Column("updated_by", sa.String(100)),
                    sa.Column("updated_at", sa.String(40), nullable=False), sa.PrimaryKeyConstraint("unit", "period"))
    op.create_table("followups", sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                    sa.Column("unit", sa.String(40), sa.ForeignKey("units.code"), nullable=False),
                    sa.Column("period", sa.String(30), nullable=False), sa.Column("unsur", sa.String(20), nullable=False),
                    sa.Column("action", sa.Text, nullable=False), sa.Column("person", sa.String(200), nullable=False),
                    sa.Column("deadline", sa.Date), sa.Column("status", sa.String(20), nullable=False),
                    sa.Column("updated_by", sa.String(100)), sa.Column("updated_at", sa.String(40), nullable=False))
    op.create_index("ix_followups_unit_period", "followups", ["unit", "period"])
    op.create_table("users", sa.Column("username", sa.String(100), primary_key=True),
                    sa.Column("name", sa.String(200), nullable=False),
                    sa.Column("password_hash", sa.String(300), nullable=False),
                    sa.Column("role", sa.String(20), nullable=False), sa.Column("created_at", sa.String(40), nullable=False),
                    sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
                    sa.Column("next_attempt_at", sa.String(40)),
                    sa.Column("disabled", sa.Boolean, nullable=False, server_default="0"))
    op.create_table("user_units",
                    sa.Column("username", sa.String(100), sa.ForeignKey("users.username"), nullable=False),
                    sa.Column("unit", sa.String(40), sa.ForeignKey("units.code"), nullable=False),
                    sa.PrimaryKeyConstraint("username", "unit"))
    op.create_table("audit_log", sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                    sa.Column("at", sa.String(40), nullable=False), sa.Column("username", sa.String(100)),
                    sa.Column("action", sa.String(40), nullable=False), sa.Column("target", sa.String(200)),
                    sa.Column("detail", sa.Text), sa.Column("ip", sa.String(64)))
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    for statement in [*refill("daily_aggregates", {"unit": "unit", "service": "service", "counter": "counter",
                                                   "channel": "channel", "day": "local_day", "suspect": "suspect"},
                              [*score_sums(), *profile_counts()]),
                      *refill("hourly_aggregates", {"unit": "unit", "day": "local_day", "hour": "local_hour",
                                                    "suspect": "suspect"}, [f"SUM({TOTAL}) AS score_sum"])]:
        op.execute(statement)


def _fill_local_hours() -> None:
    """The hour of submitted_at in the unit's time zone (UTC for a unit not on record)."""
    zone = "COALESCE((SELECT timezone FROM units WHERE units.code = responses.unit), 'UTC')"
    if op.get_context().dialect.name == "postgresql":
        op.execute(f"UPDATE responses SET local_hour = "
                   f"EXTRACT(HOUR FROM (submitted_at::timestamptz AT TIME ZONE {zone}))::integer")
        return
    if op.get_context().as_sql:
        raise RuntimeError("m002 on SQLite computes local hours with Python's time zones: run it online "
                           "(skm collector migrate without --sql)")
    op.get_bind().connection.driver_connection.create_function("m002_local_hour", 2, _local_hour, deterministic=True)
    op.execute(f"UPDATE responses SET local_hour = m002_local_hour(submitted_at, {zone})")


def _local_hour(submitted_at: str, zone: str) -> int:
    moment = datetime.fromisoformat(submitted_at)
    return moment.astimezone(timezone.utc if zone == "UTC" else ZoneInfo(zone)).hour
