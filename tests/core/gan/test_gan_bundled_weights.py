"""The bundled texture weights load without code execution and make any size."""

from __future__ import annotations

import pytest

from gan_imaging.core.gan import BUNDLED, bundled_path, load, read_meta
from gan_imaging.core.gan.weights import WEIGHTS_DIR


@pytest.mark.parametrize("style", sorted(BUNDLED))
def test_bundled_style_loads_and_generates(style):
    path = bundled_path(style)
    assert path.stat().st_size < 2_000_000
    meta = read_meta(path)
    assert meta["info"]["licence"] and meta["info"]["source"]
    ckpt = load(path)
    assert ckpt.model_version == meta["model_version"]
    assert ckpt.model_version.startswith(f"texture-{style}-")
    img = ckpt.generator.generate(33, 17, seed=0)
    assert img.shape == (ckpt.generator.channels, 17, 33)
    assert img.std() > 0.05  # a texture, not a flat image


def test_weights_readme_states_the_licences():
    text = (WEIGHTS_DIR / "README.md").read_text()
    assert "CC0" in text
