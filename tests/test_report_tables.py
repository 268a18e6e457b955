"""Table builders: the tables of the seed reports, filled from score cards and analyses."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import parrules
from parrules import report
from parrules.analysis import by_department, goal_verdicts, indicator_trends, rank, stage_diff
from parrules.report import Table
from parrules.report._render import _cells

DATA = Path(__file__).parent / "data"


def card(path: Path) -> parrules.ScoreCard:
    unit = parrules.load_unit(path)
    return parrules.score(parrules.load_ruleset(unit.ruleset_path), unit)


@pytest.fixture(scope="module")
def mini() -> parrules.ScoreCard:
    return card(DATA / "mini-unit.yaml")


def shown(table: Table, lang: str = "vi") -> list[list[str]]:
    """The cells as every renderer shows them: each column at one precision."""
    return _cells(table, lang)


def test_card_table_has_every_node_stage_columns_field_rows_and_totals(
    mini: parrules.ScoreCard,
) -> None:
    table = report.card_table(mini)
    assert [c.label for c in table.columns] == [
        "STT",
        "Mã",
        "Lĩnh vực, tiêu chí",
        "Điểm tối đa",
        "Tự đánh giá",
        "Thẩm định",
        "Điểm cuối cùng",
        "Ngành, bộ phận phụ trách",
    ]
    rows = shown(table)
    assert [r[1] for r in rows[:-2]] == ["1", "1.1", "1.2", "1.3", "2", "2.1", "2.2", "2.3"]
    assert [row.kind for row in table.rows[:2]] == ["field", "normal"]
    # the stages at one precision, the most any of them needs (0,2174 at 2.1)
    assert rows[7][3:7] == ["4,5", "4,5000", "4,0000", "4,0000"]
    assert rows[1][7] == "Phòng Nội vụ"
    assert rows[0][7] == ""  # a field row with children names no department
    assert rows[-2][2:7] == ["Tổng điểm", "10,0", "7,97", "7,47", "7,47"]
    assert rows[-1][2:7] == ["Xếp loại", "", "Khá", "Khá", "Khá"]
    assert table.rows[-1].kind == "total"


def test_register_lists_lost_points_with_remedies_and_a_total(tmp_path: Path) -> None:
    text = (DATA / "mini-unit.yaml").read_text(encoding="utf-8")
    text += (
        'remedies:\n  "2.3": {remedy: Cập nhật trang thông tin hằng tuần, person: Nguyễn Văn A}\n'
    )
    (tmp_path / "mini.yaml").write_text(
        (DATA / "mini.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "unit.yaml").write_text(text, encoding="utf-8")
    table = report.register_table(card(tmp_path / "unit.yaml"))
    rows = shown(table)
    assert [r[1] for r in rows[:-1]] == ["1.2", "1.3", "2.1", "2.2", "2.3"]
    assert rows[4][3:7] == [
        "Trang thông tin chưa cập nhật",
        "0,5000",
        "Cập nhật trang thông tin hằng tuần",
        "Nguyễn Văn A",
    ]
    # max − total = 10 − 7,47: the lost points add up to 2,53 (2,5326 before rounding totals)
    assert rows[-1][2] == "Tổng cộng"
    assert table.rows[-1].cells[4] == Decimal("2.5326")
    assert table.title.endswith("(Điểm cuối cùng)")


def test_register_of_an_earlier_stage(mini: parrules.ScoreCard) -> None:
    table = report.register_table(mini, "self", "en")
    assert [r.cells[1] for r in table.rows[:-1]] == ["1.2", "1.3", "2.1", "2.2"]
    assert table.title == "Lost points — Huyện Thử Nghiệm (Self-assessment)"


def test_details_show_inputs_formula_and_appraisal(
    mini: parrules.ScoreCard, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(DATA.parent.parent)
    rows = {r[0]: r for r in shown(report.details_table(mini))}
    assert rows["2.1"][2] == (
        "Số TTHC có thanh toán trực tuyến: 10 thủ tục; "
        "Số TTHC triển khai thanh toán trực tuyến: 46 thủ tục"
    )
    assert rows["2.1"][3] == "10/46 = 21,74% × 1 = 0,2174"
    assert rows["2.1"][4] == "1 − 0,2174 = 0,7826"  # the loss written out: max − points
    assert rows["2.3"][5] == "Phòng Nội vụ; 08/01/2024"
    assert rows["2.3"][6] == "test/mini/2023:55"  # the ruleset id and line: it cites nothing
    assert rows["2.2"][2] == (
        "Đường ngõ xóm được bê tông hóa: 19,86 km; Tổng chiều dài đường ngõ xóm: 21,26 km"
    )


def test_department_tables_group_rows_under_each_department(mini: parrules.ScoreCard) -> None:
    achieved, missed = report.department_tables(mini, by_department(mini))
    assert shown(achieved) == [
        ["", "Phòng Nội vụ", "", ""],
        ["1.1", "Kế hoạch CCHC", "1", "1"],
    ]
    assert achieved.rows[0].kind == "field"
    rows = shown(missed)
    assert rows[0][1] == "Phòng Nội vụ"
    assert rows[3][1] == "Chưa phân công"
    assert rows[6] == [
        "2.3",
        "Trang thông tin điện tử",
        "4,0000",
        "4,5",
        "Trang thông tin chưa cập nhật",
    ]


def test_stage_diff_table_gives_the_reason_at_the_stage_of_change(
    mini: parrules.ScoreCard,
) -> None:
    rows = shown(report.stage_diff_table(mini, stage_diff(mini)))
    assert rows[1] == [
        "2.3",
        "Trang thông tin điện tử",
        "4,5",
        "4,5000",
        "4,0000",
        "4,0000",
        "Thẩm định: Trang thông tin chưa cập nhật",
    ]
    assert rows[-1][1:6] == ["Tổng điểm", "10,0", "7,97", "7,47", "7,47"]


def test_ranking_tables_have_average_and_rate_rows_and_counts() -> None:
    communes = DATA / "reports" / "communes"
    cards = [card(p) for p in sorted(communes.glob("*-*.yaml"))]
    table, counts = report.ranking_tables(rank(cards))
    rows = shown(table)
    assert rows[0] == ["1", "Xã An Bình", "35", "25,0", "25,0", "85,00", "85,00%", "Tốt"]
    assert rows[-2][1:6] == ["Điểm trung bình", "28,67", "22,25", "21,75", "72,67"]
    assert rows[-1][1:6] == ["Tỷ lệ %", "71,67%", "74,17%", "72,50%", "72,67%"]
    assert table.notes[0] == "1: Công tác chỉ đạo, điều hành (tối đa 40)"
    assert shown(counts) == [
        ["Tốt", "1", "16,67%"],
        ["Khá", "3", "50,00%"],
        ["Trung bình", "2", "33,33%"],
        ["Yếu", "0", "0,00%"],
        ["Tổng cộng", "6", "100,00%"],
    ]


def test_goals_and_trend_tables() -> None:
    yearly = card(DATA / "reports" / "yearly-unit.yaml")
    goals = shown(report.goals_table(yearly, goal_verdicts(yearly)))
    assert [r[2] for r in goals] == ["Đạt", "Không đạt", "Không đủ dữ liệu"]
    english = shown(report.goals_table(yearly, goal_verdicts(yearly), "en"), "en")
    assert [r[2] for r in english] == ["Met", "Not met", "Insufficient data"]
    trend = report.trend_table("Huyện Thử Nghiệm", indicator_trends([yearly]))
    assert [c.label for c in trend.columns][3:] == ["Năm 2018", "Năm 2019"]
    assert shown(trend) == [
        ["1", "Số lượng chữ ký số", "chữ ký số", "29", "169"],
        ["2", "Tỷ lệ văn bản trao đổi dạng điện tử", "%", "90%", "85%"],
    ]
