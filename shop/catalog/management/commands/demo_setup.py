"""``manage.py demo_setup``: an admin user and a few demo products from photos that ship
inside scikit-image (so the demo needs nothing outside installed packages)."""

from __future__ import annotations

import secrets
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from shop.catalog.management.commands.import_catalog import import_photo
from shop.catalog.models import Product

# (file inside skimage/data, product name, price)
DEMO_PHOTOS = [
    ("coffee.png", "Espresso cup", "12.90"),
    ("rocket.jpg", "Rocket launch poster", "24.00"),
    ("chelsea.png", "Tabby cat portrait print", "18.50"),
    ("astronaut.png", "Astronaut poster", "21.00"),
    ("hubble_deep_field.jpg", "Deep field wall art", "39.00"),
    ("motorcycle_left.png", "Motorcycle photo print", "16.00"),
]


def demo_photo_dir() -> Path:
    return Path(str(resources.files("skimage") / "data"))


class Command(BaseCommand):
    help = "Create (or reset) the demo admin user and load demo products once."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", default="", help="Default: a new random password.")

    def handle(self, *args: Any, username: str, password: str, **options: Any) -> None:
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
            folder = demo_photo_dir()
            for filename, name, price in DEMO_PHOTOS:
                path = folder / filename
                if path.exists():
                    import_photo(path, name=name, price=Decimal(price))
            self.stdout.write(f"loaded {Product.objects.count()} demo products")
        self.stdout.write(f"admin user: {username}  password: {password}")
