"""Which engine runs the net: ONNX Runtime on the CPU, PyTorch on a GPU (or when asked).

ONNX Runtime runs this net several times faster than PyTorch's eager CPU kernels (EfficientNet's
depthwise convolutions above all; ``bench/colorize.py`` prints both). ``auto`` takes it on the
CPU when the model's graph is there or can be made, and falls back to PyTorch with one warning
when it cannot (no exporter installed and no graph shipped, a graph that fails its self-check and
cannot be remade); ``onnx`` makes that an error instead.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import torch

from colorizer.inference_net import InferenceNet
from colorizer.onnx_graph import ExportUnavailable, cached_graph, export_graph, graph_candidates, graph_digest
from colorizer.onnx_runner import GraphError, OnnxRunner

log = logging.getLogger(__name__)

ENGINES = ("auto", "torch", "onnx")


def _autocast(device: torch.device) -> contextlib.AbstractContextManager[object]:
    """bf16 autocast on GPUs that support it (fp16 otherwise); full precision on CPU."""
    if device.type != "cuda":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.autocast("cuda", dtype=dtype)


class TorchRunner:
    """Chroma for a batch from the PyTorch module itself (channels-last and autocast on a GPU)."""

    name = "torch"

    def __init__(self, net: InferenceNet, device: torch.device) -> None:
        self.net = net
        self.device = device

    @torch.inference_mode()
    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        batch = batch.to(self.device, non_blocking=True)
        if self.device.type == "cuda":
            batch = batch.contiguous(memory_format=torch.channels_last)
        with _autocast(self.device):
            output = self.net(batch)
        return output.float().cpu()


def select_runner(net: InferenceNet, device: torch.device, engine: str = "auto", checkpoint: str | Path | None = None) -> TorchRunner | OnnxRunner:
    """The runner for ``engine`` (see the module notes); ``checkpoint`` is where a graph may sit beside."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine == "torch" or (engine == "auto" and device.type != "cpu"):
        return TorchRunner(net, device)
    if device.type != "cpu":
        raise ValueError(f"--engine onnx runs on the CPU, not {device}; use --device cpu, or --engine torch on a GPU")
    try:
        return onnx_runner(net, checkpoint)
    except (GraphError, ExportUnavailable, ImportError, OSError) as exc:
        if engine == "onnx":
            raise ValueError(f"--engine onnx: {exc}") from exc
        log.warning("%s; colorizing with PyTorch instead (slower on the CPU)", exc)
        return TorchRunner(net, device)


def onnx_runner(net: InferenceNet, checkpoint: str | Path | None = None) -> OnnxRunner:
    """A checked ONNX Runtime session for ``net``: a graph found beside ``checkpoint`` or in the
    cache (a broken one is exported again where it was), else one exported into the cache now."""
    import onnxruntime  # noqa: F401  (fail here, with its name, when it is not installed)

    digest = graph_digest(net)
    for path in graph_candidates(digest, checkpoint):
        if not path.is_file():
            continue
        try:
            return _checked(OnnxRunner(path), net)
        except GraphError as exc:
            log.warning("%s; exporting the graph again", exc)
        runner = _exported(net, path)
        if runner is not None:
            return runner
    runner = _exported(net, cached_graph(digest))
    if runner is None:
        raise GraphError(f"cannot write the ONNX graph {digest} beside the model or into {cached_graph(digest).parent}")
    return runner


def _exported(net: InferenceNet, target: Path) -> OnnxRunner | None:
    """Export ``net`` to ``target`` and open it; None when ``target`` cannot be written (a read-only folder).

    An exporter that fails on this model (an operator it cannot translate) raises :class:`GraphError`,
    so that ``auto`` colorizes with PyTorch instead of not at all."""
    log.info("exporting an ONNX graph of the model for CPU inference (once per model): %s", target)
    try:
        export_graph(net, target)
    except OSError as exc:
        log.info("cannot write %s (%s)", target, exc)
        return None
    except ExportUnavailable:
        raise
    except Exception as exc:  # torch.export / onnxscript raise many types for a model they cannot take
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise GraphError(f"exporting the model's ONNX graph failed ({type(exc).__name__}: {first})") from exc
    return _checked(OnnxRunner(target), net)


def _checked(runner: OnnxRunner, net: InferenceNet) -> OnnxRunner:
    runner.check_against(net, net.size_multiple)
    return runner
