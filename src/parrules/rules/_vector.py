"""Vectorised forms of the built-in rules: the scalar forms' points, for many units at once.

Each form reads the node's params as its scalar form does (the scalar form has already checked
them when the ruleset was loaded) and gives, for every row of a batch, the digits the engine
stores for the scalar form's outcome. Rows a form cannot decide exactly, or that the scalar form
refuses, are marked for the scalar form. Imported only when units are scored that way (numpy).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import numpy as np

from .._numbers import ONE, ZERO, parse_decimal
from .._params import Params
from ..vector import (
    SAFE,
    Bools,
    Columns,
    Guard,
    Ints,
    Numbers,
    VectorEvaluate,
    VectorOutcome,
    compare,
    compare_bound,
    compare_fraction,
    digits_at,
    fraction,
    places,
    round_decimal,
    round_fraction,
    terminates,
    where,
)
from ..vector._columns import NO_DATE
from ._direct import DEFAULT_WEIGHTS
from ._events import _floor
from ._shares import NUMERIC, ZERO_POLICIES, _parse_band


def _constant(value: Decimal, columns: Columns) -> Numbers:
    """A rule's constant points, rounded as the engine rounds them."""
    return Numbers.filled(round_decimal(value, columns.precision), columns.size, columns.precision)


def _whole(numbers: Numbers) -> Numbers:
    """The digits read as a whole number (for a fraction's numerator or denominator)."""
    return Numbers(numbers.digits, 0, numbers.low, numbers.high)


def _outside(numbers: Numbers, low: Decimal, high: Decimal, guard: Guard) -> Bools | None:
    """Rows below ``low`` or above ``high`` (None when the bounds rule them out)."""
    if (
        compare_bound(numbers.low, numbers.scale, low) >= 0
        and compare_bound(numbers.high, numbers.scale, high) <= 0
    ):
        return None
    return (compare(numbers, low, guard) < 0) | (compare(numbers, high, guard) > 0)


def _share(
    columns: Columns, numerator: str, denominator: str, guard: Guard
) -> tuple[Numbers, Numbers, Bools]:
    """The two indicators at a common scale, and the rows the scalar form refuses (a negative
    value, a part above its whole)."""
    num, den = guard.align(columns.numbers(numerator), columns.numbers(denominator))
    refused = num.digits > den.digits
    if num.low < 0 or den.low < 0:
        refused = refused | (num.digits < 0) | (den.digits < 0)
    return num, den, refused


def _marked(*masks: Bools | None) -> Bools | None:
    found = [m for m in masks if m is not None]
    if not found:
        return None
    result = found[0]
    for mask in found[1:]:
        result = result | mask
    return result


def _digits(max_: Decimal) -> int:
    return len(str(abs(fraction(max_)[0])))


def vector_ratio(p: Params) -> VectorEvaluate:
    numerator = p.indicator("numerator", NUMERIC, direction=1)
    denominator = p.indicator("denominator", NUMERIC, direction=-1, lever=False)
    target = p.fraction("target", ONE)
    policy = p.choice("zero_denominator", ZERO_POLICIES)
    maximum = p.max
    tn, td = fraction(target)
    mn, md = fraction(maximum)
    short = _digits(maximum) <= 10  # max × an 18-decimal fraction is exact in 28 digits

    def evaluate(c: Columns) -> VectorOutcome:
        guard = Guard(c.size)
        num, den, refused = _share(c, numerator, denominator, guard)
        # ratio / target = (num × td) / (den × tn): full points from 1 up
        a, b = guard.times(num, td), guard.times(den, tn)
        full = a.digits >= b.digits
        if b.high > SAFE:
            guard.mark((a.digits != b.digits) & (b.digits > SAFE))
        top, bottom = _whole(guard.times(a, mn)), _whole(guard.times(b, md))

        def exact(rows: Ints) -> Bools:
            found = terminates(num.digits[rows], den.digits[rows])
            if tn != td:
                found &= terminates(a.digits[rows], b.digits[rows])
            return found & short

        zero = den.digits == 0
        points = round_fraction(top, bottom, c.precision, guard, exact, ~(full | zero))
        points = where(full, _constant(maximum, c), points, guard)
        not_applicable = None
        if den.low <= 0 <= den.high and zero.any():
            if policy == "not_applicable":
                not_applicable = zero
            on_zero = _constant(maximum if policy == "full" else ZERO, c)
            points = where(zero, on_zero, points, guard)
        return VectorOutcome(points, _marked(refused, guard.bad), not_applicable)

    return evaluate


