"""Server-side dashboard sessions (ended by logout, a password change or disabling the account) and sign-in
failures counted per name as typed, known or not; the counters of existing accounts move there.

Revision ID: m010_sessions
"""
import sqlalchemy as sa
from alembic import op

revision = "m010_sessions"
down_revision = "m009_kiosk_clocks_and_installs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("username", sa.String(100), sa.ForeignKey("users.username"), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("last_seen_at", sa.String(40), nullable=False),
        sa.Column("ended_at", sa.String(40)),
        sa.Column("ended_why", sa.String(20)),
    )
    op.create_index("ix_sessions_username", "sessions", ["username"])
    op.create_table(
        "login_throttle",
        sa.Column("username", sa.String(100), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.String(40)),
    )
    op.execute("INSERT INTO login_throttle (username, failures, next_attempt_at) "
               "SELECT username, failed_logins, next_attempt_at FROM users WHERE failed_logins > 0")
