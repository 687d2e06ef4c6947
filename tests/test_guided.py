"""Guided chroma upsampling and the residual-guided decoder that uses it."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from colorizer.guided import guided_upsample
from colorizer.model import build_colorizer


def _step_edge(size: int, at: int) -> torch.Tensor:
    x = torch.zeros(1, 1, size, size)
    x[..., at:] = 1.0
    return x


def test_chroma_edges_follow_the_gray_edges_at_full_size():
    """A chroma edge known only at 1/4 size lands where the full-size gray has its edge; bilinear
    upsampling smears it over the coarse pixels around it."""
    gray = 0.2 + 0.6 * _step_edge(64, 29)  # an edge between coarse pixels
    truth = 0.3 + 0.4 * _step_edge(64, 29)  # the chroma changes with it
    gray_small, chroma_small = F.avg_pool2d(gray, 4), F.avg_pool2d(truth, 4)
    guided = guided_upsample(chroma_small, gray_small, gray)
    bilinear = F.interpolate(chroma_small, size=(64, 64), mode="bilinear", align_corners=False)
    assert (guided - truth).abs().mean() < 0.25 * (bilinear - truth).abs().mean()


def test_texture_without_colour_evidence_adds_no_speckle():
    """Fine gray texture (fur, grass) under flat chroma leaves the chroma flat."""
    torch.manual_seed(0)
    gray = 0.5 + 0.02 * torch.randn(1, 1, 64, 64)
    chroma = torch.full((1, 2, 16, 16), 0.6)
    out = guided_upsample(chroma, F.avg_pool2d(gray, 4), gray)
    assert out.shape == (1, 2, 64, 64)
    assert (out - 0.6).abs().max() < 1e-3


def test_residual_guided_takes_residual_weights_and_predicts_at_full_size():
    residual = build_colorizer("efficientnet_lite0", arch="residual").eval()
    guided = build_colorizer("efficientnet_lite0", arch="residual-guided")
    guided.load_state_dict(residual.state_dict())  # the same layers: fine-tune either from the other
    guided.eval()
    gray = torch.rand(2, 1, 96, 128)
    with torch.no_grad():
        out = guided(gray)
    assert out.shape == (2, 2, 96, 128)
    assert torch.allclose(out, torch.full_like(out, 0.5))  # zero head: neutral, never noise
    torch.nn.init.normal_(guided.head.weight, std=0.5)
    with torch.no_grad():
        out = guided(gray)
    assert 0.0 <= out.min() and out.max() <= 1.0 and out.std() > 0.01
