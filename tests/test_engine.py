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
                if node.children and result.appraisal is None:
                    children = [stage.node(c.code).points for c in node.children]
                    assert result.points == sum(children, Decimal(0)), node.code
            fields = sum((r.points for r in stage.fields), Decimal(0))
            assert stage.total == fields
            lost = sum((d.lost for d in stage.deductions), Decimal(0))
            bonus = sum((r.points for r in stage.results if r.node.bonus), Decimal(0))
            published = [r for r in stage.fields if r.max is not None]
            maximum = stage.max if stage.max is not None else sum(r.max for r in published)
            total = sum((r.points for r in published), Decimal(0))
            assert maximum - total == lost - bonus  # over the fields with a published max
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


RESCALE = """\
id: test/rescale/2023
title: Thử quy đổi
year: 2023
max: 10
precision: 4
indicators:
  a: {label: A, type: count}
  b: {label: B, type: count}
nodes:
  - code: "1"
    title: Lĩnh vực
    max: 10
    children:
      - {code: "1.1", title: Tiêu chí đo được, max: 7}
      - code: "1.2"
        title: Tiêu chí có thể không phát sinh
        max: 3
        not_applicable: rescale
        rule: ratio
        params: {numerator: a, denominator: b, zero_denominator: not_applicable}
"""


def test_rescale_gives_a_not_applicable_node_its_siblings_rate(tmp_path, registry):
    path = tmp_path / "r.yaml"
    path.write_text(RESCALE, encoding="utf-8")
    ruleset = parrules.load_ruleset(path, registry=registry)
    data = {"indicators": {"a": 0, "b": 0}, "points": {"1.1": {"points": "5.6", "reason": "x"}}}
    card = parrules.score(ruleset, parrules.unit_from_mapping(data, ruleset))
    # 5,6 of 7 is 80%: the whole field scores as if rescaled, 8 of 10.
    assert card.node("1.2").points == Decimal("2.4")
    assert card.node("1").points == Decimal("8.0")
    assert card.node("1.2").not_applicable
    assert "80%" in card.node("1.2").explain("vi").reason
    assert sum((d.lost for d in card.deductions), Decimal(0)) == card.final.max - card.total


def test_rescale_counts_neither_bonus_nor_penalty_and_never_goes_below_zero(tmp_path, registry):
    extra = """\
      - {code: "1.3", title: Tiêu chí có điểm âm, max: 1, floor: -2}
      - {code: "1.4", title: Điểm thưởng, max: 1, floor: -1, bonus: true}
      - {code: "1.5", title: Điểm trừ, max: 0, floor: -1}
"""
    path = tmp_path / "r.yaml"
    path.write_text(RESCALE.replace("max: 10", "max: 11") + extra, encoding="utf-8")
    ruleset = parrules.load_ruleset(path, registry=registry)

    def rescaled(p11: str, p13: str, p14: str, p15: str) -> Decimal:
        given = {"1.1": p11, "1.3": p13, "1.4": p14, "1.5": p15}
        points = {code: {"points": p, "reason": "x"} for code, p in given.items()}
        data = {"indicators": {"a": 0, "b": 0}, "points": points}
        card = parrules.score(ruleset, parrules.unit_from_mapping(data, ruleset))
        children = sum((card.node(f"1.{k}").points for k in range(1, 6)), Decimal(0))
        assert card.node("1").points == children
        return card.node("1.2").points

    # 1.1 and 1.3 reached 6 of 8 (75%), whatever the bonus and the penalty.
    assert rescaled("5", "1", "1", "0") == Decimal("2.25")
    assert rescaled("5", "1", "-1", "-1") == Decimal("2.25")
    # Below zero in all, the rescaled criterion scores zero, not less.
    assert rescaled("0", "-2", "-1", "-1") == Decimal(0)


BONUS_PENALTY = """\
id: test/bonus/2023
title: Thử điểm thưởng, điểm trừ
year: 2023
max: 10
indicators:
  kl: {label: Kỷ luật, type: events}
nodes:
  - {code: "1", title: Lĩnh vực, max: 10}
  - {code: "2", title: Điểm thưởng, max: 1, bonus: true}
  - code: "3"
    title: Điểm trừ
    max: 0
    floor: -2
    rule: per_event
    params: {events: kl, severity: {cach_chuc: 2, khien_trach: 0.5}}
"""


def test_bonus_and_penalty_nodes(tmp_path, registry):
    path = tmp_path / "r.yaml"
    path.write_text(BONUS_PENALTY, encoding="utf-8")
    ruleset = parrules.load_ruleset(path, registry=registry)
    data = {
        "indicators": {"kl": {"khien_trach": 1}},
        "points": {"1": {"points": 9, "reason": "x"}, "2": {"points": "0.5", "reason": "y"}},
    }
    card = parrules.score(ruleset, parrules.unit_from_mapping(data, ruleset))
    assert card.node("3").points == Decimal("-0.5")
    assert card.total == Decimal("9")  # 9 + 0,5 bonus − 0,5 penalty
    assert [d.code for d in card.deductions] == ["1", "3"]
    assert sum((d.lost for d in card.deductions), Decimal(0)) - Decimal("0.5") == (
        ruleset.max - card.total
    )