def _contains(
    lower: Ints | None, lower_inclusive: bool, upper: Ints | None, upper_inclusive: bool
) -> Bools | None:
    """Rows within a band, from the signs of value − lower edge and value − upper edge."""
    found = None
    if lower is not None:
        found = lower >= 0 if lower_inclusive else lower > 0
    if upper is not None:
        below = upper <= 0 if upper_inclusive else upper < 0
        found = below if found is None else found & below
    return found


def vector_bands(p: Params) -> VectorEvaluate:
    p.choice("direction", ("higher_is_better", "lower_is_better"), "higher_is_better")
    policy = "zero"
    value_name = numerator = denominator = None
    if p.has("value"):
        value_name = p.indicator("value", NUMERIC)
        fraction_ = p.declared(value_name).type == "ratio"
    else:
        numerator = p.indicator("numerator", NUMERIC)
        denominator = p.indicator("denominator", NUMERIC, lever=False)
        policy = p.choice("zero_denominator", ZERO_POLICIES)
        fraction_ = True
    raw = p.raw("bands")
    bands = sorted(
        (_parse_band(p, i, entry, fraction_) for i, entry in enumerate(raw)),
        key=lambda b: (b.lower is not None, b.lower or 0, not b.lower_inclusive),
    )
    edges = sorted({e for b in bands for e in (b.lower, b.upper) if e is not None})
    maximum = p.max
    mn, md = fraction(maximum)
    short = _digits(maximum) <= 10

    def evaluate(c: Columns) -> VectorOutcome:
        guard = Guard(c.size)
        refused = zero = None
        if numerator is not None and denominator is not None:
            num, den, refused = _share(c, numerator, denominator, guard)
            positive = Numbers(np.maximum(den.digits, 1), 0, max(den.low, 1), max(den.high, 1))
            signs = {e: compare_fraction(num, positive, e, guard) for e in edges}
            zero = den.digits == 0
        else:
            assert value_name is not None
            value = c.numbers(value_name)
            signs = {e: compare(value, e, guard) for e in edges}
        conditions = []
        for band in bands:
            inside = _contains(
                signs[band.lower] if band.lower is not None else None,
                band.lower_inclusive,
                signs[band.upper] if band.upper is not None else None,
                band.upper_inclusive,
            )
            conditions.append(np.ones(c.size, dtype=bool) if inside is None else inside)
        choices = []
        for band, inside in zip(bands, conditions, strict=True):
            if band.points is not None:
                choices.append(_constant(band.points, c))
                continue
            # min(max, max × value)
            if numerator is not None:
                proportional = round_fraction(
                    _whole(guard.times(num, mn)),
                    guard.times(positive, md),
                    c.precision,
                    guard,
                    lambda rows: terminates(num.digits[rows], positive.digits[rows]) & short,
                    inside,
                )
            else:
                scaled = guard.times(value, mn)
                exact = _digits(maximum) + len(str(value.magnitude)) <= 28  # a 28-digit product
                proportional = round_fraction(scaled, md, c.precision, guard, exact, inside)
            capped = np.minimum(proportional.digits, round_decimal(maximum, c.precision))
            choices.append(Numbers(capped, c.precision, proportional.low, proportional.high))
        outside = ~np.logical_or.reduce(conditions)
        digits = np.select(conditions, [n.digits for n in choices], 0)
        low, high = min(0, *(n.low for n in choices)), max(0, *(n.high for n in choices))
        points = Numbers(digits, c.precision, low, high)
        not_applicable = None
        if zero is not None and zero.any():
            if policy == "not_applicable":
                not_applicable = zero
            on_zero = _constant(maximum if policy == "full" else ZERO, c)
            points = where(zero, on_zero, points, guard)
            outside = outside & ~zero
        return VectorOutcome(points, _marked(refused, outside, guard.bad), not_applicable)

    return evaluate


