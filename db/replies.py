"""The one-reply-per-post ledger: ``replied_posts.post_id`` is the primary key, so a second reply is impossible.

Protocol for a worker about to comment (Reddit side effects cannot be undone, so aim for at most once):
``reserve`` (False → someone else replies, stop) → post the comment → ``record`` the comment id.
If the comment call surely failed before reaching Reddit, ``cancel`` the reservation so a retry may reply.
These functions take an open write session; `db.queue.JobQueue` wraps each in its own transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.engine import dialect_insert
from db.models import Job, RepliedPost


def reserve(session: Session, post_id: str, job_id: int | None, now: datetime) -> bool:
    """Claim the right to reply to `post_id`; False when it is already reserved or answered."""
    insert = dialect_insert(session)
    statement = (
        insert(RepliedPost.__table__)
        .values(post_id=post_id, job_id=job_id, reserved_at=now)
        .on_conflict_do_nothing(index_elements=["post_id"])
        .returning(RepliedPost.__table__.c.post_id)  # an INSERT's rowcount is not reliable (-1 on psycopg)
    )
    return session.execute(statement).scalar_one_or_none() is not None


def record(session: Session, post_id: str, reply_id: str, now: datetime, job_id: int | None = None) -> str:
    """Store the reply id for `post_id` and return the id on record.

    A post that already has a different reply keeps it: the returned id then differs from
    `reply_id`, telling the caller its comment is a duplicate (delete it).
    """
    reserve(session, post_id, job_id, now)  # no-op when a reservation exists
    row = session.scalars(select(RepliedPost).where(RepliedPost.post_id == post_id).with_for_update()).one()
    if row.reply_id is None:
        row.reply_id = reply_id
        row.replied_at = now
        session.flush()
    session.execute(
        update(Job)
        .where(Job.post_id == post_id, Job.reply_id.is_(None))
        .values(reply_id=row.reply_id, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return row.reply_id


def cancel(session: Session, post_id: str) -> bool:
    """Drop a reservation that never became a reply; False if there is none or the reply exists."""
    row = session.get(RepliedPost, post_id, with_for_update=True)
    if row is None or row.reply_id is not None:
        return False
    session.delete(row)
    return True


def lookup(session: Session, post_id: str) -> RepliedPost | None:
    """The reservation/reply row for `post_id` (``reply_id`` None: reserved, reply not yet recorded)."""
    return session.get(RepliedPost, post_id)
