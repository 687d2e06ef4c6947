"""Every module of the project imports: a refactor that drops a name another module imports
(``training.fetch_clips`` once lost ``fetch_debs`` this way) fails here, not on a user's machine."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

PACKAGES = ("bot", "colorizer", "db", "training")


def _modules() -> list[str]:
    names = []
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        names.append(package_name)
        names += [info.name for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}.")
                  if not info.name.startswith("db.migrations.")]  # alembic runs these itself
    return names


@pytest.mark.parametrize("name", _modules())
def test_module_imports(name: str) -> None:
    importlib.import_module(name)


def test_training_does_not_import_the_queue() -> None:
    """Training runs on machines without the bot's database: it must not pull in ``db``."""
    import subprocess
    import sys

    code = "import sys, training.fetch_photos, training.trainer, training.evaluate; print(sorted(m for m in sys.modules if m == 'db' or m.startswith('db.')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]"
