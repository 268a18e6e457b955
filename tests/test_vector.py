"""The vectorised path gives the engine's points, to the digit, for every node of every unit."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import attrs
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import parrules
from parrules import Outcome, Registry, Rule, Ruleset, UnitInputs
from parrules.errors import ParRulesError
from parrules.testing import CheckFailed, check_vector, rulesets, units
from parrules.vector import Columns, Guard, Numbers, score_columns, score_vector, where

from helpers import ruleset_text

SHIPPED = sorted(parrules.known_ids(Registry.create()))


def engine_points(ruleset: Ruleset, unit: UnitInputs, stage: str | None) -> list[Decimal | None]:
    result = parrules.score(ruleset, unit).stage(stage)
    return [None if (r := result.get(n.code)) is None else r.points for n in ruleset.flat]


def assert_same(ruleset: Ruleset, batch: Sequence[UnitInputs], stage: str | None = None) -> None:
    """Every node of every unit: the vectorised points are the engine's, or both refuse."""
    scorable, refused = [], []
    for unit in batch:
        try:
            scorable.append((unit, engine_points(ruleset, unit, stage)))
        except ParRulesError as exc:
            refused.append((unit, type(exc)))
    for unit, kind in refused:
        with pytest.raises(kind):
            score_vector(ruleset, [unit], stage=stage)
    if not scorable:
        return
    scores = score_vector(ruleset, [u for u, _ in scorable], stage=stage)
    for row, (unit, expected) in enumerate(scorable):
        got = [scores.node(row, n.code) for n in ruleset.flat]
        assert got == expected, f"{unit.unit}: {list(zip(got, expected, strict=True))}"
        total = parrules.score(ruleset, unit).stage(stage).total
        assert scores.decimal(scores.total[row]) == total


def stages_of(batch: Sequence[UnitInputs]) -> list[str | None]:
    shared = set.intersection(*({s.name for s in u.stages} for u in batch))
    return [None, *sorted(shared)]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_rulesets_and_units(data: st.DataObject) -> None:
    ruleset = data.draw(rulesets(), label="ruleset")
    batch = data.draw(st.lists(units(ruleset), min_size=1, max_size=6), label="units")
    for stage in stages_of(batch):
        assert_same(ruleset, batch, stage)


@pytest.mark.parametrize("ruleset_id", SHIPPED)
def test_shipped_rulesets(ruleset_id: str) -> None:
    """Random units of every shipped ruleset (``benchmarks/verify_vector.py`` runs 100,000)."""
    ruleset = parrules.load_ruleset(ruleset_id)

    @settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(units(ruleset), min_size=10, max_size=10))
    def check(batch: list[UnitInputs]) -> None:
        for stage in stages_of(batch):
            assert_same(ruleset, batch, stage)

    check()


def test_shipped_examples() -> None:
    examples = Path(__file__).parent.parent / "examples"
    for path in sorted(examples.rglob("*.yaml")):
        unit = parrules.load_unit(path)
        ruleset = parrules.load_ruleset(unit.ruleset_path or unit.ruleset)
        for stage in stages_of([unit]):
            assert_same(ruleset, [unit], stage)


RATIO_BANDS = {
    "numerator": "be_tong",
    "denominator": "tong",
    "zero_denominator": "full",
    "bands": [{"gte": "90%", "points": 1}, {"lt": "90%", "points": 0}],
}
KM = {"type": "number", "label": "Chiều dài", "unit": "km"}


def test_an_edge_of_a_band_is_decided_exactly(leaf) -> None:
    """14,49 / 16,1 is 90% exactly: full points (a float would put it below 90%)."""
    ruleset = leaf("bands", RATIO_BANDS, {"be_tong": KM, "tong": KM})
    batch = [
        parrules.unit_from_mapping(
            {"unit": f"Xã {n}", "indicators": {"be_tong": n, "tong": "16.1"}}, ruleset
        )
        for n in ("14.49", "14.48", "16.1", "0")
    ]
    scores = score_vector(ruleset, batch)
    assert [scores.node(row, "1.1") for row in range(4)] == [1, 0, 1, 0]
    assert scores.scalar == ()  # decided by the vectorised form, not handed back
    assert_same(ruleset, batch)


def test_a_rounding_tie_after_an_inexact_division_is_left_to_the_scalar_form(leaf) -> None:
    """1,5 × 1/48 is 0,03125: a tie at 4 decimals, reached through 1/48, which Decimal rounds to
    28 digits."""
    params = {"numerator": "a", "denominator": "b", "zero_denominator": "full"}
    count = {"type": "count", "label": "Hồ sơ"}
    ruleset = leaf("ratio", params, {"a": count, "b": count}, max="1.5")
    batch = [
        parrules.unit_from_mapping({"unit": "Xã A", "indicators": {"a": 1, "b": 48}}, ruleset),
        parrules.unit_from_mapping({"unit": "Xã B", "indicators": {"a": 1, "b": 8}}, ruleset),
    ]
    scores = score_vector(ruleset, batch)
    assert scores.node(0, "1.1") == Decimal("0.0313")
    assert scores.node(1, "1.1") == Decimal("0.1875")  # exact: no tie
    assert scores.scalar == (("1.1", 1),)
    assert_same(ruleset, batch)


