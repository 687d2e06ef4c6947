"""``colorbot eval``: score a checkpoint on a folder of color photos against simple baselines.

Each photo (long side capped at ``max_side``) is split into Y and UV; the model sees Y at the
checkpoint's render size and its chroma is upsampled and recombined with the full Y. Scored on
uint8 RGB: PSNR, SSIM, colorfulness of predictions and ground truth (ΔCF = pred − truth), UV L2,
and FID when Inception weights are on disk. Baselines: ``gray`` (UV = 0) and ``mean_chroma``
(every pixel gets the training set's mean UV). Writes ``eval.json``, ``eval.md`` and
``contact-sheet.png`` (worst and best photos by the model's PSNR).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from pathlib import Path
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from PIL import Image

from colorizer.checkpoint import load_checkpoint
from colorizer.fullres import recombine
from colorizer.inference import Colorizer
from training.aging import AgingSettings, age_gray
from training.data import list_images, open_rgb, to_uint8_tensor
from training.faces import FaceJudgement, judge_faces
from training.faces import summarize as summarize_faces
from training.fid import FIDUnavailable, InceptionFeatures, fid_from_features, find_inception_weights
from training.metrics import colorfulness, psnr, ssim, uv_l2
from training.predict import hwc, split_yuv, to_uint8_rgb

log = logging.getLogger(__name__)

METHODS = ("model", "gray", "mean_chroma")


def load_eval_image(path: Path, max_side: int) -> torch.Tensor:
    rgb, _ = open_rgb(path, min_side=None)
    if max(rgb.size) > max_side:
        scale = max_side / max(rgb.size)
        rgb = rgb.resize((max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale))), Image.Resampling.LANCZOS)
    return to_uint8_tensor(rgb)


def mean_chroma_of(paths: list[Path], limit: int = 500, size: int = 128) -> list[float]:
    """Mean UV of (up to ``limit``) training photos, for the mean-chroma baseline."""
    total, count = torch.zeros(2, dtype=torch.float64), 0
    for path in paths[:limit]:
        try:
            _, uv = split_yuv(load_eval_image(path, size)[None])
        except Exception:  # noqa: BLE001
            continue
        total += uv.double().sum((0, 2, 3))
        count += uv.shape[2] * uv.shape[3]
    return (total / max(count, 1)).tolist()


def _score(pred: torch.Tensor, truth: torch.Tensor, uv_pred: torch.Tensor, uv_true: torch.Tensor) -> dict[str, float]:
    p, t = hwc(pred), hwc(truth)
    return {"psnr": psnr(p, t), "ssim": ssim(p, t), "cf": colorfulness(p), "uv_l2": uv_l2(uv_pred, uv_true)}


def aged_gray(gray: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """``gray`` (1, 1, H, W) in [0, 1] aged like an old print (8-bit, as a scan would be)."""
    levels = gray[0, 0].mul(255.0).round_().clamp_(0, 255).to(torch.uint8).numpy()
    return torch.from_numpy(age_gray(levels, rng).astype(np.float32) / 255.0)[None, None]


def colorize_like_the_cli(colorizer: Colorizer, gray: torch.Tensor, saturations: Sequence[float] = ()) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """uint8 RGB (3, H, W) and its UV (1, 2, H, W), as `colorbot colorize` would produce them for
    the gray image ``gray`` (1, 1, H, W) in [0, 1]: first at the colorizer's own saturation, then
    at each of ``saturations`` (the net runs once; only the chroma scaling differs)."""
    luma = Image.fromarray(gray[0, 0].mul(255.0).round_().clamp_(0, 255).to(torch.uint8).cpu().numpy(), "L")
    (uv_unit,) = colorizer.predict([colorizer.prepare(luma)])
    results = []
    for saturation in (colorizer.saturation, *saturations):
        rgb = torch.from_numpy(np.asarray(recombine(luma, uv_unit, saturation)).copy()).permute(2, 0, 1)
        results.append((rgb, split_yuv(rgb[None])[1]))
    return results


def evaluate(checkpoint: str | Path, data: str | Path, out_dir: str | Path, *, render_size: int | None = None, max_side: int = 512,
             mean_chroma: list[float] | None = None, train_data: str | None = None, fid: bool = True,
             inception_weights: str | None = None, device: str = "auto", limit: int | None = None, sheet_rows: int = 4,
             saturations: Sequence[float] = (), flip_average: bool | None = None, engine: str = "auto",
             aged_seed: int | None = None) -> dict[str, Any]:
    """Score ``checkpoint`` on the photos in ``data``; ``saturations`` adds a sweep of the chroma-strength
    knob (PSNR, SSIM and CF ratio at each), the trade-off curve the model card draws.

    ``aged_seed``: every method gets the photo's gray aged like an old print (``training.aging``,
    the N-th photo with the generator seeded ``[aged_seed, N]``) and is scored against the clean
    colour photo; the report records the seed and the ageing's settings."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dev = torch.device("cuda" if device == "auto" and torch.cuda.is_available() else ("cpu" if device == "auto" else device))
    model, meta = load_checkpoint(checkpoint)
    render = render_size or int(meta.get("render_size", 256))
    # The model is scored through the same inference path `colorbot colorize` ships, at its shipped strength.
    colorizer = Colorizer(model, render_size=render, device=str(dev), saturation=float(meta.get("saturation", 1.0)), meta=meta,
                          flip_average=flip_average, engine=engine, checkpoint=checkpoint)
    if mean_chroma is None:
        if train_data:
            mean_chroma = mean_chroma_of(list_images(train_data))
        else:
            mean_chroma = meta.get("mean_chroma")
    chroma_note = "" if mean_chroma is not None else "no training mean chroma known (checkpoint meta or --train-data): baseline uses UV = 0"
    mean_uv = torch.tensor(mean_chroma or [0.0, 0.0], dtype=torch.float32).view(1, 2, 1, 1)

    paths = list_images(data)[:limit] if limit else list_images(data)
    features = None
    fid_note = ""
    if fid:
        try:
            features = InceptionFeatures(find_inception_weights(inception_weights), dev)
        except FIDUnavailable as exc:
            fid_note = str(exc)
            log.warning("%s", exc)
    else:
        fid_note = "FID skipped (--no-fid)"
    feats: dict[str, list[np.ndarray]] = {m: [] for m in (*METHODS, "truth")}
    per_image: list[dict[str, Any]] = []
    judgements: list[FaceJudgement] = []
    thumbs: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []
    for number, path in enumerate(paths):
        try:
            truth = load_eval_image(path, max_side)
        except Exception as exc:  # noqa: BLE001
            log.warning("skipping %s: cannot decode (%s)", path, exc)
            continue
        gray, uv_true = split_yuv(truth[None])
        if aged_seed is not None:
            gray = aged_gray(gray, np.random.default_rng([aged_seed, number]))
        uvs = {"gray": torch.zeros_like(uv_true), "mean_chroma": mean_uv.expand_as(uv_true)}
        preds = {m: to_uint8_rgb(gray, uv)[0] for m, uv in uvs.items()}
        (preds["model"], uvs["model"]), *swept = colorize_like_the_cli(colorizer, gray, saturations)
        row: dict[str, Any] = {"path": str(path), "cf_true": colorfulness(hwc(truth))}
        for m in METHODS:
            row[m] = _score(preds[m], truth, uvs[m], uv_true)
        row["sweep"] = [_score(rgb, truth, uv, uv_true) for rgb, uv in swept]
        faces = judge_faces(hwc(truth), uv_true, uvs["model"])
        row["faces"] = [face.as_dict() for face in faces]
        judgements.extend(faces)
        per_image.append(row)
        thumbs.append((preds["gray"], preds["model"], truth))
        if features is not None:
            for m in METHODS:
                feats[m].append(features(preds[m][None]))
            feats["truth"].append(features(truth[None]))
    if not per_image:
        raise ValueError(f"{data}: no decodable images")

    fid_features = {m: np.concatenate(feats[m]) for m in feats} if features is not None else None
    summary, sweep = summarize_rows(per_image, saturations, fid_features)
    people = [r for r in per_image if any(face["judged"] for face in r["faces"])]
    people_report: dict[str, Any] = {"images": len(people)}
    if people:
        people_summary, people_sweep = summarize_rows(people, saturations)
        people_report.update(summary=people_summary, saturation_sweep=people_sweep,
                             faces=summarize_faces([j for j in judgements if j.judged]))
    report = {
        "checkpoint": str(checkpoint),
        "data": str(data),
        "images": len(per_image),
        "render_size": render,
        "max_side": max_side,
        "mean_chroma": list(mean_uv.flatten().tolist()),
        "model_meta": {k: v for k, v in meta.items() if isinstance(v, (str, int, float, bool, list, dict))},
        "saturation": colorizer.saturation,
        "flip_average": colorizer.flip_average,
        "aging": None if aged_seed is None else {"seed": aged_seed, "settings": dataclasses.asdict(AgingSettings())},
        "summary": summary,
        "saturation_sweep": sweep,
        "faces": summarize_faces(judgements),
        "people": people_report,
        "notes": [n for n in (fid_note, chroma_note) if n],
        "per_image": per_image,
    }
    (out / "eval.json").write_text(json.dumps(report, indent=2, default=_json_default))
    (out / "eval.md").write_text(markdown_report(report))
    _contact_sheet(per_image, thumbs, out / "contact-sheet.png", sheet_rows)
    return report


