"""The command line: every command, format and error path, through ``parrules.cli.main``."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest

import parrules
from parrules import cli

DATA = Path(__file__).parent / "data"
MINI = str(DATA / "mini-unit.yaml")
REPORTS = DATA / "reports"
COMMUNES = sorted(str(p) for p in (REPORTS / "communes").glob("*-*.yaml"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def unit_name(path: str) -> str:
    return parrules.load_unit(path).unit


def test_score_prints_the_card_then_the_register(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "score", MINI)
    assert (code, err) == (0, "")
    card = out.index("Chỉ số đánh giá CCHC — Huyện Thử Nghiệm")
    register = out.index("Tổng hợp các nội dung bị mất điểm — Huyện Thử Nghiệm")
    assert card < register
    assert "7,47" in out
    assert "Số liệu và cách tính" not in out


def test_explain_adds_inputs_and_formulas_after_the_register(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "explain", MINI)
    assert code == 0
    register = out.index("Tổng hợp các nội dung bị mất điểm")
    details = out.index("Số liệu và cách tính các điểm bị trừ")
    assert register < details
    assert "10/46 = 21,74% × 1 = 0,2174" in out[details:]


def test_english_labels_and_decimal_points(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "score", MINI, "--lang", "en", "--stage", "self")
    assert code == 0
    assert "Lost points — Huyện Thử Nghiệm (Self-assessment)" in out
    assert "7.97" in out
    assert "7,97" not in out


@pytest.mark.parametrize(
    ("fmt", "marker"),
    [
        ("markdown", "### Chỉ số đánh giá CCHC"),
        ("html", "<!DOCTYPE html>"),
        ("latex", r"\begin{longtable}"),
        ("csv", "\ufeffSTT;Mã;"),
    ],
)
def test_text_formats(capsys: pytest.CaptureFixture[str], fmt: str, marker: str) -> None:
    code, out, _ = run(capsys, "score", MINI, "--format", fmt, "--tables", "card")
    assert code == 0
    assert marker in out


def test_json_is_the_score_card_and_a_list_of_them_for_several(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "score", MINI, "--format", "json", "--stage", "appraisal")
    data = json.loads(out)
    assert code == 0
    assert data["schema"] == "parrules.scorecard/2"
    assert [s["stage"] for s in data["stages"]] == ["appraisal"]
    code, out, _ = run(capsys, "score", MINI, COMMUNES[0], "--format", "json")
    assert [card["unit"] for card in json.loads(out)] == ["Huyện Thử Nghiệm", "Xã An Bình"]
    assert out.endswith("]\n")


def test_json_lines_give_one_card_per_line_as_scored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "explain", MINI, *COMMUNES, "--format", "jsonl", "--lang", "en")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    cards = [json.loads(line) for line in lines]
    assert [c["unit"] for c in cards] == ["Huyện Thử Nghiệm", *(unit_name(u) for u in COMMUNES)]
    code, whole, _ = run(capsys, "explain", MINI, *COMMUNES, "--format", "json", "--lang", "en")
    assert cards == json.loads(whole)
    target = tmp_path / "cards.jsonl"
    code, out, err = run(capsys, "score", MINI, COMMUNES[0], "-o", str(target), "--stage", "final")
    assert (code, out, err) == (0, "", "")
    written = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [[s["stage"] for s in c["stages"]] for c in written] == [["final"], ["final"]]


def test_json_lines_report_a_bad_or_repeated_unit_and_go_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("unit: [\n", encoding="utf-8")
    args = ("score", COMMUNES[0], str(bad), COMMUNES[1], COMMUNES[0], "--format", "jsonl")
    code, out, err = run(capsys, *args)
    assert code == 1
    assert [json.loads(line)["unit"] for line in out.splitlines()] == [
        unit_name(COMMUNES[0]),
        unit_name(COMMUNES[1]),
    ]
    first, second = err.splitlines()
    assert first.startswith(f"parrules: {bad}:")
    assert second == (
        f"parrules: {COMMUNES[0]}, field 'unit': the unit '{unit_name(COMMUNES[0])}' (2023) is "
        f"already in {COMMUNES[0]}; this one is not scored (keep one file per unit)"
    )


def test_json_lines_are_only_for_score_cards(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "score", MINI, "--format", "jsonl", "--tables", "card")
    assert (code, err) == (1, "parrules: --tables cannot be given with --format jsonl\n")
    code, _, err = run(capsys, "rank", *COMMUNES, "-o", "ranking.jsonl")
    assert code == 1
    assert "cannot write jsonl; give --format" in err
    assert not Path("ranking.jsonl").exists()


def test_output_format_follows_the_suffix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "f.xlsx"
    code, out, err = run(capsys, "explain", MINI, "--output", str(target))
    assert (code, out, err) == (0, "", "")
    book = openpyxl.load_workbook(target)
    assert book.sheetnames == ["Bảng điểm", "Mất điểm", "Chi tiết"]
    register = book["Mất điểm"]
    assert register["E4"].value == 0.5  # a number, not text
    assert register["E9"].value == pytest.approx(2.5326)
    assert register["C9"].value == "Tổng cộng"
    assert register["C9"].font.b
    md = tmp_path / "f.md"
    assert run(capsys, "score", MINI, "-o", str(md))[0] == 0
    assert md.read_text(encoding="utf-8").startswith("### ")


def test_several_units_to_xlsx_name_their_sheets_and_repeat_byte_for_byte(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    for target in (first, second):
        assert run(capsys, "score", MINI, COMMUNES[0], "-o", str(target))[0] == 0
    assert openpyxl.load_workbook(first).sheetnames == [
        "Huyện Thử Nghiệm - Bảng điểm",
        "Huyện Thử Nghiệm - Mất điểm",
        "Xã An Bình - Bảng điểm",
        "Xã An Bình - Mất điểm",
    ]
    assert first.read_bytes() == second.read_bytes()
    # no time of saving in the file: every zip entry and the document properties carry one date
    with zipfile.ZipFile(first) as book:
        assert {i.date_time for i in book.infolist()} == {(2000, 1, 1, 0, 0, 0)}
        assert b"2000-01-01T00:00:00Z" in book.read("docProps/core.xml")


def test_tables_option_picks_tables(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "score", MINI, "--tables", "departments,stages")
    assert code == 0
    assert out.index("Các tiêu chí đạt chuẩn") < out.index("Điểm thay đổi giữa các bước chấm")
    assert "Chỉ số đánh giá CCHC" not in out
    code, _, err = run(capsys, "score", MINI, "--tables", "card,nope")
    assert code == 1
    assert (
        err == "parrules: --tables: unknown table(s) nope (one of: card, register, details, "
        "assumptions, departments, stages, goals, trend)\n"
    )


def test_goals_and_trend_tables(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "score", str(REPORTS / "yearly-unit.yaml"), "--tables", "goals,trend"
    )
    assert code == 0
    assert "Không đủ dữ liệu" in out
    assert "Năm 2018" in out


def test_an_error_is_one_line_and_the_rest_is_still_done(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "score", "missing.yaml", MINI)
    assert code == 1
    assert "Huyện Thử Nghiệm" in out
    assert err.count("\n") == 1
    assert err.startswith("parrules: missing.yaml: cannot read the file")
    assert "Traceback" not in err


def test_appraised_points_left_out_are_named_once_with_where_to_give_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unit = (DATA / "mini-unit.yaml").read_text("utf-8").split("points:")[0]
    path = tmp_path / "thieu.yaml"
    path.write_text(unit.replace("ruleset: mini.yaml", f"ruleset: {DATA / 'mini.yaml'}"), "utf-8")
    small = tmp_path / "nho.yaml"  # no documents, which a CSV file cannot hold
    small.write_text(
        "id: test/nho/2023\ntitle: Nhỏ\nyear: 2023\nmax: 2\n"
        "indicators: {co: {label: Có kế hoạch, type: bool}}\n"
        "nodes:\n  - {code: '1', title: Kế hoạch, max: 1, rule: check, params: {all_of: [co]}}\n"
        "  - {code: '2', title: Trang thông tin, max: 1}\n",
        "utf-8",
    )
    sheet = tmp_path / "thieu.csv"
    sheet.write_text(f"unit;ruleset;co;2\nXã B;{small};có;\n", "utf-8")
    for given, where in ((path, str(path)), (sheet, f"{sheet}, sheet 'thieu', row 2")):
        code, _, err = run(capsys, "score", str(given))
        assert code == 1
        assert err.startswith(f"parrules: {where}: stage 'final' gives no points for the")
        assert err.count(str(given)) == 1
    assert "in their columns of a sheet" in err


def test_debug_shows_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--debug", "template", "no/such/ruleset")
    assert code == 1
    assert "Traceback" in err
    assert err.rstrip().endswith("(give an installed ruleset id (parrules rulesets) or a path)")
    code, _, err = run(capsys, "template", "no/such/ruleset")
    assert "Traceback" not in err
    assert err.count("\n") == 1


def test_an_internal_error_is_one_line_without_debug(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli.report, "render", broken)
    code, _, err = run(capsys, "score", MINI)
    assert code == 1
    assert (
        err == "parrules: internal error: RuntimeError: boom (run with --debug for the traceback)\n"
    )
    with pytest.raises(RuntimeError, match="boom"):
        cli.main(["score", MINI, "--debug"])


def test_output_is_written_atomically(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "no-such-dir" / "f.txt"
    code, _, err = run(capsys, "score", MINI, "-o", str(target))
    assert code == 1
    assert err.startswith("parrules: ")
    assert err.count("\n") == 1
    assert not target.parent.exists()


def test_a_stage_some_units_lack_is_an_error_for_them(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "rank", MINI, "--stage", "self")
    assert code == 0
    code, out, err = run(capsys, "rank", *COMMUNES, "--stage", "self")
    assert code == 1
    assert err.count("\n") == len(COMMUNES)
    assert "has no stage 'self'" in err
    assert out == ""


def test_rank_prints_ranks_average_and_counts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "rank", *COMMUNES)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    ranks = [line.split()[0] for line in lines if line.strip().startswith(("1 ", "2 ", "4 ", "5 "))]
    assert ranks == ["1", "2", "2", "4", "5", "5"]
    assert "Tỷ lệ %" in out
    assert "Số đơn vị theo xếp loại" in out
    code, out, _ = run(capsys, "rank", *COMMUNES, "--method", "dense", "--format", "json")
    assert [u["rank"] for u in json.loads(out)["units"]] == [1, 2, 2, 3, 4, 4]


def test_rank_of_a_ruleset_without_classes_shows_no_class(
    capsys: pytest.CaptureFixture[str],
) -> None:
    dak_po = str(Path(__file__).parents[1] / "examples" / "gia-lai" / "dak-po-2020.yaml")
    code, out, err = run(capsys, "rank", dak_po)
    assert (code, err) == (0, "")
    assert "Huyện Đak Pơ" in out
    assert "Xếp loại" not in out  # neither a class column nor a table of units per class
    code, out, err = run(capsys, "rank", dak_po, "--tables", "classes")
    assert (code, out) == (2, "")
    assert "has no classes" in err


def test_rank_of_different_rulesets_fails(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "rank", MINI, *COMMUNES)
    assert code == 1
    assert "cannot rank units of different rulesets" in err
    assert out == ""


def test_compare_two_years_with_a_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chart = tmp_path / "c.svg"
    code, out, err = run(
        capsys,
        "compare",
        str(REPORTS / "district-2023.yaml"),  # order does not matter: by year
        str(REPORTS / "district-2022.yaml"),
        "--chart",
        str(chart),
    )
    assert (code, err) == (0, "")
    # seed 001, "Biểu so sánh Chỉ số cải cách hành chính": 81,25% → 68,75%, -12,5
    assert any(
        "81,25%" in line and "68,75%" in line and "-12,5" in line for line in out.splitlines()
    )
    assert chart.read_bytes().startswith(b"<?xml")
    code, _, err = run(
        capsys, "compare", MINI, str(REPORTS / "district-2022.yaml"), "--chart", "x.gif"
    )
    assert code == 1
    assert "name a .png or .svg file" in err


def test_compare_shows_nodes_of_one_year(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "compare",
        str(REPORTS / "changed-a.yaml"),
        str(REPORTS / "changed-b.yaml"),
        "--depth",
        "2",
        "--format",
        "json",
    )
    assert code == 0
    tables = json.loads(out)["tables"]
    rows = {r["cells"][0]: r["cells"] for r in tables[1]["rows"]}
    assert rows["1.2"] == ["1.2", "Kiểm tra CCHC", "50", None, "chỉ có ở Năm 2022"]


def test_template_to_a_file_and_to_stdout(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    target = tmp_path / "mau.xlsx"
    assert cli.main(["template", str(REPORTS / "sheet.yaml"), "--output", str(target)]) == 0
    assert openpyxl.load_workbook(target).sheetnames == ["Đơn vị", "Hướng dẫn"]
    assert cli.main(["template", str(REPORTS / "sheet.yaml"), "--format", "csv"]) == 0
    out = capsysbinary.readouterr().out.decode("utf-8")
    assert out.startswith("\ufeffĐơn vị;Năm;Bộ chỉ số;")
    assert cli.main(["template", str(REPORTS / "sheet.yaml")]) == 0
    assert capsysbinary.readouterr().out.startswith(b"PK")  # a piped workbook


def test_binary_output_to_a_terminal_is_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    code, out, err = run(capsys, "score", MINI, "--format", "xlsx")
    assert code == 1
    assert err == "parrules: this format is binary: give --output FILE\n"
    assert out == ""


def test_a_sheet_batch_scores_good_rows_and_names_bad_cells(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = tmp_path / "xa.csv"
    sheet.write_text(
        "Đơn vị,Năm,Bộ chỉ số,1,2,3,Lý do 1,Lý do 2,Lý do 3\n"
        f"Xã Một,2023,{REPORTS / 'communes' / 'commune.yaml'},40,30,30,,,\n"
        f"Xã Hai,2023,{REPORTS / 'communes' / 'commune.yaml'},41,30,30,,,\n"
        f"Xã Ba,2023,{REPORTS / 'communes' / 'commune.yaml'},30,30,29,Thiếu,,Thiếu\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "rank", str(sheet))
    assert code == 1
    assert err == (f"parrules: {sheet}, sheet 'xa', row 3, column D (1): 41 is outside 0–40\n")
    assert "Xã Một" in out
    assert "Xã Ba" in out
    assert "Xã Hai" not in out


def test_rules_and_rulesets_still_work(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rules")
    assert code == 0
    assert "ratio" in out
    assert run(capsys, "rulesets")[0] == 0


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal_after_the_delay() -> None:
    terminal = FakeTerminal()
    progress = cli.Progress(4, terminal, delay=0)
    for _ in range(4):
        progress.step()
    progress.close()
    assert "[" + "#" * 7 in terminal.getvalue()
    assert terminal.getvalue().endswith("\r")
    quiet = FakeTerminal()
    slow = cli.Progress(4, quiet, delay=60)
    slow.step()
    slow.close()
    assert quiet.getvalue() == ""
    pipe = io.StringIO()
    piped = cli.Progress(4, pipe, delay=0)
    piped.step()
    piped.close()
    assert pipe.getvalue() == ""
