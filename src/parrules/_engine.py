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
from typing import Any, NamedTuple

import attrs

from ._deadline import OutOfTime, contained, time_bound
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
from ._yaml import current_limits
from .errors import InputError, NotScoredError, ParRulesError, RuleFailure, ScoringError, UnitError

MISSING = Text("Không đủ dữ liệu: thiếu {missing}", "Insufficient data: no {missing}")
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
    return explained(ruleset, unit, False)


def explained(ruleset: Ruleset, unit: UnitInputs, explain: bool) -> ScoreCard:
    """``score``; with ``explain``, the card keeps what the rules computed for every lost point,
    for a card about to be explained (see ``StageResult``)."""
    stages = score_stages(ruleset, unit, explain)
    return card(ruleset, unit, [(s.scored, s.kept, s.total) for s in stages])


def score_stages(ruleset: Ruleset, unit: UnitInputs, explain: bool = False) -> list[_Scored]:
    """What a card keeps of each stage, as ``score`` computes it."""
    if unit.ruleset != ruleset.id:
        msg = f"the unit is for ruleset '{unit.ruleset}', not '{ruleset.id}'"
        raise ScoringError(msg, unit=unit.unit)
    plan = plan_of(ruleset)
    stages: list[_Scored] = []
    previous: _Scored | None = None
    seconds = current_limits().max_seconds
    try:
        with time_bound(seconds):
            for stage in unit.stages:
                previous = _score_stage(plan, unit, stage, previous, seconds, explain)
                stages.append(previous)
    except OutOfTime:  # outside any rule: the engine's own work on a huge unit
        msg = f"scoring took longer than {seconds:g} s"
        raise ScoringError(msg, unit=unit.unit) from None
    return stages


Kept = tuple[tuple[Decimal | None, ...], Mapping[int, Outcome], Decimal]
"""What a card keeps of a stage: the points rules computed, the outcomes kept (see
``StageResult``), the total."""


def card(ruleset: Ruleset, unit: UnitInputs, stages: Sequence[Kept]) -> ScoreCard:
    """The score card of a unit from what was kept of its stages."""
    texts: dict[tuple[Any, ...], Any] = {}  # shared by its stages
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
                texts=texts,
            )
            for stage, (scored, outcomes, total) in zip(unit.stages, stages, strict=True)
        ),
    )


class _Plan:
    """What scoring needs of a ruleset, found once: the leaves with their bound rules, and the
    parents from the bottom up."""

    __slots__ = (
        "ancestors",
        "ends",
        "exponent",
        "indicators",
        "leaf_at",
        "leaves",
        "nodes",
        "parent_at",
        "parents",
        "precision",
        "readers",
        "reads",
        "rescaling",
        "shared",
        "size",
        "top",
        "zero",
    )

    def __init__(self, ruleset: Ruleset) -> None:
        flat, children = ruleset.flat, ruleset._children
        self.nodes, self.ends, self.indicators = flat, ruleset._ends, ruleset.indicators
        self.size = len(flat)
        self.precision = ruleset.precision
        self.exponent = exponent = Decimal(1).scaleb(-ruleset.precision)
        self.zero = ZERO.quantize(exponent)
        self.shared: dict[Decimal, Decimal] = {}
        """Points rules computed, one object per value (rounded to the ruleset's precision, so
        equal values are written the same): cards share them, and so they cross to the parent
        process once per batch of cards rather than once per card. At most ``SHARED`` kept."""
        self.leaves = tuple(
            (i, n.code, n, n.evaluate, n.reads, *_limits(n, exponent))
            for i, n in enumerate(flat)
            if not children[i]
        )
        """Per leaf: its position, code, node, rule, indicators, the bounds within which points
        may be rounded, and its max rounded (the full points, shared by every card)."""
        self.leaf_at = {leaf[1]: leaf for leaf in self.leaves}
        self.reads = frozenset(name for n in flat if n.evaluate is not None for name in n.reads)
        readers: dict[str, set[int]] = {}
        for i, node in enumerate(flat):
            for name in node.reads:
                readers.setdefault(name, set()).add(i)
        self.readers = {name: frozenset(leaves) for name, leaves in readers.items()}
        """The leaves reading each indicator."""
        self.parents = tuple((i, children[i]) for i in range(len(flat) - 1, -1, -1) if children[i])
        self.parent_at = {flat[i].code: i for i, _ in self.parents}
        ancestors: list[tuple[int, ...]] = [()] * len(flat)
        for i, kids in reversed(self.parents):  # parents before their children
            for k in kids:
                ancestors[k] = (i, *ancestors[i])
        self.ancestors = tuple(ancestors)
        """Per node: the positions of the parents above it, nearest first."""
        self.top = tuple(ruleset._positions[n.code] for n in ruleset.nodes)
        self.rescaling = frozenset(
            i
            for i, kids in enumerate((*children, self.top))
            if any(flat[k].not_applicable == "rescale" for k in kids)
        )  # sibling groups with a node that may be rescaled; the top level is ``len(flat)``


