"""``check_vector``: a rule's vectorised form gives its scalar form's points, row by row."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import hypothesis
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from .._engine import score
from .._model import Node, Rule, Ruleset, Stage, UnitInputs
from ..errors import ParRulesError
from ._checks import Leaf, _bind, _leaves, _settings, _show
from ._failures import CheckFailed
from ._strategies import Needs, Reader, indicator_values

PROPERTY = "vector"


def _ruleset(rule: Rule, leaf: Leaf, precision: int) -> Ruleset:
    """A ruleset of one field holding the leaf, bound as the loader binds it."""
    evaluate, p = _bind(rule, leaf)
    node = Node(
        code="1.1",
        title="Tiêu chí thử",
        max=leaf.max,
        rule=rule.name,
        params=leaf.params,
        evaluate=evaluate,
        vector=rule.vector,
        reads=tuple(p.reads),
        relations=tuple(p.relations),
        plugin=rule.plugin or "?",
        floor=leaf.floor,
    )
    field = Node(code="1", title="Lĩnh vực thử", max=leaf.max, children=(node,))
    return Ruleset(
        id="thu-nghiem/vector/2023",
        title="Bộ chỉ số thử",
        year=2023,
        max=leaf.max,
        nodes=(field,),
        indicators=dict(leaf.indicators),
        precision=precision,
    )


def _points(ruleset: Ruleset, unit: UnitInputs) -> Decimal | type[ParRulesError]:
    try:
        return score(ruleset, unit).node("1.1").points
    except ParRulesError as exc:
        return type(exc)


def check_vector(
    rule: Rule,
    *,
    params: Mapping[str, Any] | None = None,
    indicators: Mapping[str, Any] | None = None,
    max: Decimal | int | str = 1,
    floor: Decimal | int | str = 0,
    ruleset: Ruleset | None = None,
    settings: hypothesis.settings | None = None,
) -> None:
    """Check that a rule's vectorised form (``Rule.vector``) gives, for a batch of units drawn by
    Hypothesis, the points its scalar form gives each unit through the engine (rounded at 2 and
    at 4 decimals), and refuses the units the scalar form refuses; raise ``CheckFailed`` with
    property ``vector`` and the minimal example otherwise.

    The rule is configured as for ``check_rule``: ``params`` with the ``indicators`` they name,
    every node of ``ruleset`` that uses it, or, for a built-in rule, params drawn at random::

        def test_my_rule_vectorised():
            check_vector(MY_RULE, params={"events": "ky_luat", ...},
                         indicators={"ky_luat": {"type": "events"}}, max=2)
    """
    if not isinstance(rule, Rule):
        raise InvalidArgument(f"rule={rule!r} is not a parrules.Rule")
    if rule.vector is None:
        raise InvalidArgument(f"rule '{rule.name}' has no vectorised form (Rule.vector)")
    from ..vector import score_vector

    leaves_ = _leaves(rule, params, indicators, max, floor, ruleset)
    subject = f"rule '{rule.name}'"

    @_settings(settings)
    @given(st.data())
    def run(data: st.DataObject) -> None:
        leaf = data.draw(leaves_, label="node")
        precision = data.draw(st.sampled_from([2, 4]), label="precision")
        try:
            one = _ruleset(rule, leaf, precision)
        except ParRulesError as exc:
            raise CheckFailed(subject, "params", str(exc), leaf.describe()) from None
        reads = one.flat[1].reads
        needs = Needs.of([Reader(leaf.params, leaf.max, reads)], leaf.indicators)
        batch = data.draw(
            st.lists(indicator_values(leaf.indicators, needs, reads), min_size=1, max_size=12),
            label="units",
        )
        units = [
            UnitInputs(f"Đơn vị {i + 1}", 2023, one.id, (Stage("final", values, {}),))
            for i, values in enumerate(batch)
        ]
        expected = [_points(one, unit) for unit in units]
        scorable = [u for u, e in zip(units, expected, strict=True) if isinstance(e, Decimal)]
        for unit, outcome in zip(units, expected, strict=True):
            if isinstance(outcome, Decimal):
                continue
            try:
                score_vector(one, [unit])
            except ParRulesError:
                continue
            inputs = _show(unit.stages[0].indicators)
            example = f"{leaf.describe()}; inputs: {inputs}"
            message = f"scored a unit the scalar form refuses ({outcome.__name__})"
            raise CheckFailed(subject, PROPERTY, message, example)
        if not scorable:
            return
        scores = score_vector(one, scorable)
        points = [e for e in expected if isinstance(e, Decimal)]
        for row, (unit, want) in enumerate(zip(scorable, points, strict=True)):
            got = scores.node(row, "1.1")
            if got != want:
                example = f"{leaf.describe()}; precision {precision}; inputs: "
                example += _show(unit.stages[0].indicators)
                message = f"gave {got} points where the scalar form gives {want}"
                raise CheckFailed(subject, PROPERTY, message, example)

    run()
