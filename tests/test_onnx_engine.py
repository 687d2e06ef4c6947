"""CPU inference on ONNX Runtime: the same colours as PyTorch, the right graph, and no dead ends.

The shipped model runs from the graph shipped beside it; other models export theirs once (into
the run's cache, ``tests/conftest.py``). Every comparison is between two real engines.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data

from colorizer.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint, save_checkpoint
from colorizer.ensemble import ChromaEnsemble
from colorizer.inference import Colorizer
from colorizer.inference_net import InferenceNet
from colorizer.model import build_colorizer
from colorizer.onnx_graph import cached_graph, export_beside, graph_beside, graph_digest, graphs_beside
from colorizer.onnx_runner import GraphError, OnnxRunner
from colorizer.video.decode import decode_frames
from colorizer.video.formats import output_layout
from colorizer.video.frames import FrameColorizer
from colorizer.video.probe import probe_video
from colorizer.video.temporal import TemporalFilter
from tests.conftest import vivid_colorizer
from tests.video_clips import pan, photo, write_clip

CHROMA_TOLERANCE = 1e-4  # sigmoid units, the bound


def _photos() -> dict[str, Image.Image]:
    """Real photos at the shapes the colorizer makes: landscape, portrait, square, tiny, odd sides."""
    astronaut = Image.fromarray(data.astronaut()).convert("L")
    coffee = Image.fromarray(data.coffee()).convert("L")
    return {"landscape": coffee.resize((601, 400)), "portrait": astronaut.resize((300, 451)), "square": astronaut,
            "tiny": coffee.resize((37, 23)), "panorama": coffee.resize((1200, 150))}


@pytest.fixture(scope="module")
def shipped() -> dict[str, Colorizer]:
    return {engine: Colorizer.from_checkpoint(device="cpu", engine=engine) for engine in ("torch", "onnx")}


def test_the_shipped_model_runs_its_shipped_graph_by_default(shipped: dict[str, Colorizer]) -> None:
    default = Colorizer.from_checkpoint(device="cpu")
    assert default.engine == "onnx"
    assert Path(default.runner.path) == graph_beside(DEFAULT_CHECKPOINT, graph_digest(default.net))
    assert shipped["torch"].engine == "torch"


def test_both_engines_give_the_same_colours_on_photos(shipped: dict[str, Colorizer]) -> None:
    torch_engine, onnx_engine = shipped["torch"], shipped["onnx"]
    photos = _photos()
    prepared = [torch_engine.prepare(p) for p in photos.values()]
    assert len({tuple(t.shape) for t, _ in prepared}) >= 4  # several render shapes, batched by shape
    by_torch, by_onnx = torch_engine.predict(prepared), onnx_engine.predict(prepared)
    for name, a, b in zip(photos, by_torch, by_onnx):
        assert a.shape == b.shape
        assert float((a - b).abs().max()) <= CHROMA_TOLERANCE, name
        assert float(a.std()) > 0.005, f"{name}: the comparison needs real colour, not a flat answer"
    for name, luma in photos.items():
        rgb_torch = np.asarray(torch_engine.colorize(luma), dtype=np.int16)
        rgb_onnx = np.asarray(onnx_engine.colorize(luma), dtype=np.int16)
        assert np.abs(rgb_torch - rgb_onnx).max() <= 1, name


def test_both_engines_give_the_same_colours_on_a_clip(tmp_path: Path, shipped: dict[str, Colorizer]) -> None:
    clip = write_clip(tmp_path / "pan.mp4", pan(photo("chelsea", 300), (320, 240), 8), audio=False)
    source = probe_video(clip)
    layout = output_layout(source.layout, source.width, source.height, odd_subsampling=True)
    frames = list(decode_frames(source))
    planes = {}
    for engine, colorizer in shipped.items():
        out = FrameColorizer(colorizer, source, layout, TemporalFilter()).colorize(frames)
        planes[engine] = [np.stack([f.to_ndarray(format="yuv444p")[i].astype(np.int16) for i in (1, 2)]) for f in out]
    assert len(planes["onnx"]) == len(frames) == 8
    for a, b in zip(planes["torch"], planes["onnx"]):
        assert np.abs(a - b).max() <= 1
    assert max(float(np.abs(p - 128).mean()) for p in planes["onnx"]) > 1.0, "the clip got colour"


@pytest.mark.parametrize("build", [
    pytest.param(lambda: vivid_colorizer("resnet18", seed=5), id="resnet18-residual"),
    pytest.param(lambda: vivid_colorizer("vgg16", seed=5, arch="hypercolumn", stages=3), id="vgg16-hypercolumn"),
    pytest.param(lambda: vivid_colorizer("efficientnet_lite0", seed=7, arch="residual-fusion"), id="lite0-fusion"),
    pytest.param(lambda: ChromaEnsemble([vivid_colorizer("resnet18", seed=6, arch="residual-guided"),
                                         vivid_colorizer("efficientnet_lite0", seed=6, arch="residual", stages=3)]).eval(), id="ensemble"),
])
def test_any_model_exports_a_graph_that_serves_every_shape(tmp_path: Path, build) -> None:
    """Dynamic batch, height and width: one graph, every render shape, flip averaging folded in."""
    net = InferenceNet(build(), flip_average=True)
    runner = Colorizer(net.model, device="cpu", engine="onnx", flip_average=True, render_size=96).runner
    assert isinstance(runner, OnnxRunner) and runner.path == cached_graph(graph_digest(net))
    m = net.size_multiple
    for shape in [(1, 1, m, m), (3, 1, 3 * m, m), (2, 1, 2 * m, 5 * m)]:
        gray = torch.rand(shape, generator=torch.Generator().manual_seed(sum(shape)))
        with torch.inference_mode():
            expected = net(gray)
        got = runner(gray)
        assert got.shape == expected.shape
        assert float((got - expected).abs().max()) <= 1e-4, shape


def test_a_graph_is_named_by_weights_design_and_flip(tmp_path: Path) -> None:
    model = vivid_colorizer("resnet18", seed=1)
    same = vivid_colorizer("resnet18", seed=1)
    other = vivid_colorizer("resnet18", seed=2)
    assert graph_digest(InferenceNet(model, True)) == graph_digest(InferenceNet(same, True))
    assert graph_digest(InferenceNet(model, True)) != graph_digest(InferenceNet(other, True))
    assert graph_digest(InferenceNet(model, True)) != graph_digest(InferenceNet(model, False))


def test_export_cli_writes_the_graph_beside_the_checkpoint_and_drops_stale_ones(tmp_path: Path, capsys) -> None:
    from bot.cli import app

    checkpoint = save_checkpoint(tmp_path / "final.pt", vivid_colorizer("resnet18", seed=3), {"render_size": 64})
    stale = tmp_path / "final.0123456789abcdef.onnx"
    stale.write_bytes(b"an older export of an older final.pt")
    neighbour = tmp_path / "final-b.0123456789abcdef.onnx"  # another checkpoint's graph stays
    neighbour.write_bytes(b"x")
    with pytest.raises(SystemExit) as done:
        app(["export", str(checkpoint), "--onnx"])
    assert done.value.code in (0, None)
    (graph,) = graphs_beside(checkpoint)
    model, _ = load_checkpoint(checkpoint)
    assert graph == graph_beside(checkpoint, graph_digest(InferenceNet(model, False)))
    assert not stale.exists() and neighbour.exists()
    assert str(graph) in capsys.readouterr().out
    colorizer = Colorizer.from_checkpoint(checkpoint, device="cpu")
    assert colorizer.engine == "onnx" and colorizer.runner.path == graph


def test_a_corrupt_graph_is_exported_again_in_place(tmp_path: Path, caplog) -> None:
    checkpoint = save_checkpoint(tmp_path / "m.pt", vivid_colorizer("resnet18", seed=3), {"render_size": 64})
    graph = export_beside(checkpoint)
    graph.write_bytes(graph.read_bytes()[: graph.stat().st_size // 3])  # truncated, as by a full disk
    with caplog.at_level(logging.WARNING, logger="colorizer"):
        colorizer = Colorizer.from_checkpoint(checkpoint, device="cpu")
    assert colorizer.engine == "onnx" and colorizer.runner.path == graph
    assert OnnxRunner(graph)  # whole again
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "cannot load" in warnings[0].getMessage()


def test_another_models_graph_under_this_name_is_caught_and_replaced(tmp_path: Path) -> None:
    """A graph that loads but computes other colours (copied over, a digest collision) fails the self-check."""
    checkpoint = save_checkpoint(tmp_path / "m.pt", vivid_colorizer("resnet18", seed=3), {"render_size": 64})
    foreign = export_beside(save_checkpoint(tmp_path / "other.pt", vivid_colorizer("resnet18", seed=4), {"render_size": 64}))
    model, _ = load_checkpoint(checkpoint)
    net = InferenceNet(model, False)
    target = graph_beside(checkpoint, graph_digest(net))
    target.write_bytes(foreign.read_bytes())
    with pytest.raises(GraphError, match="differ"):
        OnnxRunner(target).check_against(net, net.size_multiple)
    colorizer = Colorizer.from_checkpoint(checkpoint, device="cpu")
    assert colorizer.engine == "onnx"
    colorizer.runner.check_against(net, net.size_multiple)


def test_without_the_exporter_or_a_graph_auto_falls_back_to_torch_with_one_warning(tmp_path: Path, monkeypatch, caplog) -> None:
    monkeypatch.setitem(sys.modules, "onnxscript", None)  # as on a machine with only the wheel's dependencies
    checkpoint = save_checkpoint(tmp_path / "m.pt", vivid_colorizer("resnet18", seed=8), {"render_size": 64})
    with caplog.at_level(logging.WARNING, logger="colorizer"):
        colorizer = Colorizer.from_checkpoint(checkpoint, device="cpu")
    assert colorizer.engine == "torch"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "colorbot[export]" in warnings[0] and "PyTorch" in warnings[0]
    (uv,) = colorizer.predict([colorizer.prepare(Image.new("L", (80, 60), 128))])
    assert uv.shape == (2, 48, 64)
    with pytest.raises(ValueError, match="--engine onnx"):
        Colorizer.from_checkpoint(checkpoint, device="cpu", engine="onnx")


def test_a_model_the_exporter_cannot_take_is_colorized_with_torch(tmp_path: Path, monkeypatch, caplog) -> None:
    import colorizer.engines as engines

    def broken_export(net, path):
        raise RuntimeError("Unsupported: an operator the exporter has no translation for\nmore detail")

    monkeypatch.setattr(engines, "export_graph", broken_export)
    checkpoint = save_checkpoint(tmp_path / "m.pt", vivid_colorizer("resnet18", seed=9), {"render_size": 64})
    with caplog.at_level(logging.WARNING, logger="colorizer"):
        colorizer = Colorizer.from_checkpoint(checkpoint, device="cpu")
    assert colorizer.engine == "torch"
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "exporting the model's ONNX graph failed (RuntimeError: Unsupported" in warning and "more detail" not in warning


def test_the_shipped_graph_needs_no_exporter(monkeypatch) -> None:
    """A user with only the wheel (no onnxscript) and the shipped model runs ONNX Runtime."""
    monkeypatch.setitem(sys.modules, "onnxscript", None)
    assert Colorizer.from_checkpoint(device="cpu").engine == "onnx"


def test_a_graph_that_cannot_be_rewritten_in_place_is_exported_into_the_cache(tmp_path: Path) -> None:
    """Where a broken graph cannot be replaced (a read-only install; here a folder in its way), the cache takes it."""
    checkpoint = save_checkpoint(tmp_path / "m.pt", vivid_colorizer("resnet18", seed=3), {"render_size": 64})
    model, _ = load_checkpoint(checkpoint)
    digest = graph_digest(InferenceNet(model, False))
    graph_beside(checkpoint, digest).mkdir()
    colorizer = Colorizer.from_checkpoint(checkpoint, device="cpu")
    assert colorizer.engine == "onnx" and colorizer.runner.path == cached_graph(digest)


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown engine"):
        Colorizer(vivid_colorizer(), device="cpu", engine="tensorrt")
