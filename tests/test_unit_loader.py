"""Unit files: typed values, close-match errors, appraisals with reasons, layered stages."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

import parrules
from parrules.errors import NotScoredError, UnitError, UnknownNameError

DATA = Path(__file__).parent / "data"


def unit_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "unit.yaml"
    text = f"unit: Huyện Thử\nyear: 2023\nruleset: {DATA / 'mini.yaml'}\n" + textwrap.dedent(body)
    path.write_text(text, encoding="utf-8")
    return path


def test_stages_layer_in_order(registry):
    unit = parrules.load_unit(DATA / "mini-unit.yaml", registry=registry)
    assert [s.name for s in unit.stages] == ["self", "appraisal", "final"]
    assert unit.stage("self").points["2.3"].points == Decimal("4.5")
    assert unit.stage("final").points["2.3"].points == Decimal(4)
    assert unit.stage("final").points["2.3"].by == "Phòng Nội vụ"
    assert unit.stage().indicators["duong_ngo_bt"] == Decimal("19.86")  # written "19,86"


def test_without_stages_the_only_stage_is_final(tmp_path, registry):
    path = unit_file(tmp_path, "points: {'2.3': 4.5}\n")
    assert [s.name for s in parrules.load_unit(path, registry=registry).stages] == ["final"]


def test_unknown_indicator_suggests(tmp_path, registry):
    path = unit_file(tmp_path, "indicators:\n  duong_ngo_b: 1\n")
    with pytest.raises(UnknownNameError) as info:
        parrules.load_unit(path, registry=registry)
    assert info.value.line == 5
    assert info.value.hint == "did you mean 'duong_ngo_bt'?"
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("indicators: {tthc_thanh_toan: -1}\n", "not a count"),
        ("indicators: {tthc_thanh_toan: 1.5}\n", "not a count"),
        ("indicators: {co_ke_hoach: 'có'}\n", "not true or false"),
        ("indicators: {duong_ngo: '1,234.5'}\n", "not a number"),
        ("points: {'2.3': 4}\n", "needs a 'reason'"),
        ("points: {'2.3': 5}\n", "outside"),
        ("points: {'2': 6, '2.1': 1}\n", "both for '2' and for its sub-criterion '2.1'"),
        ("points: {'2.4': 1}\n", "no node '2.4'"),
        ("stages: {apraisal: {}}\n", "unknown stage"),
    ],
)
def test_bad_values_are_located_errors(tmp_path, registry, body, message):
    path = unit_file(tmp_path, body)
    with pytest.raises(UnitError, match=message) as info:
        parrules.load_unit(path, registry=registry)
    assert info.value.path == str(path)
    assert info.value.line is not None
    assert info.value.line >= 4


def test_year_must_match_the_ruleset(tmp_path, registry):
    path = unit_file(tmp_path, "")
    path.write_text(path.read_text(encoding="utf-8").replace("2023", "2024", 1), encoding="utf-8")
    with pytest.raises(UnitError, match="for 2024 but the ruleset"):
        parrules.load_unit(path, registry=registry)


def test_missing_ruleset_is_named(tmp_path, registry):
    path = tmp_path / "u.yaml"
    path.write_text("unit: X\nyear: 2023\nruleset: thai-nguyen/commune/2032\n", encoding="utf-8")
    with pytest.raises(UnknownNameError, match="not found") as info:
        parrules.load_unit(path, registry=registry)
    assert info.value.line == 3


FULL = """\
indicators:
  {tthc_thanh_toan: 1, tthc_trien_khai: 1, duong_ngo_bt: 1, duong_ngo: 1, ky_luat: {},
   bao_cao: [], co_ke_hoach: true}
