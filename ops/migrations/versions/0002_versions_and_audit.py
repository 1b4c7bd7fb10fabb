"""Which index version answered, whether a curated pin did, and the audit of curated pins loaded."""

import sqlalchemy as sa
from alembic import op

from ops.db import UtcTimestamp

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("questions") as batch:
        batch.add_column(sa.Column("curated", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("index_version", sa.String(200)))
    op.create_table(
        "curated_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", UtcTimestamp(), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("index_version", sa.String(200)),
        sa.Column("pins", sa.Integer, nullable=False),
        sa.Column("detail", sa.Text),
    )
    op.create_index("curated_audit_created_at", "curated_audit", ["created_at"])
