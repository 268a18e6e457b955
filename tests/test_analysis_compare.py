"""Year over year: seed 001's two comparison tables, and rulesets that change between years.

tests/data/reports/district-2022.yaml and district-2023.yaml hold the field points of seed 001
(Tam Đường, table "Biểu so sánh theo từng lĩnh vực, tiêu chí năm 2022 và năm 2023"); the expected
percentages and changes are those of its table "Biểu so sánh Chỉ số cải cách hành chính (PAR
INDEX) năm 2022 và năm 2023". Where the seed truncates instead of rounding, the test asserts the
rounded value and names the seed's figure.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import parrules
from parrules import report
from parrules.analysis import Comparison, compare

DATA = Path(__file__).parent / "data" / "reports"
D = Decimal


def card(name: str) -> parrules.ScoreCard:
    unit = parrules.load_unit(DATA / name)
    return parrules.score(parrules.load_ruleset(unit.ruleset_path), unit)


@pytest.fixture(scope="module")
def tam_duong() -> Comparison:
    return compare(card("district-2022.yaml"), card("district-2023.yaml"))


# code, % 2022, % 2023, change — seed 001, "Biểu so sánh Chỉ số cải cách hành chính".
SEED_001 = [
    # seed: 60,51% → 70,5%, +9,99 (both truncated); 8,17/13,5 = 60,5185…%, 9,52/13,5 = 70,5185…%
    ("1", "60.52", "70.52", "10.00"),
    ("2", "90", "100", "10"),
    # seed: 77,77% → 99,8%, +22,03 (truncated); 10,5/13,5 = 77,777…%, 13,4753/13,5 = 99,817…%
    ("3", "77.78", "99.82", "22.04"),
    ("4", "86.67", "98.79", "12.12"),
    ("5", "81.25", "68.75", "-12.5"),
    # seed: 36,2% and +1,49; 2,5371/7 = 36,2443…% → 36,24, so the change is +1,53
    ("6", "34.71", "36.24", "1.53"),
    ("7", "75.52", "86.99", "11.47"),
    ("8", "72.82", "72.13", "-0.69"),
]


@pytest.mark.parametrize(("code", "before", "after", "change"), SEED_001)
def test_seed_001_percentages_and_changes(
    tam_duong: Comparison, code: str, before: str, after: str, change: str
) -> None:
    row = next(r for r in tam_duong.rows if r.code == code)
    assert tam_duong.percent(row.before) == D(before)
    assert tam_duong.percent(row.after) == D(after)
    assert tam_duong.change(row) == D(change)


def test_seed_001_totals(tam_duong: Comparison) -> None:
    # seed 001, first table: PAR INDEX 72,07 (2022) and 78,12 (2023), "tăng 6,05 điểm"
    assert tam_duong.percent(tam_duong.before_stage) == D("72.07")
    assert tam_duong.percent(tam_duong.after_stage) == D("78.12")
    assert tam_duong.change() == D("6.05")


def test_seed_001_tables_in_vietnamese(tam_duong: Comparison) -> None:
    points, percents = report.comparison_tables(tam_duong, "vi")
    text = report.render([points, percents], "text")
    assert isinstance(text, str)
    # seed 001, first comparison table: 13,4753/13,50 for field 3 in 2023
    assert "13,4753" in text
    assert "Năm 2022" in text
    assert "Năm 2023" in text
    row = next(r for r in percents.rows if r.cells[0] == "5")
    shown = [report.show(c, col, "vi") for c, col in zip(row.cells, percents.columns, strict=True)]
    # the seed writes -12,5; a column shows all its numbers at one precision (+9,99 above it)
    assert shown[2:] == ["81,25%", "68,75%", "-12,50"]
    row = next(r for r in percents.rows if r.cells[0] == "4")
    shown = [report.show(c, col, "vi") for c, col in zip(row.cells, percents.columns, strict=True)]
    assert shown[2:] == ["86,67%", "98,79%", "+12,12"]
    total = percents.rows[-1]
    assert total.kind == "total"
    assert report.show(total.cells[4], percents.columns[4], "en") == "+6.05"


def test_nodes_in_one_year_only_are_shown_as_such() -> None:
    comparison = compare(card("changed-a.yaml"), card("changed-b.yaml"))
    assert [r.code for r in comparison.rows] == ["1", "1.1", "1.2", "1.3", "2"]
    only_2022 = comparison.rows[2]
    assert only_2022.before is not None
    assert only_2022.after is None
    assert comparison.change(only_2022) is None
    _, percents = report.comparison_tables(comparison, "vi", depth=2)
    texts = {r.cells[0]: r.cells[4] for r in percents.rows}
    assert texts["1.2"] == "chỉ có ở Năm 2022"
    assert texts["1.3"] == "chỉ có ở Năm 2023"
    assert texts["1.1"] == D(-25)
    _, english = report.comparison_tables(comparison, "en", depth=2)
    assert {r.cells[0]: r.cells[4] for r in english.rows}["1.3"] == "only in 2023"


def test_depth_one_shows_fields_only() -> None:
    comparison = compare(card("changed-a.yaml"), card("changed-b.yaml"))
    points, _ = report.comparison_tables(comparison, "vi")
    assert [r.cells[0] for r in points.rows] == ["1", "2", None]


def test_an_old_code_goes_after_its_previous_sibling_subtree() -> None:
    from parrules.analysis._compare import _after_subtree

    assert _after_subtree(["1", "1.1", "1.1.1", "1.2", "2"], "1.1") == 3
    assert _after_subtree(["1", "1.1", "2"], "2") == 3
