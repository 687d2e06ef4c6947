"""Sample photos for the demo and the tests, from scikit-image's bundled public-domain data."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

# name → (scikit-image loader, file format). camera and moon are real gray photos; the rest are
# colour photos, whose own colours become the reference panel.
SAMPLES = {
    "camera.png": "camera",
    "moon.png": "moon",
    "astronaut.jpg": "astronaut",
    "chelsea.jpg": "chelsea",
    "coffee.jpg": "coffee",
    "rocket.jpg": "rocket",
}


def write_sample_photos(folder: str | Path) -> list[Path]:
    """Write the sample photos into ``folder`` (created if needed) and return their paths."""
    from skimage import data  # imported here: only the demo and tests need scikit-image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, loader in SAMPLES.items():
        path = folder / name
        if not path.exists():
            image = Image.fromarray(getattr(data, loader)())
            image.save(path, quality=95) if path.suffix == ".jpg" else image.save(path)
        written.append(path)
    return written
