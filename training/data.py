"""Training data: any folder tree of images (ImageNet's ``train/<wnid>/*.JPEG`` included) or a
file list, as random resized crops whose Y is the net's input and whose UV is the target.

Files that fail to decode and images that are (nearly) gray are skipped lazily, in the workers:
the sample comes back as ``None``, :func:`collate` drops it and the batch carries the counts
(``skipped_corrupt``, ``skipped_gray``) for the trainer to add up and log. JPEGs are decoded at
reduced size (Pillow's draft mode: DCT scaling by 1/2, 1/4 or 1/8) whenever the crop would
still cover the output size, so the loader keeps up with the GPU.

Every random choice of a sample comes from a generator seeded by (seed, epoch, index): the data
are the same whatever the worker count, and a resumed run sees exactly the batches it would
have seen (the sampler yields ``(epoch, index)`` pairs, so persistent workers need no epoch).
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset, DistributedSampler

from training.aging import AgingSettings, age_gray
from training.metrics import colorfulness

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif", ".ppm"})
DEFAULT_MIN_COLORFULNESS = 5.0
# Colorfulness is judged on a copy this small (cheap, and blind to JPEG chroma noise).
_CF_SIZE = 64


def list_images(source: str | os.PathLike[str]) -> list[Path]:
    """All image files under a folder (recursively, sorted), or those named in a text file list
    (one path a line, relative to the list's folder; blank lines and ``#`` comments ignored)."""
    source = Path(source)
    if source.is_file():
        base = source.parent
        paths = []
        for line in source.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                path = Path(line)
                paths.append(path if path.is_absolute() else base / path)
        return paths
    if not source.is_dir():
        raise FileNotFoundError(f"{source}: no such image folder or file list")
    found = []
    for root, dirs, files in os.walk(source, followlinks=True):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(root) / f for f in files if Path(f).suffix.lower() in IMAGE_EXTENSIONS and not f.startswith("."))
    return sorted(found)


def open_rgb(path: Path, min_side: int | None = None, crop_box=None, size: int | None = None) -> tuple[Image.Image, float]:
    """Decode ``path`` as RGB; for JPEGs with ``min_side``/``size`` hints, at reduced resolution.

    Returns the image and the factor by which it was reduced (1, 2, 4 or 8), so crop boxes chosen
    on the full-size image can be scaled.
    """
    with Image.open(path) as im:
        full = im.size
        if im.format == "JPEG" and (crop_box is not None or min_side is not None):
            if crop_box is not None:
                # Keep the crop at least ``size`` pixels across after reduction.
                cw, ch = crop_box[2] - crop_box[0], crop_box[3] - crop_box[1]
                req = (math.ceil(full[0] * size / cw), math.ceil(full[1] * size / ch))
            else:
                scale = min_side / min(full)
                req = (math.ceil(full[0] * scale), math.ceil(full[1] * scale))
            if req[0] < full[0] and req[1] < full[1]:
                im.draft("RGB", req)
        rgb = im.convert("RGB")
    return rgb, full[0] / rgb.size[0]


def is_colorful(rgb: Image.Image, threshold: float) -> bool:
    small = rgb if max(rgb.size) <= _CF_SIZE else rgb.resize((_CF_SIZE, _CF_SIZE), Image.Resampling.BILINEAR)
    return colorfulness(np.asarray(small)) >= threshold


def random_resized_box(width: int, height: int, rng: np.random.Generator, scale=(0.2, 1.0), ratio=(3 / 4, 4 / 3)) -> tuple[int, int, int, int]:
    """torchvision's RandomResizedCrop box choice, driven by ``rng``."""
    area = width * height
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target = area * rng.uniform(*scale)
        aspect = math.exp(rng.uniform(*log_ratio))
        w = int(round(math.sqrt(target * aspect)))
        h = int(round(math.sqrt(target / aspect)))
        if 0 < w <= width and 0 < h <= height:
            left = int(rng.integers(0, width - w + 1))
            top = int(rng.integers(0, height - h + 1))
            return left, top, left + w, top + h
    # Fallback: the central crop at the clamped aspect ratio.
    in_ratio = width / height
    if in_ratio < ratio[0]:
        w, h = width, int(round(width / ratio[0]))
    elif in_ratio > ratio[1]:
        w, h = int(round(height * ratio[1])), height
    else:
        w, h = width, height
    left, top = (width - w) // 2, (height - h) // 2
    return left, top, left + w, top + h


def center_square(rgb: Image.Image, size: int) -> Image.Image:
    """Resize the short side to ``size`` and take the central ``size``×``size`` square."""
    w, h = rgb.size
    scale = size / min(w, h)
    nw, nh = max(size, round(w * scale)), max(size, round(h * scale))
    rgb = rgb.resize((nw, nh), Image.Resampling.BILINEAR, reducing_gap=2.0)
    left, top = (nw - size) // 2, (nh - size) // 2
    return rgb.crop((left, top, left + size, top + size))


def to_uint8_tensor(rgb: Image.Image) -> torch.Tensor:
    return torch.from_numpy(np.array(rgb, dtype=np.uint8, copy=True)).permute(2, 0, 1).contiguous()


