"""Restoration: the bundled net vs the damaged input and classical denoisers, in one run.

Photos: held-out names of ``--photos`` (``is_held_out(name)`` True: ``scripts/
train_restore.py`` never trains on them), in sha256-of-name order, ``--limit`` of them. Each
is made clean the way training targets are (upright, on white, halved by a 2 x 2 box average,
which washes out the corpus's own JPEG artefacts); its most textured ``--crop`` px window
(stride crop / 2, on the 8 px grid) is the *original*. Damage, per level, with fixed seeds:

- JPEG q20, q35, q50 (Pillow, 4:2:0 chroma);
- Gaussian noise sigma 5, 10, 15 (0-255 scale, independent per channel, seed = photo index),
  kept lossless;
- an extra row, not in the RESULT line: "double35", saved at q35 then re-saved at q90 (the
  file's tables say 90; only the pixels show the damage).

Methods on each damaged crop: **ours** = the pipeline step (``restoration.decide`` in
``"when_needed"`` mode on the crop and its file bytes, then the net when it decides so:
a photo it misjudges as clean scores as the damaged input), and classical baselines given
the damage's true size (an oracle, generous to them: sigma = the RMS error of the damaged
crop against the original): scikit-image's non-local means (h = 0.8 sigma,
5 x 5 patches, distance 6, fast mode), bilateral (sigma_color = 2 sigma / 255, spatial 1.5),
total variation (Chambolle, weight 2 sigma / 255), Pillow ``SMOOTH`` and ``GaussianBlur(0.8)``.
PSNR on RGB (0-255) against the original, mean over photos.

``clean_changed``: the clean photos (whole, halved) saved at JPEG q95 go through the same
step; counted are those judged clean whose working image is not byte-identical to the
decoded photo (must be 0). Photos judged in need anyway are reported as false alarms.

Speed: ``cpu_mps`` = output megapixels per second of ``restore()`` on a 1024 x 1024 photo on
one CPU thread (``torch.set_num_threads(1)``), best of ``--repeats``, told the photo's
assessment as the pipeline tells it (the assessment is the decision's, made once, not timed),
at the default precision (bf16 on a CPU with native bf16, else fp32; forced fp32 printed
beside it); with CUDA also the GPU (bf16).

    .venv/bin/python benchmarks/restore.py --limit 16
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFilter, ImageOps
from skimage.restoration import denoise_bilateral, denoise_nl_means, denoise_tv_chambolle

if __package__ in (None, ""):  # run as a file: import the repo's package without installing it
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gan_imaging.core.bundled import restore_path  # noqa: E402
from gan_imaging.core.gan.restore import get_model, native_bf16, restore  # noqa: E402
from gan_imaging.core.gan.superres import is_held_out  # noqa: E402
from gan_imaging.core.imaging.artefacts import assess  # noqa: E402
from gan_imaging.core.pipelines import restoration  # noqa: E402

SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
LEVELS = (("jpeg", 20), ("jpeg", 35), ("jpeg", 50), ("noise", 5), ("noise", 10), ("noise", 15),
          ("double", 35))
CLASSICAL = ("nlm", "bilateral", "tv", "pil_smooth", "pil_blur")


def held_out(root: Path, limit: int) -> list[str]:
    names = [str(p.relative_to(root)) for p in root.rglob("*") if p.suffix.lower() in SUFFIXES]
    names = [n for n in names if is_held_out(n)]
    return sorted(names, key=lambda n: hashlib.sha256(n.encode()).hexdigest())[:limit]


def clean_photo(path: Path) -> Image.Image:
    with Image.open(path) as f:
        im = ImageOps.exif_transpose(f).convert("RGBA")
    rgb = Image.new("RGB", im.size, (255, 255, 255))
    rgb.paste(im, mask=im.getchannel("A"))
    return rgb.reduce(2) if min(rgb.size) >= 384 else rgb


def textured_crop(im: Image.Image, side: int) -> Image.Image | None:
    if min(im.size) < side:
        return None
    y = np.asarray(im.convert("L"), dtype=np.float64)
    best, box = -1.0, (0, 0, side, side)
    step = max(8, side // 2 // 8 * 8)
    for top in range(0, im.height - side + 1, step):
        for left in range(0, im.width - side + 1, step):
            w = y[top : top + side, left : left + side]
            v = float(np.abs(np.diff(w, axis=0)).mean() + np.abs(np.diff(w, axis=1)).mean())
            if v > best:
                best, box = v, (left, top, left + side, top + side)
    return im.crop(box)


def damage(im: Image.Image, kind: str, level: int, seed: int) -> tuple[Image.Image, bytes]:
    """The damaged crop and its file bytes (JPEG, or PNG for noise)."""
    buf = io.BytesIO()
    if kind == "jpeg":
        im.save(buf, "JPEG", quality=level)
    elif kind == "double":  # a marketplace re-export: q35, then q90 (the tables say 90)
        first = io.BytesIO()
        im.save(first, "JPEG", quality=level)
        with Image.open(first) as f:
            f.convert("RGB").save(buf, "JPEG", quality=90)
    else:
        a = np.asarray(im, dtype=np.float64)
        noisy = a + np.random.default_rng(seed).normal(0.0, level, a.shape)
        Image.fromarray(np.clip(noisy, 0, 255).round().astype(np.uint8)).save(buf, "PNG")
    data = buf.getvalue()
    with Image.open(io.BytesIO(data)) as f:
        return f.convert("RGB"), data


def psnr(a: Image.Image, b: Image.Image) -> float:
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    return float(10 * np.log10(255.0**2 / max(float((d**2).mean()), 1e-10)))


def classical(im: Image.Image, original: Image.Image) -> dict[str, Image.Image]:
    """The baselines, each given the damage's true size (an oracle): sigma = the RMS error
    of the damaged crop against the original, on the [0, 1] scale."""
    x = np.asarray(im, dtype=np.float64) / 255.0
    err = x - np.asarray(original, dtype=np.float64) / 255.0
    s = max(float(np.sqrt((err**2).mean())), 1e-3)
    to_im = lambda a: Image.fromarray((np.clip(a, 0, 1) * 255).round().astype(np.uint8))  # noqa: E731
    return {
        "nlm": to_im(denoise_nl_means(x, h=0.8 * s, sigma=s, fast_mode=True, patch_size=5,
                                      patch_distance=6, channel_axis=-1)),
        "bilateral": to_im(denoise_bilateral(x, sigma_color=2 * s, sigma_spatial=1.5,
                                             channel_axis=-1)),
        "tv": to_im(denoise_tv_chambolle(x, weight=2 * s, channel_axis=-1)),
        "pil_smooth": im.filter(ImageFilter.SMOOTH),
        "pil_blur": im.filter(ImageFilter.GaussianBlur(0.8)),
    }


def restorer(model: object):  # noqa: ANN201
    """The pipeline's restorer for ``model``: told the noise and quality assessed."""
    return lambda x, a: restore(x, model, noise=a.noise if a else None,  # type: ignore[arg-type]
                                quality=a.quality if a else None)


