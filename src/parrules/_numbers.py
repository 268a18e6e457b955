"""Exact numbers: reading written decimals and showing them in Vietnamese or English."""

from __future__ import annotations

import decimal
import re
from decimal import ROUND_HALF_UP, Decimal

_PLAIN = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)")
_MAX_DIGITS = 28

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)


def parse_decimal(value: object, *, percent: bool = False) -> Decimal:
    """Read a number as written: ``19.86``, ``"19,86"``, and with ``percent`` also ``"93,4%"``.

    Raises ``ValueError`` with a message fit for a user; callers add the location. A string with
    both separators, or with several, is refused: it cannot be read without guessing.
    """
    if isinstance(value, bool):
        msg = f"expected a number, got {value!r}"
        raise ValueError(msg)
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        # Only reached for floats built by code, not from YAML (the loader keeps the text).
        result = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "")
        is_percent = percent and text.endswith("%")
        if is_percent:
            text = text[:-1]
        if not _PLAIN.fullmatch(text):
            msg = f"'{value}' is not a number (write 19.86, \"19,86\"" + (
                ' or "93,4%")' if percent else ")"
            )
            raise ValueError(msg)
        result = Decimal(text.replace(",", "."))
        if is_percent:
            result /= HUNDRED
    else:
        msg = f"expected a number, got {type(value).__name__}"
        raise ValueError(msg)
    if not result.is_finite():
        msg = f"{value!r} is not a finite number"
        raise ValueError(msg)
    if len(result.as_tuple().digits) > _MAX_DIGITS or abs(result.adjusted()) > _MAX_DIGITS:
        msg = f"{value!r} has more than {_MAX_DIGITS} digits"
        raise ValueError(msg)
    return result


def quantize(value: Decimal, places: int) -> Decimal:
    """Round half-up to ``places`` decimals, the rounding the published tables use."""
    with decimal.localcontext() as ctx:
        ctx.prec = 60
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def percent(points: Decimal, maximum: Decimal) -> Decimal:
    """Points as an exact percentage of the max (unrounded)."""
    if maximum == 0:
        return ZERO
    return points * HUNDRED / maximum


def fmt(value: Decimal, lang: str = "vi", places: int | None = None) -> str:
    """Show a decimal: ``89,75`` in Vietnamese, ``89.75`` in English, trailing zeros trimmed."""
    if places is not None:
        value = quantize(value, places)
    text = format(value.normalize(), "f") if value != 0 else "0"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return text.replace(".", ",") if lang == "vi" else text


def fmt_percent(value: Decimal, lang: str = "vi", places: int = 2) -> str:
    """A fraction (0.934) shown as a percentage (``93,4%``)."""
    return fmt(value * HUNDRED, lang, places) + "%"
