"""Shared fixtures: small real models and checkpoints built from random weights (no downloads)."""

from __future__ import annotations

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
