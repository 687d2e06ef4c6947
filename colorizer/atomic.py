"""Atomic file output: readers (and a crash) never see a half-written file."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


@contextmanager
def atomic_output(path: str | Path, *, durable: bool = False) -> Iterator[BinaryIO]:
    """Write through a hidden temporary file beside ``path``, then ``os.replace`` it into place.

    On any error the temporary file is removed and an existing ``path`` is left untouched.
    ``durable`` also fsyncs before the rename (checkpoints: survive a power cut, not only a crash).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as handle:  # exclusive create, default (umask) permissions
            yield handle
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
