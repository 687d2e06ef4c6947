"""Skin tone on faces: does the colorizer give a face the skin hue the real photo has?

Faces are found in the *true* colour photo with OpenCV 4's Haar frontal-face cascade (its XML
ships inside ``opencv-python-headless``). A face is judged only where the true chroma of its
centre is skin (hue of (U, V) between 95° and 160°, chroma ≥ 0.03: R > G > B, from pale to dark
skin); the prediction is right when the hue of its mean chroma there is within 25° of the truth's
with at least 40 % of the truth's chroma magnitude. Gray output (UV = 0) is never right.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch

SKIN_HUE_DEGREES = (95.0, 160.0)
SKIN_MIN_CHROMA = 0.03
HUE_TOLERANCE_DEGREES = 25.0
MIN_CHROMA_FRACTION = 0.4
MIN_FACE_PX = 24


@dataclass(frozen=True)
class FaceJudgement:
    """One face of one photo: where it is, its true and predicted mean chroma, and the verdict."""

    box: tuple[int, int, int, int]  # x, y, w, h in the photo
    true_uv: tuple[float, float]
    pred_uv: tuple[float, float]
    judged: bool  # the true face is skin-coloured
    skin_toned: bool  # the prediction got the hue and enough of the chroma

    def as_dict(self) -> dict[str, object]:
        return {"box": list(self.box), "true_uv": [round(v, 4) for v in self.true_uv],
                "pred_uv": [round(v, 4) for v in self.pred_uv], "judged": self.judged, "skin_toned": self.skin_toned}


@functools.lru_cache(maxsize=1)
def _cascade():  # noqa: ANN202 - cv2 has no stubs
    import cv2

    path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise RuntimeError(f"cannot load OpenCV's face cascade from {path}")
    return cascade


def find_faces(rgb: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Frontal faces in a (H, W, 3) uint8 RGB photo, as (x, y, w, h) boxes."""
    import cv2

    gray = cv2.equalizeHist(cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY))
    found = _cascade().detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(MIN_FACE_PX, MIN_FACE_PX))
    return [tuple(int(v) for v in box) for box in (found if len(found) else [])]  # type: ignore[misc]


def face_centre_uv(uv: torch.Tensor, box: tuple[int, int, int, int]) -> tuple[float, float]:
    """Mean (U, V) of the central part of a face box (half its width, 60 % of its height: skin, not hair)."""
    x, y, w, h = box
    x0, x1 = x + w // 4, x + w - w // 4
    y0, y1 = y + h // 5, y + h - h // 5
    patch = uv[..., y0:y1, x0:x1].reshape(2, -1).double()
    return float(patch[0].mean()), float(patch[1].mean())


def hue_degrees(u: float, v: float) -> float:
    return math.degrees(math.atan2(v, u)) % 360.0


def is_skin(u: float, v: float) -> bool:
    low, high = SKIN_HUE_DEGREES
    return math.hypot(u, v) >= SKIN_MIN_CHROMA and low <= hue_degrees(u, v) <= high


def skin_toned(pred: tuple[float, float], truth: tuple[float, float]) -> bool:
    """The predicted face chroma has the true hue (± 25°) and ≥ 40 % of its magnitude."""
    magnitude = math.hypot(*truth)
    if math.hypot(*pred) < MIN_CHROMA_FRACTION * magnitude or math.hypot(*pred) == 0.0:
        return False
    difference = abs(hue_degrees(*pred) - hue_degrees(*truth)) % 360.0
    return min(difference, 360.0 - difference) <= HUE_TOLERANCE_DEGREES


def judge_faces(truth_rgb: np.ndarray, uv_true: torch.Tensor, uv_pred: torch.Tensor,
                boxes: list[tuple[int, int, int, int]] | None = None) -> list[FaceJudgement]:
    """Every face of the true photo with its verdict; ``uv_*`` are (2, H, W) or (1, 2, H, W)."""
    uv_true, uv_pred = uv_true.reshape(2, *uv_true.shape[-2:]), uv_pred.reshape(2, *uv_pred.shape[-2:])
    judgements = []
    for box in find_faces(truth_rgb) if boxes is None else boxes:
        true_uv, pred_uv = face_centre_uv(uv_true, box), face_centre_uv(uv_pred, box)
        judged = is_skin(*true_uv)
        judgements.append(FaceJudgement(box, true_uv, pred_uv, judged, judged and skin_toned(pred_uv, true_uv)))
    return judgements


def summarize(judgements: list[FaceJudgement]) -> dict[str, float]:
    """Faces found, judged and skin-toned, and the rate (NaN when none was judged)."""
    judged = [j for j in judgements if j.judged]
    right = sum(j.skin_toned for j in judged)
    return {"found": float(len(judgements)), "judged": float(len(judged)), "skin_toned": float(right),
            "rate": right / len(judged) if judged else math.nan}


def skin_faces(rgb: np.ndarray) -> int:
    """How many faces of a (H, W, 3) uint8 photo this metric would judge (found, and skin in the
    photo itself): the "shows people" flag of the photo pool, stricter than a bare Haar hit,
    which also fires on dog faces, windows and fish."""
    from colorizer.color import rgb_to_yuv

    uv = torch.from_numpy(rgb_to_yuv(rgb.astype(np.float32) / 255.0)[..., 1:].transpose(2, 0, 1).copy())
    return sum(face.judged for face in judge_faces(rgb, uv, uv))
