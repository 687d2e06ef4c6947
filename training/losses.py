"""Training losses. All take the net's sigmoid output (B, 2, H, W) and the target UV (B, 2, H, W).

* ``seed``: the seed's loss (Dahl 2016): mean of the per-pixel UV Euclidean distance of the
  plain maps and of the maps after Gaussian blur with 3- and 5-pixel kernels.
* ``classification``: Zhang et al. (2016): the UV plane quantized into bins, the target
  soft-encoded over its nearest bins, cross-entropy rebalanced by the inverse smoothed bin prior,
  decoded by the annealed mean. It needs logits from :class:`ClassHead`. It fights the "sepia"
  averaging of regression losses, which pull every uncertain pixel toward the mean chroma.
* ``gan``: a PatchGAN term (Isola et al. 2017): :class:`PatchDiscriminator` judges local
  (Y, U, V) patches real or predicted; the colorizer is pushed toward chroma that looks real,
  which a desaturated average does not (non-saturating logistic losses).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from colorizer.color import U_MAX, V_MAX, unit_to_uv

EPS = 1e-6


def _gaussian_kernel(size: int, sigma: float | None = None) -> torch.Tensor:
    if sigma is None:  # OpenCV / torchvision default for a kernel size
        sigma = 0.3 * ((size - 1) * 0.5 - 1) + 0.8
    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    k = torch.exp(-(x**2) / (2 * sigma**2))
    k = k / k.sum()
    return (k[:, None] * k[None, :]).float()


def gaussian_blur(x: torch.Tensor, size: int) -> torch.Tensor:
    """Depthwise Gaussian blur with reflect padding (shape kept)."""
    channels = x.shape[1]
    kernel = _gaussian_kernel(size).to(device=x.device, dtype=x.dtype).expand(channels, 1, size, size)
    pad = size // 2
    return F.conv2d(F.pad(x, (pad, pad, pad, pad), mode="reflect"), kernel, groups=channels)


def uv_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean per-pixel Euclidean UV distance, smoothed at 0 (exactly 0 for a == b, finite gradient)."""
    squared = (a - b).float().pow(2).sum(1)
    return (torch.sqrt(squared + EPS**2) - EPS).mean()


class SeedLoss(nn.Module):
    """Dahl's blur loss: mean of the UV distance plain and after 3- and 5-pixel Gaussian blurs."""

    name = "seed"

    def __init__(self, blur_sizes: tuple[int, ...] = (3, 5)) -> None:
        super().__init__()
        self.blur_sizes = blur_sizes

    def forward(self, unit: torch.Tensor, target_uv: torch.Tensor) -> torch.Tensor:
        pred = unit_to_uv(unit.float())
        target = target_uv.float()
        terms = [uv_distance(pred, target)]
        terms += [uv_distance(gaussian_blur(pred, k), gaussian_blur(target, k)) for k in self.blur_sizes]
        return torch.stack(terms).mean()


# ---------------------------------------------------------------- classification (Zhang et al.)


def uv_bin_centers(step: float = 0.06) -> torch.Tensor:
    """Centers (Q, 2) of a regular UV grid covering the RGB gamut's chroma range."""
    us = torch.arange(-U_MAX + step / 2, U_MAX, step)
    vs = torch.arange(-V_MAX + step / 2, V_MAX, step)
    grid = torch.stack(torch.meshgrid(us, vs, indexing="ij"), -1).reshape(-1, 2)
    return grid.float()