def _worst_vs_gray(rows: list[dict[str, Any]], scores_of: Callable[[dict[str, Any]], dict[str, float]]) -> float:
    """The smallest PSNR gain over the gray baseline among ``rows`` (PSNR capped at 100 dB, as in the means)."""
    return float(min(min(scores_of(r)["psnr"], 100.0) - min(r["gray"]["psnr"], 100.0) for r in rows))


def summarize_rows(rows: list[dict[str, Any]], saturations: Sequence[float] = (),
                   fid_features: dict[str, np.ndarray] | None = None) -> tuple[dict[str, dict[str, float]], list[dict[str, float]]]:
    """Mean scores per method over ``rows`` (per-photo results), with the CF ratio and the worst
    photo's PSNR minus its gray's; and the saturation sweep's means."""
    summary: dict[str, dict[str, float]] = {}
    cf_true = float(np.mean([r["cf_true"] for r in rows]))
    for m in METHODS:
        s = {k: float(np.mean([min(r[m][k], 100.0) if k == "psnr" else r[m][k] for r in rows])) for k in ("psnr", "ssim", "cf", "uv_l2")}
        s["cf_true"] = cf_true
        s["delta_cf"] = s["cf"] - cf_true
        if fid_features is not None:
            s["fid"] = fid_from_features(fid_features[m], fid_features["truth"])
        s["cf_ratio"] = s["cf"] / cf_true if cf_true > 0 else math.nan
        s["worst_vs_gray"] = _worst_vs_gray(rows, lambda r, m=m: r[m])
        summary[m] = s
    sweep = [{"saturation": float(sat), **{k: float(np.mean([r["sweep"][i][k] for r in rows])) for k in ("psnr", "ssim", "cf", "uv_l2")}}
             for i, sat in enumerate(saturations)]
    for i, point in enumerate(sweep):
        point["cf_ratio"] = point["cf"] / cf_true if cf_true > 0 else math.nan
        point["worst_vs_gray"] = _worst_vs_gray(rows, lambda r, i=i: r["sweep"][i])
    return summary, sweep


