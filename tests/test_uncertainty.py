"""Uncertainty and sensitivity: declared sources drawn, every draw scored exactly."""

from __future__ import annotations

import concurrent.futures
import json
import math
import random
import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest
import yaml

import parrules
from parrules import Ruleset, UnitInputs, cli
from parrules.analysis._uncertainty import ranks_of, uncertainty
from parrules.errors import InputError, RulesetError, UnitError

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def write_ruleset(tmp_path: Path, name: str = "r.yaml", **extra: Any) -> Path:
    """Two fields scored by the appraisal (70 + 30 points) and a ratio criterion (field 3)."""
    data: dict[str, Any] = {
        "id": "test/uncertainty/2023",
        "title": "Bộ chỉ số thử",
        "year": 2023,
        "max": 110,
        "classification": [
            {"label": "Tốt", "label_en": "Good", "min": 90},
            {"label": "Khá", "label_en": "Fair", "min": 80},
            {"label": "Yếu", "label_en": "Weak", "min": 0},
        ],
        "indicators": {
            "dung_han": {"label": "Hồ sơ đúng hạn", "type": "count"},
            "tong": {"label": "Tổng số hồ sơ", "type": "count"},
        },
        "nodes": [
            {"code": "1", "title": "Chỉ đạo, điều hành", "max": 70},
            {"code": "2", "title": "Khảo sát sự hài lòng", "max": 30},
            {
                "code": "3",
                "title": "Giải quyết hồ sơ",
                "max": 10,
                "children": [
                    {
                        "code": "3.1",
                        "title": "Hồ sơ đúng hạn",
                        "max": 10,
                        "rule": "ratio",
                        "params": {
                            "numerator": "dung_han",
                            "denominator": "tong",
                            "zero_denominator": "full",
                        },
                    }
                ],
            },
        ],
        **extra,
    }
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def make_units(ruleset: Ruleset, rows: Sequence[tuple[str, str, str, int]]) -> list[UnitInputs]:
    return [
        parrules.unit_from_mapping(
            {
                "unit": name,
                "indicators": {"dung_han": done, "tong": 20},
                "points": {"1": f1, "2": f2},
                "reason": "Điểm thẩm định",
            },
            ruleset,
        )
        for name, f1, f2, done in rows
    ]


ROWS = [("Xã An", "60", "20", 20), ("Xã Bình", "61", "19.5", 18), ("Xã Cường", "59.5", "20.5", 19)]


def shipped_examples() -> dict[str, list[UnitInputs]]:
    """Every shipped example, grouped by the ruleset it is scored with."""
    groups: dict[str, list[UnitInputs]] = {}
    for path in sorted(EXAMPLES.glob("**/*.yaml")):
        unit = parrules.load_unit(path)
        groups.setdefault(str(unit.ruleset), []).append(unit)
    return groups


@pytest.mark.parametrize("group", sorted(shipped_examples()))
def test_no_declared_variation_collapses_to_the_published_result(group: str) -> None:
    units = shipped_examples()[group]
    result = uncertainty(units, draws=40, workers=1)
    assert result.sources == ()
    published = parrules.rank([parrules.score(result.ruleset, u) for u in units])
    assert [(u.unit, u.rank) for u in result] == [(e.unit, e.rank) for e in published]
    for entry, u in zip(published, result, strict=True):
        assert u.median == u.low == u.high == entry.total
        assert u.median_rank == u.rank_low == u.rank_high == entry.rank
        if entry.classification is None:  # a programme that classifies nothing
            assert u.classes == ()
        else:
            assert dict(u.classes)[entry.classification.label] == 1
        inside = [a <= entry.rank <= b for a, b in result.rank_bands]
        assert list(u.rank_bands) == [Decimal(int(i)) for i in inside]
        assert u.drivers == ()


def independent(
    published: Sequence[Decimal], survey: Sequence[Decimal], se: Decimal, draws: int
) -> list[float]:
    """P(rank 1) per unit by a straightforward simulation, written separately: a survey score
    drawn from a normal with the standard error, to the hundredth, within 0–30."""
    generator = np.random.default_rng(20231231)
    base = np.array([float(p - s) for p, s in zip(published, survey, strict=True)])
    drawn = generator.normal([float(s) for s in survey], float(se), (draws, len(survey)))
    points = np.clip(np.round(drawn, 2), 0, 30)
    totals = np.round(base + points, 2)
    best = totals.max(axis=1, keepdims=True)
    return list((totals == best).mean(axis=0))


