"""Equal numbers print the same: every point value a score card gives is in one canonical form,
the one the JSON writes."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import parrules
from parrules._json import jsonable
from parrules._numbers import canonical

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").rglob("*.yaml"))


@pytest.mark.parametrize(
    ("written", "shown"),
    [("0.50", "0.5"), ("95.00", "95"), ("1E+2", "100"), ("-0.00", "0"), ("2.0000", "2")],
)
def test_canonical_drops_trailing_zeros_and_exponents(written: str, shown: str) -> None:
    assert str(canonical(Decimal(written))) == shown


@given(
    st.decimals(allow_nan=False, allow_infinity=False, places=6, min_value=-1000, max_value=1000)
)
def test_canonical_keeps_the_value_and_writes_what_json_writes(value: Decimal) -> None:
    result = canonical(value)
    assert result == value
    assert str(result) == jsonable(value)
    assert canonical(result).as_tuple() == result.as_tuple()


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_value_of_a_card_prints_as_its_json(example: Path) -> None:
    unit = parrules.load_unit(example)
    card = parrules.score(parrules.load_ruleset(unit.ruleset_path or unit.ruleset), unit)
    data = card.to_dict()
    for stage, written in zip(card.stages, data["stages"], strict=True):
        assert str(stage.total) == written["total_exact"]
        values = [stage.total]
        for result, node in zip(stage.results, written["nodes"], strict=True):
            assert (str(result.points), str(result.lost)) == (node["points"], node["lost"])
            assert str(result.max) == str(node["max"]) or result.max is None
            values += [result.points, result.lost, *([result.max] if result.max else [])]
        for deduction, entry in zip(stage.deductions, written["deductions"], strict=True):
            assert str(deduction.lost) == entry["lost"]
        # equal values are written alike: one spelling per value
        spellings: dict[Decimal, set[str]] = {}
        for value in values:
            spellings.setdefault(value, set()).add(str(value))
        assert all(len(s) == 1 for s in spellings.values()), spellings
