"""Locale price formatting and discounts."""

from __future__ import annotations

import pytest

from gan_imaging.core.errors import SpecError
from gan_imaging.core.vision.prices import NBSP, format_discount, format_price, price_tag


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        ("1299", "CNY", "zh-CN", "¥1,299"),
        ("1299.5", "CNY", "zh-CN", "¥1,299.50"),
        ("12.99", "USD", "en-US", "$12.99"),
        ("12.99", "EUR", "de-DE", f"12,99{NBSP}€"),
        ("1299.99", "EUR", "de-DE", f"1.299,99{NBSP}€"),
        ("1299.99", "EUR", "fr-FR", f"1{NBSP}299,99{NBSP}€"),
        ("12.99", "GBP", "en-GB", "£12.99"),
        ("12", "USD", "en-US", "$12"),
        ("12.999", "USD", "en-US", "$13"),
        ("1234567.5", "USD", "en-US", "$1,234,567.50"),
        ("12.99", "USD", "zh-CN", "US$12.99"),
        ("1299", "JPY", "ja-JP", "￥1,299"),
        ("12.5", "CHF", "de-CH", f"CHF{NBSP}12.50"),
        ("12.99", "EUR", "de", f"12,99{NBSP}€"),
    ],
)
def test_format_price(amount: str, currency: str, locale: str, expected: str) -> None:
    assert format_price(amount, currency, locale) == expected


def test_discount_per_locale_is_never_overstated() -> None:
    assert format_discount("1299", "999", "zh-CN") == "7.7折"  # pays 76.9 % → 7.7, not 7.6
    assert format_discount("100", "80", "zh-CN") == "8折"
    assert format_discount("129.99", "99.99", "en-US") == "-23%"  # 23.08 %
    assert format_discount("100", "75.50", "de-DE") == f"-24{NBSP}%"  # 24.5 % → 24
    assert format_discount("100", "70", "ja-JP") == "30%OFF"


def test_price_tag() -> None:
    assert price_tag(None, None, "USD", "en-US") is None
    tag = price_tag("129.99", "99.99", "USD", "en-US")
    assert tag is not None and (tag.price, tag.original, tag.discount) == (
        "$99.99", "$129.99", "-23%")  # fmt: skip
    plain = price_tag("12.99", None, "EUR", "de-DE")
    assert plain is not None and plain.original is None and plain.discount is None


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("abc", "USD", "en-US"), "number"),
        (("-1", "USD", "en-US"), "number"),
        (("1", "XYZ", "en-US"), "Currency"),
        (("1", "USD", "xx-YY"), "Locale"),
    ],
)
def test_bad_input_is_a_spec_error(args: tuple[str, str, str], match: str) -> None:
    with pytest.raises(SpecError, match=match):
        format_price(*args)


def test_sale_price_must_be_lower() -> None:
    with pytest.raises(SpecError, match="lower"):
        format_discount("10", "12", "en-US")
