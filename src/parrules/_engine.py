"""Scoring: a plain loop over pre-bound rules. No I/O, no hook calls, no text formatting.

The loop keeps only what a score card stores (see ``StageResult``): the points of each leaf a
rule scored. A stage whose inputs for a leaf are the very objects the previous stage had (the unit
loader layers stages so) reuses that leaf's points instead of evaluating its rule again: rules are
pure functions of the indicators they declare.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple, NoReturn

import attrs

from ._model import Node, Outcome, Ruleset, ScoreCard, Stage, StageResult, Text, UnitInputs
from ._numbers import ZERO, quantize
from .errors import InputError, NotScoredError, ParRulesError, RuleFailure, ScoringError, UnitError

MISSING = Text("Thiếu số liệu: {missing}", "Missing data: {missing}")
RESCALED = Text(
    "Không áp dụng; tính theo tỷ lệ đạt của các tiêu chí cùng cấp ({rate:%})",
    "Not applicable; scored at the rate its sibling criteria achieved ({rate:%})",
)

_ROUNDING = decimal.Context(prec=60, rounding=ROUND_HALF_UP)  # as ``_numbers.quantize``
_ABSENT = object()
_NO_OUTCOMES: Mapping[int, Outcome] = {}


def score(ruleset: Ruleset, unit: UnitInputs) -> ScoreCard:
    """Score every stage of a unit; raises ``ScoringError`` subclasses, never returns a partial
    card."""
    stages = score_stages(ruleset, unit)
    return card(ruleset, unit, [(s.scored, s.outcomes, s.total) for s in stages])


def score_stages(ruleset: Ruleset, unit: UnitInputs) -> list[_Scored]:
    """What a card keeps of each stage, as ``score`` computes it."""
    if unit.ruleset != ruleset.id:
        msg = f"the unit is for ruleset '{unit.ruleset}', not '{ruleset.id}'"
        raise ScoringError(msg, unit=unit.unit)
    plan = plan_of(ruleset)
    stages: list[_Scored] = []
    previous: _Scored | None = None
    for stage in unit.stages:
        previous = _score_stage(plan, unit, stage, previous)
        stages.append(previous)
    return stages


Kept = tuple[tuple[Decimal | None, ...], Mapping[int, Outcome], Decimal]
"""What a card keeps of a stage: the points rules computed, outcomes kept as such, the total."""


def card(ruleset: Ruleset, unit: UnitInputs, stages: Sequence[Kept]) -> ScoreCard:
    """The score card of a unit from what was kept of its stages."""
    return ScoreCard(
        unit=unit,
        ruleset=ruleset,
        stages=tuple(
            StageResult(
                stage=stage.name,
                total=total,
                max=ruleset.max,
                classification=ruleset.classify(total),
                remedies=unit.remedies,
                ruleset=ruleset,
                inputs=stage,
                scored=scored,
                outcomes=outcomes or _NO_OUTCOMES,
            )
            for stage, (scored, outcomes, total) in zip(unit.stages, stages, strict=True)
        ),
    )


class _Plan:
    """What scoring needs of a ruleset, found once: the leaves with their bound rules, and the
    parents from the bottom up."""

    __slots__ = (
        "exponent",
        "leaves",
        "nodes",
        "parents",
        "precision",
        "readers",
        "reads",
        "rescaling",
        "size",
        "top",
        "zero",
    )

    def __init__(self, ruleset: Ruleset) -> None:
        flat, children = ruleset.flat, ruleset._children
        self.nodes = flat
        self.size = len(flat)
        self.precision = ruleset.precision
        self.exponent = exponent = Decimal(1).scaleb(-ruleset.precision)
        self.zero = ZERO.quantize(exponent)
        self.leaves = tuple(
            (
                i,
                n.code,
                n,
                n.evaluate,
                n.reads,
                n.floor,
                n.max,
                n.max.quantize(exponent, context=_ROUNDING),
            )
            for i, n in enumerate(flat)
            if not children[i]
        )
        """Per leaf: its position, code, node, rule, indicators, floor, max, and max rounded (the
        full points every card shares)."""
        self.reads = frozenset(name for n in flat if n.evaluate is not None for name in n.reads)
        readers: dict[str, set[int]] = {}
        for i, node in enumerate(flat):
            for name in node.reads:
                readers.setdefault(name, set()).add(i)
        self.readers = {name: frozenset(leaves) for name, leaves in readers.items()}
        """The leaves reading each indicator."""
        self.parents = tuple((i, children[i]) for i in range(len(flat) - 1, -1, -1) if children[i])
        self.top = tuple(ruleset._positions[n.code] for n in ruleset.nodes)
        self.rescaling = frozenset(
            i
            for i, kids in enumerate((*children, self.top))
            if any(flat[k].not_applicable == "rescale" for k in kids)
        )  # sibling groups with a node that may be rescaled; the top level is ``len(flat)``


def _round(value: Decimal, exponent: Decimal) -> Decimal:
    return value.quantize(exponent, ROUND_HALF_UP, _ROUNDING)


def plan_of(ruleset: Ruleset) -> _Plan:
    plan: _Plan | None = ruleset._plan
    if plan is None:
        plan = _Plan(ruleset)
        object.__setattr__(ruleset, "_plan", plan)
    return plan


class _Scored(NamedTuple):
    """One stage as scored; ``not_applicable`` maps each not-applicable leaf to its outcome."""

    stage: Stage
    scored: tuple[Decimal | None, ...]
    outcomes: Mapping[int, Outcome]
    not_applicable: Mapping[int, Outcome]
    total: Decimal


def _score_stage(plan: _Plan, unit: UnitInputs, stage: Stage, previous: _Scored | None) -> _Scored:
    values, appraisals = stage.indicators, stage.points
    dirty: set[int] = set()  # the leaves whose inputs changed since the previous stage
    before: Mapping[str, Any] = {}
    if previous is not None:
        changed = _changed(values, previous.stage.indicators)
        if not changed and _same(appraisals, previous.stage.points):
            return previous._replace(stage=stage)  # nothing changed: share the previous stage
        dirty = set().union(*(plan.readers.get(name, ()) for name in changed))
        dirty.update(previous.outcomes)
        before = previous.stage.points
    points: list[Any] = [None] * plan.size
    scored: list[Decimal | None] = [None] * plan.size
    outcomes: dict[int, Outcome] = {}
    not_applicable: dict[int, Outcome] = {}
    unscored: list[str] = []
    complete = values.keys() >= plan.reads  # no indicator a rule reads is missing
    exponent, zero = plan.exponent, plan.zero
    for i, code, node, evaluate, reads, floor, maximum, full in plan.leaves:
        appraisal = appraisals.get(code)
        if appraisal is not None:
            points[i] = appraisal.points
            continue
        if evaluate is None:
            unscored.append(code)
            continue
        if previous is not None and i not in dirty and before.get(code) is None:
            points[i] = scored[i] = previous.scored[i]
            if i in previous.not_applicable:
                not_applicable[i] = previous.not_applicable[i]
            continue
        if not complete and any(name not in values for name in reads):
            outcome, value = _missing(node, unit, stage)
            outcomes[i] = outcome
        else:
            try:
                outcome = evaluate(values)
            except Exception as exc:
                _reraise(exc, node, unit, stage)
            # The common case inline; anything else goes through the full checks of `_checked`.
            if type(outcome) is Outcome and not outcome.not_applicable:
                value = outcome.points
                if type(value) is Decimal and value.is_finite():
                    value = value.quantize(exponent, ROUND_HALF_UP, _ROUNDING)
                    if floor <= value <= maximum:
                        if value == maximum:  # the same value, written the same: share it
                            value = full
                        elif not value and not value.is_signed():
                            value = zero
                        points[i] = scored[i] = value
                        continue
            outcome, value = _checked(node, unit, outcome, exponent)
        if outcome.not_applicable:
            not_applicable[i] = outcome
        points[i] = scored[i] = value
    if unscored:
        msg = (
            f"{unit.path or unit.unit}: stage '{stage.name}' gives no points for the appraised "
            f"node(s) {', '.join(unscored)}; add them under 'points:'"
        )
        raise NotScoredError(msg, code=unscored[0], unit=unit.unit)
    rescaling = plan.rescaling if not_applicable else ()
    for i, kids in plan.parents:
        total = sum([points[k] for k in kids], ZERO)
        if i in rescaling:
            total += _rescale(plan, kids, points, scored, outcomes, not_applicable)
        points[i] = total
    total = sum([points[k] for k in plan.top], ZERO)
    if plan.size in rescaling:
        total += _rescale(plan, plan.top, points, scored, outcomes, not_applicable)
    return _Scored(stage, tuple(scored), outcomes or _NO_OUTCOMES, not_applicable, total)


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """The same keys with the very same value objects (cheaper, and stricter, than ``==``)."""
    return a is b or (len(a) == len(b) and all(b.get(k, _ABSENT) is v for k, v in a.items()))


def _changed(values: Mapping[str, Any], before: Mapping[str, Any]) -> list[str]:
    """The indicators whose value is not the very object the previous stage had."""
    if values is before:
        return []
    changed = [name for name, value in values.items() if before.get(name, _ABSENT) is not value]
    if len(before) > len(values) - len(changed):  # some may be gone
        changed.extend(name for name in before if name not in values)
    return changed


def _reraise(exc: Exception, node: Node, unit: UnitInputs, stage: Stage) -> NoReturn:
    """A rule raised: a data error names the stage and node; a bug names the plugin."""
    if isinstance(exc, InputError):
        raise UnitError(
            f"stage '{stage.name}': {exc.message}",
            path=unit.path,
            code=node.code,
            field=exc.field,
            hint=exc.hint,
        ) from None
    if isinstance(exc, ParRulesError):
        raise exc
    raise RuleFailure(
        f"{type(exc).__name__}: {exc}",
        plugin=node.plugin or "?",
        rule=node.rule or "?",
        code=node.code,
        unit=unit.unit,
    ) from exc


def _checked(
    node: Node, unit: UnitInputs, outcome: object, exponent: Decimal
) -> tuple[Outcome, Decimal]:
    """Guard the engine's invariants against whatever a plugin returned; the outcome and the
    leaf's points."""

    def fail(message: str) -> RuleFailure:
        return RuleFailure(
            message,
            plugin=node.plugin or "?",
            rule=node.rule or "?",
            code=node.code,
            unit=unit.unit,
        )

    if not isinstance(outcome, Outcome):
        raise fail(f"returned {type(outcome).__name__}, not an Outcome")
    if not isinstance(outcome.points, Decimal) or not outcome.points.is_finite():
        raise fail(f"returned points {outcome.points!r}, not a finite Decimal")
    if outcome.not_applicable:
        return outcome, _not_applicable_points(node)
    points = outcome.points.quantize(exponent, ROUND_HALF_UP, _ROUNDING)
    if not node.floor <= points <= node.max:
        raise fail(f"returned {points} points, outside {node.floor}–{node.max}")
    return outcome, points


