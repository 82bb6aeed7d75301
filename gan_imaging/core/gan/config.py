"""Training configuration: one frozen dataclass, serialisable to and from JSON."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gan_imaging.core.errors import ConfigurationError, gettext_noop
from gan_imaging.core.gan.augment import parse_policy
from gan_imaging.core.gan.degrade import DEGRADATIONS
from gan_imaging.core.gan.losses import LOSSES

DEFAULT_DIFFAUGMENT = "color,translation,cutout"


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run (with the data and, on resume, a checkpoint).

    arch / arch_kwargs: an entry of ``nets.ARCHS`` and its keyword arguments.
    steps: total optimiser steps of D and G (one each per step), counted across resumes.
    batch_size: images per step for D's real batch, D's fake batch and G's batch.
    lr_g, lr_d, betas: Adam settings. loss: ``"ns"`` (non-saturating) or ``"hinge"``.
    r1_gamma: R1 weight (0 disables), applied every ``r1_interval`` steps and scaled by it.
    diffaugment: comma-separated DiffAugment ops (``"color,translation,cutout"``; ``""`` off).
    ema_decay: generator EMA decay in [0, 1); 0 disables EMA.
    seed: seeds initialisation, sampling and augmentation; same config + data + device ->
        identical weights on CPU.
    device: ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"``.
    bf16: bfloat16 autocast for the forward passes; honoured on CUDA only, ignored elsewhere.
    crop: texture GANs only: side in pixels of the random exemplar crops D sees
        (a multiple of 16 and of the generator's scale).
    name: a short label for the model version, e.g. ``"brick"`` -> ``texture-brick-1a2b3c4d``.
    log_every: ``progress`` is called every this many steps and at the end.
    lr_decay: share of the run, in [0, 1], at its end over which both learning rates fall
        linearly to 0 (0: constant rates). Ignored by ``sr``, which has its own cosine schedule.
    info_weight: InfoGAN mutual-information weight (0 off) for architectures built with a
        categorical code (``dcgan28``'s ``n_codes``): D's code head learns to recover G's code
        from fakes and G is rewarded when it can, so each code becomes a distinct mode.

    Super-resolution (``arch="sr"``) reads ``crop`` as the side of the high-resolution training
    patches (low-resolution side ``crop / scale``) and ignores ``diffaugment`` and ``r1_*``:
    warmup_steps: L1-only steps before the adversarial and feature-matching terms start.
    adv_weight: weight of the generator's adversarial loss (0: a pure L1, PSNR-oriented run
        that never builds a D step). fm_weight: weight of discriminator feature matching (L1
        between D's features of real and restored patches; only after warm-up, with adv_weight).
    degradation: a preset of ``degrade.DEGRADATIONS`` (``"none"``, ``"light"``, ``"strong"``)
        that makes the low-resolution inputs.
    pixel_loss: ``"l1"`` or ``"l2"`` (mean squared error: maximises PSNR directly and, on a
        short CPU budget, converges several times faster than L1 for the PSNR-oriented model).
    """

    arch: str = "dcgan28"
    arch_kwargs: Mapping[str, Any] = field(default_factory=dict)
    steps: int = 1000
    batch_size: int = 64
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    loss: str = "ns"
    r1_gamma: float = 0.0
    r1_interval: int = 4
    diffaugment: str = DEFAULT_DIFFAUGMENT
    ema_decay: float = 0.999
    seed: int = 0
    device: str = "auto"
    bf16: bool = False
    crop: int = 64
    name: str = ""
    log_every: int = 10
    warmup_steps: int = 0
    adv_weight: float = 0.0
    fm_weight: float = 0.0
    degradation: str = "light"
    pixel_loss: str = "l1"
    info_weight: float = 0.0
    lr_decay: float = 0.0

    def __post_init__(self) -> None:
        # Freeze a private copy so a caller mutating its dict cannot change a running config.
        object.__setattr__(self, "arch_kwargs", dict(self.arch_kwargs))
        object.__setattr__(self, "betas", tuple(float(b) for b in self.betas))
        problems = []
        if self.steps < 0:
            problems.append(f"steps must be >= 0 (got {self.steps})")
        if self.batch_size < 1:
            problems.append(f"batch_size must be >= 1 (got {self.batch_size})")
        if self.lr_g <= 0 or self.lr_d <= 0:
            problems.append("learning rates must be > 0")
        if len(self.betas) != 2 or not all(0.0 <= b < 1.0 for b in self.betas):
            problems.append(f"betas must be two numbers in [0, 1) (got {self.betas})")
        if self.loss not in LOSSES:
            problems.append(f"loss must be one of {LOSSES} (got {self.loss!r})")
        if self.r1_gamma < 0 or self.r1_interval < 1:
            problems.append("r1_gamma must be >= 0 and r1_interval >= 1")
        if not 0.0 <= self.ema_decay < 1.0:
            problems.append(f"ema_decay must be in [0, 1) (got {self.ema_decay})")
        if self.crop < 16 or self.crop % 16:
            problems.append(f"crop must be a positive multiple of 16 (got {self.crop})")
        if self.log_every < 1:
            problems.append("log_every must be >= 1")
        if not 0.0 <= self.lr_decay <= 1.0:
            problems.append(f"lr_decay must be in [0, 1] (got {self.lr_decay})")
        if min(self.warmup_steps, self.adv_weight, self.fm_weight, self.info_weight) < 0:
            problems.append("warmup_steps, adv_weight, fm_weight and info_weight must be >= 0")
        if self.pixel_loss not in ("l1", "l2"):
            problems.append(f"pixel_loss must be 'l1' or 'l2' (got {self.pixel_loss!r})")
        if self.degradation not in DEGRADATIONS:
            known = ", ".join(sorted(DEGRADATIONS))
            problems.append(f"degradation must be one of {known} (got {self.degradation!r})")
        try:
            parse_policy(self.diffaugment)
        except ValueError as exc:
            problems.append(str(exc))
        if problems:
            raise ConfigurationError(
                gettext_noop("Invalid GAN training settings: %(problems)s."),
                params={"problems": "; ".join(problems)},
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples become lists)."""
        out = dataclasses.asdict(self)
        out["arch_kwargs"] = dict(self.arch_kwargs)
        out["betas"] = list(self.betas)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainConfig:
        """Inverse of :meth:`to_dict`; unknown keys raise ConfigurationError."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ConfigurationError(
                gettext_noop("Unknown GAN training settings: %(names)s."),
                params={"names": ", ".join(unknown)},
            )
        return cls(**dict(data))

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)


def plain_seed_recipe(
    *, steps: int, seed: int = 0, batch_size: int = 256, device: str = "auto"
) -> TrainConfig:
    """The seed article's recipe (section 3.3), on the bug-fixed ``dcgan28`` architecture.

    Its widths (128), ReLU discriminator with one conv layer, non-saturating loss, Adam 1e-4
    with Keras's default betas (0.9, 0.999), batch 256, no EMA, no augmentation, no R1. The
    one intentional difference from the article's loop is that D and G update alternately
    (as everywhere in this package) rather than from one shared forward pass.
    """
    return TrainConfig(
        arch="dcgan28",
        arch_kwargs={},
        steps=steps,
        batch_size=batch_size,
        lr_g=1e-4,
        lr_d=1e-4,
        betas=(0.9, 0.999),
        loss="ns",
        r1_gamma=0.0,
        diffaugment="",
        ema_decay=0.0,
        seed=seed,
        device=device,
        name="seed-recipe",
    )
