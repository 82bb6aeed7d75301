"""The one ``GAN_IMAGING`` settings dict: documented defaults, read lazily, reloaded on change.

Usage: ``from gan_imaging.conf import gan_settings; gan_settings.MAX_PIXELS``.
Unknown keys are reported by system check ``gan_imaging.E001``; reading one raises
``AttributeError``.
"""

from __future__ import annotations

from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver

#: Every setting, its default and what it means. The README's settings table mirrors this.
DEFAULTS: dict[str, Any] = {
    # Output kinds made automatically when a GanImageField gets a new file.
    "ON_UPLOAD": ["thumbnails"],
    # Per-kind spec options (see gan_imaging.core.specs), e.g. {"thumbnails": {"widths": [...]}}.
    "SPECS": {},
    # Celery queue names: CPU-only work, GPU work (GAN inference and training) and shoppers'
    # try-on renders (a shopper waits for those: give the queue its own worker).
    "QUEUES": {"cpu": "gan_imaging.cpu", "gpu": "gan_imaging.gpu", "tryon": "gan_imaging.tryon"},
    # Dotted path to the Celery app ("shop.celery.app"); None uses celery.current_app.
    "CELERY_APP": None,
    # torch device for GAN work: "auto" (cuda → mps → cpu), "cuda", "cuda:1", "mps", "cpu".
    "DEVICE": "auto",
    # Alias in settings.STORAGES for outputs and checkpoints.
    "STORAGE": "default",
    # Storage folder for generated files (names below it are content-derived).
    "OUTPUT_PREFIX": "gan_imaging",
    # Upload formats accepted, checked by content (first frame/page of GIF and TIFF); HEIC,
    # SVG, PSD, EPS and PDF are refused with a reason.
    "ALLOWED_FORMATS": ["JPEG", "PNG", "WEBP", "GIF", "AVIF", "TIFF"],
    # Largest accepted image in pixels, read from the header before decoding.
    "MAX_PIXELS": 50_000_000,
    # Longest accepted side, px.
    "MAX_SIDE": 20_000,
    # Most animation frames or pages accepted (only the first is used).
    "MAX_FRAMES": 1_000,
    # Animation budget: frames × canvas pixels (refuses tiny GIFs that expand to gigapixels).
    "MAX_TOTAL_PIXELS": 50_000_000,
    # Longest side / shortest side an upload may have: refuses 10000 × 10 px strips and the
    # 10799 × 1 px screens of GIF/JavaScript polyglots (a panorama is about 4:1).
    "MAX_ASPECT": 50,
    # Largest accepted upload, bytes.
    "MAX_UPLOAD_BYTES": 30 * 1024 * 1024,
    # Remove location and identity metadata (EXIF GPS, owner, serial numbers, maker notes,
    # XMP, IPTC) from the stored original, losslessly (pixels are never re-encoded).
    "STRIP_PRIVATE_METADATA": True,
    # Runs of a job before it fails with a reason.
    "MAX_ATTEMPTS": 3,
    # Seconds a claim holds without a heartbeat before the sweeper recovers the job.
    "LEASE_SECONDS": 120,
    # Seconds a queued job may wait for its message before the sweeper republishes it.
    "REPUBLISH_AFTER": 300,
    # Seconds before the first retry of a transient failure; doubles per attempt (max 300).
    "RETRY_BACKOFF": 5.0,
    # GPU jobs one user may request per window: {"jobs": N, "hours": H}; None: unlimited.
    "GPU_QUOTA": {"jobs": 500, "hours": 24},
    # Training defaults per architecture (TrainConfig fields); the admin action and
    # manage.py gan_train start from these.
    "TRAINING": {
        "texture": {
            "steps": 3000,
            "batch_size": 16,
            "crop": 64,
            "arch_kwargs": {"channels": 3, "z_dim": 16, "n_periodic": 4, "g_width": 16,
                            "g_max_width": 128, "n_up": 4, "d_width": 32},
            "betas": [0.5, 0.99],
            "diffaugment": "translation,color",
            "ema_decay": 0.995,
            "log_every": 25,
        },
        "dcgan64": {"steps": 5000, "batch_size": 64, "log_every": 50},
        # Fine-tunes the bundled x2 upscaler (same architecture) on the catalog's photos; set
        # arch_kwargs.scale to 4 (crop 128) for x4. The result replaces the bundled one.
        "sr": {"steps": 1000, "batch_size": 16, "crop": 64, "lr_g": 2e-4, "betas": [0.9, 0.99],
               "pixel_loss": "l2", "degradation": "light", "ema_decay": 0.999,
               "diffaugment": "", "log_every": 50,
               "arch_kwargs": {"scale": 2, "features": 32, "convs": 6, "d_width": 32}},
    },
    # Super-resolution for widths (thumbnails) and sizes (renders) above the photo's own:
    # "never", "when_needed" (up to 4x) or 2 / 4 (the largest factor allowed). A spec's own
    # max_upscale in SPECS wins.
    "UPSCALE": "when_needed",
    # Which bundled upscalers: "psnr" (faithful, the benchmarked default) or "gan" (sharper
    # texture, about 1 dB lower PSNR). A model the shop trained (arch "sr") replaces either.
    "UPSCALE_VARIANT": "psnr",
    # Repair supplier photos (JPEG blocking and ringing, sensor noise) with a small trained net
    # before thumbnails, renders and banners are made: "when_needed" (JPEG quality <= 70 or
    # noise sigma >= 4, estimated per photo), "always" or "never". A photo not restored is used
    # exactly as uploaded.
    "RESTORE": "when_needed",
    # Which bundled restoration net: "psnr" (the benchmarked default, told the noise and JPEG
    # quality the photo reads) or "gan" (blind, adversarially sharpened: keeps more fabric
    # and surface texture, 0.5-1.9 dB lower PSNR).
    "RESTORE_VARIANT": "psnr",
    # Extra fonts for banners, {"key": "/path/font.ttf"}; a brand kit names a key as its Latin
    # or Chinese font ("key-bold" picks a bold file registered under that name).
    "FONTS": {},
    # Older output sets kept per (object, field, kind) after a newer one is made (rows and
    # files, listed in the Renditions admin, never on pages); 0 deletes them at once.
    "KEEP_SUPERSEDED": 0,
    # Admin: the most objects one "Generate"/"Regenerate" action may queue work for.
    "ADMIN_MAX_SELECTION": 500,
    # "Try it in your photo" on the storefront ({% tryon product %}): on or off everywhere.
    "TRYON_ENABLED": True,
    # Product types it is off for: "app_label.model" (every object of the model) or
    # "app_label.model:type", where type is the object's gan_product_type (attribute or method).
    "TRYON_DISABLED_FOR": [],
    # Seconds a shopper's photo and its results are kept before the sweeper deletes them.
    "TRYON_TTL": 3600,
    # Seconds a signed link to a shopper's photo or result stays valid (for their session only).
    "TRYON_URL_MAX_AGE": 600,
    # Alias in settings.STORAGES for shoppers' photos and results; a private one (not served
    # by the web server or a public bucket): files are served only through signed links.
    "TRYON_STORAGE": "default",
    # Storage folder for shoppers' photos and results (random names below it).
    "TRYON_PREFIX": "gan_imaging_tryon",
    # Longest side of a stored shopper photo and of a result, px (sized for screens).
    "TRYON_MAX_SIDE": 1600,
    # Photo uploads allowed per window: {"session": [n, seconds], "ip": [n, seconds]}.
    "TRYON_RATE_LIMITS": {"session": [10, 3600], "ip": [30, 3600]},
    # Renders one photo may have (each press of "Render" is one).
    "TRYON_MAX_RENDERS": 30,
}


class GanImagingSettings:
    """Attribute access to ``settings.GAN_IMAGING`` merged over :data:`DEFAULTS`."""

    def __init__(self) -> None:
        self._cache: dict[str, Any] | None = None

    @property
    def user_settings(self) -> dict[str, Any]:
        from django.conf import settings

        value = getattr(settings, "GAN_IMAGING", {})
        return value if isinstance(value, dict) else {}

    def _merged(self) -> dict[str, Any]:
        if self._cache is None:
            merged = dict(DEFAULTS)
            merged.update({k: v for k, v in self.user_settings.items() if k in DEFAULTS})
            self._cache = merged
        return self._cache

    def unknown_keys(self) -> list[str]:
        return sorted(set(self.user_settings) - set(DEFAULTS))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in DEFAULTS:
            raise AttributeError(f"Invalid GAN_IMAGING setting: {name!r}")
        return self._merged()[name]

    def reload(self) -> None:
        self._cache = None


gan_settings = GanImagingSettings()


@receiver(setting_changed)
def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting in ("GAN_IMAGING", "STORAGES"):
        gan_settings.reload()
