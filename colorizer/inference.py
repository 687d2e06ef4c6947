"""Run the network on batches of small gray copies and return chroma for full-resolution output."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import torch
from PIL import Image

from colorizer.checkpoint import DEFAULT_CHECKPOINT, DEFAULT_RENDER_SIZE, load_checkpoint
from colorizer.engines import select_runner
from colorizer.ensemble import ChromaEnsemble
from colorizer.fullres import recombine, small_gray
from colorizer.inference_net import InferenceNet
from colorizer.model import ColorizerNet


def pick_device(requested: str = "auto") -> torch.device:
    """``auto`` → CUDA when present, else CPU; anything else is passed to ``torch.device``."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(requested)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for but no CUDA GPU is available")
    return device


class Colorizer:
    """A loaded model plus how to run it: device, engine, render size and chroma strength.

    ``engine`` (``colorizer.engines``): ``auto`` runs ONNX Runtime on the CPU and PyTorch on a GPU;
    ``checkpoint`` is the file the model came from, beside which its ONNX graph may sit.
    """

    def __init__(self, model: ColorizerNet | ChromaEnsemble, *, render_size: int = DEFAULT_RENDER_SIZE, device: str = "auto", saturation: float = 1.0,
                 meta: dict | None = None, flip_average: bool | None = None, engine: str = "auto", checkpoint: str | Path | None = None) -> None:
        self.device = pick_device(device)
        self.model = model.eval().to(self.device)
        if self.device.type == "cuda":
            self.model = self.model.to(memory_format=torch.channels_last)
        self.render_size = int(render_size)
        self.saturation = float(saturation)
        self.meta = dict(meta or {})
        # Average the chroma of the image and of its mirror image (twice the compute): colour the
        # net is unsure of tends to differ between the two and cancels towards neutral.
        flip = bool(self.meta.get("flip_average", False)) if flip_average is None else flip_average
        self.net = InferenceNet(self.model, flip)
        self.runner = select_runner(self.net, self.device, engine, checkpoint)

    @property
    def flip_average(self) -> bool:
        """Whether each prediction is averaged with its mirror image's (fixed: the engine's graph has it built in)."""
        return self.net.flip_average

    @property
    def engine(self) -> str:
        """The engine that runs the net: ``onnx`` or ``torch``."""
        return self.runner.name

    @classmethod
    def from_checkpoint(cls, path: str | Path | None = None, *, render_size: int | None = None, device: str = "auto", saturation: float | None = None,
                        engine: str = "auto") -> Colorizer:
        """Load a checkpoint (the shipped default when ``path`` is None); settings default to its metadata."""
        path = Path(path or DEFAULT_CHECKPOINT)
        model, meta = load_checkpoint(path)
        return cls(
            model,
            render_size=render_size or int(meta.get("render_size", DEFAULT_RENDER_SIZE)),
            device=device,
            saturation=saturation if saturation is not None else float(meta.get("saturation", 1.0)),
            meta=meta,
            engine=engine,
            checkpoint=path,
        )

    def prepare(self, luma: Image.Image) -> tuple[torch.Tensor, tuple[int, int]]:
        """The net's input for one mode-L image (cheap; safe to call from loader threads)."""
        return small_gray(luma, self.render_size, self.model.size_multiple)

    def predict(self, prepared: Sequence[tuple[torch.Tensor, tuple[int, int]]]) -> list[torch.Tensor]:
        """Chroma (2, h, w) sigmoid units on the CPU for each prepared input, batched by shape."""
        results: list[torch.Tensor | None] = [None] * len(prepared)
        by_shape: dict[tuple[int, ...], list[int]] = defaultdict(list)
        for index, (tensor, _) in enumerate(prepared):
            by_shape[tuple(tensor.shape)].append(index)
        for indices in by_shape.values():
            output = self.runner(torch.stack([prepared[i][0] for i in indices]))
            for row, index in enumerate(indices):
                height, width = prepared[index][1]
                results[index] = output[row, :, :height, :width]
        return [r for r in results if r is not None]

    def finish(self, luma: Image.Image, uv_unit: torch.Tensor) -> Image.Image:
        """Full-resolution RGB from the original luminance and the predicted chroma."""
        return recombine(luma, uv_unit, self.saturation)

    def colorize(self, luma: Image.Image) -> Image.Image:
        """Colorize one mode-L image at full resolution (convenience for single images)."""
        (uv,) = self.predict([self.prepare(luma)])
        return self.finish(luma, uv)
