"""Old model against a candidate, scored clean and aged: the model card's tables and the rule
that decides whether the candidate ships.

    python -m training.ship_rule --old-clean A/eval.json --new-clean B/eval.json \\
        --old-aged C/eval.json --new-aged D/eval.json [--labels old new]

The rule (issue #23, fixed before any test photo was scored): on **both** clean and aged inputs,
the candidate's PSNR / colourfulness frontier (its saturation sweep) is above the old model's at
every CF ratio from 0.5 to 0.9, and it skin-tones at least as many faces as the old model.
Each report must come from ``colorbot eval`` with a saturation sweep wide enough to span those
CF ratios; a frontier that does not reach a ratio is not extrapolated, it fails the rule.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.frontier import model_curve
from training.promotion import psnr_at

CF_RATIOS = (0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass
class Verdict:
    ships: bool
    reasons: list[str] = field(default_factory=list)


def frontier_row(report: dict[str, Any], cf_ratios: tuple[float, ...] = CF_RATIOS) -> list[float | None]:
    """PSNR at each CF ratio along the report's sweep (linear between points); ``None`` outside it."""
    curve = model_curve(report)
    low, high = curve[0][0], curve[-1][0]
    return [psnr_at(curve, cf) if low <= cf <= high else None for cf in cf_ratios]


def _faces(report: dict[str, Any]) -> tuple[int, int]:
    faces = report.get("faces") or {}
    return int(faces.get("skin_toned") or 0), int(faces.get("judged") or 0)


def faces_skin_toned(report: dict[str, Any]) -> int:
    """How many of the report's judged faces came out skin-toned."""
    return _faces(report)[0]


def judge(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> Verdict:
    """``old`` and ``new`` map "clean" and "aged" to eval reports of the same photos."""
    verdict = Verdict(True)
    for kind in ("clean", "aged"):
        if old[kind]["data"] != new[kind]["data"] or old[kind]["images"] != new[kind]["images"]:
            raise ValueError(f"the {kind} reports scored different photos")
        below = []
        for cf, before, after in zip(CF_RATIOS, frontier_row(old[kind]), frontier_row(new[kind])):
            if before is None or after is None:
                below.append(f"CF {cf:.1f}: a sweep does not reach it")
            elif after <= before:
                below.append(f"CF {cf:.1f}: {after:.2f} ≤ {before:.2f} dB")
        if below:
            verdict.ships = False
            verdict.reasons.append(f"{kind}: frontier not above the old one — " + "; ".join(below))
        else:
            verdict.reasons.append(f"{kind}: frontier above the old one at every CF ratio {CF_RATIOS[0]}–{CF_RATIOS[-1]}")
        (old_toned, old_judged), (new_toned, _) = _faces(old[kind]), _faces(new[kind])
        if new_toned < old_toned:
            verdict.ships = False
            verdict.reasons.append(f"{kind}: {new_toned} faces skin-toned, fewer than the old model's {old_toned} of {old_judged}")
        else:
            verdict.reasons.append(f"{kind}: {new_toned} faces skin-toned vs {old_toned} of {old_judged}")
    return verdict


def _cell(report: dict[str, Any], metric: str) -> str:
    model, gray = report["summary"]["model"], report["summary"]["gray"]
    people = report.get("people") or {}
    if metric == "psnr":
        return f"{model['psnr']:.2f}"
    if metric == "gain":
        return f"{model['psnr'] - gray['psnr']:+.2f} dB"
    if metric == "cf_ratio":
        return f"{model['cf_ratio']:.2f}"
    if metric == "uv_l2":
        return f"{model['uv_l2']:.4f}"
    if metric == "worst":
        return f"{model['worst_vs_gray']:+.2f} dB"
    if metric == "faces":
        toned, judged = _faces(report)
        return f"{toned} / {judged}"
    if metric == "people":
        if not people.get("images"):
            return "—"
        p = people["summary"]
        return f"{p['model']['psnr'] - p['gray']['psnr']:+.2f} dB ({people['images']})"
    raise KeyError(metric)


ROWS = (("PSNR at the shipped saturation", "psnr"), ("gain over gray", "gain"), ("CF ratio", "cf_ratio"),
        ("UV L2 ↓", "uv_l2"), ("worst photo vs its gray", "worst"), ("faces skin-toned / judged", "faces"),
        ("people: gain over gray (photos)", "people"))


def summary_table(columns: dict[str, dict[str, Any]]) -> str:
    """Markdown: one column per labelled report, one row per figure."""
    head = "| | " + " | ".join(columns) + " |\n|---|" + "---|" * len(columns) + "\n"
    gray = "| gray PSNR | " + " | ".join(f"{r['summary']['gray']['psnr']:.2f}" for r in columns.values()) + " |\n"
    return head + gray + "".join(f"| {name} | " + " | ".join(_cell(r, metric) for r in columns.values()) + " |\n"
                                 for name, metric in ROWS)


def frontier_table(columns: dict[str, dict[str, Any]]) -> str:
    """Markdown: PSNR at each CF ratio of ``CF_RATIOS`` per labelled report."""
    head = "| PSNR at CF ratio | " + " | ".join(f"{cf:.1f}" for cf in CF_RATIOS) + " |\n|---|" + "---|" * len(CF_RATIOS) + "\n"
    return head + "".join(f"| {label} | " + " | ".join("—" if v is None else f"{v:.2f}" for v in frontier_row(r)) + " |\n"
                          for label, r in columns.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.ship_rule", description=__doc__.splitlines()[0])
    for name in ("old-clean", "new-clean", "old-aged", "new-aged"):
        parser.add_argument(f"--{name}", type=Path, required=True)
    parser.add_argument("--labels", nargs=2, default=["old", "new"])
    args = parser.parse_args(argv)
    read = {name: json.loads(getattr(args, name.replace("-", "_")).read_text()) for name in ("old-clean", "new-clean", "old-aged", "new-aged")}
    old_label, new_label = args.labels
    columns = {f"{old_label}, clean": read["old-clean"], f"{new_label}, clean": read["new-clean"],
               f"{old_label}, aged": read["old-aged"], f"{new_label}, aged": read["new-aged"]}
    print(summary_table(columns))
    print(frontier_table(columns))
    verdict = judge({"clean": read["old-clean"], "aged": read["old-aged"]}, {"clean": read["new-clean"], "aged": read["new-aged"]})
    print(("SHIPS" if verdict.ships else "DOES NOT SHIP") + "\n" + "\n".join(f"- {r}" for r in verdict.reasons))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
