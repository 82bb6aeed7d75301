"""Project hygiene: migrations are committed; the demo commands work."""

import pytest
from django.core.management import call_command

from shop.catalog.models import Product


@pytest.mark.django_db
def test_no_missing_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_demo_setup_loads_products_from_an_installed_package(capsys):
    call_command("demo_setup", password="pw-for-test")
    out = capsys.readouterr().out
    assert "password: pw-for-test" in out
    assert Product.objects.count() >= 5
    assert all(p.image.jobs.count() == 1 for p in Product.objects.all())


@pytest.mark.django_db
def test_import_catalog_reports_refused_photos(tmp_path, capsys):
    from tests.conftest import make_photo

    (tmp_path / "good-mug.jpg").write_bytes(make_photo(300, 300))
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnope")
    call_command("import_catalog", str(tmp_path))
    captured = capsys.readouterr()
    assert "imported 1 product(s), refused 1" in captured.out
    assert "broken.png" in captured.err
    assert Product.objects.get().name == "Good Mug"
