"""A before/after strip of a colorized film: evenly spaced frames, the original above, colorbot's below.

    python -m training.film_strip data/clips/bw/calais_1906.ogv out/calais_1906.ogv docs/video/calais-1906-strip.jpg
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import av
from PIL import Image

from colorizer.panel import compose_grid


def sample_frames(path: Path, count: int) -> list[tuple[float, Image.Image]]:
    """``count`` frames spread over the whole video (skipping the first and last tenth), with their times."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [(float(f.time or 0.0), f) for f in container.decode(stream)]
        if not frames:
            raise ValueError(f"{path}: no frames")
        picks = [frames[round(len(frames) * (0.1 + 0.8 * i / max(1, count - 1)))] for i in range(count)]
        return [(time, frame.to_image()) for time, frame in picks]


def film_strip(original: Path, colorized: Path, out: Path, count: int = 5, height: int = 200) -> Path:
    before = sample_frames(original, count)
    after = sample_frames(colorized, count)
    rows = [[(f"original {t:.1f} s", image) for t, image in before], [("colorbot", image) for _, image in after]]
    out.parent.mkdir(parents=True, exist_ok=True)
    compose_grid(rows, cell_height=height).save(out, quality=90)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("original", type=Path)
    parser.add_argument("colorized", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--frames", type=int, default=5)
    args = parser.parse_args(argv)
    print(film_strip(args.original, args.colorized, args.out, args.frames))
    return 0


if __name__ == "__main__":
    sys.exit(main())
