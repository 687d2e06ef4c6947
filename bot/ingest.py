"""Turn listing items (PRAW ``Submission`` objects) into queue jobs, with cheap filters first.

Why here and not in the worker: everything decided from the listing JSON alone costs nothing,
while a download costs bandwidth and a worker slot. So NSFW, removed, locked, video, self and
non-image posts are dropped before anything is queued, and every decision is one log line.

Why ``vars(submission).get(...)``: a PRAW ``Submission`` fetches the whole post (one HTTP
request) the first time a *missing* attribute is read. Listing JSON omits optional fields
(``post_hint``, ``gallery_data``, ``crosspost_parent_list``…), so ``getattr`` on them would cost
one request per post. This module reads every field through :func:`field`.
"""

from __future__ import annotations

import dataclasses
import html
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field as dc_field
from typing import Any, Literal
from urllib.parse import urlsplit

from bot.download import DEFAULT_IMAGE_HOSTS as IMAGE_HOSTS  # one allow-list of image hosts, for ingest and download
from bot.reddit.mirror import mirror, real_url
from bot.reddit.posts import field, unanswerable
from bot.video.posts import NotYet, Refused, VideoLimits, VideoRef, gallery_gif, gif_video, reddit_video
from db import NewJob

log = logging.getLogger(__name__)

