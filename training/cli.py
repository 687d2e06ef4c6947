"""``colorbot train``, ``colorbot eval`` and ``colorbot export``: option parsing only; the work is in ``training``.

Training owns its command line; ``bot/cli.py`` only mounts these. Multi-GPU:
``torchrun --nproc_per_node 8 -m training train --data imagenet/train ...`` (the same options;
``python -m training`` exposes them without the rest of the bot).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from collections.abc import Callable
from typing import Annotated, Optional

import typer

#: Set by the `colorbot` command (bot/cli.py): promotes a finished run's checkpoint into the bot's
#: model store. Training itself knows nothing of the bot, its database or its store.
_promote_hook: Callable[[Path], int] | None = None


def set_promote_hook(hook: Callable[[Path], int]) -> None:
    """Let ``train --promote`` hand its final checkpoint to ``hook`` (returns an exit code)."""
    global _promote_hook
    _promote_hook = hook


def _logging() -> None:
    from rich.logging import RichHandler

    rank = int(os.environ.get("RANK", "0"))  # under torchrun only rank 0 logs progress
    logging.basicConfig(level=logging.INFO if rank == 0 else logging.WARNING, format="%(message)s", handlers=[RichHandler(show_path=False)], force=True)


def train_command(
    data: Annotated[str, typer.Option(help="Training images: a folder tree (e.g. ImageNet train/<wnid>/*.JPEG) or a text file list.")],
    out: Annotated[Path, typer.Option(help="Run folder: checkpoints, resume state, metrics, val-imgs/, curve.png.")] = Path("runs/train"),
    val_data: Annotated[Optional[str], typer.Option(help="Validation photos (default: a fixed sample of the training set).")] = None,
    backbone: Annotated[str, typer.Option(help="Backbone name (colorizer.backbones).")] = "efficientnet_lite0",
    arch: Annotated[str, typer.Option(help="Decoder design (colorizer.decoders): residual (the residual encoder), hypercolumn or hypercolumn-linear (the seed's first designs).")] = "residual",
    weights: Annotated[str, typer.Option(help="Backbone init: 'imagenet', 'none' or a state-dict path.")] = "imagenet",
    init_from: Annotated[Optional[Path], typer.Option(help="Start from this colorbot checkpoint (fine-tune; --backbone must match).")] = None,
    size: Annotated[int, typer.Option(help="Training crop size (px).")] = 224,
    batch_size: Annotated[int, typer.Option(help="Batch size per process.")] = 32,
    steps: Annotated[Optional[int], typer.Option(help="Total optimizer steps (default: epochs × steps per epoch).")] = None,
    epochs: Annotated[int, typer.Option(help="Epochs, when --steps is not given.")] = 10,
    max_minutes: Annotated[Optional[float], typer.Option(help="Stop and save after this much wall time.")] = None,
    optimizer: Annotated[str, typer.Option(help="sgd (the seed's: lr 0.1, no weight decay) or adamw.")] = "sgd",
    lr: Annotated[Optional[float], typer.Option(help="Learning rate (default: sgd 0.1, adamw 1e-3).")] = None,
    backbone_lr: Annotated[Optional[float], typer.Option(help="Backbone learning rate (default: lr / 10).")] = None,
    freeze_backbone: Annotated[bool, typer.Option(help="Keep the pretrained backbone frozen.")] = False,
    weight_decay: Annotated[Optional[float], typer.Option(help="Weight decay (default: sgd 0, adamw 0.01).")] = None,
    warmup_steps: Annotated[Optional[int], typer.Option(help="Linear warmup steps (default 2% of the steps, ≤ 1000).")] = None,
    schedule: Annotated[str, typer.Option(help="cosine or constant after warmup.")] = "cosine",
    clip_grad: Annotated[float, typer.Option(help="Gradient-norm clip (0: off).")] = 1.0,
    loss: Annotated[str, typer.Option(help="seed (Dahl's blur loss), seed+classification (adds Zhang et al.'s rebalanced UV-bin loss on an auxiliary head) or seed+gan (adds a PatchGAN term).")] = "seed",
    class_weight: Annotated[float, typer.Option(help="Weight of the classification term.")] = 0.1,
    gan_weight: Annotated[float, typer.Option(help="Weight of the PatchGAN term.")] = 0.05,
    disc_lr: Annotated[float, typer.Option(help="Discriminator learning rate (Adam).")] = 2e-4,
    precision: Annotated[str, typer.Option(help="auto (bf16 on GPU, fp32 on CPU), bf16, fp16 or fp32.")] = "auto",
    compile: Annotated[bool, typer.Option(help="torch.compile the model.")] = False,
    workers: Annotated[Optional[int], typer.Option(help="DataLoader workers (default: one per core, ≤ 8).")] = None,
    threads: Annotated[Optional[int], typer.Option(help="torch CPU threads.")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    seed: Annotated[int, typer.Option(help="Random seed (data order, crops, init).")] = 0,
    min_colorfulness: Annotated[float, typer.Option(help="Skip images less colorful than this (Hasler–Süsstrunk CF).")] = 5.0,
    aging: Annotated[bool, typer.Option(help="Show the net aged-print grays (grain, fade, blur, dust, scratches, halftone, JPEG and more: docs/training/aging.md); the colour target stays clean.")] = True,
    log_every: Annotated[int, typer.Option(help="Log metrics every N steps.")] = 10,
    val_every: Annotated[int, typer.Option(help="Validation grid + metrics every N steps (0: only at the end).")] = 500,
    checkpoint_every: Annotated[int, typer.Option(help="Checkpoint every N steps.")] = 500,
    render_size: Annotated[int, typer.Option(help="render_size stored in the checkpoint for colorize.")] = 256,
    resume: Annotated[bool, typer.Option(help="Continue the run in --out exactly where it stopped.")] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    promote: Annotated[bool, typer.Option("--promote", help="At the end of a finished run, promote final.pt into the bot's model store (`colorbot model promote`).")] = False,
) -> None:
    """Train a colorizer (one CPU process, or many GPUs under torchrun)."""
    from training.trainer import TrainConfig, train

    if promote and _promote_hook is None:
        raise typer.BadParameter("--promote needs the bot's model store: run it as `colorbot train --promote`", param_hint="--promote")
    _logging()
    config = TrainConfig(
        data=data, out_dir=str(out), val_data=val_data, backbone=backbone, arch=arch, weights=None if weights.lower() == "none" else weights,
        init_from=str(init_from) if init_from else None,
        size=size, batch_size=batch_size, steps=steps, epochs=epochs, max_minutes=max_minutes, optimizer=optimizer, lr=lr,
        backbone_lr=backbone_lr, freeze_backbone=freeze_backbone, weight_decay=weight_decay, warmup_steps=warmup_steps,
        schedule=schedule, clip_grad=clip_grad or None, loss=loss, class_weight=class_weight, gan_weight=gan_weight, disc_lr=disc_lr, precision=precision, compile=compile,
        workers=workers, threads=threads, device=device, seed=seed, min_colorfulness=min_colorfulness, aging=aging, log_every=log_every,
        val_every=val_every, checkpoint_every=checkpoint_every, render_size=render_size, resume=resume, progress=progress,
    )
    try:
        result = train(config)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if result["status"] == "interrupted":
        typer.echo(f"interrupted at step {result['step']}; continue with --resume")
        raise typer.Exit(130)
    if promote and result["status"] != "finished":
        typer.echo(f"not promoted: the run stopped ({result['status']}) at step {result['step']}; --resume it to the end first")
    elif promote and int(os.environ.get("RANK", "0")) == 0:
        assert _promote_hook is not None
        code = _promote_hook(out / "final.pt")
        if code:
            raise typer.Exit(code)


def eval_command(
    model: Annotated[Path, typer.Option(help="Checkpoint to evaluate.")],
    data: Annotated[str, typer.Option(help="Folder (or file list) of color photos.")],
    out: Annotated[Path, typer.Option(help="Where eval.json, eval.md and contact-sheet.png go.")] = Path("runs/eval"),
    render_size: Annotated[Optional[int], typer.Option(help="Net input size (default: the checkpoint's).")] = None,
    max_side: Annotated[int, typer.Option(help="Photos are scored with the long side capped at this.")] = 512,
    train_data: Annotated[Optional[str], typer.Option(help="Training photos for the mean-chroma baseline (default: the checkpoint's stored mean).")] = None,
    fid: Annotated[bool, typer.Option(help="Compute FID when Inception-v3 weights are on disk.")] = True,
    inception_weights: Annotated[Optional[str], typer.Option(help="Path of torchvision's inception_v3_google-*.pth.")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    engine: Annotated[str, typer.Option(help="What runs the net: auto (ONNX Runtime on the CPU, PyTorch on a GPU), torch or onnx.")] = "auto",
    aged: Annotated[Optional[int], typer.Option("--aged", metavar="SEED", help="Photos: age every gray like an old print, drawn from this seed (docs/training/aging.md), and score against the clean colour.")] = None,
    limit: Annotated[Optional[int], typer.Option(help="Score only the first N photos.")] = None,
    saturation: Annotated[Optional[list[float]], typer.Option(help="Also score the model at this chroma strength; repeat for a sweep (the PSNR / colourfulness trade-off).")] = None,
    flip_average: Annotated[Optional[bool], typer.Option("--flip-average/--no-flip-average", help="Average each prediction with its mirror image's (default: the checkpoint's setting).")] = None,
    max_frames: Annotated[int, typer.Option(min=2, help="Videos: score the first N frames of each clip.")] = 150,
    keyframe_interval: Annotated[int, typer.Option(min=1, help="Videos: the temporal mode runs the net on every k-th frame of a shot.")] = 1,
) -> None:
    """Score a checkpoint (PSNR, SSIM, colorfulness, UV L2, FID) against gray and mean-chroma baselines.

    When --data holds videos, each colour clip is scored frame by frame and with temporal
    consistency: PSNR, colourfulness, warping error (E_warp) and CDC (video_eval.md).
    """
    from training.video_eval import evaluate_videos, list_videos

    _logging()
    if list_videos(data):
        try:
            report = evaluate_videos(model, data, out, render_size=render_size, device=device, max_frames=max_frames, limit=limit,
                                     keyframe_interval=keyframe_interval, engine=engine)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
        typer.echo((out / "video_eval.md").read_text())
        typer.echo(json.dumps({m: {k: round(v, 4) for k, v in s.items()} for m, s in report["summary"].items()}))
        return
    from training.evaluate import evaluate

    report = evaluate(model, data, out, render_size=render_size, max_side=max_side, train_data=train_data, fid=fid,
                      inception_weights=inception_weights, device=device, limit=limit,
                      saturations=saturation or (), flip_average=flip_average, engine=engine, aged_seed=aged)
    typer.echo((out / "eval.md").read_text())
    typer.echo(json.dumps({m: {k: round(v, 4) for k, v in s.items()} for m, s in report["summary"].items()}))


def export_command(
    model: Annotated[Path, typer.Argument(help="A training run's checkpoint, e.g. runs/NAME/final.pt.")],
    out: Annotated[Optional[Path], typer.Option(help="Where the shippable fp16 checkpoint goes (needs --label).")] = None,
    label: Annotated[Optional[str], typer.Option(help="What this model is, stored in its metadata (e.g. 'default', 'vgg16-seed-reference').")] = None,
    saturation: Annotated[float, typer.Option(help="Default chroma strength stored for colorize (the model card's chosen point).")] = 1.0,
    eval_report: Annotated[Optional[Path], typer.Option("--eval", help="eval.json from `colorbot eval` whose numbers go into the metadata.")] = None,
    training_data: Annotated[Optional[str], typer.Option(help="Description of the training data (default: the run's own).")] = None,
    flip_average: Annotated[bool, typer.Option("--flip-average", help="Colorize will average each prediction with its mirror image's.")] = False,
    with_: Annotated[Optional[list[Path]], typer.Option("--with", help="Another run's checkpoint to ship alongside MODEL as an ensemble (their chroma is averaged); repeatable.")] = None,
    onnx: Annotated[bool, typer.Option("--onnx", help="Also write the ONNX graph that CPU inference runs, next to the checkpoint (--out's, else MODEL's).")] = False,
) -> None:
    """Package a trained checkpoint for shipping (fp16 weights, the training lineage, eval numbers) and/or write its ONNX graph."""
    from colorizer.checkpoint import CheckpointError
    from colorizer.onnx_graph import ExportUnavailable, export_beside
    from training.export import export_model

    if out is None and not onnx:
        raise typer.BadParameter("give --out and --label to package MODEL, --onnx to write its ONNX graph, or both")
    if out is not None:
        if not label:
            raise typer.BadParameter("--out needs --label (what this model is)")
        try:
            meta = export_model(model, out, label=label, saturation=saturation, eval_report=eval_report, training_data=training_data,
                                flip_average=flip_average, members=tuple(with_ or ()))
        except (ValueError, CheckpointError) as exc:
            raise typer.BadParameter(str(exc)) from exc
        size_mb = out.stat().st_size / 1e6
        typer.echo(f"{out}: {size_mb:.1f} MB, {meta['steps']} steps, {meta['images_seen']} images seen"
                   + (f", {meta['train_minutes']} min" if "train_minutes" in meta else ""))
    if onnx:
        try:
            graph = export_beside(out or model)
        except (CheckpointError, ExportUnavailable) as exc:
            raise typer.BadParameter(str(exc)) from exc
        typer.echo(f"{graph}: {graph.stat().st_size / 1e6:.1f} MB ONNX graph for CPU inference")


app = typer.Typer(rich_markup_mode=None, add_completion=False, no_args_is_help=True, help="Train, evaluate and export colorizers.")
app.command("train")(train_command)
app.command("eval")(eval_command)
app.command("export")(export_command)
