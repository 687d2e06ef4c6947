"""Run an exported colorizer graph on the CPU with ONNX Runtime.

Set up for a process that does other work between calls (decoding, resizing and encoding photos
in PyTorch and Pillow): one intra-op thread per core the process may use, all graph optimizations
on, and the thread pool *not* spinning while it waits for the next call, so it leaves those cores
to the work around it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from colorizer.onnx_graph import INPUT_NAME, OUTPUT_NAME

#: The largest difference from PyTorch, in sigmoid units, at which a graph counts as this model's.
SELF_CHECK_TOLERANCE = 1e-3


class GraphError(Exception):
    """A graph ONNX Runtime cannot load, or one that does not compute its model's colours."""


def process_cores() -> int:
    """The cores this process may run on (its CPU affinity, e.g. a container's cpuset)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


class OnnxRunner:
    """Chroma for a batch of gray inputs from one ONNX graph (``colorizer.onnx_graph``)."""

    name = "onnx"

    def __init__(self, path: str | Path, threads: int | None = None) -> None:
        import onnxruntime as ort

        self.path = Path(path)
        self.threads = threads
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.intra_op_num_threads = threads or process_cores()
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        options.log_severity_level = 3  # errors only: ORT's warnings go to stderr and are not ours to show
        try:
            self.session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # ORT raises its own types (InvalidProtobuf, Fail, NoSuchFile, ...)
            raise GraphError(f"{self.path}: ONNX Runtime cannot load it ({_first_line(exc)})") from exc
        inputs = [i.name for i in self.session.get_inputs()]
        outputs = [o.name for o in self.session.get_outputs()]
        if inputs != [INPUT_NAME] or outputs != [OUTPUT_NAME]:
            raise GraphError(f"{self.path}: not a colorizer graph (inputs {inputs}, outputs {outputs})")

    def __getstate__(self) -> dict[str, object]:
        """A copy (``copy.deepcopy``, pickling) opens its own session on the same graph."""
        return {"path": self.path, "threads": self.threads}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["path"], state["threads"])  # type: ignore[misc, arg-type]

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        """(B, 1, H, W) float gray → (B, 2, H, W) float32 chroma on the CPU."""
        feed = np.ascontiguousarray(batch.detach().cpu().numpy(), dtype=np.float32)
        (chroma,) = self.session.run([OUTPUT_NAME], {INPUT_NAME: feed})
        return torch.from_numpy(chroma)

    def check_against(self, net: torch.nn.Module, multiple: int) -> None:
        """Raise :class:`GraphError` unless the graph gives ``net``'s colours on a small seeded input."""
        probe = torch.rand(1, 1, 2 * multiple, 3 * multiple, generator=torch.Generator().manual_seed(0))
        with torch.inference_mode():
            expected = net(probe).float()
        try:
            got = self(probe)
        except Exception as exc:  # a graph that loads but cannot run this shape
            raise GraphError(f"{self.path}: the graph fails on a {tuple(probe.shape)} input ({_first_line(exc)})") from exc
        if got.shape != expected.shape or not torch.allclose(got, expected, atol=SELF_CHECK_TOLERANCE, rtol=0.0):
            raise GraphError(f"{self.path}: the graph's colours differ from its model's (a stale or foreign graph)")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:200]
