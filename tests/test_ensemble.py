"""colorizer.ensemble: several nets' chroma averaged, saved and loaded as one checkpoint."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from colorizer.checkpoint import CheckpointError, load_checkpoint, read_checkpoint, save_checkpoint
from colorizer.ensemble import ChromaEnsemble
from colorizer.inference import Colorizer
from tests.conftest import TEST_RENDER_SIZE, vivid_colorizer


@pytest.fixture(scope="module")
def members() -> list[torch.nn.Module]:
    # Two backbones, so the members differ in shape as well as weights.
    return [vivid_colorizer("resnet18", seed=0), vivid_colorizer("efficientnet_lite0", seed=1, arch="residual-guided")]


def test_an_ensemble_predicts_the_mean_of_its_members(members) -> None:
    ensemble = ChromaEnsemble(members).eval()
    gray = torch.rand(2, 1, 64, 96)
    with torch.no_grad():
        first, second, mean = members[0](gray), members[1](gray), ensemble(gray)
    assert (first - second).abs().mean() > 0.05  # the members disagree, so the mean is a new prediction
    assert torch.allclose(mean, (first + second) / 2, atol=1e-6)
    assert ensemble.size_multiple == 32


def test_an_ensemble_needs_two_single_nets(members) -> None:
    with pytest.raises(ValueError, match="at least two"):
        ChromaEnsemble(members[:1])
    with pytest.raises(ValueError, match="single nets"):
        ChromaEnsemble([ChromaEnsemble(members), members[0]])


def test_an_ensemble_checkpoint_round_trips_and_colorizes(members, tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "ensemble.pt", ChromaEnsemble(members), {"render_size": TEST_RENDER_SIZE})
    single = save_checkpoint(tmp_path / "single.pt", members[0], {"render_size": TEST_RENDER_SIZE})
    assert read_checkpoint(path)["format_version"] == 2
    assert read_checkpoint(single)["format_version"] == 1  # older colorbots still read single nets

    loaded, meta = load_checkpoint(path)
    assert isinstance(loaded, ChromaEnsemble) and meta["render_size"] == TEST_RENDER_SIZE
    gray = torch.rand(1, 1, 64, 64)
    with torch.no_grad():
        assert torch.equal(loaded(gray), ChromaEnsemble(members).eval()(gray))

    colorizer = Colorizer.from_checkpoint(path, device="cpu")
    photo = Image.linear_gradient("L").resize((150, 100))
    out = colorizer.colorize(photo)
    assert out.size == (150, 100) and out.mode == "RGB"
    rgb = np.asarray(out, dtype=np.int16)
    assert np.abs(np.asarray(out.convert("L"), dtype=np.int16) - np.asarray(photo, dtype=np.int16)).max() <= 3  # luma kept
    assert (rgb.max(axis=2) - rgb.min(axis=2)).mean() > 5  # and colour added


def test_an_ensemble_whose_weights_do_not_fit_names_every_member(members, tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "ensemble.pt", ChromaEnsemble(members))
    payload = torch.load(path, weights_only=True)
    del payload["state_dict"]["members.1.head.weight"]
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match=r"an ensemble of a residual colorizer on 'resnet18' and a residual-guided "
                                              r"colorizer on 'efficientnet_lite0'.*members\.1\.head\.weight"):
        load_checkpoint(path)
