"""Architectures: registry, output shapes at tiny widths, input-shape asserts, the seed fixes."""

from __future__ import annotations

import pytest
import torch

from gan_imaging.core.gan.nets import ARCHS, LATENT_SPATIAL, build_nets
from gan_imaging.core.gan.nets.dcgan28 import Discriminator28, Generator28

EXPECTED_IMAGE = {"dcgan28": (1, 28, 28), "dcgan64": (3, 64, 64)}


def test_registry_lists_every_architecture():
    assert ARCHS.names() == ["dcgan28", "dcgan64", "sr", "texture"]
    with pytest.raises(ValueError, match="already registered"):
        ARCHS.add("dcgan28", lambda: None)
    with pytest.raises(KeyError, match="known: dcgan28"):
        ARCHS.get("stylegan9")


# "sr" maps images to images: test_superres.py covers its shapes and scale factors.
@pytest.mark.parametrize("arch", [a for a in ARCHS.names() if a != "sr"])
def test_output_shapes_at_tiny_width(arch, tiny_kw):
    torch.manual_seed(0)
    nets = build_nets(arch, tiny_kw[arch])
    G, D = nets.generator, nets.discriminator
    if G.latent_kind == LATENT_SPATIAL:
        noise = torch.randn(3, G.z_dim, 4, 5)
        img = G(noise, torch.rand(3, G.n_periodic))
        assert img.shape == (3, G.channels, 4 * G.scale, 5 * G.scale)
        logits = D(img[:, :, :32, :32])
        assert logits.shape == (3, 4)  # one logit per 16x16 stride patch
    else:
        img = G(torch.randn(3, G.z_dim))
        assert img.shape == (3, *EXPECTED_IMAGE[arch])
        assert D(img).shape == (3,)
    assert img.dtype == torch.float32
    assert img.min() >= -1 and img.max() <= 1


def test_seed_generator_fixed_to_28x28_and_discriminator_returns_logits():
    G, D = Generator28(), Discriminator28()  # the seed's widths (128) and depth
    img = G(torch.randn(2, 100))
    assert img.shape == (2, 1, 28, 28)  # the article's last Conv2D(stride 2) gave 7x7
    # Logits, not probabilities: a large input must be able to leave [0, 1].
    with torch.no_grad():
        D.head.bias.fill_(5.0)
    assert (D(img) > 1).all()


def test_dcgan28_categorical_code_changes_the_image_and_feeds_the_code_head(tiny_kw):
    torch.manual_seed(0)
    nets = build_nets("dcgan28", {**tiny_kw["dcgan28"], "n_codes": 3})
    G, D = nets.generator, nets.discriminator
    z = torch.randn(5, G.z_dim)
    assert G.latent_code(z).tolist() == z[:, :3].argmax(1).tolist()
    # Moving only which of the first 3 entries is largest switches the code's learned map.
    z2 = z.clone()
    z2[:, :3] = z[:, :3].roll(1, dims=1)
    assert not torch.equal(G.latent_code(z), G.latent_code(z2))
    with torch.no_grad():
        img = G(z)
        logits, code_logits = D.forward_info(img)
    assert img.shape == (5, 1, 28, 28) and logits.shape == (5,) and code_logits.shape == (5, 3)
    assert torch.allclose(logits, D(img))
    with pytest.raises(ValueError, match="n_codes"):
        build_nets("dcgan28", {**tiny_kw["dcgan28"], "n_codes": 99})


@pytest.mark.parametrize("arch", ["dcgan28", "dcgan64"])
def test_wrong_input_shapes_are_rejected(arch, tiny_kw):
    nets = build_nets(arch, tiny_kw[arch])
    with pytest.raises(AssertionError):
        nets.generator(torch.randn(2, 5))
    with pytest.raises(AssertionError):
        nets.discriminator(torch.randn(2, 1, 32, 32))


def test_unknown_keyword_is_an_error():
    with pytest.raises(TypeError):
        build_nets("dcgan28", {"widht": 8})


def test_dcgan64_matches_pytorch_examples_parameter_counts():
    nets = build_nets("dcgan64", {})
    assert sum(p.numel() for p in nets.generator.parameters()) == 3_576_704
    assert sum(p.numel() for p in nets.discriminator.parameters()) == 2_765_568