def test_rank_probabilities_match_an_independent_simulation(tmp_path: Path) -> None:
    extra = {"uncertainty": {"sources": [{"node": "2", "survey": {"se": "1.5"}}]}}
    ruleset = parrules.load_ruleset(write_ruleset(tmp_path, **extra))
    units = make_units(ruleset, ROWS)
    draws = 4000
    result = uncertainty(units, ruleset, draws=draws, seed=7, rank_bands=[(1, 1)], workers=1)
    by_name = {u.unit: u for u in result}
    totals = [parrules.score(ruleset, u).total for u in units]
    expected = independent(totals, [Decimal(r[2]) for r in ROWS], Decimal("1.5"), 40_000)
    for (name, *_), p in zip(ROWS, expected, strict=True):
        got = float(by_name[name].rank_bands[0])
        error = math.sqrt(p * (1 - p) / draws + p * (1 - p) / 40_000)
        assert abs(got - p) < 4.5 * error, (name, got, p)
    assert min(expected) > 0.1  # the test means something: every unit can come first


def test_rank_probabilities_of_a_survey_sample_match_a_binomial_simulation(
    tmp_path: Path,
) -> None:
    extra = {"uncertainty": {"sources": [{"node": "2", "survey": {"n": 120}}]}}
    ruleset = parrules.load_ruleset(write_ruleset(tmp_path, **extra))
    units = make_units(ruleset, ROWS)
    draws = 4000
    result = uncertainty(units, ruleset, draws=draws, seed=3, rank_bands=[(1, 1)], workers=1)
    generator = np.random.default_rng(99)
    shares = np.array([float(Decimal(r[2]) / 30) for r in ROWS])
    drawn = np.round(30 * generator.binomial(120, shares, (40_000, 3)) / 120, 2)
    base = np.array(
        [
            float(parrules.score(ruleset, u).total - Decimal(r[2]))
            for u, r in zip(units, ROWS, strict=True)
        ]
    )
    totals = np.round(base + drawn, 2)
    expected = (totals == totals.max(axis=1, keepdims=True)).mean(axis=0)
    for u, (name, *_), p in zip(units, ROWS, expected, strict=True):
        got = float(next(x for x in result if x.unit == name).rank_bands[0])
        error = math.sqrt(p * (1 - p) / draws + p * (1 - p) / 40_000)
        assert abs(got - p) < 4.5 * error, (u.unit, got, p)


CLOSE = [
    ("Xã An", "60", "20", 20),
    ("Xã Bình", "60", "19.6", 20),
    ("Xã Cường", "59.5", "20.5", 20),
    ("Xã Dũng", "60", "20", 19),
    ("Xã Đông", "61", "18.4", 20),
]


def every_rank_by_hand(
    fixed: Sequence[Decimal], survey: Sequence[Decimal], se: float, draws: int
) -> list[list[float]]:
    """P(rank r) for every unit and rank, written apart from the library in plain Python: the
    survey points of each unit drawn from a normal around the published ones, to the
    hundredth, kept within 0–30; ties share the best rank (1, 2, 2, 4)."""
    generator = random.Random(20240601)
    count = len(fixed)
    seen = [[0] * count for _ in range(count)]
    for _ in range(draws):
        totals = [
            f + min(max(Decimal(round(generator.gauss(float(v), se), 2)), Decimal(0)), Decimal(30))
            for f, v in zip(fixed, survey, strict=True)
        ]
        for unit, total in enumerate(totals):
            seen[unit][sum(1 for other in totals if other > total)] += 1
    return [[k / draws for k in row] for row in seen]


def test_every_rank_probability_matches_a_simulation_written_by_hand(tmp_path: Path) -> None:
    """With a known survey error, the probability of each unit at each rank is the one a
    separate simulation finds, within Monte-Carlo error."""
    extra = {"uncertainty": {"sources": [{"node": "2", "survey": {"se": "0.8"}}]}}
    ruleset = parrules.load_ruleset(write_ruleset(tmp_path, **extra))
    units = make_units(ruleset, CLOSE)
    draws, by_hand = 4000, 20_000
    bands = [(r, r) for r in range(1, len(units) + 1)]
    result = uncertainty(units, ruleset, draws=draws, seed=5, rank_bands=bands, workers=1)
    got = {u.unit: [float(p) for p in u.rank_bands] for u in result}
    pairs = zip(units, CLOSE, strict=True)
    fixed = [parrules.score(ruleset, u).total - Decimal(r[2]) for u, r in pairs]
    expected = every_rank_by_hand(fixed, [Decimal(r[2]) for r in CLOSE], 0.8, by_hand)
    for (name, *_), row in zip(CLOSE, expected, strict=True):
        assert sum(got[name]) == pytest.approx(1)
        for rank, p in enumerate(row, start=1):
            error = math.sqrt(p * (1 - p) * (1 / draws + 1 / by_hand)) + 1e-4
            assert abs(got[name][rank - 1] - p) < 4.5 * error, (name, rank, got[name], row)
    # the test means something: every unit has at least two likely ranks
    assert all(sorted(row)[-2] > 0.05 for row in expected)


