"""Scoring: a plain loop over pre-bound rules. No I/O, no hook calls, no text formatting."""

from __future__ import annotations

from decimal import Decimal

import attrs

from ._model import (
    Node,
    NodeResult,
    Outcome,
    Ruleset,
    ScoreCard,
    Stage,
    StageResult,
    Text,
    UnitInputs,
)
from ._numbers import ZERO, quantize
from .errors import InputError, NotScoredError, ParRulesError, RuleFailure, ScoringError, UnitError

MISSING = Text("Không đủ dữ liệu: thiếu {missing}", "Insufficient data: no {missing}")
RESCALED = Text(
    "Không áp dụng; tính theo tỷ lệ đạt của các tiêu chí cùng cấp ({rate:%})",
    "Not applicable; scored at the rate its sibling criteria achieved ({rate:%})",
)


def score(ruleset: Ruleset, unit: UnitInputs) -> ScoreCard:
    """Score every stage of a unit; raises ``ScoringError`` subclasses, never returns a partial
    card."""
    if unit.ruleset != ruleset.id:
        msg = f"the unit is for ruleset '{unit.ruleset}', not '{ruleset.id}'"
        raise ScoringError(msg, unit=unit.unit)
    return ScoreCard(
        unit=unit,
        ruleset=ruleset,
        stages=tuple(_score_stage(ruleset, unit, stage) for stage in unit.stages),
    )


def _score_stage(ruleset: Ruleset, unit: UnitInputs, stage: Stage) -> StageResult:
    results: dict[str, NodeResult] = {}
    unscored: list[str] = []
    failures: list[RuleFailure] = []

    def visit_all(nodes: tuple[Node, ...]) -> Decimal:
        points = sum((visit(node) for node in nodes), ZERO)
        rescaled = [
            n
            for n in nodes
            if n.not_applicable == "rescale"
            and n.code in results
            and results[n.code].not_applicable
        ]
        if rescaled:
            points += _rescale(nodes, rescaled, results, ruleset.precision)
        return points

    def visit(node: Node) -> Decimal:
        appraisal = stage.points.get(node.code)
        if node.children and appraisal is not None:
            # Scored as a whole by the appraisal: its sub-criteria are not itemised.
            results[node.code] = NodeResult(node, appraisal.points, appraisal=appraisal)
            return appraisal.points
        if node.children:
            points = visit_all(node.children)
            results[node.code] = NodeResult(node, points)
            return points
        try:
            result = _score_leaf(ruleset, unit, stage, node)
        except RuleFailure as exc:  # keep going, so that one run names every failing leaf
            failures.append(exc)
            return ZERO
        if result is None:
            unscored.append(node.code)
            return ZERO
        results[node.code] = result
        return result.points

    total = visit_all(ruleset.nodes)
    if failures:
        first = failures[0]
        raise RuleFailure(
            f"stage '{stage.name}': {first.detail}",
            plugin=first.plugin,
            rule=first.rule,
            code=first.code or "?",
            unit=unit.unit,
            not_scored=_with_ancestors(ruleset, [f.code or "" for f in failures]),
            others=tuple(failures[1:]),
        ) from first.__cause__
    if unscored:
        msg = (
            f"{unit.path or unit.unit}: stage '{stage.name}' gives no points for the appraised "
            f"node(s) {', '.join(unscored)}; add them under 'points:'"
        )
        raise NotScoredError(
            msg, code=unscored[0], unit=unit.unit, not_scored=_with_ancestors(ruleset, unscored)
        )
    return StageResult(
        stage=stage.name,
        results=tuple(results[n.code] for n in ruleset.flat if n.code in results),
        total=total,
        max=ruleset.max,
        classification=ruleset.classify(total),
        remedies=unit.remedies,
    )


