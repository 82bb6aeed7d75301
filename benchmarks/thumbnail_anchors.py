"""The anchors of ``benchmarks/thumbnails.py``: django-imagekit, sorl-thumbnail and pyvips,
each configured as a user would, with encoder effort matched to ours (see that script's
docstring for the table)."""

from __future__ import annotations

import io

FORMATS = ("avif", "webp", "jpeg")
WIDTHS = (1920, 1280, 960, 640, 480, 320)
FIXED = {"avif": 55, "webp": 80, "jpeg": 82}
PIL_NAME = {"avif": "AVIF", "webp": "WEBP", "jpeg": "JPEG"}
PIL_OPTIONS = {
    "avif": {"quality": FIXED["avif"], "speed": 8},
    "webp": {"quality": FIXED["webp"], "method": 4},
    "jpeg": {"quality": FIXED["jpeg"], "optimize": True, "progressive": True},
}
VIPS_OPTIONS = {
    "avif": (".avif", {"Q": FIXED["avif"], "effort": 1}),
    "webp": (".webp", {"Q": FIXED["webp"], "effort": 4}),
    "jpeg": (".jpg", {"Q": FIXED["jpeg"], "optimize_coding": True, "interlace": True,
                      "background": [255, 255, 255]}),
}  # fmt: skip


def imagekit_spec(width: int, fmt: str) -> type:
    """The ``ImageSpec`` a user would declare for one width × format."""
    from imagekit import ImageSpec
    from imagekit.processors import ResizeToFit, Transpose

    return type(
        f"Thumb{width}{fmt.title()}",
        (ImageSpec,),
        {"processors": [Transpose(), ResizeToFit(width=width, upscale=False)],
         "format": PIL_NAME[fmt], "options": dict(PIL_OPTIONS[fmt])},
    )  # fmt: skip


def imagekit_specs() -> dict:
    return {(w, fmt): imagekit_spec(w, fmt) for w in WIDTHS for fmt in FORMATS}


def imagekit(data: bytes, name: str, widths: list[int], specs: dict) -> list:
    from django.core.files.base import ContentFile

    outs = []
    for w in widths:
        for fmt in FORMATS:
            source = ContentFile(data, name=name)
            if (w, fmt) not in specs:  # a photo narrower than the ladder: its own width
                specs[(w, fmt)] = imagekit_spec(w, fmt)
            content = specs[(w, fmt)](source=source).generate()
            content.seek(0)
            outs.append((fmt, content.read()))
    return outs


def sorl(stored_name: str, widths: list[int]) -> list:
    from sorl.thumbnail import get_thumbnail

    outs = []
    for w in widths:
        for fmt in FORMATS:
            thumb = get_thumbnail(stored_name, str(w), format=PIL_NAME[fmt],
                                  quality=FIXED[fmt])  # fmt: skip
            outs.append((fmt, thumb.read()))
    return outs


def vips(data: bytes, widths: list[int]) -> list:
    import pyvips

    outs = []
    for w in widths:
        thumb = pyvips.Image.thumbnail_buffer(data, w, height=100_000, size="down")
        thumb = thumb.copy_memory()  # decode + resize once, then three saves
        for fmt in FORMATS:
            suffix, options = VIPS_OPTIONS[fmt]
            if fmt != "jpeg" or not thumb.hasalpha():
                options = {k: v for k, v in options.items() if k != "background"}
            outs.append((fmt, thumb.write_to_buffer(suffix, **options)))
    return outs


def configure_django(media_root: str) -> None:
    import django
    from django.conf import settings
    from django.core.management import call_command

    settings.configure(
        DEBUG=False,
        SECRET_KEY="benchmark",
        INSTALLED_APPS=["django.contrib.contenttypes", "sorl.thumbnail", "imagekit"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        MEDIA_ROOT=media_root,
        MEDIA_URL="/media/",
        USE_TZ=True,
        THUMBNAIL_ENGINE="thumbnail_anchors.SorlEngine",
        THUMBNAIL_PROGRESSIVE=True,
        THUMBNAIL_DEBUG=True,
    )
    django.setup()
    call_command("migrate", run_syncdb=True, verbosity=0)


def define_sorl_engine() -> None:
    from sorl.thumbnail.engines.pil_engine import Engine

    class SorlEngine(Engine):
        """sorl's PIL engine, plus AVIF speed 8 so effort matches the other methods."""

        def _get_raw_data(self, image, format_, quality, image_info=None, progressive=False):
            if format_ != "AVIF":
                return super()._get_raw_data(image, format_, quality, image_info, progressive)
            buf = io.BytesIO()
            image.save(buf, "AVIF", quality=quality, speed=8)
            return buf.getvalue()

    globals()["SorlEngine"] = SorlEngine
