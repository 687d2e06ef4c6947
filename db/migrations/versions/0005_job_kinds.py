"""Job kinds: a clip is a job of its own kind, with the facts of its media, claimed by its own worker.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

Frozen on purpose: a revision never imports the models, so later model edits cannot rewrite history.
Existing rows are photos.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="photo"))
        batch.add_column(sa.Column("media", sa.JSON(), nullable=True))
    op.create_index("ix_jobs_kind_claimable", "jobs", ["kind", "state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_jobs_kind_claimable", table_name="jobs")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("media")
        batch.drop_column("kind")
