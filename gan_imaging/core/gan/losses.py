"""GAN losses, computed from discriminator *logits* (never probabilities).

Every helper returns a scalar tensor and never calls ``backward()``: the training loop owns the
optimisation. Logits may have any shape (one per image or one per patch); losses average them.

Non-saturating loss (Goodfellow et al. 2014, the seed article's formulas), with
``D(x) = sigmoid(logit)``:

    L_D = -log D(x) - log(1 - D(G(z))) = softplus(-real_logit) + softplus(fake_logit)
    L_G = -log D(G(z))                 = softplus(-fake_logit)

softplus is evaluated stably for large |logit|, where ``log(sigmoid(.))`` underflows to -inf.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

LOSSES = ("ns", "hinge")


def ns_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating discriminator loss: mean softplus(-real) + mean softplus(fake)."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def ns_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss: mean softplus(-fake) = -log D(G(z))."""
    return F.softplus(-fake_logits).mean()


def hinge_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Hinge discriminator loss (Lim & Ye 2017): mean relu(1 - real) + mean relu(1 + fake)."""
    return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()


def hinge_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Hinge generator loss: -mean(fake)."""
    return -fake_logits.mean()


def d_loss(kind: str, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Discriminator loss by name: ``"ns"`` or ``"hinge"``."""
    if kind == "ns":
        return ns_d_loss(real_logits, fake_logits)
    if kind == "hinge":
        return hinge_d_loss(real_logits, fake_logits)
    raise ValueError(f"unknown loss {kind!r}; use one of {LOSSES}")


def g_loss(kind: str, fake_logits: torch.Tensor) -> torch.Tensor:
    """Generator loss by name: ``"ns"`` or ``"hinge"``."""
    if kind == "ns":
        return ns_g_loss(fake_logits)
    if kind == "hinge":
        return hinge_g_loss(fake_logits)
    raise ValueError(f"unknown loss {kind!r}; use one of {LOSSES}")


def r1_penalty(real_logits: torch.Tensor, real_images: torch.Tensor) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): mean over images of ||d sum(logits) / d x||^2.

    ``real_images`` must have ``requires_grad=True`` and ``real_logits`` must be computed from
    it (augmentations in between are fine). The graph is kept (``create_graph``) so the
    penalty can be back-propagated; multiply by gamma / 2 in the caller.
    """
    (grad,) = torch.autograd.grad(
        outputs=real_logits.float().sum(), inputs=real_images, create_graph=True
    )
    return grad.pow(2).flatten(1).sum(1).mean()
