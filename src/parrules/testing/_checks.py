"""Conformance checks that rule and ruleset authors call from their own test suites."""

from __future__ import annotations

import copy
import itertools
import json
import os
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, NoReturn

import attrs
import hypothesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from .._engine import score
from .._json import jsonable
from .._model import (
    Evaluate,
    Indicator,
    Node,
    NodeResult,
    Outcome,
    Relation,
    Rule,
    Ruleset,
    format_value,
)
from .._numbers import ONE, ZERO, parse_decimal
from .._params import Params
from ..errors import InputError, ParRulesError
from ._failures import CheckFailed
from ._strategies import (
    _LIMITS,
    GENERATED,
    NUMERIC,
    Needs,
    Reader,
    _near,
    bounds,
    indicator_values,
    leaves,
    units,
    values,
)

PROFILE_VARIABLE = "PARRULES_HYPOTHESIS_PROFILE"
PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink)
"""No ``explain`` phase: the checks name the failing property and example themselves, and that
phase re-runs the failing example many times more."""
hypothesis.settings.register_profile(
    "parrules.ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    phases=PHASES,
)
hypothesis.settings.register_profile(
    "parrules.thorough", max_examples=1000, deadline=None, phases=PHASES
)


def _settings(given_settings: hypothesis.settings | None = None) -> hypothesis.settings:
    """The settings of a check: the given ones, or the profile named by the environment
    variable ``PARRULES_HYPOTHESIS_PROFILE`` (``ci``, the default, or ``thorough``, or any
    registered profile)."""
    if given_settings is None:
        name = os.environ.get(PROFILE_VARIABLE) or "ci"
        try:
            given_settings = hypothesis.settings.get_profile(f"parrules.{name}")
        except InvalidArgument:
            given_settings = hypothesis.settings.get_profile(name)
    return hypothesis.settings(
        given_settings,
        report_multiple_bugs=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def profile() -> hypothesis.settings:
    """The Hypothesis settings the checks run with (see ``PARRULES_HYPOTHESIS_PROFILE``), to
    decorate property tests of your own: ``@profile()`` above ``@given(units(ruleset))``. A
    failure is then reported as soon as its example is shrunk, as the checks report theirs."""
    return _settings()


def _show(data: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} = {format_value(v, 'en')}" for k, v in data.items()) or "(none)"


@attrs.frozen
class Leaf:
    """A rule as configured in one node: what ``check_rule`` binds and evaluates."""

    params: Mapping[str, Any]
    indicators: Mapping[str, Indicator]
    max: Decimal = ONE
    floor: Decimal = ZERO
    code: str = "1"

    def describe(self) -> str:
        params = json.dumps(jsonable(dict(self.params)), ensure_ascii=False)
        return f"node {self.code} (max {self.max}, floor {self.floor}, params {params})"


def _indicators(raw: Mapping[str, Any]) -> dict[str, Indicator]:
    result = {}
    for name, spec in raw.items():
        if isinstance(spec, Indicator):
            result[name] = spec
            continue
        if not isinstance(spec, Mapping) or "type" not in spec:
            raise InvalidArgument(f"indicators[{name!r}] must be a mapping with a 'type'")
        result[name] = Indicator(
            name=name,
            label=str(spec.get("label", name)),
            type=str(spec["type"]),
            unit=str(spec.get("unit", "")),
            choices=tuple(spec.get("choices", ())),
        )
    return result


def _leaf_of(raw: Mapping[str, Any]) -> Leaf:
    return Leaf(
        params=raw.get("params", {}),
        indicators=_indicators(raw.get("indicators", {})),
        max=parse_decimal(raw["max"]),
        floor=parse_decimal(raw.get("floor", 0)),
    )


def _bind(rule: Rule, leaf: Leaf) -> tuple[Evaluate, Params]:
    p = Params(
        leaf.params,
        code=leaf.code,
        max=leaf.max,
        floor=leaf.floor,
        indicators=leaf.indicators,
    )
    evaluate = rule.bind(p)
    p.finish()
    if evaluate is None:
        raise InvalidArgument(f"rule '{rule.name}' computes nothing (an appraised leaf)")
    return evaluate, p


class _RuleChecker:
    """The properties of one rule bound in one node. ``rebind`` binds it again, to check that
    binding is deterministic too; ``reads`` gives each indicator's declared direction."""

    def __init__(
        self,
        name: str,
        leaf: Leaf,
        evaluate: Evaluate,
        reads: Mapping[str, int],
        relations: tuple[Relation, ...] = (),
        rebind: Callable[[], Evaluate] | None = None,
    ) -> None:
        self.name = name
        self.leaf = leaf
        self.evaluate = evaluate
        self.reads = reads
        self.rebind = rebind
        self.needs = Needs.of(
            [Reader(leaf.params, leaf.max, tuple(reads), relations=relations)], leaf.indicators
        )
        self.node = Node(
            code=leaf.code,
            title=f"Tiêu chí {leaf.code}",
            max=leaf.max,
            rule=name,
            floor=leaf.floor,
            reads=tuple(reads),
        )

    def fail(self, prop: str, message: str, inputs: Mapping[str, Any]) -> NoReturn:
        example = f"{self.leaf.describe()}; inputs: {_show(inputs)}"
        raise CheckFailed(f"rule '{self.name}'", prop, message, example)

    def examples(self, data: st.DataObject) -> None:
        """Draw one valid input and check it, then (when the rule declares ordering relations)
        one that breaks a relation, which must be refused."""
        leaf, needs = self.leaf, self.needs
        inputs = data.draw(indicator_values(leaf.indicators, needs, self.reads), label="inputs")
        outcome = self.check(inputs)
        self.monotone(data.draw, inputs, outcome)
        if needs.ordered:
            broken = data.draw(st.sampled_from(needs.ordered), label="relation broken")
            drawn = indicator_values(leaf.indicators, needs, self.reads, broken=broken)
            self.refuses(data.draw(drawn, label="input breaking it"), broken)

    def refuses(self, values: Mapping[str, Any], relation: Relation) -> None:
        try:
            outcome = self.evaluate(copy.deepcopy(dict(values)))
        except InputError:
            return
        except Exception as exc:
            message = f"raised {type(exc).__name__}: {exc} (raise parrules.errors.UnitError)"
            self.fail("refuses", message, values)
        left, right = values[relation.left], values[relation.right]
        how = "is above" if relation.kind == "part_of" else "is after"
        points = outcome.points if isinstance(outcome, Outcome) else outcome
        message = (
            f"scored {points} where '{relation.left}' ({format_value(left, 'en')}) {how} "
            f"'{relation.right}' ({format_value(right, 'en')}), which the rule declares "
            f"impossible ({relation.kind}); raise parrules.errors.UnitError for such input"
        )
        self.fail("refuses", message, values)

    def run(self, values: Mapping[str, Any], evaluate: Evaluate | None = None) -> Outcome:
        """The outcome of a valid input (every declared relation holds): refusing it is a bug
        of the rule, or a relation it does not declare."""
        try:
            outcome = (evaluate or self.evaluate)(copy.deepcopy(dict(values)))
        except ParRulesError as exc:
            message = (
                f"refused it: {type(exc).__name__}: {exc} (score it, or declare the relation "
                "it breaks with p.part_of, p.not_after or p.same_unit)"
            )
            self.fail("accepts", message, values)
        except Exception as exc:
            message = f"raised {type(exc).__name__}: {exc}"
            self.fail("exceptions", message + " (raise parrules.errors.UnitError instead)", values)
        if not isinstance(outcome, Outcome):
            self.fail("outcome", f"returned {outcome!r}", values)
        if not isinstance(outcome.points, Decimal) or not outcome.points.is_finite():
            self.fail("outcome", f"returned points {outcome.points!r}", values)
        return outcome

    def check(self, values: Mapping[str, Any]) -> Outcome:
        outcome = self.run(values)
        others = [(self.run(values), "a second call")]
        if self.rebind is not None:
            others.append((self.run(values, self.rebind()), "a second binding"))
        for other, how in others:
            if other != outcome or str(getattr(other, "points", "")) != str(outcome.points):
                self.fail("deterministic", f"{how} gave {other!r}, not {outcome!r}", values)
        if outcome.not_applicable:
            return outcome
        points, leaf = outcome.points, self.leaf
        if not leaf.floor <= points <= leaf.max:
            message = f"{points} points, outside {leaf.floor}–{leaf.max}"
            self.fail("bounds", message, values)
        self.explained(outcome, values)
        return outcome

    def explained(self, outcome: Outcome, values: Mapping[str, Any]) -> None:
        result = NodeResult(self.node, outcome.points, outcome=outcome)
        for lang in ("vi", "en"):
            try:
                explanation = result.explain(lang)
            except Exception as exc:
                message = f"the {lang} explanation cannot be rendered: {type(exc).__name__}: {exc}"
                self.fail("explained", message, values)
            if outcome.points >= self.leaf.max:
                continue
            if outcome.reason is None or not explanation.reason.strip():
                message = f"{outcome.points} of {self.leaf.max} points with no {lang} reason"
                self.fail("explained", message, values)
        if outcome.points < self.leaf.max:
            if not outcome.inputs:
                message = f"{outcome.points} of {self.leaf.max} points with no inputs"
                self.fail("explained", message, values)
            unknown = [name for name, _ in outcome.inputs if name not in self.reads]
            if unknown:
                message = f"inputs {unknown} are not indicators the rule read"
                self.fail("explained", message, values)

    def monotone(self, draw: Callable[..., Any], base: Mapping[str, Any], outcome: Outcome) -> None:
        """For each indicator with a declared direction, the points at its drawn value, at
        another drawn value, at its bounds (0 and the whole it is part of) and at every value
        around an edge (a number written in the params), each input checked as ``check`` does:
        in order, no step goes against the direction."""
        for name, direction in self.reads.items():
            indicator = self.leaf.indicators[name]
            if not direction or indicator.type not in (*NUMERIC, "bool", "date", "events"):
                continue
            if indicator.type == "events":
                kinds = self.needs.kinds.get(name) or tuple(base[name]) or ("a",)
                kind = draw(st.sampled_from(sorted(kinds)), label=f"one more {name}")
                events = dict(base[name])
                events[kind] = events.get(kind, ZERO) + 1
                more = {**base, name: events}
                self._step(direction, f"one more '{kind}' in '{name}'", base, more, outcome)
                continue
            runs: list[tuple[Any, Mapping[str, Any], Outcome]] = [(base[name], base, outcome)]
            for value in self._others(draw, name, base):
                changed = {**base, name: value}
                runs.append((value, changed, self.check(changed)))
            runs.sort(key=lambda run: run[0])
            for (a, low, low_out), (b, high, high_out) in itertools.pairwise(runs):
                change = f"raising '{name}' from {format_value(a, 'en')} to {format_value(b, 'en')}"
                self._step(direction, change, low, high, low_out, high_out)

    def _others(self, draw: Callable[..., Any], name: str, base: Mapping[str, Any]) -> set[Any]:
        """Other values of ``name`` that keep the unit valid: one drawn, its bounds, and those
        around the edges."""
        indicator = self.leaf.indicators[name]
        others = {k: v for k, v in base.items() if k != name}
        found = bounds(name, others, self.needs, self.leaf.indicators)
        drawn = {draw(values(indicator, **found), label=f"other {name}")}
        if indicator.type in NUMERIC:
            low = found.get("low", ZERO)
            high = min(found.get("high", _LIMITS[indicator.type]), _LIMITS[indicator.type])
            drawn.update(_near(indicator.type, found["edges"], low, high, found.get("whole")))
            drawn.update({low, high} if "high" in found else {low})
        return drawn - {base[name]}

    def _step(
        self,
        direction: int,
        change: str,
        low: Mapping[str, Any],
        high: Mapping[str, Any],
        low_out: Outcome,
        high_out: Outcome | None = None,
    ) -> None:
        """Fail when going from ``low`` to ``high`` moves the points against ``direction``."""
        if high_out is None:
            high_out = self.run(high)
        if low_out.not_applicable:
            return
        if high_out.not_applicable:
            return
        before, after = low_out.points, high_out.points
        if (direction > 0 and after < before) or (direction < 0 and after > before):
            declared = "more never lowers" if direction > 0 else "more never raises"
            message = (
                f"{change} {'lowered' if after < before else 'raised'} the points from "
                f"{before} to {after} (declared direction {direction:+d}: {declared} them)"
            )
            self.fail("monotone", message, low)


def _leaves(
    rule: Rule,
    params: Mapping[str, Any] | None,
    indicators: Mapping[str, Any] | None,
    maximum: Decimal | int | str,
    floor: Decimal | int | str,
    ruleset: Ruleset | None,
) -> st.SearchStrategy[Leaf]:
    if not isinstance(rule, Rule):
        raise InvalidArgument(f"rule={rule!r} is not a parrules.Rule")
    if params is not None and ruleset is not None:
        raise InvalidArgument("give params= or ruleset=, not both")
    if params is not None:
        leaf = Leaf(
            params=params,
            indicators=_indicators(indicators or {}),
            max=parse_decimal(maximum),
            floor=parse_decimal(floor),
        )
        _bind(rule, leaf)  # an invalid configuration is the caller's error: raise it now
        return st.just(leaf)
    if ruleset is not None:
        found = [
            Leaf(node.params, ruleset.indicators, node.full, node.floor, node.code)
            for node in ruleset.leaves
            if node.rule == rule.name
        ]
        if not found:
            raise InvalidArgument(f"no node of ruleset '{ruleset.id}' uses rule '{rule.name}'")
        return st.sampled_from(found)
    if rule.name in GENERATED:
        return leaves(rule.name).map(_leaf_of)
    raise InvalidArgument(
        f"give params= and indicators= (or ruleset=) to check rule '{rule.name}': "
        "only the built-in rules have params drawn for them"
    )


def check_rule(
    rule: Rule,
    *,
    params: Mapping[str, Any] | None = None,
    indicators: Mapping[str, Any] | None = None,
    max: Decimal | int | str = 1,
    floor: Decimal | int | str = 0,
    ruleset: Ruleset | None = None,
    settings: hypothesis.settings | None = None,
) -> None:
    """Check that a rule conforms, over inputs drawn by Hypothesis; raise ``CheckFailed``
    naming the property and the minimal example otherwise.

    The rule is bound to ``params`` (written as in a ruleset) with the ``indicators`` they name
    (``{name: {type: count}}``, as in a ruleset) in a node of ``max`` and ``floor``; or to every
    node of ``ruleset`` that uses it; or, for a built-in rule, to params drawn at random. The
    properties are listed in ``parrules.testing.PROPERTIES``: deterministic, bounded, explained,
    monotone in the direction declared through ``Params.indicator(..., direction=±1)``, and
    raising nothing but ``ParRulesError``.

    Call it from a test::

        def test_my_rule_conforms():
            check_rule(MY_RULE, params={"events": "ky_luat", ...},
                       indicators={"ky_luat": {"type": "events"}}, max=2)
    """
    leaves_ = _leaves(rule, params, indicators, max, floor, ruleset)
    run_settings = _settings(settings)

    @run_settings
    @given(st.data())
    def run(data: st.DataObject) -> None:
        leaf = data.draw(leaves_, label="node")
        try:
            evaluate, p = _bind(rule, leaf)
        except ParRulesError as exc:
            raise CheckFailed(f"rule '{rule.name}'", "params", str(exc), leaf.describe()) from None

        def rebind() -> Evaluate:
            return _bind(rule, leaf)[0]

        relations = tuple(p.relations)
        _RuleChecker(rule.name, leaf, evaluate, p.reads, relations, rebind).examples(data)

    run()


def _fail_unit(ruleset: Ruleset, prop: str, message: str, unit: Any) -> NoReturn:
    stages = "; ".join(
        f"{s.name}: {_show(s.indicators)}"
        + (f", points {_show({k: a.points for k, a in s.points.items()})}" if s.points else "")
        for s in unit.stages
    )
    raise CheckFailed(f"ruleset '{ruleset.id}'", prop, message, stages)


def _bounds(node: Node) -> tuple[Decimal, Decimal | None]:
    """The least and most points a node can have; no most where a maximum is unpublished."""
    if node.is_leaf:
        return node.floor, node.max
    pairs = [_bounds(child) for child in node.children]
    highs = [hi for _, hi in pairs]
    high = None if None in highs else sum((hi for hi in highs if hi is not None), ZERO)
    return sum((lo for lo, _ in pairs), ZERO), high


def _check_card(ruleset: Ruleset, unit: Any, card: Any) -> None:
    def fail(prop: str, message: str) -> NoReturn:
        _fail_unit(ruleset, prop, message, unit)

    for stage in card.stages:
        where = f"stage '{stage.stage}'"
        for result in stage.results:
            node = result.node
            whole = result.appraisal is not None  # scored as a whole, sub-criteria not listed
            low, high = (node.floor, node.max) if whole else _bounds(node)
            beyond = result.points < low or (high is not None and result.points > high)
            if beyond and not result.not_applicable:
                fail("bounds", f"{where}: node {node.code} has {result.points}, not {low}–{high}")
            if node.children and not whole:
                children = [stage.get(c.code) for c in node.children]
                if any(child is None for child in children):
                    fail("reconciled", f"{where}: node {node.code} lacks a sub-criterion")
                total = sum((c.points for c in children if c is not None), ZERO)
                if total != result.points:
                    message = f"{where}: node {node.code} has {result.points}, its children {total}"
                    fail("reconciled", message)
        fields = sum((r.points for r in stage.fields), ZERO)
        if fields != stage.total:
            fail("reconciled", f"{where}: total {stage.total}, fields {fields}")
        lost = sum((d.lost for d in stage.deductions), ZERO)
        bonus = sum((r.points for r in stage.results if r.node.is_leaf and r.node.bonus), ZERO)
        if stage.max is not None and stage.max - stage.total != lost - bonus:
            message = f"{where}: max − total = {stage.max - stage.total}, deductions {lost}"
            fail("reconciled", message + (f" (bonus {bonus})" if bonus else ""))
        for deduction in stage.deductions:
            result = deduction.result
            for lang in ("vi", "en"):
                explanation = result.explain(lang)
                if not explanation.reason.strip():
                    fail(
                        "explained", f"{where}: node {deduction.code} lost points, no {lang} reason"
                    )
            outcome = result.outcome
            missing = outcome is not None and any(k == "missing" for k, _ in outcome.values)
            if (
                outcome is not None
                and result.appraisal is None
                and not missing
                and not outcome.inputs
            ):
                fail("explained", f"{where}: node {deduction.code} lost points, no inputs")
    for lang in ("vi", "en"):
        data = card.to_dict(lang)
        try:
            text = json.dumps(data, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            fail("json", f"the {lang} card is not JSON: {exc}")
        if json.loads(text) != data:
            fail("json", f"the {lang} card changes through JSON")
        for stage, exported in zip(card.stages, data["stages"], strict=True):
            exact = exported.get("total_exact", exported["total"])
            if Decimal(exact) != stage.total:
                fail("json", f"total {stage.total} exported as {exact}")
            for result, entry in zip(stage.results, exported["nodes"], strict=True):
                for key in ("points", "max", "lost"):
                    if Decimal(entry[key]) != getattr(result, key):
                        message = f"node {result.code} {key} {getattr(result, key)} → {entry[key]}"
                        fail("json", message)


def check_ruleset(ruleset: Ruleset, *, settings: hypothesis.settings | None = None) -> None:
    """Check the rule of every computed leaf on its own, as ``check_rule`` does (its refusals,
    and its monotony in the levers' directions, included), then score random units
    (``units(ruleset)``) and check the card of each: every node within its bounds and equal to
    the sum of its children, ``max − total`` equal to the lost points, every lost point
    explained, the JSON card exact, scoring deterministic. Raise ``CheckFailed`` naming the
    property and the minimal example otherwise.

    A broken rule is reported by the first pass, with the few inputs of its node: small
    examples that Hypothesis shrinks in moments, where a whole unit takes far longer."""
    if not isinstance(ruleset, Ruleset):
        raise InvalidArgument(f"ruleset={ruleset!r} is not a parrules.Ruleset")
    run_settings = _settings(settings)
    by_rule: dict[str, list[Node]] = {}
    for node in ruleset.leaves:
        if node.evaluate is not None and node.max is not None:
            by_rule.setdefault(str(node.rule), []).append(node)

    @run_settings
    @given(st.data())
    def each_rule(data: st.DataObject) -> None:
        # each rule as likely as any other, however many nodes use it
        nodes = data.draw(st.sampled_from(list(by_rule.values())), label="rule")
        node = data.draw(st.sampled_from(nodes), label="node")
        assert node.evaluate is not None
        leaf = Leaf(node.params, ruleset.indicators, node.full, node.floor, node.code)
        levers = dict(node.levers)
        reads = {name: levers.get(name, 0) for name in node.reads}
        name = str(node.rule)
        _RuleChecker(name, leaf, node.evaluate, reads, node.relations).examples(data)

    if by_rule:
        each_rule()

    @run_settings
    @given(units(ruleset))
    def run(unit: Any) -> None:
        try:
            card = score(ruleset, unit)
        except InputError as exc:  # the unit is valid: every relation its rules declare holds
            _fail_unit(ruleset, "accepts", f"refused it: {type(exc).__name__}: {exc}", unit)
        except ParRulesError as exc:
            _fail_unit(ruleset, "exceptions", f"{type(exc).__name__}: {exc}", unit)
        except Exception as exc:
            _fail_unit(ruleset, "exceptions", f"{type(exc).__name__}: {exc}", unit)
        _check_card(ruleset, unit, card)
        if score(ruleset, unit).to_dict() != card.to_dict():
            _fail_unit(ruleset, "deterministic", "scoring twice gave different cards", unit)

    run()
