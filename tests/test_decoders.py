"""The decoder registry: the seed's hypercolumn designs beside the residual encoder, trained, saved and used."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from bot.cli import app
from colorizer.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from colorizer.decoders import list_decoders
from colorizer.model import build_colorizer
from training.synthetic import make_dataset

REPO = Path(__file__).resolve().parents[1]


def test_registry_lists_the_five_designs():
    assert list_decoders() == ["hypercolumn", "hypercolumn-linear", "residual", "residual-fusion", "residual-guided"]
    with pytest.raises(ValueError, match="unknown arch 'unet'"):
        build_colorizer("resnet18", arch="unet")


def test_hypercolumn_on_vgg16_is_the_seeds_963_channels_and_its_layers():
    model = build_colorizer("vgg16", arch="hypercolumn")
    assert model.column_norm.num_features == 64 + 128 + 256 + 512 + 3 == 963
    convs = [m for m in model.hidden if isinstance(m, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size) for c in convs] == [(963, 128, (3, 3)), (128, 64, (3, 3))]
    assert (model.head.in_channels, model.head.out_channels, model.head.kernel_size) == (64, 2, (3, 3))
    linear = build_colorizer("vgg16", arch="hypercolumn-linear")
    assert len(linear.hidden) == 0 and (linear.head.in_channels, linear.head.kernel_size) == (963, (1, 1))


@pytest.mark.parametrize("arch", ["hypercolumn", "hypercolumn-linear"])
def test_untrained_hypercolumns_predict_gray_and_gradients_reach_every_decoder_layer(arch):
    model = build_colorizer("resnet18", arch=arch)
    gray = torch.rand(2, 1, 64, 48)
    out = model.eval()(gray)
    assert out.shape == (2, 2, 64, 48) and torch.allclose(out, torch.full_like(out, 0.5))
    model.train()
    torch.nn.init.normal_(model.head.weight, std=0.1)
    model(gray).square().mean().backward()
    decoder = [(n, p) for n, p in model.named_parameters() if not n.startswith("backbone")]
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for n, p in decoder if "bias" not in n or "head" in n)


def test_checkpoints_record_the_arch_and_refuse_weights_of_another(tmp_path):
    model = build_colorizer("resnet18", arch="hypercolumn")
    path = save_checkpoint(tmp_path / "h.pt", model)
    loaded, _ = load_checkpoint(path)
    assert loaded.config["arch"] == "hypercolumn" and type(loaded).__name__ == "HypercolumnColorizer"
    payload = torch.load(path, weights_only=True)
    payload["model_config"]["arch"] = "residual"
    torch.save(payload, tmp_path / "lying.pt")
    with pytest.raises(CheckpointError, match="do not fit a residual colorizer"):
        load_checkpoint(tmp_path / "lying.pt")


def test_old_checkpoints_without_an_arch_load_as_residual(tmp_path):
    path = save_checkpoint(tmp_path / "old.pt", build_colorizer("resnet18"))
    payload = torch.load(path, weights_only=True)
    del payload["model_config"]["arch"]
    torch.save(payload, path)
    assert type(load_checkpoint(path)[0]).__name__ == "ResidualColorizer"


@pytest.mark.parametrize("arch", ["hypercolumn", "hypercolumn-linear"])
def test_train_a_few_steps_then_colorize_and_eval_with_the_checkpoint(arch, tmp_path):
    data = make_dataset(tmp_path / "photos", n_color=6, size=(48, 40), tint=(1.0, 0.6, 0.2))
    run = tmp_path / "run"
    runner = CliRunner()
    trained = runner.invoke(app, ["train", "--data", str(data), "--out", str(run), "--arch", arch, "--backbone", "resnet18",
                                  "--weights", "none", "--size", "32", "--batch-size", "2", "--steps", "6", "--workers", "0",
                                  "--optimizer", "adamw", "--lr", "0.01", "--val-every", "0", "--no-progress", "--render-size", "64"])
    assert trained.exit_code == 0, trained.output
    model, meta = load_checkpoint(run / "final.pt")
    assert model.config["arch"] == arch and meta["steps"] == 6
    Image.fromarray((np.random.default_rng(0).random((40, 56)) * 255).astype(np.uint8)).save(tmp_path / "gray.png")
    colorized = runner.invoke(app, ["colorize", str(tmp_path / "gray.png"), "-o", str(tmp_path / "out"), "--model", str(run / "final.pt")])
    assert colorized.exit_code == 0, colorized.output
    with Image.open(tmp_path / "out" / "gray.png") as out:
        assert out.size == (56, 40) and out.mode == "RGB"
        assert np.asarray(out.convert("HSV"))[..., 1].mean() > 1, "the trained head adds some colour"
    evaluated = runner.invoke(app, ["eval", "--model", str(run / "final.pt"), "--data", str(data), "--out", str(tmp_path / "eval"), "--no-fid"])
    assert evaluated.exit_code == 0, evaluated.output


def test_a_guided_model_loads_into_fusion_and_predicts_the_same_until_the_scene_layers_learn():
    torch.manual_seed(3)
    parent = build_colorizer("resnet18", arch="residual-guided").eval()
    torch.nn.init.normal_(parent.head.weight, std=1.0)
    fused = build_colorizer("resnet18", arch="residual-fusion").eval()
    fused.load_parent_state(parent.state_dict())
    gray = torch.rand(2, 1, 64, 96)
    assert torch.equal(fused(gray), parent(gray)), "zero-initialised scene layers change nothing"
    torch.nn.init.normal_(fused.global_to_local.weight, std=1.0)
    # The scene vector is pooled over the whole photo: what lies in the right half now changes the
    # colour predicted in the left corner, and by the same shift for both photos of a batch.
    other = gray.clone()
    other[:, :, :, 48:] = 1 - other[:, :, :, 48:]
    assert not torch.allclose(fused(gray)[:, :, :8, :8], fused(other)[:, :, :8, :8], atol=1e-4)
    with pytest.raises(RuntimeError, match="do not fit"):
        parent.load_parent_state(fused.state_dict())  # the scene layers are not the parent's
    with pytest.raises(RuntimeError, match="do not fit"):
        fused.load_parent_state({k: v for k, v in parent.state_dict().items() if not k.startswith("head.")})


def test_fine_tuning_a_guided_checkpoint_into_fusion_trains_the_scene_layers(tmp_path):
    data = make_dataset(tmp_path / "photos", n_color=6, size=(48, 40), tint=(1.0, 0.6, 0.2))
    parent = build_colorizer("resnet18", arch="residual-guided")
    save_checkpoint(tmp_path / "parent.pt", parent)
    run = tmp_path / "run"
    trained = CliRunner().invoke(app, ["train", "--data", str(data), "--out", str(run), "--arch", "residual-fusion",
                                       "--backbone", "resnet18", "--init-from", str(tmp_path / "parent.pt"), "--size", "32",
                                       "--batch-size", "2", "--steps", "4", "--workers", "0", "--optimizer", "adamw",
                                       "--lr", "0.01", "--val-every", "0", "--no-progress", "--render-size", "64", "--no-aging"])
    assert trained.exit_code == 0, trained.output
    model, meta = load_checkpoint(run / "final.pt")
    assert model.config["arch"] == "residual-fusion" and meta["init_from"] == str(tmp_path / "parent.pt")
    assert float(model.global_to_local.weight.detach().abs().sum()) > 0, "the scene layers moved off zero"


def test_classification_loss_is_refused_for_a_hypercolumn_model(tmp_path):
    from training.trainer import TrainConfig

    with pytest.raises(ValueError, match="residual decoder"):
        TrainConfig(data=str(tmp_path), arch="hypercolumn", loss="seed+classification").resolved()


def test_training_imports_nothing_of_the_bot():
    offenders = []
    for path in sorted((REPO / "training").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.relative_to(REPO)}: {n}" for n in names if n == "bot" or n.startswith("bot.")]
    assert offenders == []
