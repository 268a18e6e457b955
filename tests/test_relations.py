"""Relations a rule declares between the indicators it reads (``Params.part_of``, ``not_after``,
``same_unit``): recorded on the node, checked when comparing, kept by the strategies (or broken
on request), and refusals checked by ``check_rule``; a broken rule in a large ruleset is
reported by its node alone."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from hypothesis import given
from hypothesis.errors import InvalidArgument

import parrules
from parrules import Outcome, Params, Registry, Relation, Rule, Text, hookimpl
from parrules.errors import PluginError, RulesetError, UnitError
from parrules.testing import CheckFailed, check_rule, check_ruleset, units

REASON = Text("Chưa đủ", "Short")
SETTINGS = hypothesis.settings(max_examples=40, deadline=None, derandomize=True)


def share_rule(*, declare: bool = True, refuse: bool = True, factor: int = 1) -> Rule:
    """A province's share rule whose params are not named numerator and denominator."""

    def bind(p: Params) -> parrules.Evaluate:
        done = p.indicator("done", ("count",), direction=1)
        total = p.indicator("total", ("count",), lever=False)
        if declare:
            p.part_of(done, total)
        maximum = p.max

        def evaluate(values: Mapping[str, Any]) -> Outcome:
            d, t = values[done], values[total]
            if refuse and d > t:
                raise UnitError(f"{done} ({d}) is greater than {total} ({t})", field=done)
            points = maximum if t == 0 else factor * maximum * d / t
            inputs = ((done, d), (total, t))
            return Outcome(points, REASON if points < maximum else None, None, (), inputs)

        return evaluate

    return Rule("tinh.ty-le", bind, params=("done", "total"))


def registry_with(rule: Rule) -> Registry:
    class Plugin:
        @hookimpl
        def parrules_rules(self) -> tuple[Rule, ...]:
            return (rule,)

    return Registry.create(plugins=[Plugin()], entry_points=False)


RULESET = """\
id: tinh/xa/2024
title: Thử quan hệ
year: 2024
max: 2
indicators:
  ho_so_dung_han: {label: Hồ sơ giải quyết đúng hạn, type: count, unit: hồ sơ}
  ho_so: {label: Hồ sơ tiếp nhận, type: count, unit: hồ sơ}
nodes:
  - code: "1"
    title: Giải quyết hồ sơ
    max: 2
    rule: tinh.ty-le
    params: {done: ho_so_dung_han, total: ho_so}
"""


def load(tmp_path: Path, rule: Rule, text: str = RULESET) -> parrules.Ruleset:
    path = tmp_path / "r.yaml"
    path.write_text(text, encoding="utf-8")
    return parrules.load_ruleset(path, registry=registry_with(rule))


def test_a_declared_relation_is_on_the_node(tmp_path: Path) -> None:
    node = load(tmp_path, share_rule()).node("1")
    assert node.relations == (Relation("part_of", "ho_so_dung_han", "ho_so"),)


def test_builtin_rules_declare_theirs() -> None:
    ruleset = parrules.load_ruleset("lai-chau/district/2023")
    ratio, trend = ruleset.node("7.3.6"), ruleset.node("8.7")
    assert (ratio.rule, trend.rule) == ("ratio", "trend")
    assert ratio.relations == (
        Relation("part_of", ratio.params["numerator"], ratio.params["denominator"]),
    )
    assert trend.relations == (
        Relation("same_unit", trend.params["current"], trend.params["previous"]),
    )


def test_a_relation_with_an_indicator_not_read_is_a_plugin_bug(tmp_path: Path) -> None:
    def bind(p: Params) -> parrules.Evaluate:
        done = p.indicator("done", ("count",))
        p.part_of(done, "ho_so")  # never read through p.indicator
        raise AssertionError("not reached")

    with pytest.raises(PluginError, match="'ho_so' is not an indicator this rule read"):
        load(tmp_path, Rule("tinh.ty-le", bind, params=("done", "total")))


def test_comparing_two_units_of_measure_is_refused_when_loading(tmp_path: Path) -> None:
    text = """\
id: tinh/xa/2024
title: So sánh
year: 2024
max: 1
indicators:
  bien_che: {label: Biên chế có mặt, type: count, unit: người}
  kinh_phi: {label: Kinh phí giao, type: number, unit: triệu đồng}
nodes:
  - code: "1"
    title: Biên chế trong định mức
    max: 1
    rule: check
    params: {all_of: [{indicator: bien_che, lte: {indicator: kinh_phi}}]}
"""
    path = tmp_path / "r.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesetError, match="same quantity") as info:
        parrules.load_ruleset(path)
    assert info.value.code == "1"
    assert "người" in str(info.value)
    assert "triệu đồng" in str(info.value)


def test_units_keep_a_declared_part_below_its_whole(tmp_path: Path) -> None:
    ruleset = load(tmp_path, share_rule())

    @SETTINGS
    @given(units(ruleset))
    def scored(unit: parrules.UnitInputs) -> None:
        for stage in unit.stages:
            values = stage.indicators
            if {"ho_so_dung_han", "ho_so"} <= values.keys():
                assert values["ho_so_dung_han"] <= values["ho_so"]
        parrules.score(ruleset, unit)  # never refused

    scored()