"""


def test_appraised_leaves_without_points_are_listed(tmp_path, registry):
    path = unit_file(tmp_path, FULL)
    unit = parrules.load_unit(path, registry=registry)
    ruleset = parrules.load_ruleset(unit.ruleset_path, registry=registry)
    with pytest.raises(NotScoredError, match=r"2\.3"):
        parrules.score(ruleset, unit)


def test_missing_indicator_is_an_error_by_default(tmp_path, registry):
    path = unit_file(tmp_path, "points: {'2.3': 4.5}\n")
    unit = parrules.load_unit(path, registry=registry)
    ruleset = parrules.load_ruleset(unit.ruleset_path, registry=registry)
    with pytest.raises(UnitError, match="no value for co_ke_hoach") as info:
        parrules.score(ruleset, unit)
    assert info.value.code == "1.1"


def test_a_field_scored_as_a_whole_is_not_itemised(tmp_path, registry):
    path = unit_file(
        tmp_path,
        FULL + "points:\n  '2': {points: 5, reason: Chỉ công bố điểm lĩnh vực}\n",
    )
    unit = parrules.load_unit(path, registry=registry)
    card = parrules.score(parrules.load_ruleset(unit.ruleset_path, registry=registry), unit)
    assert card.node("2").points == Decimal(5)
    assert card.final.get("2.1") is None
    assert [d.code for d in card.deductions][-1] == "2"
    assert card.deductions[-1].reason() == "Chỉ công bố điểm lĩnh vực"


def test_a_unit_scored_with_another_ruleset_is_refused(registry):
    other = parrules.load_ruleset("thai-nguyen/commune/2023", registry=registry)
    with pytest.raises(UnitError, match="names the ruleset") as info:
        parrules.load_unit(DATA / "mini-unit.yaml", ruleset=other, registry=registry)
    assert info.value.line == 3


def test_a_later_stage_withdraws_the_points_of_an_earlier_one(tmp_path, registry):
    """The self-assessment claims points with no figure; the appraisal withdraws them (null) and
    the rule scores the indicators (here 1.1: no plan, 0 of 1)."""
    path = unit_file(
        tmp_path,
        """\
        indicators: {tthc_thanh_toan: 10, tthc_trien_khai: 46, duong_ngo_bt: 0, duong_ngo: 0,
                     ky_luat: {}, co_ke_hoach: false, bao_cao: []}
        points: {"1.1": 1, "2.3": 4.5}
        stages:
          appraisal:
            points: {"1.1": null}
        """,
    )
    unit = parrules.load_unit(path, registry=registry)
    assert "1.1" in unit.stage("self").points
    assert "1.1" not in unit.stage("appraisal").points
    card = parrules.score(parrules.load_ruleset(unit.ruleset_path, registry=registry), unit)
    assert card.stage("self").node("1.1").points == 1
    assert card.stage("appraisal").node("1.1").points == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('points: {"1.1": null}\n', "withdraws an earlier stage's points, in a later stage only"),
        (
            'points: {"2.3": 4.5}\nstages:\n  final:\n    points: {"1.1": null}\n',
            "withdraws points for '1.1' that no earlier stage gave",
        ),
    ],
)
def test_withdrawing_needs_an_earlier_stage_that_gave_points(tmp_path, registry, body, message):
    path = unit_file(tmp_path, body)
    with pytest.raises(UnitError) as info:
        parrules.load_unit(path, registry=registry)
    assert message in str(info.value)
    assert info.value.code == "1.1"
    assert info.value.line is not None


def test_a_stage_that_changes_nothing_shares_the_earlier_stage(registry):
    """What a stage leaves as it was is the earlier stage's very mapping: no copy per stage."""
    unit = parrules.load_unit(DATA / "mini-unit.yaml", registry=registry)
    first, appraisal, final = unit.stages
    assert appraisal.indicators is first.indicators  # the appraisal changes points only
    assert appraisal.points is not first.points
    assert final.indicators is appraisal.indicators
    assert final.points is appraisal.points


def test_equal_entries_give_equal_appraisals_and_keep_every_refusal(registry):
    """An entry checked once is not checked again for the next unit, but an entry that differs
    in any way (a decimal too many, a reason missing, another node) is checked in full."""
    ruleset = parrules.load_ruleset(DATA / "mini.yaml", registry=registry)

    def points(entry, **more):
        data = {"unit": "X", "points": {"2.3": entry}, **more}
        return parrules.unit_from_mapping(data, ruleset).stage().points["2.3"]

    first = points({"points": Decimal("4.50"), "reason": "Chưa cập nhật"})
    again = points({"points": Decimal("4.5"), "reason": "Chưa cập nhật"})
    assert again == first
    assert again.points == Decimal("4.5")
    assert str(again.points) == "4.5"
    assert points(Decimal(4), reason="Chung").reason == "Chung"
    assert points(Decimal(4), reason="Khác").reason == "Khác"
    with pytest.raises(UnitError, match="needs a 'reason'"):
        points(Decimal(4))
    with pytest.raises(UnitError, match="more decimals"):
        points({"points": Decimal("4.12345"), "reason": "Chưa cập nhật"})
    with pytest.raises(UnitError, match=r"both for '2' and for its sub-criterion '2\.3'"):
        parrules.unit_from_mapping(
            {"unit": "X", "points": {"2": 6, "2.3": Decimal("4.5")}}, ruleset
        )


def test_an_entry_from_a_file_keeps_its_line_after_the_same_entry_through_the_api(
    tmp_path, registry
):
    ruleset = parrules.load_ruleset(DATA / "mini.yaml", registry=registry)
    given = parrules.unit_from_mapping({"unit": "X", "points": {"2.3": Decimal("4.5")}}, ruleset)
    assert given.stage().points["2.3"].line is None
    path = unit_file(tmp_path, "points:\n  '2.3': 4.5\n")
    read = parrules.load_unit(path, ruleset=ruleset)
    assert read.stage().points["2.3"].line == 5
    assert read.stage().points["2.3"] == attrs.evolve(given.stage().points["2.3"], line=5)
