"""The query log as it was before migrations: questions and feedback (kept as they are if already there)."""

import sqlalchemy as sa
from alembic import op

from ops.db import UtcTimestamp

revision = "0001"
down_revision = None


def upgrade() -> None:
    existing = sa.inspect(op.get_bind()).get_table_names()
    if "questions" not in existing:  # a log written before migrations existed has its tables already
        op.create_table(
            "questions",
            sa.Column("answer_id", sa.String(64), primary_key=True),
            sa.Column("created_at", UtcTimestamp(), nullable=False),
            sa.Column("channel", sa.String(32), nullable=False),
            sa.Column("question", sa.Text, nullable=False),
            sa.Column("lang", sa.String(8)),
            sa.Column("abstained", sa.Integer, nullable=False),
            sa.Column("confidence", sa.Float, nullable=False),
            sa.Column("top_doc", sa.Text),
            sa.Column("latency_ms", sa.Float, nullable=False),
        )
        op.create_index("questions_created_at", "questions", ["created_at"])
    if "feedback" not in existing:
        op.create_table(
            "feedback",
            sa.Column("answer_id", sa.String(64), primary_key=True),
            sa.Column("rating", sa.Integer, sa.CheckConstraint("rating IN (-1, 1)"), nullable=False),
            sa.Column("reason", sa.Text),
            sa.Column("channel", sa.String(32), nullable=False),
            sa.Column("created_at", UtcTimestamp(), nullable=False),
            sa.Column("updated_at", UtcTimestamp(), nullable=False),
        )
