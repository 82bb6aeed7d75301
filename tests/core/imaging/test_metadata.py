"""Decoded images carry no metadata into ``encode()``'s outputs; same input, same bytes."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from gan_imaging.core.imaging.decode import decode
from gan_imaging.core.imaging.encode import encode
from gan_imaging.core.testing.builders import adobe_rgb_icc
from gan_imaging.core.testing.hostile import generate
from tests.core.imaging.helpers import exif_with, save

XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
    b'22-rdf-syntax-ns#"><rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
    b'tiff:Make="LeakCam"/></rdf:RDF></x:xmpmeta>'
)
MARKERS = (
    b"LeakCam",
    b"Exif\x00\x00",
    b"ICC_PROFILE",
    b"iCCP",
    b"eXIf",
    b"secret comment",
    b"xmpmeta",
    b"Adobe RGB",
    b"EXIF",
    b"ICCP",
    b"XMP ",
)


def _tagged_source(fmt: str) -> bytes:
    im = Image.new("RGB", (64, 48), (100, 150, 200))
    params = {
        "exif": exif_with(6, gps=True, make="LeakCam"),
        "icc_profile": adobe_rgb_icc(),
        "xmp": XMP,
    }
    if fmt == "JPEG":
        params["comment"] = b"secret comment"
    return save(im, fmt, **params)


@pytest.mark.parametrize("source", ["JPEG", "WEBP", "AVIF", "PNG"])
@pytest.mark.parametrize("target", ["jpeg", "webp", "avif", "png"])
def test_no_metadata_survives_decode_and_encode(source, target):
    data = _tagged_source(source)
    assert b"LeakCam" in data  # the source really carries metadata
    im, _ = decode(data)
    assert im.info == {}
    out = encode(im, target, quality=80)
    assert [m for m in MARKERS if m in out] == []
    again = Image.open(io.BytesIO(out))
    assert not {"exif", "xmp", "icc_profile", "comment", "XML:com.adobe.xmp"} & set(again.info)
    assert dict(again.getexif()) == {}


@pytest.mark.parametrize("target", ["jpeg", "webp", "avif", "png"])
def test_same_input_gives_same_bytes(target):
    data = _tagged_source("JPEG")
    first, second = decode(data)[0], decode(data)[0]
    assert np.array_equal(np.asarray(first), np.asarray(second))
    assert encode(first, target, quality=70) == encode(second, target, quality=70)


def test_hostile_corpus_is_reproducible():
    a = [(c.name, c.data) for c in generate(3, 60)]
    assert a == [(c.name, c.data) for c in generate(3, 60)]
    assert a != [(c.name, c.data) for c in generate(4, 60)]


def test_decoders_and_generator_import_without_django():
    code = (
        "import sys\n"
        "import gan_imaging.core.imaging.decode, gan_imaging.core.testing.hostile\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'celery')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]"
