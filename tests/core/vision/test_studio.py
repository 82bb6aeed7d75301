"""Studio scenes: geometry, light, reflection and placement, checked on rendered pixels.

Materials come from a flat texture (every field is its material's light colour) so the
set's geometry and light are all that varies.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from gan_imaging.core.errors import SpecError
from gan_imaging.core.vision.studio import (
    CAMERAS,
    Camera,
    light_vector,
    shade,
    surface_rows,
)
from gan_imaging.core.vision.studio_light import cast_shadow, reflect
from gan_imaging.core.vision.studio_scene import MATERIALS, SETS, render_studio


def flat(material, width, height, seed):
    im = Image.new("L", (width, height), 255)
    im.info["model_version"] = f"flat-{material}"
    return im


def bottle(size=(60, 160), colour=(200, 40, 40)):
    im = Image.new("RGBA", size, (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    d.rectangle((20, 0, 40, 40), fill=colour + (255,))
    d.rounded_rectangle((0, 40, size[0] - 1, size[1] - 1), 10, fill=colour + (255,))
    return im


def lum(a):
    return np.asarray(a, np.float32)[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)


@pytest.mark.parametrize("cam", ["high", "eye", "low"])
def test_floor_meets_the_wall_where_the_camera_height_puts_it(cam):
    w = h = 320
    scene, meta = render_studio(bottle(), "oak-floor", (w, h), texture=flat, camera_name=cam)
    assert meta["horizon_row"] == round(CAMERAS[cam] * h)
    base = (meta["box"][3]) / h
    expected = Camera(w, h, CAMERAS[cam], base=base).floor_row(SETS["oak-floor"].wall_depth)
    # Oak (brown: red well above blue) below the corner, concrete (grey) above it.
    col = np.asarray(scene, np.int32)[:, 8]
    brown = np.flatnonzero(col[:, 0] - col[:, 2] > 40)
    assert abs(int(brown[0]) - expected) <= 3, (brown[0], expected)
    # With the wall far away, the floor reaches up to just below the horizon.
    far = Camera(w, h, CAMERAS[cam], base=base)
    first = int(np.flatnonzero(surface_rows(far, 50.0, 0.0).floor)[0])
    assert meta["horizon_row"] < first and abs(first - far.floor_row(50.0)) <= 1


def test_higher_cameras_see_more_floor():
    corners = []
    for cam in ("low", "eye", "high"):
        scene, _ = render_studio(bottle(), "oak-floor", (200, 200), texture=flat, camera_name=cam)
        col = np.asarray(scene, np.int32)[:, 4]
        corners.append(int(np.flatnonzero(col[:, 0] - col[:, 2] > 40)[0]))
    assert corners[0] > corners[1] > corners[2]


@pytest.mark.parametrize("light", ["left", "right"])
def test_the_shadow_falls_on_the_far_side_of_the_light(light):
    w = h = 300
    scene, meta = render_studio(bottle(), "paper-sweep", (w, h), texture=flat, light=light,
                                camera_name="high")  # fmt: skip
    x0, y0, x1, y1 = meta["box"]
    img = lum(scene)
    band = slice(y1 - (y1 - y0) // 3, y1 - 2)  # the floor beside the product's lower third
    gap = (x1 - x0) // 2
    left, right = img[band, x0 - gap : x0 - 2].mean(), img[band, x1 + 2 : x1 + gap].mean()
    cam = Camera(w, h, CAMERAS["high"], base=y1 / h)
    lit = shade(cam, surface_rows(cam, SETS["paper-sweep"].wall_depth, SETS["paper-sweep"].sweep),
                light_vector(-55 if light == "left" else 55, 38))  # fmt: skip
    lit_ratio = lit[band, x1 + 2 : x1 + gap].mean() / lit[band, x0 - gap : x0 - 2].mean()
    ratio = right / left
    # Darker beyond what the light's fall-off alone gives: the cast shadow is there.
    if light == "left":
        assert ratio < 0.9 * lit_ratio, (ratio, lit_ratio)
    else:
        assert ratio > lit_ratio / 0.9, (ratio, lit_ratio)


def test_cast_shadow_moves_away_from_the_light():
    alpha = np.zeros((80, 20), np.uint8)
    alpha[:, 4:16] = 255
    cam = Camera(200, 200, 0.3, base=0.9)
    centres = {}
    for name, az in (("left", -60), ("right", 60)):
        s = cast_shadow(alpha, (90, 100), cam, light_vector(az, 35), wall=3.0)
        assert s.max() > 0.5
        centres[name] = float((s.sum(0) * np.arange(200)).sum() / s.sum())
    assert centres["left"] > 100 + 5 and centres["right"] < 100 - 5


def test_reflection_is_a_fading_mirror_on_the_floor_only():
    scene = np.full((100, 60, 3), 128, np.float32)
    product = np.zeros((30, 20, 4), np.uint8)
    product[...] = (250, 0, 0, 255)
    floor = np.ones(100, bool)
    floor[70:] = False
    out = reflect(scene, product, (20, 20), floor, gloss=0.4)
    red = out[..., 0] - out[..., 2]
    assert red[51, 30] > red[60, 30] > 1  # under the base, fading with the distance
    assert (red[70:] == 0).all() and (red[:50] == 0).all()
    assert (scene == 128).all()  # the input is not changed in place


def test_glossy_floors_reflect_and_matte_ones_do_not():
    reds = {}
    for name in ("marble-table", "linen-sweep"):
        scene, meta = render_studio(bottle(colour=(230, 20, 20)), name, (240, 240), texture=flat,
                                    light="front")  # fmt: skip
        x0, _, x1, y1 = meta["box"]
        patch = np.asarray(scene, np.float32)[y1 + 2 : y1 + 8, x0 + 10 : x1 - 10]
        reds[name] = float((patch[..., 0] - patch[..., 2]).mean())
    assert MATERIALS["marble"].gloss > MATERIALS["linen"].gloss == 0
    assert reds["marble-table"] > reds["linen-sweep"] + 8, reds


def test_a_product_cut_at_the_bottom_stands_on_the_frame_without_shadow():
    scene, meta = render_studio(bottle(), "oak-floor", (200, 200), texture=flat,
                                edges=("bottom",))  # fmt: skip
    assert meta["anchored"] == ["bottom"] and meta["shadow"] is False
    assert meta["box"][3] == 200
    last = np.asarray(scene, np.int32)[-1, (meta["box"][0] + meta["box"][2]) // 2]
    assert last[0] > 150 and last[2] < 90  # the product's red reaches the last row


def test_same_inputs_same_pixels_and_materials_recorded():
    a, meta = render_studio(bottle(), "terrazzo-floor", (160, 200), texture=flat, seed=3)
    b, _ = render_studio(bottle(), "terrazzo-floor", (160, 200), texture=flat, seed=3)
    assert a.tobytes() == b.tobytes() and a.size == (160, 200)
    assert meta["materials"] == {"terrazzo": "flat-terrazzo", "linen": "flat-linen"}


def test_unknown_set_camera_and_light_are_spec_errors():
    for kwargs in ({"set_name": "moon"}, {"camera_name": "drone"}, {"light": "neon"}):
        args = {"set_name": "oak-floor"} | kwargs
        with pytest.raises(SpecError):
            render_studio(bottle(), args.pop("set_name"), (64, 64), texture=flat, **args)