def test_invalid_units_break_a_relation_and_are_refused(tmp_path: Path) -> None:
    ruleset = load(tmp_path, share_rule())

    @SETTINGS
    @given(units(ruleset, invalid=True))
    def refused(unit: parrules.UnitInputs) -> None:
        (stage,) = unit.stages
        assert stage.indicators["ho_so_dung_han"] > stage.indicators["ho_so"]
        with pytest.raises(UnitError, match="is greater than"):
            parrules.score(ruleset, unit)

    refused()


def test_invalid_units_need_a_relation_to_break() -> None:
    ruleset = parrules.load_ruleset("soc-trang/thanh-tri/commune/2018")
    with pytest.raises(InvalidArgument, match="declares a relation"):
        units(ruleset, invalid=True)


def test_check_rule_requires_the_declared_refusal() -> None:
    params = {"done": "a", "total": "b"}
    indicators = {"a": {"type": "count"}, "b": {"type": "count"}}
    check_rule(share_rule(), params=params, indicators=indicators, max=2)
    with pytest.raises(CheckFailed) as info:
        check_rule(share_rule(refuse=False), params=params, indicators=indicators, max=2)
    assert info.value.property == "refuses"
    assert "where 'a' (" in str(info.value)
    assert "is above 'b'" in str(info.value)


def deadline_rule(*, refuse: bool = True) -> Rule:
    def bind(p: Params) -> parrules.Evaluate:
        issued = p.indicator("issued", ("date",), direction=-1)
        due = p.indicator("due", ("date",), lever=False)
        p.not_after(issued, due)
        maximum = p.max

        def evaluate(values: Mapping[str, Any]) -> Outcome:
            if refuse and values[issued] > values[due]:
                raise UnitError("issued after its due date", field=issued)
            return Outcome(maximum, None, None, (), ((issued, values[issued]),))

        return evaluate

    return Rule("tinh.dung-han", bind, params=("issued", "due"))


def test_dates_not_after_another_are_drawn_so_and_the_rest_refused() -> None:
    params = {"issued": "ngay_ban_hanh", "due": "han"}
    indicators = {"ngay_ban_hanh": {"type": "date"}, "han": {"type": "date"}}
    check_rule(deadline_rule(), params=params, indicators=indicators)
    with pytest.raises(CheckFailed) as info:
        check_rule(deadline_rule(refuse=False), params=params, indicators=indicators)
    assert info.value.property == "refuses"
    assert "is after 'han'" in str(info.value)


def test_values_compared_with_each_other_are_drawn_close(tmp_path: Path) -> None:
    text = """\
id: tinh/xa/2024
title: Biên chế
year: 2024
max: 1
indicators:
  bien_che: {label: Biên chế có mặt, type: count, unit: người}
  dinh_muc: {label: Biên chế được giao, type: count, unit: người}
nodes:
  - code: "1"
    title: Biên chế trong định mức
    max: 1
    rule: check
    params: {all_of: [{indicator: bien_che, lte: {indicator: dinh_muc}}]}
"""
    path = tmp_path / "r.yaml"
    path.write_text(text, encoding="utf-8")
    ruleset = parrules.load_ruleset(path)
    for gap in (0, 1, -1):
        hypothesis.find(
            units(ruleset),
            lambda u, gap=gap: (
                u.stages[0].indicators.get("bien_che", 0)
                - u.stages[0].indicators.get("dinh_muc", 0)
                == gap
            ),
            settings=hypothesis.settings(SETTINGS, max_examples=300),
        )


def _gap(values: Mapping[str, Any]) -> Any:
    return values.get("bien_che", 0) - values.get("dinh_muc", 0)


BIG = """\
extends: lai-chau/district/2023
id: tinh/huyen/2023
title: Lai Châu, kiểm tra theo tỷ lệ
indicators:
  kiem_tra_dat: {label: Cơ quan được kiểm tra đạt yêu cầu, type: count}
  kiem_tra: {label: Cơ quan được kiểm tra, type: count}
replace:
  - code: "1.3"
    title: Công tác kiểm tra CCHC
    max: 1.5
    rule: tinh.ty-le
    params: {done: kiem_tra_dat, total: kiem_tra}
"""


def test_a_broken_rule_in_a_large_ruleset_is_reported_by_its_node(tmp_path: Path) -> None:
    """A rule doubling its points fails 'bounds' with the two inputs of its node, not with a
    unit of every indicator of the Lai Châu district set."""
    import parrules_lai_chau

    class Plugin:
        @hookimpl
        def parrules_rules(self) -> tuple[Rule, ...]:
            return (share_rule(factor=2),)

    registry = Registry.create(plugins=[Plugin(), parrules_lai_chau], entry_points=False)
    path = tmp_path / "r.yaml"
    path.write_text(BIG, encoding="utf-8")
    ruleset = parrules.load_ruleset(path, registry=registry)
    with pytest.raises(CheckFailed) as info:
        check_ruleset(ruleset)
    assert info.value.subject == "rule 'tinh.ty-le'"
    assert info.value.property == "bounds"
    assert info.value.example.startswith("node 1.3 (max 1.5")
    assert info.value.example.endswith("inputs: kiem_tra = 1, kiem_tra_dat = 1")


def test_own_property_tests_get_the_checks_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from hypothesis import Phase

    from parrules.testing import profile

    monkeypatch.delenv("PARRULES_HYPOTHESIS_PROFILE", raising=False)
    settings = profile()
    assert (settings.max_examples, settings.derandomize) == (60, True)
    assert Phase.shrink in settings.phases
    assert Phase.explain not in settings.phases
    monkeypatch.setenv("PARRULES_HYPOTHESIS_PROFILE", "thorough")
    assert profile().max_examples == 1000
