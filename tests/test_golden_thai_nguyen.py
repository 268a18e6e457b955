"""Golden test: Xã Bình Thành (Thái Nguyên), Chỉ số CCHC năm 2023.

Every expected figure below is copied from seed 004_cd9409ce507308ac.txt (UBND xã Bình Thành,
"Báo cáo phân tích, đánh giá kết quả Chỉ số cải cách hành chính xã Bình Thành năm 2023", 4/2024):

* ANNEX: the table "Chỉ số đánh giá CCHC năm 2023 của xã Bình Thành" — maximum, self-assessment
  ("Tự đánh giá"), appraisal ("Thẩm định") and council-chair ("CTHD thẩm định") columns;
* REGISTER: the table "Tổng hợp các nội dung bị mất điểm Chỉ số CCHC năm 2023" — code, points
  lost and reason of each of its 12 rows, and its total 10,25;
* the classification "tốt" of section II.2.

Figures are kept as the seed prints them (decimal comma). The scores are computed from the raw
indicators of examples/thai-nguyen/binh-thanh-2023.yaml through the public API.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import parrules

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "thai-nguyen" / "binh-thanh-2023.yaml"
STAGES = ("self", "appraisal", "final")


def num(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


# ANNEX rows: code, max, self, appraisal, final (seed 004, "Chỉ số đánh giá CCHC năm 2023 của
# xã Bình Thành"). The narrative of section II.4.1 gives 7.13 as 0,5/0,5; the annex's 1,5 is
# the only maximum for which field 7 adds up to 12, so the annex is used.
CRITERIA: list[tuple[str, str, str, str, str]] = [
    ("1.1", "1,5", "1,5", "1,5", "1,5"),
    ("1.2", "0,5", "0,5", "0,5", "0,5"),
    ("1.3", "0,5", "0,5", "0,5", "0,5"),
    ("1.4", "1,5", "1,5", "1,5", "1,5"),
    ("1.5", "1,5", "1,5", "1,5", "1,5"),
    ("1.6", "1,0", "0,5", "0,5", "0,5"),
    ("1.7", "1,5", "1,5", "1,5", "1,5"),
    ("1.8", "0,5", "0,5", "0,5", "0,5"),
    ("1.9", "1,5", "1,5", "1,5", "1,0"),
    ("2.1", "0,5", "0,5", "0,5", "0,5"),
    ("2.2", "1,5", "1,5", "1,5", "1,5"),
    ("2.3", "2,0", "2,0", "2,0", "2,0"),
    ("2.4", "1,0", "1,0", "1,0", "1,0"),
    ("2.5", "1,0", "1,0", "1,0", "1,0"),
    ("2.6", "1,0", "1,0", "1,0", "1,0"),
    ("3.1", "3,5", "3,5", "3,0", "1,5"),
    ("3.2", "14,5", "14,5", "14,5", "14,5"),
    ("3.3", "2,0", "2,0", "1,0", "1,0"),
    ("4.1", "3,0", "3,0", "3,0", "3,0"),
    ("4.2", "10", "10", "10", "10"),
    ("4.3", "7,0", "7,0", "7,0", "7,0"),
    ("5.1", "0,5", "0,5", "0,5", "0,5"),
    ("5.2", "1,5", "1,5", "0", "0"),
    ("5.3", "1,5", "0", "0", "0"),
    ("5.4", "1,0", "1,0", "1,0", "1,0"),
    ("5.5", "1,5", "1,5", "1,5", "1,5"),
    ("5.6", "0,5", "0,5", "0,5", "0,5"),
    ("5.7", "1,5", "1,5", "1,5", "1,5"),
    ("5.8", "2,0", "2,0", "2,0", "2,0"),
    ("6.1", "1,0", "1,0", "1,0", "1,0"),
    ("6.2", "1,0", "1,0", "1,0", "1,0"),
    ("6.3", "1,5", "1,5", "1,5", "1,5"),
    ("6.4", "1,5", "1,5", "1,5", "1,5"),
    ("7.1", "1,0", "1,0", "1,0", "1,0"),
    ("7.2", "0,5", "0,5", "0,5", "0,5"),
    ("7.3", "0,5", "0,5", "0,5", "0,5"),
    ("7.4", "0,5", "0,5", "0,5", "0,5"),
    ("7.5", "0,5", "0,5", "0,5", "0,5"),
    ("7.6", "1,0", "1,0", "1,0", "0"),
    ("7.7", "0,5", "0,5", "0,5", "0,5"),
    ("7.8", "0,5", "0,5", "0,5", "0,5"),
    ("7.9", "0,5", "0,5", "0,5", "0,5"),
    ("7.10", "1,0", "1,0", "1,0", "1,0"),
    ("7.11", "1,0", "1,0", "1,0", "0"),
    ("7.12", "0,5", "0,5", "0,5", "0,5"),
    ("7.13", "1,5", "1,5", "1,5", "1,5"),
    ("7.14", "1,0", "1,0", "1,0", "1,0"),
    ("7.15", "0,5", "0", "0", "0"),
    ("7.16", "1,0", "1,0", "1,0", "1,0"),
    ("8.1", "3,0", "3,0", "3,0", "3,0"),
    ("8.2", "3,0", "3,0", "3,0", "3,0"),
    ("8.3", "5,0", "5,0", "4,75", "4,75"),
    ("8.4", "4,0", "4,0", "4,0", "4,0"),
    ("8.5", "1,0", "1,0", "0,5", "0,5"),
]

# ANNEX column "Ngành, BPCM phụ trách": responsible department -> its criteria.
OWNERS: dict[str, str] = {
    "Văn phòng - thống kê xã": "1.1 1.2 1.3 1.4 1.5 1.6 1.7 1.8 1.9 "
    "4.1 5.1 5.2 5.3 5.4 5.5 5.6 5.7 5.8",
    "Tư pháp - hộ tịch xã": "2.1 2.2 2.3 2.4 2.5 2.6",
    "Văn phòng - TK xã, BPCM xã": "3.1 3.2 3.3 4.3",
    "Văn phòng - TK xã, Tư pháp - hộ tịch xã": "4.2",
    "Tài chính - kế toán xã": "6.1 6.2 6.3 6.4",
    "Văn hoá - xã hội xã": "7.1 7.2 7.3 7.4 7.5 7.6 7.7 7.8 7.9 7.10 7.13 7.14",
    "Văn hoá - xã hội xã, các ngành, BPCM xã": "7.11",
    "Văn hoá - xã hội xã, Văn phòng - thống kê xã": "7.12",
    "Văn hoá - xã hội xã, các BPCM xã": "7.15 7.16",
    "Văn phòng - TK xã và các ngành, BPCM xã": "8.1",
    "Công an, BCH Quân sự xã": "8.2",
    "Địa chính - NN,XD, MT xã": "8.3 8.5",
    "Văn hoá - xã hội xã và Ba cấp trường, Trạm y tế xã": "8.4",
}

# ANNEX field rows (bold): code, max, self, appraisal, final.
FIELDS: list[tuple[str, str, str, str, str]] = [
    ("1", "10", "9,5", "9,5", "9,0"),
    ("2", "7,0", "7,0", "7,0", "7,0"),
    ("3", "20", "20", "18,5", "17,0"),
    ("4", "20", "20", "20", "20"),
    ("5", "10", "8,5", "7,0", "7,0"),
    ("6", "5,0", "5,0", "5,0", "5,0"),
    ("7", "12", "11,5", "11,5", "9,5"),
    ("8", "16", "16", "15,25", "15,25"),
]

# ANNEX "Tổng" row (also section II.3: 89,75/97,5/100).
TOTALS = {"self": "97,5", "appraisal": "93,75", "final": "89,75"}

# REGISTER rows: code, "Số điểm trừ", distinctive parts of "Lý do mất điểm" (compared without
# case; the reasons come from the rules and the appraisal decisions of the example) and
# "Người phụ trách".
REGISTER: list[tuple[str, str, tuple[str, ...], str]] = [
    ("1.6.1", "0,5", ("sáng kiến", "cấp tỉnh"), "Mạc Thị Lan"),
    ("1.9.1", "0,5", ("chỉ số hài lòng",), "Nguyễn Thị Dung"),
    ("3.1.2", "1,5", ("cắt giảm 4%", "chi phí tthc"), "Nguyễn Thị Dung, các BPCM xã"),
    ("3.1.4", "0,5", ("tài liệu minh chứng không phù hợp",), "Nguyễn Thị Dung, các BPCM xã"),
    ("3.3.2", "1,0", ("số hóa", "78,8"), "Nguyễn Thị Dung, các BPCM xã"),
    ("5.2", "1,5", ("trình độ chuyên môn nghiệp vụ trung cấp",), "Mạc Thị Lan"),
    ("5.3", "1,5", ("trung cấp",), "Mạc Thị Lan"),
    ("7.6", "1,0", ("chuyển đổi số", "phê duyệt"), "Ma Khánh Hiệu, Mạc Thị Lan"),
    (
        "7.11",
        "1,0",
        ("100% cbcc", "hồ sơ công việc"),
        "Ma Khánh Hiệu, Nguyễn Thị Dung, các CBCC xã",
    ),
    ("7.15", "0,5", ("4/42", "50%"), "Nguyễn Thị Dung, các BPCM xã"),
    (
        "8.3.2.2",
        "0,25",
        ("đường ngõ", "19,86", "21,26", "93,4"),
        "Trần Văn Ái (2023) chuyển Ma Đình Chung (2024)",
    ),
    (
        "8.5.2",
        "0,5",
        ("vi phạm", "đất đai"),
        "Nguyễn Trọng Hiếu (2023) chuyển Ma Đình Chung (2024)",
    ),
]
REGISTER_TOTAL = "10,25"
FINAL_CLASSIFICATION = "Tốt"  # section II.2: "89,75/100 điểm, xếp hạng tốt"


@pytest.fixture(scope="module")
def card() -> parrules.ScoreCard:
    ruleset = parrules.load_ruleset("thai-nguyen/commune/2023")
    unit = parrules.load_unit(EXAMPLE)
    return parrules.score(ruleset, unit)


def stage(card: parrules.ScoreCard, name: str) -> parrules.StageResult:
    (found,) = [s for s in card.stages if s.stage == name]
    return found


def test_ruleset_shape() -> None:
    ruleset = parrules.load_ruleset("thai-nguyen/commune/2023")
    fields = [n.code for n in ruleset.nodes]
    assert fields == [code for code, *_ in FIELDS]
    criteria = [c.code for n in ruleset.nodes for c in n.children]
    assert criteria == [code for code, *_ in CRITERIA]
    assert len(criteria) == 54
    for code, maximum, *_ in FIELDS + CRITERIA:
        assert ruleset.node(code).max == num(maximum), code
    owned = {code: owner for owner, codes in OWNERS.items() for code in codes.split()}
    assert sorted(owned) == sorted(criteria)
    for code, owner in owned.items():
        assert ruleset.node(code).owner == owner, code


def test_stages_in_order(card: parrules.ScoreCard) -> None:
    assert [s.stage for s in card.stages] == list(STAGES)


@pytest.mark.parametrize(("code", "maximum", "self_", "appraisal", "final"), FIELDS + CRITERIA)
def test_annex_row(
    card: parrules.ScoreCard, code: str, maximum: str, self_: str, appraisal: str, final: str
) -> None:
    for name, expected in zip(STAGES, (self_, appraisal, final), strict=True):
        node = stage(card, name).node(code)
        assert node.max == num(maximum), (code, name)
        assert node.points == num(expected), (code, name)


@pytest.mark.parametrize(("name", "total"), TOTALS.items())
def test_totals(card: parrules.ScoreCard, name: str, total: str) -> None:
    assert stage(card, name).total == num(total)


def test_final_classification(card: parrules.ScoreCard) -> None:
    classification = stage(card, "final").classification
    assert classification is not None
    assert classification.label == FINAL_CLASSIFICATION


def test_register_codes_and_points(card: parrules.ScoreCard) -> None:
    got = [(d.code, d.lost) for d in card.deductions]
    assert got == [(code, num(lost)) for code, lost, *_ in REGISTER]
    assert sum((d.lost for d in card.deductions), Decimal(0)) == num(REGISTER_TOTAL)


@pytest.mark.parametrize(("code", "lost", "parts", "person"), REGISTER)
def test_register_row(
    card: parrules.ScoreCard, code: str, lost: str, parts: tuple[str, ...], person: str
) -> None:
    (deduction,) = [d for d in card.deductions if d.code == code]
    reason = deduction.reason(lang="vi").casefold()
    for part in parts:
        assert part.casefold() in reason, (code, reason)
    assert deduction.remedy is not None
    assert deduction.remedy.person == person
    assert deduction.remedy.remedy
