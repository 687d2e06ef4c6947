"""FID with torchvision's Inception-v3 pool features, when its ImageNet weights are on disk.

torchvision downloads ``inception_v3_google-0cc3c7bd.pth`` into the torch hub cache on a user's
machine; offline, pass the file (``--inception-weights``). Nothing is downloaded here.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from training.metrics import feature_statistics, frechet_distance

WEIGHTS_NAME = "inception_v3_google-0cc3c7bd.pth"
FID_SIZE = 256


class FIDUnavailable(Exception):
    """No local Inception-v3 weights; the message says where they were looked for."""


def find_inception_weights(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise FIDUnavailable(f"FID skipped: Inception weights {path} not found")
        return path
    hub = Path(torch.hub.get_dir()) / "checkpoints"
    candidates = sorted(hub.glob("inception_v3_google-*.pth")) if hub.is_dir() else []
    if not candidates:
        raise FIDUnavailable(
            f"FID skipped: no Inception-v3 weights in {hub} (torchvision's {WEIGHTS_NAME}); "
            "download them once with torchvision.models.inception_v3(weights='DEFAULT') or pass --inception-weights FILE"
        )
    return candidates[0]


class InceptionFeatures:
    """2048-d pool features of uint8 RGB (B, 3, H, W) batches, resized to 256 px."""

    def __init__(self, weights: Path, device: torch.device) -> None:
        import torchvision

        net = torchvision.models.inception_v3(weights=None, aux_logits=True, transform_input=True, init_weights=False)
        net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        net.fc = torch.nn.Identity()
        self.net = net.eval().to(device)
        self.device = device
        self.mean = torch.tensor([0.485, 0.456, 0.406], device=device).view(1, 3, 1, 1)
        self.std = torch.tensor([0.229, 0.224, 0.225], device=device).view(1, 3, 1, 1)

    @torch.no_grad()
    def __call__(self, rgb_uint8: torch.Tensor) -> np.ndarray:
        x = rgb_uint8.to(self.device).float().div(255.0)
        x = F.interpolate(x, size=(FID_SIZE, FID_SIZE), mode="bilinear", align_corners=False, antialias=True)
        return self.net((x - self.mean) / self.std).double().cpu().numpy()


def fid_from_features(a: np.ndarray, b: np.ndarray) -> float:
    """FID of two feature sets (N, D), (M, D), exactly, without a D×D matrix square root.

    With centred features A, B: S1 = AᵀA/(N-1), S2 = BᵀB/(M-1), and the non-zero eigenvalues of
    S1·S2 are the squared singular values of A·Bᵀ / sqrt((N-1)(M-1)), so
    Tr sqrt(S1·S2) = ‖A·Bᵀ‖_* / sqrt((N-1)(M-1)). Equal to ``frechet_distance`` of the statistics.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if len(a) < 2 or len(b) < 2:
        return frechet_distance(*feature_statistics(a), *feature_statistics(b))
    mu_a, mu_b = a.mean(0), b.mean(0)
    ca, cb = a - mu_a, b - mu_b
    na, nb = len(a) - 1, len(b) - 1
    cross = np.linalg.svd(ca @ cb.T, compute_uv=False).sum() / np.sqrt(na * nb)
    value = ((mu_a - mu_b) ** 2).sum() + (ca**2).sum() / na + (cb**2).sum() / nb - 2 * cross
    return float(max(0.0, value))
