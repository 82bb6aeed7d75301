"""Synthetic damage for training the restoration net: what supplier photos go through.

Each clean patch gets one recipe, drawn from the caller's numpy generator (reproducible):

========== ====== ==========================================================================
recipe     share  what
========== ====== ==========================================================================
jpeg       30 %   one JPEG save at quality 10-60, chroma 4:2:0 (70 %) or 4:4:4
double     12 %   JPEG at 10-60, then re-saved at a higher quality (q1 + 10 to 95)
gauss      22 %   Gaussian noise, sigma 1-20 (0-255 scale), independent per channel (75 %)
                  or the same in all three (luma-like)
poisson    10 %   Poisson-Gaussian (signal-dependent) noise: variance k * x + r^2,
                  k 0.05-0.5, r 1-8 (a phone sensor after its gain)
noise+jpeg 12 %   Gaussian noise sigma 2-10, then JPEG at 30-90
blur+jpeg   6 %   mild Gaussian blur (sigma 0.3-1.0 px), then JPEG at 20-70
clean       8 %   untouched, or JPEG at 90-95: the net must learn to leave these alone
========== ====== ==========================================================================

JPEG goes through Pillow (what an upload went through); the 8 x 8 grid starts at the patch's
top-left corner, as it does in the tiles inference cuts (multiples of 8 px).

For a conditioned net (:func:`degrade_batch_cond`) each damaged patch also gets what the
restoration step's assessment would read on it: the noise sigma from the patch's pixels
(:func:`~gan_imaging.core.imaging.artefacts.noise_sigma`, the same estimator, so its bias on
texture and after JPEG is learnt) and the effective JPEG quality (the last save's, or the
first save's for a double save, which is what the pixels show).
"""

from __future__ import annotations

import io

import numpy as np
import numpy.typing as npt
import torch
from PIL import Image, ImageFilter

from gan_imaging.core.gan.restore import conditioning
from gan_imaging.core.imaging.artefacts import noise_sigma

RECIPES = ("jpeg", "double", "gauss", "poisson", "noise+jpeg", "blur+jpeg", "clean")
SHARES = (0.30, 0.12, 0.22, 0.10, 0.12, 0.06, 0.08)


def jpeg(arr: np.ndarray, quality: int, *, subsampling: int = 2) -> np.ndarray:
    """uint8 (H, W, 3) through a Pillow JPEG at ``quality`` (1-95) and back.
    subsampling: 0 (4:4:4), 1 (4:2:2) or 2 (4:2:0)."""
    buf = io.BytesIO()
    Image.fromarray(arr, "RGB").save(buf, "JPEG", quality=int(quality), subsampling=subsampling)
    buf.seek(0)
    with Image.open(buf) as im:
        return np.asarray(im.convert("RGB"))


def add_noise(arr: np.ndarray, sigma: float, rng: np.random.Generator, *,
              same_in_channels: bool = False) -> np.ndarray:
    """uint8 (H, W, 3) plus Gaussian noise of ``sigma`` (0-255 scale), clipped and rounded."""
    shape = arr.shape[:2] + (1,) if same_in_channels else arr.shape
    noisy = arr.astype(np.float64) + rng.normal(0.0, sigma, shape)
    return np.clip(noisy, 0, 255).round().astype(np.uint8)


def _poisson_gauss(arr: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    k, r = rng.uniform(0.05, 0.5), rng.uniform(1.0, 8.0)
    x = arr.astype(np.float64)
    noisy = x + rng.normal(0.0, 1.0, x.shape) * np.sqrt(k * x + r * r)
    return np.clip(noisy, 0, 255).round().astype(np.uint8)


def damage_q(arr: np.ndarray, recipe: str, rng: np.random.Generator
             ) -> tuple[np.ndarray, int | None]:
    """One uint8 (H, W, 3) patch damaged by ``recipe`` (one of :data:`RECIPES`) and its
    effective JPEG quality (None: not JPEG-compressed)."""
    sub = 2 if rng.random() < 0.7 else 0
    if recipe == "jpeg":
        q = int(rng.integers(10, 61))
        return jpeg(arr, q, subsampling=sub), q
    if recipe == "double":
        q1 = int(rng.integers(10, 61))
        once = jpeg(arr, q1, subsampling=sub)
        return jpeg(once, int(rng.integers(q1 + 10, 96)), subsampling=sub), q1
    if recipe == "gauss":
        sigma = rng.uniform(1.0, 20.0)
        return add_noise(arr, sigma, rng, same_in_channels=rng.random() < 0.25), None
    if recipe == "poisson":
        return _poisson_gauss(arr, rng), None
    if recipe == "noise+jpeg":
        noisy = add_noise(arr, rng.uniform(2.0, 10.0), rng)
        q = int(rng.integers(30, 91))
        return jpeg(noisy, q, subsampling=sub), q
    if recipe == "blur+jpeg":
        blurred = Image.fromarray(arr).filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)))
        q = int(rng.integers(20, 71))
        return jpeg(np.asarray(blurred), q, subsampling=sub), q
    if recipe == "clean":
        if rng.random() < 0.5:
            return arr, None
        q = int(rng.integers(90, 96))
        return jpeg(arr, q), q
    raise ValueError(f"unknown recipe {recipe!r}; use one of {RECIPES}")


def damage(arr: np.ndarray, recipe: str, rng: np.random.Generator) -> np.ndarray:
    """One uint8 (H, W, 3) patch damaged by ``recipe`` (one of :data:`RECIPES`)."""
    return damage_q(arr, recipe, rng)[0]


def _damage_batch(clean: torch.Tensor, rng: np.random.Generator,
                  p: npt.NDArray[np.float64] | tuple[float, ...]
                  ) -> list[tuple[np.ndarray, int | None]]:
    """Each (H, W, 3) patch of ``clean`` uint8 (B, 3, H, W) damaged by a recipe drawn with
    probabilities ``p``, with its effective JPEG quality."""
    arrs = clean.permute(0, 2, 3, 1).contiguous().numpy()
    picks = rng.choice(len(RECIPES), size=len(arrs), p=p)
    return [damage_q(a, RECIPES[int(k)], rng) for a, k in zip(arrs, picks)]


def _tensor(patches: list[np.ndarray]) -> torch.Tensor:
    return torch.from_numpy(np.stack(patches)).permute(0, 3, 1, 2).contiguous()


def degrade_batch_cond(clean: torch.Tensor, rng: np.random.Generator,
                       shares: tuple[float, ...] = SHARES) -> tuple[torch.Tensor, torch.Tensor]:
    """Damaged copies of ``clean`` uint8 (B, 3, H, W), one recipe each: uint8 (B, 3, H, W)
    and float32 (B, 2), each row :func:`~gan_imaging.core.gan.restore.conditioning` of the
    noise the estimator reads on the damaged patch and its effective JPEG quality. shares:
    each recipe's probability, in :data:`RECIPES` order (default :data:`SHARES`)."""
    damaged = _damage_batch(clean, rng, np.asarray(shares) / sum(shares))
    cond = [conditioning(noise_sigma(d), q) for d, q in damaged]
    return _tensor([d for d, _q in damaged]), torch.tensor(cond, dtype=torch.float32)


def degrade_batch(clean: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Damaged copies of ``clean`` uint8 (B, 3, H, W): uint8 (B, 3, H, W), one recipe each."""
    return _tensor([d for d, _q in _damage_batch(clean, rng, SHARES)])
