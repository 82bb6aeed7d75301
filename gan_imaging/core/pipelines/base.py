"""What every pipeline returns and receives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from gan_imaging.core.specs import Spec


@dataclass(frozen=True)
class Output:
    """One encoded file a pipeline produced.

    ``key`` names the output within its spec (e.g. ``"640w.webp"``); width/height in px;
    ``format`` is a key of :data:`gan_imaging.core.imaging.encode.FORMATS`.
    """

    key: str
    data: bytes
    format: str
    width: int
    height: int
    meta: dict[str, Any] = field(default_factory=dict)


def _no_progress(fraction: float) -> None:
    return None


@dataclass
class Context:
    """Per-run inputs besides the image: the seed (0–2³¹−1), a progress callback taking a
    fraction 0.0–1.0 (called between steps; also the job's heartbeat), and models.

    ``models`` maps a role to a callable the Django layer provides (the shop's own trained
    model, else the bundled default); a pipeline falls back to the bundled default when a role
    is absent. Roles: ``"backdrop"`` ``(style, width, height, seed) -> RGB image``,
    ``"upscale"`` ``(image, scale) -> image`` (scale 2 or 4; alpha kept), ``"cutout"``
    ``(image) -> RGBA image``, ``"logo"`` (an RGBA image or None). Images a model made carry
    its version in ``image.info["model_version"]`` so outputs can record it.
    """

    seed: int = 0
    progress: Callable[[float], None] = _no_progress
    models: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Pipeline:
    """A registered output kind.

    ``version`` changes whenever the same input and spec would give different bytes; it is
    recorded on every output as its model version. ``device`` is ``"cpu"`` or ``"gpu"`` and
    picks the worker queue. ``seeded`` kinds draw a new seed on "Regenerate"; deterministic
    kinds (thumbnails) always use seed 0, so regenerating them rewrites nothing.
    """

    kind: str
    version: str
    device: str
    spec_type: type[Spec]
    run: Callable[[Image.Image, Any, Context], list[Output]]
    label: str = ""
    seeded: bool = False
    #: ``decode_hint(spec, width, height)`` → the smallest (w, h) px the source may be decoded
    #: at (JPEG DCT scaling), or None for full size.
    decode_hint: Callable[[Any, int, int], tuple[int, int] | None] | None = None
    #: ``models(spec)`` → the (role, name) pairs a run may use, e.g. ``[("texture", "brick"),
    #: ("sr", "x2")]``; their versions become part of the outputs' model version, so training
    #: and activating a new model makes "Generate" produce new outputs.
    models: Callable[[Any], list[tuple[str, str]]] | None = None
    #: ``preview(spec)`` → a cheaper spec whose outputs can be shown first while the full
    #: spec is made (thumbnails: fixed quality, no super-resolution), or None when ``spec``
    #: is already that cheap. Its outputs are replaced by the full run's.
    preview: Callable[[Any], Any | None] | None = None