def dumped(result: Any) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False, indent=2)


def test_the_same_seed_gives_the_same_bytes_whatever_runs_the_draws(tmp_path: Path) -> None:
    extra = {
        "uncertainty": {
            "sources": [
                {"node": "2", "survey": {"n": 200}},
                {"indicator": "dung_han", "range": [15, 20]},
            ]
        }
    }
    ruleset = parrules.load_ruleset(write_ruleset(tmp_path, **extra))
    units = make_units(ruleset, ROWS)
    here = dumped(uncertainty(units, ruleset, draws=60, seed=11, workers=1))
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as threads:
        threaded = uncertainty(units, ruleset, draws=60, seed=11, executor=threads, chunk_size=7)
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as processes:
        spread = uncertainty(units, ruleset, draws=60, seed=11, executor=processes, chunk_size=13)
    assert dumped(threaded) == here
    assert dumped(spread) == here
    assert dumped(uncertainty(units, ruleset, draws=60, seed=12, workers=1)) != here


def test_sensitivity_names_the_source_that_moves_the_rank(tmp_path: Path) -> None:
    extra = {
        "uncertainty": {
            "sources": [
                {"node": "1", "range": ["55", "65"]},
                {"indicator": "dung_han", "range": [18, 20]},
            ]
        }
    }
    ruleset = parrules.load_ruleset(write_ruleset(tmp_path, **extra))
    # 90, 87 and 83,5 points: half a point in 3.1 never changes a rank alone, five in 1 do
    spaced = [("Xã An", "60", "20", 20), ("Xã Bình", "60", "17", 20), ("Xã Cường", "60", "14", 19)]
    units = make_units(ruleset, spaced)
    result = uncertainty(units, ruleset, draws=1000, seed=1, workers=1)
    keys = [s.key for s in result.sources]
    assert keys == ["indicator dung_han", "node 1"]
    for u in result:
        assert u.driver == "node 1"
        shares = {key: (first, total) for key, first, total in u.drivers}
        first, total = shares["node 1"]
        assert first > Decimal("0.7")
        assert total > Decimal("0.7")
        # alone it never moves a rank; with 1's draws, now and then
        first, total = shares["indicator dung_han"]
        assert abs(first) < Decimal("0.05")
        assert total < Decimal("0.25")


