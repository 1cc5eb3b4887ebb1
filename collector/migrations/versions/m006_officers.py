"""Officers (15c317e): the officers, their daily figures (filled from the responses that name an
officer) and context notes; a user may be an officer; a unit may rank its officers for pimpinan.

Revision ID: m006_officers
"""
import sqlalchemy as sa
from alembic import op

from collector.migrations.frozen import CODES, SCORE_COLUMNS, TOTAL, refill, score_sums

revision = "m006_officers"
down_revision = "m005_response_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("officers", sa.Column("nip", sa.String(30), primary_key=True),
                    sa.Column("name", sa.String(200), nullable=False),
                    sa.Column("unit", sa.String(40), sa.ForeignKey("units.code"), nullable=False),
                    sa.Column("pin_hash", sa.String(300), nullable=False),
                    sa.Column("active", sa.Boolean, nullable=False, server_default="1"))
    op.create_table("officer_daily", sa.Column("officer", sa.String(30), nullable=False),
                    sa.Column("unit", sa.String(40), nullable=False), sa.Column("day", sa.Date, nullable=False),
                    sa.Column("suspect", sa.Boolean, nullable=False),
                    *(sa.Column(name, sa.Integer, nullable=False) for name in ("responses", "score_sum", "score_sq_sum")),
                    *(sa.Column(f"{code}_sum", sa.Integer, nullable=False) for code in CODES),
                    *(sa.Column(name, sa.Integer, nullable=False) for name in SCORE_COLUMNS),
                    sa.PrimaryKeyConstraint("officer", "unit", "day", "suspect"))
    op.create_table("officer_notes", sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                    sa.Column("officer", sa.String(30), sa.ForeignKey("officers.nip"), nullable=False),
                    sa.Column("period", sa.String(30), nullable=False), sa.Column("note", sa.Text, nullable=False),
                    sa.Column("created_by", sa.String(100), nullable=False),
                    sa.Column("created_at", sa.String(40), nullable=False))
    op.create_index("ix_officer_notes_officer_period", "officer_notes", ["officer", "period"])
    op.add_column("users", sa.Column("officer", sa.String(30)))
    op.add_column("units", sa.Column("officer_ranking", sa.Boolean, nullable=False, server_default=sa.false()))
    for statement in refill("officer_daily", {"officer": "officer", "unit": "unit", "day": "local_day",
                                              "suspect": "suspect"},
                            [f"SUM({TOTAL}) AS score_sum", f"SUM({TOTAL} * {TOTAL}) AS score_sq_sum", *score_sums()],
                            where="WHERE officer IS NOT NULL AND officer <> ''"):
        op.execute(statement)
