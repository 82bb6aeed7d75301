"""Locale price formatting for banners: ``¥1,299``, ``$12.99``, ``12,99 €``, ``£12.99``.

A small table of the CLDR conventions for the locales shops ask for (no Babel: the banner
needs a dozen locales and a handful of currencies, not the whole CLDR). Per locale: decimal
and grouping separators and whether the symbol goes before or after the number; per
currency: its minor-unit digits and its symbol, which can depend on the locale (``$`` in the
US, ``US$`` in China). Spaces inside a price are no-break spaces (U+00A0) so a line break
never separates ``12,99`` from ``€``; CLDR's narrow no-break space is avoided because common
CJK fonts lack it.

Whole amounts drop their zero cents (``$12``, not ``$12.00``), as ads do. Amounts are decimal
strings (never floats); rounding is half-up to the currency's minor unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

from gan_imaging.core.errors import SpecError, gettext_noop

NBSP = "\u00a0"


@dataclass(frozen=True)
class _Locale:
    decimal: str
    group: str
    symbol_first: bool
    space: bool  # a space between symbol and number


_LOCALES: dict[str, _Locale] = {
    "en-US": _Locale(".", ",", True, False),
    "en-GB": _Locale(".", ",", True, False),
    "en-CA": _Locale(".", ",", True, False),
    "en-AU": _Locale(".", ",", True, False),
    "zh-CN": _Locale(".", ",", True, False),
    "zh-TW": _Locale(".", ",", True, False),
    "zh-HK": _Locale(".", ",", True, False),
    "ja-JP": _Locale(".", ",", True, False),
    "ko-KR": _Locale(".", ",", True, False),
    "de-DE": _Locale(",", ".", False, True),
    "de-AT": _Locale(",", NBSP, True, True),
    "de-CH": _Locale(".", "’", True, True),
    "fr-FR": _Locale(",", NBSP, False, True),
    "es-ES": _Locale(",", ".", False, True),
    "it-IT": _Locale(",", ".", False, True),
    "nl-NL": _Locale(",", ".", True, True),
}
#: Language → the locale its bare code stands for ("de" → de-DE).
_DEFAULT_REGION = {"en": "en-US", "zh": "zh-CN", "ja": "ja-JP", "ko": "ko-KR", "de": "de-DE",
                   "fr": "fr-FR", "es": "es-ES", "it": "it-IT", "nl": "nl-NL"}  # fmt: skip

# currency → (minor digits, default symbol, {locale or language: symbol})
_CURRENCIES: dict[str, tuple[int, str, dict[str, str]]] = {
    "USD": (2, "$", {"zh": "US$", "en-GB": "US$", "en-CA": "US$", "en-AU": "US$", "ko": "US$"}),
    "CNY": (2, "CN¥", {"zh-CN": "¥", "ja": "元"}),
    "EUR": (2, "€", {}),
    "GBP": (2, "£", {}),
    "JPY": (0, "¥", {"zh-CN": "JP¥", "ja": "￥"}),
    "KRW": (0, "₩", {}),
    "CHF": (2, "CHF", {}),
    "CAD": (2, "CA$", {"en-CA": "$"}),
    "AUD": (2, "A$", {"en-AU": "$"}),
    "HKD": (2, "HK$", {"zh-HK": "HK$"}),
    "TWD": (2, "NT$", {"zh-TW": "$"}),
}

LOCALES = tuple(_LOCALES)
CURRENCIES = tuple(_CURRENCIES)


def canonical_locale(locale: str) -> str:
    """``"zh_cn"`` / ``"zh-CN"`` → ``"zh-CN"``; a bare language maps to its main locale.

    Raises :class:`SpecError` for locales this table does not know.
    """
    parts = locale.replace("_", "-").split("-")
    tag = parts[0].lower() + ("-" + parts[1].upper() if len(parts) > 1 else "")
    if tag in _LOCALES:
        return tag
    if tag.split("-")[0] in _DEFAULT_REGION and len(parts) == 1:
        return _DEFAULT_REGION[tag]
    raise SpecError(
        gettext_noop("Locale %(locale)s is not supported for prices; use one of %(choices)s."),
        params={"locale": repr(locale), "choices": ", ".join(LOCALES)},
    )


def parse_amount(value: str | Decimal, what: str = "price") -> Decimal:
    """A decimal string such as ``"1299"`` or ``"12.99"`` → Decimal (≥ 0, finite).

    ``what``: ``"price"`` or ``"sale price"``, which the error message names.
    """
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0:
        raise SpecError(
            gettext_noop("The sale price %(value)s must be a number such as 12.99.")
            if what == "sale price"
            else gettext_noop("The price %(value)s must be a number such as 12.99."),
            params={"value": repr(value)},
        )
    return amount


def _symbol(currency: str, locale: str) -> str:
    _digits, default, overrides = _CURRENCIES[currency]
    return overrides.get(locale, overrides.get(locale.split("-")[0], default))


def format_price(
    amount: str | Decimal, currency: str, locale: str = "en-US", *, keep_zero_cents: bool = False
) -> str:
    """``amount`` (a decimal string) as a price in ``currency`` (ISO 4217) for ``locale``.

    >>> format_price("1299", "CNY", "zh-CN"), format_price("12.99", "EUR", "de-DE")
    ('¥1,299', '12,99\xa0€')
    """
    cur = currency.upper()
    if cur not in _CURRENCIES:
        raise SpecError(
            gettext_noop("Currency %(currency)s is not supported; use one of %(choices)s."),
            params={"currency": repr(currency), "choices": ", ".join(CURRENCIES)},
        )
    loc = canonical_locale(locale)
    conv = _LOCALES[loc]
    digits = _CURRENCIES[cur][0]
    value = parse_amount(amount).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    whole, _, frac = f"{value:f}".partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    number = conv.group.join([whole, *groups])
    if frac and (keep_zero_cents or int(frac) != 0):
        number += conv.decimal + frac
    symbol = _symbol(cur, loc)
    space = NBSP if conv.space or symbol[-1].isalpha() and conv.symbol_first else ""
    return f"{symbol}{space}{number}" if conv.symbol_first else f"{number}{NBSP}{symbol}"


def format_discount(price: str | Decimal, sale_price: str | Decimal, locale: str) -> str:
    """The saving as the locale says it: ``-23%`` (en), ``-23 %`` (de, fr), ``7.7折`` (zh:
    the share paid, in tenths), ``23%OFF`` (ja). Rounded so it is never overstated."""
    was, now = parse_amount(price), parse_amount(sale_price, "sale price")
    if was <= 0 or now >= was:
        raise SpecError(gettext_noop("A sale price must be lower than the regular price."))
    off = ((was - now) / was * 100).quantize(Decimal(1), rounding=ROUND_DOWN)
    loc = canonical_locale(locale)
    lang = loc.split("-")[0]
    if lang == "zh":
        paid = (now / was * 10).quantize(Decimal("0.1"), rounding=ROUND_CEILING)
        return f"{paid.normalize():f}折"
    if lang == "ja":
        return f"{off}%OFF"
    return f"-{off}{NBSP}%" if lang in ("de", "fr", "es", "it", "nl") else f"-{off}%"


@dataclass(frozen=True)
class PriceTag:
    """What a banner shows: the price to pay, the struck-through regular price when on sale,
    and the discount label (both None when not on sale)."""

    price: str
    original: str | None = None
    discount: str | None = None


def price_tag(
    price: str | None, sale_price: str | None, currency: str, locale: str
) -> PriceTag | None:
    """Format a banner's price line; None when no price is given. With a sale price below the
    regular one: the sale price, the regular price and the discount."""
    if not price:
        return None
    if sale_price:
        return PriceTag(
            format_price(sale_price, currency, locale),
            format_price(price, currency, locale),
            format_discount(price, sale_price, locale),
        )
    return PriceTag(format_price(price, currency, locale))
