"""Rules over shares and values: ``ratio`` and ``bands``."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from .._model import Evaluate, Outcome, Rule, Text, Values
from .._numbers import ONE, ZERO, fmt, fmt_percent, parse_decimal
from .._params import Params
from ..errors import UnitError

NUMERIC = ("count", "number", "ratio")
ZERO_POLICIES = ("full", "zero", "not_applicable")

RATIO_REASON = Text(
    "Tỷ lệ {numerator}/{denominator} = {ratio:%}, chưa đạt mức {target:%}",
    "Ratio {numerator}/{denominator} = {ratio:%}, below the target of {target:%}",
)
ZERO_DENOMINATOR = Text(
    "Không phát sinh trường hợp nào ({denominator_name} = 0)",
    "No case arose ({denominator_name} = 0)",
)


def share(
    numerator: str, denominator: str, values: Values
) -> tuple[Decimal, Decimal, Decimal | None]:
    """``numerator / denominator`` as an exact fraction; None when the denominator is 0."""
    num, den = values[numerator], values[denominator]
    if num < 0 or den < 0:
        msg = f"negative value: {numerator} = {num}, {denominator} = {den}"
        raise UnitError(msg, field=numerator if num < 0 else denominator)
    if num > den:
        msg = f"{numerator} ({num}) is greater than {denominator} ({den})"
        raise UnitError(msg, field=numerator, hint="a part cannot exceed its whole")
    return num, den, (num / den if den else None)


def _zero_outcome(
    policy: str, maximum: Decimal, inputs: tuple[tuple[str, Any], ...], denominator: str
) -> Outcome:
    values = (("denominator_name", denominator),)
    if policy == "not_applicable":
        return Outcome(ZERO, ZERO_DENOMINATOR, None, values, inputs, not_applicable=True)
    if policy == "full":
        return Outcome(maximum, None, None, values, inputs)
    return Outcome(ZERO, ZERO_DENOMINATOR, None, values, inputs)


def bind_ratio(p: Params) -> Evaluate:
    numerator = p.indicator("numerator", NUMERIC, direction=1)
    denominator = p.indicator("denominator", NUMERIC, direction=-1, lever=False)
    p.part_of(numerator, denominator)
    target = p.fraction("target", ONE)
    if target == 0:
        raise p.error("target", "the target must be above 0")
    policy = p.choice("zero_denominator", ZERO_POLICIES)
    reason = p.reason(RATIO_REASON)
    maximum = p.max
    formula = (
        "{numerator}/{denominator} = {ratio:%} × {max} = {points}"
        if target == ONE
        else "min(1; {ratio:%} / {target:%}) × {max} = {points}"
    )

    def evaluate(values: Values) -> Outcome:
        num, den, ratio = share(numerator, denominator, values)
        inputs = ((numerator, num), (denominator, den))
        if ratio is None:
            return _zero_outcome(policy, maximum, inputs, denominator)
        points = maximum * min(ONE, ratio / target)
        return Outcome(
            points,
            reason if points < maximum else None,
            formula,
            (("numerator", num), ("denominator", den), ("ratio", ratio), ("target", target)),
            inputs,
        )

    return evaluate


@attrs.frozen
class _Band:
    lower: Decimal | None
    lower_inclusive: bool
    upper: Decimal | None
    upper_inclusive: bool
    points: Decimal | None  # None: proportional (max × value)
    label: str

    def contains(self, value: Decimal) -> bool:
        if self.lower is not None and (
            value < self.lower or (value == self.lower and not self.lower_inclusive)
        ):
            return False
        return (
            self.upper is None
            or value < self.upper
            or (value == self.upper and self.upper_inclusive)
        )


BAND_REASON = Text(
    "Giá trị {value} thuộc khoảng {band}",
    "Value {value} falls in the band {band}",
)
BAND_RATIO_REASON = Text(
    "Tỷ lệ {numerator}/{denominator} = {value:%} thuộc khoảng {band}",
    "Ratio {numerator}/{denominator} = {value:%} falls in the band {band}",
)


def _parse_band(p: Params, index: int, raw: Any, fraction: bool) -> _Band:
    if not isinstance(raw, Mapping):
        raise p.error("bands", f"band {index + 1} must be a mapping like {{gte: 0.9, points: 1}}")
    unknown = set(raw) - {"gt", "gte", "lt", "lte", "points"}
    if unknown:
        raise p.error("bands", f"band {index + 1} has unknown keys: {', '.join(sorted(unknown))}")
    if ("gt" in raw and "gte" in raw) or ("lt" in raw and "lte" in raw):
        raise p.error("bands", f"band {index + 1} has two lower or two upper edges")

    def edge(key: str) -> Decimal | None:
        if key not in raw:
            return None
        try:
            return parse_decimal(raw[key], percent=fraction)
        except ValueError as exc:
            raise p.error("bands", f"band {index + 1}, '{key}': {exc}") from None

    lower_key = "gte" if "gte" in raw else "gt"
    upper_key = "lte" if "lte" in raw else "lt"
    lower, upper = edge(lower_key), edge(upper_key)
    if "points" not in raw:
        raise p.error("bands", f"band {index + 1} has no 'points'")
    points: Decimal | None
    if raw["points"] == "proportional":
        points = None
    else:
        try:
            points = parse_decimal(raw["points"])
        except ValueError as exc:
            raise p.error("bands", f"band {index + 1}, 'points': {exc}") from None
        if not p.floor <= points <= p.max:
            raise p.error("bands", f"band {index + 1} gives {points} points, outside 0–{p.max}")
    if (
        lower is not None
        and upper is not None
        and (lower > upper or (lower == upper and not (lower_key == "gte" and upper_key == "lte")))
    ):
        raise p.error("bands", f"band {index + 1} is empty ({lower} to {upper})")

    def show(edge: Decimal) -> str:
        return fmt_percent(edge, "en") if fraction else fmt(edge, "en")

    label = "".join(
        [
            ("[" if lower_key == "gte" else "(") + show(lower) if lower is not None else "(-∞",
            "; ",
            (show(upper) + ("]" if upper_key == "lte" else ")")) if upper is not None else "+∞)",
        ]
    )
    return _Band(lower, lower_key == "gte", upper, upper_key == "lte", points, label)


def _check_bands(p: Params, bands: Sequence[_Band], fraction: bool, lower_is_better: bool) -> None:
    first, last = bands[0], bands[-1]
    if first.lower is not None and not (first.lower == 0 and first.lower_inclusive):
        raise p.error("bands", f"no band covers values below {first.lower}")
    if last.upper is not None and not (fraction and last.upper == 1 and last.upper_inclusive):
        raise p.error("bands", f"no band covers values above {last.upper}")
    for a, b in itertools.pairwise(bands):
        if a.upper is None or b.lower is None or a.upper < b.lower:
            raise p.error("bands", f"gap between the bands {a.label} and {b.label}")
        if a.upper > b.lower or a.upper_inclusive == b.lower_inclusive:
            kind = "overlap" if a.upper > b.lower or a.upper_inclusive else "gap"
            raise p.error(
                "bands",
                f"{kind} at {a.upper} between the bands {a.label} and {b.label}",
                "make exactly one of the two edges inclusive (lt/gte or lte/gt)",
            )
        low = a.points if a.points is not None else p.max * a.upper
        high = b.points if b.points is not None else p.max * b.lower
        if (high < low) if not lower_is_better else (high > low):
            order = "fall" if not lower_is_better else "rise"
            raise p.error(
                "bands",
                f"points {order} from {low} to {high} between {a.label} and {b.label}",
                "set direction: lower_is_better if less is better",
            )


def bind_bands(p: Params) -> Evaluate:
    lower_is_better = (
        p.choice("direction", ("higher_is_better", "lower_is_better"), "higher_is_better")
        == "lower_is_better"
    )
    direction = -1 if lower_is_better else 1
    policy = "zero"
    value_name = numerator = denominator = None
    if p.has("value"):
        value_name = p.indicator("value", NUMERIC, direction=direction)
        fraction = p.declared(value_name).type == "ratio"
        reason = p.reason(BAND_REASON)
    else:
        numerator = p.indicator("numerator", NUMERIC, direction=direction)
        denominator = p.indicator("denominator", NUMERIC, direction=-direction, lever=False)
        p.part_of(numerator, denominator)
        policy = p.choice("zero_denominator", ZERO_POLICIES)
        fraction = True
        reason = p.reason(BAND_RATIO_REASON)
    raw_bands = p.raw("bands")
    if not isinstance(raw_bands, list) or not raw_bands:
        raise p.error("bands", "expected a list of bands")
    bands = sorted(
        (_parse_band(p, i, raw, fraction) for i, raw in enumerate(raw_bands)),
        key=lambda b: (b.lower is not None, b.lower or 0, not b.lower_inclusive),
    )
    if any(b.points is None for b in bands) and not fraction:
        raise p.error("bands", "proportional points need a fraction (a ratio) as the value")
    _check_bands(p, bands, fraction, lower_is_better)
    maximum = p.max
    formula = "{value:%} → {band} → {points}" if fraction else "{value} → {band} → {points}"

    def evaluate(values: Values) -> Outcome:
        if numerator is not None and denominator is not None:
            num, den, ratio = share(numerator, denominator, values)
            inputs: tuple[tuple[str, Any], ...] = ((numerator, num), (denominator, den))
            if ratio is None:
                return _zero_outcome(policy, maximum, inputs, denominator)
            value = ratio
            extra: tuple[tuple[str, Any], ...] = (("numerator", num), ("denominator", den))
        else:
            assert value_name is not None
            value = values[value_name]
            inputs, extra = ((value_name, value),), ()
        for band in bands:
            if band.contains(value):
                points = min(maximum, maximum * value) if band.points is None else band.points
                return Outcome(
                    points,
                    reason if points < maximum else None,
                    formula,
                    (("value", value), ("band", band.label), *extra),
                    inputs,
                )
        msg = f"value {value} is outside every band"
        raise UnitError(msg, field=value_name or numerator)

    return evaluate


RATIO = Rule(
    "ratio",
    bind_ratio,
    "max × min(1, (numerator / denominator) / target)",
    ("numerator", "denominator", "target", "zero_denominator", "reason"),
    values=("numerator", "denominator", "ratio", "target", "denominator_name"),
)
BANDS = Rule(
    "bands",
    bind_bands,
    "points of the band holding a value or a ratio; edges explicit",
    ("value", "numerator", "denominator", "zero_denominator", "bands", "direction", "reason"),
    values=("value", "band", "numerator", "denominator", "denominator_name"),
)
