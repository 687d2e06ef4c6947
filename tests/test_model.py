"""The residual encoder: the seed's exact VGG16 layout, shapes, and every backbone end to end."""

import pytest
import torch

from colorizer.backbones import list_backbones
from colorizer.model import build_colorizer


def _conv_shapes(module: torch.nn.Module) -> list[tuple[int, ...]]:
    return [tuple(m.weight.shape) for m in module.modules() if isinstance(m, torch.nn.Conv2d)]


def test_seed_vgg16_decoder_is_the_2016_design():
    model = build_colorizer("vgg16")
    assert model.backbone.channels == (64, 128, 256, 512)
    decoder = [model.reduce, *reversed(model.fuse), model.refine, model.head]
    assert [tuple(c.weight.shape) for c in decoder] == [
        (256, 512, 1, 1), (128, 256, 3, 3), (64, 128, 3, 3), (3, 64, 3, 3), (3, 3, 3, 3), (2, 3, 3, 3),
    ]
    assert all(c.bias is None for c in decoder), "batch norm replaces the biases"
    assert [n.num_features for n in model.tap_norms] == [64, 128, 256, 512]
    assert model.input_norm.num_features == 3


@pytest.mark.parametrize("size", [(224, 224), (96, 160)])
def test_seed_vgg16_output_shape_and_range(size):
    model = build_colorizer("vgg16").eval()
    torch.nn.init.normal_(model.head.weight)
    with torch.no_grad():
        out = model(torch.rand(2, 1, *size))
    assert out.shape == (2, 2, *size)
    assert 0.0 <= out.min() and out.max() <= 1.0 and out.std() > 0.01


def test_five_stage_vgg_taps_conv5():
    model = build_colorizer("vgg16", stages=5)
    assert model.backbone.channels[-1] == 512 and model.size_multiple == 16
    assert tuple(model.reduce.weight.shape) == (512, 512, 1, 1)
    with torch.no_grad():
        assert model.eval()(torch.rand(1, 1, 64, 96)).shape == (1, 2, 64, 96)


def test_untrained_model_predicts_gray():
    with torch.no_grad():
        out = build_colorizer("resnet18").eval()(torch.rand(1, 1, 64, 64))
    assert torch.equal(out, torch.full_like(out, 0.5))


@pytest.mark.parametrize("name", list_backbones())
def test_every_backbone_colorizes_non_square_input_on_cpu(name):
    model = build_colorizer(name).eval()
    torch.nn.init.normal_(model.head.weight)
    with torch.no_grad():
        out = model(torch.rand(1, 1, 64, 96))
    assert out.shape == (1, 2, 64, 96) and torch.isfinite(out).all()


def test_decoder_gradients_reach_every_parameter():
    model = build_colorizer("resnet18").train()
    torch.nn.init.normal_(model.head.weight, std=0.1)
    model(torch.rand(2, 1, 64, 64)).square().mean().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum()]
    assert not missing
