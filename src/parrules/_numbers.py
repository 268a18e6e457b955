"""Exact numbers: reading written decimals and showing them in Vietnamese or English."""

from __future__ import annotations

import decimal
import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

_PLAIN = re.compile(r"[+-]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)")
_LEADING_ZERO = re.compile(r"[+-]?0[0-9]")
MAX_DIGITS = 28
"""Significant digits and decimal exponent a number may have: far beyond any index value, and
small enough that exact arithmetic on it stays fast and within the decimal context."""

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
_SMALL = tuple(Decimal(n) for n in range(1024))
"""The whole numbers units give most, one object each: counts and points are shared, not
copied into every unit."""


def _show(value: object) -> str:
    """A value quoted in a message, shortened so that hostile input cannot flood the terminal."""
    text = value if isinstance(value, str) else str(value)
    text = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return f"'{text[:40]}…'" if len(text) > 40 else f"'{text}'"


def check_magnitude(value: Decimal, shown: object) -> Decimal:
    """Refuse NaN, infinities and numbers beyond ``MAX_DIGITS`` digits or exponent."""
    if not value.is_finite():
        msg = f"{_show(shown)} is not a finite number"
        raise ValueError(msg)
    text = str(value)  # much faster than as_tuple(): within bounds when short, no exponent
    if len(text) <= MAX_DIGITS and "E" not in text:
        return value
    if len(value.as_tuple().digits) > MAX_DIGITS or abs(value.adjusted()) > MAX_DIGITS:
        msg = f"{_show(shown)} has more than {MAX_DIGITS} digits"
        raise ValueError(msg)
    return value


def _parse_text(value: str, percent: bool) -> Decimal:
    text = value.strip(" \t\u00a0")
    is_percent = percent and text.endswith("%")
    if is_percent:
        text = text[:-1].rstrip(" \u00a0")
    if _PLAIN.fullmatch(text):
        if _LEADING_ZERO.match(text):
            msg = f"{_show(value)} is not a number: it starts with a 0 (write it without the 0)"
            raise ValueError(msg)
        result = Decimal(text.replace(",", "."))
        return result / HUNDRED if is_percent else result
    separators = sum(text.count(c) for c in ".,")
    if re.fullmatch(r"[+-]?[0-9., \u00a0]+", text) and (separators > 1 or " " in text):
        msg = (
            f"{_show(value)} is not a number: thousands separators are not accepted (write the "
            'digits with at most one decimal separator: 1339, 19.86 or "19,86")'
        )
        raise ValueError(msg)
    example = '19.86, "19,86" or "93,4%"' if percent else '19.86 or "19,86"'
    msg = f"{_show(value)} is not a number (write {example})"
    raise ValueError(msg)


def parse_decimal(value: object, *, percent: bool = False) -> Decimal:
    """Read a number as written: ``19.86``, ``"19,86"``, and with ``percent`` also ``"93,4%"``.

    Raises ``ValueError`` with a message fit for a user; callers add the location. Only one way
    of writing each number is read, so nothing is guessed: a single ``.`` or ``,`` is the decimal
    separator; thousands separators (a second separator, or spaces between digits), leading
    zeros, exponents, NaN and infinities are refused, as are more than ``MAX_DIGITS`` digits.
    """
    if isinstance(value, bool):
        msg = f"expected a number, got {str(value).lower()}"
        raise ValueError(msg)
    if type(value) is int and 0 <= value < 1024:
        return _SMALL[value]
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        if value.bit_length() > 100:  # before Decimal(): huge ints are slow to convert
            msg = f"a whole number has more than {MAX_DIGITS} digits"
            raise ValueError(msg)
        result = Decimal(value)
    elif isinstance(value, float):
        # Only reached for floats built by code, not from YAML (the loader keeps the text).
        result = Decimal(repr(value))
    elif isinstance(value, str):
        result = _parse_text(value, percent)
    else:
        kind = "nothing" if value is None else type(value).__name__
        msg = f"expected a number, got {kind}"
        raise ValueError(msg)
    return check_magnitude(result, value)


