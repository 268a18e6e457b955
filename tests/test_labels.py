"""Words, not identifiers: choices and kinds of event are shown by the labels a ruleset gives."""

from __future__ import annotations

import pytest

from parrules import report, score, unit_from_mapping
from parrules._model import show_value
from parrules.errors import RulesetError, UnitError

from helpers import D, score_leaf

CHOICE = {
    "type": "choice",
    "label": "Cấp công nhận sáng kiến",
    "choices": {
        "cap_tinh": {"label": "Cấp tỉnh", "label_en": "Provincial level"},
        "duoi_cap_tinh": "Cấp huyện hoặc cấp xã",
        "khong_co": {"label": "Không có"},
    },
}
EVENTS = {
    "type": "events",
    "label": "Lãnh đạo bị kỷ luật",
    "unit": "người",
    "kinds": {
        "khien_trach": {"label": "Khiển trách", "label_en": "Reprimand"},
        "cach_chuc": {"label": "Cách chức", "label_en": "Dismissal"},
    },
}
CHOICE_POINTS = {"indicator": "c", "points": {"cap_tinh": 1, "duoi_cap_tinh": "0.5", "khong_co": 0}}
SEVERITY = {"events": "e", "severity": {"khien_trach": "0.5", "cach_chuc": 1}}


def test_a_choice_reads_by_its_label_in_reason_formula_and_inputs(leaf):
    rs = leaf("choice", CHOICE_POINTS, {"c": CHOICE})
    result = score_leaf(rs, {"c": "duoi_cap_tinh"})
    explained = result.explain("vi")
    assert explained.reason == "Mức đạt: Cấp huyện hoặc cấp xã"
    assert explained.formula == "Cấp huyện hoặc cấp xã → 0,5"
    assert show_value("duoi_cap_tinh", rs.indicators["c"], "vi") == "Cấp huyện hoặc cấp xã"
    # English where the ruleset gives it, else the Vietnamese label, never the identifier
    assert score_leaf(rs, {"c": "khong_co"}).explain("en").formula == "Không có → 0"


def test_kinds_of_event_read_by_their_labels(leaf):
    rs = leaf("per_event", SEVERITY, {"e": EVENTS})
    result = score_leaf(rs, {"e": {"cach_chuc": 1, "khien_trach": 0}})
    assert result.points == D("0")
    assert "Cách chức × 1" in result.explain("vi").reason
    assert "Dismissal × 1" in result.explain("en").reason
    assert show_value({"cach_chuc": 1}, rs.indicators["e"], "vi") == "Cách chức: 1 người"
    assert show_value({}, rs.indicators["e"], "en") == "none"


def test_a_kind_not_declared_is_refused_with_the_close_match(leaf):
    rs = leaf("per_event", SEVERITY, {"e": EVENTS})
    with pytest.raises(UnitError, match=r"unknown kind 'cach_chu'.*cach_chuc"):
        score_leaf(rs, {"e": {"cach_chu": 1}})


def test_severity_names_only_declared_kinds(leaf):
    with pytest.raises(RulesetError, match="'canh_cao' is not a declared kind of 'e'"):
        leaf("per_event", {"events": "e", "severity": {"canh_cao": 1}}, {"e": EVENTS})


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({**CHOICE, "choices": {"a": ""}}, r"'choices\.a' needs a label"),
        ({**CHOICE, "choices": {"a": {"label": "A", "title": "x"}}}, r"'choices\.a' needs a label"),
        ({**CHOICE, "choices": ["a", "a"]}, "each value a text, given once"),
        ({**CHOICE, "choices": "a"}, "'choices' is a list of values, or a mapping"),
        ({**EVENTS, "type": "count"}, "only an 'events' indicator lists its 'kinds'"),
    ],
)
def test_bad_labels_are_refused(leaf, spec, message):
    with pytest.raises(RulesetError, match=message):
        leaf("appraised", None, {"c": spec})


def test_the_details_table_shows_labels_and_the_loss_written_out(leaf):
    rs = leaf("choice", CHOICE_POINTS, {"c": CHOICE})
    card = score(rs, unit_from_mapping({"indicators": {"c": "khong_co"}}, rs))
    (row,) = report.details_table(card).rows
    assert row.cells[2] == "Cấp công nhận sáng kiến: Không có"
    assert row.cells[4] == "1 − 0 = 1"
    assert "khong_co" not in report.render([report.details_table(card)], "text")