SHARED = 4096
"""Distinct points a ruleset's plan keeps one object of (a few hundred in practice: points are
rounded and bounded by each criterion's max)."""


def _round(value: Decimal, exponent: Decimal) -> Decimal:
    return value.quantize(exponent, ROUND_HALF_UP, _ROUNDING)


def _limits(node: Node, exponent: Decimal) -> tuple[tuple[Decimal, Decimal], Decimal]:
    """The bounds within which a rule's points may be rounded, and its max rounded; a leaf with
    no published max has no rule, so nothing to bound."""
    if node.max is None:
        return (node.floor, node.floor), node.floor
    return (node.floor - 1, node.max + 1), _round(node.max, exponent)


def plan_of(ruleset: Ruleset) -> _Plan:
    plan: _Plan | None = ruleset._plan
    if plan is None:
        plan = _Plan(ruleset)
        object.__setattr__(ruleset, "_plan", plan)
    return plan


class _Scored(NamedTuple):
    """One stage as scored. ``outcomes`` maps the leaves whose outcome cannot be computed again
    from the rule alone (missing data, rescaled), ``not_applicable`` each not-applicable leaf,
    and ``kept`` both and, when scored to be explained, every leaf below its max, to its
    outcome."""

    stage: Stage
    scored: tuple[Decimal | None, ...]
    outcomes: Mapping[int, Outcome]
    not_applicable: Mapping[int, Outcome]
    total: Decimal
    kept: Mapping[int, Outcome]
    points: tuple[Any, ...] | None = None
    """Every node's points, when no node was scored as a whole: what a later stage that changes
    a few inputs starts from (see ``_later_stage``)."""


