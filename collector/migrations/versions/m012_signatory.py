"""The signature block of a unit's Laporan Hasil SKM: the kepala unit's name and NIP and the place the report
is signed in, per unit (empty until someone sets them; the report then leaves blanks to fill in by hand).

Revision ID: m012_signatory
"""
import sqlalchemy as sa
from alembic import op

revision = "m012_signatory"
down_revision = "m011_alerts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("units", sa.Column("head_name", sa.String(200)))
    op.add_column("units", sa.Column("head_nip", sa.String(18)))
    op.add_column("units", sa.Column("report_place", sa.String(100)))
