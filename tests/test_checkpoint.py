"""Checkpoints: round trip with metadata, fp16 shipping, and clear errors for bad files."""

import pytest
import torch

from colorizer.checkpoint import FORMAT, CheckpointError, load_checkpoint, read_checkpoint, save_checkpoint
from tests.conftest import vivid_colorizer


def test_round_trip_keeps_weights_and_metadata(tmp_path):
    model = vivid_colorizer("resnet18")
    path = save_checkpoint(tmp_path / "m.pt", model, {"training_data": "unit test", "metrics": {"psnr": 21.5}})
    loaded, meta = load_checkpoint(path)
    for (name, a), b in zip(model.state_dict().items(), loaded.state_dict().values()):
        assert torch.equal(a, b), name
    assert meta["training_data"] == "unit test" and meta["metrics"] == {"psnr": 21.5}
    assert meta["color_space"] == "yuv-bt601" and meta["render_size"] == 256 and "colorbot_version" in meta
    assert not loaded.training
    x = torch.rand(1, 1, 64, 64)
    with torch.no_grad():
        assert torch.equal(model(x), loaded(x))
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"], "no temp files left behind"


def test_half_precision_checkpoint_is_smaller_and_loads_as_float32(tmp_path):
    model = vivid_colorizer("resnet18")
    full = save_checkpoint(tmp_path / "full.pt", model)
    half = save_checkpoint(tmp_path / "half.pt", model, half=True)
    assert half.stat().st_size < 0.6 * full.stat().st_size
    loaded, _ = load_checkpoint(half)
    assert all(p.dtype == torch.float32 for p in loaded.parameters())
    x = torch.rand(1, 1, 64, 64)
    with torch.no_grad():
        assert (model(x) - loaded(x)).abs().max() < 1e-2


def test_five_stage_options_survive_the_round_trip(tmp_path):
    from colorizer.model import build_colorizer

    path = save_checkpoint(tmp_path / "v5.pt", build_colorizer("vgg16", stages=5))
    loaded, _ = load_checkpoint(path)
    assert loaded.size_multiple == 16


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "not a readable PyTorch checkpoint"),
        (b"this is not a checkpoint", "not a readable PyTorch checkpoint"),
    ],
)
def test_corrupt_files_are_clear_errors(tmp_path, content, reason):
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=reason) as info:
        load_checkpoint(path)
    assert str(path) in str(info.value)


def test_truncated_checkpoint_is_a_clear_error(tmp_path):
    path = save_checkpoint(tmp_path / "m.pt", vivid_colorizer("resnet18"))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="not a readable PyTorch checkpoint"):
        load_checkpoint(path)


def test_foreign_torch_file_is_not_a_colorbot_checkpoint(tmp_path):
    path = tmp_path / "plain.pt"
    torch.save({"weight": torch.zeros(3)}, path)
    with pytest.raises(CheckpointError, match="not a colorbot checkpoint"):
        read_checkpoint(path)


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "nope.pt")


def test_weights_of_another_backbone_are_refused(tmp_path):
    path = save_checkpoint(tmp_path / "m.pt", vivid_colorizer("resnet18"))
    payload = torch.load(path, weights_only=True)
    payload["model_config"]["backbone"] = "resnet34"
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="do not fit a residual colorizer on 'resnet34'"):
        load_checkpoint(path)


def test_newer_format_is_refused(tmp_path):
    path = tmp_path / "future.pt"
    torch.save({"format": FORMAT, "format_version": 99, "model_config": {}, "state_dict": {}, "meta": {}}, path)
    with pytest.raises(CheckpointError, match="newer"):
        read_checkpoint(path)
