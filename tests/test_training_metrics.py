"""Evaluation metrics against hand-computed values, and the eval report end to end."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from training.metrics import colorfulness, frechet_distance, psnr, ssim, uv_l2


def test_colorfulness_gray_is_zero_and_hand_value():
    gray = np.repeat(np.random.default_rng(0).integers(0, 256, (10, 10, 1)), 3, axis=2).astype(np.uint8)
    assert colorfulness(gray) == 0.0
    # Half pure red, half pure blue: rg = 255 | 0, yb = 127.5 | 255.
    img = np.zeros((2, 2, 3), np.uint8)
    img[0, :, 0] = 255
    img[1, :, 2] = 255
    std = math.hypot(127.5, 63.75)
    mean = math.hypot(127.5, 191.25)
    assert colorfulness(img) == pytest.approx(std + 0.3 * mean)


def test_psnr_identical_is_inf_and_hand_value():
    a = np.random.default_rng(1).integers(0, 256, (8, 8, 3)).astype(np.uint8)
    assert psnr(a, a) == math.inf
    b = a.astype(np.int16)
    b[..., 0] = np.where(b[..., 0] > 127, b[..., 0] - 10, b[..., 0] + 10)  # |diff| = 10 on 1/3 of values
    mse = 100 / 3
    assert psnr(b.astype(np.uint8), a) == pytest.approx(10 * math.log10(255**2 / mse))


def test_ssim_identical_is_one():
    a = np.random.default_rng(2).integers(0, 256, (16, 16, 3)).astype(np.uint8)
    assert ssim(a, a) == pytest.approx(1.0)
    assert ssim(255 - a, a) < 0.5


def test_uv_l2_hand_value():
    p = np.zeros((2, 2, 2))
    t = np.zeros((2, 2, 2))
    t[0, 0] = (0.3, 0.4)
    assert uv_l2(p, t) == pytest.approx(0.5 / 4)


def test_frechet_distance_hand_values():
    assert frechet_distance(np.zeros(3), np.eye(3), np.zeros(3), np.eye(3)) == pytest.approx(0.0, abs=1e-9)
    # 1-D: (m1-m2)^2 + s1 + s2 - 2 sqrt(s1 s2)
    assert frechet_distance(np.array([1.0]), np.array([[4.0]]), np.array([3.0]), np.array([[1.0]])) == pytest.approx(4 + 4 + 1 - 4)


def test_fid_from_features_matches_the_matrix_formula():
    from training.fid import fid_from_features
    from training.metrics import feature_statistics

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(40, 6)), rng.normal(1.0, 2.0, size=(30, 6))
    assert fid_from_features(a, b) == pytest.approx(frechet_distance(*feature_statistics(a), *feature_statistics(b)), rel=1e-6)
    a, b = rng.normal(size=(5, 50)), rng.normal(size=(4, 50))  # fewer samples than dimensions
    assert fid_from_features(a, b) == pytest.approx(frechet_distance(*feature_statistics(a), *feature_statistics(b)), rel=1e-4)
    assert fid_from_features(a, a) == pytest.approx(0.0, abs=1e-8)


def test_eval_report_on_tiny_data(tmp_path):
    from colorizer.checkpoint import save_checkpoint
    from colorizer.model import build_colorizer
    from training.synthetic import make_dataset
    from training.evaluate import evaluate

    data = make_dataset(tmp_path / "val", n_color=3, size=(40, 32))
    ckpt = save_checkpoint(tmp_path / "m.pt", build_colorizer("efficientnet_lite0", weights=None), {"mean_chroma": [0.01, -0.02], "render_size": 64})
    report = evaluate(ckpt, data, tmp_path / "eval", fid=True, inception_weights=str(tmp_path / "missing.pth"))
    assert report["images"] == 3
    s = report["summary"]
    # An untrained model has a zero head: it predicts UV = 0, exactly the gray baseline.
    assert s["model"]["psnr"] == pytest.approx(s["gray"]["psnr"])
    assert s["gray"]["cf"] == 0.0 and s["gray"]["delta_cf"] == pytest.approx(-s["gray"]["cf_true"])
    assert s["mean_chroma"]["cf"] > 0
    assert any("FID skipped" in n for n in report["notes"])
    assert json.loads((tmp_path / "eval" / "eval.json").read_text())["images"] == 3
    assert "| gray |" in (tmp_path / "eval" / "eval.md").read_text()
    assert (tmp_path / "eval" / "contact-sheet.png").is_file()


def test_fid_path_with_local_inception_weights(tmp_path):
    import torch
    import torchvision

    from colorizer.checkpoint import save_checkpoint
    from colorizer.model import build_colorizer
    from training.evaluate import evaluate
    from training.synthetic import make_dataset

    torch.manual_seed(0)
    weights = tmp_path / "inception_v3_google-test.pth"
    torch.save(torchvision.models.inception_v3(weights=None, aux_logits=True, init_weights=False).state_dict(), weights)
    data = make_dataset(tmp_path / "val", n_color=3, size=(40, 32))
    ckpt = save_checkpoint(tmp_path / "m.pt", build_colorizer("efficientnet_lite0", weights=None), {"render_size": 64})
    report = evaluate(ckpt, data, tmp_path / "eval", inception_weights=str(weights), max_side=64)
    s = report["summary"]
    assert s["model"]["fid"] == pytest.approx(s["gray"]["fid"])  # identical predictions
    assert s["gray"]["fid"] >= 0 and not report["notes"][:1] == ["FID skipped"]


def test_eval_saturation_sweep_runs_from_gray_to_vivid(tmp_path):
    from colorizer.checkpoint import save_checkpoint
    from tests.conftest import vivid_colorizer
    from training.evaluate import evaluate
    from training.synthetic import make_dataset

    data = make_dataset(tmp_path / "val", n_color=3, size=(40, 32))
    ckpt = save_checkpoint(tmp_path / "m.pt", vivid_colorizer(), {"render_size": 64})
    report = evaluate(ckpt, data, tmp_path / "eval", fid=False, saturations=[0.0, 0.5, 1.0])
    zero, half, full = report["saturation_sweep"]
    s = report["summary"]
    assert zero["psnr"] == pytest.approx(s["gray"]["psnr"], abs=0.05) and zero["cf"] < 0.5  # no chroma: the gray baseline
    assert full["psnr"] == pytest.approx(s["model"]["psnr"]) and full["cf"] == pytest.approx(s["model"]["cf"])
    assert zero["cf"] < half["cf"] < full["cf"]
    assert full["cf_ratio"] == pytest.approx(full["cf"] / s["model"]["cf_true"])
    assert "| 0.5 |" in (tmp_path / "eval" / "eval.md").read_text()


def test_eval_scores_the_model_at_its_shipped_saturation(tmp_path):
    from colorizer.checkpoint import save_checkpoint
    from tests.conftest import vivid_colorizer
    from training.evaluate import evaluate
    from training.synthetic import make_dataset

    data = make_dataset(tmp_path / "val", n_color=3, size=(40, 32))
    ckpt = save_checkpoint(tmp_path / "m.pt", vivid_colorizer(), {"render_size": 64, "saturation": 0.5})
    report = evaluate(ckpt, data, tmp_path / "eval", fid=False, saturations=[0.5, 1.0])
    half, full = report["saturation_sweep"]
    assert report["saturation"] == 0.5
    assert report["summary"]["model"]["cf"] == pytest.approx(half["cf"]) and half["cf"] < full["cf"]


def test_eval_reports_the_people_subset_apart(test_photos, tmp_path):
    """Photos with a judged face (the astronaut) get their own summary and sweep; the blobs don't."""
    from tests.model_helpers import vivid_checkpoint_file
    from training.evaluate import evaluate

    ckpt = vivid_checkpoint_file(tmp_path / "vivid.pt")
    report = evaluate(ckpt, test_photos, tmp_path / "eval", fid=False, saturations=[0.5])
    people = report["people"]
    assert report["images"] == 4 and people["images"] == 1
    (astronaut,) = [r for r in report["per_image"] if r["path"].endswith("astronaut.png")]
    assert people["summary"]["model"]["psnr"] == pytest.approx(astronaut["model"]["psnr"])
    assert people["summary"]["model"]["worst_vs_gray"] == pytest.approx(astronaut["model"]["psnr"] - astronaut["gray"]["psnr"])
    assert people["faces"]["judged"] >= 1 and len(people["saturation_sweep"]) == 1
    assert report["saturation_sweep"][0]["worst_vs_gray"] <= people["saturation_sweep"][0]["worst_vs_gray"]
    assert "People (1 photos with a judged face)" in (tmp_path / "eval" / "eval.md").read_text()
