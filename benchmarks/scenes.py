"""Studio scenes benchmark: the harmoniser's gain on held-out composites, seconds per 1200 px
scene, and a contact sheet of corpus products in the studio sets.

    OMP_NUM_THREADS=1 nice -n 19 .venv/bin/python benchmarks/scenes.py \\
        [--corpus ../shared/datasets/products] [--sheet /tmp/scenes_sheet.png]

Harmonisation: the corpus's held-out one-product photos (``superres.is_held_out``; the
harmoniser trained on the rest), 256 px, each product re-coloured and re-lit once by
``harmonise_train.recolour`` with a fixed seed. Anchor in the same run: no harmonisation (the
composite itself). PSNR over the whole image; ``harmonise_gain`` = harmonised − composite (dB).

Scene time: ``render_scenes.scenes`` (backdrop synthesis by the texture GANs, geometry, light,
shadow, reflection, harmonisation, WebP encode) for one 1200x1200 scene per product, the
product's cutout already made; median over the products after one warm-up scene. One torch
thread. Ends with ``RESULT harmonise_gain=… scene_s=… materials=…``.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

import torch
from PIL import Image, ImageDraw

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gan_imaging.core.gan import BUNDLED, bundled_path  # noqa: E402
from gan_imaging.core.gan.harmonise import get_model  # noqa: E402
from gan_imaging.core.gan.harmonise_train import evaluate, load_corpus  # noqa: E402
from gan_imaging.core.pipelines import Context  # noqa: E402
from gan_imaging.core.pipelines.render_scenes import scenes as _scenes  # noqa: E402
from gan_imaging.core.pipelines.renders import RenderSpec  # noqa: E402
from gan_imaging.core.vision.cutout import cutout  # noqa: E402
from gan_imaging.core.vision.packshot import extract_product  # noqa: E402
from gan_imaging.core.vision.studio_scene import MATERIALS, SETS  # noqa: E402

#: Products of the sheet and the timing: packshots, mockups and a model shot, across sources.
PRODUCTS = (
    "saleor-mockups/saleor-banana-drink.png", "magento-luma/wb04-blue-0.jpg",
    "saleor-mockups/saleor-mighty-mug.png", "solidus-mockups/solidus_bottles_2.png",
    "saleor-mockups/saleor-white-plimsolls-2.png", "magento-luma/mh03-black_main.jpg",
    "solidus-mockups/solidus_cap_red_2.png", "saleor-legacy/mugs/box-01.jpg",
)  # fmt: skip
#: (set, camera, light, aspect) per sheet row position.
LOOKS = (
    ("marble-table", "eye", "left", "1:1"), ("oak-floor", "high", "right", "4:5"),
    ("paper-sweep", "low", "left", "1:1"), ("terrazzo-floor", "eye", "front", "4:5"),
    ("linen-sweep", "high", "right", "16:9"), ("concrete-loft", "low", "left", "4:5"),
    ("marble-table", "high", "right", "1:1"), ("paper-sweep", "eye", "left", "16:9"),
)  # fmt: skip


def product_of(path: Path) -> tuple[Image.Image, tuple[str, ...]]:
    with Image.open(path) as im:
        im.load()
        rgb = im.convert("RGBA" if "A" in im.getbands() or im.mode == "P" else "RGB")
    rgb.thumbnail((1600, 1600))
    prod = extract_product(rgb, cutout(rgb))
    return prod.rgba, prod.edges


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=Path("../shared/datasets/products"))
    ap.add_argument("--sheet", type=Path, default=Path("/tmp/scenes_sheet.png"))
    ap.add_argument("--side", type=int, default=1200, help="scene long side (px) timed")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if not (args.corpus / "manifest.csv").exists():
        raise SystemExit(f"no corpus at {args.corpus}; nothing to measure")
    materials = sum(1 for m in MATERIALS if m in BUNDLED and bundled_path(m).exists())
    model = get_model()

    images, mattes, _names = load_corpus(args.corpus, held_out=True, size=256)
    h = evaluate(model, images, mattes)
    print(f"harmonisation, {h['n']} held-out composites at 256 px (PSNR dB, whole image)")
    print(f"  none (composite)   {h['psnr_composite']:.2f}")
    print(f"  harmoniser         {h['psnr_harmonised']:.2f}   gain {h['gain']:+.2f}")

    times, tiles = [], []
    for i, (name, (studio, cam, light, aspect)) in enumerate(zip(PRODUCTS, LOOKS, strict=True)):
        rgba, edges = product_of(args.corpus / name)
        timed = RenderSpec(outputs=("scenes",), scene_aspects=("1:1",), scene_styles=(studio,),
                           scene_cameras=(cam,), scene_light=light,
                           scene_long_side=args.side)  # fmt: skip
        if i == 0:  # warm-up: loads the texture GANs and the harmoniser
            _scenes(rgba, timed, Context(seed=i), {}, edges)
        t = time.perf_counter()
        _scenes(rgba, timed, Context(seed=i), {}, edges)
        times.append(time.perf_counter() - t)
        look = RenderSpec(outputs=("scenes",), scene_aspects=(aspect,), scene_styles=(studio,),
                          scene_cameras=(cam,), scene_light=light,
                          scene_long_side=600)  # fmt: skip
        (out,) = _scenes(rgba, look, Context(seed=i), {}, edges)
        tile = Image.new("RGB", (600, 620), (255, 255, 255))
        scene = Image.open(io.BytesIO(out.data)).convert("RGB")
        tile.paste(scene, ((600 - scene.width) // 2, 0))
        ImageDraw.Draw(tile).text((5, 604), f"{studio} / {cam} / {light} / {aspect}",
                                  fill=(0, 0, 0))  # fmt: skip
        tiles.append(tile)
        print(f"  {name:48s} {studio:15s} {cam:4s} {light:5s} {times[-1]:.2f} s")
    sheet = Image.new("RGB", (600 * 4, 620 * 2), (255, 255, 255))
    for i, tile in enumerate(tiles):
        sheet.paste(tile, ((i % 4) * 600, (i // 4) * 620))
    args.sheet.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.sheet)
    scene_s = statistics.median(times)
    print(f"scenes {args.side}x{args.side}: median {scene_s:.2f} s, max {max(times):.2f} s "
          f"over {len(times)}; sets {len(SETS)}, sheet {args.sheet}")
    print(f"RESULT harmonise_gain={h['gain']:.2f} scene_s={scene_s:.2f} materials={materials} "
          f"psnr_composite={h['psnr_composite']:.2f} psnr_harmonised={h['psnr_harmonised']:.2f} "
          f"n_eval={h['n']}")


if __name__ == "__main__":
    main()
