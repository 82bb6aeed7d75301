"""A try-on rendered by a real Celery worker process from the ``tryon`` queue, through the
storefront's endpoints, as the product page's script drives them."""

from __future__ import annotations

import io
import json
import time

import pytest
from django.test import Client
from PIL import Image

from gan_imaging.models import TryOn
from tests.app.test_tryon import phone_photo, product, upload  # noqa: F401 - fixture

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_worker_renders_the_try_on_and_only_its_owner_sees_it(celery_worker, product):  # noqa: F811
    client = Client()
    state = upload(client, product, phone_photo(2400, 1800)).json()
    body = {"x": 0.45, "y": 0.92, "width": 0.3, "surface": "table",
            "quad": [[0.1, 0.55], [0.9, 0.55], [1.0, 0.98], [0.0, 0.98]]}
    assert client.post(state["render_url"], json.dumps(body),
                       content_type="application/json").status_code == 202
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = client.get(state["status_url"]).json()
        if state["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.25)
    assert state["status"] == "succeeded", state
    with Image.open(io.BytesIO(client.get(state["result_url"]).content)) as im:
        assert im.size == (1600, 1200)
    row = TryOn.objects.get()
    assert row.attempts == 1 and row.meta["width"] == 1600
    other = Client()
    other.get("/")
    assert other.get(state["result_url"]).status_code == 404
