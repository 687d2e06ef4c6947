"""The shared Reddit request budget: one row per request of the last minute, per OAuth client.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

Frozen on purpose: a revision never imports the models, so later model edits cannot rewrite history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reddit_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client", sa.String(length=32), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reddit_requests")),
    )
    op.create_index("ix_reddit_requests_client_sent_at", "reddit_requests", ["client", "sent_at"])


def downgrade() -> None:
    op.drop_index("ix_reddit_requests_client_sent_at", table_name="reddit_requests")
    op.drop_table("reddit_requests")