_ROUNDING = decimal.Context(prec=60, rounding=ROUND_HALF_UP)
_EXPONENTS = {places: Decimal(1).scaleb(-places) for places in range(13)}


def quantize(value: Decimal, places: int) -> Decimal:
    """Round half-up to ``places`` decimals, the rounding the published tables use."""
    exponent = _EXPONENTS.get(places)
    if exponent is None:
        exponent = Decimal(1).scaleb(-places)
    return value.quantize(exponent, ROUND_HALF_UP, _ROUNDING)


_WIDE = decimal.Context(prec=60)
SHOWN = 8192
"""Distinct values whose canonical form, and text per language, are kept once made (cards and
explanations show a few thousand)."""


def canonical(value: Decimal) -> Decimal:
    """The one way a score card writes a value: exact, with no trailing zeros and no exponent
    on whole numbers (``0.50`` → ``0.5``, ``95.00`` → ``95``, ``1E+2`` → ``100``), so that equal
    values print the same and ``str`` gives what the JSON writes."""
    if not value:
        return ZERO
    if not value.is_finite():
        return _canonical(value)
    found = _CANONICAL.get(value)  # equal values have one canonical form: each is made once
    if found is None:
        found = _canonical(value)
        if len(_CANONICAL) < SHOWN:
            _CANONICAL[value] = found
    return found


_CANONICAL: dict[Decimal, Decimal] = {}


def _canonical(value: Decimal) -> Decimal:
    if value == value.to_integral_value():
        return value.quantize(ONE, context=_WIDE)
    return value.normalize(_WIDE)


def canonical_or_none(value: Decimal | None) -> Decimal | None:
    return None if value is None else canonical(value)


def percent(points: Decimal, maximum: Decimal) -> Decimal:
    """Points as an exact percentage of the max (unrounded, in canonical form)."""
    if maximum == 0:
        return ZERO
    return canonical(points * HUNDRED / maximum)


_SHOWN: dict[str, dict[Decimal, str]] = {"vi": {}, "en": {}}


def fmt(value: Decimal, lang: str = "vi", places: int | None = None) -> str:
    """Show a decimal: ``89,75`` in Vietnamese, ``89.75`` in English, trailing zeros trimmed."""
    if places is not None:
        value = quantize(value, places)
    shown = _SHOWN.get(lang)
    if shown is None or not value.is_finite():
        return _fmt(value, lang)
    text = shown.get(value)  # equal values show the same: each is written once
    if text is None:
        text = _fmt(value, lang)
        if len(shown) < SHOWN:
            shown[value] = text
    return text


def _fmt(value: Decimal, lang: str) -> str:
    text = format(value.normalize(), "f") if value != 0 else "0"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return text.replace(".", ",") if lang == "vi" else text


def fmt_fixed(value: Decimal, lang: str = "vi", places: int = 2) -> str:
    """A decimal at exactly ``places`` decimals, trailing zeros kept: ``1,50`` beside ``0,25``."""
    text = format(quantize(value, places), "f")
    if text.lstrip("-").strip("0.") == "":
        text = text.lstrip("-")
    return text.replace(".", ",") if lang == "vi" else text


def fmt_percent(value: Decimal, lang: str = "vi", places: int = 2) -> str:
    """A fraction (0.934) shown as a percentage (``93,4%``)."""
    shown = _PERCENT.get(lang) if places == 2 else None
    if shown is None or not value.is_finite():
        return fmt(value * HUNDRED, lang, places) + "%"
    text = shown.get(value)  # as ``fmt``: each value written once
    if text is None:
        text = fmt(value * HUNDRED, lang, places) + "%"
        if len(shown) < SHOWN:
            shown[value] = text
    return text


_PERCENT: dict[str, dict[Decimal, str]] = {"vi": {}, "en": {}}
_NONE: dict[Decimal, str] = {}


def shown_texts(lang: str) -> tuple[Mapping[Decimal, str], Mapping[Decimal, str]]:
    """The texts ``fmt`` and ``fmt_percent`` have written in ``lang``, to read before calling
    them where many values are shown: a value not among them is written by calling them."""
    return _SHOWN.get(lang, _NONE), _PERCENT.get(lang, _NONE)