def _deduct(
    c: Columns, maximum: Decimal, floor: Decimal, deduction: Numbers, guard: Guard
) -> VectorOutcome:
    """``max(floor, max − deduction)``, rounded as the engine rounds it: exact arithmetic."""
    size = c.size
    left = guard.minus(Numbers.constant(maximum, size), deduction)
    left, lowest = guard.align(left, Numbers.constant(floor, size))
    digits = np.maximum(left.digits, lowest.digits)
    points = Numbers(digits, left.scale, max(left.low, lowest.low), max(left.high, lowest.high))
    return VectorOutcome(round_fraction(points, 1, c.precision, guard), guard.bad)


def vector_per_event(p: Params) -> VectorEvaluate:
    events = p.indicator("events", ("events",), direction=-1)
    severity = p.decimals("severity")
    floor = _floor(p)
    maximum = p.max

    def evaluate(c: Columns) -> VectorOutcome:
        guard = Guard(c.size)
        counts = c.counts(events)
        unknown = [given for kind, (_, given) in counts.kinds.items() if kind not in severity]
        deduction = Numbers.constant(ZERO, c.size)
        for kind, weight in severity.items():
            if kind in counts.kinds:
                count = counts.kinds[kind][0]
                term = guard.product(count, Numbers.constant(weight, c.size))
                deduction = guard.plus(deduction, term)
        outcome = _deduct(c, maximum, floor, deduction, guard)
        return VectorOutcome(outcome.points, _marked(*unknown, guard.bad))

    return evaluate


_OPERATORS = {"gte": (1, True), "gt": (1, False), "lte": (-1, True), "lt": (-1, False)}


def vector_check(p: Params) -> VectorEvaluate:
    key = "all_of" if p.has("all_of") else "any_of"
    raw = p.raw(key)
    entries = raw if isinstance(raw, list) else [raw]
    conditions: list[tuple[str, str | None, Any]] = []
    for entry in entries:
        if isinstance(entry, str):
            conditions.append((entry, None, None))
            continue
        (op,) = (k for k in entry if k != "indicator")
        name = str(entry["indicator"])
        bound = entry[op]
        if isinstance(bound, Mapping):
            conditions.append((name, op, str(bound["indicator"])))
        else:
            fraction_ = p.declared(name).type == "ratio"
            conditions.append((name, op, parse_decimal(bound, percent=fraction_)))
    otherwise = p.decimal("otherwise", ZERO)
    maximum = p.max
    need_all = key == "all_of"

    def evaluate(c: Columns) -> VectorOutcome:
        guard = Guard(c.size)
        met = []
        for name, op, bound in conditions:
            if op is None:
                met.append(c.flags(name))
                continue
            other = c.numbers(bound) if isinstance(bound, str) else bound
            sign = compare(c.numbers(name), other, guard)
            direction, inclusive = _OPERATORS[op]
            met.append(sign * direction >= 0 if inclusive else sign * direction > 0)
        passed = np.logical_and.reduce(met) if need_all else np.logical_or.reduce(met)
        points = where(passed, _constant(maximum, c), _constant(otherwise, c), guard)
        return VectorOutcome(points, guard.bad)

    return evaluate


def vector_choice(p: Params) -> VectorEvaluate:
    name = p.indicator("indicator", ("choice",), lever=True)
    declared = p.declared(name).choices
    table = p.decimals("points")

    def evaluate(c: Columns) -> VectorOutcome:
        digits = np.array([round_decimal(table[o], c.precision) for o in declared], dtype=np.int64)
        chosen = digits[c.choices(name)]
        return VectorOutcome(Numbers(chosen, c.precision, int(digits.min()), int(digits.max())))

    return evaluate