class ColorDataset(Dataset):
    """Random resized crops (``train=True``) or central squares, as uint8 RGB tensors (3, S, S).

    Items are addressed by ``index`` or by the sampler's ``(epoch, index)``. A file that fails to
    decode or is nearly gray gives ``None`` plus a reason (see :func:`collate`).
    """

    def __init__(self, paths: Sequence[Path], size: int, train: bool = True, seed: int = 0,
                 min_colorfulness: float = DEFAULT_MIN_COLORFULNESS, scale=(0.2, 1.0), flip: bool = True,
                 aging: AgingSettings | None = None) -> None:
        self.paths = [Path(p) for p in paths]
        self.size = size
        self.train = train
        self.seed = seed
        self.min_colorfulness = min_colorfulness
        self.scale = tuple(scale)
        self.flip = flip
        self.aging = aging  # training crops also carry an aged gray (``training.aging``); the colour stays clean

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, key):
        epoch, index = key if isinstance(key, tuple) else (0, key)
        path = self.paths[index]
        rng = np.random.default_rng([self.seed, epoch, index])
        try:
            if self.train:
                with Image.open(path) as probe:
                    width, height = probe.size
                box = random_resized_box(width, height, rng, self.scale)
                rgb, _ = open_rgb(path, crop_box=box, size=self.size)
                # Draft decoding rounds each side up on its own (767 px → 384), so scale per axis
                # and keep the box inside the decoded image.
                fx, fy = width / rgb.width, height / rgb.height
                box = (box[0] / fx, box[1] / fy, min(box[2] / fx, rgb.width), min(box[3] / fy, rgb.height))
            else:
                rgb, _ = open_rgb(path, min_side=self.size)
        except Exception as exc:  # noqa: BLE001 - any decoder failure only skips the file
            log.warning("skipping %s: cannot decode (%s)", path, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            return {"skip": "corrupt", "path": str(path)}
        if not is_colorful(rgb, self.min_colorfulness):
            return {"skip": "gray", "path": str(path)}
        if self.train:
            crop = rgb.resize((self.size, self.size), Image.Resampling.BILINEAR, box=box, reducing_gap=2.0)
            if self.flip and rng.random() < 0.5:
                crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        else:
            crop = center_square(rgb, self.size)
        sample = {"rgb": to_uint8_tensor(crop), "index": index}
        if self.aging is not None and self.train:
            aged = age_gray(np.asarray(crop.convert("L"), dtype=np.uint8), rng, self.aging)
            sample["gray"] = torch.from_numpy(np.array(aged, dtype=np.uint8, copy=True))[None]  # a clean draw is the read-only input itself
        return sample


def collate(samples: list[dict]) -> dict:
    """Stack the good samples; count the skipped ones by reason."""
    good = [s for s in samples if "rgb" in s]
    batch = {
        "rgb": torch.stack([s["rgb"] for s in good]) if good else torch.empty(0, 3, 0, 0, dtype=torch.uint8),
        "index": torch.tensor([s["index"] for s in good], dtype=torch.long),
        "gray": torch.stack([s["gray"] for s in good]) if good and all("gray" in s for s in good) else None,
        "skipped_corrupt": sum(s.get("skip") == "corrupt" for s in samples),
        "skipped_gray": sum(s.get("skip") == "gray" for s in samples),
        "skipped_paths": [s["path"] for s in samples if "skip" in s],
    }
    return batch


class ResumableSampler(DistributedSampler):
    """``DistributedSampler`` (shuffled by seed + epoch, split across ranks) that yields
    ``(epoch, index)`` pairs and can start part-way into an epoch (``skip`` samples of this rank)."""

    def __init__(self, dataset: Dataset, num_replicas: int = 1, rank: int = 0, shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        super().__init__(dataset, num_replicas=num_replicas, rank=rank, shuffle=shuffle, seed=seed, drop_last=drop_last)
        self.skip = 0

    def set_position(self, epoch: int, skip: int) -> None:
        self.set_epoch(epoch)
        self.skip = skip

    def __iter__(self) -> Iterator[tuple[int, int]]:
        epoch, skip = self.epoch, self.skip
        self.skip = 0  # only the first epoch after a resume starts part-way
        for i, index in enumerate(super().__iter__()):
            if i >= skip:
                yield (epoch, index)

    def __len__(self) -> int:
        return self.num_samples - self.skip


def worker_count(requested: int | None = None) -> int:
    """Default DataLoader workers: one per CPU core (at most 8); 0 stays 0 (load in-process)."""
    if requested is not None:
        return requested
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(8, cores))


def make_loader(dataset: Dataset, batch_size: int, sampler: ResumableSampler, workers: int, pin_memory: bool) -> torch.utils.data.DataLoader:
    return torch.utils.data.DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=sampler,
        num_workers=workers,
        collate_fn=collate,
        pin_memory=pin_memory,
        drop_last=True,
        persistent_workers=workers > 0,
        prefetch_factor=4 if workers > 0 else None,
    )

