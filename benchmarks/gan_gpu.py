"""GPU throughput: our ``dcgan64`` trainer vs the pytorch/examples DCGAN loop, and texture MP/s.

1. Training steps/s at batch 128 (64x64 RGB, widths 64): the pytorch/examples ``dcgan/main.py``
   model and loop written out below (sigmoid + BCELoss, Adam 2e-4) against our ``train()`` on
   ``dcgan64`` (same layer sizes, logits + softplus, EMA), in fp32 and bf16 autocast, plus ours
   with DiffAugment (color, translation, cutout) in the fastest precision. Data is random
   (throughput only).
2. Texture inference: megapixels per second for a 4096x4096 texture (chunked) and the latency
   of one 970x250 billboard, from the bundled brick weights (random weights of the same
   architecture if those are absent).

Finishes in well under 3 minutes on an H100. ``--small`` runs a CPU-sized version (batch 16,
few steps, 1024x1024 texture) to show the script works without a GPU; bf16 is skipped on CPU
because ``train()`` honours bf16 only on CUDA.

    .venv/bin/python benchmarks/gan_gpu.py            # on a GPU machine
    .venv/bin/python benchmarks/gan_gpu.py --small    # anywhere
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path

import torch
from torch import nn

if __package__ in (None, ""):  # run as a file: import the repo's package without installing it
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gan_imaging.core.gan import TrainConfig, bundled_path, load, train  # noqa: E402
from gan_imaging.core.gan.device import describe, resolve_device  # noqa: E402
from gan_imaging.core.gan.nets import build_nets  # noqa: E402
from gan_imaging.core.gan.spatial import generate_texture  # noqa: E402

NZ, NGF, NDF, NC = 100, 64, 64, 3


class RefGenerator(nn.Module):
    """pytorch/examples dcgan/main.py ``Generator`` (ngpu handling dropped)."""

    def __init__(self) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(NZ, NGF * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(NGF * 8),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 8, NGF * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NGF * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 4, NGF * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NGF * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 2, NGF, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NGF),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF, NC, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z)


class RefDiscriminator(nn.Module):
    """pytorch/examples dcgan/main.py ``Discriminator``: ends in a sigmoid, used with BCELoss."""

    def __init__(self) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(NC, NDF, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF, NDF * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NDF * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF * 2, NDF * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NDF * 4),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF * 4, NDF * 8, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NDF * 8),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF * 8, 1, 4, 1, 0, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).view(-1, 1).squeeze(1)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def reference_steps_per_s(data, device, *, batch, warmup, steps, bf16) -> float:
    """The examples' loop: D on real (label 1), D on detached fake (label 0), G with label 1."""
    torch.manual_seed(0)
    netG, netD = RefGenerator().to(device), RefDiscriminator().to(device)
    criterion = nn.BCELoss()
    optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    ones = torch.ones(batch, device=device)
    zeros = torch.zeros(batch, device=device)

    def amp():
        if bf16:
            return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def step(i: int) -> None:
        real = data[(i * batch) % (len(data) - batch) :][:batch]
        netD.zero_grad()
        with amp():
            out_real = netD(real)
        # BCELoss is unsafe under autocast: evaluate it in fp32 outside the region.
        err_real = criterion(out_real.float(), ones)
        err_real.backward()
        noise = torch.randn(batch, NZ, 1, 1, device=device)
        with amp():
            fake = netG(noise)
            out_fake = netD(fake.detach())
        err_fake = criterion(out_fake.float(), zeros)
        err_fake.backward()
        optD.step()
        netG.zero_grad()
        with amp():
            out = netD(fake)
        err_g = criterion(out.float(), ones)
        err_g.backward()
        optG.step()

    for i in range(warmup):
        step(i)
    sync(device)
    t = time.perf_counter()
    for i in range(steps):
        step(i)
    sync(device)
    return steps / (time.perf_counter() - t)


