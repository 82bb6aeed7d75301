"""Loss helpers match the published formulas numerically and stay finite for large logits."""

from __future__ import annotations

import math

import pytest
import torch

from gan_imaging.core.gan import losses

REAL = torch.tensor([-3.0, -0.5, 0.0, 0.7, 4.0], dtype=torch.float64)
FAKE = torch.tensor([-2.0, 0.3, 1.5, -0.1, 2.5], dtype=torch.float64)


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def test_non_saturating_losses_equal_the_seed_formulas():
    # L_D = -log D(x) - log(1 - D(G(z))),  L_G = -log D(G(z)),  D = sigmoid(logit)
    want_d = (
        sum(-math.log(sigmoid(r)) for r in REAL.tolist()) / 5
        + sum(-math.log(1 - sigmoid(f)) for f in FAKE.tolist()) / 5
    )
    want_g = sum(-math.log(sigmoid(f)) for f in FAKE.tolist()) / 5
    assert losses.ns_d_loss(REAL, FAKE).item() == pytest.approx(want_d, rel=1e-12)
    assert losses.ns_g_loss(FAKE).item() == pytest.approx(want_g, rel=1e-12)
    assert losses.d_loss("ns", REAL, FAKE).item() == pytest.approx(want_d, rel=1e-12)


def test_hinge_losses():
    want_d = (
        sum(max(0, 1 - r) for r in REAL.tolist()) / 5
        + sum(max(0, 1 + f) for f in FAKE.tolist()) / 5
    )
    assert losses.hinge_d_loss(REAL, FAKE).item() == pytest.approx(want_d)
    assert losses.g_loss("hinge", FAKE).item() == pytest.approx(-FAKE.mean().item())


def test_losses_are_finite_where_log_sigmoid_underflows():
    big = torch.tensor([200.0, -200.0])
    d = losses.ns_d_loss(-big, big)  # D badly wrong on both
    g = losses.ns_g_loss(-big)
    assert torch.isfinite(d) and torch.isfinite(g)
    # softplus(200) = 200 for each wrong logit: mean over 2 logits each, real and fake terms.
    assert d.item() == pytest.approx(200.0, rel=1e-6)
    assert g.item() == pytest.approx(100.0, rel=1e-6)


def test_unknown_loss_name():
    with pytest.raises(ValueError, match="unknown loss"):
        losses.d_loss("wgan", REAL, FAKE)


def test_r1_penalty_matches_the_analytic_gradient():
    # D(x) = sum(w * x) per image: dD/dx = w, so R1 = ||w||^2 for every image.
    w = torch.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    x = torch.randn(4, 1, 2, 2, requires_grad=True)
    logits = (x * w).flatten(1).sum(1)
    r1 = losses.r1_penalty(logits, x)
    assert r1.item() == pytest.approx(float((w.detach() ** 2).sum()))
    assert r1.requires_grad  # create_graph: the penalty itself can be back-propagated


def test_helpers_never_call_backward():
    x = torch.zeros(3, requires_grad=True)
    loss = losses.ns_g_loss(x * 2)
    assert x.grad is None and loss.grad_fn is not None
