"""Rank-0 run outputs: metrics JSONL (plus TensorBoard when installed) and the training curve."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw


class MetricsLog:
    """Appends one JSON object per line; mirrors scalars to TensorBoard when it is installed."""

    def __init__(self, out_dir: Path, tensorboard: bool = True) -> None:
        self.path = Path(out_dir) / "metrics.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.writer = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self.writer = SummaryWriter(str(Path(out_dir) / "tensorboard"))
            except Exception:  # noqa: BLE001 - tensorboard not installed: JSONL only
                self.writer = None

    def write(self, record: dict[str, Any]) -> None:
        with self.path.open("a") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")
        if self.writer is not None:
            step = record.get("step", 0)
            prefix = record.get("split", "train")
            for key, value in record.items():
                if isinstance(value, (int, float)) and key != "step" and math.isfinite(value):
                    self.writer.add_scalar(f"{prefix}/{key}", value, step)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def read_metrics(path: Path) -> list[dict[str, Any]]:
    if not Path(path).is_file():
        return []
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def plot_curve(metrics_path: Path, out_png: Path) -> Path | None:
    """Training (and validation) loss against step: matplotlib if installed, else Pillow."""
    records = read_metrics(metrics_path)
    train = [(r["step"], r["loss"]) for r in records if r.get("split") == "train" and "loss" in r]
    val = [(r["step"], r["val_loss"]) for r in records if r.get("split") == "val" and "val_loss" in r]
    if not train and not val:
        return None
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
        if train:
            ax.plot(*zip(*train), label="train loss")
        if val:
            ax.plot(*zip(*val), "o-", label="val loss")
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
        ax.legend()
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(out_png)
        plt.close(fig)
    except ImportError:
        _plot_pillow([("train loss", (31, 119, 180), train), ("val loss", (255, 127, 14), val)], out_png)
    return Path(out_png)


def _plot_pillow(series, out_png: Path) -> None:
    line_plot(series, out_png, x_label="step", y_label="loss")


def line_plot(series: list[tuple[str, tuple[int, int, int], list[tuple[float, float]]]], out_png: Path, *,
              x_label: str, y_label: str, size: tuple[int, int] = (800, 450), margin: int = 60) -> None:
    """A plain Pillow line chart (no plotting dependency): one coloured line with dots per series."""
    im = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(im)
    points = [p for _, _, s in series for p in s]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y0, y1 = min(ys), max(ys) if max(ys) > min(ys) else min(ys) + 1e-9
    w, h = size[0] - 2 * margin, size[1] - 2 * margin

    def xy(x, y):
        return margin + (x - x0) / (x1 - x0) * w, size[1] - margin - (y - y0) / (y1 - y0) * h

    draw.rectangle([margin, margin, size[0] - margin, size[1] - margin], outline="black")
    for i in range(5):
        yv, xv = y0 + (y1 - y0) * i / 4, x0 + (x1 - x0) * i / 4
        draw.text((4, xy(x0, yv)[1] - 6), f"{yv:.4g}", fill="black")
        draw.text((xy(xv, y0)[0] - 12, size[1] - margin + 6), f"{xv:.4g}", fill="black")
    draw.text((size[0] // 2 - 30, size[1] - margin + 24), x_label, fill="black")
    draw.text((4, margin - 20), y_label, fill="black")
    for row, (label, colour, pts) in enumerate(series):
        if len(pts) > 1:
            draw.line([xy(*p) for p in pts], fill=colour, width=2)
        if len(pts) <= 30:
            for p in pts:
                x, y = xy(*p)
                draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=colour)
        draw.text((size[0] - margin - 230, margin + 6 + 14 * row), label, fill=colour)
    im.save(out_png)
