"""Shared fixtures for the GAN engine tests: tiny nets, CPU only, deterministic."""

from __future__ import annotations

import pytest
import torch

from gan_imaging.core.gan import TrainConfig

TINY = {
    "dcgan28": {"z_dim": 8, "g_width": 8, "d_width": 8},
    "dcgan64": {"z_dim": 8, "width": 4},
    "texture": {
        "z_dim": 4,
        "n_periodic": 2,
        "g_width": 4,
        "g_max_width": 16,
        "n_up": 3,
        "d_width": 4,
    },
}


@pytest.fixture(autouse=True)
def _few_threads(one_torch_thread):
    yield


@pytest.fixture
def digits() -> torch.Tensor:
    """32 synthetic 28x28 'digits' in [-1, 1]: a bright bar at a random column."""
    gen = torch.Generator().manual_seed(0)
    x = -torch.ones(32, 1, 28, 28)
    cols = torch.randint(4, 24, (32,), generator=gen)
    for i, c in enumerate(cols.tolist()):
        x[i, 0, 4:24, c : c + 3] = 1.0
    return x


@pytest.fixture
def exemplar() -> torch.Tensor:
    """One 1 x 64 x 64 stripe texture in [-1, 1]."""
    xs = torch.arange(64, dtype=torch.float32)
    stripes = torch.sin(xs / 3.0)[None, :].expand(64, 64)
    return stripes[None].clone()


def tiny_config(arch: str = "dcgan28", **changes) -> TrainConfig:
    base = dict(
        arch=arch, arch_kwargs=TINY[arch], steps=2, batch_size=4, device="cpu", log_every=1, crop=32
    )
    base.update(changes)
    return TrainConfig(**base)


@pytest.fixture
def make_config():
    """``make_config(arch="dcgan28", **changes) -> TrainConfig`` for a tiny CPU run."""
    return tiny_config


@pytest.fixture
def tiny_kw() -> dict:
    """Tiny keyword arguments for every registered architecture."""
    return TINY
