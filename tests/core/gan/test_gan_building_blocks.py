"""DiffAugment, EMA, device choice and the metrics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gan_imaging.core.errors import ConfigurationError
from gan_imaging.core.gan.augment import cutout, diff_augment, parse_policy, translation
from gan_imaging.core.gan.device import resolve_device
from gan_imaging.core.gan.ema import EMA
from gan_imaging.core.gan.metrics import frechet_distance, kernel_inception_distance


def test_diffaugment_is_differentiable_and_seeded():
    x = torch.rand(4, 3, 16, 16, requires_grad=True)
    a = diff_augment(x, "color,translation,cutout", torch.Generator().manual_seed(1))
    b = diff_augment(x, "color,translation,cutout", torch.Generator().manual_seed(1))
    assert a.shape == x.shape and torch.equal(a, b)
    a.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_translation_shifts_content_and_fills_zeros():
    x = torch.ones(8, 1, 16, 16)
    y = translation(x, torch.Generator().manual_seed(0))
    # Every image keeps its size; shifted ones gain a zero border, none gain new values.
    assert y.shape == x.shape
    assert set(torch.unique(y).tolist()) <= {0.0, 1.0}
    assert (y == 0).any()


def test_cutout_zeroes_a_square_of_half_the_size():
    y = cutout(torch.ones(4, 1, 16, 16), torch.Generator().manual_seed(0))
    zeros = (y == 0).flatten(1).sum(1)
    assert ((zeros > 0) & (zeros <= 64)).all()  # 8x8, less where clipped at the border


def test_policy_parsing():
    assert parse_policy("") == []
    assert parse_policy("color, cutout") == ["color", "cutout"]
    with pytest.raises(ValueError, match="unknown DiffAugment op"):
        parse_policy("color,rotate")


def test_ema_tracks_the_model_with_warmup():
    model = torch.nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        model.weight.zero_()
    ema = EMA(model, 0.9)
    with torch.no_grad():
        model.weight.fill_(1.0)
    ema.update(model)  # warm-up decay min(0.9, 1/10) = 0.1 -> 0.9 of the way to the model
    assert torch.allclose(ema.shadow.weight, torch.full((1, 2), 0.9))
    assert not ema.shadow.weight.requires_grad
    with pytest.raises(ValueError):
        EMA(model, 1.0)


def test_device_choice_never_assumes_a_gpu():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in ("cpu", "cuda", "mps")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigurationError, match="no CUDA GPU"):
            resolve_device("cuda")
    with pytest.raises(ConfigurationError, match="Unknown device"):
        resolve_device("tpu")


def test_frechet_distance_of_gaussians_matches_closed_form():
    rng = np.random.default_rng(0)
    a = rng.normal(0.0, 1.0, size=(20000, 2))
    b = rng.normal(1.0, 2.0, size=(20000, 2))
    # Isotropic: |mu_a - mu_b|^2 + sum (s_a - s_b)^2 = 2 * 1 + 2 * 1 = 4
    assert frechet_distance(a, b) == pytest.approx(4.0, rel=0.03)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)


def test_kid_is_near_zero_for_one_distribution_and_positive_otherwise():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(600, 8)), rng.normal(size=(600, 8))
    same, _ = kernel_inception_distance(a, b, subsets=5, subset_size=300)
    diff, _ = kernel_inception_distance(a, b + 1.0, subsets=5, subset_size=300)
    assert abs(same) < 0.05 and diff > 0.5
