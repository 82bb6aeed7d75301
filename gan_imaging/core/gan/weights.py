"""Where the bundled default weights live (``gan_imaging/core/weights/``).

They are trained by ``scripts/train_textures.py`` (one command, reproducible) and shipped as
package data; sources and licences are in each sidecar JSON and in ``weights/README.md``.
"""

from __future__ import annotations

from pathlib import Path

from gan_imaging.core.errors import ModelError, gettext_noop

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"

# style -> file prefix inside WEIGHTS_DIR
BUNDLED: dict[str, str] = {
    "brick": "texture_brick",
    "gravel": "texture_gravel",
    # Studio materials (procedural exemplars, see scripts/material_exemplars.py).
    "marble": "texture_marble",
    "oak": "texture_oak",
    "linen": "texture_linen",
    "concrete": "texture_concrete",
    "terrazzo": "texture_terrazzo",
    "paper": "texture_paper",
}


def bundled_path(style: str) -> Path:
    """Path of a bundled texture checkpoint's ``.safetensors`` file (for ``get_model``)."""
    try:
        prefix = BUNDLED[style]
    except KeyError:
        known = ", ".join(sorted(BUNDLED))
        raise ModelError(
            gettext_noop("There is no bundled texture style %(style)s; choose one of %(known)s."),
            params={"style": repr(style), "known": known},
        ) from None
    path = WEIGHTS_DIR / f"{prefix}.safetensors"
    if not path.exists():
        raise ModelError(
            gettext_noop(
                "The bundled %(style)s texture weights are missing (%(path)s); reinstall "
                "gan_imaging or run scripts/train_textures.py."
            ),
            params={"style": repr(style), "path": str(path)},
        )
    return path
