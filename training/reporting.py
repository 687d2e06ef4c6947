"""Rank-0 run outputs: metrics JSONL (plus TensorBoard when installed) and the training curve."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

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
    """Training (and validation) loss against step; ``None`` when there is nothing to draw or
    matplotlib (the ``training`` extra) is missing, which is logged and never fails a run."""
    records = read_metrics(metrics_path)
    train = [(r["step"], r["loss"]) for r in records if r.get("split") == "train" and "loss" in r]
    val = [(r["step"], r["val_loss"]) for r in records if r.get("split") == "val" and "val_loss" in r]
    series = [(label, colour, points) for label, colour, points in
              (("train loss", (31, 119, 180), train), ("val loss", (255, 127, 14), val)) if points]
    if not series:
        return None
    try:
        return line_plot(series, out_png, x_label="step", y_label="loss")
    except ImportError:
        log.warning("no loss curve: matplotlib is not installed (pip install 'colorbot[training]')")
        return None


def line_plot(series: list[tuple[str, tuple[int, int, int], list[tuple[float, float]]]], out_png: Path, *,
              x_label: str, y_label: str, title: str | None = None, size: tuple[int, int] = (800, 450)) -> Path:
    """A matplotlib line chart, one labelled line per series (a series of one point is a marker);
    ``size`` in pixels at 100 dpi. Raises ImportError without matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(size[0] / 100, size[1] / 100), dpi=100)
    try:
        for label, colour, points in series:
            xs, ys = zip(*points)
            rgb = tuple(c / 255 for c in colour)
            style = "s" if len(points) == 1 else "o-" if len(points) <= 30 else "-"
            ax.plot(xs, ys, style, color=rgb, label=label, markersize=7 if len(points) == 1 else 4, linewidth=1.5)
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        if title:
            ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
        fig.tight_layout()
        fig.savefig(out_png)
    finally:
        plt.close(fig)
    return Path(out_png)
