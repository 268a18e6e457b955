"""Rules that read a verdict: ``check``, ``choice``, ``survey`` and ``appraised``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from .._model import Evaluate, Outcome, Rule, Text, Values
from .._numbers import ONE, ZERO, fmt, fmt_percent, parse_decimal
from .._params import Params
from ..errors import UnitError, close_match

CHECK_REASON = Text("Chưa thực hiện: {failed}", "Not done: {failed}")


_COMPARISONS = {
    "gte": (Decimal.__ge__, "≥", 1),
    "gt": (Decimal.__gt__, ">", 1),
    "lte": (Decimal.__le__, "≤", -1),
    "lt": (Decimal.__lt__, "<", -1),
}


Condition = tuple[tuple[str, ...], Callable[[Values], bool], Text]
"""The indicators a condition of ``check`` reads, its test, and how it reads."""


def _condition(p: Params, key: str, raw: object) -> Condition:
    """A condition of ``check``: a ``bool`` indicator, or a comparison of an indicator with a
    bound, ``{indicator: x, gte: "4%"}``, or with another indicator, ``{indicator: x, lte:
    {indicator: y}}``."""
    if isinstance(raw, str):
        name = p.indicator(key, ("bool",), direction=1, name=raw)
        return (name,), lambda values: bool(values[name]), p.label(name)
    if not isinstance(raw, Mapping) or "indicator" not in raw:
        raise p.error(key, "a condition is a bool indicator or {indicator: …, gte: …}")
    ops = [op for op in raw if op != "indicator"]
    if len(ops) != 1 or ops[0] not in _COMPARISONS:
        raise p.error(key, "a comparison has exactly one of gte, gt, lte, lt")
    compare, symbol, direction = _COMPARISONS[ops[0]]
    name = p.indicator(
        key, ("count", "number", "ratio"), direction=direction, name=raw["indicator"]
    )
    fraction = p.declared(name).type == "ratio"
    label, bound = p.label(name), raw[ops[0]]
    if isinstance(bound, Mapping):
        other = _other(p, key, name, bound, -direction, fraction)
        other_label = p.label(other)
        text = Text(
            f"{label.vi} {symbol} {other_label.vi}", f"{label.en} {symbol} {other_label.en}"
        )
        return (name, other), lambda values: bool(compare(values[name], values[other])), text
    try:
        limit = parse_decimal(bound, percent=fraction)
    except ValueError as exc:
        raise p.error(key, f"'{name}': {exc}") from None
    shown = fmt_percent(limit, "en") if fraction else fmt(limit, "en")
    text = Text(f"{label.vi} {symbol} {shown}", f"{label.en} {symbol} {shown}")
    return (name,), lambda values: bool(compare(values[name], limit)), text


def _other(
    p: Params, key: str, name: str, bound: Mapping[str, Any], direction: int, fraction: bool
) -> str:
    """The indicator a comparison is with: of the same kind (ratios with ratios, counts and
    numbers with each other), and not the unit's to change (a quota, a plan)."""
    if set(bound) != {"indicator"}:
        raise p.error(key, f"'{name}': compare with a number, or with {{indicator: …}}")
    types = ("ratio",) if fraction else ("count", "number")
    other = p.indicator(key, types, direction=direction, name=bound["indicator"], lever=False)
    p.same_unit(name, other)
    return other


def bind_check(p: Params) -> Evaluate:
    if p.has("all_of") == p.has("any_of"):
        raise p.error(None, "give exactly one of 'all_of' and 'any_of'")
    key = "all_of" if p.has("all_of") else "any_of"
    raw = p.raw(key)
    entries = raw if isinstance(raw, list) else [raw]
    if not entries or raw is None:
        raise p.error(key, "expected a list of conditions")
    conditions = tuple(_condition(p, key, entry) for entry in entries)
    otherwise = p.decimal("otherwise", ZERO)
    if not p.floor <= otherwise <= p.max:
        raise p.error("otherwise", f"expected points between {p.floor} and {p.max}")
    reason = p.reason(CHECK_REASON)
    maximum = p.max
    need_all = key == "all_of"

    reads = tuple(dict.fromkeys(name for names, _, _ in conditions for name in names))

    def evaluate(values: Values) -> Outcome:
        met = [test(values) for _, test, _ in conditions]
        passed = all(met) if need_all else any(met)
        return Outcome(
            maximum if passed else otherwise,
            None if passed else reason,
            None,
            (
                (
                    "failed",
                    [text for (_, _, text), ok in zip(conditions, met, strict=True) if not ok],
                ),
                ("passed", [text for (_, _, text), ok in zip(conditions, met, strict=True) if ok]),
            ),
            tuple((name, values[name]) for name in reads),
        )

    return evaluate


