"""The PSNR-against-colourfulness frontier of one or more models, from `colorbot eval` reports.

Each model's saturation sweep is a curve (x: total colourfulness over the ground truth's, y: mean
PSNR); the gray and mean-chroma baselines are single points. ``python -m training.frontier
--out F.png NAME=runs/x/eval/eval.json ...`` draws the model card's figure.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from training.reporting import line_plot

PALETTE = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (140, 86, 75)]
BASELINE_COLOURS = {"gray": (120, 120, 120), "mean_chroma": (255, 127, 14)}


def model_curve(report: dict[str, Any]) -> list[tuple[float, float]]:
    """One eval report's (cf_ratio, psnr) points, sorted: its saturation sweep plus the model's own
    (shipped) saturation, which is a point on the curve even when the sweep skipped it."""
    own = report["summary"]["model"]
    return sorted({(p["cf_ratio"], p["psnr"]) for p in report.get("saturation_sweep") or []} | {(own["cf_ratio"], own["psnr"])})


#: The saturation rule fixed before the first test score: the strongest sweep point within this
#: many dB of the sweep's best PSNR on tune.
SATURATION_TOLERANCE_DB = 0.25


def choose_saturation(report: dict[str, Any], tolerance_db: float = SATURATION_TOLERANCE_DB) -> float:
    """The saturation the model card's rule picks from a tune report's sweep (its own point included)."""
    points = [(float(p["saturation"]), float(p["psnr"])) for p in report.get("saturation_sweep") or []]
    points.append((float(report["saturation"]), float(report["summary"]["model"]["psnr"])))
    peak = max(psnr for _, psnr in points)
    return max(sat for sat, psnr in points if psnr >= peak - tolerance_db)


def frontier_series(reports: dict[str, dict[str, Any]]) -> list[tuple[str, tuple[int, int, int], list[tuple[float, float]]]]:
    """(label, colour, [(cf_ratio, psnr), ...]) per model sweep, then one point per baseline."""
    series = []
    for index, (name, report) in enumerate(reports.items()):
        series.append((f"{name} (saturation sweep)", PALETTE[index % len(PALETTE)], model_curve(report)))
    first = next(iter(reports.values()))
    for baseline, colour in BASELINE_COLOURS.items():
        scores = first["summary"][baseline]
        series.append((baseline, colour, [(scores["cf_ratio"], scores["psnr"])]))
    return series


def plot_frontier(reports: dict[str, dict[str, Any]], out_png: Path, title: str | None = None) -> Path:
    return line_plot(frontier_series(reports), out_png, x_label="colourfulness ratio (prediction / truth)",
                     y_label="mean PSNR (dB)", title=title)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m training.frontier", description=__doc__)
    parser.add_argument("--out", type=Path, help="draw the frontier figure here")
    parser.add_argument("--choose-saturation", action="store_true",
                        help=f"print the saturation the rule picks from each (tune) report: the strongest within {SATURATION_TOLERANCE_DB} dB of the peak")
    parser.add_argument("--title", default=None)
    parser.add_argument("reports", nargs="+", help="NAME=path/to/eval.json")
    args = parser.parse_args(argv)
    reports = {}
    for item in args.reports:
        name, _, path = item.partition("=")
        reports[name] = json.loads(Path(path).read_text())
    if args.choose_saturation:
        for name, report in reports.items():
            print(f"{name}: {choose_saturation(report):g}")
    if args.out:
        print(plot_frontier(reports, args.out, args.title))


if __name__ == "__main__":
    main()
