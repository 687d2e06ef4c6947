"""Initial schema: the job queue and the durable facts (cursors, bans, opt-outs, replies, state).

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Frozen on purpose: a revision never imports the models, so later model edits cannot rewrite history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("post_id", sa.String(length=32), nullable=False),
        sa.Column("subreddit", sa.String(length=64), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=True),
        sa.Column("permalink", sa.String(length=512), nullable=False),
        sa.Column("image_url", sa.String(length=2048), nullable=False),
        sa.Column("image_index", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("skip_reason", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _utc(), nullable=False),
        sa.Column("lease_owner", sa.String(length=128), nullable=True),
        sa.Column("lease_expires_at", _utc(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("metrics", sa.JSON(), nullable=True),
        sa.Column("phash", sa.String(length=16), nullable=True),
        sa.Column("hosted_url", sa.String(length=2048), nullable=True),
        sa.Column("hosted_delete_handle", sa.String(length=256), nullable=True),
        sa.Column("reply_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'running', 'done', 'skipped', 'failed')", name=op.f("ck_jobs_state")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("post_id", "image_index", name=op.f("uq_jobs_post_id_image_index")),
    )
    op.create_index("ix_jobs_claimable", "jobs", ["state", "next_attempt_at"])
    op.create_index("ix_jobs_lease", "jobs", ["state", "lease_expires_at"])
    op.create_index(op.f("ix_jobs_phash"), "jobs", ["phash"])
    op.create_index(op.f("ix_jobs_post_id"), "jobs", ["post_id"])

    op.create_table(
        "poll_cursors",
        sa.Column("listing_key", sa.String(length=128), nullable=False),
        sa.Column("newest_fullname", sa.String(length=32), nullable=True),
        sa.Column("last_polled_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("listing_key", name=op.f("pk_poll_cursors")),
    )
    op.create_table(
        "banned_subreddits",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("since", _utc(), nullable=False),
        sa.Column("next_check_at", _utc(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_banned_subreddits")),
    )
    op.create_index(op.f("ix_banned_subreddits_next_check_at"), "banned_subreddits", ["next_check_at"])
    op.create_table(
        "opted_out_users",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("since", _utc(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_opted_out_users")),
    )
    op.create_table(
        "replied_posts",
        sa.Column("post_id", sa.String(length=32), nullable=False),
        sa.Column("reply_id", sa.String(length=32), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("reserved_at", _utc(), nullable=False),
        sa.Column("replied_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("post_id", name=op.f("pk_replied_posts")),
    )
    op.create_table(
        "state",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_state")),
    )


def downgrade() -> None:
    op.drop_table("state")
    op.drop_table("replied_posts")
    op.drop_table("opted_out_users")
    op.drop_index(op.f("ix_banned_subreddits_next_check_at"), table_name="banned_subreddits")
    op.drop_table("banned_subreddits")
    op.drop_table("poll_cursors")
    op.drop_index(op.f("ix_jobs_post_id"), table_name="jobs")
    op.drop_index(op.f("ix_jobs_phash"), table_name="jobs")
    op.drop_index("ix_jobs_lease", table_name="jobs")
    op.drop_index("ix_jobs_claimable", table_name="jobs")
    op.drop_table("jobs")
