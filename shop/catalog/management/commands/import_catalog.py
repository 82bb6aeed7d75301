"""``manage.py import_catalog DIR [--limit N]``: one product per photo in a folder."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from gan_imaging.core.errors import GanImagingError
from shop.catalog.models import Product

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".avif"}


def import_photo(path: Path, *, name: str | None = None, price: Decimal | None = None) -> Product:
    """Create a product from a photo file; raises GanImagingError for a refused photo."""
    rng = random.Random(path.name)
    with path.open("rb") as fh, transaction.atomic():
        product = Product(
            name=name or path.stem.replace("-", " ").replace("_", " ").strip().title(),
            price=price or Decimal(rng.randrange(900, 19900)) / 100,
            description=f"Imported from {path.name}.",
        )
        product.image = File(fh, name=path.name)
        product.save()  # validates the photo before anything is written
    return product


class Command(BaseCommand):
    help = "Create a product for every photo in DIR (photos that fail validation are listed)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("directory")
        parser.add_argument("--limit", type=int, default=0, help="At most N photos (0: all).")

    def handle(self, *args: Any, directory: str, limit: int, **options: Any) -> None:
        root = Path(directory)
        if not root.is_dir():
            raise CommandError(f"{directory} is not a folder.")
        photos = sorted(p for p in root.rglob("*") if p.suffix.lower() in PHOTO_SUFFIXES)
        if limit:
            photos = photos[:limit]
        done = refused = 0
        for path in photos:
            try:
                import_photo(path)
                done += 1
            except GanImagingError as exc:
                refused += 1
                self.stderr.write(f"{path}: {exc}")
        self.stdout.write(f"imported {done} product(s), refused {refused}")