def _score_stage(
    plan: _Plan,
    unit: UnitInputs,
    stage: Stage,
    previous: _Scored | None,
    seconds: float = 0,
    explain: bool = False,
) -> _Scored:
    values, appraisals = stage.indicators, stage.points
    dirty: set[int] = set()  # the leaves whose inputs changed since the previous stage
    if previous is not None:
        changed = _changed(values, previous.stage.indicators)
        if not changed and _same(appraisals, previous.stage.points):
            return previous._replace(stage=stage)  # nothing changed: share the previous stage
        if previous.points is not None:
            later = _later_stage(plan, stage, previous, changed, explain)
            if later is not None:
                return later
        dirty = set().union(*(plan.readers.get(name, ()) for name in changed))
        dirty.update(previous.outcomes)
    points: list[Any] = [None] * plan.size
    scored: list[Decimal | None] = [None] * plan.size
    outcomes: dict[int, Outcome] = {}
    not_applicable: dict[int, Outcome] = {}
    kept: dict[int, Outcome] = {}  # what explanations read instead of running a rule again
    unscored: list[str] = []
    failures: list[RuleFailure] = []
    wholes = [plan.parent_at[code] for code in appraisals if code in plan.parent_at]
    hidden: set[int] = set()  # inside a node the appraisal scored as a whole: not itemised
    for i in wholes:
        hidden.update(range(i + 1, plan.ends[i]))
    complete = values.keys() >= plan.reads  # no indicator a rule reads is missing
    exponent = plan.exponent
    for i, code, node, evaluate, reads, (low, high), full in plan.leaves:
        appraisal = appraisals.get(code)
        if appraisal is not None:
            points[i] = appraisal.points
            continue
        if hidden and i in hidden:
            continue
        if evaluate is None:
            unscored.append(code)
            continue
        if previous is not None and i not in dirty and previous.scored[i] is not None:
            points[i] = scored[i] = previous.scored[i]  # its inputs are those it had: reuse
            if i in previous.not_applicable:
                not_applicable[i] = previous.not_applicable[i]
            if i in previous.kept:
                kept[i] = previous.kept[i]
            continue
        if not complete and any(name not in values for name in reads):
            outcome, value = _missing(plan, node, unit, stage)
            outcomes[i] = outcome
        else:
            try:
                outcome = evaluate(values)
            except BaseException as exc:  # also SystemExit: a plugin's, it ends nothing but this
                if isinstance(exc, OutOfTime):
                    raise RuleFailure(
                        f"stage '{stage.name}': took longer than {seconds:g} s",
                        plugin=node.plugin or "?",
                        rule=node.rule or "?",
                        code=code,
                        unit=unit.unit,
                        not_scored=_with_ancestors(plan, [code]),
                    ) from None
                failures.append(_failure(exc, node, unit, stage))
                continue
            # The common case first; anything else goes through the full checks of `_checked`.
            plain = _plain(plan, node, outcome, low, high, full)
            if plain is not None:
                if explain and plain is not full:
                    kept[i] = outcome
                points[i] = scored[i] = plain
                continue
            try:
                outcome, value = _checked(node, unit, outcome, exponent)
            except RuleFailure as failure:
                failures.append(failure)
                continue
        if outcome.not_applicable:
            not_applicable[i] = outcome
        if outcome.not_applicable or (explain and value != full):
            kept[i] = outcome
        points[i] = scored[i] = value
    if failures:
        first = failures[0]
        raise RuleFailure(
            f"stage '{stage.name}': {first.detail}",
            plugin=first.plugin,
            rule=first.rule,
            code=first.code or "?",
            unit=unit.unit,
            not_scored=_with_ancestors(plan, [f.code or "" for f in failures]),
            others=tuple(failures[1:]),
        ) from first.__cause__
    if unscored:
        msg = (
            f"{unit.path or f'unit {unit.unit!r}'}: stage '{stage.name}' gives no points for the "
            f"appraised node(s) {', '.join(unscored)} (give them under 'points:' of a unit file, "
            "or in their columns of a sheet)"
        )
        raise NotScoredError(
            msg, code=unscored[0], unit=unit.unit, not_scored=_with_ancestors(plan, unscored)
        )
    rescaling = plan.rescaling if not_applicable else ()
    for i, kids in plan.parents:
        if hidden and i in hidden:
            continue
        appraisal = appraisals.get(plan.nodes[i].code) if wholes else None
        if appraisal is not None:  # scored as a whole: its sub-criteria are not itemised
            points[i] = appraisal.points
            continue
        total = sum([points[k] for k in kids], ZERO)
        if i in rescaling:
            total += _rescale(plan, kids, points, scored, outcomes, not_applicable)
        points[i] = total
    total = sum([points[k] for k in plan.top], ZERO)
    if plan.size in rescaling:
        total += _rescale(plan, plan.top, points, scored, outcomes, not_applicable)
    if outcomes:  # the rescaled outcomes replace those the rules gave
        kept.update(outcomes)
    return _Scored(
        stage,
        tuple(scored),
        outcomes or _NO_OUTCOMES,
        not_applicable,
        total,
        kept or _NO_OUTCOMES,
        None if wholes else tuple(points),
    )


