"""Batch scoring gives exactly the cards that scoring each unit alone gives, in input order."""

from __future__ import annotations

import datetime as dt
import gc
import io
import json
import multiprocessing
import os
import random
from pathlib import Path
from typing import Any

import pytest

import parrules
from parrules import Ruleset, UnitInputs
from parrules.errors import UnitError

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def mini(registry: parrules.Registry) -> Ruleset:
    return parrules.load_ruleset(DATA / "mini.yaml", registry=registry)


def unit_data(k: int) -> dict[str, Any]:
    """Unit ``k`` of a varied batch for tests/data/mini.yaml, with three stages."""
    rng = random.Random(k)
    whole = rng.randint(0, 60)
    late = dt.date(2023, 5, 25) + dt.timedelta(days=rng.randint(-3, 3))
    return {
        "unit": f"Xã {k}",
        "indicators": {
            "tthc_thanh_toan": rng.randint(0, whole),
            "tthc_trien_khai": whole,
            "duong_ngo_bt": "19,86",
            "duong_ngo": rng.choice(["19,86", "21,26", "30"]),
            "ky_luat": rng.choice([{}, {"khien_trach": 1}, {"cach_chuc": 1}]),
            "co_ke_hoach": rng.random() < 0.8,
            "bao_cao": [{"name": "Báo cáo sơ kết", "due": dt.date(2023, 5, 25), "sent": late}],
        },
        "points": {"2.3": rng.choice([4.5, {"points": 3, "reason": "Chưa cập nhật"}])},
        "stages": {
            "appraisal": {"indicators": {"co_ke_hoach": rng.random() < 0.5}},
            "final": rng.choice([{}, {"points": {"2.3": {"points": 2, "reason": "Thiếu"}}}]),
        },
    }


def batch(ruleset: Ruleset, n: int) -> list[UnitInputs]:
    return [parrules.unit_from_mapping(unit_data(k), ruleset) for k in range(n)]


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_a_batch_gives_the_cards_of_each_unit_alone_in_order(mini: Ruleset, workers: int) -> None:
    units = batch(mini, 300)
    alone = [parrules.score(mini, unit) for unit in units]
    cards = list(parrules.score_many(mini, units, workers=workers, chunk_size=32))
    assert [c.unit.unit for c in cards] == [u.unit for u in units]
    assert cards == alone
    assert [c.to_dict("en") for c in cards] == [c.to_dict("en") for c in alone]
    assert len({str(c.total) for c in cards}) > 20  # the batch is varied


def test_an_iterable_is_read_in_windows_and_keeps_its_order(
    mini: Ruleset, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parrules._many, "WINDOW", 2)
    units = batch(mini, 200)
    cards = parrules.score_many(mini, iter(units), workers=2, chunk_size=16)
    assert [c.to_dict() for c in cards] == [parrules.score(mini, u).to_dict() for u in units]


@pytest.mark.parametrize("workers", [1, 2])
def test_an_error_comes_after_the_cards_before_it(mini: Ruleset, workers: int) -> None:
    units = batch(mini, 100)
    bad = unit_data(57)
    bad["indicators"]["tthc_thanh_toan"] = bad["indicators"]["tthc_trien_khai"] + 1
    units[57] = parrules.unit_from_mapping(bad, mini)
    with pytest.raises(UnitError) as alone:
        parrules.score(mini, units[57])
    cards = parrules.score_many(mini, units, workers=workers, chunk_size=8)
    got = [next(cards).unit.unit for _ in range(57)]
    assert got == [f"Xã {k}" for k in range(57)]
    with pytest.raises(UnitError) as batched:
        next(cards)
    assert str(batched.value) == str(alone.value)
    assert "greater than" in str(batched.value)


def _dies(*args: Any) -> None:
    os._exit(3)


def _dies_after_one(ruleset: Ruleset, units: Any, tasks: Any, results: Any, *rest: Any) -> None:
    results.send(parrules._many._score_span(ruleset, units, tasks.recv(), *rest))
    os._exit(3)


