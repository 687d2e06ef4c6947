"""Real old black-and-white photographs (no colour truth) and a contact sheet of models colouring them.

    python -m training.old_photos data/old-photos --sheet docs/model-card/old-photos.jpg \\
        --model colorizer/weights/default.pt --model runs/NAME/ship.pt

The photos are DATA.md's: the Gramps example portraits and group photos (19th and early 20th
century, several sepia-toned) and the 1927 Solvay conference (29 faces). They have no colour
truth, so they are for looking at — what a reader of r/OldSchoolCool sees — never for scoring.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from PIL import Image

from training.fetch_photos import fetch_debs

DEBS = ("gramps", "visp-images-data")
GRAMPS = "usr/share/doc/gramps/example/gramps"
PHOTOS = (  # (path in the unpacked packages, file name here)
    (f"{GRAMPS}/1897_expeditionsmannschaft_rio_a.jpg", "1897-expedition.jpg"),
    (f"{GRAMPS}/654px-Aksel_Andersson.jpg", "aksel-andersson.jpg"),
    (f"{GRAMPS}/Alimehemet.jpg", "alimehemet.jpg"),
    (f"{GRAMPS}/AntoineClaudet.png", "antoine-claudet.png"),
    (f"{GRAMPS}/E_W_Dahlgren.jpg", "ew-dahlgren.jpg"),
    (f"{GRAMPS}/Gunnlaugur_Larusson_-_Yawn.jpg", "gunnlaugur-larusson.jpg"),
    (f"{GRAMPS}/O0.jpg", "portrait-0.jpg"),
    (f"{GRAMPS}/O1.jpg", "portrait-1.jpg"),
    (f"{GRAMPS}/O3.jpg", "portrait-3.jpg"),
    (f"{GRAMPS}/O4.jpg", "portrait-4.jpg"),
    (f"{GRAMPS}/O5.jpg", "portrait-5.jpg"),
    ("usr/share/visp-images-data/ViSP-images/Solvay/Solvay_conference_1927_Version2_1280x881.jpg", "solvay-1927.jpg"),
)


def fetch(dest: Path) -> list[Path]:
    """Download the two Debian packages and copy the photos into ``dest``; returns their paths."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="colorbot-old-photos-") as tmp:
        root = fetch_debs(Path(tmp), DEBS)
        for relative, name in PHOTOS:
            shutil.copy2(root / relative, dest / name)
    return [dest / name for _, name in PHOTOS]


def contact_sheet(photos: list[Path], models: list[tuple[str, Path]], cell_height: int = 200) -> Image.Image:
    """One row per photo: its gray, then each model's colouring (at the model's shipped settings)."""
    from colorizer.inference import Colorizer
    from colorizer.panel import compose_grid

    colorizers = [(label, Colorizer.from_checkpoint(path)) for label, path in models]
    rows = []
    for photo in photos:
        with Image.open(photo) as image:
            luma = image.convert("L")
        rows.append([("gray", luma)] + [(label, colorizer.colorize(luma)) for label, colorizer in colorizers])
    return compose_grid(rows, cell_height=cell_height, max_width=4000)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, help="where the photos go (fetched when missing)")
    parser.add_argument("--sheet", type=Path, help="write a contact sheet here")
    parser.add_argument("--model", type=Path, action="append", default=[], help="a checkpoint to colour them with; repeatable")
    parser.add_argument("--label", action="append", default=[], help="its column's label (default: the file's name)")
    args = parser.parse_args(argv)
    photos = [args.dest / name for _, name in PHOTOS]
    if not all(p.is_file() for p in photos):
        photos = fetch(args.dest)
    print(f"{len(photos)} old photos in {args.dest}")
    if args.sheet:
        labels = args.label + [m.parent.name if m.name in ("ship.pt", "final.pt") else m.stem for m in args.model[len(args.label):]]
        sheet = contact_sheet(photos, list(zip(labels, args.model)))
        sheet.convert("RGB").save(args.sheet, quality=80, optimize=True)
        print(f"{args.sheet}: {sheet.width}×{sheet.height}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
