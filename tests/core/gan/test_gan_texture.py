"""Texture generation: exact sizes, seamless chunking, seeds, limits."""

from __future__ import annotations

import pytest
import torch

from gan_imaging.core.errors import SpecError
from gan_imaging.core.gan.nets import build_nets


@pytest.fixture
def texture_g(tiny_kw):
    torch.manual_seed(0)
    return build_nets("texture", tiny_kw["texture"]).generator.eval()


@pytest.mark.parametrize("size", [(33, 17), (1, 1), (728, 90), (7, 129)])
def test_output_is_exactly_the_requested_size(texture_g, size):
    w, h = size
    img = texture_g.generate(w, h, seed=1)
    assert img.shape == (1, h, w)
    assert img.dtype == torch.float32 and img.min() >= -1 and img.max() <= 1


def test_chunked_generation_equals_one_pass(texture_g):
    # 200 x 150 at scale 8: 25 x 19 cells; chunks of 3 cells force many interior seams,
    # uneven last chunks included.
    whole = texture_g.generate(200, 150, seed=5, chunk=None)
    chunked = texture_g.generate(200, 150, seed=5, chunk=24)
    assert torch.allclose(whole, chunked, atol=1e-5), (whole - chunked).abs().max()


def test_no_seam_at_chunk_borders(texture_g):
    # Seam check: the jump across a chunk border is no larger than between interior neighbours.
    img = texture_g.generate(96, 96, seed=2, chunk=32)[0]
    col_diff = (img[:, 1:] - img[:, :-1]).abs().mean(0)  # mean |step| between columns
    border = col_diff[[31, 63]].mean()
    assert border <= col_diff.max() + 1e-6
    assert border < 3 * col_diff.median()


def test_seed_determines_the_texture(texture_g):
    a = texture_g.generate(40, 40, seed=3)
    assert torch.equal(a, texture_g.generate(40, 40, seed=3))
    assert not torch.equal(a, texture_g.generate(40, 40, seed=4))


@pytest.mark.parametrize("bad", [0, -5, 20000, 3.5, True])
def test_bad_sizes_raise_spec_errors(texture_g, bad):
    with pytest.raises(SpecError):
        texture_g.generate(bad, 10)


def test_area_limit_is_checked_before_any_work(texture_g):
    with pytest.raises(SpecError, match="megapixels"):
        texture_g.generate(10000, 10000)
