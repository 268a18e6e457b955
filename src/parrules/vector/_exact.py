"""Exact arithmetic on arrays of int64: decimals as digits at a scale, with known bounds.

Nothing here uses floats. Every array carries bounds on its digits, so that a product is checked
for overflow once, against the bounds, rather than row by row; only when the bounds allow an
overflow are the rows that would overflow found, marked for the scalar form, and left out.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TypeAlias

import attrs
import numpy as np
import numpy.typing as npt

Ints: TypeAlias = npt.NDArray[np.int64]
Bools: TypeAlias = npt.NDArray[np.bool_]

LIMIT = 10**18
"""No digits beyond this magnitude are computed (int64 ends at 9.2 × 10^18)."""
SAFE = 10**13
"""Bound within which a value the scalar form reached by dividing (to 28 significant digits) is
rounded, or compared with an edge, as the exact fraction is: away from a rounding tie or an
edge, a fraction of denominator *d* ≤ ``SAFE`` lies at least 1 / (2 *d*) from it, far more than
the few units in the 28th significant digit that the divisions may have lost."""
TERMINATING = 10**18
"""A fraction whose reduced denominator divides this has at most 18 decimals, so a division that
gives it is exact in 28 significant digits."""


def fraction(value: Decimal) -> tuple[int, int]:
    """``value`` as (numerator, denominator), the denominator a power of ten."""
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    number = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    if exponent >= 0:
        return number * 10**exponent, 1
    return number, 10**-exponent


def places(value: Decimal) -> int:
    """The decimals ``value`` is written with (0 for a whole number)."""
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def digits_at(value: Decimal, scale: int) -> int:
    """The integer ``value × 10**scale``; ``value`` has at most ``scale`` decimals."""
    number, denominator = fraction(value)
    factor, rest = divmod(_power(scale), denominator)
    assert rest == 0, f"{value} has more than {scale} decimals"
    return number * factor


def _power(exponent: int) -> int:
    result: int = 10**exponent
    return result


def round_decimal(value: Decimal, scale: int) -> int:
    """``value × 10**scale`` rounded half away from zero, as the engine rounds points."""
    number, denominator = fraction(value)
    quotient, rest = divmod(abs(number) * _power(scale), denominator)
    quotient += 2 * rest >= denominator
    return -quotient if number < 0 else quotient


@attrs.frozen(eq=False)
class Numbers:
    """Exact decimals of many units: row *i* is ``digits[i] / 10**scale``, and every digit lies
    between ``low`` and ``high``."""

    digits: Ints
    scale: int
    low: int
    high: int

    @classmethod
    def of(cls, digits: Ints, scale: int = 0) -> Numbers:
        """Numbers with bounds read from the digits (0 when there are none)."""
        if digits.size == 0:
            return cls(digits, scale, 0, 0)
        return cls(digits, scale, int(digits.min()), int(digits.max()))

    @classmethod
    def constant(cls, value: Decimal | int, size: int, scale: int | None = None) -> Numbers:
        """``value`` in every row, at ``scale`` (default: its own decimals)."""
        value = Decimal(value)
        scale = places(value) if scale is None else scale
        return cls.filled(digits_at(value, scale), size, scale)

    @classmethod
    def filled(cls, digits: int, size: int, scale: int) -> Numbers:
        """The same digits in every row (a read-only view: arithmetic makes new arrays)."""
        return cls(np.broadcast_to(np.int64(digits), (size,)), scale, digits, digits)

    @property
    def magnitude(self) -> int:
        return max(abs(self.low), abs(self.high))

    def value(self, row: int) -> Decimal:
        return Decimal(int(self.digits[row])).scaleb(-self.scale)


class Guard:
    """Overflow-checked arithmetic over the rows of a batch. Rows that would pass ``LIMIT`` are
    marked in ``bad`` (their digits become 0); the caller hands them to the scalar form."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.bad: Bools | None = None

    def mark(self, rows: Bools) -> None:
        """Leave these rows to the scalar form."""
        self.bad = rows.copy() if self.bad is None else self.bad | rows

    def _fit(self, digits: Ints, low: int, high: int, limit: int = LIMIT) -> tuple[Ints, int, int]:
        """Digits within ``±limit``: the rows beyond are marked and zeroed."""
        if -limit <= low and high <= limit:
            return digits, low, high
        over = np.abs(digits) > limit
        self.mark(over)
        return np.where(over, 0, digits), max(low, -limit), min(high, limit)

    def times(self, x: Numbers, factor: int) -> Numbers:
        """``x × factor`` at the same scale."""
        if factor == 1:
            return x
        digits, low, high = self._fit(x.digits, x.low, x.high, LIMIT // max(abs(factor), 1))
        bounds = (low * factor, high * factor)
        return Numbers(digits * factor, x.scale, min(bounds), max(bounds))

    def at(self, x: Numbers, scale: int) -> Numbers:
        """``x`` at a finer scale (more decimals)."""
        if scale == x.scale:
            return x
        assert scale > x.scale
        moved = self.times(x, 10 ** (scale - x.scale))
        return Numbers(moved.digits, scale, moved.low, moved.high)

    def align(self, *numbers: Numbers) -> list[Numbers]:
        scale = max(n.scale for n in numbers)
        return [self.at(n, scale) for n in numbers]

    def plus(self, x: Numbers, y: Numbers) -> Numbers:
        x, y = self.align(x, y)
        digits, low, high = self._fit(x.digits + y.digits, x.low + y.low, x.high + y.high)
        return Numbers(digits, x.scale, low, high)

    def minus(self, x: Numbers, y: Numbers) -> Numbers:
        x, y = self.align(x, y)
        digits, low, high = self._fit(x.digits - y.digits, x.low - y.high, x.high - y.low)
        return Numbers(digits, x.scale, low, high)

    def product(self, x: Numbers, y: Numbers) -> Numbers:
        """``x × y``, at the sum of their scales."""
        corners = [a * b for a in (x.low, x.high) for b in (y.low, y.high)]
        low, high = min(corners), max(corners)
        if low >= -LIMIT and high <= LIMIT:
            return Numbers(x.digits * y.digits, x.scale + y.scale, low, high)
        ax, ay = np.abs(x.digits), np.abs(y.digits)
        over = (ax > LIMIT // np.maximum(ay, 1)) & (ay > 0)
        self.mark(over)
        digits = np.where(over, 0, x.digits) * y.digits
        return Numbers(digits, x.scale + y.scale, max(low, -LIMIT), min(high, LIMIT))


def where(condition: Bools, x: Numbers, y: Numbers, guard: Guard) -> Numbers:
    """Row by row, ``x`` where the condition holds, else ``y`` (at their common scale)."""
    x, y = guard.align(x, y)
    low, high = min(x.low, y.low), max(x.high, y.high)
    if x.low == x.high and y.low == y.high:  # two constants: a blend, without branches
        digits = y.low + condition * (x.low - y.low)
        return Numbers(digits.astype(np.int64, copy=False), x.scale, low, high)
    return Numbers(np.where(condition, x.digits, y.digits), x.scale, low, high)


def compare_bound(digits: int, scale: int, value: Decimal) -> int:
    """The sign of ``digits / 10**scale − value``."""
    top = max(scale, places(value))
    difference = digits * _power(top - scale) - digits_at(value, top)
    return (difference > 0) - (difference < 0)


def compare(x: Numbers, y: Numbers | Decimal, guard: Guard) -> Ints:
    """The sign of ``x − y`` per row (-1, 0 or 1), exactly."""
    if isinstance(y, Decimal):
        scale = max(x.scale, places(y))
        x = guard.at(x, scale)
        sign: Ints = np.sign(x.digits - digits_at(y, scale))
        return sign
    x, y = guard.align(x, y)
    signs: Ints = np.sign(x.digits - y.digits)
    return signs


def compare_fraction(numerator: Numbers, denominator: Numbers, edge: Decimal, guard: Guard) -> Ints:
    """The sign of ``numerator / denominator − edge`` (same scale, denominators above 0),
    exactly. Rows where a division to 28 significant digits might decide differently (a huge
    denominator, an edge just next to the fraction) are marked for the scalar form."""
    n, d = fraction(edge)
    left, right = guard.times(numerator, d), guard.times(denominator, n)
    sign: Ints = np.sign(left.digits - right.digits)
    if denominator.high > SAFE // d:
        guard.mark((sign != 0) & (denominator.digits > SAFE // d))
    return sign


def terminates(numerator: Ints, denominator: Ints) -> Bools:
    """Rows whose fraction has at most 18 decimals: a division giving it is exact."""
    reduced = np.abs(denominator) // np.maximum(np.gcd(numerator, denominator), 1)
    found: Bools = (reduced > 0) & (TERMINATING % np.maximum(reduced, 1) == 0)
    return found


Exactness = bool | Callable[[Ints], Bools]
"""Whether the scalar form's Decimal arithmetic gave a fraction exactly: always (``True``: no
division, or a single one), or decided for given rows (a function of their positions)."""


def round_fraction(
    numerator: Numbers,
    denominator: Numbers | int,
    places_: int,
    guard: Guard,
    exact: Exactness = True,
    used: Bools | None = None,
) -> Numbers:
    """``numerator / denominator`` (the numerator's digits read at its scale; the denominator,
    above 0, a whole number) rounded half away from zero to ``places_`` decimals, as the engine
    rounds a rule's points.

    ``exact`` says whether the scalar form computed that fraction exactly; where it did not
    (it divided twice, say), rows on a rounding tie, and rows beyond ``SAFE``, are marked for the
    scalar form, which may have landed on the other side. ``used`` limits that to the rows
    whose result is used (default: all).
    """
    if isinstance(denominator, int):
        denominator = Numbers.constant(denominator, numerator.digits.size)
    if numerator.scale > places_:
        denominator = guard.times(denominator, 10 ** (numerator.scale - places_))
    else:
        numerator = guard.times(numerator, 10 ** (places_ - numerator.scale))
    if denominator.low == denominator.high == 1:
        return Numbers(numerator.digits, places_, numerator.low, numerator.high)
    doubled = guard.times(numerator, 2)
    den = denominator.digits if denominator.low >= 1 else np.maximum(denominator.digits, 1)
    magnitude = np.abs(doubled.digits) if numerator.low < 0 else doubled.digits
    shifted = magnitude + den  # ⌊(2n + d) / 2d⌋ rounds n / d half up
    twice = 2 * den
    quotient = shifted // twice
    if exact is not True:
        unsafe = None
        if denominator.high > SAFE or doubled.magnitude // 2 > SAFE * max(denominator.low, 1):
            unsafe = (den > SAFE) | (quotient > SAFE)
        tie = shifted == quotient * twice
        if used is not None:
            tie &= used
        if tie.any():
            rows = np.flatnonzero(tie)
            inexact = np.ones(rows.size, dtype=bool) if exact is False else ~exact(rows)
            tie[rows] = inexact
            unsafe = tie if unsafe is None else unsafe | tie
        if unsafe is not None:
            guard.mark(unsafe if used is None else unsafe & used)
    digits = np.where(numerator.digits < 0, -quotient, quotient) if numerator.low < 0 else quotient
    bound = (doubled.magnitude + denominator.low) // (2 * max(denominator.low, 1)) + 1
    return Numbers(digits, places_, -bound if numerator.low < 0 else 0, bound)
