"""Flip averaging at inference: the chroma of the image and of its mirror image, averaged."""

from __future__ import annotations

import torch
from PIL import Image

from colorizer.checkpoint import save_checkpoint
from colorizer.inference import Colorizer
from tests.conftest import vivid_colorizer
from training.synthetic import color_image


def test_flip_average_is_the_mean_of_both_orientations(tmp_path):
    model = vivid_colorizer(seed=3).eval()
    luma = color_image(7, (96, 64)).convert("L")
    plain = Colorizer(model, render_size=64, device="cpu")
    flipped = Colorizer(model, render_size=64, device="cpu", flip_average=True)
    tensor, (height, width) = plain.prepare(luma)
    with torch.no_grad():
        both = (model(tensor[None]) + model(tensor[None].flip(-1)).flip(-1)) / 2
    (averaged,) = flipped.predict([(tensor, (height, width))])
    (single,) = plain.predict([(tensor, (height, width))])
    assert torch.allclose(averaged, both[0, :, :height, :width], atol=1e-5)
    assert not torch.allclose(averaged, single, atol=1e-3)  # the model is not mirror-symmetric


def test_flip_average_travels_in_the_checkpoint(tmp_path):
    path = save_checkpoint(tmp_path / "m.pt", vivid_colorizer(seed=1), {"render_size": 64, "flip_average": True})
    assert Colorizer.from_checkpoint(path, device="cpu").flip_average
    path = save_checkpoint(tmp_path / "n.pt", vivid_colorizer(seed=1), {"render_size": 64})
    assert not Colorizer.from_checkpoint(path, device="cpu").flip_average
    assert isinstance(Colorizer.from_checkpoint(path, device="cpu").colorize(Image.new("L", (40, 30), 128)), Image.Image)
