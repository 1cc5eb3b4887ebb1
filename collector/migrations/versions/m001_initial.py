"""The schema of the first release (0bea51c): organisation tree, kiosks, responses, conflicts, batches,
daily aggregates. On PostgreSQL the responses are partitioned by month of local_day, with a default
partition for months not made yet; their id is unique through response_keys (m005).

Revision ID: m001_initial
"""
import sqlalchemy as sa
from alembic import op

from collector.migrations.frozen import CODES, PROFILE_FIELDS, SCORE_COLUMNS

revision = "m001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("pemda", sa.Column("code", sa.String(40), primary_key=True),
                    sa.Column("name", sa.String(200), nullable=False))
    op.create_table("opd", sa.Column("code", sa.String(40), primary_key=True),
                    sa.Column("pemda", sa.String(40), sa.ForeignKey("pemda.code"), nullable=False),
                    sa.Column("name", sa.String(200), nullable=False))
    op.create_table("units", sa.Column("code", sa.String(40), primary_key=True),
                    sa.Column("opd", sa.String(40), sa.ForeignKey("opd.code"), nullable=False),
                    sa.Column("name", sa.String(200), nullable=False),
                    sa.Column("timezone", sa.String(40), nullable=False, server_default="Asia/Jakarta"))
    op.create_table("services", sa.Column("unit", sa.String(40), sa.ForeignKey("units.code"), nullable=False),
                    sa.Column("code", sa.String(40), nullable=False), sa.Column("name", sa.String(200), nullable=False),
                    sa.PrimaryKeyConstraint("unit", "code"))
    op.create_table("counters", sa.Column("unit", sa.String(40), sa.ForeignKey("units.code"), nullable=False),
                    sa.Column("code", sa.String(40), nullable=False), sa.Column("name", sa.String(200), nullable=False),
                    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
                    sa.PrimaryKeyConstraint("unit", "code"))
    op.create_table("counter_services", sa.Column("unit", sa.String(40), nullable=False),
                    sa.Column("counter", sa.String(40), nullable=False),
                    sa.Column("service", sa.String(40), nullable=False),
                    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
                    sa.PrimaryKeyConstraint("unit", "counter", "service"),
                    sa.ForeignKeyConstraint(["unit", "counter"], ["counters.unit", "counters.code"]),
                    sa.ForeignKeyConstraint(["unit", "service"], ["services.unit", "services.code"]))
    op.create_table("settings", sa.Column("key", sa.String(100), primary_key=True),
                    sa.Column("value", sa.Text, nullable=False))
    op.create_table("kiosks", sa.Column("id", sa.String(36), primary_key=True),
                    sa.Column("unit", sa.String(40), sa.ForeignKey("units.code"), nullable=False),
                    sa.Column("name", sa.String(200), nullable=False), sa.Column("secret", sa.String(64)),
                    sa.Column("enroll_code_hash", sa.String(64)), sa.Column("enroll_expires_at", sa.String(40)),
                    sa.Column("created_at", sa.String(40), nullable=False), sa.Column("enrolled_at", sa.String(40)),
                    sa.Column("revoked_at", sa.String(40)), sa.Column("last_seen_at", sa.String(40)))
    _responses()
    op.create_table("conflicts", sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                    sa.Column("response_id", sa.String(36), nullable=False), sa.Column("kiosk_id", sa.String(36)),
                    sa.Column("batch_id", sa.String(36)), sa.Column("received_at", sa.String(40), nullable=False),
                    sa.Column("content_hash", sa.String(64), nullable=False), sa.Column("body", sa.Text, nullable=False))
    op.create_index("ix_conflicts_response_id", "conflicts", ["response_id"])
    op.create_table("batches", sa.Column("id", sa.String(36), primary_key=True),
                    sa.Column("kiosk_id", sa.String(36), nullable=False),
                    sa.Column("source", sa.String(10), nullable=False),
                    sa.Column("received_at", sa.String(40), nullable=False),
                    *(sa.Column(name, sa.Integer, nullable=False)
                      for name in ("accepted", "duplicate", "conflict", "invalid")))
    op.create_table("daily_aggregates", sa.Column("unit", sa.String(40), nullable=False),
                    sa.Column("service", sa.String(40), nullable=False),
                    sa.Column("counter", sa.String(40), nullable=False),
                    sa.Column("channel", sa.String(10), nullable=False), sa.Column("day", sa.Date, nullable=False),
                    sa.Column("suspect", sa.Boolean, nullable=False),
                    sa.Column("responses", sa.Integer, nullable=False),
                    *(sa.Column(f"{code}_sum", sa.Integer, nullable=False) for code in CODES),
                    *(sa.Column(name, sa.Integer, nullable=False) for name in SCORE_COLUMNS),
                    sa.PrimaryKeyConstraint("unit", "service", "counter", "channel", "day", "suspect"))


def _responses() -> None:
    postgresql = op.get_context().dialect.name == "postgresql"
    op.create_table(
        "responses",
        sa.Column("id", sa.String(36), nullable=False), sa.Column("kiosk_id", sa.String(36)),
        sa.Column("seq", sa.Integer), sa.Column("unit", sa.String(40), nullable=False),
        sa.Column("service", sa.String(40), nullable=False), sa.Column("counter", sa.String(40), nullable=False),
        sa.Column("officer", sa.String(100)), sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("questionnaire_version", sa.String(40), nullable=False),
        *(sa.Column(code, sa.Integer, nullable=False) for code in CODES),
        *(sa.Column(field, sa.String(20)) for field in PROFILE_FIELDS),
        sa.Column("comment", sa.Text), sa.Column("started_at", sa.String(40)),
        sa.Column("submitted_at", sa.String(40), nullable=False), sa.Column("local_day", sa.Date, nullable=False),
        sa.Column("duration_ms", sa.Integer),
        sa.Column("suspect", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("suspect_reason", sa.String(200)), sa.Column("received_at", sa.String(40), nullable=False),
        sa.Column("batch_id", sa.String(36)), sa.Column("content_hash", sa.String(64), nullable=False),
        # PostgreSQL: the primary key of a partitioned table must hold the partition key.
        sa.PrimaryKeyConstraint("id", "local_day") if postgresql else sa.PrimaryKeyConstraint("id"),
        **({"postgresql_partition_by": "RANGE (local_day)"} if postgresql else {}))
    if postgresql:
        op.execute("CREATE TABLE responses_default PARTITION OF responses DEFAULT")
    op.create_index("ix_responses_unit_day", "responses", ["unit", "local_day"])
    op.create_index("ix_responses_kiosk_seq", "responses", ["kiosk_id", "seq"])