def _later_stage(
    plan: _Plan, stage: Stage, previous: _Scored, changed: list[str], explain: bool
) -> _Scored | None:
    """A stage that changes a few inputs of the previous one, from the previous stage's points:
    only the leaves whose inputs changed are scored again, and only their parents summed again,
    so that a self-assessment, its appraisal and the final stage cost about one stage. Anything
    but the plain case (a rule not applicable, missing data, failing or out of bounds; a node
    scored as a whole; a rescaled sibling) returns None, and ``_score_stage`` scores the whole
    stage, giving the same points and refusals either way."""
    if previous.outcomes or previous.not_applicable:
        return None
    values, appraisals = stage.indicators, stage.points
    points, scored = list(previous.points or ()), list(previous.scored)
    kept = dict(previous.kept)
    nodes, leaf_at = plan.nodes, plan.leaf_at
    touched: set[int] = set()
    dirty: list[tuple[Any, ...]] = []
    for code in _changed(appraisals, previous.stage.points):
        leaf = leaf_at.get(code)
        if leaf is None:  # a node scored as a whole, or a code scoring does not know
            return None
        appraisal = appraisals.get(code)
        if appraisal is None:
            dirty.append(leaf)
            continue
        i = leaf[0]
        points[i], scored[i] = appraisal.points, None
        kept.pop(i, None)
        touched.add(i)
    for name in changed:
        for i in plan.readers.get(name, ()):
            code = nodes[i].code
            if code not in appraisals:
                leaf = leaf_at.get(code)
                if leaf is None:
                    return None
                dirty.append(leaf)
    for i, _, node, evaluate, reads, (low, high), full in dirty:
        if i in touched:
            continue
        if evaluate is None or any(name not in values for name in reads):
            return None
        try:
            outcome = evaluate(values)
        except KeyboardInterrupt:
            raise
        except BaseException:  # scored again by the whole stage, which reports it
            return None
        value = _plain(plan, node, outcome, low, high, full)
        if value is None:
            return None
        kept.pop(i, None)
        if explain and value is not full:
            kept[i] = outcome
        points[i] = scored[i] = value
        touched.add(i)
    above = {a for i in touched for a in plan.ancestors[i]}
    for i, kids in plan.parents:  # children before their parent
        if i in above:
            points[i] = sum([points[k] for k in kids], ZERO)
    total = sum([points[k] for k in plan.top], ZERO)
    return _Scored(
        stage,
        tuple(scored),
        _NO_OUTCOMES,
        _NO_OUTCOMES,
        total,
        kept or _NO_OUTCOMES,
        tuple(points),
    )


def _plain(
    plan: _Plan, node: Node, outcome: object, low: Decimal, high: Decimal, full: Decimal
) -> Decimal | None:
    """The points of a plain outcome (applicable, a finite ``Decimal`` within the leaf's
    bounds), rounded and as the object equal points share; None for anything else."""
    if type(outcome) is not Outcome or outcome.not_applicable:
        return None
    value = outcome.points
    if type(value) is not Decimal or not value.is_finite() or not low <= value <= high:
        return None
    value = value.quantize(plan.exponent, ROUND_HALF_UP, _ROUNDING)
    if not node.floor <= value <= full:
        return None
    if value == full:  # the same value, written the same: share it
        return full
    if not value and not value.is_signed():
        return plan.zero
    shared = plan.shared
    if len(shared) < SHARED:
        return shared.setdefault(value, value)
    return shared.get(value, value)


def _score_leaf(ruleset: Ruleset, unit: UnitInputs, stage: Stage, node: Node) -> NodeResult | None:
    """One leaf scored on its own, as a stage scores it (for analyses that try changes); None
    for an appraised leaf the stage gives no points for."""
    appraisal = stage.points.get(node.code)
    if appraisal is not None:
        return NodeResult(node, appraisal.points, appraisal=appraisal)
    if node.evaluate is None:
        return None
    plan = plan_of(ruleset)
    if any(name not in stage.indicators for name in node.reads):
        outcome, points = _missing(plan, node, unit, stage)
    else:
        try:
            outcome = node.evaluate(stage.indicators)
        except BaseException as exc:
            raise _failure(exc, node, unit, stage) from exc.__cause__
        outcome, points = _checked(node, unit, outcome, plan.exponent)
    return NodeResult(node, points, outcome=outcome, not_applicable=outcome.not_applicable)


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


