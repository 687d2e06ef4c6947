"""Shared fixtures: small real models and checkpoints built from random weights (no downloads)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from bot.sandbox import SandboxServer
from colorizer.checkpoint import save_checkpoint
from colorizer.inference import Colorizer
from colorizer.model import ColorizerNet, build_colorizer
from tests.db_backends import database_url, postgres_url  # noqa: F401 - fixtures: SQLite and PostgreSQL

TEST_RENDER_SIZE = 64


@pytest.fixture(scope="session", autouse=True)
def onnx_graph_cache() -> Iterator[Path]:
    """A cache of exported ONNX graphs for this run only (a user's ~/.cache is not touched); the
    test models are few and seeded, so each graph is exported once and shared like a user's cache."""
    folder = Path(tempfile.mkdtemp(prefix="colorbot-test-cache-"))
    before = os.environ.get("COLORBOT_CACHE_DIR")
    os.environ["COLORBOT_CACHE_DIR"] = str(folder)  # subprocesses (the bot, the CLI) inherit it
    yield folder
    if before is None:
        os.environ.pop("COLORBOT_CACHE_DIR", None)
    else:
        os.environ["COLORBOT_CACHE_DIR"] = before
    shutil.rmtree(folder, ignore_errors=True)


def vivid_colorizer(backbone: str = "resnet18", seed: int = 0, **options: object) -> ColorizerNet:
    """A random-weight colorizer whose head is not zero, so it predicts strong, varied colours."""
    torch.manual_seed(seed)
    model = build_colorizer(backbone, **options)
    torch.nn.init.normal_(model.head.weight, std=2.0)
    return model.eval()


@pytest.fixture(scope="session")
def vivid_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint file of a vivid random resnet18 colorizer at a small render size."""
    path = tmp_path_factory.mktemp("models") / "vivid.pt"
    save_checkpoint(path, vivid_colorizer(), {"render_size": TEST_RENDER_SIZE, "training_data": "none (random test weights)"})
    return path


@pytest.fixture(scope="session")
def colorizer(vivid_checkpoint: Path) -> Colorizer:
    """The vivid checkpoint loaded once: every bot in the tests shares it, as the workers of a process do."""
    return Colorizer.from_checkpoint(vivid_checkpoint, device="cpu")


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A fresh local Reddit-compatible server with the default seed, on a free loopback port."""
    with SandboxServer() as server:
        yield server


from tests.model_helpers import test_photos  # noqa: E402, F401 - fixture: photos with a face for promote to score on
