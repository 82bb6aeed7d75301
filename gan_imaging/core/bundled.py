"""The shipped weights' files, found without importing torch.

Job requests and thumbnail workers name the models a run may use (their versions go into the
outputs' digests) long before any of them is loaded: looking a bundled file up here keeps
torch out of a process until a model really runs. The loaders (:mod:`.gan`) use the same paths.
"""

from __future__ import annotations

from pathlib import Path

from gan_imaging.core.errors import ModelError, gettext_noop

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"

#: Upscaling factors and variants of the bundled super-resolution weights: ``"psnr"``
#: (faithful, L1-trained) or ``"gan"`` (sharper). Matches ``gan.nets.sr.SCALES``.
SR_SCALES = (2, 4)
SR_VARIANTS = ("psnr", "gan")


def sr_path(scale: int, variant: str = "psnr") -> Path:
    """Path of a bundled upscaler's ``.safetensors`` (``sr_x2``, ``sr_x4``, ``sr_x2_gan``, ...).

    scale: 2 or 4. variant: ``"psnr"`` or ``"gan"``. Raises :class:`ModelError` for another
    scale or variant, or when the file is missing.
    """
    if scale not in SR_SCALES or variant not in SR_VARIANTS:
        raise ModelError(
            gettext_noop(
                "There is no bundled upscaler for x%(scale)s %(variant)s; choose x2 or x4, "
                "psnr or gan."
            ),
            params={"scale": scale, "variant": variant},
        )
    path = WEIGHTS_DIR / f"sr_x{scale}{'' if variant == 'psnr' else '_gan'}.safetensors"
    if not path.exists():
        raise ModelError(
            gettext_noop(
                "The bundled x%(scale)s %(variant)s upscaler weights are missing (%(path)s); "
                "reinstall gan_imaging or run scripts/train_sr.py."
            ),
            params={"scale": scale, "variant": variant, "path": str(path)},
        )
    return path


#: Variants of the bundled restoration weights: ``"psnr"`` (faithful, L1-trained) or
#: ``"gan"`` (adversarially sharpened).
RESTORE_VARIANTS = ("psnr", "gan")


def restore_path(variant: str = "psnr") -> Path:
    """Path of the bundled restoration net's ``.safetensors`` (``restore``, ``restore_gan``).

    Raises :class:`ModelError` for another variant or when the file is missing.
    """
    if variant not in RESTORE_VARIANTS:
        raise ModelError(
            gettext_noop("There is no bundled restoration model %(variant)s; choose psnr or gan."),
            params={"variant": variant},
        )
    path = WEIGHTS_DIR / f"restore{'' if variant == 'psnr' else '_gan'}.safetensors"
    if not path.exists():
        raise ModelError(
            gettext_noop(
                "The bundled %(variant)s restoration weights are missing (%(path)s); reinstall "
                "gan_imaging or run scripts/train_restore.py."
            ),
            params={"variant": variant, "path": str(path)},
        )
    return path