def test_a_refused_input_raises_the_engine_error(leaf) -> None:
    params = {"numerator": "a", "denominator": "b", "zero_denominator": "full"}
    ruleset = leaf("ratio", params, {"a": KM, "b": KM})
    unit = parrules.unit_from_mapping({"unit": "Xã A", "indicators": {"a": 3, "b": 2}}, ruleset)
    with pytest.raises(parrules.errors.UnitError, match="greater than"):
        parrules.score(ruleset, unit)
    with pytest.raises(parrules.errors.UnitError, match="greater than"):
        score_vector(ruleset, [unit])


def test_a_rule_without_a_vectorised_form_is_evaluated_per_unit(tmp_path) -> None:
    def bind(p: parrules.Params):
        name = p.indicator("value", ("number",), direction=1)
        maximum = p.max

        def evaluate(values):
            return Outcome(min(maximum, values[name] / 3))

        return evaluate

    class Plugin:
        @parrules.hookimpl
        def parrules_rules(self):
            return [Rule("thirds", bind, "a third of the value")]

    registry = Registry.create(plugins=[Plugin()], entry_points=False)
    path = tmp_path / "r.yaml"
    path.write_text(ruleset_text("thirds", {"value": "x"}, {"x": KM}), encoding="utf-8")
    ruleset = parrules.load_ruleset(path, registry=registry)
    batch = [
        parrules.unit_from_mapping({"unit": f"Xã {v}", "indicators": {"x": v}}, ruleset)
        for v in ("1", "2.5")
    ]
    scores = score_vector(ruleset, batch)
    assert scores.per_unit == ("1.1",)
    assert [scores.node(r, "1.1") for r in range(2)] == [Decimal("0.3333"), Decimal("0.8333")]
    assert_same(ruleset, batch)


def test_replaced_columns_are_scored_and_written_back_for_the_scalar_form(leaf) -> None:
    """Draws replace a column; rows left to the scalar form read the replaced values."""
    params = {"numerator": "a", "denominator": "b", "zero_denominator": "full"}
    count = {"type": "count", "label": "Hồ sơ"}
    ruleset = leaf("ratio", params, {"a": count, "b": count}, max="1.5")
    unit = parrules.unit_from_mapping({"unit": "Xã A", "indicators": {"a": 5, "b": 48}}, ruleset)
    columns = Columns.from_units(ruleset, [unit]).take(np.zeros(3, dtype=np.int64))
    drawn = columns.numbers("a")
    replaced = columns.replace(
        numbers={"a": type(drawn).of(np.array([1, 6, 48], dtype=np.int64), drawn.scale)}
    )
    scores = score_columns(replaced)
    assert [scores.node(r, "1.1") for r in range(3)] == [
        Decimal("0.0313"),  # 1/48: the tie, through the scalar form with a = 1
        Decimal("0.1875"),
        Decimal("1.5"),
    ]
    assert scores.scalar == (("1.1", 1),)


BUILTIN = [r for r in Registry.create(entry_points=False).rules.values() if r.vector is not None]


@pytest.mark.parametrize("rule", BUILTIN, ids=lambda r: r.name)
def test_builtin_vectorised_forms_conform(rule: Rule) -> None:
    check_vector(rule, settings=settings(max_examples=150, deadline=None, derandomize=True))


def test_check_vector_finds_a_vectorised_form_that_differs() -> None:
    """A form that puts the edge on the wrong side (>, not ≥) is caught, with its example."""
    from parrules.rules._vector import vector_bands

    def wrong(p: parrules.Params):
        form = vector_bands(p)

        def evaluate(columns):
            outcome = form(columns)
            value = columns.numbers("x")
            at_edge = value.digits == 9 * 10 ** (value.scale - 1)
            nothing = Numbers.filled(0, columns.size, columns.precision)
            points = where(at_edge, nothing, outcome.points, Guard(columns.size))
            return attrs.evolve(outcome, points=points)

        return evaluate

    bands = Registry.create(entry_points=False).rules["bands"]
    rule = attrs.evolve(bands, vector=wrong)
    params = {"value": "x", "bands": [{"gte": "90%", "points": 1}, {"lt": "90%", "points": 0}]}
    with pytest.raises(CheckFailed, match="property 'vector'"):
        check_vector(rule, params=params, indicators={"x": {"type": "ratio"}})
