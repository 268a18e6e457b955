"""Tests of ``lai-chau.provincial-index-impact``, through a ruleset that uses it."""

from __future__ import annotations

import importlib.metadata
from decimal import Decimal
from pathlib import Path
from typing import Any

import parrules
import pytest
from parrules.errors import RulesetError, UnitError
from parrules.testing import check_rule

import parrules_lai_chau

RULESET = """\
id: test/district/2023
title: Thử nghiệm
year: 2023
max: {max}
precision: 4
indicators:
  lanh_dao_bi_ky_luat:
    label: Lãnh đạo bị kỷ luật, theo cấp
    type: events
nodes:
  - code: "1"
    title: Công tác chỉ đạo điều hành
    max: {max}
    children:
      - code: "1.7"
        title: Thực hiện công tác CCHC gắn với Chỉ số CCHC hàng năm của tỉnh
        max: {max}
        rule: lai-chau.provincial-index-impact
        params:
          events: lanh_dao_bi_ky_luat
          deductions: {deductions}
"""


@pytest.fixture
def registry() -> parrules.Registry:
    return parrules.Registry.create(plugins=[parrules_lai_chau], entry_points=False)


def ruleset(
    tmp_path: Path,
    registry: parrules.Registry,
    *,
    max: str = "3",
    deductions: str = "{lanh_dao_cap_huyen: 3, lanh_dao_cap_phong: 2}",
) -> parrules.Ruleset:
    path = tmp_path / "ruleset.yaml"
    path.write_text(RULESET.format(max=max, deductions=deductions), encoding="utf-8")
    return parrules.load_ruleset(path, registry=registry)


def score(rules: parrules.Ruleset, events: dict[str, Any]) -> parrules.NodeResult:
    unit = parrules.unit_from_mapping(
        {
            "unit": "Huyện thử",
            "year": 2023,
            "ruleset": rules.id,
            "indicators": {"lanh_dao_bi_ky_luat": events},
        },
        rules,
    )
    return parrules.score(rules, unit).node("1.7")


def test_the_rule_is_registered_under_the_plugin_name(registry: parrules.Registry) -> None:
    rule = registry.rules["lai-chau.provincial-index-impact"]
    assert rule is not None
    assert rule.params == ("events", "deductions", "reason")


def test_the_entry_point_names_the_module() -> None:
    points = importlib.metadata.entry_points(group="parrules")
    assert [ep.value for ep in points if ep.name == "lai-chau"] == ["parrules_lai_chau"]


def test_no_case_keeps_full_points(tmp_path: Path, registry: parrules.Registry) -> None:
    result = score(ruleset(tmp_path, registry), {})
    assert result.points == Decimal(3)
    assert result.lost == 0


def test_a_zero_count_is_no_case(tmp_path: Path, registry: parrules.Registry) -> None:
    result = score(ruleset(tmp_path, registry), {"lanh_dao_cap_huyen": 0})
    assert result.points == Decimal(3)


def test_one_case_costs_its_deduction(tmp_path: Path, registry: parrules.Registry) -> None:
    result = score(ruleset(tmp_path, registry), {"lanh_dao_cap_phong": 1})
    assert result.points == Decimal(1)
    explanation = result.explain()
    assert explanation.reason == (
        "Trừ 2 điểm do ảnh hưởng đến Chỉ số CCHC của tỉnh: lanh_dao_cap_phong × 1"
    )
    assert explanation.formula == "3 − 2 = 1"
    assert result.explain("en").reason.startswith("2 points deducted")


def test_cases_are_not_summed(tmp_path: Path, registry: parrules.Registry) -> None:
    # Two department-level leaders: deducted once (2), not twice (4).
    result = score(ruleset(tmp_path, registry), {"lanh_dao_cap_phong": 2})
    assert result.points == Decimal(1)


def test_the_most_serious_case_counts(tmp_path: Path, registry: parrules.Registry) -> None:
    result = score(ruleset(tmp_path, registry), {"lanh_dao_cap_phong": 1, "lanh_dao_cap_huyen": 1})
    assert result.points == Decimal(0)
    assert "lanh_dao_cap_huyen × 1, lanh_dao_cap_phong × 1" in result.explain().reason


def test_deductions_may_be_written_with_a_decimal_comma(
    tmp_path: Path, registry: parrules.Registry
) -> None:
    rules = ruleset(tmp_path, registry, deductions='{lanh_dao_cap_phong: "1,5"}')
    assert score(rules, {"lanh_dao_cap_phong": 1}).points == Decimal("1.5")


def test_an_unknown_kind_is_an_input_error(tmp_path: Path, registry: parrules.Registry) -> None:
    with pytest.raises(UnitError, match="lanh_dao_cap_phong") as info:
        score(ruleset(tmp_path, registry), {"lanh_dao_cap_phongg": 1})
    assert info.value.code == "1.7"


def test_a_deduction_above_the_max_is_refused(tmp_path: Path, registry: parrules.Registry) -> None:
    with pytest.raises(RulesetError, match="between 0 and 2") as info:
        ruleset(tmp_path, registry, max="2", deductions="{lanh_dao_cap_huyen: 3}")
    assert info.value.code == "1.7"
    assert info.value.line is not None


def test_a_deduction_that_is_not_a_number_is_refused(
    tmp_path: Path, registry: parrules.Registry
) -> None:
    with pytest.raises(RulesetError, match="not a number"):
        ruleset(tmp_path, registry, deductions="{lanh_dao_cap_phong: hai}")


def test_the_events_param_must_name_an_events_indicator(
    tmp_path: Path, registry: parrules.Registry
) -> None:
    path = tmp_path / "ruleset.yaml"
    text = RULESET.format(max="2", deductions="{lanh_dao_cap_phong: 2}")
    path.write_text(text.replace("type: events", "type: count"), encoding="utf-8")
    with pytest.raises(RulesetError, match="type count"):
        parrules.load_ruleset(path, registry=registry)


def test_a_misspelt_param_is_refused(tmp_path: Path, registry: parrules.Registry) -> None:
    path = tmp_path / "ruleset.yaml"
    text = RULESET.format(max="2", deductions="{lanh_dao_cap_phong: 2}")
    path.write_text(text.replace("deductions:", "deduction:"), encoding="utf-8")
    with pytest.raises(RulesetError, match="deductions"):
        parrules.load_ruleset(path, registry=registry)


def test_the_rule_conforms() -> None:
    """parrules.testing's conformance checks: bounded, explained, deterministic, fewer points
    for more cases, nothing escaping but ParRulesError. The rule reads a single indicator, so it
    declares no relation between indicators."""
    check_rule(
        parrules_lai_chau.PROVINCIAL_INDEX_IMPACT,
        params={"events": "ky_luat", "deductions": {"lanh_dao_cap_huyen": 3, "cap_phong": "1,5"}},
        indicators={"ky_luat": {"type": "events"}},
        max=3,
    )
