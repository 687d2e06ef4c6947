"""Stage 6 of the worker: answer each published post on Reddit exactly once (or write the outbox).

The protocol that keeps a crash or an ambiguous answer from replying twice: one ``/api/info``
re-check for the batch, the hourly budget, ``reserve_reply`` (a durable claim on the right to
answer), a look at the bot's own newest comments for one on this post (``bot.reddit.own_replies``:
no assumption about thread size), the comment — sent once, never re-sent by prawcore
(``bot.reddit.writes``) — then ``record_reply``. When the comment call fails ambiguously (5xx,
timeout, reset: Reddit may have made it) the bot looks again before anything else; when it
finds its comment, it records that one. A worker that dies between the comment and the record
leaves a reservation; the next attempt finds the comment on Reddit and records it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from bot.batch import PostWork, Settler, Summary, refusal
from bot.hosting import OutboxHost
from bot.reddit.errors import action_for
from bot.reddit.own_replies import find_own_reply
from bot.reddit.posts import PostState, recheck_posts
from bot.reply_text import ReplyContext, render_reply
from db import Facts, JobQueue, LeaseLost, transaction
from db.models import RepliedPost
from db.types import utcnow

if TYPE_CHECKING:
    import praw

    from bot.config import Settings
    from bot.reddit.identity import Identity

log = logging.getLogger(__name__)


class Replier:
    """Replies for a worker; ``pause(until)`` is called when Reddit asks every call to wait."""

    def __init__(self, reddit: praw.Reddit, queue: JobQueue, facts: Facts, settings: Settings, settler: Settler, *,
                 identity: Identity, stop: threading.Event, pause: Callable[[datetime], None]) -> None:
        self.reddit, self.queue, self.facts, self.settings, self.settler = reddit, queue, facts, settings, settler
        self.dry_run = settings.dry_run
        self.identity, self.stop, self.pause = identity, stop, pause
        self.paused_until: datetime | None = None  # Reddit asked every call to wait (this batch)

    def budget_left(self, now: datetime | None = None) -> int:
        """Replies still allowed in the sliding hour (reservations count: each may become a comment)."""
        now = now or utcnow()
        with transaction(self.queue.engine, write=False) as session:
            used = session.scalar(select(func.count()).select_from(RepliedPost).where(RepliedPost.reserved_at >= now - timedelta(hours=1)))
        return self.settings.max_replies_per_hour - int(used or 0)

    def reply_all(self, items: list[PostWork], summary: Summary) -> None:
        """Re-check the published posts in one request, then answer each one in turn."""
        ready = [item for item in items if item.hosted is not None]
        if not ready:
            return
        self.paused_until = None
        try:
            states = recheck_posts(self.reddit, [item.post_id for item in ready])
        except Exception as exc:  # noqa: BLE001 - every Reddit failure is mapped, none escapes
            for item in ready:
                self._reddit_failure(item, summary, exc, reserved=False, what="re-check")
            return
        for item in ready:
            if self.stop.is_set():
                self.settler.release(item, summary, "shutting down")
                continue
            if self.paused_until is not None and utcnow() < self.paused_until:  # no comment into Reddit's pause
                self.settler.reschedule(item, summary, "waiting: Reddit asked to pause", self.paused_until)
                continue
            if not self.dry_run and self.budget_left() <= 0:
                self.settler.release(item, summary, f"hourly reply budget ({self.settings.max_replies_per_hour}) used up")
                summary.stopped_because = "reply budget used up"
                continue
            try:
                self._reply(item, states[item.post_id], summary)
            except LeaseLost as exc:
                log.warning("post t3_%s: lease lost (%s); another worker has it", item.post_id, exc)
                item.open.clear()

    def _reply(self, item: PostWork, state: PostState, summary: Summary) -> None:
        assert item.hosted is not None
        settler = self.settler
        if state.unanswerable:
            settler.discard_upload(item)
            settler.skip(item, summary, f"post {state.unanswerable}")
            return
        if (why_not := refusal(self.facts, state.author or item.author, item.subreddit)) is not None:
            settler.discard_upload(item)
            settler.skip(item, summary, f"{why_not} meanwhile")
            return
        if (source := item.metrics.get("reused_from_job")) and not self._still_hosted(int(source)):
            self.queue.forget_hosted_url(item.lead.id)
            settler.fail(item, summary, f"the reused comparison of job {source} was deleted meanwhile; colorizing afresh")
            return
        context = ReplyContext(bot_name=self.identity.name, comparison_url=item.hosted.url, post_id=item.post_id,
                               author=state.author or item.author, title=state.title, subreddit=item.subreddit,
                               permalink=state.permalink or item.permalink)
        try:
            text = render_reply(context, self.settings.video.reply_template if item.kind == "video" else self.settings.reply_template)
        except ValueError as exc:
            settler.fail(item, summary, f"cannot write the reply: {exc}", permanent=True)
            return
        if self.dry_run:
            where = self._outbox().write_reply(item.post_id, text, permalink=context.permalink, hosted=item.hosted)
            settler.skip(item, summary, f"dry run: reply written to {where}, nothing posted", decision="dry_run")
            return
        resumed = False  # an earlier attempt of this job reserved the reply (and may have made it)
        if not self.queue.reserve_reply(item.post_id, item.lead.id):
            ledger = self.queue.reply_for(item.post_id)
            if ledger is not None and ledger.reply_id:
                settler.skip(item, summary, f"post already answered (t1_{ledger.reply_id})")
                return
            if ledger is not None and ledger.job_id != item.lead.id:
                settler.skip(item, summary, f"job {ledger.job_id} holds the right to reply to this post")
                return
            resumed = True
            log.info("post t3_%s: an earlier attempt reserved the reply without recording it; checking Reddit", item.post_id)
        try:
            existing = find_own_reply(self.reddit, self.identity.name, item.post_id,
                                      post_created_utc=None if resumed else state.created_utc)
        except Exception as exc:  # noqa: BLE001
            # the reservation may be an earlier attempt's whose comment went out: keep it
            self._reddit_failure(item, summary, exc, reserved=False, what="reading the comments")
            return
        if existing and resumed:  # our own comment, made just before the worker died: this job is done
            self.queue.record_reply(item.post_id, existing, item.lead.id)
            settler.complete(item, summary, f"replied t1_{existing} (an earlier attempt's comment, found on Reddit and recorded) "
                                            f"with the comparison {item.hosted.url}")
            summary.replies.append(item.post_id)
            return
        if existing:
            self.queue.record_reply(item.post_id, existing, item.lead.id)
            settler.discard_upload(item)
            settler.skip(item, summary, f"u/{self.identity.name} already replied on Reddit (t1_{existing}); recorded it")
            return
        try:
            comment = self.reddit.submission(id=item.post_id).reply(text)
        except Exception as exc:  # noqa: BLE001
            if action_for(exc).kind == "retry" and self._made_anyway(item, summary, exc):
                return
            self._reddit_failure(item, summary, exc, reserved=True, what="replying", write=True)
            return
        if comment is None:
            settler.fail(item, summary, "Reddit did not return the new comment; will check before replying again")
            return
        recorded = self.queue.record_reply(item.post_id, comment.id, item.lead.id)
        if recorded != comment.id:
            log.warning("post t3_%s: duplicate reply t1_%s removed (t1_%s was recorded first)", item.post_id, comment.id, recorded)
            comment.delete()
        panels = item.metrics.get("panels")
        settler.complete(item, summary, f"replied t1_{recorded} with the {f'{panels}-panel ' if panels else ''}comparison {item.hosted.url}")
        summary.replies.append(item.post_id)

    def _still_hosted(self, job_id: int) -> bool:
        job = self.queue.get(job_id)
        return job is not None and bool(job.hosted_url)

    def _made_anyway(self, item: PostWork, summary: Summary, exc: BaseException) -> bool:
        """After an ambiguous failure of the comment call: did Reddit make it? Record it if so."""
        assert item.hosted is not None
        try:
            made = find_own_reply(self.reddit, self.identity.name, item.post_id)
        except Exception as lookup:  # noqa: BLE001 - cannot tell: the reservation stays, the next attempt looks again
            log.warning("post t3_%s: replying failed ambiguously and the look-up failed too (%s); will look again before "
                        "replying", item.post_id, action_for(lookup).reason)
            return False
        if made is None:
            log.info("post t3_%s: replying failed (%s) and no comment of ours is on Reddit", item.post_id, action_for(exc).reason)
            return False
        self.queue.record_reply(item.post_id, made, item.lead.id)
        self.settler.complete(item, summary, f"replied t1_{made} (Reddit answered {action_for(exc).reason} but had made the "
                                             f"comment; found among our own and recorded) with the comparison {item.hosted.url}")
        summary.replies.append(item.post_id)
        return True

    def _outbox(self) -> OutboxHost:
        if isinstance(self.settler.host, OutboxHost):
            return self.settler.host
        return OutboxHost(self.settings.host.outbox_dir)

    def _reddit_failure(self, item: PostWork, summary: Summary, exc: BaseException, *, reserved: bool, what: str,
                        write: bool = False) -> None:
        """Map a Reddit error to the queue. A reservation is given up only when no comment can exist."""
        action = action_for(exc, attempt=max(item.lead.attempts, 1), write=write)
        self.settler.metrics.error("reddit", action.error_type or action.kind)
        reason = f"{what}: {action.reason}"
        now = utcnow()
        if reserved and action.kind != "retry":  # Reddit answered with a refusal: no comment exists
            self.queue.cancel_reply(item.post_id)
        if action.kind == "reschedule":
            self.settler.reschedule(item, summary, reason, now + timedelta(seconds=action.delay_seconds))
        elif action.kind == "skip":
            self.settler.discard_upload(item)
            self.settler.skip(item, summary, reason)
        elif action.kind == "ban_subreddit":
            self.facts.ban_subreddit(item.subreddit, action.reason, now + timedelta(seconds=action.delay_seconds))
            log.warning("ban: r/%s marked banned (%s)", item.subreddit, action.reason)
            self.settler.discard_upload(item)
            self.settler.skip(item, summary, f"{reason}; r/{item.subreddit} marked banned")
        elif action.kind == "backoff":
            until = now + timedelta(seconds=action.delay_seconds)
            self.paused_until = until
            self.pause(until)
            self.settler.wait_for_reddit(item, summary, reason, until)
        else:
            self.settler.fail(item, summary, reason, retry_at=now + timedelta(seconds=action.delay_seconds))
