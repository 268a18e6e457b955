"""Each built-in rule at its edges, scored through the real loader and engine."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from parrules.errors import RulesetError, UnitError

from helpers import LANES, D, score_leaf

COUNT = {"type": "count", "label": "Số lượng"}
NUMBER = {"type": "number", "label": "Giá trị", "unit": "km"}
BOOL = {"type": "bool", "label": "Đã thực hiện"}
EVENTS = {"type": "events", "label": "Kỷ luật"}
ITEMS = {"type": "items", "label": "Báo cáo"}


# --- ratio ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("num", "den", "maximum", "expected"),
    [
        (10, 46, "1", "0.2174"),  # seed 001, 7.3.6: 10 of 46 → 0,22 of 1 (lost 0,78)
        (1339, 2818, "0.5", "0.2376"),  # seed 001, 7.3.7: lost 0,26 of 0,5
        (46, 46, "1", "1"),
        (0, 46, "1", "0"),
    ],
)
def test_ratio_is_proportional(leaf, num, den, maximum, expected):
    rs = leaf(
        "ratio",
        {"numerator": "a", "denominator": "b", "zero_denominator": "full"},
        {"a": COUNT, "b": COUNT},
        max=maximum,
    )
    assert score_leaf(rs, {"a": num, "b": den}).points == D(expected)


def test_ratio_target_caps_at_max(leaf):
    rs = leaf(
        "ratio",
        {"numerator": "a", "denominator": "b", "zero_denominator": "zero", "target": "50%"},
        {"a": COUNT, "b": COUNT},
    )
    assert score_leaf(rs, {"a": 21, "b": 42}).points == D("1")
    assert score_leaf(rs, {"a": 30, "b": 42}).points == D("1")
    assert score_leaf(rs, {"a": 20, "b": 42}).points == D("0.9524")


@pytest.mark.parametrize(
    ("policy", "points", "not_applicable"),
    [("full", "1", False), ("zero", "0", False), ("not_applicable", "1", True)],
)
def test_ratio_zero_denominator_policy(leaf, policy, points, not_applicable):
    rs = leaf(
        "ratio",
        {"numerator": "a", "denominator": "b", "zero_denominator": policy},
        {"a": COUNT, "b": COUNT},
    )
    result = score_leaf(rs, {"a": 0, "b": 0})
    assert result.points == D(points)
    assert result.not_applicable is not_applicable


def test_ratio_zero_denominator_policy_is_required(leaf):
    with pytest.raises(RulesetError, match="zero_denominator"):
        leaf("ratio", {"numerator": "a", "denominator": "b"}, {"a": COUNT, "b": COUNT})


def test_ratio_numerator_above_denominator_is_an_input_error(leaf):
    rs = leaf(
        "ratio",
        {"numerator": "a", "denominator": "b", "zero_denominator": "full"},
        {"a": COUNT, "b": COUNT},
    )
    with pytest.raises(UnitError, match="greater than"):
        score_leaf(rs, {"a": 47, "b": 46})


def test_ratio_explains_with_the_numbers(leaf):
    rs = leaf(
        "ratio",
        {"numerator": "a", "denominator": "b", "zero_denominator": "full"},
        {"a": COUNT, "b": COUNT},
        max="0.5",
    )
    explanation = score_leaf(rs, {"a": 1339, "b": 2818}).explain("vi")
    assert explanation.formula == "1339/2818 = 47,52% × 0,5 = 0,2376"
    assert "1339/2818" in explanation.reason
    assert dict(explanation.inputs) == {"a": D(1339), "b": D(2818)}
    assert score_leaf(rs, {"a": 1339, "b": 2818}).explain("en").formula == (
        "1339/2818 = 47.52% × 0.5 = 0.2376"
    )


# --- bands ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("done", "total", "expected"),
    [
        ("19.86", "21.26", "0.25"),  # seed 004, 8.3.2.2: 93,4% → 0,25 lost
        ("14.49", "16.1", "0.25"),  # exactly 90%: in binary floating point it would be below
        ("14.48", "16.1", "0"),
        ("21.26", "21.26", "0.5"),
    ],
)
def test_bands_edges_are_exact(leaf, done, total, expected):
    rs = leaf("bands", LANES, {"done": NUMBER, "total": NUMBER}, max="0.5")
    assert score_leaf(rs, {"done": done, "total": total}).points == D(expected)


def test_bands_value_lower_is_better(leaf):
    params = {
        "value": "n",
        "direction": "lower_is_better",
        "bands": [{"lte": 0, "points": "1.5"}, {"gt": 0, "points": 0}],
    }
    rs = leaf("bands", params, {"n": COUNT}, max="1.5")
    assert score_leaf(rs, {"n": 0}).points == D("1.5")
    assert score_leaf(rs, {"n": 1}).points == D("0")


def test_bands_proportional_inside_a_band(leaf):
    params = {
        "value": "r",
        "bands": [
            {"gte": "90%", "points": "proportional"},
            {"lt": "90%", "points": 0},
        ],
    }
    rs = leaf("bands", params, {"r": {"type": "ratio", "label": "Tỷ lệ"}})
    assert score_leaf(rs, {"r": "95%"}).points == D("0.95")
    assert score_leaf(rs, {"r": "89,9%"}).points == D("0")


@pytest.mark.parametrize(
    ("bands", "message"),
    [
        ([{"gte": "90%", "points": 1}, {"lt": "80%", "points": 0}], "gap"),
        ([{"gte": "90%", "points": 1}, {"lte": "90%", "points": 0}], "overlap"),
        ([{"gt": "90%", "points": 1}, {"lt": "90%", "points": 0}], "gap at"),
        ([{"gte": "90%", "points": 0}, {"lt": "90%", "points": 1}], "fall"),
        ([{"gte": "90%", "points": 2}, {"lt": "90%", "points": 0}], "outside"),
        ([{"gte": "50%", "lt": "90%", "points": 1}, {"lt": "50%", "points": 0}], "above"),
    ],
)
def test_bands_reject_broken_tables(leaf, bands, message):
    with pytest.raises(RulesetError, match=message) as info:
        leaf("bands", {"value": "r", "bands": bands}, {"r": {"type": "ratio", "label": "Tỷ lệ"}})
    assert info.value.code == "1.1"
    assert info.value.line is not None


# --- per_event ------------------------------------------------------------------------------

SEVERITY = {"events": "kl", "severity": {"khien_trach": "0.5", "cach_chuc": 2}}


@pytest.mark.parametrize(
    ("events", "maximum", "expected"),
    [
        ({"khien_trach": 1}, "2", "1.5"),  # seed 001, 5.5.1: one official disciplined, −0,5
        ({"cach_chuc": 1}, "2", "0"),  # seed 001, 5.5.2: a leader dismissed, −2
        ({"cach_chuc": 1, "khien_trach": 1}, "2", "0"),  # floored at 0
        ({}, "2", "2"),
    ],
)
def test_per_event_deducts_by_severity(leaf, events, maximum, expected):
    rs = leaf("per_event", SEVERITY, {"kl": EVENTS}, max=maximum)
    assert score_leaf(rs, {"kl": events}).points == D(expected)


def test_per_event_declared_negative_floor(leaf):
    rs = leaf("per_event", {**SEVERITY, "floor": -1}, {"kl": EVENTS}, max="1", extra={"floor": -1})
    assert score_leaf(rs, {"kl": {"cach_chuc": 1}}).points == D("-1")


def test_per_event_floor_below_node_floor_is_refused(leaf):
    with pytest.raises(RulesetError, match="floor"):
        leaf("per_event", {**SEVERITY, "floor": -1}, {"kl": EVENTS}, max="1")


def test_per_event_unknown_kind_suggests(leaf):
    rs = leaf("per_event", SEVERITY, {"kl": EVENTS}, max="2")
    with pytest.raises(UnitError, match="khien_trach"):
        score_leaf(rs, {"kl": {"khien_trac": 1}})


# --- check ----------------------------------------------------------------------------------


def test_check_all_of_and_any_of(leaf):
    both = leaf("check", {"all_of": ["a", "b"]}, {"a": BOOL, "b": BOOL})
    assert score_leaf(both, {"a": True, "b": True}).points == D(1)
    assert score_leaf(both, {"a": True, "b": False}).points == D(0)
    either = leaf("check", {"any_of": ["a", "b"], "otherwise": "0.25"}, {"a": BOOL, "b": BOOL})
    assert score_leaf(either, {"a": False, "b": True}).points == D(1)
    assert score_leaf(either, {"a": False, "b": False}).points == D("0.25")


def test_check_reason_names_the_label_of_what_failed(leaf):
    rs = leaf("check", {"all_of": ["a"]}, {"a": {"type": "bool", "label": "Ban hành kế hoạch"}})
    assert "Ban hành kế hoạch" in score_leaf(rs, {"a": False}).explain("vi").reason


# --- choice ---------------------------------------------------------------------------------


def test_choice_maps_levels(leaf):
    indicator = {"type": "choice", "label": "Cấp công nhận", "choices": ["tinh", "huyen", "khong"]}
    params = {"indicator": "c", "points": {"tinh": 1, "huyen": "0.5", "khong": 0}}
    rs = leaf("choice", params, {"c": indicator})
    assert score_leaf(rs, {"c": "huyen"}).points == D("0.5")
    with pytest.raises(UnitError, match="tinh"):
        score_leaf(rs, {"c": "tinhh"})


def test_choice_needs_points_for_every_choice(leaf):
    indicator = {"type": "choice", "label": "Cấp", "choices": ["tinh", "huyen"]}
    with pytest.raises(RulesetError, match="huyen"):
        leaf("choice", {"indicator": "c", "points": {"tinh": 1}}, {"c": indicator})


# --- deadline -------------------------------------------------------------------------------


def test_deadline_late_by_one_day(leaf):
    rs = leaf("deadline", {"items": "r", "late": "0.5"}, {"r": ITEMS})
    report = {"name": "Báo cáo sơ kết", "dated": "24/05/2023", "due": "25/05/2023"}
    # seed 001, 1.2.1: dated 24/5, sent 26/5, due 25/5 → late, −0,5
    late = score_leaf(rs, {"r": [{**report, "sent": "26/05/2023"}]})
    assert late.points == D("0.5")
    assert "+1" in late.explain("vi").reason
    on_time = score_leaf(rs, {"r": [{**report, "sent": "25/05/2023"}]})
    assert on_time.points == D("1")
    missing = score_leaf(rs, {"r": [report]})
    assert missing.points == D("0")


def test_deadline_by_received_date(leaf):
    rs = leaf("deadline", {"items": "r", "late": "0.5", "date": "received"}, {"r": ITEMS})
    # seed 001, 1.2.6: sent 29/12/2023, received 11/01/2024, due 31/12/2023
    item = {
        "name": "Báo cáo tự chủ",
        "due": dt.date(2023, 12, 31),
        "sent": "29/12/2023",
        "received": "11/01/2024",
    }
    assert score_leaf(rs, {"r": [item]}).points == D("0.5")


def test_deadline_impossible_date(leaf):
    rs = leaf("deadline", {"items": "r", "late": "0.5"}, {"r": ITEMS})
    with pytest.raises(UnitError, match="not a real date"):
        score_leaf(rs, {"r": [{"name": "x", "due": "31/02/2023"}]})


# --- trend ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "before", "expected"), [(9, 10, "0"), (10, 10, "1"), (11, 10, "1")]
)
def test_trend_against_last_year(leaf, now, before, expected):
    rs = leaf("trend", {"current": "n", "previous": "p"}, {"n": COUNT, "p": COUNT})
    # seed 001, 8.7: fewer new cooperatives than in 2022 → −1
    assert score_leaf(rs, {"n": now, "p": before}).points == D(expected)


# --- survey ---------------------------------------------------------------------------------


def test_survey_direct_and_weighted(leaf):
    direct = leaf("survey", {"points": "s"}, {"s": NUMBER}, max="30")
    assert score_leaf(direct, {"s": "22,3043"}).points == D("22.3043")
    with pytest.raises(UnitError, match="outside"):
        score_leaf(direct, {"s": 31})
    weighted = leaf(
        "survey", {"answers": "a"}, {"a": {"type": "answers", "label": "Phiếu"}}, max="10"
    )
    # 50 A (100%), 30 B (60%), 20 C (20%): (50 + 18 + 4) / 100 × 10 = 7,2
    assert score_leaf(weighted, {"a": {"A": 50, "B": 30, "C": 20}}).points == D("7.2")


# --- params ---------------------------------------------------------------------------------


def test_unknown_param_is_an_error_with_suggestion(leaf):
    with pytest.raises(RulesetError, match="tagret") as info:
        leaf(
            "ratio",
            {"numerator": "a", "denominator": "b", "zero_denominator": "full", "tagret": 1},
            {"a": COUNT, "b": COUNT},
        )
    assert info.value.hint == "did you mean 'target'?"


def test_undeclared_indicator_is_an_error(leaf):
    with pytest.raises(RulesetError, match="not declared"):
        leaf("check", {"all_of": ["nope"]}, {"a": BOOL})


def test_check_compares_numbers_with_thresholds(leaf):
    ratio = {"type": "ratio", "label": "Tỷ lệ cắt giảm"}
    params = {"all_of": [{"indicator": "q", "gte": "4%"}, {"indicator": "c", "gte": "4%"}]}
    rs = leaf("check", params, {"q": ratio, "c": {**ratio, "label": "Tỷ lệ cắt giảm chi phí"}})
    assert score_leaf(rs, {"q": "4%", "c": "0,04"}).points == D(1)
    failed = score_leaf(rs, {"q": "4%", "c": "3,99%"})
    assert failed.points == D(0)
    assert failed.explain("vi").reason == "Chưa thực hiện: Tỷ lệ cắt giảm chi phí ≥ 4%"


def test_check_compares_two_indicators(leaf):
    staff = {"type": "count", "label": "Số công chức"}
    quota = {"type": "count", "label": "Số biên chế được giao"}
    params = {"all_of": [{"indicator": "staff", "lte": {"indicator": "quota"}}]}
    rs = leaf("check", params, {"staff": staff, "quota": quota})
    assert score_leaf(rs, {"staff": 21, "quota": 21}).points == D(1)
    over = score_leaf(rs, {"staff": 22, "quota": 21})
    assert over.points == D(0)
    assert over.explain("vi").reason == "Chưa thực hiện: Số công chức ≤ Số biên chế được giao"
    assert dict(over.outcome.inputs) == {"staff": 22, "quota": 21}
    assert rs.leaves[0].levers == (("staff", -1),)  # the quota is not the unit's to change


@pytest.mark.parametrize(
    ("bound", "message"),
    [
        ({"indicator": "rate"}, "is of type ratio; this param needs count or number"),
        ({"indicator": "quota", "gte": 1}, "compare with a number, or with {indicator: …}"),
        ({"indicator": "nope"}, "'nope' is not declared"),
    ],
)
def test_check_compares_with_an_indicator_of_the_same_kind(leaf, bound, message):
    indicators = {"staff": COUNT, "quota": COUNT, "rate": {"type": "ratio", "label": "Tỷ lệ"}}
    params = {"all_of": [{"indicator": "staff", "lte": bound}]}
    with pytest.raises(RulesetError, match=re.escape(message)):
        leaf("check", params, indicators)


def test_check_comparison_needs_one_operator(leaf):
    with pytest.raises(RulesetError, match="exactly one of"):
        leaf("check", {"all_of": [{"indicator": "n", "gte": 1, "lt": 3}]}, {"n": COUNT})


def test_per_event_reason_uses_kind_labels(leaf):
    params = {**SEVERITY, "labels": {"cach_chuc": {"vi": "cách chức", "en": "dismissal"}}}
    rs = leaf("per_event", params, {"kl": EVENTS}, max="2")
    result = score_leaf(rs, {"kl": {"cach_chuc": 1}})
    assert result.explain("vi").reason == "Trừ 2 điểm do: cách chức × 1"
    assert result.explain("en").reason == "2 points deducted for: dismissal × 1"