def _with_ancestors(plan: _Plan, codes: list[str]) -> tuple[str, ...]:
    """The codes and every code above them, in ruleset order: what a failure leaves unscored."""
    hit = set()
    for code in codes:
        while code:
            hit.add(code)
            code = code.rpartition(".")[0]
    return tuple(node.code for node in plan.nodes if node.code in hit)


def _failure(exc: BaseException, node: Node, unit: UnitInputs, stage: Stage) -> RuleFailure:
    """A rule raised: a data error names the stage, node and line (raised at once); a failure
    of the rule itself names the plugin (returned, so that the stage can name every one); Ctrl-C
    goes on as it came."""
    if not contained(exc):
        raise exc
    if isinstance(exc, InputError):
        raise UnitError(
            f"stage '{stage.name}': {exc.message}",
            path=unit.path,
            line=unit.lines.get(stage.name, {}).get(exc.field or ""),
            code=node.code,
            field=exc.field,
            hint=exc.hint,
            unit=unit.unit,
        ) from None
    if isinstance(exc, RuleFailure):
        return exc
    if isinstance(exc, ParRulesError):
        raise exc
    failure = RuleFailure(
        f"{type(exc).__name__}: {exc}",
        plugin=node.plugin or "?",
        rule=node.rule or "?",
        code=node.code,
        unit=unit.unit,
    )
    failure.__cause__ = exc
    return failure


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
    if not node.floor - 1 <= outcome.points <= node.full + 1:  # before rounding a huge number
        raise fail(f"returned {outcome.points} points, outside {node.floor}–{node.max}")
    points = _round(outcome.points, exponent)
    if not node.floor <= points <= node.full:
        raise fail(f"returned {points} points, outside {node.floor}–{node.max}")
    return outcome, points


def _label(plan: _Plan, name: str) -> Text:
    indicator = plan.indicators[name]
    return Text(indicator.label, indicator.label_en or indicator.label)


def _missing(plan: _Plan, node: Node, unit: UnitInputs, stage: Stage) -> tuple[Outcome, Decimal]:
    missing = [name for name in node.reads if name not in stage.indicators]
    policy = node.missing
    if policy == "error":
        raise UnitError(
            f"stage '{stage.name}' has no value for {', '.join(missing)}",
            path=unit.path,
            code=node.code,
            field="indicators",
            hint="give it under 'indicators:' of a unit file or in its column of a sheet, or "
            "declare the node's 'missing:' policy",
            unit=unit.unit,
        )
    outcome = Outcome(
        ZERO if policy != "full" else node.full,
        MISSING,
        None,
        (("missing", [_label(plan, name) for name in missing]),),
        (),
        not_applicable=policy == "not_applicable",
    )
    if outcome.not_applicable:
        return outcome, _not_applicable_points(node)
    return outcome, outcome.points


def _not_applicable_points(node: Node) -> Decimal:
    """Full points, or zero; a rescaled node is given its points once its siblings are known."""
    return node.full if node.not_applicable == "full" else ZERO


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
    # The rate of the criteria that did arise: bonuses and penalties are not achievements, and a
    # criterion below zero does not take a rescaled one below zero.
    criteria = [
        k
        for k in siblings
        if k not in not_applicable and not nodes[k].bonus and (nodes[k].max or ZERO) > 0
    ]
    achieved = sum((points[k] for k in criteria), ZERO)
    possible = sum((nodes[k].full for k in criteria), ZERO)
    rate = max(ZERO, achieved / possible) if possible else Decimal(1)
    added = ZERO
    for k in rescaled:
        child = nodes[k]
        value = min(child.full, quantize(child.full * rate, plan.precision))
        outcome = not_applicable[k]
        outcomes[k] = attrs.evolve(
            outcome,
            reason=RESCALED if value < child.full else None,
            values=(*outcome.values, ("rate", rate)),
        )
        points[k] = scored[k] = value
        added += value
    return added
