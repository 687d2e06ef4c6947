"""Is a candidate model better than the current one? Both are scored by `colorbot eval`'s own code.

Each model is scored on the fixed test photos at its shipped saturation and over a saturation
sweep, which traces its PSNR-against-colourfulness frontier. The candidate is refused when

- its PSNR is below the current model's frontier at the candidate's own colourfulness (CF ratio;
  ``np.interp`` between sweep points, the end points beyond), i.e. lower PSNR at equal colour; or
- both models were judged on faces and the candidate skin-tones a smaller share of them.

A model that is both more colourful and worse by PSNR than the current one at *its* colour is
therefore judged at the candidate's colour, where turning the current model's knob would land.
"""

from __future__ import annotations

import hashlib
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from training.data import list_images

#: The fixed test split (training/split_lists/test.txt, copied into the pool by
#: ``python -m training.fetch_photos``): scored once per candidate, never used for a choice.
DEFAULT_TEST_DATA = Path("data/photos/test.txt")
SWEEP = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5)
SCORING_MAX_SIDE = 512


@dataclass(frozen=True)
class Scores:
    """The numbers a promotion is decided on, for one model on one photo set."""

    psnr: float
    cf_ratio: float
    frontier: list[tuple[float, float]]  # (cf_ratio, psnr), sorted by cf_ratio
    faces_judged: int
    faces_rate: float  # NaN when no face was judged
    images: int
    data_key: str

    def as_dict(self) -> dict[str, Any]:
        return {"psnr": self.psnr, "cf_ratio": self.cf_ratio, "frontier": [list(p) for p in self.frontier],
                "faces_judged": self.faces_judged, "faces_rate": None if math.isnan(self.faces_rate) else self.faces_rate,
                "images": self.images, "data_key": self.data_key}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scores:
        rate = data.get("faces_rate")
        return cls(float(data["psnr"]), float(data["cf_ratio"]), [(float(x), float(y)) for x, y in data["frontier"]],
                   int(data["faces_judged"]), math.nan if rate is None else float(rate), int(data["images"]), str(data["data_key"]))

    def line(self) -> str:
        faces = f", faces {self.faces_rate:.0%} of {self.faces_judged}" if self.faces_judged else ", no faces judged"
        return f"PSNR {self.psnr:.2f} dB at CF ratio {self.cf_ratio:.2f}{faces} ({self.images} photos)"


@dataclass(frozen=True)
class Verdict:
    """The decision and its reasons, one line each."""

    better: bool
    reasons: list[str] = field(default_factory=list)

    def line(self) -> str:
        return "; ".join(self.reasons)


def data_key(data: str | Path) -> str:
    """A fingerprint of the photo set (names and sizes) and of how it is scored, so cached scores match."""
    digest = hashlib.sha256(f"max_side={SCORING_MAX_SIDE};sweep={SWEEP}".encode())
    root = Path(data)
    for path in list_images(data):
        name = str(path.relative_to(root)) if root.is_dir() else str(path)
        digest.update(f"{name}:{path.stat().st_size}\n".encode())
    return digest.hexdigest()[:16]


def score_model(checkpoint: str | Path, data: str | Path, *, device: str = "auto", out_dir: str | Path | None = None,
                key: str | None = None) -> Scores:
    """Score ``checkpoint`` on ``data`` exactly as `colorbot eval --saturation …` does (FID off);
    ``key`` is ``data_key(data)`` when the caller has it already."""
    from training.evaluate import evaluate
    from training.frontier import model_curve

    with tempfile.TemporaryDirectory(prefix="colorbot-score-") as scratch:
        report = evaluate(checkpoint, data, out_dir or scratch, max_side=SCORING_MAX_SIDE, fid=False, device=device, saturations=SWEEP)
    own, faces = report["summary"]["model"], report["faces"]
    return Scores(own["psnr"], own["cf_ratio"], model_curve(report), int(faces["judged"]), faces["rate"], report["images"],
                  key or data_key(data))


def psnr_at(frontier: list[tuple[float, float]], cf_ratio: float) -> float:
    """The frontier's PSNR at ``cf_ratio`` (linear between points; the nearest end point beyond them)."""
    xs, ys = zip(*sorted(frontier))
    return float(np.interp(cf_ratio, xs, ys))


#: Below this share of the photos' colourfulness a model adds no colour worth promoting (a gray model ties gray).
MIN_CF_RATIO = 0.05


def judge(candidate: Scores, current: Scores) -> Verdict:
    """Better-or-equal on both counts, or refused with the reasons."""
    if candidate.data_key != current.data_key:
        raise ValueError("the two models were scored on different photos")
    reasons, better = [], True
    bar = psnr_at(current.frontier, candidate.cf_ratio)
    digits = 2 if round(candidate.psnr, 2) != round(bar, 2) else 3  # never "22.05 dB vs 22.05 dB"
    same_colour = (f"the current model turned to the same colourfulness (its saturation sweep) scores {bar:.{digits}f} dB; "
                   f"at its own setting {current.psnr:.2f} dB at CF ratio {current.cf_ratio:.2f}")
    if candidate.cf_ratio < MIN_CF_RATIO:
        better = False
        reasons.append(f"adds almost no colour: CF ratio {candidate.cf_ratio:.2f} (a gray picture scores {candidate.psnr:.2f} dB "
                       f"whatever the model); the current model colours to CF ratio {current.cf_ratio:.2f} at {current.psnr:.2f} dB")
    elif candidate.psnr < bar:
        better = False
        reasons.append(f"lower PSNR at equal colourfulness: {candidate.psnr:.{digits}f} dB at CF ratio {candidate.cf_ratio:.2f}, "
                       f"where {same_colour}")
    else:
        reasons.append(f"PSNR {candidate.psnr:.{digits}f} dB at CF ratio {candidate.cf_ratio:.2f} ≥ {bar:.{digits}f} dB, what {same_colour}")
    if candidate.faces_judged and current.faces_judged:
        if candidate.faces_rate < current.faces_rate:
            better = False
            reasons.append(f"worse on faces: {candidate.faces_rate:.0%} skin-toned vs {current.faces_rate:.0%}")
        else:
            reasons.append(f"faces {candidate.faces_rate:.0%} skin-toned vs {current.faces_rate:.0%}")
    else:
        reasons.append("no faces judged on these photos")
    return Verdict(better, reasons)
