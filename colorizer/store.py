"""A model store: a directory of checkpoints named by content hash, each with its lineage and scores.

Layout (everything written atomically, nothing ever rewritten in place but the scores)::

    STORE/models/<sha256>.pt     the checkpoint, byte for byte as promoted
    STORE/models/<sha256>.json   {"id", "sha256", "created", "source", "lineage", "scores"}
    STORE/models/<sha256>.<digest>.onnx   its ONNX graph for CPU inference (``colorizer.onnx_graph``)

A model's id is the first 12 hex digits of its SHA-256. The store only keeps files; which one is
*current* is recorded by whoever serves them (the bot's database), so several machines that share
a database agree even when each has its own copy of the store. Whoever loads a file asks
`verified_path` with the hash it expects and gets an error, never a different model, when the bytes
on disk are not that model.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from colorizer.atomic import atomic_output

ID_LENGTH = 12
_CHUNK = 1 << 20


class StoreError(Exception):
    """A model the store cannot hand out (missing, corrupt, not the expected bytes); the message says why."""


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def short_id(sha256: str) -> str:
    return sha256[:ID_LENGTH]


@dataclass(frozen=True)
class StoredModel:
    """One model in the store: where it is, where it came from, how it scored."""

    sha256: str
    path: Path
    created: str
    source: str
    lineage: dict[str, Any] = field(default_factory=dict)
    scores: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return short_id(self.sha256)


def lineage_of(meta: dict[str, Any]) -> dict[str, Any]:
    """What a checkpoint's metadata says about how it was made (label, design, budget, data)."""
    keys = ("label", "backbone", "arch", "steps", "images_seen", "train_minutes", "training_data", "data", "init_from",
            "saturation", "render_size", "colorbot_version", "created")
    found = {key: meta[key] for key in keys if key in meta and isinstance(meta[key], (str, int, float, bool))}
    if isinstance(meta.get("lineage"), list):
        found["stages"] = len(meta["lineage"])
    return found


class ModelStore:
    """The checkpoints a deployment may answer with (see the module notes)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.models_dir = self.root / "models"

    def __repr__(self) -> str:
        return f"ModelStore({str(self.root)!r})"

    def add(self, checkpoint: str | Path, *, source: str | None = None, scores: dict[str, Any] | None = None) -> StoredModel:
        """Copy a valid checkpoint in under its hash (a no-op for bytes already stored; scores merge)."""
        from colorizer.checkpoint import CheckpointError, read_checkpoint  # torch: only where a file is checked

        checkpoint = Path(checkpoint)
        try:
            payload = read_checkpoint(checkpoint)
        except CheckpointError as exc:
            raise StoreError(str(exc)) from exc
        sha = file_sha256(checkpoint)
        target = self.models_dir / f"{sha}.pt"
        if not target.is_file() or file_sha256(target) != sha:
            with atomic_output(target, durable=True) as out, open(checkpoint, "rb") as src:
                shutil.copyfileobj(src, out, _CHUNK)
        if file_sha256(target) != sha:  # the source changed while it was copied
            target.unlink(missing_ok=True)
            raise StoreError(f"{checkpoint}: the file changed while it was copied into the store; try again")
        existing = self._read_record(sha)
        record = {
            "id": short_id(sha),
            "sha256": sha,
            "created": existing.get("created") or datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "source": existing.get("source") or source or str(checkpoint),
            "lineage": lineage_of(payload["meta"]),
            "scores": {**existing.get("scores", {}), **(scores or {})},
        }
        self._write_record(sha, record)
        return self._model(record)

    def record_scores(self, sha256: str, key: str, scores: dict[str, Any]) -> StoredModel:
        """Keep ``scores`` (e.g. one test split's numbers) under ``key`` in the model's record."""
        record = self._read_record(sha256)
        if not record:
            raise StoreError(f"model {short_id(sha256)} is not in {self.root}")
        record["scores"] = {**record.get("scores", {}), key: scores}
        self._write_record(sha256, record)
        return self._model(record)

    def remove(self, sha256: str) -> None:
        """Forget a model (its record first, so a reader never finds a record without its file)."""
        (self.models_dir / f"{sha256}.json").unlink(missing_ok=True)
        (self.models_dir / f"{sha256}.pt").unlink(missing_ok=True)
        for graph in self.models_dir.glob(f"{sha256}.*.onnx"):
            graph.unlink(missing_ok=True)

    def get(self, ref: str) -> StoredModel:
        """A model by full hash or a unique prefix of it (ids are 12-digit prefixes)."""
        ref = ref.strip().lower()
        matches = [m for m in self.list() if m.sha256.startswith(ref)] if ref else []
        if not matches:
            raise StoreError(f"no model {ref!r} in {self.root}")
        if len(matches) > 1:
            raise StoreError(f"{ref!r} matches {len(matches)} models in {self.root}; give more of the hash")
        return matches[0]

    def list(self) -> list[StoredModel]:
        """Every model with a record, oldest first."""
        if not self.models_dir.is_dir():
            return []
        models = []
        for meta_path in self.models_dir.glob("*.json"):
            record = self._read_record(meta_path.stem)
            if record:
                models.append(self._model(record))
        return sorted(models, key=lambda m: (m.created, m.sha256))

    def verified_path(self, sha256: str) -> Path:
        """The file of model ``sha256`` after checking its bytes still hash to it."""
        path = self.models_dir / f"{sha256}.pt"
        if not path.is_file():
            raise StoreError(f"model {short_id(sha256)}: {path} is missing from the store")
        actual = file_sha256(path)
        if actual != sha256:
            raise StoreError(f"model {short_id(sha256)}: {path} does not match its hash (the file hashes to {short_id(actual)}); "
                             "refusing to load it — promote the checkpoint again")
        return path

    # -- records -------------------------------------------------------------------------------
    def _read_record(self, sha256: str) -> dict[str, Any]:
        path = self.models_dir / f"{sha256}.json"
        if not path.is_file():
            return {}
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            return {}
        return record if isinstance(record, dict) and record.get("sha256") == sha256 else {}

    def _write_record(self, sha256: str, record: dict[str, Any]) -> None:
        with atomic_output(self.models_dir / f"{sha256}.json", durable=True) as out:
            out.write(json.dumps(record, indent=2, sort_keys=True).encode())

    def _model(self, record: dict[str, Any]) -> StoredModel:
        sha = record["sha256"]
        return StoredModel(sha, self.models_dir / f"{sha}.pt", str(record.get("created", "")), str(record.get("source", "")),
                           dict(record.get("lineage") or {}), dict(record.get("scores") or {}))
