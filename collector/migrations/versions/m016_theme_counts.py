"""The comments' themes counted per unit, local day and channel under one lexicon's fingerprint
(``theme_daily``), and the lexicons whose counts are complete (``theme_lexicons``). Both start empty: a
revision cannot tag comments (that needs the app's lexicon), so the unit page counts a period's comments
as before until ``skm collector rebuild-aggregates`` fills them (a database with no responses yet is
complete from its first ingest).

Revision ID: m016_theme_counts
"""
import sqlalchemy as sa
from alembic import op

revision = "m016_theme_counts"
down_revision = "m014_publications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "theme_daily",
        sa.Column("lexicon", sa.String(16), nullable=False),
        sa.Column("unit", sa.String(40), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("theme", sa.String(40), nullable=False),
        sa.Column("comments", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("lexicon", "unit", "day", "channel", "theme"),
    )
    op.create_table(
        "theme_lexicons",
        sa.Column("lexicon", sa.String(16), primary_key=True),
        sa.Column("since", sa.String(40), nullable=False),
    )
