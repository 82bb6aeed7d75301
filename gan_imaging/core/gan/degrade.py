"""Degradations that turn a high-resolution photo patch into a plausible small upload.

Self-supervised super-resolution pairs come from any folder of photos: the photo is the target
and a degraded, downscaled copy the input. The degradation chain follows Real-ESRGAN's
first-order model (blur, resize, noise, JPEG), lighter than theirs because merchants' small
uploads are mostly resized exports, not phone snapshots of screens:

    HR (B, 3, H, W) in [0, 1] -> optional Gaussian blur -> downscale by ``scale`` (bicubic,
    bilinear or area, antialiased) -> optional Gaussian noise -> optional JPEG -> uint8 levels

Every random choice is drawn from the caller's CPU ``torch.Generator``, so a training run is
reproducible on any device. JPEG round-trips through Pillow on the CPU (exactly what an upload
went through).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

RESIZE_MODES = ("bicubic", "bilinear", "area")


@dataclass(frozen=True)
class Degradation:
    """One preset. Probabilities are per sample in [0, 1].

    blur_p / blur_sigma: chance of a Gaussian blur and its largest sigma, in HR pixels per unit
    of scale (sigma is drawn uniformly from [0.2, blur_sigma * scale]).
    resize_p: relative weights of the downscale filters in :data:`RESIZE_MODES`.
    noise_p / noise_max: chance of Gaussian noise and its largest sigma on the 0-255 scale.
    jpeg_p / jpeg_min: chance of a JPEG round trip and the lowest quality (up to 95).
    """

    blur_p: float = 0.0
    blur_sigma: float = 0.5
    resize_p: tuple[float, float, float] = (1.0, 0.0, 0.0)
    noise_p: float = 0.0
    noise_max: float = 0.0
    jpeg_p: float = 0.0
    jpeg_min: int = 95


DEGRADATIONS: dict[str, Degradation] = {
    # Plain antialiased bicubic downscale: what a benchmark (and a resized export) does.
    "none": Degradation(),
    # The PSNR-oriented default: mostly clean resizes, some mild noise and JPEG.
    "light": Degradation(
        resize_p=(0.8, 0.1, 0.1), noise_p=0.2, noise_max=3.0, jpeg_p=0.3, jpeg_min=75
    ),
    # For the GAN-sharpened variant: blurrier, noisier, more compressed inputs.
    "strong": Degradation(
        blur_p=0.5,
        blur_sigma=0.6,
        resize_p=(0.5, 0.25, 0.25),
        noise_p=0.5,
        noise_max=10.0,
        jpeg_p=0.7,
        jpeg_min=40,
    ),
}


def _uniform(n: int, lo: float, hi: float, rng: torch.Generator) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(n, generator=rng, dtype=torch.float64)


def _gaussian_blur(x: torch.Tensor, sigmas: torch.Tensor) -> torch.Tensor:
    """Blur each image of ``x`` (B, C, H, W) with its own isotropic sigma (HR pixels)."""
    b, c, h, w = x.shape
    radius = max(1, math.ceil(3 * float(sigmas.max())))
    radius = min(radius, (min(h, w) - 1) // 2)
    t = torch.arange(-radius, radius + 1, dtype=torch.float64)
    g = torch.exp(-(t[None] ** 2) / (2 * sigmas[:, None] ** 2))
    g = (g / g.sum(1, keepdim=True)).to(x)  # (B, k)
    k = g.shape[1]
    padded = F.pad(x.reshape(1, b * c, h, w), (radius,) * 4, mode="reflect")
    wy = g.repeat_interleave(c, 0).reshape(b * c, 1, k, 1)
    wx = g.repeat_interleave(c, 0).reshape(b * c, 1, 1, k)
    out = F.conv2d(F.conv2d(padded, wy, groups=b * c), wx, groups=b * c)
    return out.reshape(b, c, h, w)


def downscale(x: torch.Tensor, scale: int, mode: str = "bicubic") -> torch.Tensor:
    """Antialiased downscale of (B, C, H, W) by an integer ``scale`` (H, W multiples of it)."""
    size = (x.shape[2] // scale, x.shape[3] // scale)
    if mode == "area":
        return F.avg_pool2d(x, scale)
    return F.interpolate(x, size=size, mode=mode, antialias=True, align_corners=False)


def jpeg_roundtrip(x: torch.Tensor, quality: int) -> torch.Tensor:
    """One (C, H, W) image in [0, 1] through a Pillow JPEG at ``quality`` (1-95) and back."""
    arr = (x.detach().float().clamp(0, 1) * 255).round().to(torch.uint8).cpu()
    buf = io.BytesIO()
    Image.fromarray(arr.permute(1, 2, 0).numpy(), "RGB").save(buf, "JPEG", quality=int(quality))
    buf.seek(0)
    back = np.asarray(Image.open(buf).convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(back).permute(2, 0, 1).to(x)


def degrade(
    hr: torch.Tensor, scale: int, preset: Degradation | str, rng: torch.Generator
) -> torch.Tensor:
    """Low-resolution inputs for the HR batch ``hr``: float (B, 3, H, W) in [0, 1] ->
    float (B, 3, H / scale, W / scale) in [0, 1], quantised to 8-bit levels."""
    p = DEGRADATIONS[preset] if isinstance(preset, str) else preset
    b = hr.shape[0]
    x = hr
    blur = torch.rand(b, generator=rng) < p.blur_p
    sigmas = _uniform(b, 0.2, max(0.2, p.blur_sigma * scale), rng)
    modes = torch.multinomial(torch.tensor(p.resize_p), b, replacement=True, generator=rng)
    noisy = torch.rand(b, generator=rng) < p.noise_p
    noise_sigma = _uniform(b, 0.0, p.noise_max, rng) / 255.0
    jpeg = torch.rand(b, generator=rng) < p.jpeg_p
    quality = torch.randint(min(p.jpeg_min, 95), 96, (b,), generator=rng)
    if bool(blur.any()):
        idx = blur.nonzero().flatten()
        x = x.clone()
        x[idx.to(x.device)] = _gaussian_blur(x[idx.to(x.device)], sigmas[idx])
    lr = torch.empty(b, hr.shape[1], hr.shape[2] // scale, hr.shape[3] // scale).to(hr)
    for m, mode in enumerate(RESIZE_MODES):
        idx = (modes == m).nonzero().flatten().to(x.device)
        if idx.numel():
            lr[idx] = downscale(x[idx], scale, mode)
    noise = (
        torch.randn(lr.shape, generator=rng).to(lr)
        * (noise_sigma * noisy).to(lr)[:, None, None, None]
    )
    lr = (lr + noise).clamp(0, 1)
    for i in jpeg.nonzero().flatten().tolist():
        lr[i] = jpeg_roundtrip(lr[i], int(quality[i]))
    return (lr * 255).round() / 255
