"""A merchant's path in a real browser (Debian's Chromium through Playwright): log in, add a
product with a photo, watch each kind appear as its job finishes without reloading, see the
thumbnails, product renders and banners, open the storefront. Screenshots land in
test-artifacts/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import make_packshot

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.django_db(transaction=True),
              pytest.mark.all_outputs]


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is required under CI=true (apt-get install chromium)")
        pytest.skip("Chromium is not installed")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        yield browser
        browser.close()


def decoded(page) -> None:
    """Wait until every image on the page is decoded, so screenshots show them."""
    page.evaluate("Promise.all(Array.from(document.images).map(i => i.decode().catch(() => 0)))")


def test_merchant_adds_a_product_and_watches_thumbnails_appear(
    browser, live_server, celery_worker, django_user_model, tmp_path
):
    ARTIFACTS.mkdir(exist_ok=True)
    django_user_model.objects.create_superuser("merchant", "m@example.com", "s3cret-pass")
    photo = tmp_path / "lamp.jpg"
    photo.write_bytes(make_packshot(1600, 1200))

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "merchant")
    page.fill("#id_password", "s3cret-pass")
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/catalog/product/add/")
    page.fill("#id_name", "Brass desk lamp")
    page.fill("#id_price", "89.00")
    # A 400-character Chinese file name (1,200 bytes) is over what Django's upload parser
    # takes; the admin's script sends it under a shorter name.
    page.set_input_files("#id_image", files=[{
        "name": "黄铜台灯" * 100 + ".jpg", "mimeType": "image/jpeg",
        "buffer": photo.read_bytes()}])
    page.click("input[name=_continue]")
    page.wait_for_selector(".gan-imaging-previews")
    page.screenshot(path=str(ARTIFACTS / "admin-pending.png"), full_page=True)

    # Each kind shows up as soon as its own job is done: thumbnails while renders and banners
    # are still being made, and the running job's attempts count follows it live.
    page.wait_for_selector(".gan-grid[data-kind='thumbnails'] img", timeout=120_000)
    assert page.locator("tr.gan-job[data-active='1']").count() >= 1
    assert page.locator(".gan-status-pending").count() == 1
    page.wait_for_function(
        "Array.from(document.querySelectorAll('tr.gan-job-running .gan-job-attempts'))"
        ".some(td => td.textContent.trim() === '1/3')", timeout=120_000)
    page.screenshot(path=str(ARTIFACTS / "admin-partial.png"), full_page=True)

    # The block is replaced in place by the polling script once the jobs finish.
    page.wait_for_selector(".gan-status-ready", timeout=240_000)
    assert "/change/" in page.url
    images = page.locator(".gan-rendition img")
    assert images.count() >= 6
    # The demo shop makes every kind on upload: one preview grid each.
    for kind in ("thumbnails", "renders", "banners"):
        assert page.locator(f".gan-grid[data-kind='{kind}'] img").count() >= 1, kind
    assert page.locator(".gan-compliance").count() == 1  # the packshot's marketplace report
    page.wait_for_function(
        "Array.from(document.querySelectorAll('.gan-rendition img'))"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    decoded(page)
    page.screenshot(path=str(ARTIFACTS / "admin-ready.png"), full_page=True)

    page.goto(f"{live_server.url}/")
    page.wait_for_function("document.querySelector('.banners img').naturalWidth > 0")
    card = page.locator("a.card", has_text="Brass desk lamp")
    assert card.locator("picture source[type='image/webp']").count() == 1
    page.wait_for_function("document.querySelector('a.card picture img').naturalWidth > 0")
    decoded(page)
    page.screenshot(path=str(ARTIFACTS / "storefront.png"), full_page=True)
    card.click()
    page.wait_for_selector("h1:has-text('Brass desk lamp')")
    assert page.locator(".gallery img[data-render^='scene-']").count() >= 1
    page.wait_for_function(
        "Array.from(document.querySelectorAll('.gallery img'))"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    decoded(page)
    page.screenshot(path=str(ARTIFACTS / "product.png"), full_page=True)