def _json_default(value):
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    return str(value)


def markdown_report(report: dict[str, Any]) -> str:
    lines = [
        f"# Colorization eval: {Path(report['checkpoint']).name}",
        "",
        f"Data: `{report['data']}`, {report['images']} images (long side ≤ {report['max_side']} px), render size {report['render_size']}.",
        "",
        *([f"Every method's gray was aged like an old print (seed {report['aging']['seed']}, docs/training/aging.md); "
           "scores are against the clean colour photos.", ""] if report.get("aging") else []),
        "| method | PSNR ↑ | SSIM ↑ | CF | CF truth | ΔCF | CF ratio | UV L2 ↓ | FID ↓ | worst photo vs gray |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for m, s in report["summary"].items():
        fid = f"{s['fid']:.2f}" if "fid" in s else "n/a"
        worst = f"{s['worst_vs_gray']:+.2f} dB" if "worst_vs_gray" in s else "n/a"
        lines.append(f"| {m} | {s['psnr']:.2f} | {s['ssim']:.4f} | {s['cf']:.2f} | {s['cf_true']:.2f} | {s['delta_cf']:+.2f} "
                     f"| {s['cf_ratio']:.2f} | {s['uv_l2']:.4f} | {fid} | {worst} |")
    faces = report.get("faces")
    if faces:
        rate = "n/a" if not faces["judged"] else f"{faces['rate']:.0%}"
        lines += ["", f"Faces (OpenCV Haar cascade on the true photos): {faces['found']:.0f} found, {faces['judged']:.0f} with "
                  f"skin-coloured truth, {faces['skin_toned']:.0f} skin-toned by the model ({rate}; hue within 25°, ≥ 40 % of the chroma)."]
    people = report.get("people") or {}
    if people.get("summary"):
        model, gray = people["summary"]["model"], people["summary"]["gray"]
        lines += ["", f"People ({people['images']} photos with a judged face): PSNR {model['psnr']:.2f} vs gray {gray['psnr']:.2f} "
                  f"({model['psnr'] - gray['psnr']:+.2f} dB), CF ratio {model['cf_ratio']:.2f}, worst photo vs gray "
                  f"{model['worst_vs_gray']:+.2f} dB, faces skin-toned {people['faces']['rate']:.0%}."]
    if report.get("saturation_sweep"):
        lines += ["", f"Saturation sweep (the model's own setting is {report['saturation']:g}):", "",
                  "| saturation | PSNR ↑ | SSIM ↑ | CF | CF ratio | UV L2 ↓ | worst photo vs gray |", "|---|---|---|---|---|---|---|"]
        lines += [f"| {p['saturation']:g} | {p['psnr']:.2f} | {p['ssim']:.4f} | {p['cf']:.2f} | {p['cf_ratio']:.2f} | {p['uv_l2']:.4f} "
                  f"| {p['worst_vs_gray']:+.2f} dB |" for p in report["saturation_sweep"]]
    if report["notes"]:
        lines += ["", *[f"- {n}" for n in report["notes"]]]
    lines += ["", "Contact sheet (worst and best by the model's PSNR): `contact-sheet.png`.", ""]
    return "\n".join(lines)


def _contact_sheet(per_image: list[dict[str, Any]], thumbs, out: Path, rows: int) -> None:
    from colorizer.panel import compose_grid

    order = sorted(range(len(per_image)), key=lambda i: per_image[i]["model"]["psnr"])
    picks = order[:rows] + [i for i in order[-rows:] if i not in order[:rows]]
    grid = []
    for rank, i in enumerate(picks):
        tag = "worst" if rank < min(rows, len(order)) else "best"
        g, p, t = (Image.fromarray(hwc(x)) for x in thumbs[i])
        name = Path(per_image[i]["path"]).name
        grid.append([(f"gray {name}", g), (f"auto ({tag}) {per_image[i]['model']['psnr']:.1f} dB", p), ("truth", t)])
    compose_grid(grid, cell_height=192).save(out)
