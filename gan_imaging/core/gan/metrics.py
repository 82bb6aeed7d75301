"""Sample-quality metrics in a feature space we can train offline.

Inception-based FID/KID need weights downloaded at run time, which this project forbids. The
same statistics are computed here on features of a network trained locally instead; for MNIST
that is the penultimate layer (128 units, after ReLU) of the small CNN classifier trained by
``benchmarks/seed_case.py`` on the same 5,000 digits. Values are therefore comparable only
within one feature extractor: always report a real-vs-real baseline next to them.

Everything is float64 numpy; no scipy needed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch


def _as_features(x: np.ndarray | torch.Tensor) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().float().cpu().numpy()
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"features must be (N >= 2, D), got {x.shape}")
    return x


def frechet_distance(
    feats_a: np.ndarray | torch.Tensor, feats_b: np.ndarray | torch.Tensor
) -> float:
    """Fréchet distance between Gaussians fitted to two (N, D) feature sets (>= 0).

    ``|mu_a - mu_b|^2 + tr(S_a) + tr(S_b) - 2 tr((S_a S_b)^(1/2))``. The trace of the matrix
    square root is the sum of square roots of the eigenvalues of ``S_a S_b``, which are real and
    non-negative (it is similar to a PSD matrix); tiny negative round-off is clipped.
    """
    a, b = _as_features(feats_a), _as_features(feats_b)
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    eig = np.linalg.eigvals(cov_a @ cov_b)
    tr_sqrt = np.sqrt(np.clip(eig.real, 0, None)).sum()
    fd = float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * tr_sqrt)
    return max(fd, 0.0)


def kernel_inception_distance(
    feats_a: np.ndarray | torch.Tensor,
    feats_b: np.ndarray | torch.Tensor,
    *,
    subsets: int = 10,
    subset_size: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """KID (Bińkowski et al. 2018): unbiased MMD^2 with the cubic kernel ``(x.y / d + 1)^3``,
    averaged over random subsets. Returns (mean, std); unbiased, so it can be slightly < 0."""
    a, b = _as_features(feats_a), _as_features(feats_b)
    d = a.shape[1]
    m = min(subset_size, a.shape[0], b.shape[0])
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(subsets):
        x = a[rng.choice(a.shape[0], m, replace=False)]
        y = b[rng.choice(b.shape[0], m, replace=False)]
        kxx = (x @ x.T / d + 1) ** 3
        kyy = (y @ y.T / d + 1) ** 3
        kxy = (x @ y.T / d + 1) ** 3
        mmd = (
            (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
            + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
            - 2 * kxy.mean()
        )
        values.append(mmd)
    return float(np.mean(values)), float(np.std(values))


@torch.no_grad()
def extract_features(
    fn: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor, *, batch_size: int = 500
) -> np.ndarray:
    """Run a feature extractor over float NCHW images in batches -> float64 (N, D) numpy."""
    parts = [
        fn(images[i : i + batch_size]).flatten(1).double().cpu()
        for i in range(0, len(images), batch_size)
    ]
    return torch.cat(parts).numpy()
