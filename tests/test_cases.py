"""Every ``*.cases.yaml`` shipped beside a ruleset passes, and the runner reports what differs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import parrules
from parrules.errors import UnitError, YamlError
from parrules.testing import Case, CheckFailed, check_case, load_cases

RULESETS = Path(parrules.__file__).parent / "rulesets"
DATA = Path(__file__).parent / "data"


def _params(paths: list[Path], base: Path) -> list[Any]:
    params = []
    for path in paths:
        where = path.relative_to(base).as_posix()
        try:
            cases = load_cases(path)
        except parrules.ParRulesError as exc:
            params.append(pytest.param(exc, id=where))  # reported as a failing test, not skipped
            continue
        params += [pytest.param(case, id=f"{where}::{case.name}") for case in cases]
    return params


SHIPPED = _params(sorted(RULESETS.rglob("*.cases.yaml")), RULESETS)


@pytest.mark.parametrize("case", SHIPPED)
def test_shipped_case(case: Case | parrules.ParRulesError) -> None:
    """Each case of each shipped cases file gets the points it expects."""
    if isinstance(case, Exception):
        raise case
    check_case(case)


@pytest.mark.parametrize("case", _params([DATA / "mini.cases.yaml"], DATA))
def test_mini_case(case: Case) -> None:
    """The runner scores the cases of the test ruleset, stage by stage."""
    card = check_case(case)
    assert card.ruleset.id == "test/mini/2023"


def test_a_wrong_expectation_lists_every_difference(tmp_path: Path) -> None:
    """A failing case names its file and line, the stage, and each code that differs."""
    (tmp_path / "mini.yaml").write_text((DATA / "mini.yaml").read_text("utf-8"), "utf-8")
    cases = tmp_path / "mini.cases.yaml"
    cases.write_text(
        "cases:\n"
        "  - name: too hopeful\n"
        "    unit:\n"
        "      indicators: {tthc_thanh_toan: 10, tthc_trien_khai: 46, duong_ngo_bt: 0,\n"
        "                   duong_ngo: 0, ky_luat: {}, co_ke_hoach: false, bao_cao: []}\n"
        '      points: {"2.3": 4.5}\n'
        '    expect: {"1.1": 1, "2.1": 0.2174, total: 10}\n',
        "utf-8",
    )
    (case,) = load_cases(cases)
    with pytest.raises(CheckFailed) as caught:
        check_case(case)
    assert caught.value.property == "case"
    assert f"{cases}:2: case 'too hopeful', stage 'final': " in str(caught.value)
    # 1.1 fails its check (0 of 1); 2.1 is right; the total misses 1 and 0.7826
    assert "1.1: expected 1, got 0; total: expected 10, got 8.2174" in str(caught.value)


def test_cases_files_are_checked_on_load(tmp_path: Path) -> None:
    """Unknown keys, missing expectations and unreadable numbers are errors with their line."""
    path = tmp_path / "x.cases.yaml"
    path.write_text("cases:\n  - name: a\n    unit: {}\n    expected: {total: 1}\n", "utf-8")
    with pytest.raises(UnitError, match="unknown key 'expected'") as caught:
        load_cases(path)
    assert caught.value.line == 4
    path.write_text("cases:\n  - name: a\n    unit: {}\n    expect: {total: 1.234,5}\n", "utf-8")
    with pytest.raises((UnitError, YamlError)):
        load_cases(path)
    path.write_text('cases:\n  - name: a\n    unit: {}\n    expect: {total: "1.234,5"}\n', "utf-8")
    with pytest.raises(UnitError, match="'total'") as caught:
        load_cases(path)
    assert caught.value.line == 4


def test_the_ruleset_is_the_file_beside_or_the_one_named(tmp_path: Path) -> None:
    """Without 'ruleset:', x.cases.yaml belongs to x.yaml; with it, to the file it names."""
    path = tmp_path / "x.cases.yaml"
    path.write_text("cases:\n  - {name: a, unit: {}, expect: {total: 1}}\n", "utf-8")
    assert load_cases(path)[0].ruleset == str(tmp_path / "x.yaml")
    path.write_text("ruleset: ../mini.yaml\ncases:\n  - {name: a, unit: {}, expect: {total: 1}}\n")
    assert load_cases(path)[0].ruleset == str(tmp_path / "../mini.yaml")
    path.write_text("ruleset: thai-nguyen/commune/2023\ncases: []\n", "utf-8")
    assert load_cases(path) == ()
