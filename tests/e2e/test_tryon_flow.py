"""A shopper's "Try it in your photo" in a real browser (Debian's Chromium through Playwright),
on the demo's product page with a real worker: upload a photo, drag and scale the product
(mouse and keyboard on a desktop, touch on a phone), mark the horizon (a click) and a table
top's corners (keyboard alone), render, see the result,
download it, delete it. Screenshots are written under a temporary folder (printed)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gan_imaging.models import TryOn
from shop.catalog.models import Product
from tests.conftest import make_packshot

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"])
        yield browser
        browser.close()


@pytest.fixture
def shots(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tryon-screenshots")
    print(f"\ntry-on screenshots: {folder}")
    return folder


@pytest.fixture
def product(settings) -> Product:
    # No renders or banners queued in front of the try-on on the test's single worker.
    settings.GAN_IMAGING = {**settings.GAN_IMAGING, "ON_UPLOAD": []}
    p = Product(name="Brass desk lamp", price="89.00")
    p.image = SimpleUploadedFile("lamp.jpg", make_packshot(800, 600))
    p.save()
    return p


def room_photo() -> bytes:
    im = Image.new("RGB", (2000, 1500), (205, 198, 186))
    im.paste((120, 92, 66), (0, 800, 2000, 1500))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=88)
    return buf.getvalue()


def box(page) -> dict:
    return page.locator(".gan-tryon-product").bounding_box()


def upload_and_wait(page, url: str) -> None:
    page.goto(url)
    page.set_input_files(".gan-tryon-file", files=[{
        "name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": room_photo()}])
    page.wait_for_selector(".gan-tryon-stage:not([hidden])")
    page.wait_for_function("document.querySelector('.gan-tryon-photo').naturalWidth > 0"
                           " && document.querySelector('.gan-tryon-product').naturalWidth > 0")


def render_and_check(page, shots: Path, name: str) -> dict:
    """Render, check the result and its download, delete; returns the pose that was rendered."""
    page.click(".gan-tryon-render")
    page.wait_for_selector(".gan-tryon-result:not([hidden])", timeout=120_000)
    page.wait_for_function("document.querySelector('.gan-tryon-result img').naturalWidth > 0")
    page.locator(".gan-tryon-result").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"{name}-result.png"), full_page=True)
    href = page.eval_on_selector(".gan-tryon-download", "a => a.href")
    assert href and "download=1" in href
    got = page.request.get(href)
    assert got.status == 200 and got.body()[:2] == b"\xff\xd8"
    assert "attachment" in got.headers["content-disposition"]
    result_url = page.eval_on_selector(".gan-tryon-result img", "i => i.src")
    pose = TryOn.objects.get().pose
    page.click(".gan-tryon-delete")
    page.wait_for_selector(".gan-tryon-stage[hidden]", state="attached")
    assert page.locator(".gan-tryon-message").inner_text().strip()
    page.screenshot(path=str(shots / f"{name}-deleted.png"), full_page=True)
    assert page.request.get(result_url).status == 404
    assert TryOn.objects.get().status == "deleted"
    return pose


def test_desktop_shopper_places_renders_downloads_and_deletes(
        browser, live_server, celery_worker, product, shots):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    upload_and_wait(page, live_server.url + product.get_absolute_url())
    page.screenshot(path=str(shots / "desktop-uploaded.png"), full_page=True)
    before = box(page)
    # Drag with the mouse.
    page.mouse.move(before["x"] + before["width"] / 2, before["y"] + before["height"] / 2)
    page.mouse.down()
    page.mouse.move(before["x"] + before["width"] / 2 - 60, before["y"] + before["height"] / 2
                    - 20, steps=8)
    page.mouse.up()
    dragged = box(page)
    assert dragged["x"] < before["x"] - 40 and dragged["y"] < before["y"] - 10
    # Keyboard: + grows it, arrows move it.
    page.focus(".gan-tryon-product")
    for _ in range(3):
        page.keyboard.press("+")
    page.keyboard.press("ArrowRight")
    grown = box(page)
    assert grown["width"] > dragged["width"] * 1.1
    page.keyboard.press("-")
    assert box(page)["width"] < grown["width"]
    # Mark the horizon where the floor meets the wall.
    page.click(".gan-tryon-mark-horizon")
    stage = page.locator(".gan-tryon-photo").bounding_box()
    page.mouse.click(stage["x"] + 20, stage["y"] + stage["height"] * 0.53)
    assert page.eval_on_selector(".gan-tryon-horizon-line", "l => l.getAttribute('visibility')") \
        == "visible"
    # Mark a table top's four corners with the keyboard alone: arrows move the marker,
    # Enter places a corner.
    page.click(".gan-tryon-mark-quad")
    for keys in (["Shift+ArrowLeft"] * 6, ["Shift+ArrowRight"] * 12,
                 ["Shift+ArrowDown"] * 8 + ["Shift+ArrowRight"] * 2, ["Shift+ArrowLeft"] * 16):
        for key in keys:
            page.keyboard.press(key)
        page.keyboard.press("Enter")
    assert len(page.get_attribute(".gan-tryon-quad", "points").split()) == 4
    page.select_option(".gan-tryon-surface", "table")
    page.screenshot(path=str(shots / "desktop-placed.png"), full_page=True)
    pose = render_and_check(page, shots, "desktop")
    assert pose["horizon"] == pytest.approx(0.53, abs=0.02) and pose["surface"] == "table"
    corners = [v for point in pose["quad"] for v in point]
    assert corners == pytest.approx([0.2, 0.53, 0.8, 0.53, 0.9, 0.93, 0.1, 0.93], abs=0.025)
    assert pose["x"] < 0.5 and pose["width"] > 0.3  # dragged left, grown


def test_phone_shopper_drags_and_pinches_by_touch(browser, live_server, celery_worker, product,
                                                  shots):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    page = context.new_page()
    upload_and_wait(page, live_server.url + product.get_absolute_url())
    page.locator(".gan-tryon-product").scroll_into_view_if_needed()
    before = box(page)
    cdp = context.new_cdp_session(page)
    cx, cy = before["x"] + before["width"] / 2, before["y"] + before["height"] / 2

    def touch(kind: str, points: list[tuple[float, float]]) -> None:
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [
            {"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)]})

    touch("touchStart", [(cx, cy)])
    for k in range(1, 6):
        touch("touchMove", [(cx + 8 * k, cy + 4 * k)])
    touch("touchEnd", [])
    dragged = box(page)
    assert dragged["x"] > before["x"] + 25
    # Pinch out with two fingers.
    cx, cy = dragged["x"] + dragged["width"] / 2, dragged["y"] + dragged["height"] / 2
    touch("touchStart", [(cx - 10, cy), (cx + 10, cy)])
    for k in range(1, 6):
        touch("touchMove", [(cx - 10 - 6 * k, cy), (cx + 10 + 6 * k, cy)])
    touch("touchEnd", [])
    assert box(page)["width"] > dragged["width"] * 1.2
    page.screenshot(path=str(shots / "phone-placed.png"), full_page=True)
    render_and_check(page, shots, "phone")
    context.close()
