"""Weight-space interpolation between a model and its fine-tuned descendant (WiSE-FT, Wortsman et
al. 2022): ``(1 - alpha) * start + alpha * tuned``, every float tensor, batch-norm statistics included.

Why: a fine-tuned net and the net it started from lie in one basin, so points between them are
working models; the blend can keep what the start did well (here: clean photos, faces) and what the
fine-tuning learnt (here: aged prints) at the cost of one net. ``alpha`` is a tuning number,
chosen on tune with :func:`choose_alpha` before test is scored.

    python -m training.interpolate --start colorizer/weights/default.pt --tuned runs/x/final.pt \\
        --alpha 0.5 --out runs/x/blend-0.5.pt
    python -m training.interpolate --choose --old-clean T/old/eval.json --old-aged T/old-aged/eval.json \\
        0.5=T/b05/eval.json,T/b05-aged/eval.json 0.75=...

The blend is written beside ``tuned`` (same run folder) as a run checkpoint, so ``colorbot export``
follows its lineage: its image budget is the tuned run's, which already counts the start's.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import torch

from colorizer.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from colorizer.ensemble import ChromaEnsemble
from training.export import PER_FILE_KEYS
from training.ship_rule import CF_RATIOS, faces_skin_toned, frontier_row, judge


def blend_states(start: dict[str, torch.Tensor], tuned: dict[str, torch.Tensor], alpha: float) -> dict[str, torch.Tensor]:
    """``(1 - alpha) * start + alpha * tuned`` for float tensors; other tensors (counters) from ``tuned``."""
    if start.keys() != tuned.keys():
        missing = sorted(start.keys() ^ tuned.keys())[:5]
        raise ValueError(f"the two nets have different layers (e.g. {', '.join(missing)}): only a model and its fine-tuned descendant blend")
    blended = {}
    for key, value in tuned.items():
        other = start[key]
        if other.shape != value.shape:
            raise ValueError(f"{key}: shapes differ ({tuple(other.shape)} vs {tuple(value.shape)})")
        blended[key] = torch.lerp(other.float(), value.float(), alpha) if value.is_floating_point() else value.clone()
    return blended


def interpolate(start: str | Path, tuned: str | Path, alpha: float, out: str | Path) -> Path:
    """Write the blend of ``start`` and ``tuned`` at ``alpha`` (0 = start, 1 = tuned) to ``out``."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must lie in [0, 1], not {alpha}")
    start_net, _ = load_checkpoint(start)
    tuned_net, meta = load_checkpoint(tuned)
    if isinstance(start_net, ChromaEnsemble) or isinstance(tuned_net, ChromaEnsemble):
        raise CheckpointError("an ensemble does not blend: blend its members")
    if start_net.config != tuned_net.config:
        raise CheckpointError(f"different designs: {start_net.config} vs {tuned_net.config}")
    tuned_net.load_state_dict(blend_states(start_net.state_dict(), tuned_net.state_dict(), alpha))
    meta = {k: v for k, v in meta.items() if k not in PER_FILE_KEYS}  # the tuned run's scores are not the blend's
    meta["interpolation"] = {"method": "wise-ft", "alpha": float(alpha), "start": str(start), "tuned": str(tuned)}
    return save_checkpoint(out, tuned_net, meta)


def tune_margin(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> float:
    """The smallest PSNR lead of ``new`` over ``old`` at any CF ratio of the rule, clean or aged
    (``-inf`` where a sweep does not reach a ratio)."""
    leads = []
    for kind in ("clean", "aged"):
        for before, after in zip(frontier_row(old[kind]), frontier_row(new[kind])):
            leads.append(float("-inf") if before is None or after is None else after - before)
    return min(leads)


def choose_alpha(old: dict[str, dict[str, Any]], candidates: dict[float, dict[str, dict[str, Any]]]) -> tuple[float, bool]:
    """The rule fixed before the tune scores were read: among the alphas that pass the ship rule
    on tune (``training.ship_rule.judge``), the one with the largest :func:`tune_margin`; when none
    passes, the largest margin among those that skin-tone as many faces, else overall. Returns the
    alpha and whether it passed on tune (if not, test is not scored)."""
    passing = {a: r for a, r in candidates.items() if judge(old, r).ships}
    faces_kept = {a: r for a, r in candidates.items()
                  if all(faces_skin_toned(r[k]) >= faces_skin_toned(old[k]) for k in ("clean", "aged"))}
    pool = passing or faces_kept or candidates
    best = max(pool, key=lambda a: tune_margin(old, pool[a]))
    return best, bool(passing)


def _read(path: str) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.interpolate", description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=Path)
    parser.add_argument("--tuned", type=Path)
    parser.add_argument("--alpha", type=float)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--choose", action="store_true", help="pick alpha from tune reports instead of blending")
    parser.add_argument("--old-clean", type=Path)
    parser.add_argument("--old-aged", type=Path)
    parser.add_argument("candidates", nargs="*", metavar="ALPHA=CLEAN.json,AGED.json")
    args = parser.parse_args(argv)
    if args.choose:
        if not (args.old_clean and args.old_aged and args.candidates):
            parser.error("--choose needs --old-clean, --old-aged and ALPHA=CLEAN.json,AGED.json candidates")
        old = {"clean": _read(args.old_clean), "aged": _read(args.old_aged)}
        candidates = {}
        for spec in args.candidates:
            alpha, _, paths = spec.partition("=")
            clean, _, aged = paths.partition(",")
            candidates[float(alpha)] = {"clean": _read(clean), "aged": _read(aged)}
        for alpha, reports in sorted(candidates.items()):
            row = ", ".join(f"{k} " + " ".join("—" if v is None else f"{v:.2f}" for v in frontier_row(reports[k])) for k in ("clean", "aged"))
            print(f"alpha {alpha:g}: margin {tune_margin(old, reports):+.3f} dB, ships on tune: {judge(old, reports).ships}, "
                  f"faces {faces_skin_toned(reports['clean'])}/{faces_skin_toned(reports['aged'])} ({row})")
        best, passed = choose_alpha(old, candidates)
        print(f"chosen {best:g} {'passes' if passed else 'fails'} on tune (CF ratios {CF_RATIOS[0]}–{CF_RATIOS[-1]})")
        return 0
    if not (args.start and args.tuned and args.alpha is not None and args.out):
        parser.error("blending needs --start, --tuned, --alpha and --out")
    path = interpolate(args.start, args.tuned, args.alpha, args.out)
    print(f"{path}: {1 - args.alpha:g} × {args.start} + {args.alpha:g} × {args.tuned}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
