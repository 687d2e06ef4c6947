"""Colour that does not flicker: carry the previous frame's chroma along the optical flow of the true luminance.

No training and no weights. DIS optical flow (OpenCV) from the current gray frame to the previous
one warps the previous *output* chroma onto the current frame; where the warped previous gray
matches the current gray the warped chroma is trusted, elsewhere (occlusions, new objects, fast
motion) the net's fresh prediction takes over. The blend is recursive, so each output is a
motion-compensated running average of the predictions along each pixel's track. A scene cut
(a jump of the luminance histogram) starts the average afresh, so no colour crosses a cut.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class TemporalSettings:
    """Knobs of the filter, on the gray frames the net sees (0–255 levels)."""

    carry: float = 0.85  # most weight the warped previous chroma can get (memory ≈ 1 / (1 - carry) frames)
    match_sigma: float = 10.0  # gray mismatch (levels) at which trust in the warped chroma falls to 1/e
    cut_threshold: float = 0.35  # histogram distance (0–1) above which a frame starts a new shot
    histogram_bins: int = 32
    keyframe_interval: int = 1  # run the net on every k-th frame of a shot (and its first); carry colour between


def luminance_histogram(gray: np.ndarray, bins: int) -> np.ndarray:
    """Normalised histogram of an 8-bit gray image."""
    hist = np.bincount((gray.ravel().astype(np.int32) * bins) >> 8, minlength=bins).astype(np.float64)
    return hist / max(1.0, hist.sum())


class SceneCutDetector:
    """A cut is a frame whose luminance histogram differs from the previous one by more than a threshold.

    The distance is half the L1 difference (total variation, 0–1): a fade or a pan moves it by a
    few hundredths per frame, a cut between two shots by a large part of the histogram.
    """

    def __init__(self, threshold: float = 0.35, bins: int = 32) -> None:
        self.threshold = threshold
        self.bins = bins
        self._previous: np.ndarray | None = None

    def is_cut(self, gray: np.ndarray) -> bool:
        hist = luminance_histogram(gray, self.bins)
        previous, self._previous = self._previous, hist
        return previous is not None and 0.5 * float(np.abs(hist - previous).sum()) > self.threshold

    def state(self) -> np.ndarray | None:
        return self._previous

    def restore(self, histogram: np.ndarray | None) -> None:
        self._previous = histogram


def _dis() -> cv2.DISOpticalFlow:
    flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
    flow.setUseSpatialPropagation(True)
    return flow


def backward_flow(dis: cv2.DISOpticalFlow, current: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Flow (h, w, 2) such that ``current[p] ≈ previous[p + flow[p]]``."""
    return dis.calc(current, previous, None)


def warp(image: np.ndarray, flow: np.ndarray, margin: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Sample ``image`` ((h, w) or (h, w, c)) at ``p + flow[p]``; also returns where that point lies inside
    the frame (its pixel centres, widened by ``margin`` pixels on every side)."""
    height, width = flow.shape[:2]
    grid_x, grid_y = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    map_x = grid_x + flow[..., 0]
    map_y = grid_y + flow[..., 1]
    warped = cv2.remap(image, map_x, map_y, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    inside = (map_x >= -margin) & (map_x <= width - 1 + margin) & (map_y >= -margin) & (map_y <= height - 1 + margin)
    return warped, inside


@dataclass(frozen=True)
class FramePlan:
    """What the filter will do with one frame: start a shot, and whether the net must predict it."""

    new_shot: bool
    predict: bool


class TemporalFilter:
    """Per-shot recursive blend of warped previous chroma and fresh predictions, at the net's resolution."""

    def __init__(self, settings: TemporalSettings | None = None) -> None:
        self.settings = settings or TemporalSettings()
        self.cuts = SceneCutDetector(self.settings.cut_threshold, self.settings.histogram_bins)
        self._dis = _dis()
        self._gray: np.ndarray | None = None
        self._uv: np.ndarray | None = None  # (h, w, 2) float32: the last output
        self._since_prediction = 0  # frames planned since the last one the net saw
        self._planned_shape: tuple[int, ...] | None = None
        self.shots = 0

    def __call__(self, gray: np.ndarray, uv: np.ndarray) -> np.ndarray:
        """The output chroma ((2, h, w), like ``uv``) of the frame whose 8-bit gray is ``gray``."""
        return self.blend(gray, uv, self.plan(gray))

    def plan(self, gray: np.ndarray) -> FramePlan:
        """Register the next frame (in order; a batch may be planned before any of it is blended)."""
        cut = self.cuts.is_cut(gray)
        new_shot = cut or self._planned_shape != gray.shape
        predict = new_shot or self._since_prediction + 1 >= self.settings.keyframe_interval
        self._since_prediction = 0 if predict else self._since_prediction + 1
        self._planned_shape = gray.shape
        return FramePlan(new_shot, predict)

    def blend(self, gray: np.ndarray, uv: np.ndarray | None, plan: FramePlan) -> np.ndarray:
        """The output chroma of a planned frame; ``uv`` is the net's prediction when ``plan.predict``."""
        if plan.predict == (uv is None):
            raise ValueError("blend needs the net's prediction exactly for the frames its plan asked for")
        if plan.new_shot:
            self.shots += 1
            output = np.ascontiguousarray(np.moveaxis(uv, 0, -1), dtype=np.float32)
        else:
            flow = backward_flow(self._dis, gray, self._gray)
            warped_uv, inside = warp(self._uv, flow)
            if uv is None:
                output = warped_uv
            else:
                current = np.ascontiguousarray(np.moveaxis(uv, 0, -1), dtype=np.float32)
                warped_gray, _ = warp(self._gray, flow)
                mismatch = cv2.GaussianBlur(np.abs(gray.astype(np.float32) - warped_gray.astype(np.float32)), (5, 5), 0)
                trust = self.settings.carry * np.exp(-np.square(mismatch / self.settings.match_sigma)) * inside
                output = current + trust[..., None] * (warped_uv - current)
        self._gray, self._uv = gray, output
        return np.moveaxis(output, -1, 0)

    def state(self) -> dict[str, np.ndarray]:
        """What a resumed run needs to continue seamlessly (empty before the first frame)."""
        if self._gray is None or self._uv is None:
            return {}
        state = {"gray": self._gray, "uv": self._uv, "since_prediction": np.array(self._since_prediction)}
        histogram = self.cuts.state()
        if histogram is not None:
            state["histogram"] = histogram
        return state

    def restore(self, state: dict[str, np.ndarray]) -> None:
        if "gray" in state and "uv" in state:
            self._gray, self._uv = state["gray"], state["uv"].astype(np.float32)
            self._since_prediction = int(state.get("since_prediction", 0))
            self._planned_shape = self._gray.shape
            self.cuts.restore(state.get("histogram"))
