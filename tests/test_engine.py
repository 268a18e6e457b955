"""The engine reconciles exactly and never trusts a plugin."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

import parrules
from parrules import Outcome, Registry, Rule, hookimpl
from parrules.errors import RuleFailure

DATA = Path(__file__).parent / "data"
EXAMPLES = Path(__file__).parent.parent / "examples"


def all_cards(registry):
    for path in sorted([*EXAMPLES.rglob("*.yaml"), DATA / "mini-unit.yaml"]):
        unit = parrules.load_unit(path, registry=registry)
        yield parrules.score(parrules.load_ruleset(unit.ruleset_path, registry=registry), unit)


def test_every_example_reconciles_exactly():
    registry = Registry.create()  # the shipped examples may need installed plugins
    cards = list(all_cards(registry))
    assert len(cards) >= 2
    for card in cards:
        for stage in card.stages:
            for result in stage.results:
                node = result.node
                assert node.floor <= result.points
                if node.children:
                    children = [stage.node(c.code).points for c in node.children]
                    assert result.points == sum(children, Decimal(0)), node.code
            fields = sum((r.points for r in stage.fields), Decimal(0))
            assert stage.total == fields
            lost = sum((d.lost for d in stage.deductions), Decimal(0))
            bonus = sum((r.points for r in stage.results if r.node.bonus), Decimal(0))
            assert stage.max - stage.total == lost - bonus
            for deduction in stage.deductions:
                assert deduction.reason("vi").strip()
                assert deduction.reason("en").strip()


def plugin_with(rule_name: str, evaluate) -> SimpleNamespace:
    def bind(p):
        p.indicator("flag", ("bool",))
        return evaluate

    rule = Rule(rule_name, bind, "test rule")

    @hookimpl
    def parrules_rules():
        return [rule]

    return SimpleNamespace(parrules_rules=parrules_rules, __name__=f"plugin_{rule_name}")


@pytest.mark.parametrize(
    ("evaluate", "message"),
    [
        (lambda values: 1 / 0, "ZeroDivisionError"),
        (lambda values: Outcome(1.0), "not a finite Decimal"),  # type: ignore[arg-type]
        (lambda values: Outcome(Decimal(2)), "outside 0–1"),
        (lambda values: Outcome(Decimal(-1)), "outside 0–1"),
        (lambda values: {"points": 1}, "not an Outcome"),
    ],
)
def test_a_faulty_rule_is_attributed(leaf, tmp_path, evaluate, message):
    from helpers import ruleset_text

    registry = Registry.create(plugins=[plugin_with("faulty", evaluate)], entry_points=False)
    path = tmp_path / "r.yaml"
    path.write_text(
        ruleset_text("faulty", {"flag": "flag"}, {"flag": {"type": "bool", "label": "Cờ"}}),
        encoding="utf-8",
    )
    ruleset = parrules.load_ruleset(path, registry=registry)
    unit = parrules.unit_from_mapping({"unit": "Xã A", "indicators": {"flag": True}}, ruleset)
    with pytest.raises(RuleFailure, match=message) as info:
        parrules.score(ruleset, unit)
    error = info.value
    assert (error.rule, error.code, error.unit) == ("faulty", "1.1", "Xã A")
    assert error.plugin == "plugin_faulty"
    assert "plugin 'plugin_faulty'" in str(error)