Decision = Literal["queue", "skip", "retry_later"]

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")
ANIMATED_EXTENSIONS = (".gif", ".gifv", ".mp4", ".webm")
#: Gallery mime types → file extension on i.redd.it (Reddit writes ``image/jpg``).
MIME_EXTENSIONS = {"image/jpg": "jpg", "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


@dataclass(frozen=True)
class IngestOptions:
    """What ingest accepts; defaults match :mod:`bot.download`'s allow-list."""

    image_hosts: frozenset[str] = IMAGE_HOSTS
    max_images: int = 20  # a gallery may hold up to 20 items on Reddit
    bot_username: str | None = None  # never queue the bot's own posts (its hosted images)
    sandbox_base_url: str | None = None  # listing URLs are mirrored onto this sandbox (see bot.sandbox.hosts)
    max_pixels: int = 50_000_000  # the downloader's limit: a larger original is answered from Reddit's largest rendition under it
    video: VideoLimits | None = None  # None: video and GIF posts are skipped; else queued as clips within these limits


@dataclass(frozen=True)
class ImageRef:
    """One image of a post, in the post's order (``index`` 0 is the first gallery item)."""

    url: str
    index: int


@dataclass(frozen=True)
class PostPlan:
    """What to do with one post, and why (``reason`` is what the log line says)."""

    post_id: str
    subreddit: str
    author: str | None
    permalink: str
    images: list[ImageRef] = dc_field(default_factory=list)
    decision: Decision = "skip"
    reason: str = ""
    title: str = ""
    video: VideoRef | None = None  # a clip post: one job of kind "video"

    @property
    def fullname(self) -> str:
        return f"t3_{self.post_id}"


# -- reading listing fields without a lazy fetch ---------------------------------------------------
def _name(value: Any) -> str | None:
    """Author / subreddit as text: PRAW turns them into objects (``str()`` is the name)."""
    if value is None:
        return None
    return str(value)


# -- image URLs -----------------------------------------------------------------------------------
class _Urls:
    """Host checks that see through the sandbox's mirrored URLs (``{sandbox}/i.redd.it/x.jpg``)."""

    def __init__(self, options: IngestOptions) -> None:
        self.options = options
        self.base = options.sandbox_base_url.rstrip("/") if options.sandbox_base_url else None

    def real(self, url: str) -> str:
        """The URL as Reddit would write it (sandbox mirrors undone)."""
        return real_url(url, self.base)

    def local(self, real: str) -> str:
        """Where to fetch a real-looking URL we built ourselves (mirrored in sandbox mode)."""
        return mirror(real, self.base)

    def classify(self, url: str) -> tuple[str | None, str]:
        """``(fetch_url, "")`` for a direct image URL, else ``(None, why not)``."""
        real = self.real(url)
        parts = urlsplit(real)
        host, path = (parts.hostname or "").lower(), parts.path.lower()
        if parts.scheme not in ("http", "https") or not host:
            return None, f"not a web URL ({real[:80]})"
        if path.endswith(ANIMATED_EXTENSIONS):
            return None, f"animated image or video ({host}{parts.path[-12:]})"
        if host not in self.options.image_hosts:
            return None, f"link to {host}, not an image host"
        if host != "preview.redd.it" and not path.endswith(IMAGE_EXTENSIONS):
            return None, f"{host} link without an image file name"
        return (html.unescape(url) if host == "preview.redd.it" else url), ""


def _gallery_images(data: Mapping[str, Any], urls: _Urls) -> tuple[list[ImageRef] | None, str]:
    """A gallery's images in ``gallery_data`` order, or ``(None, reason)``; reason starts "retry" when unprocessed."""
    items = (data.get("gallery_data") or {}).get("items")
    metadata = data.get("media_metadata")
    if not items or metadata is None:
        return None, "retry: gallery metadata not in the listing yet"
    images: list[ImageRef] = []
    notes: list[str] = []
    for index, item in enumerate(items):
        media_id = item.get("media_id")
        meta = metadata.get(media_id) or {}
        status = meta.get("status")
        if status in ("unprocessed", None) or (status == "valid" and "s" not in meta):
            return None, f"retry: gallery item {index + 1} ({media_id}) is still processing"
        if status != "valid" or item.get("is_deleted"):
            notes.append(f"item {index + 1} {status if status != 'valid' else 'deleted'}")  # "failed" uploads never recover
            continue
        if meta.get("e") != "Image":
            continue  # AnimatedImage / RedditVideo items are not photos
        ext = MIME_EXTENSIONS.get(str(meta.get("m", "")).lower())
        if ext is None:
            continue
        url, note = _within_limit(f"https://i.redd.it/{media_id}.{ext}", _size(meta["s"], "x", "y"),
                                  [(html.unescape(str(r.get("u", ""))), _size(r, "x", "y")) for r in meta.get("p") or []],
                                  urls.options.max_pixels)
        if url is None:
            notes.append(f"item {index + 1} {note}")
            continue
        images.append(ImageRef(urls.local(url) if url.startswith("https://i.redd.it/") else url, index))
        notes += [f"item {index + 1} {note}"] if note else []
    extra = f" ({'; '.join(notes)})" if notes else ""
    if not images:
        return None, f"gallery of {len(items)} items holds no still images{extra}"
    return images, f"gallery of {len(items)} items, {len(images)} still images{extra}"


def _size(entry: Mapping[str, Any], width_key: str, height_key: str) -> tuple[int, int]:
    try:
        return int(entry.get(width_key) or 0), int(entry.get(height_key) or 0)
    except (TypeError, ValueError):
        return 0, 0


def _within_limit(original: str, size: tuple[int, int], renditions: list[tuple[str, tuple[int, int]]],
                  max_pixels: int) -> tuple[str | None, str]:
    """The original's URL when it fits ``max_pixels`` (or its size is unknown), else Reddit's largest rendition
    under the limit; ``(None, why)`` when none fits. The note says which rendition was taken."""
    width, height = size
    if width * height <= max_pixels:
        return original, ""
    fitting = [(w * h, url, w, h) for url, (w, h) in renditions if url and 0 < w * h <= max_pixels]
    megapixels = width * height / 1e6
    if not fitting:
        return None, f"{width}x{height} ({megapixels:.0f} MP) is over the {max_pixels / 1e6:.0f} MP limit and Reddit lists no smaller copy"
    _, url, w, h = max(fitting)
    return url, f"{width}x{height} ({megapixels:.0f} MP) is over the {max_pixels / 1e6:.0f} MP limit: using Reddit's {w}x{h} rendition"


def _clip(data: Mapping[str, Any], urls: _Urls) -> tuple[VideoRef | None, str] | None:
    """The clip of a video, GIF or all-animated gallery post: ``(ref, why)``, ``(None, why not)``
    (why starts "retry: " while Reddit transcodes), or ``None`` for a post with no moving picture."""
    limits = urls.options.video
    if limits is None:
        return None  # clips are off: video posts are skipped by the image path ("video post")
    animated_gif = urls.real(str(data.get("url_overridden_by_dest") or data.get("url") or "")).lower().split("?")[0].endswith(".gif")
    if not (data.get("is_video") or animated_gif or data.get("is_gallery") or data.get("gallery_data")):
        return None
    if data.get("is_video"):
        try:
            ref = reddit_video(data, limits)
        except NotYet as exc:
            return None, f"retry: {exc}"
        except Refused as exc:
            return None, str(exc)
        sound = "with sound" if ref.has_audio else "no sound"
        return ref, f"video post ({ref.duration:g} s, {ref.height} px, {sound})" if ref.duration is not None else "video post"
    if animated_gif:
        ref = gif_video(data)
        return (ref, "GIF post (Reddit's MP4 of it)") if ref else (None, "GIF post without an MP4 rendition")
    metadata = data.get("media_metadata") or {}
    items = (data.get("gallery_data") or {}).get("items") or []
    entries = [metadata.get(item.get("media_id")) or {} for item in items]
    if not entries or any(e.get("e") == "Image" for e in entries):
        return None  # stills (or not processed yet): the gallery path answers it
    for index, entry in enumerate(entries):
        if (ref := gallery_gif(entry, index)) is not None:
            return ref, f"gallery of {len(items)} animated items: item {index + 1} as a clip"
    return None


def _media(data: Mapping[str, Any], urls: _Urls) -> tuple[list[ImageRef] | None, str]:
    """The images of a post (or a crosspost parent) from its listing data."""
    if data.get("is_video"):
        return None, "video post"
    if data.get("is_gallery") or data.get("gallery_data"):
        return _gallery_images(data, urls)
    if data.get("is_self"):
        return None, "self (text) post"
    url = data.get("url_overridden_by_dest") or data.get("url") or ""
    hint = data.get("post_hint")
    fetch, why = urls.classify(url)
    if fetch is None:
        return None, f"not an image post (post_hint={hint or 'none'}): {why}"
    where = f"image post (post_hint={hint or 'none'}) on {urlsplit(urls.real(fetch)).hostname}"
    preview = ((data.get("preview") or {}).get("images") or [{}])[0]
    if source := preview.get("source"):
        renditions = [(str(r.get("url", "")), _size(r, "width", "height")) for r in preview.get("resolutions") or []]
        fetch, note = _within_limit(fetch, _size(source, "width", "height"), renditions, urls.options.max_pixels)
        if fetch is None:
            return None, f"{where}: {note}"
        where += f"; {note}" if note else ""
    return [ImageRef(fetch, 0)], where


# -- the decision ---------------------------------------------------------------------------------
def plan_post(submission: Any, options: IngestOptions = IngestOptions()) -> PostPlan:
    """Decide what to do with one listing item; logs one line with the decision and its reason."""
    data = submission if isinstance(submission, Mapping) else vars(submission)
    post_id = str(data.get("id") or "")
    author = _name(data.get("author"))
    decision, reason, images, video = _decide(data, author, options)
    result = PostPlan(post_id=post_id, subreddit=_name(data.get("subreddit")) or "", author=author,
                      permalink=str(data.get("permalink") or ""), images=images, decision=decision, reason=reason,
                      title=str(data.get("title") or ""), video=video)
    log.info("ingest %s t3_%s r/%s: %s", decision, post_id, result.subreddit, reason)
    return result


def _decide(data: Mapping[str, Any], author: str | None, options: IngestOptions) -> tuple[Decision, str, list[ImageRef], VideoRef | None]:
    urls = _Urls(options)
    why = unanswerable(data, options.bot_username)
    if why:
        return "skip", why, [], None
    prefix = ""
    parents = data.get("crosspost_parent_list") or []
    if parents:
        parent = parents[0]
        prefix = f"crosspost of {parent.get('name') or data.get('crosspost_parent')}: "
        if parent.get("over_18"):
            return "skip", prefix + "original is NSFW", [], None
        if parent.get("removed_by_category") is not None:
            return "skip", prefix + f"original removed ({parent.get('removed_by_category')})", [], None
        data = parent
    if (clip := _clip(data, urls)) is not None:
        ref, why = clip
        return ("queue", prefix + why, [], ref) if ref is not None else _not_queued(prefix, why)
    images, why = _media(data, urls)
    if images is None:
        return _not_queued(prefix, why)
    if len(images) > options.max_images:
        why += f", first {options.max_images} kept"
        images = images[: options.max_images]
    return "queue", prefix + why, images, None


def _not_queued(prefix: str, why: str) -> tuple[Decision, str, list[ImageRef], None]:
    """A post that is not queued: reasons starting "retry: " wait for Reddit, the rest are skipped."""
    if why.startswith("retry: "):
        return "retry_later", prefix + why.removeprefix("retry: "), [], None
    return "skip", prefix + why, [], None


def plan_jobs(plan: PostPlan) -> list[NewJob]:
    """The queue rows for a plan: one per image of a ``queue`` plan, none otherwise."""
    if plan.decision != "queue":
        return []
    if plan.video is not None:
        return [NewJob(post_id=plan.post_id, subreddit=plan.subreddit, permalink=plan.permalink, image_url=plan.video.video_url,
                       author=plan.author, image_index=0, kind="video", media=dataclasses.asdict(plan.video))]
    return [NewJob(post_id=plan.post_id, subreddit=plan.subreddit, permalink=plan.permalink, image_url=image.url,
                   author=plan.author, image_index=image.index) for image in plan.images]


# -- resuming -------------------------------------------------------------------------------------
def posts_since(listing: Iterable[Any], cursor: str | None) -> tuple[list[Any], str | None]:
    """Posts newer than ``cursor`` (a fullname), oldest first, and the cursor to store afterwards.

    ``listing`` is newest first (``/new``), so the newer posts are the ones above the cursor.
    When the cursor is not in the listing (no cursor yet, the listing was fetched with
    ``before=cursor``, or the cursor post vanished) every post counts as new: re-reading a few
    is harmless because ``JobQueue.enqueue`` ignores a (post, image) it already has, while
    guessing by id could lose posts (the sandbox's seed ids are not in creation order).
    Duplicates (PRAW's ``before=`` pagination repeats pages) are dropped. The new cursor is the
    newest fullname, or the old one when nothing is newer; store it after enqueueing.
    """
    seen: set[str] = set()
    items: list[Any] = []
    for item in listing:
        post_id = str(field(item, "id") or "")
        if post_id and post_id not in seen:
            seen.add(post_id)
            items.append(item)
    ids = [f"t3_{field(item, 'id')}" for item in items]
    found = cursor is not None and cursor in ids
    newer = items[: ids.index(cursor)] if cursor is not None and found else items
    new_cursor = ids[0] if newer else cursor
    how = "found in listing" if found else ("not in listing: all are new" if cursor else "none yet: all are new")
    log.info("ingest: %d new posts of %d listed (cursor %s %s); cursor now %s", len(newer), len(items), cursor or "-", how, new_cursor)
    return newer[::-1], new_cursor
