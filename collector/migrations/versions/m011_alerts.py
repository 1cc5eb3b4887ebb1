"""Alerts: rules per unit (rows only where a unit changed a default), alert episodes (opened, cleared,
acknowledged with a note), and the e-mail log (queued, sent or failed); an e-mail address per account;
a follow-up remembers the day it was done and what prompted it. Rows from before keep every value; their
follow-ups have no done day (the effect shows only for follow-ups marked done from now on).

Revision ID: m011_alerts
"""
import sqlalchemy as sa
from alembic import op

revision = "m011_alerts"
down_revision = "m010_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("email", sa.String(200)))
    op.add_column("followups", sa.Column("done_on", sa.Date))
    op.add_column("followups", sa.Column("source", sa.String(20)))
    op.create_table(
        "alert_rules",
        sa.Column("unit", sa.String(40), sa.ForeignKey("units.code"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("threshold", sa.String(20)),
        sa.Column("min_count", sa.Integer),
        sa.Column("updated_by", sa.String(100)),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("unit", "kind"),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("unit", sa.String(40), sa.ForeignKey("units.code"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("opened_at", sa.String(40), nullable=False),
        sa.Column("cleared_at", sa.String(40)),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("acknowledged_by", sa.String(100)),
        sa.Column("acknowledged_at", sa.String(40)),
        sa.Column("ack_note", sa.Text),
    )
    op.create_index("ix_alerts_unit_kind_subject", "alerts", ["unit", "kind", "subject"])
    op.create_table(
        "mail_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id")),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("sent_at", sa.String(40)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_mail_log_sent_at", "mail_log", ["sent_at"])