@pytest.mark.parametrize("work", [_dies, _dies_after_one])
def test_the_chunks_of_a_worker_that_died_are_scored_here(
    mini: Ruleset, monkeypatch: pytest.MonkeyPatch, work: Any
) -> None:
    monkeypatch.setattr(parrules._many, "_work", work)
    units = batch(mini, 200)
    cards = list(parrules.score_many(mini, units, workers=2, chunk_size=16))
    assert cards == [parrules.score(mini, unit) for unit in units]


def test_a_batch_left_early_stops_its_workers_and_unfreezes_the_collector(mini: Ruleset) -> None:
    assert gc.get_freeze_count() == 0
    cards = parrules.score_many(mini, batch(mini, 200), workers=3, chunk_size=16)
    next(cards)
    assert len(multiprocessing.active_children()) == 2
    assert gc.get_freeze_count() > 0  # the units and ruleset, while the workers share them
    cards.close()
    assert multiprocessing.active_children() == []
    assert gc.get_freeze_count() == 0


def test_a_stage_is_scored_as_if_alone(mini: Ruleset, monkeypatch: pytest.MonkeyPatch) -> None:
    """Later stages start from the previous stage's points and score again only what changed
    (else the whole stage, as the golden tests' units with missing data or not-applicable
    criteria need); every stage must still equal the same inputs scored as the only
    stage, texts included."""
    later = parrules._engine._later_stage
    taken = []

    def spy(*args: Any) -> Any:
        taken.append(later(*args))
        return taken[-1]

    monkeypatch.setattr(parrules._engine, "_later_stage", spy)
    for k in range(40):
        card = parrules.score(mini, parrules.unit_from_mapping(unit_data(k), mini))
        for stage, inputs in zip(card.stages, card.unit.stages, strict=True):
            only = parrules.score(
                mini, parrules.UnitInputs(card.unit.unit, 2023, mini.id, (inputs,))
            )
            assert stage.results == only.final.results
            assert stage.total == only.total
            assert [d.reason("en") for d in stage.deductions] == [
                d.reason("en") for d in only.deductions
            ]
    assert any(s is not None for s in taken)  # the short way was taken


def test_deductions_read_first_are_those_of_the_node_results(mini: Ruleset) -> None:
    """A card's deductions make their node results only when these are read: before or after
    ``results`` are made, they are equal, with the same codes, losses, remedies and reasons,
    and a reason is the one its result explains."""
    remedy = {"2.3": {"remedy": "Bổ sung hồ sơ", "person": "Chủ tịch", "deadline": "30/06/2024"}}
    for k in range(40):
        data = {**unit_data(k), "remedies": remedy} if k % 2 else unit_data(k)
        unit = parrules.unit_from_mapping(data, mini)
        first, later = parrules.score(mini, unit), parrules.score(mini, unit)
        for stage in later.stages:
            assert stage.results  # every node result made before the deductions are read
        for lazy, eager in zip(first.stages, later.stages, strict=True):
            texts = [
                (d.code, d.lost, d.remedy, d.reason("vi"), d.reason("en")) for d in lazy.deductions
            ]
            assert texts == [
                (d.code, d.lost, d.remedy, d.reason("vi"), d.reason("en")) for d in eager.deductions
            ]
            assert lazy.deductions == eager.deductions
            assert [d.reason("en") for d in lazy.deductions] == [
                d.result.explain("en").reason for d in lazy.deductions
            ]
        assert any(d.remedy for d in first.deductions) == bool(k % 2 and first.node("2.3").lost)


def test_write_jsonl_writes_one_card_per_line(mini: Ruleset) -> None:
    units = batch(mini, 25)
    stream = io.StringIO()
    assert parrules.write_jsonl(parrules.score_many(mini, units), stream, lang="en") == 25
    lines = stream.getvalue().splitlines()
    assert [json.loads(line) for line in lines] == [
        parrules.score(mini, u).to_dict("en") for u in units
    ]


def test_workers_must_be_positive(mini: Ruleset) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        parrules.score_many(mini, [], workers=0)
