"""Try it in your photo, the pure part: the pose as the shopper left it, the shadow on the
marked surface, the light read from the photo, a wall's perspective, the cleaned photo."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from gan_imaging.core.errors import SpecError
from gan_imaging.core.imaging.policy import Limits
from gan_imaging.core.vision import tryon_plane
from gan_imaging.core.vision.tryon import (
    TryOnSpec,
    clean_photo,
    estimate_light,
    render,
    render_bytes,
)


def room(w: int = 480, h: int = 360, *, bright_left: bool = False) -> Image.Image:
    im = Image.new("RGB", (w, h), (200, 195, 185))
    ImageDraw.Draw(im).rectangle((0, h // 2, w, h), fill=(140, 110, 80))
    if bright_left:
        ramp = np.linspace(1.25, 0.6, w, dtype=np.float32)[None, :, None]
        im = Image.fromarray(np.clip(np.asarray(im) * ramp, 0, 255).astype(np.uint8))
    return im


def vase(w: int = 60, h: int = 90, pad: int = 10) -> Image.Image:
    im = Image.new("RGBA", (w + 2 * pad, h + 2 * pad), (0, 0, 0, 0))
    ImageDraw.Draw(im).rectangle((pad, pad, pad + w - 1, pad + h - 1), fill=(30, 90, 160, 255))
    return im


def test_the_pose_is_validated_with_a_shoppers_message():
    with pytest.raises(SpecError, match="between 2 % and 150 %"):
        TryOnSpec.from_dict({"x": 0.5, "y": 0.5, "width": 0})
    with pytest.raises(SpecError, match="could not be read"):
        TryOnSpec.from_dict({"x": "left", "y": 0.5, "width": 0.2})
    with pytest.raises(SpecError, match="floor, a table or a wall"):
        TryOnSpec.from_dict({"x": 0.5, "y": 0.5, "width": 0.2, "surface": "ceiling"})
    with pytest.raises(SpecError, match="no area"):
        TryOnSpec.from_dict({"x": 0.5, "y": 0.5, "width": 0.2,
                             "quad": [[0.1, 0.1], [0.1, 0.1], [0.1, 0.1], [0.1, 0.1]]})
    spec = TryOnSpec.from_dict({"x": 0.5, "y": 0.8, "width": 0.25, "horizon": 0.5})
    assert TryOnSpec.from_dict(spec.as_dict()) == spec


def test_the_product_lands_where_and_as_wide_as_the_shopper_left_it():
    photo = room()
    spec = TryOnSpec.from_dict({"x": 0.4, "y": 0.9, "width": 0.25, "horizon": 0.5})
    result = render(photo, vase(), spec)
    box_w = round(0.25 * 480)  # the cutout's whole box, padding included
    cols = np.flatnonzero((result.alpha >= 128).any(axis=0))
    rows = np.flatnonzero((result.alpha >= 128).any(axis=1))
    solid_w = box_w * 60 / 80
    assert abs((cols[-1] - cols[0] + 1) - solid_w) <= 2
    assert abs((cols[0] + cols[-1]) / 2 - 0.4 * 480) <= 2
    assert abs(rows[-1] - (0.9 * 360 - box_w * 10 / 80)) <= 2  # the solid base, above padding
    # The product's own pixels are its colour (within the harmoniser-free render).
    assert np.abs(np.asarray(result.image)[rows[-1] - 5, cols[0] + 5].astype(int)
                  - (30, 90, 160)).max() <= 2


def test_the_shadow_lies_on_the_floor_below_the_horizon_and_at_the_base():
    spec = TryOnSpec.from_dict({"x": 0.5, "y": 0.9, "width": 0.25, "horizon": 0.5})
    result = render(room(), vase(), spec)
    shadow = result.shadow
    assert shadow.max() > 0.3
    assert shadow[: int(0.5 * 360)].max() == 0  # nothing above the horizon
    base_y = int(result.meta["contact"][1])
    ys, xs = np.nonzero(shadow > 0.05)
    assert ys.min() >= 0.5 * 360 and abs(np.median(ys) - base_y) < 25
    # The photo is darker under the product's base than beside the product far away.
    img = np.asarray(result.image).astype(int)
    near = img[base_y + 3, int(result.meta["contact"][0]) + 40].sum()
    far = img[base_y + 3, 470].sum()
    assert near < far


def test_a_marked_quad_bounds_the_shadow():
    quad = [[0.3, 0.6], [0.7, 0.6], [0.75, 0.95], [0.25, 0.95]]
    spec = TryOnSpec.from_dict({"x": 0.5, "y": 0.9, "width": 0.3, "surface": "table",
                                "quad": quad})
    result = render(room(), vase(), spec)
    contact = tuple(result.meta["contact"])
    inside = tryon_plane.plane_mask(spec.surface, (480, 360), contact)
    assert result.shadow.sum() > 10
    assert result.shadow[~inside].max() == 0


def test_the_light_is_read_from_the_photo_and_the_shadow_falls_away_from_it():
    side, strength = estimate_light(np.asarray(room(bright_left=True)))
    assert side < -0.2 and strength > 0.3
    flat_side, flat_strength = estimate_light(np.asarray(room()))
    assert abs(flat_side) < 0.1 and flat_strength < 0.2
    spec = TryOnSpec.from_dict({"x": 0.5, "y": 0.9, "width": 0.25, "horizon": 0.5})
    result = render(room(bright_left=True), vase(), spec)
    ys, xs = np.nonzero(result.shadow > 0.02)
    weights = result.shadow[ys, xs]
    assert (xs * weights).sum() / weights.sum() > result.meta["contact"][0] + 3


def test_a_poster_on_a_wall_is_warped_onto_the_walls_plane():
    quad = [[0.2, 0.1], [0.8, 0.2], [0.8, 0.45], [0.2, 0.5]]  # the right side recedes
    spec = TryOnSpec.from_dict({"x": 0.5, "y": 0.4, "width": 0.2, "surface": "wall",
                                "quad": quad})
    result = render(room(), vase(40, 40, 0), spec)
    solid = result.alpha >= 128
    cols = np.flatnonzero(solid.any(axis=0))
    left = solid[:, cols[0] + 1].sum()
    right = solid[:, cols[-1] - 1].sum()
    assert right < left  # the far edge is shorter
    assert abs((cols[-1] - cols[0] + 1) - 0.2 * 480) <= 0.1 * 0.2 * 480


def test_the_stored_photo_is_upright_screen_sized_and_has_no_metadata():
    im = Image.new("RGB", (2400, 1600), (90, 120, 150))
    ImageDraw.Draw(im).rectangle((0, 0, 300, 300), fill=(250, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: displayed portrait
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (52.0, 31.0, 12.5)
    buf = io.BytesIO()
    im.save(buf, "JPEG", exif=exif, quality=90, comment=b"owner: jane")
    cleaned = clean_photo(buf.getvalue(), Limits(), max_side=800)
    assert cleaned.size == (533, 800)
    out = render_bytes(buf.getvalue(), vase(), TryOnSpec(0.5, 0.9, 0.3), Limits(),
                       max_side=800)[0]
    assert b"Exif" not in out and b"PhoneMaker" not in out and b"jane" not in out
    with Image.open(io.BytesIO(out)) as res:
        assert res.size == (533, 800) and not res.getexif()
        assert res.getpixel((520, 5))[0] > 200  # the red corner, turned with the photo


def test_the_same_inputs_give_the_same_bytes():
    data = io.BytesIO()
    room().save(data, "JPEG")
    spec = TryOnSpec.from_dict({"x": 0.3, "y": 0.8, "width": 0.2, "horizon": 0.4})
    a = render_bytes(data.getvalue(), vase(), spec, Limits())
    b = render_bytes(data.getvalue(), vase(), spec, Limits())
    assert a == b
