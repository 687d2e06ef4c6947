"""Which model answers a post while a canary runs: a hash of the post id, so every worker on every machine agrees."""

from __future__ import annotations

import hashlib


def in_canary(post_id: str, share: float) -> bool:
    """True for about ``share`` of all posts, always the same ones for the same id (no shared state needed)."""
    digest = hashlib.sha256(f"colorbot-canary:{post_id.lower().removeprefix('t3_')}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share
