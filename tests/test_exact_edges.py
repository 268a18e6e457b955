"""Exactness at the edges: every built-in rule with a threshold, fed a unit file whose numbers are
written as plain YAML floats, decides its edge in exact decimal arithmetic.

Each case is one where binary floating point decides the other way: 14.49 / 16.1 is
0.8999999999999999 as a float, 0.7 + 0.1 is 0.7999999999999999, and the float nearest 0.3 is
below 0.3.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import parrules
from parrules import NodeResult, Ruleset

from helpers import LANES, D

NUMBER = {"type": "number", "label": "Chiều dài", "unit": "km"}
RATIO = {"type": "ratio", "label": "Tỷ lệ"}
EVENTS = {"type": "events", "label": "Kỷ luật"}
ITEMS = {"type": "items", "label": "Báo cáo"}


def test_the_float_traps_are_real():
    """The premise of this file: floats decide these edges the wrong way."""
    assert 14.49 / 16.1 < 0.9
    assert 0.7 + 0.1 < 0.8
    assert Decimal(0.3) < Decimal("0.3")  # noqa: RUF032 - the float on purpose


def score_file(ruleset: Ruleset, tmp_path: Path, indicators: str, **extra: str) -> NodeResult:
    """Score a unit file written as YAML text, so that its numbers go through the real loader."""
    path = tmp_path / "unit.yaml"
    lines = [f"unit: Xã A\nyear: 2023\nruleset: {ruleset.path}\nindicators: {indicators}\n"]
    lines += [f"{key}: {value}\n" for key, value in extra.items()]
    path.write_text("".join(lines), encoding="utf-8")
    unit = parrules.load_unit(path, ruleset=ruleset)
    return parrules.score(ruleset, unit).node("1.1")


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("{done: 14.49, total: 16.1}", "0.25"),  # exactly 90%: the [90%; 100%) band
        ('{done: "14,49", total: "16,1"}', "0.25"),
        ("{done: 14.48, total: 16.1}", "0"),
        ("{done: 16.1, total: 16.1}", "0.5"),
    ],
)
def test_bands_of_a_ratio(leaf, tmp_path, written, expected):
    rs = leaf("bands", LANES, {"done": NUMBER, "total": NUMBER}, max="0.5")
    assert score_file(rs, tmp_path, written).points == D(expected)


@pytest.mark.parametrize(
    ("edge", "written", "expected"),
    [
        ("gte", "0.3", "1"),  # the edge itself is in the upper band when it is inclusive
        ("gt", "0.3", "0"),  # and in the lower band when it is exclusive
        ("gte", '"30%"', "1"),
        ("gte", "0.2999", "0"),
    ],
)
def test_bands_of_a_value(leaf, tmp_path, edge, written, expected):
    upper, lower = ("gte", "lt") if edge == "gte" else ("gt", "lte")
    params = {"value": "r", "bands": [{upper: "0.3", "points": 1}, {lower: "0.3", "points": 0}]}
    rs = leaf("bands", params, {"r": RATIO})
    assert score_file(rs, tmp_path, f"{{r: {written}}}").points == D(expected)


def test_ratio_reaching_its_target_exactly_loses_nothing(leaf, tmp_path):
    params = {"numerator": "done", "denominator": "total", "target": "90%"}
    params["zero_denominator"] = "full"
    rs = leaf("ratio", params, {"done": NUMBER, "total": NUMBER})
    result = score_file(rs, tmp_path, "{done: 14.49, total: 16.1}")
    assert result.points == D("1")
    assert result.outcome is not None
    assert result.outcome.reason is None  # not "below the target"
    assert score_file(rs, tmp_path, "{done: 14.48, total: 16.1}").points < D("1")


@pytest.mark.parametrize(
    ("op", "written", "expected"),
    [("gte", "0.3", "1"), ("gt", "0.3", "0"), ("lte", "0.3", "1"), ("lt", "0.3", "0")],
)
def test_check_against_a_threshold(leaf, tmp_path, op, written, expected):
    rs = leaf("check", {"all_of": [{"indicator": "n", op: "0,3"}]}, {"n": NUMBER})
    assert score_file(rs, tmp_path, f"{{n: {written}}}").points == D(expected)


@pytest.mark.parametrize(
    ("now", "before", "expected"),
    [("0.3", '"0,30"', "1"), ("0.2999", "0.3", "0"), ("0.3001", "0.3", "1")],
)
def test_trend_equal_to_last_year_keeps_full_points(leaf, tmp_path, now, before, expected):
    rs = leaf("trend", {"current": "n", "previous": "p"}, {"n": NUMBER, "p": NUMBER})
    assert score_file(rs, tmp_path, f"{{n: {now}, p: {before}}}").points == D(expected)


@pytest.mark.parametrize(("count", "expected"), [(5, "-1"), (6, "-1"), (4, "-0.6")])
def test_per_event_stops_exactly_at_its_floor(leaf, tmp_path, count, expected):
    params = {"events": "kl", "severity": {"khien_trach": "0.4"}, "floor": "-1"}
    rs = leaf("per_event", params, {"kl": EVENTS}, extra={"floor": "-1"})
    # 1 − 0.4 × 5 = −1 exactly: the floor, reached not crossed
    assert score_file(rs, tmp_path, f"{{kl: {{khien_trach: {count}}}}}").points == D(expected)


@pytest.mark.parametrize(
    ("sent", "expected"), [("2023-05-25", "1"), ("25/05/2023", "1"), ("2023-05-26", "0.5")]
)
def test_deadline_on_the_due_date_is_on_time(leaf, tmp_path, sent, expected):
    rs = leaf("deadline", {"items": "r", "late": "0.5"}, {"r": ITEMS})
    items = f"{{r: [{{name: Báo cáo sơ kết, due: 2023-05-25, sent: {sent}}}]}}"
    assert score_file(rs, tmp_path, items).points == D(expected)


@pytest.mark.parametrize(("written", "ok"), [("10.0", True), ("10.0001", False)])
def test_survey_points_up_to_the_max_exactly(leaf, tmp_path, written, ok):
    rs = leaf("survey", {"points": "s"}, {"s": NUMBER}, max="10")
    if ok:
        assert score_file(rs, tmp_path, f"{{s: {written}}}").points == D("10")
    else:
        with pytest.raises(parrules.errors.UnitError, match="outside"):
            score_file(rs, tmp_path, f"{{s: {written}}}")


def test_survey_weighted_shares_are_exact(leaf, tmp_path):
    rs = leaf("survey", {"answers": "a"}, {"a": {"type": "answers", "label": "Phiếu"}}, max="1")
    # 0.1 A + 0.2 B + 0.7 D = 0.1 × 1 + 0.2 × 0.6 = 0.22 of 1 point, exactly
    assert score_file(rs, tmp_path, "{a: {A: 0.1, B: 0.2, D: 0.7}}").points == D("0.22")


def test_classification_band_reached_exactly(tmp_path, registry):
    path = tmp_path / "r.yaml"
    path.write_text(
        "id: t/class/2023\ntitle: Thử\nyear: 2023\nmax: 1\nprecision: 4\n"
        "classification: [{label: Tốt, min: 0.8}, {label: Khá, min: 0}]\n"
        "nodes: [{code: '1', title: Lĩnh vực, max: 1, children: ["
        "{code: '1.1', title: Một, max: 0.8}, {code: '1.2', title: Hai, max: 0.2}]}]\n",
        encoding="utf-8",
    )
    ruleset = parrules.load_ruleset(path, registry=registry)
    unit_path = tmp_path / "u.yaml"
    unit_path.write_text(
        "unit: Xã A\nyear: 2023\nruleset: r.yaml\npoints:\n"
        "  '1.1': {points: 0.7, reason: Thiếu minh chứng}\n"
        "  '1.2': {points: 0.1, reason: Chưa cập nhật}\n",
        encoding="utf-8",
    )
    card = parrules.score(ruleset, parrules.load_unit(unit_path, ruleset=ruleset))
    assert card.total == D("0.8")
    assert card.classification is not None
    assert card.classification.label == "Tốt"