def test_sensitivity_estimates_come_with_their_error_and_are_shown_within_0_and_100(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With one source, whatever moves a rank is that source: its true total-order share is
    1. At few draws the estimates scatter around it, above 1 too; each comes with a standard
    error that covers the scatter, and a reader sees the share within 0–100% with a note."""
    extra = {"uncertainty": {"sources": [{"node": "2", "survey": {"se": "0.8"}}]}}
    ruleset = parrules.load_ruleset(write_ruleset(tmp_path, **extra))
    units = make_units(ruleset, CLOSE)
    result = uncertainty(units, ruleset, draws=300, seed=2, workers=1)
    totals = [
        (total, error)
        for u in result
        for (_, _, total), (_, _, error) in zip(u.drivers, u.driver_errors, strict=True)
    ]
    assert any(total > 1 for total, _ in totals)  # the case a reader must not see as 103%
    for total, error in totals:
        assert 0 < error < Decimal("0.2")
        assert abs(total - 1) < 4 * error
    data = result.to_dict()
    jsonschema.validate(json.loads(json.dumps(data)), parrules.json_schema("uncertainty"))
    first = data["units"][0]["drivers"]["node 2"]
    assert set(first) == {"first_order", "total_order", "first_order_se", "total_order_se"}
    # the command's table: shares within 0–100%, and the note says why and how precise
    files = unit_files(tmp_path, CLOSE)
    argv = ["uncertainty", *files, "--draws", "300", "--seed", "2", "--workers", "1"]
    assert cli.main([*argv, "--tables", "sensitivity", "--width", "0"]) == 0
    shown = capsys.readouterr().out
    shares = [Decimal(x.replace(",", ".")) for x in re.findall(r"(-?[\d,]+)%", shown)]
    assert len(shares) > 2 * len(CLOSE)
    assert all(0 <= x <= 100 for x in shares)
    clipped = sum(1 for u in result for _, *pair in u.drivers for x in pair if not 0 <= x <= 1)
    assert f"được ghi là 0% hoặc 100% ({clipped} ô)" in shown
    assert "sai số chuẩn lớn nhất" in shown


def test_between_two_stages(tmp_path: Path) -> None:
    """Points anywhere between the self-assessment and the final decision."""
    ruleset = parrules.load_ruleset(write_ruleset(tmp_path))
    unit = parrules.unit_from_mapping(
        {
            "unit": "Xã An",
            "indicators": {"dung_han": 20, "tong": 20},
            "points": {"1": 70, "2": 20},
            "reason": "Điểm thẩm định",
            "stages": {"final": {"points": {"1": 60}, "reason": "Thiếu minh chứng"}},
            "uncertainty": {"sources": [{"node": "1", "between": ["self", "final"]}]},
        },
        ruleset,
    )
    other = make_units(ruleset, [("Xã Bình", "65", "20", 20)])[0]
    result = uncertainty([unit, other], ruleset, draws=400, seed=5, workers=1)
    an = next(u for u in result if u.unit == "Xã An")
    assert an.total == 90  # the final stage: 60 + 20 + 10
    assert 90 <= an.low < an.median < an.high <= 100
    probability = dict(zip([s.key for s in result.sources], [1], strict=False))
    assert probability == {"node 1": 1}


def test_alternative_rulesets_rank_the_units_beside_the_published_ruleset(
    tmp_path: Path,
) -> None:
    write_ruleset(tmp_path)
    alternative = tmp_path / "target.yaml"
    alternative.write_text(
        yaml.safe_dump(
            {
                "extends": "r.yaml",
                "id": "test/uncertainty/2023-target",
                "replace": [
                    {
                        "code": "3.1",
                        "title": "Hồ sơ đúng hạn (chỉ tiêu 80%)",
                        "max": 10,
                        "rule": "ratio",
                        "params": {
                            "numerator": "dung_han",
                            "denominator": "tong",
                            "target": "80%",
                            "zero_denominator": "full",
                        },
                    }
                ],
            },
            allow_unicode=True,
        ),
        "utf-8",
    )
    extra = {"uncertainty": {"alternatives": [{"ruleset": "target.yaml", "label": "80%"}]}}
    ruleset = parrules.load_ruleset(write_ruleset(tmp_path, **extra))
    units = make_units(ruleset, [("Xã An", "60", "20", 14), ("Xã Bình", "60", "20.5", 12)])
    result = uncertainty(units, ruleset, draws=200, seed=2, workers=1)
    assert [u.unit for u in result] == ["Xã An", "Xã Bình"]  # 87 against 86.5
    (other,) = result.alternatives
    assert other.ruleset == "test/uncertainty/2023-target"
    # with an 80% target, 14/20 scores 8.75 and 12/20 scores 7.5: still An first
    assert other.totals == (Decimal("88.75"), Decimal("88"))
    assert [s.key for s in result.sources] == ["alternatives"]
    an, binh = result.units
    assert an.rank_low == an.rank_high == 1
    assert binh.drivers == (("alternatives", 0, 0),)


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"sources": [{"node": "9", "survey": {"n": 300}}]}, "no node '9'"),
        ({"sources": [{"node": "2", "range": [10, 40]}]}, "leaves 0–30"),
        ({"sources": [{"indicator": "tong", "survey": {"n": 30}}]}, "needs a ratio"),
        ({"sources": [{"node": "2", "survey": {"n": 30}, "range": [1, 2]}]}, "exactly one"),
        ({"sources": [{"node": "2", "between": ["self", "self"]}]}, "two different stages"),
        ({"sources": [{"node": "2", "survey": {"se": 1}}, {"node": "2", "range": [1, 2]}]}, "two"),
    ],
)
def test_a_wrong_declaration_in_a_ruleset_is_refused(
    tmp_path: Path, block: dict[str, Any], message: str
) -> None:
    with pytest.raises(RulesetError, match=message) as raised:
        parrules.load_ruleset(write_ruleset(tmp_path, uncertainty=block))
    assert raised.value.line is not None
    assert (raised.value.field or "").startswith("uncertainty")


def test_a_unit_file_declares_its_own_sources_but_no_alternatives(tmp_path: Path) -> None:
    path = write_ruleset(tmp_path)
    unit = tmp_path / "unit.yaml"
    unit.write_text(
        "unit: Xã An\nyear: 2023\nruleset: r.yaml\npoints: {'1': 60, '2': 20}\nreason: Thẩm định\n"
        "indicators: {dung_han: 20, tong: 20}\n"
        "uncertainty:\n  alternatives: [r.yaml]\n",
        "utf-8",
    )
    with pytest.raises(UnitError, match="unknown key 'alternatives'") as raised:
        parrules.load_unit(unit)
    assert raised.value.line == 8
    unit.write_text(
        unit.read_text("utf-8").replace(
            "alternatives: [r.yaml]", "sources: [{node: '2', survey: {n: 412}}]"
        ),
        "utf-8",
    )
    loaded = parrules.load_unit(unit, ruleset=parrules.load_ruleset(path))
    (source,) = loaded.uncertainty
    assert (source.key, source.n) == ("node 2", 412)


def test_a_source_on_a_value_the_unit_does_not_give_is_refused(tmp_path: Path) -> None:
    ruleset = parrules.load_ruleset(write_ruleset(tmp_path))
    unit = parrules.unit_from_mapping(
        {
            "unit": "Xã An",
            "indicators": {"tong": 0},
            "points": {"1": 60, "2": 20, "3.1": 5},
            "reason": "Điểm thẩm định",
            "uncertainty": {"sources": [{"indicator": "dung_han", "range": [0, 3]}]},
        },
        ruleset,
    )
    with pytest.raises(InputError, match="gives no 'dung_han'"):
        uncertainty([unit], ruleset, draws=5, workers=1)


def test_ranks_share_ties_as_the_ruleset_says() -> None:
    totals = np.array([[5, 7, 7, 1], [1, 1, 1, 1]])
    assert ranks_of(totals, "competition").tolist() == [[3, 1, 1, 4], [1, 1, 1, 1]]
    assert ranks_of(totals, "dense").tolist() == [[2, 1, 1, 3], [1, 1, 1, 1]]


def unit_files(tmp_path: Path, rows: Sequence[tuple[str, str, str, int]]) -> list[str]:
    paths = []
    for index, (name, f1, f2, done) in enumerate(rows):
        path = tmp_path / f"unit-{index}.yaml"
        path.write_text(
            yaml.safe_dump(
                {
                    "unit": name,
                    "year": 2023,
                    "ruleset": "r.yaml",
                    "indicators": {"dung_han": done, "tong": 20},
                    "points": {"1": f1, "2": f2},
                    "reason": "Điểm thẩm định",
                },
                allow_unicode=True,
            ),
            "utf-8",
        )
        paths.append(str(path))
    return paths


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert cli.main(list(argv)) == 0, capsys.readouterr().err
    return capsys.readouterr().out


def test_the_command_writes_json_that_validates_the_same_every_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = {"uncertainty": {"sources": [{"node": "2", "survey": {"n": 150}}]}}
    write_ruleset(tmp_path, **extra)
    units = unit_files(tmp_path, ROWS)
    argv = ["uncertainty", *units, "--draws", "120", "--seed", "4", "--format", "json"]
    here = run_cli(capsys, *argv, "--workers", "1")
    assert run_cli(capsys, *argv, "--workers", "2") == here
    document = json.loads(here)
    schema = parrules.json_schema("uncertainty")
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(document, schema)
    assert [u["unit"] for u in document["units"]] == ["Xã An", "Xã Bình", "Xã Cường"]
    assert document["sources"] == [
        {"key": "node 2", "description": "2: khảo sát, n = 150", "units": 3}
    ]
    document["units"][0]["rank"] = "1"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema)


def test_the_command_writes_every_table_format_and_a_chart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = {"uncertainty": {"sources": [{"node": "2", "survey": {"se": 1}}]}}
    write_ruleset(tmp_path, **extra)
    units = unit_files(tmp_path, ROWS)
    text = run_cli(capsys, "uncertainty", *units, "--draws", "50", "--lang", "en")
    assert "Scores and ranks over 50 random draws (90% intervals)" in text
    assert "Probability of each class" in text
    chart = tmp_path / "ranks.png"
    book = tmp_path / "study.xlsx"
    run_cli(
        capsys,
        "uncertainty",
        *units,
        "--draws",
        "50",
        "--output",
        str(book),
        "--chart",
        str(chart),
        "--rank-bands",
        "1,2-3",
    )
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert book.read_bytes().startswith(b"PK")
    markdown = run_cli(capsys, "uncertainty", *units, "--draws", "50", "--format", "markdown")
    assert markdown.startswith("### Điểm và hạng qua 50 lần rút")
    assert "Hạng 3" in markdown  # the default bands: each rank of three units


def test_a_band_of_ranks_that_is_not_one_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_ruleset(tmp_path)
    units = unit_files(tmp_path, ROWS)
    assert cli.main(["uncertainty", *units, "--rank-bands", "1-x"]) == 1
    assert "--rank-bands: '1-x' is not a band of ranks" in capsys.readouterr().err
