"""Training is one function: ``train(config, data, ...) -> Checkpoint``.

The Celery task, the management command, the benchmark and the texture script are all thin
callers of :func:`train`. It owns the loop; the loss helpers only return tensors.

Each step is one D update (real and fake batch, optional lazy R1) then one G update, both
through the same DiffAugment policy, followed by the EMA update. Every random draw (latents,
real-batch indices, crops, augmentations) comes from one CPU ``torch.Generator`` seeded by
``config.seed`` and stored in the checkpoint, so a run is reproducible and a resumed run
continues the same random stream.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gan_imaging.core.errors import ConfigurationError, ModelError, gettext_noop
from gan_imaging.core.gan import checkpoint as ckpt_io
from gan_imaging.core.gan.augment import diff_augment
from gan_imaging.core.gan.checkpoint import Checkpoint
from gan_imaging.core.gan.config import TrainConfig
from gan_imaging.core.gan.device import resolve_device
from gan_imaging.core.gan.ema import EMA
from gan_imaging.core.gan.losses import d_loss, g_loss, r1_penalty
from gan_imaging.core.gan.nets import LATENT_SPATIAL, build_nets
from gan_imaging.core.gan.samplers import ImageSampler, TextureSampler, TrainData

Progress = Callable[[int, int, dict[str, float]], None]

METRIC_KEYS = ("loss_d", "loss_g", "r1", "logit_real", "logit_fake", "info")


class MetricLog:
    """Per-step metric tensors averaged over each log interval with one host sync (not one
    per step: that matters on GPUs), checked for divergence, and reported to ``progress``.

    ``keys`` name the values :meth:`add` receives; ``diverged`` is the error template (with a
    ``%(step)s`` parameter) raised as ModelError when an average is not finite. ``metrics``
    ends with the last averages, ``sec_per_step``, ``train_s``, ``train_cpu_s`` (all threads;
    robust to a busy host) and ``steps_done``.
    """

    def __init__(self, keys: tuple[str, ...], total: int, progress: Progress | None,
                 diverged: str) -> None:
        self.keys, self.total, self.progress, self.diverged = keys, total, progress, diverged
        self.metrics: dict[str, float] = {}
        self._logged: list[tuple[torch.Tensor, ...]] = []
        self._t0, self._cpu0 = time.perf_counter(), time.process_time()
        self._t_log = self._t0

    def add(self, step: int, values: tuple[torch.Tensor, ...], *, every: int) -> None:
        """Record one step's values; report when ``step`` is a multiple of ``every`` or the
        last step."""
        self._logged.append(tuple(t.detach().float() for t in values))
        if step % every == 0 or step == self.total:
            self.flush(step)

    def flush(self, step: int) -> None:
        if not self._logged:
            return
        values = torch.stack([torch.stack(v) for v in self._logged]).mean(0).tolist()
        now = time.perf_counter()
        self.metrics.update(zip(self.keys, values))
        self.metrics["sec_per_step"] = (now - self._t_log) / len(self._logged)
        self._t_log = now
        self._logged.clear()
        if not all(math.isfinite(v) for v in values):
            raise ModelError(gettext_noop(self.diverged), params={"step": step})
        if self.progress is not None:
            self.progress(step, self.total, dict(self.metrics))

    def finish(self, step: int) -> dict[str, float]:
        """Report what is left (training stopped between two log points); the final metrics."""
        self.flush(step)
        self.metrics["train_s"] = time.perf_counter() - self._t0
        self.metrics["train_cpu_s"] = time.process_time() - self._cpu0
        self.metrics["steps_done"] = float(step)
        return self.metrics


def set_lr_for_step(config: TrainConfig, step: int,
                    optimizers: tuple[tuple[torch.optim.Optimizer, float], ...]) -> None:
    """Apply ``config.lr_decay``: each optimiser's rate is its base rate until the last
    ``lr_decay`` share of ``config.steps``, then falls linearly to 0 at the final step. A
    function of the step alone, so resumed runs follow the same schedule."""
    if config.lr_decay <= 0:
        return
    left = (config.steps - step) / (config.lr_decay * config.steps)
    scale_lrs(optimizers, min(1.0, max(0.0, left)))


def scale_lrs(optimizers: tuple[tuple[torch.optim.Optimizer, float], ...], factor: float) -> None:
    """Set every param group of each (optimiser, base rate) pair to base rate x ``factor``."""
    for opt, base in optimizers:
        for group in opt.param_groups:
            group["lr"] = base * factor


def setup(config: TrainConfig) -> tuple[torch.device, bool, torch.Generator, Any, Any]:
    """What every training loop starts from: the device, whether bf16 autocast is on (CUDA
    only), the data RNG seeded by ``config.seed``, and freshly built G and D on the device
    (initialised from the same seed without touching the global RNG)."""
    device = resolve_device(config.device)
    use_bf16 = config.bf16 and device.type == "cuda"
    rng = torch.Generator().manual_seed(config.seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        try:
            nets = build_nets(config.arch, config.arch_kwargs)
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigurationError(
                gettext_noop("Cannot build architecture %(arch)s: %(error)s"),
                params={"arch": repr(config.arch), "error": str(exc)},
            ) from None
    return device, use_bf16, rng, nets.generator.to(device), nets.discriminator.to(device)


def train(
    config: TrainConfig,
    data: TrainData,
    *,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    resume: Checkpoint | str | Path | None = None,
    init: Checkpoint | str | Path | None = None,
) -> Checkpoint:
    """Train a GAN and return a checkpoint (also when stopped early).

    data: for image GANs, float32 N x C x H x W in [-1, 1]. For ``texture``, the exemplar(s):
    one C x H x W tensor, an N x C x H x W tensor or a list of C x H x W tensors in [-1, 1],
    each at least ``config.crop`` pixels on both sides; random crops are sampled from them.
    progress: called as ``progress(step, total_steps, metrics)`` every ``config.log_every``
    steps and at the end; metrics holds loss_d, loss_g, r1, logit_real, logit_fake, sec_per_step.
    should_stop: polled before every step; returning True ends training at the current step.
    resume: a checkpoint (or its path) from a run with the same arch and arch kwargs; training
    continues from its step, optimiser state and RNG state up to ``config.steps``.
    ``arch="sr"`` (super-resolution) is trained by :func:`.superres_train.train_sr`: data are
    HR photos or patches (uint8 or [-1, 1]); ``init`` starts its G from another checkpoint's
    (the GAN-sharpened variant from the PSNR one). Other architectures take no ``init``.
    Raises ConfigurationError for bad settings or data, ModelError if the losses diverge.
    """
    if config.arch == "sr":
        from gan_imaging.core.gan.superres_train import train_sr

        return train_sr(
            config, data, progress=progress, should_stop=should_stop, resume=resume, init=init
        )
    if init is not None:
        raise ConfigurationError(
            gettext_noop("Only super-resolution training (arch 'sr') accepts init.")
        )
    device, use_bf16, rng, G, D = setup(config)
    spatial = G.latent_kind == LATENT_SPATIAL
    sampler = TextureSampler(data, G, config, device) if spatial else ImageSampler(data, device)
    info = config.info_weight > 0
    if info and not (getattr(G, "n_codes", 0) and hasattr(D, "forward_info")):
        raise ConfigurationError(
            gettext_noop(
                "info_weight needs an architecture built with a categorical code (dcgan28 with "
                "n_codes > 0); %(arch)s %(arch_kwargs)s has none."
            ),
            params={"arch": config.arch, "arch_kwargs": str(dict(config.arch_kwargs))},
        )

    opt_g = torch.optim.Adam(G.parameters(), lr=config.lr_g, betas=config.betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=config.lr_d, betas=config.betas)
    ema = EMA(G, config.ema_decay) if config.ema_decay > 0 else None
    start = 0
    if resume is not None:
        start = _restore(resume, config, G, D, ema, opt_g, opt_d, rng, device)

    def autocast():
        if use_bf16:
            return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def augment(x: torch.Tensor) -> torch.Tensor:
        return diff_augment(x, config.diffaugment, rng) if config.diffaugment else x

    log = MetricLog(METRIC_KEYS, config.steps, progress, gettext_noop(
        "GAN training diverged at step %(step)s (loss is not a number). Lower the "
        "learning rates or enable R1 (r1_gamma), then train again."))
    step = start

    G.train()
    D.train()
    while step < config.steps:
        if should_stop is not None and should_stop():
            break
        set_lr_for_step(config, step, ((opt_g, config.lr_g), (opt_d, config.lr_d)))
        # --- discriminator ---
        real = sampler.real(config.batch_size, rng)
        with torch.no_grad(), autocast():
            fake, code = sampler.fake_and_code(G, config.batch_size, rng)
        do_r1 = config.r1_gamma > 0 and step % config.r1_interval == 0
        if do_r1:
            real = real.detach().requires_grad_(True)
        with autocast():
            real_logits = D(augment(real)).float()
            fake_logits, info_d = _d_on_fakes(D, augment(fake.float()), code if info else None)
        loss_d = d_loss(config.loss, real_logits, fake_logits)
        if info_d is not None:
            loss_d = loss_d + config.info_weight * info_d
        r1 = torch.zeros((), device=device)
        if do_r1:
            r1 = r1_penalty(real_logits, real)
            # Lazy regularisation (StyleGAN2): every r1_interval steps, scaled to match.
            loss_d = loss_d + r1 * (config.r1_gamma / 2 * config.r1_interval)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()

        # --- generator ---
        D.requires_grad_(False)  # G's step needs gradients through D, not for D's weights
        with autocast():
            fake, code = sampler.fake_and_code(G, config.batch_size, rng)
            fake_logits_g, info_g = _d_on_fakes(D, augment(fake), code if info else None)
        loss_g = g_loss(config.loss, fake_logits_g)
        if info_g is not None:  # InfoGAN: G is rewarded when D's code head can tell its code back
            loss_g = loss_g + config.info_weight * info_g
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        D.requires_grad_(True)
        if ema is not None:
            ema.update(G)
        step += 1

        info_log = info_d if info_d is not None else torch.zeros((), device=device)
        log.add(step, (loss_d, loss_g, r1, real_logits.mean(), fake_logits.mean(), info_log),
                every=config.log_every)
    return _checkpoint(config, G, D, ema, opt_g, opt_d, rng, step, log.finish(step))


def _d_on_fakes(D: Any, x: torch.Tensor, code: torch.Tensor | None
                ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """D's logits (float32) for fakes and, given G's codes (InfoGAN on), the cross-entropy
    (nats) of D's code head against them; None without codes."""
    if code is None:
        return D(x).float(), None
    logits, code_logits = D.forward_info(x)
    return logits.float(), nn.functional.cross_entropy(code_logits.float(), code)


