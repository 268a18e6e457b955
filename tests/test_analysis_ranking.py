"""Ranking: equal totals share a rank, classes, field averages ("Tỷ lệ %"), counts per class.

The units under tests/data/reports/communes are made up for these tests; the expected totals,
ranks and averages below are worked out by hand from their field points.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import parrules
from parrules.analysis import rank, vi_sort_key
from parrules.errors import InputError

COMMUNES = Path(__file__).parent / "data" / "reports" / "communes"
STEMS = ("an-binh", "binh-minh", "an-phu", "cam-phu", "yen-lac", "dong-hai")


def cards() -> list[parrules.ScoreCard]:
    result = []
    for stem in STEMS:
        unit = parrules.load_unit(COMMUNES / f"{stem}.yaml")
        result.append(parrules.score(parrules.load_ruleset(unit.ruleset_path), unit))
    return result


def test_competition_ranks_skip_after_ties_and_ties_are_in_vietnamese_order() -> None:
    ranking = rank(cards())
    assert [(e.rank, e.unit, e.total) for e in ranking] == [
        (1, "Xã An Bình", Decimal(85)),
        (2, "Xã Ân Phú", Decimal("78.5")),  # â comes before b in Vietnamese
        (2, "Xã Bình Minh", Decimal("78.5")),
        (4, "Xã Cẩm Phú", Decimal(70)),
        (5, "Xã Đông Hải", Decimal(62)),
        (5, "Xã Yên Lạc", Decimal(62)),
    ]
    assert ranking.method == "competition"
    assert ranking.stage == "final"


def test_dense_ranks_do_not_skip() -> None:
    assert [e.rank for e in rank(cards(), method="dense")] == [1, 2, 2, 3, 4, 4]


def test_classes_and_counts_per_class() -> None:
    ranking = rank(cards())
    labels = [e.classification.label if e.classification else None for e in ranking]
    assert labels == ["Tốt", "Khá", "Khá", "Khá", "Trung bình", "Trung bình"]
    counts = [(band.label, n) for band, n in ranking.classification_counts]
    assert counts == [("Tốt", 1), ("Khá", 3), ("Trung bình", 2), ("Yếu", 0)]


def test_average_row_and_rate_per_field_and_total() -> None:
    ranking = rank(cards())
    # field 1: (35+30+32+30+25+20)/6 = 28,666…; of 40 → 71,666…%
    first = ranking.fields[0]
    assert first.points * 6 == 172
    assert round(first.percent, 2) == Decimal("71.67")
    assert [round(a.points, 2) for a in ranking.fields] == [
        Decimal("28.67"),
        Decimal("22.25"),
        Decimal("21.75"),
    ]
    assert [round(a.percent, 2) for a in ranking.fields] == [
        Decimal("71.67"),
        Decimal("74.17"),
        Decimal("72.50"),
    ]
    assert ranking.average.points * 6 == 436
    assert round(ranking.average.percent, 2) == Decimal("72.67")


def test_iterating_gives_entries_with_their_cards() -> None:
    ranking = rank(cards())
    assert len(ranking) == 6
    first = next(iter(ranking))
    assert first.card.unit.unit == "Xã An Bình"
    assert first.field("2") == 25


def test_order_does_not_depend_on_input_order() -> None:
    forward = [(e.rank, e.unit) for e in rank(cards())]
    backward = [(e.rank, e.unit) for e in rank(list(reversed(cards())))]
    assert forward == backward


def test_units_of_different_rulesets_are_refused() -> None:
    here = Path(__file__).parent / "data"
    unit = parrules.load_unit(here / "mini-unit.yaml")
    other = parrules.score(parrules.load_ruleset(unit.ruleset_path), unit)
    with pytest.raises(InputError, match="different rulesets"):
        rank([*cards(), other])


def test_nothing_to_rank_is_an_error() -> None:
    with pytest.raises(InputError, match="no units"):
        rank([])


def test_the_ruleset_asks_for_dense(tmp_path: Path) -> None:
    source = (COMMUNES / "commune.yaml").read_text(encoding="utf-8")
    (tmp_path / "commune.yaml").write_text(source + "ranking: dense\n", encoding="utf-8")
    dense = []
    for stem in STEMS:
        text = (COMMUNES / f"{stem}.yaml").read_text(encoding="utf-8")
        (tmp_path / f"{stem}.yaml").write_text(text, encoding="utf-8")
        unit = parrules.load_unit(tmp_path / f"{stem}.yaml")
        dense.append(parrules.score(parrules.load_ruleset(unit.ruleset_path), unit))
    assert [e.rank for e in rank(dense)] == [1, 2, 2, 3, 4, 4]


@pytest.mark.parametrize(
    "ordered",
    [
        ["an", "ăn", "ân", "bình", "dung", "đông", "em", "êm", "ô", "ơ", "u", "ư", "y"],
        ["ma", "mà", "mả", "mã", "má", "mạ"],
        ["Xã A", "Xã Ân", "Xã B"],
    ],
)
def test_vietnamese_alphabetical_order(ordered: list[str]) -> None:
    shuffled = [*ordered[1::2], *ordered[::2]]
    assert sorted(shuffled, key=vi_sort_key) == ordered
