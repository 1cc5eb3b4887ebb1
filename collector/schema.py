"""The collector's tables (SQLAlchemy Core): one definition for SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import (Boolean, Column, Date, ForeignKey, ForeignKeyConstraint, Index, Integer, MetaData,
                        PrimaryKeyConstraint, String, Table, Text)

from skm import CODES, PROFILE

metadata = MetaData()

migrations = Table(
    "_migrations", metadata,
    Column("name", String(100), primary_key=True),
    Column("applied_at", String(40), nullable=False),
)

pemda = Table(
    "pemda", metadata,
    Column("code", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
)

opd = Table(
    "opd", metadata,
    Column("code", String(40), primary_key=True),
    Column("pemda", String(40), ForeignKey("pemda.code"), nullable=False),
    Column("name", String(200), nullable=False),
)

units = Table(
    "units", metadata,
    Column("code", String(40), primary_key=True),
    Column("opd", String(40), ForeignKey("opd.code"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("timezone", String(40), nullable=False, server_default="Asia/Jakarta"),
)

services = Table(
    "services", metadata,
    Column("unit", String(40), ForeignKey("units.code"), nullable=False),
    Column("code", String(40), nullable=False),
    Column("name", String(200), nullable=False),
    PrimaryKeyConstraint("unit", "code"),
)

counters = Table(
    "counters", metadata,
    Column("unit", String(40), ForeignKey("units.code"), nullable=False),
    Column("code", String(40), nullable=False),
    Column("name", String(200), nullable=False),
    Column("position", Integer, nullable=False, server_default="0"),
    PrimaryKeyConstraint("unit", "code"),
)

counter_services = Table(
    "counter_services", metadata,
    Column("unit", String(40), nullable=False),
    Column("counter", String(40), nullable=False),
    Column("service", String(40), nullable=False),
    Column("position", Integer, nullable=False, server_default="0"),
    PrimaryKeyConstraint("unit", "counter", "service"),
    ForeignKeyConstraint(["unit", "counter"], ["counters.unit", "counters.code"]),
    ForeignKeyConstraint(["unit", "service"], ["services.unit", "services.code"]),
)

settings = Table(
    "settings", metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

kiosks = Table(
    "kiosks", metadata,
    Column("id", String(36), primary_key=True),
    Column("unit", String(40), ForeignKey("units.code"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("secret", String(64)),  # set at enrollment
    Column("enroll_code_hash", String(64)),  # cleared at enrollment: the code works once
    Column("enroll_expires_at", String(40)),
    Column("created_at", String(40), nullable=False),
    Column("enrolled_at", String(40)),
    Column("revoked_at", String(40)),
    Column("last_seen_at", String(40)),
)

_response_columns = [
    Column("id", String(36), primary_key=True),
    Column("kiosk_id", String(36), nullable=True),
    Column("seq", Integer),
    Column("unit", String(40), nullable=False),
    Column("service", String(40), nullable=False),
    Column("counter", String(40), nullable=False),
    Column("officer", String(100)),
    Column("channel", String(10), nullable=False),
    Column("questionnaire_version", String(40), nullable=False),
    *(Column(code, Integer, nullable=False) for code in CODES),
    *(Column(field.name, String(20)) for field in PROFILE),
    Column("comment", Text),
    Column("started_at", String(40)),
    Column("submitted_at", String(40), nullable=False),
    Column("local_day", Date, nullable=False),  # submitted_at's date in the unit's time zone
    Column("duration_ms", Integer),
    Column("suspect", Boolean, nullable=False, server_default="0"),
    Column("suspect_reason", String(200)),
    Column("received_at", String(40), nullable=False),
    Column("batch_id", String(36)),
    Column("content_hash", String(64), nullable=False),
]
responses = Table("responses", metadata, *_response_columns,
                  Index("ix_responses_unit_day", "unit", "local_day"),
                  Index("ix_responses_kiosk_seq", "kiosk_id", "seq"))

conflicts = Table(
    "conflicts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("response_id", String(36), nullable=False, index=True),
    Column("kiosk_id", String(36)),
    Column("batch_id", String(36)),
    Column("received_at", String(40), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("body", Text, nullable=False),
)

batches = Table(
    "batches", metadata,
    Column("id", String(36), primary_key=True),
    Column("kiosk_id", String(36), nullable=False),
    Column("source", String(10), nullable=False),  # api | bundle
    Column("received_at", String(40), nullable=False),
    Column("accepted", Integer, nullable=False),
    Column("duplicate", Integer, nullable=False),
    Column("conflict", Integer, nullable=False),
    Column("invalid", Integer, nullable=False),
)

AGGREGATE_KEY = ("unit", "service", "counter", "channel", "day", "suspect")
SCORE_COLUMNS = tuple(f"{code}_{score}" for code in CODES for score in (1, 2, 3, 4))

daily_aggregates = Table(
    "daily_aggregates", metadata,
    Column("unit", String(40), nullable=False),
    Column("service", String(40), nullable=False),
    Column("counter", String(40), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("day", Date, nullable=False),
    Column("suspect", Boolean, nullable=False),
    Column("responses", Integer, nullable=False),
    *(Column(f"{code}_sum", Integer, nullable=False) for code in CODES),
    *(Column(name, Integer, nullable=False) for name in SCORE_COLUMNS),
    PrimaryKeyConstraint(*AGGREGATE_KEY),
)
