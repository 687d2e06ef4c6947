"""Readers' verdicts: the scores of the bot's replies, and canary models answering a share of posts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

Frozen on purpose: a revision never imports the models, so later model edits cannot rewrite history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reply_scores",
        sa.Column("reply_id", sa.String(length=32), nullable=False),
        sa.Column("post_id", sa.String(length=32), nullable=False),
        sa.Column("model_sha256", sa.String(length=64), nullable=True),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("reply_id", name=op.f("pk_reply_scores")),
    )
    op.create_index("ix_reply_scores_post_id", "reply_scores", ["post_id"])
    op.create_index("ix_reply_scores_model_sha256", "reply_scores", ["model_sha256"])
    op.create_index("ix_reply_scores_state_next_check_at", "reply_scores", ["state", "next_check_at"])
    op.create_table(
        "canaries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("model_id", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canaries")),
    )


def downgrade() -> None:
    op.drop_table("canaries")
    op.drop_index("ix_reply_scores_state_next_check_at", table_name="reply_scores")
    op.drop_index("ix_reply_scores_model_sha256", table_name="reply_scores")
    op.drop_index("ix_reply_scores_post_id", table_name="reply_scores")
    op.drop_table("reply_scores")
