"""The model a worker process answers with, following the database's current model between batches.

Without a model store the configured checkpoint (``model_path`` or the shipped default) answers,
as always. With one, the newest row of ``model_switches`` names the current model by hash; before
each batch the worker compares it with the model it holds and, when they differ, loads the new
file from its store, refusing any file whose bytes do not hash to the recorded value. A model that
cannot be loaded is logged once and the model already loaded keeps answering.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.canary import in_canary
from colorizer.store import short_id
from db.model_switches import ModelSwitches

if TYPE_CHECKING:
    from bot.config import Settings
    from colorizer.inference import Colorizer
    from colorizer.store import ModelStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedModel:
    """A colorizer with the content hash of the file it came from (None: built in memory)."""

    colorizer: Colorizer
    sha256: str | None
    source: str

    @property
    def id(self) -> str | None:
        return short_id(self.sha256) if self.sha256 else None

    def describe(self) -> str:
        return f"{self.id} [{self.source}]" if self.id else self.source


@dataclass(frozen=True)
class WantedModel:
    """The model this process should hold now: its hash, and the store holding it (None: a configured file)."""

    sha256: str | None
    source: str
    path: Path | None = None  # a configured file
    store: ModelStore | None = None


class ModelSource:
    """Loads the wanted model lazily and swaps it between batches (thread-safe)."""

    def __init__(self, settings: Settings, switches: ModelSwitches | None, *, fixed: Colorizer | None = None) -> None:
        self.settings, self.switches = settings, switches
        self._lock = threading.Lock()
        self._loaded: LoadedModel | None = LoadedModel(fixed, None, "given") if fixed is not None else None
        self._fixed = fixed is not None
        self._refused: str | None = None  # the hash whose load failed (logged once; retried when the pointer moves)
        self._configured_sha: str | None = None
        self._canary: LoadedModel | None = None  # a candidate answering a share of new posts
        self._canary_share = 0.0
        self._canary_refused: str | None = None

    @property
    def canary(self) -> tuple[LoadedModel, float] | None:
        """The canary model this process holds and its share of posts (None: none runs)."""
        return (self._canary, self._canary_share) if self._canary is not None else None

    def for_post(self, post_id: str) -> LoadedModel:
        """The model that answers ``post_id``: the canary for its share of posts (by post id), else the current one."""
        canary = self._canary
        if canary is not None and in_canary(post_id, self._canary_share):
            return canary
        return self.get()

    def refresh_canary(self) -> None:
        """Between batches: follow the database's running canary (start, change, end). Never raises."""
        if self.switches is None or self.settings.model_store is None:
            return
        try:
            running = self.switches.canary()
        except Exception as exc:  # noqa: BLE001 - the database is away: keep what we have
            log.warning("model: cannot read the canary (%s); keeping the current state", type(exc).__name__)
            return
        if running is None:
            if self._canary is not None:
                log.info("model: canary %s ended; the current model answers every post", self._canary.describe())
            self._canary, self._canary_share = None, 0.0
            return
        self._canary_share = running.share
        held = self._canary.sha256 if self._canary is not None else None
        if running.sha256 in (held, self._canary_refused):
            return
        from colorizer.store import ModelStore

        wanted = WantedModel(running.sha256, f"canary {running.model_id} ({running.share:.0%} of posts)",
                             store=ModelStore(self.settings.model_store))
        try:
            self._canary = self._load(wanted)
        except Exception as exc:  # noqa: BLE001 - a canary that cannot load answers nothing; the current model does
            self._canary, self._canary_refused = None, running.sha256
            log.error("model: refusing %s: %s; the current model answers every post", wanted.source, exc)

    @property
    def loaded(self) -> LoadedModel | None:
        return self._loaded

    def get(self) -> LoadedModel:
        """The model to colorize with, loading the current one on first use.

        When the current model cannot be loaded, the configured one answers until the next switch.
        """
        with self._lock:
            if self._loaded is None:
                wanted = self._wanted()
                try:
                    self._loaded = self._load(wanted)
                except Exception as exc:
                    if wanted.store is None:
                        raise
                    self._refused = wanted.sha256
                    fallback = self._configured()
                    log.error("model: refusing %s: %s; answering with the %s until the next switch", wanted.source, exc, fallback.source)
                    self._loaded = self._load(fallback)
            return self._loaded

    def refresh(self) -> bool:
        """Between batches: load the current model if the database moved on; True when it switched.

        Never raises for a bad file, store or database: the old model keeps answering and the reason
        is logged once per model.
        """
        if self._fixed or self._loaded is None:
            return False  # nothing loaded yet: the first batch loads whatever is current then
        with self._lock:
            try:
                wanted = self._wanted()
            except Exception as exc:  # noqa: BLE001 - the database is away: keep answering
                log.warning("model: cannot read the current model (%s: %s); %s keeps answering",
                            type(exc).__name__, exc, self._loaded.describe())
                return False
            if wanted.sha256 in (self._loaded.sha256, self._refused):
                return False
            try:
                new = self._load(wanted)
            except Exception as exc:  # noqa: BLE001 - corrupt, missing, mismatched: the old model keeps answering
                self._refused = wanted.sha256
                log.error("model: refusing %s: %s; %s keeps answering", wanted.source, exc, self._loaded.describe())
                return False
            old, self._loaded, self._refused = self._loaded, new, None
            log.info("model: switched from %s to %s", old.describe(), new.describe())
            return True

    # -- what to load ------------------------------------------------------------------------------
    def _wanted(self) -> WantedModel:
        current = self.switches.current() if self.switches is not None else None
        if current is None:
            return self._configured()
        if self.settings.model_store is None:
            log.warning("model: the database names model %s as current but this process has no model_store configured "
                        "(model_store / COLORBOT_MODEL_STORE); the configured model answers", current.model_id)
            return self._configured()
        from colorizer.store import ModelStore

        return WantedModel(current.sha256, f"model {current.model_id} ({current.action})", store=ModelStore(self.settings.model_store))

    def _configured(self) -> WantedModel:
        from colorizer.store import file_sha256

        path = self.settings.model_file()
        if self._configured_sha is None:
            self._configured_sha = file_sha256(path) if path.is_file() else None
        return WantedModel(self._configured_sha, f"configured model {path}", path=path)

    def _load(self, wanted: WantedModel) -> LoadedModel:
        from colorizer.inference import Colorizer
        from colorizer.store import StoreError, file_sha256

        path = wanted.store.verified_path(wanted.sha256) if wanted.store is not None and wanted.sha256 else wanted.path
        assert path is not None
        colorizer = Colorizer.from_checkpoint(path, render_size=self.settings.render_size, device=self.settings.device,
                                             engine=self.settings.engine)
        if wanted.store is not None and file_sha256(path) != wanted.sha256:  # replaced while it was being read
            raise StoreError(f"{path} changed while it was loaded")
        loaded = LoadedModel(colorizer, wanted.sha256, wanted.source)
        log.info("model: %s loaded (render size %d, %s, %s)", loaded.describe(), colorizer.render_size, colorizer.device, colorizer.engine)
        return loaded
