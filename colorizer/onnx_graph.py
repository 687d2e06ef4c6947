"""ONNX graphs of colorizers: where they live, what they are named, and how they are made.

A graph is named by :func:`graph_digest`, a hash of the model's design, every weight, whether flip
averaging is folded in and the export format: a changed model never finds a stale graph, and two
checkpoints with the same weights share one. Graphs are looked for

1. next to the checkpoint, ``<stem>.<digest>.onnx``: written by ``colorbot export --onnx``, by the
   model store when a model is promoted, and shipped with the default model;
2. in the user's cache, ``<cache>/onnx/<digest>.onnx``: what a first run exports by itself, so a
   user's folders never gain files they did not ask for.

One graph serves every input the colorizer makes: batch, height and width are dynamic, with the
sides multiples of the model's ``size_multiple`` (as ``colorizer.fullres.small_gray`` pads them),
which keeps every TensorFlow-"SAME" padding a constant (``colorizer.backbones.efficientnet_lite``).
Exporting needs ``onnxscript`` (the ``export`` extra); running a graph needs only ``onnxruntime``.
"""

from __future__ import annotations

import contextlib
import glob
import json
import logging
import os
import re
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import torch

from colorizer.atomic import atomic_output
from colorizer.fingerprint import weights_digest
from colorizer.inference_net import InferenceNet

#: Bumped whenever what a graph computes changes (the wrapper, the export settings): old graphs then miss.
EXPORT_FORMAT = 2  # 2: the guided filter's box means as convolutions
INPUT_NAME = "gray"
OUTPUT_NAME = "chroma"
#: The largest padded side a graph is declared for (any render size up to this works).
MAX_SIDE = 8192


class ExportUnavailable(Exception):
    """The ONNX exporter is not installed (only ``onnxruntime`` is needed to run a graph)."""


@contextlib.contextmanager
def _quiet_exporter_logs() -> Iterator[None]:
    """The exporter's optimizer logs every rewrite at INFO; under a bot logging at INFO that is noise."""
    loggers = [logging.getLogger(name) for name in ("onnxscript", "onnx_ir", "torch.onnx", "torch.export", "torch._dynamo")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def graph_digest(net: InferenceNet) -> str:
    """The name of ``net``'s graph: its design, weights, flip averaging and the export format."""
    config = getattr(net.model, "config", {})
    extra = json.dumps({"config": config, "flip_average": net.flip_average, "format": EXPORT_FORMAT}, sort_keys=True).encode()
    return weights_digest(net.model, extra)


def cache_dir() -> Path:
    """``$COLORBOT_CACHE_DIR``, else ``$XDG_CACHE_HOME/colorbot``, else ``~/.cache/colorbot``."""
    if os.environ.get("COLORBOT_CACHE_DIR"):
        return Path(os.environ["COLORBOT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "colorbot"


def graph_beside(checkpoint: str | Path, digest: str) -> Path:
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(f"{checkpoint.stem}.{digest}.onnx")


def cached_graph(digest: str) -> Path:
    return cache_dir() / "onnx" / f"{digest}.onnx"


def graph_candidates(digest: str, checkpoint: str | Path | None) -> list[Path]:
    """Where ``digest``'s graph may be, in the order it is looked for."""
    return ([graph_beside(checkpoint, digest)] if checkpoint is not None else []) + [cached_graph(digest)]


def export_beside(checkpoint: str | Path) -> Path:
    """Export ``checkpoint``'s graph (flip averaging as its metadata says) next to it, and remove
    the graphs an earlier version of that file left there; returns the graph's path."""
    from colorizer.checkpoint import load_checkpoint

    checkpoint = Path(checkpoint)
    model, meta = load_checkpoint(checkpoint)
    net = InferenceNet(model, bool(meta.get("flip_average", False)))
    digest = graph_digest(net)
    path = export_graph(net, graph_beside(checkpoint, digest))
    for stale in graphs_beside(checkpoint):
        if stale != path:
            stale.unlink(missing_ok=True)
    return path


def graphs_beside(checkpoint: str | Path) -> list[Path]:
    """Every graph named for ``checkpoint`` in its folder, whatever its digest."""
    checkpoint = Path(checkpoint)
    pattern = re.compile(rf"{re.escape(checkpoint.stem)}\.[0-9a-f]{{16}}\.onnx")
    return sorted(p for p in checkpoint.parent.glob(f"{glob.escape(checkpoint.stem)}.*.onnx") if pattern.fullmatch(p.name))


def export_graph(net: InferenceNet, path: str | Path) -> Path:
    """Write ``net`` as one self-contained ONNX file at ``path`` (atomically); returns the path.

    Uses the ``torch.export``-based exporter with batch, height and width declared dynamic (the
    sides as multiples of ``net.size_multiple``). Takes seconds to a minute, once per model.
    """
    try:
        import onnxscript  # noqa: F401  (what torch.onnx's exporter translates with)
    except ImportError:
        raise ExportUnavailable("exporting an ONNX graph needs the exporter: pip install 'colorbot[export]' (onnx, onnxscript)") from None
    from torch.export import Dim

    net = net.eval().cpu()
    multiple = net.size_multiple
    example = torch.rand(2, 1, 2 * multiple, 3 * multiple)  # batch 2 and unequal sides: nothing gets specialised
    most = max(2, MAX_SIDE // multiple)
    dynamic = {"gray": {0: Dim("batch", min=1, max=4096), 2: multiple * Dim("rows", min=1, max=most),
                        3: multiple * Dim("columns", min=1, max=most)}}
    with warnings.catch_warnings(), _quiet_exporter_logs(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")  # the exporter's deprecation and tracing chatter, not the user's business
        program = torch.onnx.export(net, (example,), dynamo=True, dynamic_shapes=dynamic, input_names=[INPUT_NAME],
                                    output_names=[OUTPUT_NAME], optimize=True, verbose=False, report=False)
    proto = program.model_proto
    proto.doc_string = f"colorbot colorizer graph {graph_digest(net)} (format {EXPORT_FORMAT}), exported {time.strftime('%Y-%m-%d')}"
    with atomic_output(path, durable=True) as handle:
        handle.write(proto.SerializeToString())
    return Path(path)