class ClassificationLoss(nn.Module):
    """Rebalanced soft-encoded classification over UV bins (Zhang et al. 2016).

    ``forward(logits, target_uv)`` returns the class-weighted KL divergence between the soft-encoded
    target and the predicted distribution: the cross-entropy minus the target's entropy, so it is
    exactly 0 when the prediction equals the soft target. The bin prior is accumulated from the
    training targets (an exponential moving average) and smoothed; weights follow
    ``w ∝ 1 / ((1-λ) p̃ + λ/Q)`` normalised to ``E_p̃[w] = 1``.
    """

    name = "classification"

    def __init__(self, step: float = 0.06, neighbours: int = 5, sigma: float | None = None, rebalance: float = 0.5,
                 temperature: float = 0.38, prior_momentum: float = 0.99) -> None:
        super().__init__()
        self.register_buffer("centers", uv_bin_centers(step))
        self.neighbours = neighbours
        self.sigma = sigma if sigma is not None else step * 0.8
        self.rebalance = rebalance
        self.temperature = temperature
        self.prior_momentum = prior_momentum
        q = self.centers.shape[0]
        self.register_buffer("prior", torch.full((q,), 1.0 / q))

    @property
    def num_bins(self) -> int:
        return int(self.centers.shape[0])

    def soft_encode(self, target_uv: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Target (B, 2, H, W) → soft distribution (B, Q, H, W) over the nearest bins, and the hard bin."""
        b, _, h, w = target_uv.shape
        flat = target_uv.float().permute(0, 2, 3, 1).reshape(-1, 2)
        dist = torch.cdist(flat, self.centers)
        near_d, near_i = dist.topk(self.neighbours, dim=1, largest=False)
        weights = torch.softmax(-(near_d**2) / (2 * self.sigma**2), dim=1)
        soft = torch.zeros(flat.shape[0], self.num_bins, device=flat.device).scatter_(1, near_i, weights)
        return soft.view(b, h, w, -1).permute(0, 3, 1, 2), near_i[:, 0].view(b, h, w)

    def class_weights(self) -> torch.Tensor:
        smoothed = self.prior / self.prior.sum()
        w = 1.0 / ((1 - self.rebalance) * smoothed + self.rebalance / self.num_bins)
        return w / (smoothed * w).sum()

    @torch.no_grad()
    def update_prior(self, hard_bins: torch.Tensor) -> None:
        counts = torch.bincount(hard_bins.flatten(), minlength=self.num_bins).float()
        self.prior.mul_(self.prior_momentum).add_((1 - self.prior_momentum) * counts / counts.sum())

    def forward(self, logits: torch.Tensor, target_uv: torch.Tensor) -> torch.Tensor:
        logits = logits.float()
        if logits.shape[-2:] != target_uv.shape[-2:]:
            logits = F.interpolate(logits, size=target_uv.shape[-2:], mode="bilinear", align_corners=False)
        soft, hard = self.soft_encode(target_uv)
        if self.training:
            self.update_prior(hard)
        log_p = torch.log_softmax(logits, dim=1)
        kl = (soft * (torch.log(soft.clamp_min(1e-12)) - log_p)).sum(1)
        return (kl * self.class_weights()[hard]).mean()

    def annealed_mean(self, logits: torch.Tensor, temperature: float | None = None) -> torch.Tensor:
        """Decode logits (B, Q, H, W) to UV (B, 2, H, W): the mean of the distribution sharpened by T."""
        t = self.temperature if temperature is None else temperature
        p = torch.softmax(logits.float() / t, dim=1)
        return torch.einsum("bqhw,qc->bchw", p, self.centers)


class ClassHead(nn.Module):
    """Logits over UV bins from the colorizer's decoder features (an auxiliary training head).

    Runs the colorizer's own backbone and decoder up to the shallowest tap (before its 3-channel
    fuse), then 3×3 conv → ReLU → 1×1 conv to ``num_bins`` logits at that tap's resolution.
    Also returns the colorizer's regular sigmoid output, so one forward feeds both losses.
    """

    def __init__(self, num_bins: int, in_channels: int, width: int = 64) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, width, 3, padding=1)
        self.out = nn.Conv2d(width, num_bins, 1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.out(F.relu(self.conv(features)))


def colorizer_forward_with_features(model: nn.Module, gray: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The colorizer's forward (``colorizer.model.ResidualColorizer``), also returning the decoder
    feature after adding the shallowest tap (channels = ``model.backbone.channels[0]``)."""
    from colorizer.decoders.base import upsample_to

    gray3 = gray.expand(-1, 3, -1, -1)
    taps = model.backbone(gray3)
    x = F.relu(model.reduce(model.tap_norms[-1](taps[-1])))
    feature = x
    for level in range(len(taps) - 2, -1, -1):
        x = upsample_to(x, taps[level]) + model.tap_norms[level](taps[level])
        if level == 0:
            feature = x
        x = F.relu(model.fuse[level](x))
    x = upsample_to(x, gray3) + model.input_norm(gray3)
    x = F.relu(model.refine(x))
    return torch.sigmoid(model.head(x)), feature


class PatchDiscriminator(nn.Module):
    """70×70-style PatchGAN on (Y, U, V) scaled to about [-1, 1]: 4×4 convs, stride 2 then 1,
    LeakyReLU, spectral norm; one real/fake logit per patch."""

    def __init__(self, width: int = 64, layers: int = 3) -> None:
        super().__init__()
        sn = nn.utils.parametrizations.spectral_norm
        blocks: list[nn.Module] = []
        channels = 3
        for i in range(layers):
            out = width * 2 ** min(i, 3)
            blocks += [sn(nn.Conv2d(channels, out, 4, stride=2, padding=1)), nn.LeakyReLU(0.2, inplace=True)]
            channels = out
        blocks += [sn(nn.Conv2d(channels, channels, 4, stride=1, padding=1)), nn.LeakyReLU(0.2, inplace=True)]
        blocks += [nn.Conv2d(channels, 1, 4, stride=1, padding=1)]
        self.net = nn.Sequential(*blocks)

    @staticmethod
    def inputs(gray: torch.Tensor, unit: torch.Tensor) -> torch.Tensor:
        """Gray (B, 1, H, W) in [0, 1] and sigmoid chroma units (B, 2, H, W) → (B, 3, H, W) in [-1, 1]."""
        return torch.cat([gray, unit], 1).float() * 2 - 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def generator_adversarial_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating: −log D(fake). Falls as the discriminator takes the prediction for real."""
    return F.softplus(-fake_logits.float()).mean()


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """−log D(real) − log(1 − D(fake))."""
    return F.softplus(-real_logits.float()).mean() + F.softplus(fake_logits.float()).mean()


LOSSES = ("seed", "seed+classification", "seed+gan")
