"""Stage 2 of the worker: download a post's images, judge them, and choose what to colorize.

Why its own module: this is the part that looks at pictures — black-and-white detection, galleries,
before/after composites, human colorizations — and it needs nothing of the queue but the post's
jobs, so it reads (and is tested) as one function from jobs to a prepared :class:`PostWork`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PIL import Image

from bot.batch import PostWork
from bot.download import DownloadPolicy, download_image
from db import Job

log = logging.getLogger(__name__)

#: Subreddits where a colour post is itself a human colorization worth comparing against.
HUMAN_COLORIZATION_SUBREDDITS = frozenset({"colorization"})


def prepare_post(item: PostWork, jobs: list[Job], scratch: Path, policy: DownloadPolicy) -> str | None:
    """Fill ``item.gray`` / ``reference`` / ``metrics`` / ``phash``; return why to skip the post, or None.

    ``jobs`` are every image of the post, claimed or not (a gallery's colour item is a reference).
    Raises :class:`bot.download.DownloadError` when an image cannot be fetched.
    """
    from bot.detect import detect_bw
    from bot.phash import phash
    from bot.reference import pick_reference, split_before_after

    pictures: dict[int, Image.Image] = {}
    for job in jobs:
        dest = scratch / f"{item.post_id}-{job.image_index}.img"
        downloaded = download_image(job.image_url, dest, policy)
        pictures[job.image_index] = downloaded.image.luma_source
    if len(pictures) > 1:
        order = sorted(pictures)
        picked = pick_reference([pictures[i] for i in order])
        if picked is None:
            return f"gallery of {len(order)} images holds no black-and-white photo"
        bw, color = order[picked[0]], (order[picked[1]] if picked[1] is not None else None)
        lead = next((j for j in item.jobs if j.image_index == bw), None)
        if lead is None:  # the B&W item is another worker's job: it answers the post
            return f"gallery: item {bw + 1} is the photo to answer, held by another job"
        item.lead = lead
        verdict = detect_bw(pictures[bw])
        item.gray = pictures[bw].convert("L")
        how = f"gallery item {bw + 1} is B&W ({verdict.reason()})"
        if color is not None:  # its luminance matches the B&W item's (bot.reference): the same photo, coloured
            item.reference, item.reference_kind = pictures[color], "gallery"
            how += f", item {color + 1} is its colour version"
        elif any(i != bw and not detect_bw(pictures[i]).is_bw for i in order):  # "then and now": another scene
            how += ", its colour item shows another scene (luminance does not match): no reference, two panels"
        else:
            how += ", no colour item"
    else:
        picture = pictures[item.lead.image_index] if item.lead.image_index in pictures else next(iter(pictures.values()))
        verdict = detect_bw(picture)
        if verdict.is_bw:
            item.gray = picture.convert("L")
            how = f"black-and-white ({verdict.reason()})"
        elif (halves := split_before_after(picture)) is not None:
            item.gray, item.reference, item.reference_kind = halves[0].convert("L"), halves[1], "before_after"
            how = f"before/after composite: B&W half beside a colour half ({verdict.reason()})"
        elif item.subreddit.lower() in HUMAN_COLORIZATION_SUBREDDITS:
            item.gray, item.reference, item.reference_kind = picture.convert("L"), picture, "post"
            how = f"colour post on r/{item.subreddit}: a human colorization, compared with its desaturation ({verdict.reason()})"
        else:
            item.metrics = detector_metrics(verdict.metrics, kind=verdict.kind)
            return f"colour photo, nothing to colorize ({verdict.reason()})"
    item.phash = phash(item.gray)
    item.metrics = detector_metrics(verdict.metrics, kind=verdict.kind, panels=item.panels, reference=item.reference_kind)
    log.info("post t3_%s: colorize: %s", item.post_id, how)
    return None


def detector_metrics(values: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Detector metrics as plain JSON numbers, plus what the worker decided."""
    clean = {k: round(float(v), 4) for k, v in values.items() if isinstance(v, (int, float)) or hasattr(v, "__float__")}
    return {**clean, **extra}
