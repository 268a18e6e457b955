"""Thạnh Trị district (Sóc Trăng), commune-level index 2018: eight appraised fields.

The expected figures are seed 003 (Báo cáo kết quả xác định Chỉ số CCHC năm 2018 đối với UBND
các xã, thị trấn huyện Thạnh Trị): the table of mục I.2 (each unit's total and field points, in
the report's order) and the class counts of mục II.1 (rất tốt 3, tốt 6, khá 1). The class edges
(≥ 90, ≥ 80, ≥ 70) are the ruleset's assumptions consistent with those counts.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import parrules
from parrules.errors import NotScoredError, UnitError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "soc-trang" / "thanh-tri-2018"
RULESET_ID = "soc-trang/thanh-tri/commune/2018"
MAXIMA = {"1": 25, "2": 6, "3": 15, "4": 18, "5": 8, "6": 13, "7": 7, "8": 8}

# file, unit name, total, field points 1–8, competition rank (seed 003, mục I.2, in its order)
PUBLISHED = [
    ("xa-vinh-thanh", "Xã Vĩnh Thành", 93, (20, 6, 13, 18, 8, 13, 7, 8), 1),
    ("tt-phu-loc", "Thị trấn Phú Lộc", 92, (21, 6, 13, 18, 8, 13, 5, 8), 2),
    ("xa-thanh-tri", "Xã Thạnh Trị", 92, (21, 6, 13, 18, 8, 11, 7, 8), 2),
    ("xa-thanh-tan", "Xã Thạnh Tân", 89, (20, 6, 13, 18, 8, 12, 5, 7), 4),
    ("xa-tuan-tuc", "Xã Tuân Tức", 89, (21, 6, 13, 14, 8, 13, 7, 7), 4),
    ("xa-chau-hung", "Xã Châu Hưng", 88, (21, 6, 10, 18, 8, 12, 5, 8), 6),
    ("xa-lam-tan", "Xã Lâm Tân", 88, (21, 6, 13, 15, 8, 12, 5, 8), 6),
    ("xa-vinh-loi", "Xã Vĩnh Lợi", 85, (21, 2, 13, 18, 8, 13, 3, 7), 8),
    ("tt-hung-loi", "Thị trấn Hưng Lợi", 80, (21, 2, 13, 16, 8, 11, 4, 5), 9),
    ("xa-lam-kiet", "Xã Lâm Kiết", 71, (20, 2, 13, 12, 2, 11, 3, 8), 10),
]
CLASS_COUNTS = {"Rất tốt": 3, "Tốt": 6, "Khá": 1}  # mục II.1


@pytest.fixture(scope="module")
def ruleset() -> parrules.Ruleset:
    return parrules.load_ruleset(RULESET_ID)


def unit_with(ruleset: parrules.Ruleset, points: dict[str, str]) -> parrules.UnitInputs:
    """A unit giving these field points (a reason goes with every field below its max)."""
    entries = {
        code: value
        if Decimal(value.replace(",", ".")) == MAXIMA[code]
        else {"points": value, "reason": "Điểm thử"}
        for code, value in points.items()
    }
    data = {"unit": "Xã thử nghiệm", "year": 2018, "ruleset": RULESET_ID, "points": entries}
    return parrules.unit_from_mapping(data, ruleset)


def test_ruleset_has_the_eight_appraised_fields(ruleset: parrules.Ruleset) -> None:
    assert ruleset.id == RULESET_ID
    assert ruleset.year == 2018
    assert ruleset.max == 100
    assert {n.code: n.max for n in ruleset.nodes} == {c: Decimal(m) for c, m in MAXIMA.items()}
    assert all(n.is_leaf and n.rule is None for n in ruleset.nodes)
    assert ruleset.ranking == "competition"


@pytest.mark.parametrize(("stem", "name", "total", "fields", "rank"), PUBLISHED)
def test_example_units_are_the_published_rows(
    ruleset: parrules.Ruleset,
    stem: str,
    name: str,
    total: int,
    fields: tuple[int, ...],
    rank: int,
) -> None:
    card = parrules.score(ruleset, parrules.load_unit(EXAMPLES / f"{stem}.yaml"))
    assert card.unit.unit == name
    assert card.total == total
    assert tuple(card.node(code).points for code in MAXIMA) == fields
    for code in MAXIMA:  # the report gives no reason per field: one reason for all of them
        assert card.node(code).appraisal is not None


def test_examples_rank_and_classify_as_published(ruleset: parrules.Ruleset) -> None:
    assert sorted(p.stem for p in EXAMPLES.glob("*.yaml")) == sorted(e[0] for e in PUBLISHED)
    cards = [
        parrules.score(ruleset, parrules.load_unit(EXAMPLES / f"{e[0]}.yaml")) for e in PUBLISHED
    ]
    ranking = parrules.rank(cards)
    assert {e.unit: e.rank for e in ranking} == {name: rank for _, name, *_, rank in PUBLISHED}
    counts = {band.label: n for band, n in ranking.classification_counts if n}
    assert counts == CLASS_COUNTS
    assert ranking.average.points == Decimal("86.7")


BASE_90 = {"1": "22,5", "2": "6", "3": "13,5", "4": "16", "5": "7", "6": "12", "7": "6", "8": "7"}


@pytest.mark.parametrize(
    ("change", "total", "label"),
    [
        ({}, "90", "Rất tốt"),
        ({"1": "22,49"}, "89.99", "Tốt"),
        ({"1": "12,5"}, "80", "Tốt"),
        ({"1": "12,49"}, "79.99", "Khá"),
        ({"1": "2,5"}, "70", "Khá"),
        ({"1": "2,49"}, "69.99", None),  # the report names no class below khá
        ({"1": "0", "3": "0", "4": "0"}, "38", None),
    ],
)
def test_classification_edges(
    ruleset: parrules.Ruleset, change: dict[str, str], total: str, label: str | None
) -> None:
    card = parrules.score(ruleset, unit_with(ruleset, {**BASE_90, **change}))
    assert card.total == Decimal(total)
    got = card.classification.label if card.classification is not None else None
    assert got == label


def test_every_class_edge_is_an_assumption(ruleset: parrules.Ruleset) -> None:
    assert [(b.label, b.min) for b in ruleset.classification] == [
        ("Rất tốt", 90),
        ("Tốt", 80),
        ("Khá", 70),
    ]
    assert all(b.assumed is not None and not b.cite for b in ruleset.classification)


def test_points_above_a_field_max_are_refused(ruleset: parrules.Ruleset) -> None:
    with pytest.raises(UnitError) as info:
        unit_with(ruleset, {**BASE_90, "7": "7,5"})
    assert info.value.code == "7"
    assert "7.5 is outside 0–7" in str(info.value)


def test_missing_appraised_points_name_every_missing_field(ruleset: parrules.Ruleset) -> None:
    points = {code: value for code, value in BASE_90.items() if code not in {"3", "6"}}
    unit = unit_with(ruleset, points)
    with pytest.raises(NotScoredError) as info:
        parrules.score(ruleset, unit)
    assert info.value.code == "3"
    assert "gives no points for the appraised node(s) 3, 6" in str(info.value)
