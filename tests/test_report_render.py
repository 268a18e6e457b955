"""The report model and its renderers: every format shows the same table, the reader's way."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import attrs
import openpyxl
import pytest
from wcwidth import wcswidth

from parrules import ParRulesError, report
from parrules.report import Column, Num, Row, Table

D = Decimal


def sample() -> Table:
    return Table(
        "Bảng điểm",
        "Chỉ số đánh giá CCHC — Xã Bình Thành",
        (
            Column("Mã"),
            Column("Lĩnh vực, tiêu chí", wrap=40),
            Column("Điểm tối đa", "number"),
            Column("Điểm", "number"),
            Column("Tỷ lệ", "percent", places=2),
            Column("Tăng/giảm", "number", places=2, signed=True),
        ),
        (
            Row(
                ("1", "Công tác chỉ đạo, điều hành CCHC", D(10), D("9.0"), D("90"), D("9.99")),
                "field",
            ),
            Row(("1.6", "Sáng kiến & giải pháp | <mới>", D("1.0"), D("0.5"), D(50), D("-12.5"))),
            Row(("1.9", "Hoạt động nâng cao Chỉ số", D("1.5"), D(1), D("66.666"), D(0))),
            Row((None, "Tổng điểm", D(100), Num(D("89.75"), places=2), None, None), "total"),
        ),
        ("Ghi chú: số liệu thử nghiệm",),
    )


@pytest.mark.parametrize(
    ("cell", "column", "lang", "shown"),
    [
        (D("89.75"), Column("x", "number"), "vi", "89,75"),
        (D("89.75"), Column("x", "number"), "en", "89.75"),
        (D("9.50"), Column("x", "number"), "vi", "9,5"),
        (D("60.518518"), Column("x", "percent", places=2), "vi", "60,52%"),
        (D("70.5"), Column("x", "percent"), "vi", "70,50%"),  # a percentage: 2 places
        (D("9.99"), Column("x", "number", places=2, signed=True), "vi", "+9,99"),
        (D("-0.69"), Column("x", "number", places=2, signed=True), "vi", "-0,69"),
        (D("0.001"), Column("x", "number", places=2, signed=True), "vi", "0,00"),  # no sign
        (Num(D("72.134"), "percent", 2), Column("x", "number"), "vi", "72,13%"),
        (7, Column("x", "number"), "vi", "7"),
        ("7.15", Column("x"), "vi", "7.15"),
        (None, Column("x", "number"), "vi", ""),
    ],
)
def test_cells_are_shown_the_readers_way(
    cell: object, column: Column, lang: str, shown: str
) -> None:
    assert report.show(cell, column, lang) == shown  # type: ignore[arg-type]


def test_a_row_of_the_wrong_width_is_refused() -> None:
    with pytest.raises(ValueError, match="row 1 has 1 cells, not 2"):
        Table("t", "t", (Column("a"), Column("b")), (Row(("x",)),))


def test_text_columns_line_up_in_display_cells() -> None:
    out = report.render([sample()], "text")
    assert isinstance(out, str)
    lines = out.splitlines()
    assert lines[0] == "Chỉ số đánh giá CCHC — Xã Bình Thành"
    assert lines[-1] == "Ghi chú: số liệu thử nghiệm"
    body = lines[2:-2]
    assert lines[-2] == ""
    # no line of the table is wider than its heading rule, in display cells
    assert max(wcswidth(line) for line in body) == wcswidth(body[1])
    # a number column is right-aligned: each number ends on the same display column
    rule = next(line for line in body if re.fullmatch(r"-+( +-+)*", line))
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", rule)]
    start, end = spans[3]  # "Điểm"
    for line in body:
        if line.startswith(("---", "Mã")):
            continue
        cell = line[start:end]
        assert cell == cell.rstrip(), line
        assert cell.strip(), line
    # a rule sets the total apart
    total = next(i for i, line in enumerate(body) if "Tổng điểm" in line)
    assert body[total - 1] == rule
    assert "89,75" in body[total]


def test_text_aligns_combining_marks_and_wide_characters() -> None:
    decomposed = "Xa\u0303 Bi\u0300nh Tha\u0300nh"  # NFD: combining marks take no cell
    table = Table(
        "t",
        "t",
        (Column("Đơn vị"), Column("Điểm", "number")),
        (Row((decomposed, D(1))), Row(("Xã Bình Thành", D(2))), Row(("中文", D(3)))),
    )
    lines = report.render([table], "text").splitlines()[2:]  # type: ignore[union-attr]
    assert len({wcswidth(line) for line in lines if line}) == 1


def test_markdown_bolds_field_and_total_rows_and_escapes_pipes() -> None:
    out = report.render([sample()], "markdown")
    assert isinstance(out, str)
    assert out.startswith("### Chỉ số đánh giá CCHC")
    assert "| **1** " in out
    assert "**89,75**" in out
    assert "Sáng kiến &amp; giải pháp \\| &lt;mới&gt;" in out
    assert "- Ghi chú: số liệu thử nghiệm" in out


def test_html_escapes_and_marks_rows() -> None:
    out = report.render([sample()], "html", "en")
    assert isinstance(out, str)
    assert '<html lang="en">' in out
    assert "Sáng kiến &amp; giải pháp | &lt;mới&gt;" in out
    assert '<tr class="field">' in out
    assert '<tr class="total">' in out
    assert "<td class=num>89.75</td>" in out


def test_latex_escapes_specials_and_bolds_totals() -> None:
    out = report.render([sample()], "latex")
    assert isinstance(out, str)
    assert r"\begin{longtable}" in out
    assert r"Sáng kiến \& giải pháp | <mới>" in out
    assert r"\textbf{89,75}" in out
    assert r"90,00\%" in out


def test_csv_reads_back_with_vietnamese_numbers() -> None:
    out = report.render([sample()], "csv")
    assert isinstance(out, str)
    assert out.startswith("\ufeffMã;")  # the BOM, then the headings: no title line
    rows = list(csv.reader(io.StringIO(out[1:]), delimiter=";"))
    assert rows[0][:3] == ["Mã", "Lĩnh vực, tiêu chí", "Điểm tối đa"]
    # each column at one precision: the most its numbers need (10,0 beside 1,5)
    assert rows[1] == ["1", "Công tác chỉ đạo, điều hành CCHC", "10,0", "9,0", "90,00%", "+9,99"]
    assert rows[-1][3] == "89,75"


def test_csv_holds_one_table_and_a_zip_one_file_per_table() -> None:
    with pytest.raises(ParRulesError, match="a CSV file holds one table, not 2"):
        report.render([sample(), sample()], "csv", "en")
    data = report.render([sample(), attrs.evolve(sample(), name="Mất/điểm")], "zip", "en")
    assert isinstance(data, bytes)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["01 Bảng điểm.csv", "02 Mất-điểm.csv"]
        text = archive.read("02 Mất-điểm.csv").decode("utf-8")
    assert text.startswith("\ufeffMã,")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[-1][3] == "89.75"
    assert report.render([sample()], "zip", "en") == report.render([sample()], "zip", "en")


def test_json_tables_use_decimal_points_and_kinds() -> None:
    data = json.loads(report.render([sample()], "json", "vi"))  # type: ignore[arg-type]
    assert data["schema"] == "parrules.tables/1"
    table = data["tables"][0]
    assert table["columns"][4] == {"label": "Tỷ lệ", "kind": "percent"}
    assert table["rows"][0] == {
        "kind": "field",
        "cells": ["1", "Công tác chỉ đạo, điều hành CCHC", "10", "9", "90", "9.99"],
    }
    assert table["rows"][2]["cells"][4] == "66.67"  # rounded as shown
    assert table["rows"][3]["cells"][3] == "89.75"


def test_xlsx_has_real_numbers_formats_bold_rows_and_widths(tmp_path: Path) -> None:
    data = report.render([sample(), sample()], "xlsx")
    assert isinstance(data, bytes)
    path = tmp_path / "f.xlsx"
    path.write_bytes(data)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Bảng điểm", "Bảng điểm (2)"]
    sheet = book["Bảng điểm"]
    assert sheet["A1"].value == "Chỉ số đánh giá CCHC — Xã Bình Thành"
    assert [c.value for c in sheet[3]][:3] == ["Mã", "Lĩnh vực, tiêu chí", "Điểm tối đa"]
    assert sheet["D4"].value == 9
    assert sheet["D4"].font.b
    assert sheet["D5"].value == 0.5
    assert not sheet["D5"].font.b
    assert sheet["E4"].value == 0.9
    assert sheet["E4"].number_format == "0.00%"
    assert sheet["F5"].value == -12.5
    assert sheet["F5"].number_format == "+0.00;-0.00;0.00"
    assert sheet["D7"].value == 89.75
    assert sheet["D7"].number_format == "0.00"
    assert sheet["D7"].font.b
    assert sheet.freeze_panes == "A4"
    assert sheet.column_dimensions["B"].width >= 20
    assert sheet["A9"].value == "Ghi chú: số liệu thử nghiệm"


def test_every_xlsx_data_cell_has_the_style_of_its_row_and_column(tmp_path: Path) -> None:
    """Alignment, wrapping, boldness and number format, cell by cell: each style is set once per
    workbook and given to the cells that have it, whatever table they are in."""
    from parrules.report._xlsx import _cell_value

    tables = [
        sample(),
        attrs.evolve(
            sample(),
            name="b",
            columns=sample().columns[::-1],
            rows=tuple(Row(r.cells[::-1], r.kind) for r in sample().rows),
        ),
    ]
    path = tmp_path / "f.xlsx"
    path.write_bytes(report.render(tables, "xlsx"))  # type: ignore[arg-type]
    book = openpyxl.load_workbook(path)
    seen = set()
    for table, sheet in zip(tables, book.worksheets, strict=True):
        for r, row in enumerate(table.rows, start=4):
            for c, (value, column) in enumerate(zip(row.cells, table.columns, strict=True), 1):
                cell = sheet.cell(row=r, column=c)
                style = (
                    bool(cell.font.b),
                    cell.alignment.horizontal,
                    bool(cell.alignment.wrap_text),
                    cell.alignment.vertical,
                    cell.number_format,
                )
                expected = (
                    row.kind != "normal",
                    "right" if column.kind != "text" else None,
                    bool(column.wrap),
                    "top",
                    _cell_value(value, column)[1] or "General",
                )
                assert style == expected, (table.name, r, c)
                seen.add(style)
    assert len(seen) >= 6


def test_sheet_names_are_valid_and_unique() -> None:
    from parrules.report._xlsx import sheet_name

    taken: set[str] = set()
    names = [sheet_name(n, taken) for n in ("a/b:c", "A/B:C", "x" * 40, "x" * 40)]
    assert names[0] == "a-b-c"
    assert names[1] == "A-B-C (2)"
    assert all(len(n) <= 31 for n in names)
    assert names[2] != names[3]


def test_unknown_format_is_an_error() -> None:
    with pytest.raises(ParRulesError, match="unknown format 'odt'"):
        report.render([sample()], "odt")


def test_write_atomic_leaves_no_half_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.fsync", broken_fsync)
    with pytest.raises(OSError, match="No space"):
        report.write_atomic(target, "new content")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    monkeypatch.undo()
    report.write_atomic(target, "mới")
    assert target.read_text(encoding="utf-8") == "mới"


@pytest.mark.parametrize(("fmt", "magic"), [("png", b"\x89PNG"), ("svg", b"<?xml")])
def test_field_chart_png_and_svg(fmt: str, magic: bytes) -> None:
    import parrules

    here = Path(__file__).parent / "data"
    unit = parrules.load_unit(here / "mini-unit.yaml")
    card = parrules.score(parrules.load_ruleset(here / "mini.yaml"), unit)
    data = report.field_chart([(s.stage, s) for s in card.stages], card.ruleset.title, format=fmt)
    assert data.startswith(magic)
    if fmt == "svg":  # same inputs, same bytes
        assert report.field_chart([("a", card.final)], "t", format="svg") == report.field_chart(
            [("a", card.final)], "t", format="svg"
        )