def _missing(node: Node, unit: UnitInputs, stage: Stage) -> tuple[Outcome, Decimal]:
    missing = [name for name in node.reads if name not in stage.indicators]
    policy = node.missing
    if policy == "error":
        raise UnitError(
            f"stage '{stage.name}' has no value for {', '.join(missing)}",
            path=unit.path,
            code=node.code,
            field="indicators",
            hint="add it under 'indicators:', or declare the node's 'missing:' policy",
        )
    outcome = Outcome(
        ZERO if policy != "full" else node.max,
        MISSING,
        None,
        (("missing", missing),),
        (),
        not_applicable=policy == "not_applicable",
    )
    if outcome.not_applicable:
        return outcome, _not_applicable_points(node)
    return outcome, outcome.points


def _not_applicable_points(node: Node) -> Decimal:
    """Full points, or zero; a rescaled node is given its points once its siblings are known."""
    return node.max if node.not_applicable == "full" else ZERO


def _rescale(
    plan: _Plan,
    siblings: tuple[int, ...],
    points: list[Any],
    scored: list[Decimal | None],
    outcomes: dict[int, Outcome],
    not_applicable: Mapping[int, Outcome],
) -> Decimal:
    """Give each not-applicable child its siblings' rate of achievement, so the parent scores as
    if rescaled to its max while still being the exact sum of its children. Returns the points
    added."""
    nodes = plan.nodes
    rescaled = [k for k in siblings if k in not_applicable and nodes[k].not_applicable == "rescale"]
    if not rescaled:
        return ZERO
    applicable = [k for k in siblings if k not in not_applicable]
    achieved = sum((points[k] for k in applicable), ZERO)
    possible = sum((nodes[k].max for k in applicable if not nodes[k].bonus), ZERO)
    rate = achieved / possible if possible else Decimal(1)
    added = ZERO
    for k in rescaled:
        child = nodes[k]
        value = min(child.max, quantize(child.max * rate, plan.precision))
        outcome = not_applicable[k]
        outcomes[k] = attrs.evolve(
            outcome,
            reason=RESCALED if value < child.max else None,
            values=(*outcome.values, ("rate", rate)),
        )
        points[k] = scored[k] = value
        added += value
    return added