def _with_ancestors(ruleset: Ruleset, codes: list[str]) -> tuple[str, ...]:
    """The codes and every code above them, in ruleset order: what a failure leaves unscored."""
    hit = set()
    for code in codes:
        while code:
            hit.add(code)
            code = code.rpartition(".")[0]
    return tuple(node.code for node in ruleset.flat if node.code in hit)


def _score_leaf(ruleset: Ruleset, unit: UnitInputs, stage: Stage, node: Node) -> NodeResult | None:
    appraisal = stage.points.get(node.code)
    if appraisal is not None:
        return NodeResult(node, appraisal.points, appraisal=appraisal)
    evaluate = node.evaluate
    if evaluate is None:
        return None
    values = stage.indicators
    missing = [name for name in node.reads if name not in values]
    if missing:
        return _missing(ruleset, node, unit, stage, missing)
    try:
        outcome = evaluate(values)
    except InputError as exc:
        raise UnitError(
            f"stage '{stage.name}': {exc.message}",
            path=unit.path,
            line=unit.lines.get(stage.name, {}).get(exc.field or ""),
            code=node.code,
            field=exc.field,
            hint=exc.hint,
        ) from None
    except ParRulesError:
        raise
    except Exception as exc:
        raise RuleFailure(
            f"{type(exc).__name__}: {exc}",
            plugin=node.plugin or "?",
            rule=node.rule or "?",
            code=node.code,
            unit=unit.unit,
        ) from exc
    return _checked(node, unit, outcome, ruleset.precision)


def _rescale(
    siblings: tuple[Node, ...], rescaled: list[Node], results: dict[str, NodeResult], precision: int
) -> Decimal:
    """Give each not-applicable child its siblings' rate of achievement, so the parent scores as
    if rescaled to its max while still being the exact sum of its children. Returns the points
    added."""
    applicable = [
        results[c.code]
        for c in siblings
        if c.code in results and not results[c.code].not_applicable
    ]
    achieved = sum((r.points for r in applicable), ZERO)
    possible = sum((r.max for r in applicable if not r.node.bonus), ZERO)
    rate = achieved / possible if possible else Decimal(1)
    added = ZERO
    for child in rescaled:
        result = results[child.code]
        points = min(child.max, quantize(child.max * rate, precision))
        outcome = result.outcome
        if outcome is not None:
            outcome = attrs.evolve(
                outcome,
                reason=RESCALED if points < child.max else None,
                values=(*outcome.values, ("rate", rate)),
            )
        results[child.code] = attrs.evolve(result, points=points, outcome=outcome)
        added += points
    return added


def _checked(node: Node, unit: UnitInputs, outcome: object, precision: int) -> NodeResult:
    """Guard the engine's invariants against whatever a plugin returned."""

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
        return NodeResult(node, _not_applicable_points(node), outcome=outcome, not_applicable=True)
    if not node.floor - 1 <= outcome.points <= node.max + 1:  # before rounding a huge number
        raise fail(f"returned {outcome.points} points, outside {node.floor}–{node.max}")
    points = quantize(outcome.points, precision)
    if not node.floor <= points <= node.max:
        raise fail(f"returned {points} points, outside {node.floor}–{node.max}")
    return NodeResult(node, points, outcome=outcome)


def _label(ruleset: Ruleset, name: str) -> Text:
    indicator = ruleset.indicators[name]
    return Text(indicator.label, indicator.label_en or indicator.label)


def _missing(
    ruleset: Ruleset, node: Node, unit: UnitInputs, stage: Stage, missing: list[str]
) -> NodeResult:
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
        (("missing", [_label(ruleset, name) for name in missing]),),
        (),
        not_applicable=policy == "not_applicable",
    )
    if outcome.not_applicable:
        return NodeResult(node, _not_applicable_points(node), outcome=outcome, not_applicable=True)
    return NodeResult(node, outcome.points, outcome=outcome)


def _not_applicable_points(node: Node) -> Decimal:
    """Full points, or zero; a rescaled node is given its points once its siblings are known."""
    return node.max if node.not_applicable == "full" else ZERO
