"""The monthly aggregates keyed like the daily ones: per unit, service, counter, channel, month and suspect,
with the daily rows' every column (the respondent profile too), so that a period's whole months are read
from a few rows per key instead of one per key and day (the unit page at millions of responses). The table
is derived, so it is made anew and filled from the daily aggregates, whose sums add up; the downgrade sums
it back to one row per unit, month and suspect.

The value columns are the daily table's at this revision, written out (a revision imports no app code, and
``migrate --sql`` has no database to read them from).

Revision ID: m018_monthly_keys
"""
import sqlalchemy as sa
from alembic import op

revision = "m018_monthly_keys"
down_revision = "m017_sqlite_compact"
branch_labels = None
depends_on = None

KEYS = ("unit", "service", "counter", "channel")
CODES = ("persyaratan", "prosedur", "waktu", "biaya", "produk", "kompetensi", "perilaku", "pengaduan", "sarana")
SUMS = ("responses", *(f"{code}_sum" for code in CODES), *(f"{code}_{s}" for code in CODES for s in (1, 2, 3, 4)))
PROFILE = ("p_jenis_kelamin_l", "p_jenis_kelamin_p", "p_usia_lt20", "p_usia_20_29", "p_usia_30_39", "p_usia_40_49",
           "p_usia_50_59", "p_usia_60plus", "p_pendidikan_sd", "p_pendidikan_smp", "p_pendidikan_sma",
           "p_pendidikan_d1_d3", "p_pendidikan_s1", "p_pendidikan_s2", "p_pendidikan_s3", "p_pekerjaan_pns",
           "p_pekerjaan_tni", "p_pekerjaan_polri", "p_pekerjaan_swasta", "p_pekerjaan_wirausaha",
           "p_pekerjaan_lainnya", "p_jenis_kelamin_none", "p_usia_none", "p_pendidikan_none", "p_pekerjaan_none")


def _month(day: str) -> str:
    if op.get_context().dialect.name == "postgresql":
        return f"CAST(date_trunc('month', {day}) AS DATE)"
    return f"date({day}, 'start of month')"


def upgrade() -> None:
    op.drop_table("monthly_aggregates")
    op.create_table(
        "monthly_aggregates",
        sa.Column("unit", sa.String(40), nullable=False),
        sa.Column("service", sa.String(40), nullable=False),
        sa.Column("counter", sa.String(40), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("month", sa.Date, nullable=False),  # the first day of the month
        sa.Column("suspect", sa.Boolean, nullable=False),
        *(sa.Column(name, sa.Integer, nullable=False) for name in SUMS),
        *(sa.Column(name, sa.Integer, nullable=False, server_default="0") for name in PROFILE),
        sa.PrimaryKeyConstraint("unit", "service", "counter", "channel", "month", "suspect"),
    )
    op.create_index("ix_monthly_aggregates_unit_month", "monthly_aggregates", ["unit", "month"])
    names = (*SUMS, *PROFILE)
    op.execute(f"INSERT INTO monthly_aggregates ({', '.join(KEYS)}, month, suspect, {', '.join(names)}) "
               f"SELECT {', '.join(KEYS)}, {_month('day')}, suspect, {', '.join(f'sum({n})' for n in names)} "
               f"FROM daily_aggregates GROUP BY {', '.join(KEYS)}, {_month('day')}, suspect")


def downgrade() -> None:
    names = SUMS  # no profile before
    op.execute(f"CREATE TABLE m018_monthly AS SELECT unit, month, suspect, "
               f"{', '.join(f'sum({n}) AS {n}' for n in names)} FROM monthly_aggregates GROUP BY unit, month, suspect")
    op.drop_table("monthly_aggregates")
    op.create_table(
        "monthly_aggregates",
        sa.Column("unit", sa.String(40), nullable=False),
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("suspect", sa.Boolean, nullable=False),
        *(sa.Column(name, sa.Integer, nullable=False) for name in names),
        sa.PrimaryKeyConstraint("unit", "month", "suspect"),
    )
    op.execute(f"INSERT INTO monthly_aggregates (unit, month, suspect, {', '.join(names)}) "
               f"SELECT unit, month, suspect, {', '.join(names)} FROM m018_monthly")
    op.drop_table("m018_monthly")
