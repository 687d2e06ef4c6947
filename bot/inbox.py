"""The bot's inbox: opt-outs and delete requests, each acted on once and marked read.

The reply's links open Reddit's message form with a fixed subject (``bot.reply_text``):

- subject "opt out" (or a body starting with it) → ``Facts.opt_out(sender)``; the worker then
  skips that user's queued posts (it checks opt-outs before touching a post).
- subject "delete" with body ``delete t3_{id}``, or a comment reply to the bot's reply saying
  "delete" → if the sender wrote the post, the bot's reply and its hosted comparison go.

Anything else is logged and marked read (a person reads the bot's messages on Reddit).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.hosting import ImageHost
from bot.metrics import BotMetrics
from bot.reddit.errors import action_for
from bot.reply_removal import remove_reply
from bot.reply_text import DELETE_SUBJECT, OPT_OUT_SUBJECT
from db import Facts, JobQueue

if TYPE_CHECKING:
    import praw

log = logging.getLogger(__name__)

INBOX_LIMIT = 100
_DELETE_TARGET = re.compile(r"\bdelete\s+(?:t3_)?([a-z0-9]{1,12})\b", re.IGNORECASE)
_REPLY_PREFIX = re.compile(r"^(re:\s*)+", re.IGNORECASE)


_CONTEXT_POST = re.compile(r"/comments/([a-z0-9]+)/", re.IGNORECASE)


def post_of_inbox_comment(comment: Any) -> str | None:
    """The post a comment reply in the inbox belongs to. Reddit's inbox items carry no ``link_id``
    (recorded 2025): the post id is read from ``context`` ("/r/sub/comments/POST/slug/COMMENT/?context=3")."""
    match = _CONTEXT_POST.search(str(vars(comment).get("context") or ""))
    if match:
        return match.group(1).lower()
    link_id = vars(comment).get("link_id")  # a comment fetched by id has it
    return str(link_id).removeprefix("t3_") if link_id else None


@dataclass
class InboxResult:
    """What one inbox pass did."""

    opted_out: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    refused: int = 0
    ignored: int = 0


def _command(subject: str, body: str) -> str | None:
    """"opt out", "delete" or None, from a message's subject (or the start of its body)."""
    subject = _REPLY_PREFIX.sub("", subject or "").strip().lower()
    first = (body or "").strip().lower()
    if subject == OPT_OUT_SUBJECT or first.startswith(OPT_OUT_SUBJECT):
        return OPT_OUT_SUBJECT
    if subject == DELETE_SUBJECT or first.startswith(DELETE_SUBJECT):
        return DELETE_SUBJECT
    return None


class Inbox:
    """Reads unread messages and comment replies and acts on the two commands."""

    def __init__(self, reddit: praw.Reddit, queue: JobQueue, facts: Facts, host: ImageHost,
                 metrics: BotMetrics | None = None) -> None:
        self.reddit, self.queue, self.facts, self.host = reddit, queue, facts, host
        self.metrics = metrics or BotMetrics()

    def process(self) -> InboxResult:
        """One pass over the unread inbox; every item handled is marked read in one request."""
        from praw.models import Comment, Message

        result = InboxResult()
        done: list[Any] = []
        for item in self.reddit.inbox.unread(limit=INBOX_LIMIT):
            sender = str(item.author) if item.author is not None else None
            if isinstance(item, Message):
                command = _command(item.subject, item.body)
                target = _DELETE_TARGET.search(item.body or "")
                post_id = target.group(1).lower() if target else None
            elif isinstance(item, Comment):
                command = DELETE_SUBJECT if (item.body or "").strip().lower().startswith(DELETE_SUBJECT) else None
                command = command or (OPT_OUT_SUBJECT if (item.body or "").strip().lower().startswith(OPT_OUT_SUBJECT) else None)
                post_id = post_of_inbox_comment(item) if command == DELETE_SUBJECT else None
                if command == DELETE_SUBJECT and not self._is_reply_to_bot(item, post_id):
                    command = None
            else:
                command, post_id = None, None
            try:
                self._act(command, sender, post_id, item, result)
            except Exception as exc:  # noqa: BLE001 - leave it unread: the next pass tries again
                self.metrics.error("inbox", action_for(exc).error_type or type(exc).__name__)
                log.warning("inbox %s from u/%s: could not act on it: %s", item.fullname, sender, action_for(exc).reason)
                continue
            done.append(item)
        if done:
            self.reddit.inbox.mark_read(done)
        for action, count in (("opt_out", len(result.opted_out)), ("delete", len(result.deleted)),
                              ("refused", result.refused), ("ignored", result.ignored)):
            if count:
                self.metrics.inbox_actions.labels(action).inc(count)
        return result

    def _is_reply_to_bot(self, comment: Any, post_id: str | None) -> bool:
        """A comment reply counts only when it answers the bot's recorded reply on that post."""
        ledger = self.queue.reply_for(post_id) if post_id else None
        return ledger is not None and bool(ledger.reply_id) and str(comment.parent_id) == f"t1_{ledger.reply_id}"

    def _act(self, command: str | None, sender: str | None, post_id: str | None, item: Any, result: InboxResult) -> None:
        if command == OPT_OUT_SUBJECT and sender:
            self.facts.opt_out(sender, reason=f"inbox {item.fullname}")
            result.opted_out.append(sender)
            log.info("inbox %s: u/%s opted out; their posts will not be answered", item.fullname, sender)
        elif command == DELETE_SUBJECT:
            self._delete(sender, post_id, item, result)
        else:
            result.ignored += 1
            log.info("inbox %s from u/%s: not a command; marked read", item.fullname, sender)

    def _delete(self, sender: str | None, post_id: str | None, item: Any, result: InboxResult) -> None:
        """Delete the bot's reply on ``post_id`` and its comparison, if ``sender`` wrote the post."""
        jobs = self.queue.jobs_for_post(post_id) if post_id else []
        ledger = self.queue.reply_for(post_id) if post_id else None
        if not jobs or ledger is None or not ledger.reply_id:
            result.refused += 1
            log.info("inbox %s: delete refused: the bot has no reply on t3_%s", item.fullname, post_id)
            return
        author = next((j.author for j in jobs if j.author), None)
        if not sender or not author or sender.lower() != author.lower():
            result.refused += 1
            log.info("inbox %s: delete refused: u/%s did not write t3_%s", item.fullname, sender, post_id)
            return
        remove_reply(self.reddit, self.queue, self.host, post_id or "", ledger.reply_id)
        result.deleted.append(post_id or "")
        log.info("inbox %s: deleted reply t1_%s on t3_%s and its comparison, as its author u/%s asked",
                 item.fullname, ledger.reply_id, post_id, sender)

