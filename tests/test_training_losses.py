"""Losses: zero for a perfect prediction, and a gradient that points toward the target."""

from __future__ import annotations

import torch

from colorizer.color import unit_to_uv, uv_to_unit
from training.losses import ClassHead, ClassificationLoss, SeedLoss, colorizer_forward_with_features, gaussian_blur


def _target(seed=0, shape=(2, 2, 12, 12)):
    g = torch.Generator().manual_seed(seed)
    return unit_to_uv(torch.rand(shape, generator=g) * 0.8 + 0.1)


def test_seed_loss_zero_at_perfect_prediction_and_gradient_sign():
    target = _target()
    loss = SeedLoss()
    assert float(loss(uv_to_unit(target), target)) < 1e-6
    unit = uv_to_unit(target) + 0.05
    unit.requires_grad_(True)
    value = loss(unit, target)
    assert float(value.detach()) > 0
    value.backward()
    assert (unit.grad > 0).float().mean() > 0.95  # too high everywhere: the gradient pushes down
    with torch.no_grad():
        assert float(loss(unit - 0.01 * unit.grad.sign(), target)) < float(value.detach())


def test_seed_loss_matches_hand_computation():
    target = torch.zeros(1, 2, 8, 8)
    unit = uv_to_unit(torch.full((1, 2, 8, 8), 0.0))
    unit_uv = torch.zeros(1, 2, 8, 8)
    unit_uv[:, 0] = 0.3
    unit_uv[:, 1] = 0.4  # a constant offset of length 0.5: blurring changes nothing
    assert abs(float(SeedLoss()(uv_to_unit(unit_uv), target)) - 0.5) < 1e-4
    assert float(SeedLoss()(unit, target)) < 1e-6


def test_gaussian_blur_keeps_constants_and_shape():
    x = torch.full((1, 2, 7, 9), 0.25)
    assert torch.allclose(gaussian_blur(x, 5), x)
    assert gaussian_blur(torch.rand(2, 2, 6, 6), 3).shape == (2, 2, 6, 6)


def test_classification_loss_zero_for_soft_target_and_gradient_sign():
    loss = ClassificationLoss().eval()
    target = _target(1)
    soft, _ = loss.soft_encode(target)
    perfect_logits = torch.log(soft.clamp_min(1e-30))
    assert float(loss(perfect_logits, target)) < 1e-5
    logits = torch.zeros_like(perfect_logits, requires_grad=True)
    value = loss(logits, target)
    assert float(value.detach()) > 0
    value.backward()
    # Gradient descent raises the logits of the target's bins and lowers the others.
    assert float((logits.grad * soft).sum()) < 0
    with torch.no_grad():
        assert float(loss(logits - 1.0 * logits.grad / logits.grad.abs().max(), target)) < float(value.detach())


def test_classification_annealed_mean_and_rebalancing():
    loss = ClassificationLoss()
    target = _target(2)
    soft, hard = loss.soft_encode(target)
    decoded = loss.annealed_mean(torch.log(soft.clamp_min(1e-30)) * 10, temperature=1.0)
    assert (decoded - target).abs().max() < 0.06  # within a bin
    loss.update_prior(torch.zeros(1000, dtype=torch.long))  # bin 0 becomes common
    w = loss.class_weights()
    assert w[0] < w[1]  # rare bins weigh more
    assert abs(float((loss.prior / loss.prior.sum() * w).sum()) - 1.0) < 1e-5


def test_forward_with_features_matches_model():
    from colorizer.model import build_colorizer

    torch.manual_seed(0)
    model = build_colorizer("efficientnet_lite0", weights=None).eval()
    torch.nn.init.normal_(model.head.weight, std=0.1)
    gray = torch.rand(1, 1, 32, 32)
    unit, feature = colorizer_forward_with_features(model, gray)
    assert torch.allclose(unit, model(gray), atol=1e-6)
    assert feature.shape[1] == model.backbone.channels[0]
    head = ClassHead(ClassificationLoss().num_bins, feature.shape[1])
    assert head(feature).shape[1] == ClassificationLoss().num_bins


def test_gan_losses_gradient_signs_and_discriminator_shape():
    from training.losses import PatchDiscriminator, discriminator_loss, generator_adversarial_loss

    real = torch.zeros(4, 1, 3, 3, requires_grad=True)
    fake = torch.zeros(4, 1, 3, 3, requires_grad=True)
    discriminator_loss(real, fake).backward()
    assert (real.grad < 0).all() and (fake.grad > 0).all()  # D learns: real up, fake down
    fake_g = torch.zeros(4, 1, 3, 3, requires_grad=True)
    generator_adversarial_loss(fake_g).backward()
    assert (fake_g.grad < 0).all()  # G learns: make D call the prediction real
    # A discriminator that is sure and right has (almost) zero loss; fooled, the generator's loss is ~0.
    assert float(discriminator_loss(torch.full((1,), 30.0), torch.full((1,), -30.0))) < 1e-6
    assert float(generator_adversarial_loss(torch.full((1,), 30.0))) < 1e-6
    disc = PatchDiscriminator()
    x = PatchDiscriminator.inputs(torch.rand(2, 1, 64, 64), torch.rand(2, 2, 64, 64))
    assert x.min() >= -1 and x.max() <= 1
    assert disc(x).shape[:2] == (2, 1) and disc(x).shape[-1] > 1
