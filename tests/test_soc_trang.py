"""Thạnh Trị district (Sóc Trăng), commune-level index 2018: eight appraised fields.

No per-commune results have been published, so the example unit files are illustrative; the
expected totals below are the hand-added field points of those files, and the class edges are the
ones the criteria set states (Rất tốt ≥ 90, Tốt ≥ 80, Khá ≥ 70, Trung bình ≥ 50, Yếu < 50).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

import parrules
from parrules.errors import NotScoredError, UnitError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "soc-trang" / "thanh-tri-2018"
RULESET_ID = "soc-trang/thanh-tri/commune/2018"
MAXIMA = {"1": 25, "2": 6, "3": 15, "4": 18, "5": 8, "6": 13, "7": 7, "8": 8}

# file, unit name, total, class, competition rank
EXPECTED = [
    ("tt-phu-loc", "Thị trấn Phú Lộc", "92.5", "Rất tốt", 1),
    ("xa-thanh-tri", "Xã Thạnh Trị", "88.75", "Tốt", 2),
    ("tt-hung-loi", "Thị trấn Hưng Lợi", "88.75", "Tốt", 2),
    ("xa-lam-tan", "Xã Lâm Tân", "84", "Tốt", 4),
    ("xa-vinh-loi", "Xã Vĩnh Lợi", "79.5", "Khá", 5),
    ("xa-thanh-tan", "Xã Thạnh Tân", "76.25", "Khá", 6),
    ("xa-tuan-tuc", "Xã Tuân Tức", "70", "Khá", 7),
    ("xa-lam-kiet", "Xã Lâm Kiết", "65.5", "Trung bình", 8),
    ("xa-chau-hung", "Xã Châu Hưng", "58", "Trung bình", 9),
    ("xa-vinh-thanh", "Xã Vĩnh Thành", "48.5", "Yếu", 10),
]


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


@pytest.mark.parametrize(("stem", "name", "total", "label", "rank"), EXPECTED)
def test_example_units(
    ruleset: parrules.Ruleset, stem: str, name: str, total: str, label: str, rank: int
) -> None:
    card = parrules.score(ruleset, parrules.load_unit(EXAMPLES / f"{stem}.yaml"))
    assert card.unit.unit == name
    assert card.total == Decimal(total)
    assert sum(card.node(code).points for code in MAXIMA) == card.total
    assert card.classification is not None
    assert card.classification.label == label


def test_examples_cover_every_commune_a_tie_and_all_classes(ruleset: parrules.Ruleset) -> None:
    assert sorted(p.stem for p in EXAMPLES.glob("*.yaml")) == sorted(e[0] for e in EXPECTED)
    cards = [
        parrules.score(ruleset, parrules.load_unit(EXAMPLES / f"{stem}.yaml"))
        for stem, *_ in EXPECTED
    ]
    totals = [card.total for card in cards]
    assert totals == sorted(totals, reverse=True)
    # Competition ranking (1, 2, 2, 4): equal totals share a rank, the next rank skips.
    ranks = [1 + sum(other > total for other in totals) for total in totals]
    assert ranks == [rank for *_, rank in EXPECTED]
    labels = {card.classification.label for card in cards if card.classification is not None}
    assert labels == {"Rất tốt", "Tốt", "Khá", "Trung bình", "Yếu"}


BASE_90 = {"1": "22,5", "2": "6", "3": "13,5", "4": "16", "5": "7", "6": "12", "7": "6", "8": "7"}


@pytest.mark.parametrize(
    ("change", "total", "label"),
    [
        ({}, "90", "Rất tốt"),
        ({"1": "22,49"}, "89.99", "Tốt"),
        ({"1": "12,5"}, "80", "Tốt"),
        ({"1": "12,49"}, "79.99", "Khá"),
        ({"1": "2,5"}, "70", "Khá"),
        ({"1": "2,49"}, "69.99", "Trung bình"),
        ({"1": "0", "3": "0", "4": "12"}, "50", "Trung bình"),
        ({"1": "0", "3": "0", "4": "11,99"}, "49.99", "Yếu"),
    ],
)
def test_classification_edges(
    ruleset: parrules.Ruleset, change: dict[str, str], total: str, label: str
) -> None:
    card = parrules.score(ruleset, unit_with(ruleset, {**BASE_90, **change}))
    assert card.total == Decimal(total)
    assert card.classification is not None
    assert card.classification.label == label


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


def _cases() -> list[Any]:
    path = ROOT / "rulesets" / f"{RULESET_ID}.cases.yaml"
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
    return [pytest.param(case, id=case["name"]) for case in cases]


@pytest.mark.parametrize("case", _cases())
def test_cases_beside_the_ruleset(ruleset: parrules.Ruleset, case: dict[str, Any]) -> None:
    data = {"unit": case["name"], "year": ruleset.year, "ruleset": ruleset.id, **case["unit"]}
    card = parrules.score(ruleset, parrules.unit_from_mapping(data, ruleset))
    for code, expected in case["expect"].items():
        got = card.total if code == "total" else card.node(code).points
        assert got == Decimal(str(expected)), code
