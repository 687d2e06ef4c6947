"""Distances between 64-bit perceptual hashes (``colorizer.phash``), in the 16-hex-digit form the
queue stores them: one definition for the bot's queue, its dedup and the training data's."""

from __future__ import annotations

HASH_BITS = 64


def normalize_hash(value: int | str) -> str:
    """Canonical 16-hex-digit form of a 64-bit hash given as an int or a hex string (with or without 0x)."""
    number = int(value, 16) if isinstance(value, str) else int(value)
    if not 0 <= number < 1 << HASH_BITS:
        raise ValueError(f"perceptual hash {value!r} is not a 64-bit unsigned value")
    return f"{number:016x}"


def hamming(a: int | str, b: int | str) -> int:
    """Number of differing bits between two 64-bit hashes."""
    return (int(normalize_hash(a), 16) ^ int(normalize_hash(b), 16)).bit_count()
