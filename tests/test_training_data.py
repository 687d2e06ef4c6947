"""Training data: folder trees and file lists, skipping corrupt and gray images, crops, sampler."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from training.synthetic import make_color_image, make_dataset
from training.data import ColorDataset, ResumableSampler, collate, list_images, make_loader, open_rgb, random_resized_box


def test_list_images_folder_tree_and_file_list(tmp_path):
    root = make_dataset(tmp_path / "train", n_color=4)
    (root / "notes.txt").write_text("not an image")
    found = list_images(root)
    assert len(found) == 4 and all(p.suffix == ".JPEG" for p in found)
    listing = tmp_path / "list.txt"
    listing.write_text("# comment\n" + "\n".join(str(p.relative_to(tmp_path)) for p in found[:2]) + "\n\n")
    assert list_images(listing) == [tmp_path / p.relative_to(tmp_path) for p in found[:2]]
    with pytest.raises(FileNotFoundError):
        list_images(tmp_path / "missing")


def test_corrupt_and_gray_images_are_skipped_and_counted(tmp_path):
    root = make_dataset(tmp_path / "d", n_color=4, n_gray=2, n_corrupt=2)
    ds = ColorDataset(list_images(root), size=32, train=True)
    loader = make_loader(ds, batch_size=8, sampler=ResumableSampler(ds, shuffle=False), workers=0, pin_memory=False)
    batch = next(iter(loader))
    assert batch["rgb"].shape == (4, 3, 32, 32) and batch["rgb"].dtype == torch.uint8
    assert batch["skipped_corrupt"] == 2 and batch["skipped_gray"] == 2


def test_crops_are_deterministic_per_epoch_and_index(tmp_path):
    root = make_dataset(tmp_path / "d", n_color=2, size=(120, 90))
    ds = ColorDataset(list_images(root), size=32, train=True, seed=3)
    a, b, c = ds[(0, 1)], ds[(0, 1)], ds[(1, 1)]
    assert torch.equal(a["rgb"], b["rgb"])
    assert not torch.equal(a["rgb"], c["rgb"])
    val = ColorDataset(list_images(root), size=32, train=False)
    assert torch.equal(val[0]["rgb"], val[(5, 0)]["rgb"])


def test_jpeg_draft_decodes_at_reduced_size(tmp_path):
    path = make_color_image(tmp_path / "big.jpg", 0, size=(800, 600))
    rgb, factor = open_rgb(path, crop_box=(0, 0, 800, 600), size=100)
    assert factor >= 4 and rgb.size[0] >= 100
    rgb, factor = open_rgb(path, crop_box=(0, 0, 200, 200), size=100)
    assert factor == 2 and rgb.size == (400, 300)


def test_draft_decoding_of_odd_sized_jpegs_never_overruns_the_crop_box(tmp_path):
    """Draft mode rounds each side up on its own (765×512 at 1/4 is 192×128: the width shrinks by
    3.98, the height by 4), so scaling the box by the width's factor alone pushed its bottom out:
    crops touching the right or bottom edge used to raise "box can't exceed original image size"
    in a loader worker, which stopped the whole training run."""
    path = make_color_image(tmp_path / "odd.jpg", 0, size=(765, 512))
    # scale 1: the box is the full height (a 4:3 centre crop), decoded in draft mode at 1/8
    dataset = ColorDataset([path], size=64, train=True, scale=(1.0, 1.0), min_colorfulness=0)
    for epoch in range(3):
        item = dataset[(epoch, 0)]
        assert item["rgb"].shape == (3, 64, 64)


def test_random_resized_box_inside_image():
    rng = np.random.default_rng(0)
    for _ in range(100):
        l, t, r, b = random_resized_box(50, 30, rng)
        assert 0 <= l < r <= 50 and 0 <= t < b <= 30


def test_sampler_resumes_mid_epoch_and_splits_ranks():
    data = list(range(10))
    full = ResumableSampler(data, shuffle=True, seed=1)
    full.set_epoch(2)
    order = list(full)
    assert all(e == 2 for e, _ in order) and sorted(i for _, i in order) == data
    resumed = ResumableSampler(data, shuffle=True, seed=1)
    resumed.set_position(2, 4)
    assert list(resumed) == order[4:]
    assert len(list(resumed)) == 10  # the skip applies once
    ranks = [ResumableSampler(data, num_replicas=2, rank=r, seed=1) for r in (0, 1)]
    assert sorted(i for s in ranks for _, i in s) == data


def test_collate_empty_batch():
    batch = collate([{"skip": "gray", "path": "x"}])
    assert batch["rgb"].shape[0] == 0 and batch["skipped_gray"] == 1
