"""The ruleset diff: nodes added, removed, moved; maxima, rules, params and indicators changed.

- Lai Châu district 2022 → 2023: field 8, the sociological survey alone in 2022, gains three
  criteria appraised in 2023 (cooperatives and household businesses, budget revenue,
  socio-economic targets: seed 001_bcf6dc032df3fdf9.txt, mục 2.8); the survey keeps 30 of the
  33 points (the 2023 ruleset's assumption for field 8).
- tests/data/plan/rules-next.yaml: rules.yaml changed once in every way, written as an
  extension so that each change is visible in the file.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

import parrules
from parrules.analysis.diff import (
    ADDED,
    CHANGED,
    INDICATOR_ADDED,
    INDICATOR_CHANGED,
    INDICATOR_REMOVED,
    MOVED,
    REMOVED,
    Difference,
    RulesetDiff,
)
from parrules.cli import main

DATA = Path(__file__).resolve().parent / "data" / "plan"


def kinds(diff: RulesetDiff) -> list[tuple[str, str | None, str | None]]:
    return [(d.kind, d.code, d.name) for d in diff.differences]


# --- Lai Châu district 2022 → 2023 --------------------------------------------------------------


@pytest.fixture(scope="module")
def lai_chau() -> RulesetDiff:
    return parrules.diff_rulesets(
        parrules.load_ruleset("lai-chau/district/2022"),
        parrules.load_ruleset("lai-chau/district/2023"),
    )


def test_lai_chau_field_8(lai_chau: RulesetDiff) -> None:
    assert kinds(RulesetDiff(lai_chau.a, lai_chau.b, lai_chau.field("8"))) == [
        (CHANGED, "8.1", "max"),
        (ADDED, "8.7", None),
        (ADDED, "8.8", None),
        (ADDED, "8.9", None),
    ]
    survey = lai_chau.field("8")[0]
    assert (survey.before, survey.after) == (Decimal(33), Decimal(30))
    added = {d.code: d.after for d in lai_chau.field("8")[1:]}
    assert {code: a["rule"] for code, a in added.items()} == {
        "8.7": "trend",
        "8.8": "appraised",
        "8.9": "bands",
    }
    assert all(a["max"] == 1 for a in added.values())


def test_lai_chau_only_field_8_and_its_indicators(lai_chau: RulesetDiff) -> None:
    assert {d.field for d in lai_chau.differences if d.code is not None} == {"8"}
    assert sorted(d.name or "" for d in lai_chau.differences if d.kind == INDICATOR_ADDED) == [
        "chi_tieu_ktxh_dat",
        "chi_tieu_ktxh_giao",
        "htx_hkd_thanh_lap_moi",
        "htx_hkd_thanh_lap_moi_nam_truoc",
    ]
    top = {d.name for d in lai_chau.differences if d.code is None and d.kind == CHANGED}
    assert top == {"title", "legal"}  # the 2023 legal reference names the published decision


def test_cli_diff_lai_chau(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "lai-chau/district/2022", "lai-chau/district/2023"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("8.")]
    assert [line.split()[0] for line in lines] == ["8.1", "8.7", "8.8", "8.9"]
    assert "điểm tối đa" in lines[0]
    assert "Thêm" in lines[1]


# --- every kind of change (tests/data/plan) -----------------------------------------------------


@pytest.fixture(scope="module")
def rules_diff() -> RulesetDiff:
    return parrules.diff_rulesets(
        parrules.load_ruleset(DATA / "rules.yaml"), parrules.load_ruleset(DATA / "rules-next.yaml")
    )


def test_every_kind_of_change(rules_diff: RulesetDiff) -> None:
    assert kinds(rules_diff) == [
        (CHANGED, None, "title"),
        (CHANGED, None, "classification"),
        (INDICATOR_ADDED, None, "ho_so_toan_trinh"),
        (INDICATOR_CHANGED, None, "tiet_kiem.label"),
        (CHANGED, "1.1", "title"),
        (REMOVED, "1.6", None),
        (ADDED, "1.7", None),
        (CHANGED, "2.1", "max"),
        (CHANGED, "2.2", "max"),
        (CHANGED, "2.2", "owner"),
        (CHANGED, "2.2", "params.target"),
        (CHANGED, "2.6", "rule"),
        (CHANGED, "2.6", "params.value"),
        (CHANGED, "2.6", "params.bands"),
        (MOVED, "3.5", "code"),
    ]


def test_values_before_and_after(rules_diff: RulesetDiff) -> None:
    found = {(d.code, d.name): d for d in rules_diff.differences}
    assert (found["2.2", "params.target"].before, found["2.2", "params.target"].after) == (
        "80%",
        "90%",
    )
    assert (found["2.6", "rule"].before, found["2.6", "rule"].after) == ("bands", "appraised")
    assert (found["3.5", "code"].before, found["3.5", "code"].after) == ("3.4", "3.5")
    assert found["1.6", None].before["title"] == "Kỷ luật"


def test_numbers_compare_by_value(rules_diff: RulesetDiff) -> None:
    # 2.3 is rewritten with 1 / "0,8" / 0.8 for "100%" / "80%", and "0,5" for 0.5: no change.
    assert not [d for d in rules_diff.differences if d.code == "2.3"]


def test_reversed_diff_removes_what_was_added() -> None:
    back = parrules.diff_rulesets(
        parrules.load_ruleset(DATA / "rules-next.yaml"), parrules.load_ruleset(DATA / "rules.yaml")
    )
    assert (
        Difference(INDICATOR_REMOVED, None, "ho_so_toan_trinh", "Số hồ sơ trực tuyến toàn trình")
        in back.differences
    )
    assert [(d.kind, d.code) for d in back.differences if d.kind in (ADDED, REMOVED, MOVED)] == [
        (ADDED, "1.6"),
        (REMOVED, "1.7"),
        (MOVED, "3.4"),
    ]


def test_same_ruleset_has_no_difference(capsys: pytest.CaptureFixture[str]) -> None:
    same = parrules.load_ruleset(DATA / "rules.yaml")
    assert parrules.diff_rulesets(same, same).differences == ()
    path = str(DATA / "rules.yaml")
    assert main(["diff", path, path, "--lang", "en"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "No difference."


def test_cli_diff_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["diff", str(DATA / "rules.yaml"), str(DATA / "rules-next.yaml"), "--format", "json"])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["schema"] == "parrules.diff/1"
    assert (data["a"]["id"], data["b"]["id"]) == ("test/plan/2023", "test/plan/2024")
    entry = next(d for d in data["differences"] if d["code"] == "2.1")
    assert entry == {
        "kind": "changed",
        "code": "2.1",
        "field": "2",
        "name": "max",
        "before": "1",
        "after": "0.5",
    }


def test_cli_diff_unknown_ruleset(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "lai-chau/district/2021", "lai-chau/district/2023"]) == 1
    assert "lai-chau/district/2021" in capsys.readouterr().err
