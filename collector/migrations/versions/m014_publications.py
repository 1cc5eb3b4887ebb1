"""The publication record of the Laporan Hasil SKM: per unit and period, the day, the medium (papan
pengumuman, situs web, media sosial, media massa, lainnya) and where (a URL or a place) the results were
published. Starts empty: no publication is invented for the periods before it.

Revision ID: m014_publications
"""
import sqlalchemy as sa
from alembic import op

revision = "m014_publications"
down_revision = "m013_sqlite_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("unit", sa.String(40), sa.ForeignKey("units.code"), nullable=False),
        sa.Column("period", sa.String(30), nullable=False),
        sa.Column("published_on", sa.Date, nullable=False),
        sa.Column("medium", sa.String(20), nullable=False),
        sa.Column("place", sa.String(500), nullable=False),
        sa.Column("updated_by", sa.String(100)),
        sa.Column("updated_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_publications_unit_period", "publications", ["unit", "period"])
