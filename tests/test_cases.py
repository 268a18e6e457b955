"""Every ``*.cases.yaml`` shipped beside a ruleset passes, and the runner reports what differs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import parrules
from parrules.errors import UnitError, YamlError
from parrules.testing import Case, CheckFailed, check_case, load_cases, load_cases_file

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


# The published figures each shipped cases file holds, counted from its source:
PUBLISHED_FIGURES = {
    # seed 003, mục I.2: 9 maxima, 10 ranks, 10 totals, 80 field points, 9 "Tỷ lệ %"; mục II.1:
    # 3 class counts
    "soc-trang/thanh-tri/commune/2018.cases.yaml": 9 + 10 + 10 + 80 + 9 + 3,
    # seed 004: the annex, 63 rows (8 fields, 54 criteria, total) of 4 columns; the register, 12
    # rows and its total; the class of mục II.2; 7.13's 0,5/0,5 of mục II.4.1 d)
    "thai-nguyen/commune/2023.cases.yaml": 63 * 4 + 13 + 1 + 2,
    # seed 001, year 2022: T1 (3), T2 (8 points, 8 maxima), T3 (8 percentages)
    "lai-chau/district/2022.cases.yaml": 3 + 16 + 8,
    # seed 001, year 2023: T1 (3) and "tăng 6,05 điểm", T2 (16), T3 (8 percentages, 8 changes),
    # the 16 lost points of mục 2.1–2.8 and 5 field points restated there
    "lai-chau/district/2023.cases.yaml": 4 + 16 + 16 + 16 + 5,
    # seed 002, Phụ lục 8: the 12 verdicts
    "gia-lai/dak-po/programme/2020.cases.yaml": 12,
}
KNOWN_DIFFERENCES = {
    "thai-nguyen/commune/2023.cases.yaml": 2,  # 7.13 printed 0,5/0,5 in the text, 1,5 in the annex
    "lai-chau/district/2023.cases.yaml": 3,  # changes computed from truncated percentages
}


def test_parrules_test_passes_over_every_shipped_ruleset_and_counts_the_figures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from parrules.cli import main

    assert main(["test"]) == 0
    out = capsys.readouterr().out
    for name, count in PUBLISHED_FIGURES.items():
        differs = KNOWN_DIFFERENCES.get(name, 0)
        line = next(line for line in out.splitlines() if line.startswith(f"{name}:"))
        expected = f"{count} published figure(s): {count - differs} reproduced"
        assert expected in line, line
        assert "failed" not in line
    total = sum(PUBLISHED_FIGURES.values())
    differs = sum(KNOWN_DIFFERENCES.values())
    assert out.splitlines()[-1].endswith(
        f"{total} published figure(s) checked: {total - differs} reproduced, "
        f"{differs} known difference(s), 0 failed"
    )


def _copy_soc_trang(tmp_path: Path) -> Path:
    for suffix in (".yaml", ".cases.yaml"):
        source = RULESETS / "soc-trang" / "thanh-tri" / "commune" / f"2018{suffix}"
        (tmp_path / f"2018{suffix}").write_text(source.read_text("utf-8"), "utf-8")
    return tmp_path / "2018.cases.yaml"


def test_a_changed_published_figure_fails_with_the_figure_expected_and_got(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from parrules.cli import main

    cases = _copy_soc_trang(tmp_path)
    text = cases.read_text("utf-8")
    changed = text.replace("Xã Vĩnh Thành: [1, 93, 20,", "Xã Vĩnh Thành: [1, 94, 20,")
    changed = changed.replace('{value: "86,7", decimals: 1}', '{value: "86,8", decimals: 1}')
    assert changed.count("94") > text.count("94")
    cases.write_text(changed, "utf-8")
    assert main(["test", str(cases)]) == 1
    out = capsys.readouterr().out
    table = "Kết quả Chỉ số CCHC năm 2018 của UBND các xã, thị trấn"
    line = changed[: changed.index("Xã Vĩnh Thành: [1, 94")].count("\n") + 1
    assert f"FAILED {cases}:{line}: {table}: Xã Vĩnh Thành, total: published 94, got 93" in out
    assert (
        f"{table}: average %, total: published 86.8, got 86.7 (rounded half-up to 1 decimal(s): "
        "86.7)" in out
    )
    assert out.splitlines()[-1].endswith(
        "121 published figure(s) checked: 119 reproduced, 0 known difference(s), 2 failed"
    )


def test_a_known_difference_that_is_reproduced_fails(tmp_path: Path) -> None:
    """A figure marked 'differs' must still differ: once it is reproduced, the mark is wrong."""
    from parrules.testing import run_cases

    cases = _copy_soc_trang(tmp_path)
    text = cases.read_text("utf-8").replace(
        'note: "the report prints 72,8 for 72,857"}',
        'differs: "the report truncates"}',
    )
    cases.write_text(text, "utf-8")
    result = run_cases(cases)
    (failed,) = [c for c in result.checked if c.status == "failed"]
    assert failed.figure.row == "average %"
    assert "now reproduced, but marked 'differs: the report truncates'" in failed.message
    assert not result.ok


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("{unit: Nobody, columns: [points], rows: {total: [1]}}", "no unit 'Nobody'"),
        ("{units: [A], columns: [points], rows: {B: [1]}}", "no unit 'B'"),
        ("{unit: A, columns: [points, max], rows: {total: [1]}}", "one cell per column (2)"),
        ("{unit: A, colums: [points]}", "unknown key 'colums'"),
        ("{unit: A, decimals: -1, columns: [points], rows: {total: [1]}}", "'decimals'"),
        ("{unit: A, rounding: up, columns: [points], rows: {total: [1]}}", "'rounding'"),
        ("{unit: A, columns: [points], rows: {total: [{valu: 1}]}}", "unknown key 'valu'"),
        ("{unit: A, columns: [points], rows: {total: ['1,2,3']}}", "'total', 'points'"),
    ],
)
def test_published_tables_are_checked_on_load(tmp_path: Path, table: str, message: str) -> None:
    path = tmp_path / "x.cases.yaml"
    path.write_text("units:\n  A: {}\npublished:\n  - {table: T, " + table[1:] + "\n", "utf-8")
    with pytest.raises(UnitError) as caught:
        load_cases_file(path)
    assert message in str(caught.value)
    assert caught.value.line == 4


def test_a_figure_naming_nothing_fails_with_the_reason(tmp_path: Path) -> None:
    from parrules.testing import run_cases

    path = _copy_soc_trang(tmp_path)
    text = path.read_text("utf-8") + (
        "  - table: T\n    unit: Xã Vĩnh Thành\n    columns: [points, rank, self]\n"
        '    rows: {"9": [1, null, null], total: [null, 1, 93]}\n'
    )
    path.write_text(text, "utf-8")
    messages = [c.message for c in run_cases(path).checked if c.status == "failed"]
    assert len(messages) == 3
    assert "T: 9, points: published 1: no node '9' scored at stage 'final'" in messages[0]
    assert "T: total, rank: published 1: unknown column 'rank'" in messages[1]
    assert "T: total, self: published 93: score card has no stage 'self'" in messages[2]


def test_the_runner_needs_neither_pytest_nor_hypothesis() -> None:
    """`parrules test` and `parrules.testing`'s cases helpers import and run with pytest and
    hypothesis absent; the helpers that need hypothesis say so."""
    code = (
        "import sys\n"
        "sys.modules['pytest'] = None\n"
        "sys.modules['hypothesis'] = None\n"
        "import parrules.testing as t\n"
        "assert t.run_cases and t.load_cases_file\n"
        "try:\n"
        "    t.check_rule\n"
        "except ImportError as exc:\n"
        "    assert 'pip install' in str(exc), exc\n"
        "else:\n"
        "    raise AssertionError('check_rule without hypothesis')\n"
        "from parrules.cli import main\n"
        "sys.exit(main(['test', 'soc-trang/thanh-tri/commune/2018']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "121 published figure(s): 121 reproduced" in done.stdout


def test_a_ruleset_without_a_cases_file_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from parrules.cli import main

    ruleset = tmp_path / "x.yaml"
    ruleset.write_text((DATA / "mini.yaml").read_text("utf-8"), "utf-8")
    assert main(["test", str(ruleset)]) == 1
    assert "has no cases file" in capsys.readouterr().err
