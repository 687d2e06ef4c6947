"""Resumable progress of one video: finished segments and the temporal filter's state after each.

The work folder sits beside the output (hidden). Its manifest is replaced atomically after every
finished segment, so a crash or Ctrl-C at any moment loses at most the segment in progress. A
manifest written for another source file or other settings is discarded, never continued.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

MANIFEST = "manifest.json"


@dataclass
class Segment:
    file: str
    frames: int
    first_pts: int  # source timestamps of the segment's first and last frame
    last_pts: int


@dataclass
class Manifest:
    key: dict[str, Any]  # what must match to continue: source identity and every setting that changes pixels
    segments: list[Segment] = field(default_factory=list)

    @property
    def frames(self) -> int:
        return sum(s.frames for s in self.segments)


def work_folder(target: Path) -> Path:
    return target.with_name(f".{target.name}.colorbot-work")


def source_identity(path: Path) -> dict[str, Any]:
    stat = path.stat()
    return {"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


class Progress:
    """Load, extend and finally remove one video's work folder."""

    def __init__(self, target: Path, key: dict[str, Any], *, restart: bool = False) -> None:
        self.folder = work_folder(target)
        self.manifest = Manifest(key)
        if restart:
            shutil.rmtree(self.folder, ignore_errors=True)
        loaded = self._load()
        if loaded is not None and loaded.key == key:
            self.manifest = loaded
        else:
            shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._remove_strays()

    def _load(self) -> Manifest | None:
        try:
            raw = json.loads((self.folder / MANIFEST).read_text())
            return Manifest(raw["key"], [Segment(**s) for s in raw["segments"]])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _remove_strays(self) -> None:
        """Files of a segment that was in progress when the last run stopped."""
        keep = {MANIFEST} | {s.file for s in self.manifest.segments} | {self._state_name(len(self.manifest.segments))}
        for path in self.folder.iterdir():
            if path.name not in keep:
                path.unlink()

    @staticmethod
    def _state_name(count: int) -> str:
        return f"state-{count:05d}.npz"

    def next_segment_path(self) -> Path:
        return self.folder / f"segment-{len(self.manifest.segments):05d}.nut"

    def temporal_state(self) -> dict[str, np.ndarray]:
        path = self.folder / self._state_name(len(self.manifest.segments))
        if not self.manifest.segments or not path.exists():
            return {}
        with np.load(path) as data:
            return {name: data[name] for name in data.files}

    def finish_segment(self, path: Path, frames: int, first_pts: int, last_pts: int, state: dict[str, np.ndarray]) -> None:
        """Record a complete segment (its file already closed) and the filter state after it."""
        count = len(self.manifest.segments) + 1
        state_path = self.folder / self._state_name(count)
        with open(state_path.with_suffix(".tmp"), "wb") as handle:
            np.savez(handle, **state)
        os.replace(state_path.with_suffix(".tmp"), state_path)
        self.manifest.segments.append(Segment(path.name, frames, first_pts, last_pts))
        tmp = self.folder / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(asdict(self.manifest), indent=1))
        os.replace(tmp, self.folder / MANIFEST)
        (self.folder / self._state_name(count - 1)).unlink(missing_ok=True)

    def segment_files(self) -> list[tuple[Path, int]]:
        """Each finished segment's file and its first frame's source timestamp."""
        return [(self.folder / s.file, s.first_pts) for s in self.manifest.segments]

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