CHOICE_REASON = Text("Mức đạt: {choice}", "Level reached: {choice}")


def bind_choice(p: Params) -> Evaluate:
    name = p.indicator("indicator", ("choice",), direction=0, lever=True)
    declared = p.declared(name).choices
    table = p.decimals("points")
    for option, points in table.items():
        if option not in declared:
            raise p.error(
                "points",
                f"'{option}' is not a declared choice of '{name}'",
                close_match(option, declared),
            )
        if not p.floor <= points <= p.max:
            raise p.error("points", f"'{option}' gives {points}, outside 0–{p.max}")
    absent = [c for c in declared if c not in table]
    if absent:
        raise p.error("points", f"no points for the choices: {', '.join(absent)}")
    reason = p.reason(CHOICE_REASON)
    maximum = p.max
    labels = {option: p.value_label(name, option) for option in declared}

    def evaluate(values: Values) -> Outcome:
        chosen = values[name]
        points = table[chosen]
        return Outcome(
            points,
            reason if points < maximum else None,
            "{choice} → {points}",
            (("choice", labels[chosen]),),
            ((name, chosen),),
        )

    return evaluate


SURVEY_REASON = Text("Điểm điều tra xã hội học: {score}", "Survey points: {score}")
DEFAULT_WEIGHTS = {"A": ONE, "B": Decimal("0.6"), "C": Decimal("0.2"), "D": ZERO}


def bind_survey(p: Params) -> Evaluate:
    maximum = p.max
    reason = p.reason(SURVEY_REASON)
    if p.has("points") == p.has("answers"):
        raise p.error(None, "give exactly one of 'points' and 'answers'")
    if p.has("points"):
        name = p.indicator("points", ("number", "count"), direction=1, lever=False)

        def direct(values: Values) -> Outcome:
            score = values[name]
            if not ZERO <= score <= maximum:
                msg = f"survey points {score} outside 0–{maximum}"
                raise UnitError(msg, field=name)
            return Outcome(
                score,
                reason if score < maximum else None,
                None,
                (("score", score),),
                ((name, score),),
            )

        return direct

    answers = p.indicator("answers", ("answers",), direction=0)
    weights = dict(DEFAULT_WEIGHTS)
    if p.has("weights"):
        weights = p.decimals("weights", percent=True)
        if not all(ZERO <= w <= ONE for w in weights.values()):
            raise p.error("weights", "a weight is a fraction 0–1")

    def weighted(values: Values) -> Outcome:
        given: Mapping[str, Decimal] = values[answers]
        total = ZERO
        score = ZERO
        for option, share in given.items():
            if option not in weights:
                msg = f"unknown answer '{option}' (known: {', '.join(weights)})"
                raise UnitError(msg, field=answers, hint=close_match(option, weights))
            total += share
            score += share * weights[option]
        if total == 0:
            msg = "the survey has no answers"
            raise UnitError(msg, field=answers)
        points = maximum * score / total
        return Outcome(
            points,
            reason if points < maximum else None,
            "{max} × {score_share:%} = {points}",
            (("score", points), ("score_share", score / total)),
            ((answers, dict(given)),),
        )

    return weighted


def bind_appraised(p: Params) -> None:
    """No computation: the unit file gives the points (``points:``)."""
    return


CHECK = Rule(
    "check",
    bind_check,
    "max when done (all_of / any_of), else 'otherwise'",
    ("all_of", "any_of", "otherwise", "reason"),
    values=("failed", "passed"),
)
CHOICE = Rule(
    "choice",
    bind_choice,
    "points of the chosen level",
    ("indicator", "points", "reason"),
    values=("choice",),
)
SURVEY = Rule(
    "survey",
    bind_survey,
    "survey points, given or from weighted answers",
    ("points", "answers", "weights", "reason"),
    values=("score", "score_share"),
)
APPRAISED = Rule("appraised", bind_appraised, "points given directly in the unit file")
