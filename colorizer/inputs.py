"""Turn command-line inputs (files, folders, globs) into (source, output stem) pairs."""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path

IMAGE_EXTENSIONS = frozenset(
    ".jpg .jpeg .jpe .jfif .png .apng .gif .bmp .dib .tif .tiff .webp .ppm .pgm .pbm .pnm .tga .jp2 .j2k .heic .avif".split()
)
# Files that `colorbot colorize` hands to colorizer.video (this module itself never imports PyAV).
VIDEO_EXTENSIONS = frozenset(
    ".mp4 .m4v .mkv .mov .webm .avi .ogv .mpg .mpeg .ts .m2ts .mts .flv .wmv .3gp .mxf .y4m".split()
)
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class BatchItem:
    """One input file and where its result goes (the extension is chosen after decoding)."""

    source: Path
    output_stem: Path

    @property
    def is_video(self) -> bool:
        return self.source.suffix.lower() in VIDEO_EXTENSIONS


def _is_within(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def _folder_images(folder: Path, outdir: Path) -> list[Path]:
    """Images and videos under ``folder``, recursively, skipping hidden files and earlier outputs in ``outdir``."""
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.suffix.lower() in IMAGE_EXTENSIONS | VIDEO_EXTENSIONS and path.is_file() and not _is_within(path, outdir):
            found.append(path)
    return found


def collect_inputs(arguments: list[str], outdir: Path) -> tuple[list[BatchItem], list[str]]:
    """Expand arguments into batch items; returns the items and one error line per bad argument.

    A folder keeps its layout under ``outdir``; a file or glob match lands in ``outdir`` itself.
    Explicitly named files are taken whatever their extension (decoding decides). Two inputs
    that would map to the same output get ``-2``, ``-3`` … suffixes rather than overwriting.
    """
    items: list[BatchItem] = []
    errors: list[str] = []
    seen_sources: set[Path] = set()
    used_stems: set[Path] = set()

    def add(source: Path, stem: Path) -> None:
        resolved = source.resolve()
        if resolved in seen_sources:
            return
        seen_sources.add(resolved)
        candidate, counter = stem, 2
        while candidate in used_stems:
            candidate = stem.with_name(f"{stem.name}-{counter}")
            counter += 1
        used_stems.add(candidate)
        items.append(BatchItem(source, candidate))

    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            matches = _folder_images(path, outdir)
            if not matches:
                errors.append(f"{argument}: no images or videos in this folder")
            for image in matches:
                relative = image.relative_to(path)
                add(image, outdir / relative.parent / relative.stem)
        elif path.is_file():
            add(path, outdir / path.stem)
        elif _GLOB_CHARS & set(argument):
            matches = sorted(Path(m) for m in glob.glob(argument, recursive=True) if Path(m).is_file())
            if not matches:
                errors.append(f"{argument}: the pattern matches no files")
            for match in matches:
                add(match, outdir / match.stem)
        else:
            errors.append(f"{argument}: no such file or folder")
    return items, errors


def safe_output_path(stem: Path, extension: str, sources: set[Path]) -> Path:
    """``stem + extension``, renamed with ``_colorized`` if that would overwrite an input file."""
    output = stem.with_name(stem.name + extension)
    while output.resolve() in sources:
        stem = stem.with_name(stem.name + "_colorized")
        output = stem.with_name(stem.name + extension)
    return output
