"""Publish images as posts on the bot's own Reddit profile (``r/u_{username}``).

Why the profile: images stay on Reddit's own media host (``i.redd.it``), which every
subreddit accepts in comments, and the bot can delete them again as their author.

PRAW 8.0.3 (read from its source): ``Subreddit.submit(title, image=PostMedia(path))`` uploads
through an S3 lease and then waits on a websocket for the new post's permalink. When the
websocket fails (or ``use_websockets=False``: networks that block them) the post usually
exists anyway, so the profile's newest posts are searched for it by title.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from bot.hosting.base import HostedImage, HostError

log = logging.getLogger(__name__)

MAX_TITLE_CHARS = 300  # Reddit's limit for post titles
#: How many of the profile's newest posts to search when the websocket did not say which post it was.
LOOKUP_LIMIT = 10


class RedditProfileHost:
    """Posts each image to ``u/{username}``'s profile; the delete handle is the post's fullname."""

    name = "reddit"

    def __init__(self, reddit: Any, username: str | None = None, *, websocket_timeout: int = 30, use_websockets: bool = True,
                 nsfw: bool = False) -> None:
        self.reddit = reddit
        self.use_websockets = use_websockets
        self._username = username
        self.websocket_timeout = websocket_timeout
        self.nsfw = nsfw

    @property
    def username(self) -> str:
        """The profile posted to: the given name, else the bot's own (``/api/v1/me``, read once)."""
        if self._username is None:
            from bot.reddit.identity import identity_of

            self._username = identity_of(self.reddit).name
        return self._username

    def upload(self, path: Path, title: str) -> HostedImage:
        """Submit ``path`` as an image post; returns its ``i.redd.it`` URL and permalink."""
        (result,) = self.upload_batch([(path, title)])
        if isinstance(result, HostError):
            raise result
        return result

    def upload_video(self, path: Path, poster: Path, title: str, *, loop: bool = False) -> HostedImage:
        """Submit ``path`` as a video post (``videogif`` when it should loop silently) with ``poster`` as
        its thumbnail; Reddit names no post, so it is found on the profile like an image post. The URL
        is the post's page: Reddit's player is there."""
        from praw.models import PostMedia
        from prawcore.exceptions import PrawcoreException

        media = {"video": {"media": PostMedia(str(path)), "gif": loop, "thumbnail": PostMedia(str(poster))}}
        submission, how, _ = self._submit(Path(path), title, media)
        try:
            (post,) = list(self.reddit.info(fullnames=[submission.fullname]))
        except (PrawcoreException, ValueError) as exc:
            raise HostError(self.name, f"posted {path.name} as {submission.fullname} but cannot read it back: {type(exc).__name__}",
                            retryable=True, pause_seconds=reddit_pause(exc) if isinstance(exc, PrawcoreException) else 0.0) from None
        page = post.permalink if post.permalink.startswith("http") else f"https://www.reddit.com{post.permalink}"
        log.info("host reddit: posted %s to u/%s as %s, video %s (%s)", path.name, self.username, post.fullname, post.url, how)
        return HostedImage(url=page, delete_handle=post.fullname, page_url=page)

    def upload_batch(self, requests: list[tuple[Path, str]]) -> list[HostedImage | HostError]:
        """Submit each image, then read all the new posts back in one ``/api/info`` (their image URLs)."""
        from prawcore.exceptions import PrawcoreException

        submitted: list[tuple[Any, str, Path] | HostError] = []
        for path, title in requests:
            try:
                submitted.append(self._submit(Path(path), title))
            except HostError as exc:
                submitted.append(exc)
        posts = [entry[0] for entry in submitted if not isinstance(entry, HostError)]
        try:
            read = {str(p.fullname): p for p in self.reddit.info(fullnames=[p.fullname for p in posts])} if posts else {}
        except PrawcoreException as exc:
            error = HostError(self.name, f"posted but cannot read the posts back: {type(exc).__name__}", retryable=True,
                              pause_seconds=reddit_pause(exc))
            read, submitted = {}, [entry if isinstance(entry, HostError) else error for entry in submitted]
        results: list[HostedImage | HostError] = []
        for entry in submitted:
            if isinstance(entry, HostError):
                results.append(entry)
                continue
            submission, how, path = entry
            post = read.get(str(submission.fullname))
            if post is None:
                results.append(HostError(self.name, f"posted {path.name} as {submission.fullname} but Reddit does not list it",
                                         retryable=True))
                continue
            page = post.permalink if post.permalink.startswith("http") else f"https://www.reddit.com{post.permalink}"
            log.info("host reddit: posted %s to u/%s as %s, image %s (%s)", path.name, self.username, post.fullname, post.url, how)
            results.append(HostedImage(url=post.url, delete_handle=post.fullname, page_url=page))
        return results

    def _submit(self, path: Path, title: str, media: dict[str, Any] | None = None) -> tuple[Any, str, Path]:
        """One media post (its Submission, possibly not yet fetched), and how it was identified;
        ``media`` is PRAW's ``submit`` keyword for it (default: ``image=PostMedia(path)``)."""
        from praw.exceptions import ClientException, MediaPostFailed, RedditAPIException, WebSocketException
        from praw.models import PostMedia
        from prawcore.exceptions import PrawcoreException

        started, title = time.time(), " ".join(title.split())[:MAX_TITLE_CHARS] or path.name
        profile = self.reddit.subreddit(f"u_{self.username}")
        media = media if media is not None else {"image": PostMedia(str(path))}
        try:
            submission = profile.submit(title, **media, nsfw=self.nsfw, send_replies=False,
                                        timeout=self.websocket_timeout, without_websockets=not self.use_websockets)
            how = "websocket named the post"
        except MediaPostFailed:  # a WebSocketException subclass: catch it first
            raise HostError(self.name, f"Reddit could not process {path.name} (MediaPostFailed)", retryable=True) from None
        except WebSocketException:
            submission, how = None, "websocket failed"
        except RedditAPIException as exc:
            raise HostError(self.name, f"submit refused: {exc}", retryable=_retryable_api(exc)) from None
        except ClientException as exc:
            raise HostError(self.name, f"cannot submit {path.name}: {exc}", retryable=False) from None
        except (PrawcoreException, OSError) as exc:  # ambiguous (5xx, timeout): the post may exist; look before retrying
            try:
                submission = self._find_own_post(title, started)
            except PrawcoreException:
                submission = None
            if submission is None:
                raise HostError(self.name, f"submit failed: {type(exc).__name__}", retryable=True,
                                pause_seconds=reddit_pause(exc)) from None
            how = f"submit answered {type(exc).__name__}, but the post was made; found it on the profile"
        if submission is None:  # no websocket answer: the post is usually there anyway
            how = f"{how if self.use_websockets else 'websockets off'}; found the post on the profile"
            try:
                submission = self._find_own_post(title, started)
            except PrawcoreException as exc:
                raise HostError(self.name, f"posted but cannot list u/{self.username}: {type(exc).__name__}", retryable=True,
                                pause_seconds=reddit_pause(exc)) from None
        if submission is None:
            raise HostError(self.name, f"posted {path.name} but could not find the post on u/{self.username}", retryable=True)
        return submission, how, path

    def _find_own_post(self, title: str, since: float) -> Any:
        """The newest own post with ``title`` created after ``since`` (clock skew allowed), or None."""
        for submission in self.reddit.redditor(self.username).submissions.new(limit=LOOKUP_LIMIT):
            if submission.title == title and submission.created_utc >= since - 120:
                return submission
        return None

    def delete(self, hosted: HostedImage) -> None:
        """Delete the profile post (``POST /api/del``); Reddit answers the same if it is already gone."""
        from prawcore.exceptions import PrawcoreException

        handle = hosted.delete_handle or ""
        if not handle.startswith("t3_"):
            raise HostError(self.name, f"cannot delete {hosted.url}: no post fullname was kept", retryable=False)
        try:
            self.reddit.submission(id=handle[3:]).delete()
        except PrawcoreException as exc:
            raise HostError(self.name, f"delete of {handle} failed: {type(exc).__name__}", retryable=True) from None
        log.info("host reddit: deleted %s (asked to take it down)", handle)


def reddit_pause(exc: BaseException) -> float:
    """Seconds Reddit asked every call to wait (429, spent rate window, credentials), else 0."""
    from bot.reddit.errors import action_for

    action = action_for(exc)
    return action.delay_seconds if action.kind == "backoff" else 0.0


def _retryable_api(exc: Any) -> bool:
    """Reddit's RATELIMIT passes; SUBREDDIT_NOTALLOWED, bad images etc. do not."""
    return any(item.error_type == "RATELIMIT" for item in getattr(exc, "items", []))