def ours(im: Image.Image, data: bytes, model: object) -> tuple[Image.Image, bool]:
    decision = restoration.decide(im, data, "when_needed")
    out, _meta = restoration.apply(im, decision, restorer(model))
    return out.convert("RGB"), decision.restore


def speed(model: object, photo: Image.Image, repeats: int, device: str,
          precision: str = "auto") -> float:
    big = photo.resize((1024, 1024), Image.Resampling.BICUBIC)
    a = assess(big)  # the pipeline's decision assesses once and tells the net (not timed)
    told = {"noise": a.noise, "quality": a.quality, "precision": precision}
    restore(big, model, device=device, **told)  # type: ignore[arg-type]
    best = float("inf")
    for _ in range(repeats):
        if device == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        restore(big, model, device=device, **told)  # type: ignore[arg-type]
        if device == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t)
    return 1024 * 1024 / 1e6 / best


def save_grid(rows: list[list[tuple[str, Image.Image]]], out: Path, jpeg: Path | None) -> None:
    cell = rows[0][0][1].width
    cols = max(len(r) for r in rows)
    grid = Image.new("RGB", (cols * (cell + 4) + 4, len(rows) * (cell + 18) + 4), "white")
    draw = ImageDraw.Draw(grid)
    for r, row in enumerate(rows):
        for c, (label, im) in enumerate(row):
            x0, y0 = 4 + c * (cell + 4), 4 + r * (cell + 18)
            draw.text((x0, y0), label, fill="black")
            grid.paste(im, (x0, y0 + 14))
    out.parent.mkdir(parents=True, exist_ok=True)
    grid.save(out)
    print(f"grid: {out}")
    if jpeg is not None:
        jpeg.parent.mkdir(parents=True, exist_ok=True)
        grid.save(jpeg, "JPEG", quality=92)
        print(f"grid (JPEG q92): {jpeg} ({jpeg.stat().st_size / 1024:.0f} KiB)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--photos", type=Path, default=Path("/work/shared/datasets/products"))
    ap.add_argument("--limit", type=int, default=16)
    ap.add_argument("--crop", type=int, default=256)
    ap.add_argument("--model", type=Path, default=None, help="default: the bundled PSNR model")
    ap.add_argument("--out", type=Path, default=Path("var/bench/restore_grid.png"))
    ap.add_argument("--grid-jpeg", type=Path, default=None, help="also write the grid as JPEG")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(1)
    if not args.photos.is_dir():
        print(f"skipped: no photo folder at {args.photos}")
        return
    model = get_model(args.model or restore_path())
    print(f"model: {model.model_version} ({sum(p.numel() for p in model.net.parameters()):,} "
          "parameters)")
    names = held_out(args.photos, args.limit)
    scores: dict[tuple[str, int], dict[str, list[float]]] = {}
    caught: dict[tuple[str, int], int] = {}
    rows: list[list[tuple[str, Image.Image]]] = []
    clean_changed = clean_alarms = n_clean = 0
    alarm_psnr: list[float] = []
    alarm_psnr_in: list[float] = []
    first = None
    for i, name in enumerate(names):
        photo = clean_photo(args.photos / name)
        first = first or photo
        buf = io.BytesIO()
        photo.save(buf, "JPEG", quality=95)
        with Image.open(io.BytesIO(buf.getvalue())) as f:
            decoded = f.convert("RGB")
        decision = restoration.decide(decoded, buf.getvalue(), "when_needed")
        n_clean += 1
        if decision.restore:  # how much the net changes a clean photo it was sent wrongly
            clean_alarms += 1
            work, _ = restoration.apply(decoded, decision, restorer(model))
            alarm_psnr.append(psnr(work.convert("RGB"), photo))
            alarm_psnr_in.append(psnr(decoded, photo))
        else:
            work, _ = restoration.apply(decoded, decision, restorer(model))
            clean_changed += int(work is not decoded and work.tobytes() != decoded.tobytes())
        crop = textured_crop(photo, args.crop)
        if crop is None:
            continue
        for kind, level in LEVELS:
            bad, data = damage(crop, kind, level, seed=i)
            outs = {"damaged": bad, **classical(bad, crop)}
            outs["ours"], hit = ours(bad, data, model)
            caught[(kind, level)] = caught.get((kind, level), 0) + int(hit)
            table = scores.setdefault((kind, level), {})
            for m, im in outs.items():
                table.setdefault(m, []).append(psnr(crop, im))
            if len(rows) < 4 and (kind, level) in (("jpeg", 20), ("noise", 15)) and i % 2 == 0:
                best = max(CLASSICAL, key=lambda m: psnr(crop, outs[m]))
                c = args.crop // 2
                box = ((crop.width - c) // 2, (crop.height - c) // 2)
                box4 = (*box, box[0] + c, box[1] + c)
                lab = f"q{level}" if kind == "jpeg" else f"s{level}"
                rows.append([(f"damaged {lab}", bad.crop(box4)), (best, outs[best].crop(box4)),
                             ("ours", outs["ours"].crop(box4)), ("original", crop.crop(box4))])
        print(f"  {name}", flush=True)

    print(f"\n{len(names)} held-out photos, {args.crop} px textured crops; PSNR (dB, RGB)")
    header = f"{'damage':<9} {'caught':>6} {'damaged':>8} " + " ".join(
        f"{m:>10}" for m in CLASSICAL) + f" {'ours':>7} {'gain':>6} {'vs best':>8}"
    print(header)
    gains: dict[str, list[float]] = {"jpeg": [], "noise": [], "double": []}
    margins = []
    for kind, level in LEVELS:
        t = {m: float(np.mean(v)) for m, v in scores.get((kind, level), {}).items()}
        if not t:
            continue
        best = max(t[m] for m in CLASSICAL)
        gain, margin = t["ours"] - t["damaged"], t["ours"] - best
        gains[kind].append(gain)
        if kind != "double":  # an extra row: the RESULT keys are the six levels
            margins.append(margin)
        n = len(scores[(kind, level)]["ours"])
        print(f"{kind + str(level):<9} {caught[(kind, level)]:>3}/{n:<2} {t['damaged']:8.2f} "
              + " ".join(f"{t[m]:10.2f}" for m in CLASSICAL)
              + f" {t['ours']:7.2f} {gain:+6.2f} {margin:+8.2f}")
    print(f"clean q95 photos: {n_clean}, judged in need (false alarms): {clean_alarms}, "
          f"judged clean but changed: {clean_changed}")
    if alarm_psnr:
        print("false alarms restored anyway, PSNR against the photo before its q95 save: "
              + ", ".join(f"{b:.2f} -> {a:.2f} dB" for a, b in zip(alarm_psnr, alarm_psnr_in)))

    photo = first or Image.new("RGB", (512, 512), "grey")
    cpu_mps = speed(model, photo, args.repeats, "cpu")
    native = native_bf16(torch.device("cpu"))
    print(f"speed: restore() 1024 x 1024 on 1 CPU thread: {cpu_mps:.2f} MP/s "
          f"({'bf16: this CPU has native bf16' if native else 'fp32'}; forced fp32: "
          f"{speed(model, photo, args.repeats, 'cpu', 'fp32'):.2f} MP/s)")
    if torch.cuda.is_available():
        print(f"speed: GPU bf16 ({torch.cuda.get_device_name()}): "
              f"{speed(model, photo, 10, 'cuda'):.1f} MP/s")
    if rows:
        save_grid(rows, args.out, args.grid_jpeg)
    nan = float("nan")
    print(f"RESULT psnr_gain_jpeg={np.mean(gains['jpeg']) if gains['jpeg'] else nan:.3f} "
          f"psnr_gain_noise={np.mean(gains['noise']) if gains['noise'] else nan:.3f} "
          f"vs_classical={min(margins) if margins else nan:.3f} "
          f"clean_changed={clean_changed} cpu_mps={cpu_mps:.3f}")


if __name__ == "__main__":
    main()
