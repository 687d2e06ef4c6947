"""Temporal metrics of colorized video, as the video-colorization literature computes them.

- **Warping error** (Lai et al. 2018, "Learning Blind Video Temporal Consistency"): the mean
  squared difference between each output frame and the previous output frame warped onto it
  along the *true* video's optical flow, over pixels that the flow's forward-backward check calls
  visible. Papers use FlowNet2; here DIS (OpenCV), so the numbers compare within the project only.
  Measured on the chroma (Y is the source's, identical for every method).
- **CDC** (colour distribution consistency, Liu et al., TCVC 2021): the Jensen–Shannon divergence
  of per-channel RGB histograms between frames 1, 2 and 4 apart, averaged.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from colorizer.video.temporal import warp


def dis_flow(current: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Dense flow (h, w, 2) with ``current[p] ≈ previous[p + flow[p]]`` (DIS, medium preset)."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    return dis.calc(np.ascontiguousarray(current), np.ascontiguousarray(previous), None)


def _sample(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """``image`` at ``p + flow[p]`` (bilinear); NaN where that point lies outside the frame's pixels."""
    warped, inside = warp(image, flow, margin=0.5)
    warped[~inside] = np.nan
    return warped


def visible_mask(backward: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Pixels of the current frame whose flow is consistent both ways (Sundaram et al. 2010; Ruder et al. 2016).

    ``backward`` maps current → previous, ``forward`` previous → current. A pixel is occluded when
    ``|b + f(p + b)|² > 0.01 (|b|² + |f(p + b)|²) + 0.5`` or its match falls outside the frame.
    """
    forward_there = _sample(forward, backward)
    round_trip = backward + forward_there
    magnitude = np.square(backward).sum(-1) + np.square(forward_there).sum(-1)
    error = np.square(round_trip).sum(-1)
    return np.isfinite(error) & (error <= 0.01 * magnitude + 0.5)


def warping_error(outputs: Sequence[np.ndarray], true_grays: Sequence[np.ndarray]) -> float:
    """Mean over frame pairs of the masked mean squared difference of ``outputs`` ((h, w, c) float)
    against the previous output warped along the flow of ``true_grays`` (8-bit, same size)."""
    errors = []
    for t in range(1, len(outputs)):
        backward = dis_flow(true_grays[t], true_grays[t - 1])
        forward = dis_flow(true_grays[t - 1], true_grays[t])
        mask = visible_mask(backward, forward)
        if not mask.any():
            continue
        warped = _sample(np.ascontiguousarray(outputs[t - 1], dtype=np.float32), backward)
        difference = np.square(np.asarray(outputs[t], dtype=np.float32) - warped)
        if difference.ndim == 3:
            difference = difference.sum(-1)
        valid = mask & np.isfinite(difference)
        errors.append(float(difference[valid].mean()) if valid.any() else 0.0)
    return float(np.mean(errors)) if errors else 0.0


def _histograms(rgb: np.ndarray) -> np.ndarray:
    """(3, 256) per-channel histograms of an 8-bit RGB frame, each summing to 1."""
    flat = rgb.reshape(-1, 3)
    return np.stack([np.bincount(flat[:, c], minlength=256) / flat.shape[0] for c in range(3)]).astype(np.float64)


def _js_divergence(p: np.ndarray, q: np.ndarray) -> float:
    m = 0.5 * (p + q)

    def kl(a: np.ndarray, b: np.ndarray) -> float:
        nonzero = a > 0
        return float((a[nonzero] * np.log(a[nonzero] / b[nonzero])).sum())

    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


def color_distribution_consistency(frames: Sequence[np.ndarray], dilations: Sequence[int] = (1, 2, 4)) -> float:
    """CDC of 8-bit RGB frames: lower is steadier colour."""
    hists = [_histograms(np.asarray(f, dtype=np.uint8)) for f in frames]
    per_dilation = []
    for d in dilations:
        pairs = [np.mean([_js_divergence(hists[t][c], hists[t + d][c]) for c in range(3)]) for t in range(len(hists) - d)]
        if pairs:
            per_dilation.append(float(np.mean(pairs)))
    return float(np.mean(per_dilation)) if per_dilation else 0.0
