"""Golden test: Đak Pơ district (Gia Lai), goals of the 2011–2020 administrative-reform programme.

Source: the district's report on administrative reform 2011–2020 (seed 002). Its Phụ lục 8 rates
the twelve goals of the master programme: goals 3, 7, 10, 11 and 12 "Đạt"; goal 8 "Không đạt ở
tiêu chí: hầu hết các dịch vụ công được cung cấp trực tuyến … ở mức độ 3 và 4"; goal 9 "Không
đạt"; goals 1, 2, 4, 5 and 6 are left without a rating and without evidence.

The unit (examples/gia-lai/dak-po-2020.yaml) gives only the figures the report states. Its first
stage is what those figures give, each target checked over the period it names; the appraisal
stage enters Phụ lục 8's verdict where the figures do not give it. Both are asserted here: the
published verdicts (the card's last stage) and the checks beside them, where they disagree.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import parrules
from parrules.analysis import goal_verdicts

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "examples" / "gia-lai" / "dak-po-2020.yaml"

# Seed 002, Phụ lục 8: the published verdicts ("no_data" for a goal left blank).
PUBLISHED = {
    "1": "no_data",
    "2": "no_data",
    "3": "met",
    "4": "no_data",
    "5": "no_data",
    "6": "no_data",
    "7": "met",
    "8": "not_met",
    "9": "not_met",
    "10": "met",
    "11": "met",
    "12": "met",
}
# What the stated figures give, where it is not the published verdict.
CHECKED = {"3": "no_data", "7": "not_met", "9": "no_data", "10": "not_met", "11": "no_data"}
CHECKED |= {"12": "no_data"}


@pytest.fixture(scope="module")
def card() -> parrules.ScoreCard:
    unit = parrules.load_unit(UNIT)
    return parrules.score(parrules.load_ruleset(unit.ruleset), unit)


def verdicts(card: parrules.ScoreCard, stage: str) -> dict[str, str]:
    return {v.result.code: v.verdict for v in goal_verdicts(card, stage=stage)}


def test_twelve_goals_and_no_score(card: parrules.ScoreCard) -> None:
    assert [r.code for r in card.final.fields] == [str(i) for i in range(1, 13)]
    assert card.ruleset.max is None  # the programme rates goals; it defines no score
    assert card.final.percent is None
    assert [s.stage for s in card.stages] == ["self", "appraisal"]


def test_published_verdicts(card: parrules.ScoreCard) -> None:
    assert verdicts(card, "appraisal") == PUBLISHED


def test_checks_from_the_stated_figures(card: parrules.ScoreCard) -> None:
    checked = verdicts(card, "self")
    assert {c: v for c, v in checked.items() if v != PUBLISHED[c]} == CHECKED
    # the report's verdict is entered only where the figures do not give it
    entered = set(card.unit.stage("appraisal").points)
    assert entered == set(CHECKED)


def test_goal_7_is_checked_over_every_year(card: parrules.ScoreCard) -> None:
    # Phụ lục 5: 87 civil servants in post in 2016 against a quota of 85; every other year, and
    # every year of public employees, within the quota.
    stage = card.stage("self")
    assert stage.node("7.1").points == 0
    assert stage.node("7.2").points == 1
    explanation = stage.node("7.1").explain("vi")
    inputs = dict(explanation.inputs)
    assert (inputs["cbcc_co_mat_2016"], inputs["cbcc_duoc_giao_2016"]) == (87, 85)
    assert "2016" in explanation.reason
    assert all(str(y) not in explanation.reason for y in (2015, 2017, 2018, 2019, 2020))


def test_goal_10_misses_the_national_axis(card: parrules.ScoreCard) -> None:
    # Phụ lục 7: 0 units connected to the national document axis, 1 with document software.
    stage = card.stage("self")
    assert stage.node("10.1").points == 0
    assert [stage.node(c).points for c in ("10.2", "10.3")] == [1, 1]
    assert stage.node("10.4").not_applicable  # commune work files: no figure


def test_goal_8_fails_on_online_services_only(card: parrules.ScoreCard) -> None:
    stage = card.stage("self")
    failed = [r.code for r in stage.results if r.code.startswith("8.") and r.lost > 0]
    assert failed == ["8.2", "8.3", "8.4", "8.5"]
    assert [stage.node(c).not_applicable for c in failed] == [True, True, True, False]
    inputs = dict(stage.node("8.5").explain("vi").inputs)
    # Phụ lục 7 item 10: 29 level-3/4 online services in 2020; Phụ lục 3 item 1: 323 procedures.
    assert (inputs["dvctt_muc_3_4_2020"], inputs["tthc_cap_huyen_2020"]) == (29, 323)
    assert stage.node("8.1").lost == 0  # 100% of documents electronic in 2020


@pytest.mark.parametrize("code", ["1", "2", "4", "5", "6"])
def test_goals_without_evidence_are_never_counted_met(card: parrules.ScoreCard, code: str) -> None:
    for result in card.final.results:
        if (result.code == code or result.code.startswith(code + ".")) and result.node.is_leaf:
            assert result.not_applicable
            assert result.points == 0
            assert result.explain("vi").reason.startswith("Không đủ dữ liệu: thiếu ")
