"""Scoring many units at once in integer fixed point, with the engine's results to the digit.

Each leaf whose rule has a vectorised form is computed for every unit at once; the rest, and
the rows a vectorised form leaves to it (inputs it cannot decide exactly, errors), are scored
by the rule's own scalar form, through the engine. Then, as in the engine: the node's
``missing`` and ``not_applicable`` policies, points the appraisal gives, parents as the sums of
their children, rescaled criteria, totals and classes.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from decimal import Decimal

import attrs
import numpy as np

from .._engine import _score_leaf, _score_stage, card, plan_of
from .._model import Node, Ruleset, UnitInputs
from .._params import Params
from ..errors import ParRulesError, PluginError, ScoringError
from ._columns import Columns
from ._exact import (
    Bools,
    Guard,
    Ints,
    Numbers,
    digits_at,
    round_decimal,
    round_fraction,
    terminates,
)


@attrs.frozen(eq=False)
class VectorOutcome:
    """What a vectorised rule computed for every row of a batch.

    ``points`` are rounded to ``Columns.precision`` decimals exactly as the engine rounds the
    scalar form's points (half away from zero): they must be the very digits the scalar form
    would give. ``scalar`` marks the rows the vectorised form cannot decide (an input the
    scalar form refuses, a value too large to compute exactly): the engine scores them with the
    scalar form. ``not_applicable`` marks the rows whose outcome is not applicable.
    """

    points: Numbers
    scalar: Bools | None = None
    not_applicable: Bools | None = None


VectorEvaluate = Callable[[Columns], VectorOutcome]
"""What a rule's ``vector`` returns: scores one leaf for every row of ``Columns``."""


@attrs.frozen(eq=False)
class VectorScores:
    """Points of every node of many units at one stage, in fixed point.

    ``nodes[position][row]`` is the points of the node at ``position`` in ``ruleset.flat`` times
    ``10**scale``, and ``points`` the same as one array (``[row, position]``); ``shown`` is False
    where the engine lists no result for the node (inside a node the appraisal scored as a
    whole). ``per_unit`` names the leaves evaluated unit by unit (their rule has no vectorised
    form); ``scalar`` counts, per leaf, the rows a vectorised form left to its scalar form;
    ``engine`` counts the rows scored whole by the engine.
    """

    ruleset: Ruleset
    scale: int
    total: Ints
    nodes: tuple[Ints, ...] | None
    shown: tuple[Bools | None, ...] | None
    per_unit: tuple[str, ...]
    scalar: tuple[tuple[str, int], ...]
    engine: int

    def __len__(self) -> int:
        return int(self.total.size)

    @functools.cached_property
    def points(self) -> Ints:
        if self.nodes is None:
            raise ParRulesError("these scores kept the totals only")
        return np.stack(self.nodes, axis=1)

    @functools.cached_property
    def itemised(self) -> Bools:
        if self.shown is None:
            raise ParRulesError("these scores kept the totals only")
        return np.stack(
            [np.ones(len(self), dtype=bool) if s is None else s for s in self.shown], axis=1
        )

    def decimal(self, digits: int) -> Decimal:
        """Digits of this batch as the decimal they stand for."""
        return Decimal(int(digits)).scaleb(-self.scale)

    def node(self, row: int, code: str) -> Decimal | None:
        """A node's points in a row, None where it is not itemised."""
        if self.nodes is None or self.shown is None:
            raise ParRulesError("these scores kept the totals only")
        position = self.ruleset._positions[code]
        shown = self.shown[position]
        if shown is not None and not shown[row]:
            return None
        return self.decimal(self.nodes[position][row])

    def classes(self) -> Ints:
        """Per row, the position of its class in ``ruleset.classification`` (-1: none)."""
        return classify(self.ruleset, self.total, self.scale)