def ours_steps_per_s(data, device, *, batch, warmup, steps, bf16, diffaugment) -> float:
    """Our ``train()`` on dcgan64; timed between two progress callbacks (each one syncs)."""
    marks: list[float] = []
    cfg = TrainConfig(
        arch="dcgan64",
        arch_kwargs={"width": 64, "channels": 3},
        steps=warmup + steps,
        batch_size=batch,
        diffaugment=diffaugment,
        ema_decay=0.999,
        device=str(device),
        bf16=bf16,
        log_every=warmup,
    )

    def progress(step, total, metrics):
        if step in (warmup, total):
            sync(device)
            marks.append(time.perf_counter())

    train(cfg, data, progress=progress)
    return steps / (marks[-1] - marks[0])


@torch.no_grad()
def texture_figures(device: torch.device, *, side: int) -> tuple[float, float, str]:
    """(megapixels per second at side x side, seconds for 970x250, which weights)."""
    try:
        G = load(bundled_path("brick"), device=device, inference_only=True).generator
        which = "bundled brick"
    except Exception:  # weights not trained yet: same architecture, random weights
        torch.manual_seed(0)
        G = build_nets("texture", {}).generator.to(device).eval()
        which = "random init"
    generate_texture(G, 256, 256, seed=0)  # warm-up (cuDNN autotune, allocator)
    sync(device)
    t = time.perf_counter()
    generate_texture(G, side, side, seed=1, chunk=2048 if device.type == "cuda" else 512)
    sync(device)
    mps = side * side / 1e6 / (time.perf_counter() - t)
    t = time.perf_counter()
    generate_texture(G, 970, 250, seed=2, chunk=None)
    sync(device)
    return mps, time.perf_counter() - t, which


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--small", action="store_true", help="CPU-sized run: batch 16, few steps")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=2, help="CPU threads (CPU runs only)")
    args = ap.parse_args()
    device = resolve_device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(args.threads)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    batch, warmup, steps, side = (16, 2, 4, 1024) if args.small else (128, 20, 100, 4096)
    data = torch.rand(max(4 * batch, 512), 3, 64, 64, device=device) * 2 - 1
    precisions = [False, True] if device.type == "cuda" else [False]

    rows = []
    for bf16 in precisions:
        label = "bf16" if bf16 else "fp32"
        ref = reference_steps_per_s(
            data, device, batch=batch, warmup=warmup, steps=steps, bf16=bf16
        )
        ours = ours_steps_per_s(
            data, device, batch=batch, warmup=warmup, steps=steps, bf16=bf16, diffaugment=""
        )
        rows.append((label, ref, ours))
        print(f"  {label}: reference {ref:.2f} steps/s, ours {ours:.2f} steps/s", flush=True)
    best = precisions[-1]
    ours_da = ours_steps_per_s(
        data,
        device,
        batch=batch,
        warmup=warmup,
        steps=steps,
        bf16=best,
        diffaugment="color,translation,cutout",
    )
    mps, banner_s, which = texture_figures(device, side=side)

    print(
        f"\ndevice: {describe(device)}, torch {torch.__version__}, batch {batch}, "
        f"{steps} timed steps after {warmup} warm-up"
    )
    print(f"{'precision':<10} {'ref steps/s':>12} {'ours steps/s':>13} {'ours/ref':>9}")
    for label, ref, ours in rows:
        print(f"{label:<10} {ref:>12.2f} {ours:>13.2f} {ours / ref:>9.2f}")
    print(f"ours + DiffAugment ({'bf16' if best else 'fp32'}): {ours_da:.2f} steps/s")
    print(
        f"texture ({which}): {side}x{side} at {mps:.2f} MP/s; 970x250 in {banner_s * 1000:.0f} ms"
    )
    figures = {label: (ref, ours) for label, ref, ours in rows}
    nan = float("nan")
    print(
        f"RESULT device={device.type} batch={batch} "
        f"ref_fp32_sps={figures['fp32'][0]:.2f} ours_fp32_sps={figures['fp32'][1]:.2f} "
        f"ref_bf16_sps={figures.get('bf16', (nan, nan))[0]:.2f} "
        f"ours_bf16_sps={figures.get('bf16', (nan, nan))[1]:.2f} "
        f"ours_diffaug_sps={ours_da:.2f} texture_mps={mps:.2f} banner_970x250_s={banner_s:.3f}"
    )


if __name__ == "__main__":
    main()
