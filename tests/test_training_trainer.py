"""The trainer on a tiny generated dataset: learning, exact resume, signals, DDP, the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from colorizer.checkpoint import load_checkpoint
from training.resume import load_state, save_state
from training.synthetic import make_dataset
from training.trainer import TrainConfig, Trainer, train

REPO = Path(__file__).resolve().parents[1]


def tiny_config(data: Path, out: Path, **overrides) -> TrainConfig:
    options = dict(
        data=str(data), out_dir=str(out), weights=None, size=32, batch_size=2, steps=7, workers=0, seed=0, log_every=1,
        val_every=0, checkpoint_every=2, progress=False, tensorboard=False, val_limit=4, threads=1,
    )
    options.update(overrides)
    return TrainConfig(**options)


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    # 6 good images → 3 steps per epoch with batch 2: 7 steps cross two epoch boundaries.
    return make_dataset(tmp_path_factory.mktemp("data") / "train", n_color=6, size=(48, 40))


@pytest.fixture(scope="module")
def reference_run(tiny_data, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("ref")
    result = train(tiny_config(tiny_data, out))
    return {"result": result, "out": out, "state": load_state(out / "resume.pt")}


def _assert_same_state(a: dict, b: dict) -> None:
    assert a["step"] == b["step"] and a["epoch"] == b["epoch"] and a["position"] == b["position"]
    for key, value in a["module"].items():
        assert torch.equal(value, b["module"][key]), key
    opt_a, opt_b = a["optimizer"]["state"], b["optimizer"]["state"]
    assert opt_a.keys() == opt_b.keys()
    for index in opt_a:
        for name, value in opt_a[index].items():
            assert torch.equal(torch.as_tensor(value), torch.as_tensor(opt_b[index][name])), (index, name)
    assert a["scheduler"]["last_epoch"] == b["scheduler"]["last_epoch"]


def test_a_few_steps_reduce_the_loss(tmp_path):
    # Orange-tinted photos: the right chroma is learnable from luminance within a few steps.
    data = make_dataset(tmp_path / "tinted", n_color=6, size=(48, 40), tint=(1.0, 0.6, 0.2))
    config = tiny_config(data, tmp_path, steps=30, optimizer="adamw", lr=1e-2, val_every=30, val_data=str(data), checkpoint_every=0)
    trainer = Trainer(config)
    before = trainer.validate()["val_loss"]
    result = trainer.fit()
    assert result["status"] == "finished" and result["step"] == 30
    assert result["val"]["val_loss"] < 0.85 * before
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    train_losses = [r["loss"] for r in records if r["split"] == "train"]
    assert len(train_losses) == 30 and sum(train_losses[-5:]) < sum(train_losses[:5])
    assert all(r["images_per_s"] > 0 for r in records if r["split"] == "train")
    assert (tmp_path / "val-imgs" / "step-0000030.png").is_file()
    assert (tmp_path / "curve.png").is_file()
    model, meta = load_checkpoint(tmp_path / "final.pt")
    assert meta["steps"] == 30 and meta["training_data"] == str(data) and "psnr" in meta["metrics"]
    assert len(meta["mean_chroma"]) == 2


class _Killed(Exception):
    pass


def test_resume_after_kill_is_bit_exact(tiny_data, reference_run, tmp_path):
    def kill_at_5(trainer):
        if trainer.step == 5:
            raise _Killed  # like SIGKILL: nothing saved after the step-4 checkpoint

    with pytest.raises(_Killed):
        train(tiny_config(tiny_data, tmp_path), on_step=kill_at_5)
    assert load_state(tmp_path / "resume.pt")["step"] == 4  # at most checkpoint_every steps lost
    result = train(tiny_config(tiny_data, tmp_path, resume=True))
    assert result["step"] == 7
    _assert_same_state(reference_run["state"], load_state(tmp_path / "resume.pt"))


def test_sigterm_saves_and_resume_finishes_identically(tiny_data, reference_run, tmp_path):
    def term_at_3(trainer):
        if trainer.step == 3:
            os.kill(os.getpid(), signal.SIGTERM)

    result = train(tiny_config(tiny_data, tmp_path), on_step=term_at_3)
    assert result["status"] == "interrupted" and result["step"] == 3
    assert load_state(tmp_path / "resume.pt")["step"] == 3  # saved on the signal, nothing lost
    assert not (tmp_path / "final.pt").exists()
    state = load_state(tmp_path / "resume.pt")
    first_end = json.loads((tmp_path / "metrics.jsonl").read_text().splitlines()[-1])
    assert 0 < state["train_seconds"] == pytest.approx(first_end["train_seconds"], abs=0.5)
    state["train_seconds"] = 1000.0  # as if the first piece had run for a quarter of an hour
    save_state(tmp_path / "resume.pt", state)
    train(tiny_config(tiny_data, tmp_path, resume=True))
    _assert_same_state(reference_run["state"], load_state(tmp_path / "resume.pt"))
    second_end = json.loads((tmp_path / "metrics.jsonl").read_text().splitlines()[-1])
    _, meta = load_checkpoint(tmp_path / "final.pt")
    assert second_end["train_seconds"] == pytest.approx(1000.0 + second_end["seconds"], abs=0.11), \
        "the run's time counts both pieces, not only the last"
    assert 1000.0 < meta["train_seconds"] <= second_end["train_seconds"] + 0.05  # the checkpoint: both pieces up to its save


def test_init_from_checkpoint(tiny_data, reference_run, tmp_path):
    trainer = Trainer(tiny_config(tiny_data, tmp_path, init_from=str(reference_run["out"] / "final.pt")))
    model, _ = load_checkpoint(reference_run["out"] / "final.pt")
    for key, value in model.state_dict().items():
        assert torch.equal(trainer.model.state_dict()[key], value), key
    with pytest.raises(ValueError, match="do not fit residual on vgg16"):
        Trainer(tiny_config(tiny_data, tmp_path, backbone="vgg16", init_from=str(reference_run["out"] / "final.pt")))
    with pytest.raises(ValueError, match="is a residual model on efficientnet_lite0: its weights do not fit hypercolumn"):
        Trainer(tiny_config(tiny_data, tmp_path, arch="hypercolumn", init_from=str(reference_run["out"] / "final.pt")))
    from colorizer.checkpoint import save_checkpoint
    from colorizer.ensemble import ChromaEnsemble

    pair = save_checkpoint(tmp_path / "pair.pt", ChromaEnsemble([model, model]))
    with pytest.raises(ValueError, match="is an ensemble of 2 nets: fine-tune from one member"):
        Trainer(tiny_config(tiny_data, tmp_path, init_from=str(pair)))


def test_skipped_images_are_counted(tmp_path):
    data = make_dataset(tmp_path / "d", n_color=4, n_gray=1, n_corrupt=1)
    result = train(tiny_config(data, tmp_path / "out", steps=3, batch_size=3, checkpoint_every=0, size=64))
    # 6 files, batch 3 → 2 batches an epoch; 3 steps see each file once or twice.
    assert result["skipped"]["corrupt"] >= 1 and result["skipped"]["gray"] >= 1
    end = [json.loads(line) for line in (tmp_path / "out" / "metrics.jsonl").read_text().splitlines()][-1]
    assert end["split"] == "end" and end["skipped_gray"] == result["skipped"]["gray"]


def test_classification_loss_and_frozen_backbone_train(tiny_data, tmp_path):
    config = tiny_config(tiny_data, tmp_path, steps=3, loss="seed+classification", freeze_backbone=True, optimizer="adamw", checkpoint_every=0)
    trainer = Trainer(config)
    before = {k: v.clone() for k, v in trainer.model.backbone.state_dict().items()}
    result = trainer.fit()
    assert result["status"] == "finished"
    for key, value in trainer.model.backbone.state_dict().items():
        assert torch.equal(value, before[key]), key  # weights and BN statistics untouched
    assert not torch.equal(trainer.class_loss.prior, torch.full_like(trainer.class_loss.prior, 1 / trainer.class_loss.num_bins))


def test_gan_training_resumes_exactly(tiny_data, tmp_path):
    config = dict(loss="seed+gan", steps=4, checkpoint_every=2, gan_weight=0.5)
    reference = Trainer(tiny_config(tiny_data, tmp_path / "ref", **config))
    reference.fit()
    assert reference.disc is not None

    def kill_at_3(trainer):
        if trainer.step == 3:
            raise _Killed

    with pytest.raises(_Killed):
        train(tiny_config(tiny_data, tmp_path / "run", **config), on_step=kill_at_3)
    train(tiny_config(tiny_data, tmp_path / "run", resume=True, **config))
    a, b = load_state(tmp_path / "ref" / "resume.pt"), load_state(tmp_path / "run" / "resume.pt")
    _assert_same_state(a, b)
    for key, value in a["disc"].items():
        assert torch.equal(value, b["disc"][key]), key


def test_ddp_two_cpu_processes_only_rank0_writes(tiny_data, tmp_path):
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m", "training", "train",
           "--data", str(tiny_data), "--out", str(out), "--weights", "none", "--size", "64", "--batch-size", "1", "--steps", "4",
           "--workers", "0", "--log-every", "1", "--val-every", "2", "--checkpoint-every", "2", "--no-progress", "--threads", "1"]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    train_steps = [r["step"] for r in records if r["split"] == "train"]
    assert train_steps == [1, 2, 3, 4]  # one writer: no duplicated lines
    assert sum(r["split"] == "end" for r in records) == 1
    state = load_state(out / "resume.pt")
    assert state["world_size"] == 2 and state["step"] == 4
    assert state["images_seen"] == 8  # batch 1 per rank × 2 ranks × 4 steps
    _, meta = load_checkpoint(out / "final.pt")
    assert meta["batch_size"] == 2
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []  # no stray temp files
    assert sorted(p.name for p in (out / "val-imgs").iterdir()) == ["step-0000002.png", "step-0000004.png"]


def test_cli_train_then_eval(tiny_data, tmp_path):
    from typer.testing import CliRunner

    from training.__main__ import app

    runner = CliRunner()
    out = tmp_path / "run"
    result = runner.invoke(app, ["train", "--data", str(tiny_data), "--out", str(out), "--weights", "none", "--size", "32",
                                 "--batch-size", "2", "--steps", "2", "--workers", "0", "--no-progress", "--val-every", "0"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["eval", "--model", str(out / "final.pt"), "--data", str(tiny_data), "--out", str(tmp_path / "eval"), "--no-fid"])
    assert result.exit_code == 0, result.output
    assert "| model |" in result.output and (tmp_path / "eval" / "eval.json").is_file()
