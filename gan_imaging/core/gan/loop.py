"""What every training loop shares: setup, metric logging, learning rates, checkpoints.

The GAN loop (:mod:`.train`) and the upscaler loop (:mod:`.superres_train`) both start from
:func:`setup` and :func:`new_state`, log through :class:`MetricLog`, run under
:func:`autocast`, and end with :func:`make_checkpoint`; ``resume`` goes through
:func:`restore_checkpoint`. The checkpoint's ``train_state`` holds the optimiser tensors
(:func:`optimizer_tensors`), the data RNG state and the EMA update count, so a resumed run
continues the same random stream and reaches the same weights as an uninterrupted one.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gan_imaging.core.errors import ConfigurationError, ModelError, gettext_noop
from gan_imaging.core.gan import checkpoint as ckpt_io
from gan_imaging.core.gan.checkpoint import Checkpoint
from gan_imaging.core.gan.config import TrainConfig
from gan_imaging.core.gan.device import resolve_device
from gan_imaging.core.gan.ema import EMA
from gan_imaging.core.gan.nets import build_nets

#: ``progress(step, total_steps, metrics)``: steps done (1-based), ``config.steps``, averages.
Progress = Callable[[int, int, dict[str, float]], None]
#: (optimiser, its base learning rate) pairs, as the rate schedules take them.
RatedOptimizers = tuple[tuple[torch.optim.Optimizer, float], ...]


class MetricLog:
    """Per-step metric tensors averaged over each log interval with one host sync (not one
    per step: that matters on GPUs), checked for divergence, and reported to ``progress``.

    ``keys`` name the values :meth:`add` receives; ``diverged`` is the error template (with a
    ``%(step)s`` parameter) raised as ModelError when an average is not finite. ``metrics``
    ends with the last averages, ``sec_per_step``, ``train_s``, ``train_cpu_s`` (seconds; CPU
    time of all threads, robust to a busy host) and ``steps_done``.
    """

    def __init__(self, keys: tuple[str, ...], total: int, progress: Progress | None,
                 diverged: str) -> None:
        self.keys, self.total, self.progress, self.diverged = keys, total, progress, diverged
        self.metrics: dict[str, float] = {}
        self._logged: list[tuple[torch.Tensor, ...]] = []
        self._t0, self._cpu0 = time.perf_counter(), time.process_time()
        self._t_log = self._t0

    def add(self, step: int, values: tuple[torch.Tensor, ...], *, every: int) -> None:
        """Record one step's values (0-d tensors, in ``keys`` order); report when ``step`` is a
        multiple of ``every`` or the last step."""
        self._logged.append(tuple(t.detach().float() for t in values))
        if step % every == 0 or step == self.total:
            self.flush(step)

    def flush(self, step: int) -> None:
        """Average what was added since the last report, check it is finite, report it."""
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


def set_lr_for_step(config: TrainConfig, step: int, optimizers: RatedOptimizers) -> None:
    """Apply ``config.lr_decay``: each optimiser's rate is its base rate until the last
    ``lr_decay`` share of ``config.steps``, then falls linearly to 0 at the final step. A
    function of the step alone, so resumed runs follow the same schedule."""
    if config.lr_decay <= 0:
        return
    left = (config.steps - step) / (config.lr_decay * config.steps)
    scale_lrs(optimizers, min(1.0, max(0.0, left)))


def scale_lrs(optimizers: RatedOptimizers, factor: float) -> None:
    """Set every param group of each (optimiser, base rate) pair to base rate x ``factor``."""
    for opt, base in optimizers:
        for group in opt.param_groups:
            group["lr"] = base * factor


def autocast(bf16: bool) -> contextlib.AbstractContextManager[object]:
    """bfloat16 autocast on CUDA when ``bf16`` (as :func:`setup` decides it), else a no-op."""
    if bf16:
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def setup(config: TrainConfig) -> tuple[torch.device, bool, torch.Generator, Any, Any]:
    """What every training loop starts from: the device, whether bf16 autocast is on (CUDA
    only), the data RNG seeded by ``config.seed``, and freshly built G and D on the device
    (initialised from the same seed without touching the global RNG).

    Raises ConfigurationError when ``config.arch``/``arch_kwargs`` do not build.
    """
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


@dataclass
class LiveState:
    """Everything a checkpoint saves of a run in progress and a resume restores: the live
    G and D, their Adam optimisers, G's EMA (None when ``config.ema_decay`` is 0) and the CPU
    generator all of the loop's random draws come from."""

    generator: nn.Module
    discriminator: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    ema: EMA | None
    rng: torch.Generator