def _optimizer_tensors(prefix: str, opt: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    out = {}
    for index, state in opt.state_dict()["state"].items():
        for key, value in state.items():
            out[f"{prefix}.{index}.{key}"] = torch.as_tensor(value)
    return out


def _load_optimizer(
    prefix: str, opt: torch.optim.Optimizer, tensors: dict, device: torch.device
) -> None:
    state: dict[int, dict[str, torch.Tensor]] = {}
    for name, value in tensors.items():
        if name.startswith(prefix + "."):
            _, index, key = name.split(".", 2)
            # Adam keeps "step" on the CPU unless capturable; exp_avg* live with the params.
            state.setdefault(int(index), {})[key] = (
                value.cpu() if key == "step" else value.to(device)
            )
    full = opt.state_dict()
    full["state"] = state
    opt.load_state_dict(full)


def _checkpoint(
    config: TrainConfig, G: nn.Module, D: nn.Module, ema: EMA | None,
    opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer, rng: torch.Generator, step: int,
    metrics: dict[str, Any],
) -> Checkpoint:
    state = {
        **_optimizer_tensors("opt_g", opt_g),
        **_optimizer_tensors("opt_d", opt_d),
        "rng": rng.get_state(),
        "ema_updates": torch.tensor(ema.num_updates if ema else 0),
    }
    G.eval()
    return Checkpoint(
        arch=config.arch,
        arch_kwargs=dict(config.arch_kwargs),
        generator=ema.shadow if ema is not None else G,
        raw_generator=G if ema is not None else None,
        discriminator=D,
        train_state=state,
        config=config.to_dict(),
        step=step,
        metrics=metrics,
        name=config.name,
    )


def _restore(
    resume: Checkpoint | str | Path, config: TrainConfig, G: nn.Module, D: nn.Module,
    ema: EMA | None, opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer,
    rng: torch.Generator, device: torch.device,
) -> int:
    ckpt = ckpt_io.load(resume, device=device) if isinstance(resume, str | Path) else resume
    if ckpt.arch != config.arch or dict(ckpt.arch_kwargs) != dict(config.arch_kwargs):
        raise ConfigurationError(
            gettext_noop(
                "Cannot resume: the checkpoint is %(arch)s %(arch_kwargs)s, the settings ask "
                "for %(wanted_arch)s %(wanted_kwargs)s."
            ),
            params={"arch": ckpt.arch, "arch_kwargs": str(ckpt.arch_kwargs),
                    "wanted_arch": config.arch, "wanted_kwargs": str(dict(config.arch_kwargs))},
        )
    if ckpt.discriminator is None or not ckpt.train_state:
        raise ConfigurationError(
            gettext_noop("Cannot resume from an inference-only checkpoint.")
        )
    if (ema is None) != (ckpt.raw_generator is None):
        raise ConfigurationError(
            gettext_noop("Cannot resume: EMA on/off differs from the checkpoint's run.")
        )
    live = ckpt.raw_generator if ckpt.raw_generator is not None else ckpt.generator
    G.load_state_dict(live.state_dict())
    D.load_state_dict(ckpt.discriminator.state_dict())
    if ema is not None:
        ema.shadow.load_state_dict(ckpt.generator.state_dict())
        ema.num_updates = int(ckpt.train_state["ema_updates"])
    _load_optimizer("opt_g", opt_g, ckpt.train_state, device)
    _load_optimizer("opt_d", opt_d, ckpt.train_state, device)
    rng.set_state(ckpt.train_state["rng"].cpu())
    return ckpt.step
