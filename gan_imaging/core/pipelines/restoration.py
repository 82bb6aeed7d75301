"""The restoration step before thumbnails, renders and banners: decide, then repair or not.

``RESTORE`` modes: ``"when_needed"`` restores a photo whose effective JPEG quality is at most
:data:`QUALITY_AT_MOST` (from its tables or, for a re-saved photo, its pixels) or whose noise
is at least :data:`NOISE_AT_LEAST` (sigma, 0-255 scale); ``"always"`` restores every photo;
``"never"`` none. A photo not restored is passed on as the very same object, so its working
image, and everything made from it, is byte-identical to a run without this step.

The decision and the estimates travel with every output in ``meta["restore"]``:
``{"mode", "applied", "jpeg_quality", "file_quality", "double_jpeg", "noise", "model"}``
(``model`` only when applied). Pure: the net itself is a callable given by the caller (the
``"restore"`` role of :class:`~gan_imaging.core.pipelines.base.Context`), so this module
never imports torch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image

from gan_imaging.core.errors import SpecError, gettext_noop
from gan_imaging.core.imaging.artefacts import Assessment, assess

MODES = ("when_needed", "always", "never")
#: Restore at this effective JPEG quality or lower: below libjpeg's and Pillow's default of 75,
#: where blocking and ringing start to show on product edges and text.
QUALITY_AT_MOST = 70
#: Restore at this noise sigma (0-255 scale) or higher. Clean studio photos measure 0.3-3;
#: very fine texture with no flat area can read 4-6 and is then restored too (harmless:
#: the net is trained to leave clean patches alone).
NOISE_AT_LEAST = 4.0


@dataclass(frozen=True)
class Decision:
    """``restore``: whether the net runs. ``assessment``: the estimates (None in "never"
    mode, which looks at nothing)."""

    mode: str
    restore: bool
    assessment: Assessment | None

    def meta(self, model: str | None = None) -> dict[str, Any]:
        """The ``meta["restore"]`` record (JSON-safe); ``model``: the net's version."""
        a = self.assessment
        out: dict[str, Any] = {"mode": self.mode, "applied": self.restore}
        if a is not None:
            out.update(jpeg_quality=a.quality, file_quality=a.file_quality,
                       double_jpeg=a.double_jpeg, noise=round(a.noise, 1))  # fmt: skip
        if self.restore and model:
            out["model"] = model
        return out


def needs_restoring(a: Assessment) -> bool:
    """The ``"when_needed"`` rule on an assessment."""
    q = a.quality
    return (q is not None and q <= QUALITY_AT_MOST) or a.noise >= NOISE_AT_LEAST


def decide(image: Image.Image, data: bytes | None, mode: str) -> Decision:
    """Decide for ``image`` (decoded at full size) and its file bytes ``data``.
    Raises SpecError for a mode not in :data:`MODES`."""
    if mode not in MODES:
        raise SpecError(gettext_noop("RESTORE must be one of %(modes)s, not %(mode)s."),
                        params={"modes": ", ".join(MODES), "mode": repr(mode)})
    if mode == "never":
        return Decision(mode, False, None)
    a = assess(image, data)
    return Decision(mode, mode == "always" or needs_restoring(a), a)


def apply(image: Image.Image, decision: Decision,
          restorer: Callable[[Image.Image, Assessment | None], Image.Image]
          ) -> tuple[Image.Image, dict[str, Any]]:
    """``(working image, meta record)``: ``restorer(image, assessment)`` when the decision
    says so (a conditioned net is told the noise and JPEG quality assessed; its
    ``info["model_version"]`` is recorded), else ``image`` itself, untouched."""
    if not decision.restore:
        return image, decision.meta()
    out = restorer(image, decision.assessment)
    return out, decision.meta(str(out.info.get("model_version") or "") or None)
