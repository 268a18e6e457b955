"""Analyses of one card: stage diff, departments, goal verdicts, indicator trends."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import parrules
from parrules.analysis import by_department, goal_verdicts, indicator_trends, stage_diff

DATA = Path(__file__).parent / "data"


def card(path: Path) -> parrules.ScoreCard:
    unit = parrules.load_unit(path)
    return parrules.score(parrules.load_ruleset(unit.ruleset_path), unit)


def test_stage_diff_lists_changed_nodes_with_the_stage_of_change() -> None:
    changes = stage_diff(card(DATA / "mini-unit.yaml"))
    # mini-unit.yaml: the appraisal gives 4 of 4,5 for 2.3 (self: 4,5), so 2.3 and field 2 change
    assert [c.node.code for c in changes] == ["2", "2.3"]
    leaf = changes[1]
    assert [r.points for r in leaf.results] == [Decimal("4.5"), Decimal(4), Decimal(4)]
    assert leaf.changed_at == (1,)
    assert leaf.results[1].explain().reason == "Trang thông tin chưa cập nhật"


def test_a_single_stage_has_no_diff() -> None:
    assert stage_diff(card(DATA / "reports" / "district-2023.yaml")) == ()


def test_by_department_groups_achieved_and_not() -> None:
    statuses = by_department(card(DATA / "mini-unit.yaml"))
    assert [s.owner for s in statuses] == ["Phòng Nội vụ", None]
    office, unassigned = statuses
    assert [r.code for r in office.achieved] == ["1.1"]
    assert [(r.code, [d.code for d in ds]) for r, ds in office.not_achieved] == [
        ("1.2", ["1.2"]),
        ("1.3", ["1.3"]),
    ]
    assert [r.code for r, _ in unassigned.not_achieved] == ["2.1", "2.2", "2.3"]


def test_by_department_at_the_self_stage() -> None:
    statuses = by_department(card(DATA / "mini-unit.yaml"), stage="self")
    unassigned = statuses[1]
    assert [r.code for r in unassigned.achieved] == ["2.3"]


def test_criteria_deeper_than_the_leaves_are_the_leaves(tmp_path: Path) -> None:
    statuses = by_department(card(DATA / "reports" / "changed-a.yaml"), depth=3)
    assert [r.code for s in statuses for r in s.achieved] == ["1.1"]
    assert [r.code for s in statuses for r, _ in s.not_achieved] == ["1.2", "2"]


def test_goal_verdicts_met_not_met_and_no_data() -> None:
    verdicts = goal_verdicts(card(DATA / "reports" / "yearly-unit.yaml"))
    assert [(v.result.code, v.verdict) for v in verdicts] == [
        ("1", "met"),
        ("2", "not_met"),  # 85% of documents exchanged electronically, below 90%
        ("3", "no_data"),  # no satisfaction survey in the unit file
    ]
    assert [d.code for d in verdicts[1].deductions] == ["2"]


def test_a_missed_target_with_data_decides_over_one_without(tmp_path: Path) -> None:
    """A goal with a target missed (with data) and another without data is not met: the data
    that exist already decide it; with the missed target met, the goal is not known."""
    ruleset = tmp_path / "goal.yaml"
    ruleset.write_text(
        "id: test/goal\ntitle: Mục tiêu\nyear: 2019\nmax: unpublished\n"
        "indicators:\n"
        "  van_ban: {label: Văn bản điện tử, type: ratio}\n"
        "  hai_long: {label: Mức độ hài lòng, type: ratio}\n"
        "nodes:\n"
        "  - code: '1'\n    title: Mục tiêu gộp\n    max: 2\n    children:\n"
        "      - {code: '1.1', title: Văn bản, max: 1, rule: check,"
        " params: {all_of: [{indicator: van_ban, gte: '90%'}]}}\n"
        "      - {code: '1.2', title: Hài lòng, max: 1, rule: check, missing: not_applicable,"
        " not_applicable: zero, params: {all_of: [{indicator: hai_long, gt: '80%'}]}}\n",
        encoding="utf-8",
    )
    loaded = parrules.load_ruleset(ruleset)

    def verdict(share: str) -> tuple[str, list[str]]:
        data = {"unit": "X", "year": 2019, "indicators": {"van_ban": share}}
        (found,) = goal_verdicts(parrules.score(loaded, parrules.unit_from_mapping(data, loaded)))
        return found.verdict, [d.code for d in found.deductions]

    assert verdict("85%") == ("not_met", ["1.1", "1.2"])
    assert verdict("95%") == ("no_data", ["1.2"])


def test_trends_from_indicators_named_with_a_year() -> None:
    trends = indicator_trends([card(DATA / "reports" / "yearly-unit.yaml")])
    assert [t.name for t in trends] == ["chu_ky_so", "van_ban_dien_tu_ty_le"]
    signatures = trends[0]
    assert signatures.label() == "Số lượng chữ ký số"
    assert signatures.values == ((2018, Decimal(29)), (2019, Decimal(169)))
    assert trends[1].value(2019) == Decimal("0.85")
    assert trends[1].value(2017) is None


def test_trends_across_unit_files_of_several_years() -> None:
    cards = [card(DATA / "reports" / "changed-b.yaml"), card(DATA / "mini-unit.yaml")]
    trends = indicator_trends(cards)
    # mini.yaml declares no yearly indicators: each takes its unit's year; structured ones
    # (events, items) are left out
    names = [t.name for t in trends]
    assert "ky_luat" not in names
    assert "bao_cao" not in names
    assert trends[0].values == ((2023, Decimal(10)),)
