"""Plugins are code the engine does not trust: whatever a rule raises or returns, the error names
the plugin, the rule, the node and the unit, and no unit is scored with a broken node as zero."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import parrules
from parrules import Outcome, Registry, Rule
from parrules.errors import PluginError, RuleFailure

RULESET = """\
id: t/faulty/2023
title: Thử
year: 2023
max: 3
indicators: {n: {label: Số, type: number}}
nodes:
  - code: "1"
    title: Một
    max: 2
    children:
      - {code: "1.1", title: Lỗi A, max: 1, rule: faulty, params: {value: n}}
      - {code: "1.2", title: Đúng, max: 1, rule: check, params: {all_of: [{indicator: n, gte: 0}]}}
  - code: "2"
    title: Hai
    max: 1
    children:
      - {code: "2.1", title: Lỗi B, max: 1, rule: faulty, params: {value: n}}
"""


def plugin(evaluate: Any = None, bind: Any = None) -> SimpleNamespace:
    def default_bind(p: parrules.Params) -> Any:
        p.indicator("value", ("number",))
        return evaluate

    rule = Rule("faulty", bind or default_bind, "fails", ("value",))
    hook = parrules.hookimpl(lambda: [rule])
    return SimpleNamespace(__name__="plugin_faulty", parrules_rules=hook)


def load(tmp_path: Path, registry: Registry) -> parrules.Ruleset:
    path = tmp_path / "r.yaml"
    path.write_text(RULESET, encoding="utf-8")
    return parrules.load_ruleset(path, registry=registry)


def score(tmp_path: Path, evaluate: Any) -> parrules.ScoreCard:
    registry = Registry.create(plugins=[plugin(evaluate)], entry_points=False)
    ruleset = load(tmp_path, registry)
    unit = parrules.unit_from_mapping({"unit": "Xã A", "indicators": {"n": 1}}, ruleset)
    return parrules.score(ruleset, unit)


@pytest.mark.parametrize(
    ("points", "message"),
    [
        (Decimal("1E+100"), "outside 0–1"),  # too large even to round: still a clear error
        (Decimal("-1E+100"), "outside 0–1"),
        (Decimal("NaN"), "not a finite Decimal"),
        (Decimal("Infinity"), "not a finite Decimal"),
        (1, "not a finite Decimal"),
        (True, "not a finite Decimal"),
        ("1", "not a finite Decimal"),
        (Decimal("1.00001"), None),  # rounds to the max at the ruleset's precision: accepted
    ],
)
def test_points_a_rule_returns_are_checked(tmp_path, points, message):
    evaluate = lambda values: Outcome(points)  # noqa: E731
    if message is None:
        assert score(tmp_path, evaluate).node("1.1").points == Decimal(1)
        return
    with pytest.raises(RuleFailure, match=message) as info:
        score(tmp_path, evaluate)
    error = info.value
    assert (error.plugin, error.rule, error.code) == ("plugin_faulty", "faulty", "1.1")


def test_every_failing_leaf_is_named_and_nothing_is_scored_as_zero(tmp_path):
    def evaluate(values: Any) -> Outcome:
        raise ZeroDivisionError("division by zero")

    with pytest.raises(RuleFailure) as info:
        score(tmp_path, evaluate)
    error = info.value
    assert error.unit == "Xã A"
    assert error.code == "1.1"
    assert [other.code for other in error.others] == ["2.1"]
    assert error.not_scored == ("1", "1.1", "2", "2.1")  # 1.2 was scored; the card is not made
    text = str(error)
    assert text.count("ZeroDivisionError: division by zero") == 2
    assert "failed on node 2.1" in text
    assert text.endswith("(not scored: 1, 1.1, 2, 2.1)")
    assert isinstance(error.__cause__, ZeroDivisionError)  # the plugin's traceback is kept


def test_a_rule_whose_bind_raises_names_the_plugin_rule_and_node(tmp_path):
    def bind(p: parrules.Params) -> Any:
        return {}["missing"]

    registry = Registry.create(plugins=[plugin(bind=bind)], entry_points=False)
    with pytest.raises(PluginError) as info:
        load(tmp_path, registry)
    assert info.value.plugin == "plugin_faulty"
    assert "rule 'faulty' of plugin 'plugin_faulty' failed reading the params of node 1.1" in str(
        info.value
    )
    assert "r.yaml:11): KeyError: 'missing'" in str(info.value)


def test_a_plugin_returning_something_else_than_rules_is_broken_and_the_others_load():
    odd = SimpleNamespace(__name__="plugin_odd", parrules_rules=parrules.hookimpl(lambda: ["x"]))
    registry = Registry.create(plugins=[odd, plugin()], entry_points=False)
    assert [b.name for b in registry.broken] == ["plugin_odd"]
    assert "not a parrules.Rule" in registry.broken[0].error
    assert "faulty" in registry.rules


def test_a_plugin_whose_rulesets_hook_raises_is_broken_and_the_others_load():
    def rulesets() -> list[str]:
        raise OSError("no such directory")

    bad = SimpleNamespace(__name__="plugin_dirs", parrules_rulesets=parrules.hookimpl(rulesets))
    registry = Registry.create(plugins=[bad], entry_points=False)
    assert [(b.name, b.error) for b in registry.broken] == [
        ("plugin_dirs", "OSError: no such directory")
    ]
    assert registry.ruleset_dirs  # the built-in rulesets are still found
