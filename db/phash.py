"""Perceptual hashes as the queue stores them: 64 bits written as 16 lowercase hex digits.

Hex text sorts, indexes and compares exactly on every backend, and avoids the signed/unsigned
trouble of putting a 64-bit unsigned value in a BIGINT. The form and the distance are defined
beside the hash itself (``colorizer.hash_distance``), so training never imports the queue.
"""

from __future__ import annotations

from colorizer.hash_distance import HASH_BITS, hamming, normalize_hash

__all__ = ["HASH_BITS", "hamming", "normalize_hash"]
