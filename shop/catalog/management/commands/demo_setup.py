"""``manage.py demo_setup [--photos DIR [--limit N]]``: an admin user and demo products.

The default catalogue needs nothing outside the project: five studio photos of homeware that
:mod:`shop.catalog.demo_photos` draws.
``--photos DIR`` loads up to ``--limit`` photos from a folder instead (one product each)."""

from __future__ import annotations

import secrets
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from gan_imaging.core.errors import GanImagingError
from shop.catalog.demo_photos import DEMO_PRODUCTS, render
from shop.catalog.management.commands.import_catalog import PHOTO_SUFFIXES, import_photo
from shop.catalog.models import Product


def _add(path: Path, name: str, price: str, description: str) -> None:
    product = import_photo(path, name=name, price=Decimal(price))
    Product.objects.filter(pk=product.pk).update(description=description)


def load_default_catalogue() -> None:
    """The generated studio photos, each through :func:`import_photo` like any other photo."""
    with tempfile.TemporaryDirectory(prefix="demo-photos-") as tmp:
        for item in DEMO_PRODUCTS:
            path = Path(tmp) / f"{slugify(item.name)}.jpg"
            path.write_bytes(render(item))
            _add(path, item.name, item.price, item.description)


class Command(BaseCommand):
    help = "Create (or reset) the demo admin user and load demo products once."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", default="", help="Default: a new random password.")
        parser.add_argument("--photos", default="", metavar="DIR",
                            help="Load products from the photos in DIR instead of the demo set.")
        parser.add_argument("--limit", type=int, default=12,
                            help="With --photos: at most N photos (default 12).")

    def handle(self, *args: Any, username: str, password: str, photos: str, limit: int,
               **options: Any) -> None:
        if photos and not Path(photos).is_dir():
            raise CommandError(f"{photos} is not a folder.")
        if photos and limit < 1:
            raise CommandError("--limit must be at least 1.")
        password = password or secrets.token_urlsafe(9)
        User = get_user_model()
        user, _ = User.objects.get_or_create(username=username, defaults={"email": ""})
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        from gan_imaging.models import BrandKit

        if not BrandKit.objects.exists():
            # Before the products: their banners are made in this kit on upload.
            BrandKit.objects.create(name="Demo shop", default=True, primary_colour="#1f3a5f",
                                    secondary_colour="#f2a541", headline="New in the shop",
                                    cta="Shop now", background="texture:brick")
        if not Product.objects.exists():
            if photos:
                self._load_folder(Path(photos), limit)
            else:
                load_default_catalogue()
            self.stdout.write(f"loaded {Product.objects.count()} demo products")
        self.stdout.write(f"admin user: {username}  password: {password}")

    def _load_folder(self, root: Path, limit: int) -> None:
        found = sorted(p for p in root.rglob("*") if p.suffix.lower() in PHOTO_SUFFIXES)
        for path in found[:limit]:
            try:
                import_photo(path)
            except GanImagingError as exc:
                self.stderr.write(f"{path}: {exc}")
