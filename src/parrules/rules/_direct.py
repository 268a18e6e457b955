"""Rules that read a verdict: ``check``, ``choice``, ``survey`` and ``appraised``."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from .._model import Evaluate, Outcome, Rule, Text, Values
from .._numbers import ONE, ZERO, parse_decimal
from .._params import Params
from ..errors import UnitError, close_match

CHECK_REASON = Text("Chưa thực hiện: {failed}", "Not done: {failed}")


def bind_check(p: Params) -> Evaluate:
    if p.has("all_of") == p.has("any_of"):
        raise p.error(None, "give exactly one of 'all_of' and 'any_of'")
    key = "all_of" if p.has("all_of") else "any_of"
    raw = p.raw(key)
    names = [raw] if isinstance(raw, str) else raw
    if not isinstance(names, list) or not names:
        raise p.error(key, "expected a list of indicator names")
    conditions = tuple(p.indicator(key, ("bool",), direction=1, name=n) for n in names)
    otherwise = p.decimal("otherwise", ZERO)
    if not p.floor <= otherwise <= p.max:
        raise p.error("otherwise", f"expected points between {p.floor} and {p.max}")
    reason = p.reason(CHECK_REASON)
    maximum = p.max
    need_all = key == "all_of"

    def evaluate(values: Values) -> Outcome:
        failed = [name for name in conditions if not values[name]]
        passed = not failed if need_all else len(failed) < len(conditions)
        return Outcome(
            maximum if passed else otherwise,
            None if passed else reason,
            None,
            (("failed", failed), ("passed", [n for n in conditions if values[n]])),
            tuple((name, values[name]) for name in conditions),
        )

    return evaluate


CHOICE_REASON = Text("Mức đạt: {choice}", "Level reached: {choice}")


def bind_choice(p: Params) -> Evaluate:
    name = p.indicator("indicator", ("choice",), direction=0, lever=True)
    declared = p.declared(name).choices
    table: dict[str, Decimal] = {}
    for option, raw in p.mapping("points").items():
        if option not in declared:
            raise p.error(
                "points",
                f"'{option}' is not a declared choice of '{name}'",
                close_match(option, declared),
            )
        try:
            table[option] = parse_decimal(raw)
        except ValueError as exc:
            raise p.error("points", f"'{option}': {exc}") from None
        if not p.floor <= table[option] <= p.max:
            raise p.error("points", f"'{option}' gives {table[option]}, outside 0–{p.max}")
    absent = [c for c in declared if c not in table]
    if absent:
        raise p.error("points", f"no points for the choices: {', '.join(absent)}")
    reason = p.reason(CHOICE_REASON)
    maximum = p.max

    def evaluate(values: Values) -> Outcome:
        chosen = values[name]
        points = table[chosen]
        return Outcome(
            points,
            reason if points < maximum else None,
            "{choice} → {points}",
            (("choice", chosen),),
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
        weights = {}
        for option, raw in p.mapping("weights").items():
            try:
                weights[option] = parse_decimal(raw, percent=True)
            except ValueError as exc:
                raise p.error("weights", f"'{option}': {exc}") from None
            if not ZERO <= weights[option] <= ONE:
                raise p.error("weights", f"'{option}': a weight is a fraction 0–1")

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
)
CHOICE = Rule(
    "choice", bind_choice, "points of the chosen level", ("indicator", "points", "reason")
)
SURVEY = Rule(
    "survey",
    bind_survey,
    "survey points, given or from weighted answers",
    ("points", "answers", "weights", "reason"),
)
APPRAISED = Rule("appraised", bind_appraised, "points given directly in the unit file")
