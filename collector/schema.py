"""The collector's tables (SQLAlchemy Core): one definition for SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import (BigInteger, Boolean, false, Column, Date, ForeignKey, ForeignKeyConstraint, Index, Integer,
                        MetaData, PrimaryKeyConstraint, String, Table, Text)
from sqlalchemy.schema import DefaultClause

from skm import CODES, PROFILE, limits

from .columns import HexText, UuidText

metadata = MetaData()

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
    Column("monthly_volume", Integer),  # estimated service recipients a month, when none are entered
    Column("officer_ranking", Boolean, nullable=False, server_default=false()),  # a ranked table for pimpinan
    Column("head_name", String(200)),  # the kepala unit who signs the Laporan Hasil SKM
    Column("head_nip", String(18)),
    Column("report_place", String(100)),  # the place written above the signature
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
    Column("clock_skew_ms", BigInteger),  # the kiosk's clock minus the server's, as last measured
    Column("clock_measured_at", String(40)),
)

# Each install of a kiosk: a copy of its instance folder on another PC (or in another folder) is another
# install, seen with its own id (""; an old kiosk that sends none) and the highest seq it sent.
kiosk_installs = Table(
    "kiosk_installs", metadata,
    Column("kiosk_id", String(36), ForeignKey("kiosks.id"), nullable=False),
    Column("install_id", String(36), nullable=False),
    Column("first_seen_at", String(40), nullable=False),
    Column("last_seen_at", String(40), nullable=False),
    Column("max_seq", BigInteger),
    Column("revoked_at", String(40)),
    PrimaryKeyConstraint("kiosk_id", "install_id"),
)

_response_columns: list[Column] = [
    Column("id", UuidText(36), primary_key=True),  # a BLOB on SQLite (collector/columns.py), as are these
    Column("kiosk_id", UuidText(36), nullable=True),
    Column("seq", Integer),
    Column("unit", String(limits.CODE_LENGTH), nullable=False),
    Column("service", String(limits.CODE_LENGTH), nullable=False),
    Column("counter", String(limits.CODE_LENGTH), nullable=False),
    Column("officer", String(100)),  # wider than limits.OFFICER_LENGTH, as it shipped
    Column("channel", String(10), nullable=False),
    Column("questionnaire_version", String(40), nullable=False),
    *(Column(code, Integer, nullable=False) for code in CODES),
    *(Column(field.name, String(limits.PROFILE_VALUE_LENGTH)) for field in PROFILE),
    Column("comment", Text),
    Column("started_at", String(40)),
    Column("submitted_at", String(40), nullable=False),  # corrected for the kiosk's clock skew
    Column("claimed_submitted_at", String(40)),  # as the kiosk's clock read it
    Column("clock_skew_ms", BigInteger, nullable=False, server_default="0"),  # subtracted from the claim
    Column("local_day", Date, nullable=False),  # submitted_at's date in the unit's time zone
    Column("local_hour", Integer),  # and its hour there (0..23)
    Column("duration_ms", Integer),
    Column("suspect", Boolean, nullable=False, server_default="0"),
    Column("suspect_reason", String(limits.SUSPECT_REASON_LENGTH)),
    Column("received_at", String(40), nullable=False),
    Column("batch_id", UuidText(36)),
    Column("content_hash", HexText(64), nullable=False),
]
responses = Table("responses", metadata, *_response_columns,
                  Index("ix_responses_unit_day", "unit", "local_day"),
                  Index("ix_responses_kiosk_seq", "kiosk_id", "seq"))


def partitioned_responses() -> Table:
    """The responses table as PostgreSQL gets it: partitioned by month of ``local_day``. Its primary key
    must include the partition key, so id uniqueness lives in ``response_keys``."""
    # DefaultClause.arg is typed wider than Column takes, yet it holds what a Column was given.
    columns = [Column(c.name, c.type, nullable=c.nullable,
                      server_default=c.server_default.arg if isinstance(c.server_default, DefaultClause) else None)  # type: ignore[arg-type]
               for c in _response_columns]
    return Table("responses", MetaData(), *columns, PrimaryKeyConstraint("id", "local_day"),
                 Index("ix_responses_unit_day", "unit", "local_day"),
                 Index("ix_responses_kiosk_seq", "kiosk_id", "seq"),
                 postgresql_partition_by="RANGE (local_day)")


# PostgreSQL only (m013 dropped it on SQLite, where the primary key of responses already makes an id unique).
response_keys = Table(
    "response_keys", metadata,
    Column("id", String(36), primary_key=True),
    Column("content_hash", String(64), nullable=False),
)
POSTGRESQL_ONLY = frozenset({"response_keys"})


def tables(dialect: str) -> list[Table]:
    """The tables a database of this dialect has, in foreign-key order."""
    return [table for table in metadata.sorted_tables if dialect == "postgresql" or table.name not in POSTGRESQL_ONLY]

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


def _slug(value: str) -> str:
    return value.lower().replace("<", "lt").replace("+", "plus").replace("-", "_")


# Respondent profile counts per aggregate row: (field, value or None for "tidak ingin menjawab") -> column.
PROFILE_COLUMNS: dict[tuple[str, str | None], str]
PROFILE_COLUMNS = {(f.name, value): f"p_{f.name}_{_slug(value)}" for f in PROFILE for value in f.values}
PROFILE_COLUMNS.update({(f.name, None): f"p_{f.name}_none" for f in PROFILE})

daily_aggregates = Table(
    "daily_aggregates", metadata,
    Column("unit", String(limits.CODE_LENGTH), nullable=False),
    Column("service", String(limits.CODE_LENGTH), nullable=False),
    Column("counter", String(limits.CODE_LENGTH), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("day", Date, nullable=False),
    Column("suspect", Boolean, nullable=False),
    Column("responses", Integer, nullable=False),
    *(Column(f"{code}_sum", Integer, nullable=False) for code in CODES),
    *(Column(name, Integer, nullable=False) for name in SCORE_COLUMNS),
    *(Column(name, Integer, nullable=False, server_default="0") for name in PROFILE_COLUMNS.values()),
    PrimaryKeyConstraint(*AGGREGATE_KEY),
    # Dashboard reads are a unit's days in a period: without it they scan the unit's whole history.
    Index("ix_daily_aggregates_unit_day", "unit", "day"),
)

# The daily aggregates summed per local month (m018): the same keys with the month for the day, the same
# columns. A period's whole months (the trend, the period before, a triwulan's sections) read a few rows
# per key and month instead of one per key and day.
MONTHLY_KEY = ("unit", "service", "counter", "channel", "month", "suspect")
monthly_aggregates = Table(
    "monthly_aggregates", metadata,
    Column("unit", String(limits.CODE_LENGTH), nullable=False),
    Column("service", String(limits.CODE_LENGTH), nullable=False),
    Column("counter", String(limits.CODE_LENGTH), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("month", Date, nullable=False),  # the first day of the month
    Column("suspect", Boolean, nullable=False),
    Column("responses", Integer, nullable=False),
    *(Column(f"{code}_sum", Integer, nullable=False) for code in CODES),
    *(Column(name, Integer, nullable=False) for name in SCORE_COLUMNS),
    *(Column(name, Integer, nullable=False, server_default="0") for name in PROFILE_COLUMNS.values()),
    PrimaryKeyConstraint(*MONTHLY_KEY),
    Index("ix_monthly_aggregates_unit_month", "unit", "month"),
)

# The comments' themes per unit, local day and channel (trusted comments only), counted with one lexicon
# (``skm.themes.Lexicon.fingerprint``): a row per theme and integrity signal found, and theme '' for every
# comment (the share's base). The unit page sums a period's rows instead of tagging its comments.
theme_daily = Table(
    "theme_daily", metadata,
    Column("lexicon", String(16), nullable=False),
    Column("unit", String(limits.CODE_LENGTH), nullable=False),
    Column("day", Date, nullable=False),
    Column("channel", String(10), nullable=False),
    Column("theme", String(limits.CODE_LENGTH), nullable=False),
    Column("comments", Integer, nullable=False),
    PrimaryKeyConstraint("lexicon", "unit", "day", "channel", "theme"),
)

# The lexicons whose theme_daily rows count every stored comment: one made by a rebuild, or by the first
# ingest into an empty database; an ingest with another lexicon (or none) removes the others' marks.
theme_lexicons = Table(
    "theme_lexicons", metadata,
    Column("lexicon", String(16), primary_key=True),
    Column("since", String(40), nullable=False),  # when its counts became complete (UTC ISO time)
)

# Volume and satisfaction by local day and hour (the weekday x hour view). score_sum is the sum of all
# nine answers, so a cell's IKM is score_sum / (9 x responses).
hourly_aggregates = Table(
    "hourly_aggregates", metadata,
    Column("unit", String(limits.CODE_LENGTH), nullable=False),
    Column("day", Date, nullable=False),
    Column("hour", Integer, nullable=False),
    Column("suspect", Boolean, nullable=False),
    Column("responses", Integer, nullable=False),
    Column("score_sum", Integer, nullable=False),
    PrimaryKeyConstraint("unit", "day", "hour", "suspect"),
)

# Service recipients a unit reports for a period, for the sample size (Krejcie and Morgan).
populations = Table(
    "populations", metadata,
    Column("unit", String(40), ForeignKey("units.code"), nullable=False),
    Column("period", String(30), nullable=False),
    Column("recipients", Integer, nullable=False),
    Column("updated_by", String(100)),
    Column("updated_at", String(40), nullable=False),
    PrimaryKeyConstraint("unit", "period"),
)

# The follow-up plan (rencana tindak lanjut) for a unit's weak unsur in a period.
followups = Table(
    "followups", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("unit", String(40), ForeignKey("units.code"), nullable=False),
    Column("period", String(30), nullable=False),
    Column("unsur", String(20), nullable=False),
    Column("action", Text, nullable=False),
    Column("person", String(200), nullable=False),
    Column("deadline", Date),
    Column("status", String(20), nullable=False),  # rencana | berjalan | selesai
    Column("updated_by", String(100)),
    Column("updated_at", String(40), nullable=False),
    Column("done_on", Date),  # the unit's local day it was marked selesai (the follow-up effect splits there)
    Column("source", String(20)),  # what prompted it: alert | tema | terlemah; None when not said
    Index("ix_followups_unit_period", "unit", "period"),
)

publications = Table(  # where and when a unit published a period's SKM results (PermenPANRB 14/2017)
    "publications", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("unit", String(40), ForeignKey("units.code"), nullable=False),
    Column("period", String(30), nullable=False),
    Column("published_on", Date, nullable=False),
    Column("medium", String(20), nullable=False),  # papan | situs | medsos | massa | lainnya
    Column("place", String(500), nullable=False),  # a URL or a place
    Column("updated_by", String(100)),
    Column("updated_at", String(40), nullable=False),
    Index("ix_publications_unit_period", "unit", "period"),
)

users = Table(
    "users", metadata,
    Column("username", String(100), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("password_hash", String(300), nullable=False),
    Column("role", String(20), nullable=False),  # admin | pimpinan | kepala_unit | petugas | inspektorat
    Column("created_at", String(40), nullable=False),
    # Unused since m009 (sign-in failures are counted in login_throttle, for any name typed); kept as shipped.
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", String(40)),
    Column("disabled", Boolean, nullable=False, server_default="0"),
    Column("officer", String(30)),  # the NIP of a petugas account
    Column("email", String(200)),  # where alerts and the weekly digest go; None: none sent
)

user_units = Table(
    "user_units", metadata,
    Column("username", String(100), ForeignKey("users.username"), nullable=False),
    Column("unit", String(40), ForeignKey("units.code"), nullable=False),
    PrimaryKeyConstraint("username", "unit"),
)

# Dashboard sessions: the cookie carries a random token, this table its SHA-256. A request is signed in only
# while its row has not ended; logout, a password change and disabling the account end rows.
sessions = Table(
    "sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("username", String(100), ForeignKey("users.username"), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("last_seen_at", String(40), nullable=False),
    Column("ended_at", String(40)),
    Column("ended_why", String(20)),  # logout | password | disabled | idle
    Index("ix_sessions_username", "username"),
)

# Failed sign-ins per name as typed, whether or not an account has it, so the answers cannot tell them apart.
login_throttle = Table(
    "login_throttle", metadata,
    Column("username", String(100), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("next_attempt_at", String(40)),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False, index=True),
    Column("username", String(100)),
    Column("action", String(40), nullable=False),
    Column("target", String(200)),
    Column("detail", Text),
    Column("ip", String(64)),
)


# -- QR receipts -----------------------------------------------------------------------------------------------

# Receipt tokens a kiosk issued (reported when it syncs), to count answers per token issued.
receipts_issued = Table(
    "receipts_issued", metadata,
    Column("kiosk_id", String(36), nullable=False),
    Column("nonce", String(limits.NONCE_LENGTH), nullable=False),
    Column("unit", String(limits.CODE_LENGTH), nullable=False),
    Column("counter", String(limits.CODE_LENGTH), nullable=False),
    Column("service", String(limits.CODE_LENGTH), nullable=False),
    Column("issued_at", String(40), nullable=False),
    Column("day", Date, nullable=False),
    Column("code", String(8)),  # the short code printed under a compact token's QR code
    PrimaryKeyConstraint("kiosk_id", "nonce"),
    Index("ix_receipts_issued_unit_day", "unit", "day"),
    Index("ix_receipts_issued_unit_code", "unit", "code"),
)

# One answer per receipt token: the key is taken in the same transaction as the response's insert.
used_receipts = Table(
    "used_receipts", metadata,
    Column("kiosk_id", String(36), nullable=False),
    Column("nonce", String(limits.NONCE_LENGTH), nullable=False),
    Column("response_id", String(36), nullable=False),
    Column("used_at", String(40), nullable=False),
    PrimaryKeyConstraint("kiosk_id", "nonce"),
)

# Flood limits of the public survey, keyed on the token (and only loosely on the address).
rate_limits = Table(
    "rate_limits", metadata,
    Column("key", String(120), primary_key=True),
    Column("window_start", Integer, nullable=False),
    Column("hits", Integer, nullable=False),
)


# -- officers (petugas) -------------------------------------------------------------------------------------

officers = Table(
    "officers", metadata,
    Column("nip", String(30), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("unit", String(40), ForeignKey("units.code"), nullable=False),
    Column("pin_hash", String(300), nullable=False),  # for checking in at the kiosk, verified offline there
    Column("active", Boolean, nullable=False, server_default="1"),
)

# Per officer and local day: what the officer figures need, updated in the ingest transaction. score_sum and
# score_sq_sum are of each respondent's total (the nine answers), for the uncertainty of the index.
officer_daily = Table(
    "officer_daily", metadata,
    Column("officer", String(limits.OFFICER_LENGTH), nullable=False),
    Column("unit", String(limits.CODE_LENGTH), nullable=False),
    Column("day", Date, nullable=False),
    Column("suspect", Boolean, nullable=False),
    Column("responses", Integer, nullable=False),
    Column("score_sum", Integer, nullable=False),
    Column("score_sq_sum", Integer, nullable=False),
    *(Column(f"{code}_sum", Integer, nullable=False) for code in CODES),
    *(Column(name, Integer, nullable=False) for name in SCORE_COLUMNS),
    PrimaryKeyConstraint("officer", "unit", "day", "suspect"),
)

officer_notes = Table(
    "officer_notes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("officer", String(30), ForeignKey("officers.nip"), nullable=False),
    Column("period", String(30), nullable=False),
    Column("note", Text, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", String(40), nullable=False),
    Index("ix_officer_notes_officer_period", "officer", "period"),
)


# -- alerts ---------------------------------------------------------------------------------------------------

# A unit's own setting of one alert rule; a rule without a row takes its default (collector/alerts.py).
alert_rules = Table(
    "alert_rules", metadata,
    Column("unit", String(40), ForeignKey("units.code"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("threshold", String(20)),  # a decimal as text (konversi floor, NRR drop, silent hours)
    Column("min_count", Integer),  # least responses (konversi, NRR) or low ratings (nilai_rendah)
    Column("updated_by", String(100)),
    Column("updated_at", String(40), nullable=False),
    PrimaryKeyConstraint("unit", "kind"),
)

# One row per episode: opened when a rule's condition starts to hold for a subject (the unit, an unsur, a
# counter, a kiosk, a response), cleared when it stops holding; a new episode only after it cleared.
alerts = Table(
    "alerts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("unit", String(40), ForeignKey("units.code"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("subject", String(64), nullable=False),
    Column("opened_at", String(40), nullable=False),
    Column("cleared_at", String(40)),
    Column("detail", Text, nullable=False),  # JSON: the figures when it opened (never an officer, comments masked)
    Column("acknowledged_by", String(100)),
    Column("acknowledged_at", String(40)),
    Column("ack_note", Text),
    Index("ix_alerts_unit_kind_subject", "unit", "kind", "subject"),
)

# Every e-mail: queued (sent_at None), sent, or failed with the error (retried by the next run).
mail_log = Table(
    "mail_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", String(40), nullable=False),
    Column("kind", String(20), nullable=False),  # alert | digest
    Column("alert_id", Integer, ForeignKey("alerts.id")),
    Column("recipient", String(200), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("sent_at", String(40)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("error", Text),
    Index("ix_mail_log_sent_at", "sent_at"),
)
