"""The fixed train / tune / test split of the offline photo pool (lists kept in the repo).

    python -m training.splits data/photos     # rebuild training/split_lists/ from a fetched pool

``training/split_lists/`` holds the three lists and the manifest they were built from (source,
group, size, colourfulness and face count of every photo), so the split can be checked without
fetching anything.

Photos are split by source photo (the manifest's ``group``), by a hash of the group name, so the
split is the same on every machine and a new photo never moves an old one. Groups that show
people (a Haar face in the photo) go to test and tune more often, so both hold enough faces.
Pinned photos keep their split: what the previous default trained on stays in train, what its
choices looked at stays in tune. **tune** is for every choice (steps, stage, loss weights,
saturation); **test** is scored once per candidate and never used for a choice.

The train list repeats some photos so no kind dominates a batch: people photos and the large
wallpapers (each gives many different crops) four times, gcompris and mvtb twice.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections import Counter
from pathlib import Path

SPLITS = ("train", "tune", "test")
LISTS = Path(__file__).with_name("split_lists")
# Upper edges of test and tune on the group's hash in [0, 1); the rest is train.
PEOPLE_EDGES = (0.40, 0.65)
OTHER_EDGES = (0.22, 0.37)
PEOPLE_REPEAT = 4
SOURCE_REPEAT = {"wallpapers": 4, "plasma": 4, "enlightenment": 4, "lxqt": 4, "palapeli": 4, "gcompris": 2, "mvtb": 2}


def list_path(split: str) -> Path:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    return LISTS / f"{split}.txt"


def group_fraction(group: str) -> float:
    digest = hashlib.sha256(group.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign(rows: list[dict[str, str]]) -> dict[str, str]:
    """Split name for every manifest path."""
    people_groups = {row["group"] for row in rows if int(row["faces"]) > 0}
    pinned = {row["group"]: row["pinned"] for row in rows if row["pinned"]}
    split_of: dict[str, str] = {}
    for row in rows:
        group = row["group"]
        if group in pinned:
            split_of[row["path"]] = pinned[group]
            continue
        test_edge, tune_edge = PEOPLE_EDGES if group in people_groups else OTHER_EDGES
        fraction = group_fraction(group)
        split_of[row["path"]] = "test" if fraction < test_edge else "tune" if fraction < tune_edge else "train"
    return split_of


def repeats(row: dict[str, str]) -> int:
    return PEOPLE_REPEAT if int(row["faces"]) > 0 else SOURCE_REPEAT.get(row["source"], 1)


def build(rows: list[dict[str, str]]) -> dict[str, list[str]]:
    """The lines of each list (train with its repeats), sorted."""
    split_of = assign(rows)
    lines: dict[str, list[str]] = {name: [] for name in SPLITS}
    for row in sorted(rows, key=lambda r: r["path"]):
        split = split_of[row["path"]]
        lines[split].extend([row["path"]] * (repeats(row) if split == "train" else 1))
    return lines


def read_list(split: str) -> list[str]:
    return [line for line in list_path(split).read_text().splitlines() if line and not line.startswith("#")]


def missing_files(dest: Path) -> list[str]:
    """Listed photos that are not under ``dest`` (a fetch that could not produce them)."""
    return sorted({path for split in SPLITS for path in read_list(split) if not (Path(dest) / path).is_file()})


def summary(rows: list[dict[str, str]]) -> dict[str, Counter]:
    """Per split: photos, photos with a Haar face, photos showing people, photos per source."""
    split_of = assign(rows)
    out: dict[str, Counter] = {name: Counter() for name in SPLITS}
    for row in rows:
        counter = out[split_of[row["path"]]]
        counter["photos"] += 1
        counter["haar faces"] += int(row["faces"]) > 0
        counter["people"] += int(row.get("skin_faces") or 0) > 0
        counter[f"source {row['source']}"] += 1
    return out


def main(argv: list[str] | None = None) -> int:
    from training.fetch_photos import read_manifest

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pool", type=Path, nargs="?", default=Path("data/photos"))
    args = parser.parse_args(argv)
    rows = read_manifest(args.pool / "manifest.tsv")
    LISTS.mkdir(exist_ok=True)
    (LISTS / "manifest.tsv").write_text((args.pool / "manifest.tsv").read_text())
    for split, lines in build(rows).items():
        header = f"# {split}: paths relative to the photo pool (python -m training.fetch_photos); see training/splits.py\n"
        list_path(split).write_text(header + "".join(f"{line}\n" for line in lines))
        (args.pool / f"{split}.txt").write_text(list_path(split).read_text())
    for split, counter in summary(rows).items():
        print(split, dict(sorted(counter.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