def new_state(config: TrainConfig, G: nn.Module, D: nn.Module, rng: torch.Generator
              ) -> LiveState:
    """Adam for G and D (``lr_g``/``lr_d``, ``betas``) and an EMA copy of G as it is now
    (when ``ema_decay`` > 0): load any starting weights into G before calling this."""
    opt_g = torch.optim.Adam(G.parameters(), lr=config.lr_g, betas=config.betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=config.lr_d, betas=config.betas)
    ema = EMA(G, config.ema_decay) if config.ema_decay > 0 else None
    return LiveState(G, D, opt_g, opt_d, ema, rng)


def optimizer_tensors(prefix: str, opt: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    """An optimiser's per-parameter state as flat tensors named ``prefix.<index>.<key>``
    (what a checkpoint's ``train_state`` stores; the hyper-parameters are not included)."""
    out = {}
    for index, state in opt.state_dict()["state"].items():
        for key, value in state.items():
            out[f"{prefix}.{index}.{key}"] = torch.as_tensor(value)
    return out


def load_optimizer_tensors(
    prefix: str, opt: torch.optim.Optimizer, tensors: Mapping[str, torch.Tensor],
    device: torch.device,
) -> None:
    """Load the ``prefix.*`` tensors written by :func:`optimizer_tensors` into ``opt``
    (built for the same parameters), moving moments to ``device``."""
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


def make_checkpoint(
    config: TrainConfig, live: LiveState, step: int, metrics: dict[str, Any]
) -> Checkpoint:
    """The checkpoint of ``live`` after ``step`` steps: the EMA generator for inference (the
    live G as ``raw_generator``), D, and the train state :func:`restore_checkpoint` reads.
    Puts G in eval mode."""
    ema = live.ema
    state = {
        **optimizer_tensors("opt_g", live.opt_g),
        **optimizer_tensors("opt_d", live.opt_d),
        "rng": live.rng.get_state(),
        "ema_updates": torch.tensor(ema.num_updates if ema else 0),
    }
    live.generator.eval()
    return Checkpoint(
        arch=config.arch,
        arch_kwargs=dict(config.arch_kwargs),
        generator=ema.shadow if ema is not None else live.generator,
        raw_generator=live.generator if ema is not None else None,
        discriminator=live.discriminator,
        train_state=state,
        config=config.to_dict(),
        step=step,
        metrics=metrics,
        name=config.name,
    )


def load_matching(source: Checkpoint | str | Path, config: TrainConfig, device: torch.device,
                  mismatch: str) -> Checkpoint:
    """``source`` (a checkpoint or its path) when it has ``config``'s architecture and
    arguments; else ConfigurationError with the ``mismatch`` template (params ``version``,
    ``arch``, ``arch_kwargs``, ``wanted_arch``, ``wanted_kwargs``)."""
    ckpt = ckpt_io.load(source, device=device) if isinstance(source, str | Path) else source
    if ckpt.arch != config.arch or dict(ckpt.arch_kwargs) != dict(config.arch_kwargs):
        raise ConfigurationError(mismatch, params={
            "version": ckpt.model_version, "arch": ckpt.arch,
            "arch_kwargs": str(ckpt.arch_kwargs), "wanted_arch": config.arch,
            "wanted_kwargs": str(dict(config.arch_kwargs))})
    return ckpt


def restore_checkpoint(
    resume: Checkpoint | str | Path, config: TrainConfig, live: LiveState, device: torch.device
) -> int:
    """Load a :func:`make_checkpoint` checkpoint (or its path) into ``live``; the step to
    continue from. Raises ConfigurationError when it is another architecture, has no train
    state (inference-only) or its EMA on/off differs from ``config``."""
    ckpt = load_matching(resume, config, device, gettext_noop(
        "Cannot resume: the checkpoint is %(arch)s %(arch_kwargs)s, the settings ask "
        "for %(wanted_arch)s %(wanted_kwargs)s."))
    if ckpt.discriminator is None or not ckpt.train_state:
        raise ConfigurationError(
            gettext_noop("Cannot resume from an inference-only checkpoint.")
        )
    if (live.ema is None) != (ckpt.raw_generator is None):
        raise ConfigurationError(
            gettext_noop("Cannot resume: EMA on/off differs from the checkpoint's run.")
        )
    saved = ckpt.raw_generator if ckpt.raw_generator is not None else ckpt.generator
    live.generator.load_state_dict(saved.state_dict())
    live.discriminator.load_state_dict(ckpt.discriminator.state_dict())
    if live.ema is not None:
        live.ema.shadow.load_state_dict(ckpt.generator.state_dict())
        live.ema.num_updates = int(ckpt.train_state["ema_updates"])
    load_optimizer_tensors("opt_g", live.opt_g, ckpt.train_state, device)
    load_optimizer_tensors("opt_d", live.opt_d, ckpt.train_state, device)
    live.rng.set_state(ckpt.train_state["rng"].cpu())
    return ckpt.step
