"""Checkpoints and test photos for the model store tests: a gray-answering model, a vivid one, photos with a face."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from colorizer.checkpoint import save_checkpoint
from colorizer.model import build_colorizer
from tests.conftest import vivid_colorizer
from training.synthetic import make_color_image


def neutral_checkpoint(path: Path, seed: int = 0) -> Path:
    """A model that answers gray (UV 0) everywhere: the PSNR of the gray baseline, no colour at all."""
    torch.manual_seed(seed)
    model = build_colorizer("resnet18")
    torch.nn.init.zeros_(model.head.weight)
    return save_checkpoint(path, model.eval(), {"render_size": 64, "label": f"neutral {seed}"})


def vivid_checkpoint_file(path: Path, seed: int = 0) -> Path:
    return save_checkpoint(path, vivid_colorizer(seed=seed), {"render_size": 64, "label": f"vivid {seed}"})


def astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut()


@pytest.fixture
def test_photos(tmp_path: Path) -> Path:
    """Three colour-blob photos and the astronaut (one real face): enough for promote to score on."""
    folder = tmp_path / "test-photos"
    for seed in range(3):
        make_color_image(folder / f"blob{seed}.jpg", seed, size=(96, 80))
    Image.fromarray(astronaut()).resize((192, 192)).save(folder / "astronaut.png")
    return folder
