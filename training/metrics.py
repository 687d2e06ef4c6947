"""Image metrics on uint8 RGB (H, W, 3) arrays, as the colorization literature computes them."""

from __future__ import annotations

import math

import numpy as np
import torch


def colorfulness(rgb: np.ndarray) -> float:
    """Hasler & Süsstrunk (2003) colorfulness on 0–255 RGB, with absolute differences:
    ``rg = |R-G|``, ``yb = |0.5(R+G) - B|``,
    ``CF = sqrt(std(rg)² + std(yb)²) + 0.3 sqrt(mean(rg)² + mean(yb)²)``. A gray image scores 0."""
    a = np.asarray(rgb, dtype=np.float64)
    r, g, b = a[..., 0], a[..., 1], a[..., 2]
    rg = np.abs(r - g)
    yb = np.abs(0.5 * (r + g) - b)
    return float(math.hypot(rg.std(), yb.std()) + 0.3 * math.hypot(rg.mean(), yb.mean()))


def psnr(prediction: np.ndarray, truth: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB of two uint8 images (``inf`` when identical)."""
    mse = np.mean((np.asarray(prediction, dtype=np.float64) - np.asarray(truth, dtype=np.float64)) ** 2)
    return math.inf if mse == 0 else float(10.0 * math.log10(255.0**2 / mse))


def ssim(prediction: np.ndarray, truth: np.ndarray) -> float:
    """Structural similarity of two uint8 RGB images (scikit-image, per channel, Gaussian window)."""
    from skimage.metrics import structural_similarity

    pred = np.asarray(prediction)
    true = np.asarray(truth)
    return float(
        structural_similarity(pred, true, channel_axis=-1, data_range=255, gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
    )


def uv_l2(uv_prediction: np.ndarray | torch.Tensor, uv_truth: np.ndarray | torch.Tensor) -> float:
    """Mean per-pixel Euclidean distance in the UV plane; arrays (..., 2) or tensors (B, 2, H, W)."""
    if isinstance(uv_prediction, torch.Tensor):
        return float(torch.linalg.vector_norm(uv_prediction.double() - uv_truth.double(), dim=1).mean())
    diff = np.asarray(uv_prediction, dtype=np.float64) - np.asarray(uv_truth, dtype=np.float64)
    return float(np.sqrt((diff**2).sum(-1)).mean())


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """Fréchet distance of two Gaussians (the FID formula): ``|mu1-mu2|² + Tr(S1 + S2 - 2 sqrt(S1 S2))``."""
    from scipy import linalg

    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    sigma1, sigma2 = np.atleast_2d(sigma1).astype(np.float64), np.atleast_2d(sigma2).astype(np.float64)
    diff = mu1 - mu2
    covmean = linalg.sqrtm(sigma1 @ sigma2)
    if isinstance(covmean, tuple):  # older SciPy with disp=False semantics
        covmean = covmean[0]
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * 1e-6
        covmean = linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    covmean = np.real(covmean)
    return float(max(0.0, diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean)))


def feature_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of (N, D) features."""
    features = np.asarray(features, dtype=np.float64)
    return features.mean(0), np.cov(features, rowvar=False)
