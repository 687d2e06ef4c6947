"""Take one of the bot's replies down with its comparison: on its post author's request, or when readers voted it down.

The post stays answered (its ``replied_posts`` row keeps the reply id), so it is never answered
again; the comparison is deleted from its host unless a repost's reply links the same image, and
is forgotten so no later repost reuses it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from bot.hosting import HostedImage, ImageHost, companion_files
from db import Job, JobQueue, transaction
from db.models import JobState

if TYPE_CHECKING:
    import praw


def remove_reply(reddit: praw.Reddit, queue: JobQueue, host: ImageHost, post_id: str, reply_id: str) -> None:
    """Delete comment ``t1_{reply_id}`` on Reddit, then the post's hosted comparison(s) and their poster frames."""
    reddit.comment(id=reply_id).delete()
    for job in queue.jobs_for_post(post_id):
        if job.hosted_url and not shared_comparison(queue, job):
            for hosted in [HostedImage(job.hosted_url, job.hosted_delete_handle), *companion_files(job.metrics)]:
                host.delete(hosted)
        if job.hosted_url:
            queue.forget_hosted_url(job.id)  # a repost must never be answered with it


def shared_comparison(queue: JobQueue, job: Job) -> bool:
    """Whether another post's job links the same comparison (a repost reused it): keep it online."""
    with transaction(queue.engine, write=False) as session:
        count = session.scalar(select(func.count()).select_from(Job).where(
            Job.hosted_url == job.hosted_url, Job.post_id != job.post_id, Job.state == JobState.DONE.value))
    return bool(count)
