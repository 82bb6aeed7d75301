"""Super-resolution: bundled x2 / x4 upscalers vs bicubic, Lanczos and Real-ESRGAN's compact net.

Quality: held-out photos of ``--photos`` (``is_held_out(name)`` True: the ~20 % of names that
``scripts/train_sr.py`` never trains on), taken in sha256-of-name order, ``--limit`` of them.
Each photo is composited on white and cropped to a multiple of 4 (photos over 4 MP: the
central 2048 x 2048). It is downscaled x2 and x4 with Pillow's antialiased bicubic, restored
by each method, and compared with the original on BT.601 luma (float) over the *whole image*
minus a border of ``scale`` px: PSNR (dB) and SSIM (``imaging.quality.ssim``, 8-bit luma).
"tex" repeats PSNR on textured 16 x 16 blocks only (original luma std >= 10), because product
photos are mostly flat backdrop that every method gets right.

Speed: CPU output megapixels/s of the bare nets on the same batch of four 64 x 64 low-res tiles
(x4 -> 256 x 256), best of ``--repeats``: ours vs Real-ESRGAN's SRVGGNetCompact (64 features,
32 convs, x4, PReLU; ``realesr-general-x4v3``'s shape), written out below with random weights
(weights do not change the cost). With ``--device cuda`` the quality runs use the GPU (bf16)
and GPU megapixels/s are measured too (batch of 16 tiles of 128 px).

    .venv/bin/python benchmarks/super_resolution.py --limit 24
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw, ImageOps
from torch import nn

if __package__ in (None, ""):  # run as a file: import the repo's package without installing it
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gan_imaging.core.gan import load  # noqa: E402
from gan_imaging.core.gan.superres import is_held_out, upscale  # noqa: E402
from gan_imaging.core.gan.weights import WEIGHTS_DIR  # noqa: E402
from gan_imaging.core.imaging.quality import ssim  # noqa: E402

SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


class SRVGGNetCompact(nn.Module):
    """Real-ESRGAN ``basicsr/archs/srvgg_arch.py`` (BSD-3-Clause), re-typed: the anchor."""

    def __init__(self, num_feat: int = 64, num_conv: int = 32, upscale: int = 4):
        super().__init__()
        self.upscale = upscale
        layers: list[nn.Module] = [nn.Conv2d(3, num_feat, 3, 1, 1), nn.PReLU(num_feat)]
        for _ in range(num_conv):
            layers += [nn.Conv2d(num_feat, num_feat, 3, 1, 1), nn.PReLU(num_feat)]
        layers.append(nn.Conv2d(num_feat, 3 * upscale * upscale, 3, 1, 1))
        self.body = nn.Sequential(*layers)
        self.upsampler = nn.PixelShuffle(upscale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.upsampler(self.body(x))
        return out + F.interpolate(x, scale_factor=self.upscale, mode="nearest")


def held_out(root: Path, limit: int) -> list[str]:
    names = [str(p.relative_to(root)) for p in root.rglob("*") if p.suffix.lower() in SUFFIXES]
    names = [n for n in names if is_held_out(n)]
    return sorted(names, key=lambda n: hashlib.sha256(n.encode()).hexdigest())[:limit]


def open_hr(path: Path) -> Image.Image:
    with Image.open(path) as f:
        im = ImageOps.exif_transpose(f).convert("RGBA")
    rgb = Image.new("RGB", im.size, (255, 255, 255))
    rgb.paste(im, mask=im.getchannel("A"))
    w, h = rgb.size
    if w * h > 4_000_000:
        side = 2048
        left, top = max(0, (w - side) // 2), max(0, (h - side) // 2)
        rgb = rgb.crop((left, top, left + min(side, w), top + min(side, h)))
    w, h = rgb.size
    return rgb.crop((0, 0, w - w % 4, h - h % 4))


def luma(im: Image.Image) -> np.ndarray:
    a = np.asarray(im, dtype=np.float64)
    return a[..., 0] * 0.299 + a[..., 1] * 0.587 + a[..., 2] * 0.114


def psnr(mse: float) -> float:
    return 10 * np.log10(255.0**2 / max(mse, 1e-10))


def scores(ref: Image.Image, out: Image.Image, border: int) -> tuple[float, float, float]:
    """(PSNR, tex PSNR, SSIM) on luma without ``border`` px."""
    yr, yo = luma(ref), luma(out)
    b = slice(border, -border)
    yr, yo = yr[b, b], yo[b, b]
    err = (yr - yo) ** 2
    h, w = (yr.shape[0] // 16) * 16, (yr.shape[1] // 16) * 16
    blocks = lambda a: a[:h, :w].reshape(h // 16, 16, w // 16, 16)  # noqa: E731
    tex = blocks(yr).std(axis=(1, 3)) >= 10
    tex_mse = float(blocks(err).mean(axis=(1, 3))[tex].mean()) if tex.any() else float("nan")
    s = ssim(yr.round().astype(np.uint8), yo.round().astype(np.uint8))
    return psnr(float(err.mean())), psnr(tex_mse), s


def time_net(net: nn.Module, x: torch.Tensor, repeats: int, cuda: bool) -> float:
    """Best seconds per forward of ``net`` on ``x``."""
    best = float("inf")
    ctx = torch.autocast("cuda", dtype=torch.bfloat16) if cuda else contextlib.nullcontext()
    with torch.no_grad(), ctx:
        net(x)
        for _ in range(repeats):
            if cuda:
                torch.cuda.synchronize()
            t = time.perf_counter()
            net(x)
            if cuda:
                torch.cuda.synchronize()
            best = min(best, time.perf_counter() - t)
    return best


def texture_box(im: Image.Image, side: int) -> tuple[int, int, int, int]:
    y = luma(im)
    best, box = -1.0, (0, 0, side, side)
    for top in range(0, im.height - side + 1, side // 2):
        for left in range(0, im.width - side + 1, side // 2):
            v = float(np.abs(np.diff(y[top : top + side, left : left + side], axis=1)).mean())
            if v > best:
                best, box = v, (left, top, left + side, top + side)
    return box


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--photos", type=Path, default=Path("/work/shared/datasets/products"))
    ap.add_argument("--limit", type=int, default=24)
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--weights", type=Path, default=WEIGHTS_DIR, help="folder with sr_x*.*")
    ap.add_argument("--out", type=Path, default=Path("var/bench/sr_grid.png"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    models = {}
    for s in (2, 4):
        for v in ("", "_gan"):
            p = args.weights / f"sr_x{s}{v}.safetensors"
            if p.exists():
                models[(s, v or "_psnr")] = load(p, device=args.device)
                print(f"x{s}{v or '_psnr'}: {models[(s, v or '_psnr')].model_version}")
    names = held_out(args.photos, args.limit) if args.photos.is_dir() else []
    table: dict[tuple[int, str], list[tuple[float, float, float]]] = {}
    tiles: list[np.ndarray] = []
    grid_rows: list[list[tuple[str, Image.Image]]] = []
    for n, name in enumerate(names):
        hr = open_hr(args.photos / name)
        for s in (2, 4):
            lr = hr.resize((hr.width // s, hr.height // s), Image.Resampling.BICUBIC)
            outs = {
                "bicubic": lr.resize(hr.size, Image.Resampling.BICUBIC),
                "lanczos": lr.resize(hr.size, Image.Resampling.LANCZOS),
            }
            for (ms, v), ck in models.items():
                if ms == s:
                    outs[f"ours{v}"] = upscale(lr, ck, scale=s, device=args.device)
            for m, out in outs.items():
                table.setdefault((s, m), []).append(scores(hr, out, s))
            if s == 4 and len(tiles) < 4 and min(lr.size) >= 64:
                tiles.append(np.asarray(lr.crop(texture_box(lr, 64)), dtype=np.float32))
            if n < 3:
                box = texture_box(hr, 160)
                row = [(f"original x{s}", hr.crop(box))]
                grid_rows.append(row + [(k, o.crop(box)) for k, o in outs.items()])
        print(f"  {name}: {hr.width}x{hr.height}", flush=True)

    print(f"\n{len(names)} held-out photos (whole image, luma); mean over photos")
    print(f"{'scale':>5} {'method':<10} {'PSNR':>7} {'tex PSNR':>9} {'SSIM':>7}")
    gains: dict[str, float] = {}
    for (s, m), vals in sorted(table.items()):
        a = np.array(vals)
        p, tex, ss = a[:, 0].mean(), np.nanmean(a[:, 1]), a[:, 2].mean()
        print(f"  x{s:<3} {m:<10} {p:7.2f} {tex:9.2f} {ss:7.4f}")
    for s in (2, 4):
        if (s, "ours_psnr") in table:
            ours, bic = np.array(table[(s, "ours_psnr")]), np.array(table[(s, "bicubic")])
            lan = np.array(table[(s, "lanczos")])
            gains[f"x{s}_gain_db"] = float(ours[:, 0].mean() - bic[:, 0].mean())
            gains[f"x{s}_tex_gain_db"] = float(np.nanmean(ours[:, 1]) - np.nanmean(bic[:, 1]))
            gains[f"x{s}_gain_vs_lanczos_db"] = float(ours[:, 0].mean() - lan[:, 0].mean())
            gains[f"x{s}_ssim_gain"] = float(ours[:, 2].mean() - bic[:, 2].mean())
    for key, gain in gains.items():
        print(f"  {key} = {gain:+.3f}")

    # --- speed: the same low-res tiles through both nets ---
    if len(tiles) < 4:
        rng = np.random.default_rng(0)
        tiles += [rng.uniform(0, 255, (64, 64, 3)).astype(np.float32)] * (4 - len(tiles))
    x = torch.from_numpy(np.stack(tiles)).permute(0, 3, 1, 2) / 127.5 - 1
    ours4 = (models.get((4, "_psnr")) or load(args.weights / "sr_x4.safetensors")).generator
    ours4 = load_cpu(ours4)
    compact = SRVGGNetCompact().eval()
    out_mp = x.shape[0] * (64 * 4) ** 2 / 1e6
    t_ours = time_net(ours4, x, args.repeats, False)
    t_compact = time_net(compact, x, args.repeats, False)
    cpu_mps, compact_mps = out_mp / t_ours, out_mp / t_compact
    n_ours = sum(p.numel() for p in ours4.parameters())
    n_comp = sum(p.numel() for p in compact.parameters())
    print(f"\nCPU ({args.threads} thread(s)), 4 tiles 64->256 px, best of {args.repeats}:")
    print(f"  ours x4    {n_ours:>9,} params  {t_ours * 1000:8.1f} ms  {cpu_mps:6.3f} MP/s")
    print(f"  compact x4 {n_comp:>9,} params  {t_compact * 1000:8.1f} ms  {compact_mps:6.3f} MP/s")
    result = {
        "x2_gain_db": gains.get("x2_gain_db", float("nan")),
        "x4_gain_db": gains.get("x4_gain_db", float("nan")),
        "cpu_mps": cpu_mps,
        "cpu_speed_vs_compact": t_compact / t_ours,
    }
    if args.device == "cuda":
        xg = torch.rand(16, 3, 128, 128, device="cuda") * 2 - 1
        g_ours, g_comp = ours4.to("cuda"), compact.to("cuda")
        t_go = time_net(g_ours, xg, 30, True)
        t_gc = time_net(g_comp, xg, 30, True)
        mp = 16 * 512**2 / 1e6
        print(f"GPU bf16 ({torch.cuda.get_device_name()}), 16 tiles 128->512 px:")
        print(f"  ours {mp / t_go:8.1f} MP/s   compact {mp / t_gc:8.1f} MP/s")
        result["gpu_mps"] = mp / t_go
        result["gpu_speed_vs_compact"] = t_gc / t_go

    if grid_rows:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        cols = max(len(r) for r in grid_rows)
        cell = 160
        grid = Image.new("RGB", (cols * (cell + 4) + 4, len(grid_rows) * (cell + 18) + 4), "white")
        draw = ImageDraw.Draw(grid)
        for r, row in enumerate(grid_rows):
            for c, (label, im) in enumerate(row):
                x0, y0 = 4 + c * (cell + 4), 4 + r * (cell + 18)
                draw.text((x0, y0), label, fill="black")
                grid.paste(im, (x0, y0 + 14))
        grid.save(args.out)
        print(f"grid: {args.out} (rows: photo x scale; crops of the most textured area)")
    print("RESULT " + " ".join(f"{k}={v:.3f}" for k, v in result.items()))


def load_cpu(net: nn.Module) -> nn.Module:
    return net.to("cpu").float().eval()


if __name__ == "__main__":
    main()