def classify(ruleset: Ruleset, total: Ints, scale: int) -> Ints:
    """Per total (digits at ``scale``), the position of the first band it reaches (-1: none),
    as ``Ruleset.classify``: the total as shown, rounded half-up to ``display_precision``."""
    if scale > ruleset.display_precision:
        step = 10 ** (scale - ruleset.display_precision)
        total = np.sign(total) * ((np.abs(total) + step // 2) // step) * step
    found = np.full(total.shape, -1, dtype=np.int64)
    for index in range(len(ruleset.classification) - 1, -1, -1):
        edge = _ceil(ruleset.classification[index].min, scale)
        found = np.where(total >= edge, index, found)
    return found


def _ceil(value: Decimal, scale: int) -> int:
    return math.ceil(value.scaleb(scale))


def _floor(value: Decimal, scale: int) -> int:
    return math.floor(value.scaleb(scale))


class VectorPlan:
    """What vectorised scoring needs of a ruleset, found once."""

    def __init__(self, ruleset: Ruleset) -> None:
        flat = ruleset.flat
        self.ruleset = ruleset
        self.forms: dict[int, VectorEvaluate] = {}
        per_unit = []
        for i, node in enumerate(flat):
            if node.children or node.evaluate is None:
                continue
            form = _bind(ruleset, node)
            if form is None:
                per_unit.append(node.code)
            else:
                self.forms[i] = form
        self.per_unit = tuple(per_unit)
        engine = plan_of(ruleset)
        self.leaves = tuple(i for i, *_ in engine.leaves)
        self.parents = engine.parents
        self.top = engine.top
        self.rescaling = engine.rescaling


def _bind(ruleset: Ruleset, node: Node) -> VectorEvaluate | None:
    if node.vector is None:
        return None
    params = Params(
        node.params,
        code=node.code,
        max=node.full,
        floor=node.floor,
        indicators=ruleset.indicators,
        path=node.path,
        line=node.line,
    )
    try:
        form: VectorEvaluate | None = node.vector(params)
    except Exception as exc:
        msg = (
            f"the vectorised form of rule '{node.rule}' of plugin '{node.plugin}' failed reading "
            f"the params of node {node.code}: {type(exc).__name__}: {exc}"
        )
        raise PluginError(msg, plugin=node.plugin) from exc
    return form


def vector_plan(ruleset: Ruleset) -> VectorPlan:
    plan: VectorPlan | None = ruleset._vector
    if plan is None:
        plan = VectorPlan(ruleset)
        object.__setattr__(ruleset, "_vector", plan)
    return plan


def score_vector(
    ruleset: Ruleset, units: Sequence[UnitInputs], *, stage: str | None = None
) -> VectorScores:
    """Score one stage (default: each unit's last) of many units at once: the points of every
    node equal the engine's (``parrules.score``) to the digit.

    Needs numpy (the ``analysis`` extra). Raises what ``score`` raises for a unit it cannot
    score.
    """
    for unit in units:
        if unit.ruleset != ruleset.id:
            msg = f"the unit is for ruleset '{unit.ruleset}', not '{ruleset.id}'"
            raise ScoringError(msg, unit=unit.unit)
    return score_columns(Columns.from_units(ruleset, units, stage))


def score_columns(columns: Columns, *, nodes: bool = True) -> VectorScores:
    """Score the rows of ``columns``; with ``nodes`` False only the totals are kept."""
    return _Scoring(columns).run(nodes)


class _Scoring:
    def __init__(self, columns: Columns) -> None:
        self.columns = columns
        self.ruleset = ruleset = columns.ruleset
        self.plan = vector_plan(ruleset)
        self.size = columns.size
        self.scale = columns.scale
        self.engine = columns.engine.copy()
        self.scalar: dict[str, int] = {}
        flat = ruleset.flat
        self.points: list[Ints] = [np.zeros(0, dtype=np.int64)] * len(flat)
        self.hidden: list[Bools | None] = [None] * len(flat)
        for code, (_, given) in columns.points.items():
            i = ruleset._positions[code]
            for j in range(i + 1, ruleset._ends[i]):
                inner = self.hidden[j]
                self.hidden[j] = given if inner is None else inner | given
        self.not_applicable: dict[int, Bools] = {}

    def digits(self, value: Decimal) -> int:
        return digits_at(value, self.scale)

    def run(self, nodes: bool) -> VectorScores:
        flat, points = self.ruleset.flat, self.points
        for i in self.plan.leaves:
            points[i] = self.leaf(i, flat[i])
        for i, kids in self.plan.parents:
            total = self.group(i, kids)
            given = self.columns.points.get(flat[i].code)
            if given is not None:
                total = np.where(given[1], given[0].digits, total)
            points[i] = total
        total = self.group(len(flat), self.plan.top)
        shown: list[Bools | None] = [None if h is None else ~h for h in self.hidden]
        engine_rows = np.flatnonzero(self.engine)
        if engine_rows.size:
            points = [p.copy() for p in points]  # the given points may be shared
        for row in engine_rows:
            scored, total[row] = self.engine_row(int(row))
            for i, value in enumerate(scored):
                if value is None:
                    if shown[i] is None:
                        shown[i] = np.ones(self.size, dtype=bool)
                    shown[i][row] = False  # type: ignore[index]
                elif shown[i] is not None:
                    shown[i][row] = True  # type: ignore[index]
                points[i][row] = 0 if value is None else value
        return VectorScores(
            ruleset=self.ruleset,
            scale=self.scale,
            total=total,
            nodes=tuple(points) if nodes else None,
            shown=tuple(shown) if nodes else None,
            per_unit=self.plan.per_unit,
            scalar=tuple(
                sorted(self.scalar.items(), key=lambda kv: self.ruleset._positions[kv[0]])
            ),
            engine=int(engine_rows.size),
        )

    def _position(self, item: tuple[str, int]) -> int:
        return self.ruleset._positions[item[0]]

    def engine_row(self, row: int) -> tuple[list[int | None], int]:
        """A row scored whole by the engine: each node's digits (None where not itemised) and
        the total's."""
        unit, stage = self.columns.unit(row), self.columns.stage(row)
        scored = _score_stage(plan_of(self.ruleset), unit, stage, None)
        single = attrs.evolve(unit, stages=(stage,))
        final = card(self.ruleset, single, [(scored.scored, scored.kept, scored.total)]).final
        found: list[int | None] = [None] * len(self.ruleset.flat)
        for r in final.results:
            found[self.ruleset._positions[r.code]] = self.digits(r.points)
        return found, self.digits(final.total)

    def leaf(self, i: int, node: Node) -> Ints:
        columns, size = self.columns, self.size
        hidden = self.hidden[i]
        given = columns.points.get(node.code)
        if node.evaluate is None:  # appraised: the unit gives its points
            shown = np.ones(size, dtype=bool) if hidden is None else ~hidden
            if given is None:
                self.engine |= shown  # the engine names the points missing
                return np.zeros(size, dtype=np.int64)
            self.engine |= shown & ~given[1]
            return given[0].digits
        todo: Bools | None = None  # rows the rule scores: neither given points nor hidden
        if given is not None:
            todo = ~given[1]
        if hidden is not None:
            todo = ~hidden if todo is None else todo & ~hidden
        guard = Guard(size)
        form = self.plan.forms.get(i)
        not_applicable: Bools | None = None
        scalar: Bools | None
        value: Ints
        if form is None:
            value = np.zeros(size, dtype=np.int64)
            scalar = np.ones(size, dtype=bool)
        else:
            outcome = form(columns)
            value, scalar, not_applicable = self.checked(node, outcome, guard)
        absent = None
        for name in node.reads:
            if name in columns.incomplete:
                missing = ~columns.present(name)
                absent = missing if absent is None else absent | missing
        if absent is not None:
            value, scalar, not_applicable = self.missing(
                node, absent, value, scalar, not_applicable
            )
        if not_applicable is not None:
            if todo is not None:
                not_applicable = not_applicable & todo
            if not_applicable.any():
                self.not_applicable[i] = not_applicable
                full = self.digits(node.full) if node.not_applicable == "full" else 0
                value = np.where(not_applicable, full, value)
            else:
                not_applicable = None
        if scalar is not None:
            if todo is not None:
                scalar = scalar & todo
            rows = np.flatnonzero(scalar & ~self.engine)
            if rows.size:
                value = value.copy()
                self.by_scalar_form(i, node, rows, value)
        if given is not None:
            value = np.where(given[1], given[0].digits, value)
        return value

    def checked(
        self, node: Node, outcome: VectorOutcome, guard: Guard
    ) -> tuple[Ints, Bools | None, Bools | None]:
        """The outcome's points at the batch's scale, and the rows for the scalar form: those
        the rule marked, those its arithmetic could not do exactly, those out of bounds (the
        engine refuses them)."""
        points = outcome.points
        assert points.scale == self.columns.precision, (
            f"node {node.code}: a vectorised rule gives points at the ruleset's precision"
        )
        moved = guard.at(points, self.scale)
        low, high = _ceil(node.floor, self.scale), self.digits(node.full)
        scalar = outcome.scalar
        if guard.bad is not None:
            scalar = guard.bad if scalar is None else scalar | guard.bad
        if moved.low < low or moved.high > high:
            outside = (moved.digits < low) | (moved.digits > high)
            scalar = outside if scalar is None else scalar | outside
        return moved.digits, scalar, outcome.not_applicable

    def missing(
        self,
        node: Node,
        absent: Bools,
        value: Ints,
        scalar: Bools | None,
        not_applicable: Bools | None,
    ) -> tuple[Ints, Bools | None, Bools | None]:
        """The node's ``missing`` policy where an indicator it reads is absent."""
        policy = node.missing
        if policy == "error":  # the scalar path raises the engine's error
            return value, absent if scalar is None else scalar | absent, not_applicable
        if scalar is not None:
            scalar = scalar & ~absent
        if policy == "not_applicable":
            flagged = absent if not_applicable is None else not_applicable | absent
            return value, scalar, flagged
        if not_applicable is not None:
            not_applicable = not_applicable & ~absent
        full = self.digits(node.full) if policy == "full" else 0
        return np.where(absent, full, value), scalar, not_applicable

    def by_scalar_form(self, i: int, node: Node, rows: Ints, value: Ints) -> None:
        """Score these rows of a leaf with the rule's scalar form, as the engine does."""
        columns = self.columns
        self.scalar[node.code] = self.scalar.get(node.code, 0) + int(rows.size)
        flags = self.not_applicable.get(i)
        for row in rows:
            unit, stage = columns.unit(int(row)), columns.stage(int(row))
            result = _score_leaf(self.ruleset, unit, stage, node)
            assert result is not None
            value[row] = self.digits(result.points)
            if result.not_applicable:
                if flags is None:
                    flags = np.zeros(self.size, dtype=bool)
                flags[row] = True
            elif flags is not None:
                flags[row] = False
        if flags is not None:
            self.not_applicable[i] = flags

    def group(self, i: int, kids: tuple[int, ...]) -> Ints:
        """The sum of a node's children (or of the fields, ``i`` past the last node), with the
        not-applicable children that are rescaled given their siblings' rate."""
        points = self.points
        if i in self.plan.rescaling:
            self.rescale(i, kids)
        if len(kids) == 1:
            return points[kids[0]].copy()
        total = points[kids[0]] + points[kids[1]]
        for k in kids[2:]:
            total += points[k]
        return total

    def rescale(self, i: int, kids: tuple[int, ...]) -> None:
        flat, points = self.ruleset.flat, self.points
        not_applicable = self.not_applicable
        rescaled = [k for k in kids if k in not_applicable and flat[k].not_applicable == "rescale"]
        if not rescaled:
            return
        hidden = self.hidden[i] if i < len(flat) else None
        criteria = [k for k in kids if not flat[k].bonus and (flat[k].max or 0) > 0]
        size = self.size
        achieved = np.zeros(size, dtype=np.int64)
        possible = np.zeros(size, dtype=np.int64)
        for k in criteria:
            counted = ~not_applicable[k] if k in not_applicable else None
            if counted is None:
                achieved = achieved + points[k]
                possible = possible + self.digits(flat[k].full)
            else:
                achieved = achieved + np.where(counted, points[k], 0)
                possible = possible + np.where(counted, self.digits(flat[k].full), 0)
        guard = Guard(size)
        rate_known = possible > 0
        base = Numbers.of(np.where(achieved > 0, achieved, 0), self.scale)
        den = Numbers.of(np.maximum(possible, 1))
        for k in rescaled:
            rows = not_applicable[k] if hidden is None else not_applicable[k] & ~hidden
            if not rows.any():
                continue
            maximum = self.digits(flat[k].full)
            numerator = guard.times(base, maximum)  # max × achieved / possible

            def exact(where: Ints) -> Bools:
                return terminates(base.digits[where], den.digits[where])

            value = round_fraction(numerator, den, self.ruleset.precision, guard, exact)
            value = guard.at(value, self.scale)
            whole = self.digits(flat[k].full)
            unrated = round_decimal(flat[k].full, self.ruleset.precision) * 10 ** (
                self.scale - self.ruleset.precision
            )
            capped = np.minimum(np.where(rate_known, value.digits, unrated), whole)
            points[k] = np.where(rows, capped, points[k])
        if guard.bad is not None:
            self.engine |= guard.bad & np.logical_or.reduce([not_applicable[k] for k in rescaled])
