"""What inference runs: the net, with flip averaging folded into the same batched call.

Averaging the chroma of an image and of its mirror image (twice the compute) cancels colour the
net is unsure of towards neutral. Done as one forward over the batch and its mirror (2B images)
rather than two calls, it is one graph for ONNX Runtime and one kernel launch per layer on a GPU.
PyTorch (``colorizer.engines``) and the exported ONNX graph (``colorizer.onnx_graph``) run this
very module, so both engines compute the same thing.
"""

from __future__ import annotations

import torch
from torch import nn

from colorizer.decoders.base import ColorizerNet
from colorizer.ensemble import ChromaEnsemble


class InferenceNet(nn.Module):
    """Gray (B, 1, H, W) in [0, 1], sides multiples of ``size_multiple`` → U, V (B, 2, H, W) in sigmoid units."""

    def __init__(self, model: ColorizerNet | ChromaEnsemble, flip_average: bool) -> None:
        super().__init__()
        self.model = model
        self.flip_average = bool(flip_average)

    @property
    def size_multiple(self) -> int:
        return int(self.model.size_multiple)

    def forward(self, gray: torch.Tensor) -> torch.Tensor:
        if not self.flip_average:
            return self.model(gray)
        count = gray.shape[0]
        both = self.model(torch.cat([gray, gray.flip(-1)]))
        return (both[:count] + both[count:].flip(-1)) / 2
