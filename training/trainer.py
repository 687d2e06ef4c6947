"""The training loop behind ``colorbot train``: one CPU process up to many GPUs under torchrun.

Outputs (rank 0 only) in ``out_dir``: ``last.pt`` (model checkpoint, every ``checkpoint_every``
steps), ``resume.pt`` (full training state for ``--resume``), ``final.pt`` at the end,
``metrics.jsonl`` (+ TensorBoard when installed), ``val-imgs/step-NNNNNNN.png`` grids
(gray | auto | truth) and ``curve.png``. Ctrl-C / SIGTERM finish the current step, save, exit.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from colorizer.checkpoint import DEFAULT_RENDER_SIZE, save_checkpoint
from colorizer.color import unit_to_uv
from colorizer.decoders import list_decoders
from colorizer.model import ColorizerNet, build_colorizer
from training import distributed as dist_utils
from training.aging import AgingSettings
from training.data import DEFAULT_MIN_COLORFULNESS, ColorDataset, ResumableSampler, center_square, list_images, make_loader, open_rgb, to_uint8_tensor, worker_count
from training.losses import (
    LOSSES,
    ClassHead,
    ClassificationLoss,
    PatchDiscriminator,
    SeedLoss,
    colorizer_forward_with_features,
    discriminator_loss,
    generator_adversarial_loss,
)
from training.metrics import colorfulness, psnr
from training.predict import autocast_for, hwc, split_yuv, to_uint8_rgb
from training.reporting import MetricsLog, plot_curve
from training.resume import load_state, rng_state, save_state, set_rng_state

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    data: str
    out_dir: str = "runs/train"
    val_data: str | None = None
    backbone: str = "efficientnet_lite0"
    arch: str = "residual"  # decoder design: colorizer.decoders (residual | hypercolumn | hypercolumn-linear)
    weights: str | None = "imagenet"
    init_from: str | None = None  # start from this colorbot checkpoint's weights (fine-tuning)
    backbone_options: dict[str, Any] = field(default_factory=dict)
    size: int = 224
    batch_size: int = 32
    steps: int | None = None  # total optimizer steps; default: epochs × steps per epoch
    epochs: int = 10
    max_minutes: float | None = None  # stop (and save) after this much wall time
    optimizer: str = "sgd"  # sgd | adamw
    lr: float | None = None  # sgd: 0.1 (the seed's), adamw: 1e-3
    backbone_lr: float | None = None  # default: lr / 10 (ignored when frozen)
    freeze_backbone: bool = False
    momentum: float = 0.9
    weight_decay: float | None = None  # sgd: 0 (the seed's), adamw: 0.01
    warmup_steps: int | None = None  # default: 2 % of the steps (at most 1000)
    schedule: str = "cosine"  # cosine | constant
    clip_grad: float | None = 1.0
    loss: str = "seed"  # seed | seed+classification | seed+gan
    class_weight: float = 0.1
    gan_weight: float = 0.05
    disc_lr: float = 2e-4
    precision: str = "auto"  # auto (bf16 on GPU, fp32 on CPU) | bf16 | fp16 | fp32
    channels_last: bool | None = None  # default: on GPU
    compile: bool = False
    workers: int | None = None
    device: str = "auto"
    seed: int = 0
    min_colorfulness: float = DEFAULT_MIN_COLORFULNESS
    crop_scale: tuple[float, float] = (0.2, 1.0)
    aging: bool = True  # the net sees aged-print grays (training.aging); the colour target stays clean
    log_every: int = 10
    val_every: int = 500
    checkpoint_every: int = 500
    val_images: int = 8  # rows of the validation grid
    val_limit: int = 64  # images scored at each validation
    render_size: int = DEFAULT_RENDER_SIZE
    resume: bool = False
    progress: bool = True
    tensorboard: bool = True
    threads: int | None = None

    def resolved(self) -> TrainConfig:
        c = dataclasses.replace(self)
        if c.optimizer not in ("sgd", "adamw"):
            raise ValueError(f"optimizer must be sgd or adamw, got {c.optimizer!r}")
        if c.loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {c.loss!r}")
        if c.arch not in list_decoders():
            raise ValueError(f"arch must be one of {', '.join(list_decoders())}, got {c.arch!r}")
        if c.loss == "seed+classification" and c.arch != "residual":
            raise ValueError("--loss seed+classification taps the residual decoder; use it with --arch residual")
        if c.precision not in ("auto", "bf16", "fp16", "fp32"):
            raise ValueError(f"precision must be auto, bf16, fp16 or fp32, got {c.precision!r}")
        if c.lr is None:
            c.lr = 0.1 if c.optimizer == "sgd" else 1e-3
        if c.backbone_lr is None:
            c.backbone_lr = c.lr / 10
        if c.weight_decay is None:
            c.weight_decay = 0.0 if c.optimizer == "sgd" else 0.01
        return c


class TrainModule(nn.Module):
    """The colorizer plus the optional classification head: what DDP / compile wrap."""

    def __init__(self, model: ColorizerNet, class_bins: int | None = None) -> None:
        super().__init__()
        self.model = model
        self.class_head = ClassHead(class_bins, model.backbone.channels[0]) if class_bins else None

    def forward(self, gray: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        if self.class_head is None:
            return self.model(gray), None
        unit, feature = colorizer_forward_with_features(self.model, gray)
        return unit, self.class_head(feature)


def lr_multiplier(step: int, total: int, warmup: int, schedule: str) -> float:
    """Linear warmup over ``warmup`` steps, then cosine decay to 0 at ``total`` (or constant)."""
    if warmup > 0 and step < warmup:
        return (step + 1) / warmup
    if schedule == "constant":
        return 1.0
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return 0.5 * (1.0 + math.cos(math.pi * progress))


class _StopFlag:
    """SIGINT / SIGTERM set a flag; the loop stops at the next step boundary (a second Ctrl-C
    raises KeyboardInterrupt as usual)."""

    def __init__(self) -> None:
        self.requested = False
        self.signal_name = ""
        self._previous: dict[int, Any] = {}

    def _handle(self, signum, frame) -> None:  # noqa: ARG002
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True
        self.signal_name = signal.Signals(signum).name

    def __enter__(self) -> _StopFlag:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._previous[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread
                pass
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


class Trainer:
    def __init__(self, config: TrainConfig, on_step: Callable[[Trainer], None] | None = None) -> None:
        self.config = c = config.resolved()
        self.on_step = on_step  # test hook, called after every optimizer step
        self.dist, self.device = dist_utils.init_distributed(c.device)
        self.is_main = self.dist.is_main
        if c.threads:
            torch.set_num_threads(c.threads)
        self.precision = c.precision if c.precision != "auto" else ("bf16" if self.device.type == "cuda" else "fp32")
        if self.device.type != "cuda":
            self.precision = "fp32"
        self.channels_last = c.channels_last if c.channels_last is not None else self.device.type == "cuda"
        self.out = Path(c.out_dir)
        torch.manual_seed(c.seed)

        # Data
        self.train_paths = list_images(c.data)
        if not self.train_paths:
            raise ValueError(f"{c.data}: no images found")
        self.dataset = ColorDataset(self.train_paths, c.size, train=True, seed=c.seed, min_colorfulness=c.min_colorfulness, scale=c.crop_scale,
                                    aging=AgingSettings() if c.aging else None)
        self.sampler = ResumableSampler(self.dataset, num_replicas=self.dist.world_size, rank=self.dist.rank, shuffle=True, seed=c.seed)
        self.workers = worker_count(c.workers)
        self.loader = make_loader(self.dataset, c.batch_size, self.sampler, self.workers, pin_memory=self.device.type == "cuda")
        self.steps_per_epoch = len(self.sampler) // c.batch_size
        if self.steps_per_epoch == 0:
            raise ValueError(f"{len(self.train_paths)} images (per rank {len(self.sampler)}) are fewer than one batch of {c.batch_size}")
        self.total_steps = c.steps if c.steps is not None else c.epochs * self.steps_per_epoch
        self.warmup = c.warmup_steps if c.warmup_steps is not None else min(1000, self.total_steps // 50)

        # Model, losses, optimizer, schedule
        if c.init_from:
            from colorizer.checkpoint import load_checkpoint

            source, _ = load_checkpoint(c.init_from)
            if not isinstance(source, ColorizerNet):
                raise ValueError(f"--init-from {c.init_from} is an ensemble of {len(source.members)} nets: "
                                 "fine-tune from one member's own run checkpoint (its lineage names them)")
            from training.export import lineage

            # Read now: the file may be overwritten later (a new default replacing its parent).
            self.parent_lineage = lineage(c.init_from)
            model = build_colorizer(c.backbone, weights=None, arch=c.arch, **c.backbone_options)
            try:  # another decoder design with the same layers (residual → residual-guided → residual-fusion) loads too
                model.load_parent_state(source.state_dict())
            except RuntimeError:
                raise ValueError(f"--init-from {c.init_from} is a {source.config.get('arch', 'residual')} model on "
                                 f"{source.config.get('backbone')}: its weights do not fit {c.arch} on {c.backbone}") from None
        else:
            self.parent_lineage = []
            model = build_colorizer(c.backbone, weights=c.weights, arch=c.arch, **c.backbone_options)
        self.class_loss = ClassificationLoss().to(self.device) if c.loss == "seed+classification" else None
        self.module = TrainModule(model, self.class_loss.num_bins if self.class_loss else None).to(self.device)
        if self.channels_last:
            self.module = self.module.to(memory_format=torch.channels_last)
        if c.freeze_backbone:
            model.backbone.requires_grad_(False)
        self.seed_loss = SeedLoss()
        self.optimizer = self._make_optimizer(model)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda s: lr_multiplier(s, self.total_steps, self.warmup, c.schedule)
        )
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.precision == "fp16")
        self.runner: nn.Module = self.module
        ids = [self.device.index] if self.device.type == "cuda" else None
        if self.dist.enabled:
            self.runner = nn.parallel.DistributedDataParallel(self.module, device_ids=ids)
        if c.compile:
            self.runner = torch.compile(self.runner)
        self.disc: PatchDiscriminator | None = None
        if c.loss == "seed+gan":
            self.disc = PatchDiscriminator().to(self.device)
            self.disc_optimizer = torch.optim.Adam(self.disc.parameters(), lr=c.disc_lr, betas=(0.5, 0.999))
            self.disc_runner: nn.Module = nn.parallel.DistributedDataParallel(self.disc, device_ids=ids) if self.dist.enabled else self.disc

        # State
        self.step = 0
        self.epoch = 0
        self.position = 0  # batches of this epoch already consumed
        self.skipped = {"corrupt": 0, "gray": 0}
        self.chroma_sum = torch.zeros(2, dtype=torch.float64)
        self.chroma_count = 0
        self.last_val: dict[str, float] = {}
        self.images_seen = 0
        self.seconds_before = 0.0  # training wall time of earlier pieces of a resumed run
        self.fit_started: float | None = None
        if c.resume:
            self._load_resume()
        self._val_batch: torch.Tensor | None = None

    @property
    def model(self) -> ColorizerNet:
        return self.module.model

    def _make_optimizer(self, model: ColorizerNet) -> torch.optim.Optimizer:
        c = self.config
        backbone_ids = {id(p) for p in model.backbone.parameters()}
        rest = [p for p in self.module.parameters() if id(p) not in backbone_ids and p.requires_grad]
        groups = [{"params": rest, "lr": c.lr, "name": "decoder"}]
        if not c.freeze_backbone:
            groups.append({"params": [p for p in model.backbone.parameters()], "lr": c.backbone_lr, "name": "backbone"})
        if c.optimizer == "sgd":
            return torch.optim.SGD(groups, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay)
        return torch.optim.AdamW(groups, lr=c.lr, weight_decay=c.weight_decay)

    # ------------------------------------------------------------------ state

    def state(self) -> dict[str, Any]:
        return {
            "module": {k: v.detach().cpu() for k, v in self.module.state_dict().items()},
            "class_prior": self.class_loss.prior.cpu() if self.class_loss else None,
            "optimizer": self.optimizer.state_dict(),
            "disc": {k: v.detach().cpu() for k, v in self.disc.state_dict().items()} if self.disc else None,
            "disc_optimizer": self.disc_optimizer.state_dict() if self.disc else None,
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "step": self.step,
            "epoch": self.epoch,
            "position": self.position,
            "skipped": dict(self.skipped),
            "chroma_sum": self.chroma_sum.clone(),
            "chroma_count": self.chroma_count,
            "images_seen": self.images_seen,
            "train_seconds": self.train_seconds(),
            "last_val": dict(self.last_val),
            "rng": rng_state(),
            "config": json.loads(json.dumps(dataclasses.asdict(self.config), default=str)),
            "world_size": self.dist.world_size,
        }

    def _load_resume(self) -> None:
        path = self.out / "resume.pt"
        if not path.is_file():
            if self.is_main:
                log.warning("--resume: %s not found; starting a new run", path)
            return
        state = load_state(path)
        saved = state["config"]
        for key in ("backbone", "arch", "size", "batch_size", "seed", "loss", "aging"):
            if saved.get(key) != getattr(self.config, key):
                log.warning("--resume: %s was %r, now %r: the run will not continue exactly", key, saved.get(key), getattr(self.config, key))
        if state.get("world_size") != self.dist.world_size:
            log.warning("--resume: world size was %s, now %s: data order changes", state.get("world_size"), self.dist.world_size)
        self.module.load_state_dict(state["module"])
        if self.class_loss is not None and state.get("class_prior") is not None:
            self.class_loss.prior.copy_(state["class_prior"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.disc is not None and state.get("disc") is not None:
            self.disc.load_state_dict(state["disc"])
            self.disc_optimizer.load_state_dict(state["disc_optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        self.step, self.epoch, self.position = state["step"], state["epoch"], state["position"]
        self.skipped = dict(state["skipped"])
        self.chroma_sum = state["chroma_sum"].clone()
        self.chroma_count = state["chroma_count"]
        self.images_seen = state["images_seen"]
        self.seconds_before = float(state.get("train_seconds", 0.0))  # 0 for states written before it was kept
        self.last_val = dict(state["last_val"])
        set_rng_state(state["rng"])
        if self.is_main:
            log.info("resumed from %s at step %d (epoch %d, batch %d)", path, self.step, self.epoch, self.position)

    def mean_chroma(self) -> list[float]:
        if self.chroma_count == 0:
            return [0.0, 0.0]
        return (self.chroma_sum / self.chroma_count).tolist()

    def meta(self, final: bool) -> dict[str, Any]:
        c = self.config
        return {
            "render_size": c.render_size,
            "training_data": str(c.data),
            "training_images": len(self.train_paths),
            "steps": self.step,
            "epochs": round(self.step / self.steps_per_epoch, 3),
            "images_seen": self.images_seen,
            "train_seconds": round(self.train_seconds(), 1),
            "loss": c.loss,
            "optimizer": c.optimizer,
            "lr": c.lr,
            "batch_size": c.batch_size * self.dist.world_size,
            "crop_size": c.size,
            "aging": c.aging,
            "backbone_weights": c.weights,
            "init_from": c.init_from,
            "parent_lineage": self.parent_lineage,
            "freeze_backbone": c.freeze_backbone,
            "mean_chroma": self.mean_chroma(),
            "skipped": dict(self.skipped),
            "metrics": dict(self.last_val),
            "final": final,
        }

    def train_seconds(self) -> float:
        """Wall seconds spent reaching this step, over every piece of a resumed run (work lost to
        a kill after the last save is not counted: it was redone)."""
        running = time.monotonic() - self.fit_started if self.fit_started is not None else 0.0
        return self.seconds_before + running

    def save(self, final: bool = False) -> None:
        """Rank 0: the model checkpoint (``last.pt``, plus ``final.pt`` at the end) and ``resume.pt``."""
        if not self.is_main:
            return
        save_checkpoint(self.out / "last.pt", self.model, self.meta(final))
        save_state(self.out / "resume.pt", self.state())
        if final:
            save_checkpoint(self.out / "final.pt", self.model, self.meta(final))

    # ------------------------------------------------------------------ validation

    def _val_set(self) -> torch.Tensor:
        if self._val_batch is None:
            c = self.config
            source = list_images(c.val_data) if c.val_data else self.train_paths
            picks = source if len(source) <= c.val_limit else [source[i] for i in np.linspace(0, len(source) - 1, c.val_limit).round().astype(int)]
            size = max(self.model.size_multiple, c.size // self.model.size_multiple * self.model.size_multiple)
            tensors = []
            for path in picks:
                try:
                    rgb, _ = open_rgb(path, min_side=size)
                except Exception:  # noqa: BLE001
                    continue
                tensors.append(to_uint8_tensor(center_square(rgb, size)))
            self._val_batch = torch.stack(tensors) if tensors else torch.empty(0, 3, size, size, dtype=torch.uint8)
        return self._val_batch

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        """Rank 0: val loss, PSNR, colorfulness (vs gray) on the fixed set; saves the grid."""
        batch = self._val_set()
        if len(batch) == 0:
            return {}
        self.model.eval()
        preds, losses = [], []
        for chunk in batch.split(16):
            gray, uv = split_yuv(chunk.to(self.device))
            with autocast_for(self.device, self.precision):
                unit = self.model(gray.contiguous(memory_format=torch.channels_last) if self.channels_last else gray)
            unit = unit.float()
            losses.append(float(self.seed_loss(unit, uv)) * len(chunk))
            preds.append(to_uint8_rgb(gray, unit_to_uv(unit)).cpu())
        self.model.train()
        if self.config.freeze_backbone:
            self.model.backbone.eval()
        pred = torch.cat(preds)
        gray_y, gray_uv = split_yuv(batch)
        gray_rgb = to_uint8_rgb(gray_y, torch.zeros_like(gray_uv))
        p_pred = [psnr(hwc(p), hwc(t)) for p, t in zip(pred, batch)]
        p_gray = [psnr(hwc(p), hwc(t)) for p, t in zip(gray_rgb, batch)]
        result = {
            "val_loss": sum(losses) / len(batch),
            "psnr": float(np.mean([min(v, 100.0) for v in p_pred])),
            "psnr_gray": float(np.mean([min(v, 100.0) for v in p_gray])),
            "cf_pred": float(np.mean([colorfulness(hwc(p)) for p in pred])),
            "cf_true": float(np.mean([colorfulness(hwc(t)) for t in batch])),
        }
        self._save_grid(gray_rgb, pred, batch)
        return result

    def _save_grid(self, gray: torch.Tensor, pred: torch.Tensor, truth: torch.Tensor) -> None:
        from PIL import Image

        from colorizer.panel import compose_grid

        rows = []
        for g, p, t in list(zip(gray, pred, truth))[: self.config.val_images]:
            rows.append([("gray", Image.fromarray(hwc(g))), ("auto", Image.fromarray(hwc(p))), ("truth", Image.fromarray(hwc(t)))])
        out = self.out / "val-imgs" / f"step-{self.step:07d}.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        compose_grid(rows, cell_height=min(256, max(64, self.config.size))).save(out)

    # ------------------------------------------------------------------ training

    def train_step(self, rgb: torch.Tensor, aged: torch.Tensor | None = None) -> float:
        """One step on uint8 RGB crops; ``aged`` (B, 1, S, S) uint8, when given, is the gray the net sees."""
        rgb = rgb.to(self.device, non_blocking=True)
        gray, target = split_yuv(rgb)
        if aged is not None:
            gray = aged.to(self.device, non_blocking=True).float().div_(255.0)
        if self.channels_last:
            gray = gray.contiguous(memory_format=torch.channels_last)
        with autocast_for(self.device, self.precision):
            unit, logits = self.runner(gray)
        loss = self.seed_loss(unit, target)
        if logits is not None:
            loss = loss + self.config.class_weight * self.class_loss(logits, target)
        if self.disc is not None:
            self.disc.requires_grad_(False)  # the generator's term: no discriminator gradients
            with autocast_for(self.device, self.precision):
                fake_logits = self.disc(PatchDiscriminator.inputs(gray, unit))
            loss = loss + self.config.gan_weight * generator_adversarial_loss(fake_logits)
            self.disc.requires_grad_(True)
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if self.config.clip_grad:
            self.scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(self.module.parameters(), self.config.clip_grad)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.scheduler.step()
        if self.disc is not None:
            self._discriminator_step(gray, unit.detach(), target)
        with torch.no_grad():
            self.chroma_sum += target.double().sum((0, 2, 3)).cpu()
            self.chroma_count += target.shape[0] * target.shape[2] * target.shape[3]
        return loss.detach()

    def _discriminator_step(self, gray: torch.Tensor, unit: torch.Tensor, target: torch.Tensor) -> None:
        from colorizer.color import uv_to_unit

        real = PatchDiscriminator.inputs(gray, uv_to_unit(target).clamp(0, 1))
        fake = PatchDiscriminator.inputs(gray, unit)
        with autocast_for(self.device, self.precision):
            logits = self.disc_runner(torch.cat([real, fake]))  # one forward: DDP-friendly
        real_logits, fake_logits = logits.chunk(2)
        d_loss = discriminator_loss(real_logits, fake_logits)
        self.disc_optimizer.zero_grad(set_to_none=True)
        d_loss.backward()
        self.disc_optimizer.step()

    def fit(self) -> dict[str, Any]:
        c = self.config
        metrics = MetricsLog(self.out, c.tensorboard) if self.is_main else None
        if self.is_main:
            self.out.mkdir(parents=True, exist_ok=True)
            (self.out / "config.json").write_text(json.dumps(dataclasses.asdict(c), indent=2, default=str))
            log.info("training %s on %d images (%d per rank per epoch, %d steps/epoch), %d steps, %s, %s, workers %d",
                     c.backbone, len(self.train_paths), len(self.sampler), self.steps_per_epoch, self.total_steps, self.device, self.precision, self.workers)
        self.model.train()
        if c.freeze_backbone:
            self.model.backbone.eval()
        status = "finished"
        start = self.fit_started = time.monotonic()
        window_t, window_images, window_loss, window_n = time.monotonic(), 0, 0.0, 0
        progress = _Progress(self.total_steps, self.step, enabled=self.is_main and c.progress)
        with _StopFlag() as stop, progress:
            while self.step < self.total_steps and status == "finished":
                self.sampler.set_position(self.epoch, self.position * c.batch_size)
                for batch in self.loader:
                    self.position += 1
                    self._count_skips(batch)
                    n_good = len(batch["rgb"])
                    empty = torch.tensor([float(n_good == 0)])
                    if self.dist.enabled:  # a rank with nothing to learn from skips the step everywhere
                        dist_utils.all_reduce(empty, "max")
                    stepped = not bool(empty[0])
                    if stepped:
                        loss = self.train_step(batch["rgb"], batch.get("gray"))
                        self.step += 1
                        self.images_seen += n_good * self.dist.world_size
                        window_images += n_good * self.dist.world_size
                        window_loss = window_loss + loss  # a device tensor: no GPU sync per step
                        window_n += 1
                        if self.on_step is not None:
                            self.on_step(self)
                    if stepped and self.step % c.log_every == 0 and window_n:
                        elapsed = time.monotonic() - window_t
                        loss_avg = torch.tensor([float(window_loss) / window_n])
                        if self.dist.enabled:
                            dist_utils.all_reduce(loss_avg, "mean")
                        record = {"split": "train", "step": self.step, "epoch": self.epoch, "images_seen": self.images_seen, "loss": float(loss_avg),
                                  "lr": self.optimizer.param_groups[0]["lr"], "images_per_s": window_images / max(elapsed, 1e-9),
                                  "skipped_corrupt": self.skipped["corrupt"], "skipped_gray": self.skipped["gray"]}
                        if metrics:
                            metrics.write(record)
                        progress.update(self.step, record["loss"], record["images_per_s"])
                        window_t, window_images, window_loss, window_n = time.monotonic(), 0, 0.0, 0
                    finishing = self.step >= self.total_steps
                    if stepped and c.val_every and self.step % c.val_every == 0 and self.is_main and not finishing:
                        self.last_val = self.validate()
                        if metrics and self.last_val:
                            metrics.write({"split": "val", "step": self.step, **self.last_val})
                    timed_out = c.max_minutes is not None and (time.monotonic() - start) / 60 >= c.max_minutes
                    flags = torch.tensor([float(stop.requested), float(timed_out)])
                    if self.dist.enabled:  # every rank stops at the same step
                        dist_utils.all_reduce(flags, "max")
                    if flags[0] or flags[1] or finishing:
                        status = "interrupted" if flags[0] else ("time limit" if flags[1] and not finishing else "finished")
                        break
                    if stepped and c.checkpoint_every and self.step % c.checkpoint_every == 0:
                        self.save()
                        dist_utils.barrier()
                else:
                    self.epoch += 1
                    self.position = 0
        if self.is_main and c.val_every and status != "interrupted":
            self.last_val = self.validate()
            if metrics and self.last_val:
                metrics.write({"split": "val", "step": self.step, **self.last_val})
        self.save(final=status != "interrupted")
        dist_utils.barrier()
        if metrics:
            metrics.write({"split": "end", "step": self.step, "status": status, "skipped_corrupt": self.skipped["corrupt"],
                           "skipped_gray": self.skipped["gray"], "seconds": time.monotonic() - start,
                           "train_seconds": round(self.train_seconds(), 1)})
            metrics.close()
            plot_curve(metrics.path, self.out / "curve.png")
            log.info("%s at step %d; skipped %d undecodable and %d gray images; outputs in %s",
                     status, self.step, self.skipped["corrupt"], self.skipped["gray"], self.out)
        return {"status": status, "step": self.step, "epoch": self.epoch, "skipped": dict(self.skipped), "val": dict(self.last_val)}

    def _count_skips(self, batch: dict) -> None:
        counts = torch.tensor([batch["skipped_corrupt"], batch["skipped_gray"]], dtype=torch.long)
        if self.dist.enabled:
            dist_utils.all_reduce(counts, "sum")
        self.skipped["corrupt"] += int(counts[0])
        self.skipped["gray"] += int(counts[1])


class _Progress:
    """A rich progress bar with loss and images/s (plain log lines when disabled or not a TTY)."""

    def __init__(self, total: int, done: int, enabled: bool) -> None:
        self.enabled = enabled
        self.total, self.done = total, done
        self.progress = None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            self.progress = Progress(TextColumn("train"), BarColumn(), MofNCompleteColumn(), TextColumn("loss {task.fields[loss]:.4f}"),
                                     TextColumn("{task.fields[ips]:.1f} img/s"), TimeElapsedColumn(), TimeRemainingColumn())
            self.progress.__enter__()
            self.task = self.progress.add_task("train", total=self.total, completed=self.done, loss=float("nan"), ips=0.0)
        return self

    def update(self, step: int, loss: float, ips: float) -> None:
        if self.progress is not None:
            self.progress.update(self.task, completed=step, loss=loss, ips=ips)
        else:
            log.info("step %d/%d loss %.4f %.1f img/s", step, self.total, loss, ips)

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.__exit__(*exc)


def train(config: TrainConfig, on_step: Callable[[Trainer], None] | None = None) -> dict[str, Any]:
    """Build a :class:`Trainer` from ``config`` and run it; cleans up the process group."""
    try:
        return Trainer(config, on_step).fit()
    finally:
        dist_utils.cleanup()