def vector_deadline(p: Params) -> VectorEvaluate:
    items = p.indicator("items", ("items",), lever=True)
    date_key = p.choice("date", ("sent", "received"), "sent")
    late = p.decimal("late")
    missing = p.decimal("missing", p.max)
    floor = _floor(p)
    maximum = p.max

    def evaluate(c: Columns) -> VectorOutcome:
        size = c.size
        guard = Guard(size)
        found = c.items(items)
        when = found.date(date_key)
        absent = found.exists & (when == NO_DATE)
        overdue = found.exists & (when != NO_DATE) & (when > found.due)
        width = when.shape[0]
        overdue_count = Numbers(overdue.sum(axis=0, dtype=np.int64), 0, 0, width)
        absent_count = Numbers(absent.sum(axis=0, dtype=np.int64), 0, 0, width)
        deduction = guard.plus(
            guard.product(overdue_count, Numbers.constant(late, size)),
            guard.product(absent_count, Numbers.constant(missing, size)),
        )
        return _deduct(c, maximum, floor, deduction, guard)

    return evaluate


def vector_trend(p: Params) -> VectorEvaluate:
    lower_is_better = (
        p.choice("direction", ("higher_is_better", "lower_is_better"), "higher_is_better")
        == "lower_is_better"
    )
    current = p.indicator("current", NUMERIC)
    previous = p.indicator("previous", NUMERIC, lever=False)
    deduction = p.decimal("deduction", p.max)
    maximum = p.max

    def evaluate(c: Columns) -> VectorOutcome:
        guard = Guard(c.size)
        sign = compare(c.numbers(current), c.numbers(previous), guard)
        worse = sign > 0 if lower_is_better else sign < 0
        points = where(worse, _constant(maximum - deduction, c), _constant(maximum, c), guard)
        return VectorOutcome(points, guard.bad)

    return evaluate


def vector_survey(p: Params) -> VectorEvaluate:
    maximum = p.max
    if p.has("points"):
        name = p.indicator("points", ("number", "count"), lever=False)

        def given(c: Columns) -> VectorOutcome:
            guard = Guard(c.size)
            score = c.numbers(name)
            refused = _outside(score, ZERO, maximum, guard)
            points = round_fraction(score, 1, c.precision, guard)
            return VectorOutcome(points, _marked(refused, guard.bad))

        return given

    answers = p.indicator("answers", ("answers",))
    weights = dict(DEFAULT_WEIGHTS)
    if p.has("weights"):
        weights = p.decimals("weights", percent=True)
    mn, md = fraction(maximum)

    def weighted(c: Columns) -> VectorOutcome:
        guard = Guard(c.size)
        counts = c.counts(answers)
        unknown = [given for kind, (_, given) in counts.kinds.items() if kind not in weights]
        shares = [(counts.kinds[k][0], w) for k, w in weights.items() if k in counts.kinds]
        if not shares:
            nothing = Numbers.constant(ZERO, c.size, c.precision)
            return VectorOutcome(nothing, np.ones(c.size, dtype=bool))
        aligned = guard.align(*(s for s, _ in shares))
        scale = max(places(w) for _, w in shares)
        total = aligned[0]
        score = guard.times(aligned[0], digits_at(shares[0][1], scale))
        for share, (_, weight) in zip(aligned[1:], shares[1:], strict=True):
            total = guard.plus(total, share)
            score = guard.plus(score, guard.times(share, digits_at(weight, scale)))
        # max × score / total = mn × score / (md × total × 10^scale), one division: a tie is
        # exact in 28 digits
        top = guard.times(_whole(score), mn)
        top = Numbers(top.digits, scale, top.low, top.high)
        positive = Numbers(np.maximum(total.digits, 1), 0, max(total.low, 1), max(total.high, 1))
        bottom = guard.times(positive, md)
        points = round_fraction(top, bottom, c.precision, guard, _AT_TIES)
        empty = total.digits == 0
        return VectorOutcome(points, _marked(*unknown, empty, guard.bad))

    return weighted


def _at_ties(rows: Ints) -> Bools:
    """A single division: a fraction on a tie has few decimals, so it was exact."""
    return np.ones(rows.size, dtype=bool)


_AT_TIES = _at_ties

VECTOR_FORMS = {
    "bands": vector_bands,
    "check": vector_check,
    "choice": vector_choice,
    "deadline": vector_deadline,
    "per_event": vector_per_event,
    "ratio": vector_ratio,
    "survey": vector_survey,
    "trend": vector_trend,
}
