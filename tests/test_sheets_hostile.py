"""Hostile spreadsheets: every sheet a unit file's guarantees apply to (duplicates refused, no
value silently dropped or read as empty) and every damaged, oversized or crafted file refused
with one located ``ParRulesError``, in bounded time and memory. Each class has a generator."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import resource
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parrules._grids import SheetLimits, read_grids
from parrules._sheets import read_sheet
from parrules.cli import main
from parrules.errors import DuplicateUnitError, ParRulesError, SheetError, UnitError

RULESET = Path(__file__).parent / "data" / "reports" / "sheet.yaml"
SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


DEFAULTS = {
    "unit": "Xã A",
    "year": "2023",
    "ruleset": str(RULESET),
    "tthc_toan_trinh": "10",
    "tthc_co_ho_so": "5",
    "ty_le_so_hoa": "95%",
    "co_ke_hoach": "có",
    "sang_kien": "cap_tinh",
    "ky_luat": "khien_trach: 1",
    "1.4": "1",
    "2.3": "2",
}
HEADER = list(DEFAULTS)


def values(name: str = "Xã A", **changes: str) -> list[str]:
    return list({**DEFAULTS, "unit": name, **changes}.values())


def csv_file(path: Path, rows: list[list[str]], newline: str = "\r\n") -> Path:
    def quote(value: str) -> str:
        return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\r\n') else value

    lines = [",".join(quote(v) for v in row) for row in [HEADER, *rows]]
    path.write_bytes(("\ufeff" + newline.join(lines) + newline).encode("utf-8"))
    return path


def book_bytes(sheets: list[tuple[str, list[list[object]], str]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows, state in sheets:
        sheet = book.create_sheet(title)
        sheet.sheet_state = state
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_row(name: str = "Xã A") -> list[object]:
    row: list[object] = values(name)
    row[1], row[3], row[4], row[5], row[9], row[10] = 2023, 10, 5, 0.95, 1, 2
    return row


def patch(data: bytes, part: str, change: Callable[[bytes], bytes]) -> bytes:
    """The workbook with one part rewritten (added when missing)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        names = source.namelist()
        for name in names:
            content = source.read(name)
            target.writestr(name, change(content) if name == part else content)
        if part not in names:
            target.writestr(part, change(b""))
    return out.getvalue()


def with_strings(data: bytes) -> bytes:
    """The workbook with a (empty) part of shared texts, as Excel writes one."""
    data = patch(data, "xl/sharedStrings.xml", lambda x: b"<sst/>")
    data = patch(
        data,
        "[Content_Types].xml",
        lambda x: x.replace(
            b"</Types>",
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        ),
    )
    return patch(
        data,
        "xl/_rels/workbook.xml.rels",
        lambda x: x.replace(
            b"</Relationships>",
            b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        ),
    )


BASE = with_strings(book_bytes([("Xã", [HEADER, xlsx_row()], "visible")]))
SHEET = "xl/worksheets/sheet1.xml"


def xlsx(tmp_path: Path, data: bytes, name: str = "xa.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def only_error(path: Path) -> str:
    (row,) = read_sheet(path).rows
    assert row.unit is None
    (error,) = row.errors
    return str(error)


# Duplicate units -------------------------------------------------------------------------------


def test_a_unit_twice_in_a_csv_sheet_is_refused_in_each_row(tmp_path: Path) -> None:
    path = csv_file(tmp_path / "xa.csv", [values("Xã A"), values("Xã B"), values(" xã  A ")])
    first, second, third = read_sheet(path).rows
    assert second.unit is not None
    for row, other in ((first, 4), (third, 2)):
        assert row.unit is None
        (error,) = row.errors
        assert isinstance(error, DuplicateUnitError)
        assert f"row {row.row}, field 'unit'" in str(error)
        assert f"is also in sheet 'xa', row {other}; none of them is scored" in str(error)


def test_a_unit_again_in_a_very_hidden_sheet_is_refused_and_the_sheet_named(
    tmp_path: Path,
) -> None:
    data = book_bytes(
        [("Xã", [HEADER, xlsx_row()], "visible"), ("Ẩn", [HEADER, xlsx_row()], "veryHidden")]
    )
    sheet = read_sheet(xlsx(tmp_path, data))
    assert [r.unit for r in sheet.rows] == [None, None]
    assert "also in sheet 'Ẩn', row 2" in str(sheet.rows[0].errors[0])
    assert sheet.warnings == (
        f"{tmp_path / 'xa.xlsx'}, sheet 'Ẩn' is very hidden: its rows are read too",
    )


def test_rank_leaves_out_a_unit_given_twice_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = csv_file(tmp_path / "xa.csv", [values("Xã A"), values("Xã B"), values("Xã A")])
    assert main(["rank", str(path), "--format", "csv", "--tables", "ranking"]) == 1
    out, err = capsys.readouterr()
    assert "Xã B" in out
    assert "Xã A" not in out
    assert err.count("none of them is scored") == 2


def test_a_unit_in_a_sheet_and_in_a_unit_file_is_refused_in_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = csv_file(tmp_path / "xa.csv", [values("Xã A"), values("Xã B")])
    unit = tmp_path / "a.yaml"
    unit.write_text(
        f"unit: xã a\nyear: 2023\nruleset: {RULESET}\n"
        "indicators: {tthc_toan_trinh: 10, tthc_co_ho_so: 5, ty_le_so_hoa: 0.95, "
        "co_ke_hoach: true, sang_kien: cap_tinh, ky_luat: {khien_trach: 1}}\n"
        "points: {'1.4': 1, '2.3': 2}\n",
        encoding="utf-8",
    )
    assert main(["score", str(sheet), str(unit), "--format", "json"]) == 1
    out, err = capsys.readouterr()
    assert '"unit": "Xã B"' in out
    assert "Xã A" not in out
    assert (
        f"{unit}, field 'unit': the unit 'xã a' (2023) is also in {sheet}, sheet 'xa', row 2" in err
    )


@pytest.mark.parametrize("kind", ["text", "json", "jsonl", "xlsx"])
def test_a_sheet_error_names_the_sheet_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    sheet = csv_file(tmp_path / "xa.csv", [values("Xã A"), values("Xã A"), values("Xã B")])
    assert main(["score", str(sheet), "--format", kind, "-o", str(tmp_path / "out")]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    for line in lines:
        assert line.startswith(f"parrules: {sheet}, sheet 'xa', row ")
        assert line.count(str(sheet)) == 1


@given(
    st.lists(
        st.sampled_from(["Xã A", "xã a", "Xã  A", "Xã B", "XÃ B", "Xã C", "Xã Ca"]),
        min_size=1,
        max_size=8,
    )
)
@SETTINGS
def test_generated_sheets_score_each_unit_at_most_once(tmp_path: Path, names: list[str]) -> None:
    path = csv_file(tmp_path / "gen.csv", [values(n) for n in names])
    rows = read_sheet(path).rows
    key = [" ".join(n.split()).casefold() for n in names]
    for row, k in zip(rows, key, strict=True):
        assert (row.unit is not None) == (key.count(k) == 1), (names, row)


# Values that must not be read as empty or silently changed ---------------------------------------


def test_a_formula_saved_without_its_value_is_refused_with_its_cell(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(io.BytesIO(BASE))
    book.active["F2"] = "=0.5+0.45"  # openpyxl saves formulas without computing them
    buffer = io.BytesIO()
    book.save(buffer)
    message = only_error(xlsx(tmp_path, buffer.getvalue()))
    assert message.startswith(
        f"{tmp_path / 'xa.xlsx'}, sheet 'Xã', row 2, column F (ty_le_so_hoa): the formula "
        "=0.5+0.45 was saved without its value (open the file in Excel or LibreOffice and save it"
    )


def test_a_formula_is_read_as_the_value_saved_with_it(tmp_path: Path) -> None:
    data = patch(
        BASE,
        SHEET,
        lambda x: x.replace(
            b'<c r="F2" t="n"><v>0.95</v></c>', b'<c r="F2"><f>D2/10</f><v>0.95</v></c>'
        ),
    )
    assert b"<f>D2/10</f>" in zipfile.ZipFile(io.BytesIO(data)).read(SHEET)
    (row,) = read_sheet(xlsx(tmp_path, data)).rows
    assert row.unit is not None
    assert row.unit.stage().indicators["ty_le_so_hoa"] == Decimal("0.95")


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (b'<c r="F2" t="e"><f>1/0</f><v>#DIV/0!</v></c>', "the cell shows the error #DIV/0!"),
        (
            b'<c r="F2" t="s"><v>99</v></c>',
            "the cell refers to shared text 99, which the file lacks",
        ),
        (b'<c r="F2" t="b"><v>2</v></c>', "'2' is not a true/false value"),
        (b'<c r="F2"><v>NaN</v></c>', "'NaN' is not a finite number"),
        (b'<c r="F2" t="zz"><v>1</v></c>', "the cell has an unknown type 'zz'"),
        (
            '<c r="F2" t="s"><v>²</v></c>'.encode(),
            "the cell refers to shared text ², which the file lacks",
        ),
    ],
)
def test_a_cell_without_a_usable_value_is_refused_where_it_is_read(
    tmp_path: Path, cell: bytes, message: str
) -> None:
    data = patch(BASE, SHEET, lambda x: x.replace(b'<c r="F2" t="n"><v>0.95</v></c>', cell))
    error = only_error(xlsx(tmp_path, data))
    assert "sheet 'Xã', row 2, column F (ty_le_so_hoa): " + message in error


def test_a_repeated_event_kind_in_one_cell_is_refused(tmp_path: Path) -> None:
    path = csv_file(tmp_path / "xa.csv", [values(ky_luat="khien_trach: 1; khien_trach: 3")])
    assert only_error(path).endswith(
        "row 2, column I (ky_luat): 'khien_trach' is given twice in the cell"
    )


@given(
    st.dictionaries(
        st.sampled_from(["khien_trach", "cach_chuc", "canh_cao"]),
        st.integers(0, 9),
        min_size=1,
    ),
    st.sampled_from([":", "=", " : ", ":  "]),
    st.sampled_from([";", " ; ", ";;"]),
    st.booleans(),
)
@SETTINGS
def test_generated_event_cells_read_back_or_refuse_a_repeat(
    tmp_path: Path, events: dict[str, int], colon: str, semicolon: str, repeat: bool
) -> None:
    parts = [f"{k}{colon}{v}" for k, v in events.items()]
    if repeat:
        parts.append(parts[0])
    path = csv_file(tmp_path / "ev.csv", [values(ky_luat=semicolon.join(parts))])
    (row,) = read_sheet(path).rows
    if repeat:
        assert "given twice in the cell" in str(row.errors[0])
    else:
        assert row.unit is not None
        assert row.unit.stage().indicators["ky_luat"] == events


# Damaged and crafted files: one located error each -----------------------------------------------


@pytest.mark.parametrize(
    ("newline", "name"),
    [("\r", "excel-for-mac"), ("\n", "unix"), ("\r\n", "windows")],
)
def test_csv_with_any_line_ending_is_read(tmp_path: Path, newline: str, name: str) -> None:
    path = csv_file(tmp_path / f"{name}.csv", [values("Xã A"), values("Xã B")], newline)
    assert [r.unit.unit for r in read_sheet(path).rows if r.unit] == ["Xã A", "Xã B"]


@given(st.lists(st.sampled_from(["\r", "\n", "\r\n"]), min_size=3, max_size=3))
@SETTINGS
def test_generated_mixed_line_endings_give_the_same_rows(
    tmp_path: Path, endings: list[str]
) -> None:
    lines = [",".join(HEADER), ",".join(values("Xã A")), ",".join(values('Xã "B" mới'))]
    path = tmp_path / "mixed.csv"
    path.write_text("".join(line + end for line, end in zip(lines, endings, strict=True)), "utf-8")
    rows = read_sheet(path).rows
    assert [r.unit.unit for r in rows if r.unit] == ["Xã A", 'Xã "B" mới']


@pytest.mark.parametrize("length", [40_000, 129 * 1024, 300_000])
def test_a_csv_cell_longer_than_a_spreadsheet_cell_is_refused_with_its_row(
    tmp_path: Path, length: int
) -> None:
    path = csv_file(tmp_path / "xa.csv", [values("Xã A"), values("A" * length)])
    with pytest.raises(SheetError) as caught:
        read_sheet(path)
    assert str(caught.value).startswith(f"{path}, sheet 'xa', row 3")
    assert "a cell is longer than 32,767 characters" in str(caught.value)


@given(st.integers(0, 64))
@SETTINGS
def test_generated_cells_at_the_length_limit(tmp_path: Path, extra: int) -> None:
    limits = SheetLimits(max_cell_chars=100)
    path = csv_file(tmp_path / "long.csv", [values("Xã A", ky_luat="x" * (68 + extra))])
    if 68 + extra > 100:
        with pytest.raises(SheetError, match="longer than 100 characters"):
            list(read_grids(path, limits))
    else:
        assert len(next(iter(read_grids(path, limits))).rows) == 2


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x9b", "\ufffe"])
def test_a_control_character_in_a_cell_is_refused_as_in_a_unit_file(
    tmp_path: Path, character: str
) -> None:
    path = csv_file(tmp_path / "xa.csv", [values(f"Xã{character}A")])
    assert only_error(path).endswith(
        f"row 2, column A (unit): the character U+{ord(character):04X} is not allowed "
        "(remove control characters from the cell)"
    )


def test_a_csv_with_headings_only_is_refused_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = csv_file(tmp_path / "xa.csv", [])
    with pytest.raises(UnitError, match="has headings but no row of units"):
        read_sheet(path)
    assert main(["score", str(path)]) == 1
    assert "has headings but no row of units" in capsys.readouterr().err


CRAFTED = {
    "corrupt": (
        SHEET,
        lambda x: x[: x.index(b'<c r="B2"') + 4],
        "is not well-formed XML (unclosed token",
    ),
    "zzzz2": (
        SHEET,
        lambda x: x.replace(b'r="A2"', b'r="ZZZZ2"'),
        "row 2: the cell reference 'ZZZZ2' is not one of a sheet (A1 to XFD1048576)",
    ),
    "row-0": (SHEET, lambda x: x.replace(b'<row r="2"', b'<row r="0"'), "the row number '0'"),
    "row-superscript": (
        SHEET,
        lambda x: x.replace(b'<row r="2"', '<row r="²"'.encode()),
        "sheet 'Xã': the row number '²' is not one of a sheet",
    ),
    "doctype": (
        SHEET,
        lambda x: b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "X B">]>' + x,
        "declares a DOCTYPE or an entity",
    ),
    "doctype-in-strings": (
        "xl/sharedStrings.xml",
        lambda x: b'<!DOCTYPE sst [<!ENTITY a "a">]><sst><si><t>&a;</t></si></sst>',
        "declares a DOCTYPE or an entity",
    ),
    "external-entity": (
        "xl/workbook.xml",
        lambda x: b'<!DOCTYPE w [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + x,
        "declares a DOCTYPE or an entity",
    ),
    "undeclared-entity": (
        SHEET,
        lambda x: x.replace(b"<t>unit</t>", b"<t>&e;</t>"),
        "undefined entity",
    ),
    "twice": (
        SHEET,
        lambda x: x.replace(
            b'<c r="B2"', b'<c r="A2" t="inlineStr"><is><t>X</t></is></c><c r="B2"'
        ),
        "the cell A2 is written twice",
    ),
    "no-workbook": ("xl/workbook.xml", lambda x: b"", "not well-formed XML (no element found"),
}


@pytest.mark.parametrize("case", sorted(CRAFTED))
def test_a_crafted_workbook_is_one_located_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    part, change, message = CRAFTED[case]
    path = xlsx(tmp_path, patch(BASE, part, change))
    with pytest.raises(UnitError) as caught:
        read_sheet(path)
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(path))
    assert main(["score", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err
    assert "internal error" not in err


def test_a_file_that_is_not_a_zip_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(UnitError, match=r"not an XLSX workbook.*password-protected"):
        read_sheet(xlsx(tmp_path, b"\xd0\xcf\x11\xe0 an old .xls or an encrypted workbook"))


@given(st.data())
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_generated_damage_to_a_sheet_is_read_or_refused_never_a_crash(
    tmp_path: Path, data: st.DataObject
) -> None:
    xml = zipfile.ZipFile(io.BytesIO(BASE)).read(SHEET)
    start = data.draw(st.integers(0, len(xml)))
    end = data.draw(st.integers(start, min(len(xml), start + 40)))
    junk = data.draw(
        st.sampled_from([b"", b"<", b">", b"&", b'"', b"<c/>", b"\x00", b"\xff", b"]]>"])
    )
    path = xlsx(tmp_path, patch(BASE, SHEET, lambda x: x[:start] + junk + x[end:]), "gen.xlsx")
    with contextlib.suppress(ParRulesError):
        read_sheet(path)


# Bounds: size, rows, cells, decompressed XML --------------------------------------------------


def test_limits_on_rows_cells_and_size_are_located_errors(tmp_path: Path) -> None:
    path = csv_file(tmp_path / "xa.csv", [values(f"Xã {i}") for i in range(5)])
    with pytest.raises(SheetError, match=r"sheet 'xa', row 4: more than 3 rows hold a value"):
        list(read_grids(path, SheetLimits(max_rows=3)))
    with pytest.raises(SheetError, match=r"row 2: more than 20 cells hold a value"):
        list(read_grids(path, SheetLimits(max_cells=20)))
    with pytest.raises(UnitError, match="larger than the limit of 100 bytes"):
        list(read_grids(path, SheetLimits(max_bytes=100)))
    book = xlsx(
        tmp_path,
        book_bytes([("Xã", [HEADER] + [xlsx_row(f"Xã {i}") for i in range(5)], "visible")]),
    )
    with pytest.raises(SheetError, match=r"sheet 'Xã', row 4: more than 3 rows"):
        list(read_grids(book, SheetLimits(max_rows=3)))
    with pytest.raises(UnitError, match="decompresses to more than 2,000 bytes of XML"):
        list(read_grids(book, SheetLimits(max_xml_bytes=2_000)))


@given(rows=st.integers(1024, 3000))
@settings(SETTINGS, max_examples=5)
def test_reading_a_sheet_is_bounded_in_time(tmp_path: Path, rows: int) -> None:
    """Processor time, checked every 1,024 CSV rows and every 64 KiB of XML."""
    path = csv_file(tmp_path / "xa.csv", [values(f"Xã {i}") for i in range(rows)])
    with pytest.raises(SheetError, match=r"sheet 'xa', row 1024: reading the file took more"):
        list(read_grids(path, SheetLimits(max_seconds=0)))
    assert len(next(read_grids(path, SheetLimits())).rows) == rows + 1
    book = xlsx(tmp_path, book_bytes([("Xã", [HEADER, xlsx_row()], "visible")]))
    with pytest.raises(UnitError, match="more than 0 s of processor time"):
        list(read_grids(book, SheetLimits(max_seconds=0)))


def test_a_zip_of_many_parts_is_refused_before_it_is_listed(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(10_001):
            archive.writestr(f"{index}", b"")
    with pytest.raises(UnitError, match="too many parts"):
        read_sheet(xlsx(tmp_path, buffer.getvalue()))


BOMBS = textwrap.dedent(
    r"""
    import io, sys, zipfile
    from pathlib import Path
    from parrules._sheets import read_sheet
    from parrules.errors import ParRulesError

    base = Path(sys.argv[1]).read_bytes()
    folder = Path(sys.argv[2])

    def patched(name, part, change):
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(
            out, "w", zipfile.ZIP_DEFLATED, compresslevel=9
        ) as target:
            for info in source.infolist():
                data = source.read(info.filename)
                if info.filename == part:
                    with target.open(info.filename, "w") as stream:
                        change(data, stream)
                else:
                    target.writestr(info.filename, data)
        path = folder / name
        path.write_bytes(out.getvalue())
        return path

    def far_cell(data, stream):  # a declared A1:XFD30002 and a cell there
        data = data.replace(b'<dimension ref="A1:K2"/>', b'<dimension ref="A1:XFD30002"/>')
        end = b'<row r="30002"><c r="XFD30002"><v>1</v></c></row></sheetData>'
        stream.write(data.replace(b"</sheetData>", end))

    def many_strings(data, stream):  # 100 KB of zip, 3 million short texts
        stream.write(b"<sst>")
        for block in range(300):
            stream.write(b"<si><t>ab</t></si>" * 10_000)
        stream.write(b"</sst>")

    def long_strings(data, stream):  # the decompressed bound, in texts at the cell limit
        text = b"<si><t>" + b"A" * 32_767 + b"</t></si>"
        stream.write(b"<sst>" + text * 5_000 + b"</sst>")

    def long_cell(data, stream):  # one text of 40 MB
        stream.write(b"<sst><si><t>")
        for _ in range(40):
            stream.write(b"A" * 1_000_000)
        stream.write(b"</t></si></sst>")

    events = folder / "events.csv"  # the old parser took over a minute on this cell
    events.write_text(
        "unit,ruleset,ky_luat\nXã A," + sys.argv[3] + "," + " " * 2000 + "x" + " " * 2000 + "\n"
    )
    cases = {
        "events": events,
        "far-cell": patched("far.xlsx", "xl/worksheets/sheet1.xml", far_cell),
        "many-strings": patched("strings.xlsx", "xl/sharedStrings.xml", many_strings),
        "long-strings": patched("long.xlsx", "xl/sharedStrings.xml", long_strings),
        "long-cell": patched("cell.xlsx", "xl/sharedStrings.xml", long_cell),
    }
    for name, path in cases.items():
        print(name, path.stat().st_size, end=" ")
        try:
            sheet = read_sheet(path)
            print("read", [str(e) for r in sheet.rows for e in r.errors])
        except ParRulesError as exc:
            print("refused", exc)
    """
)


def test_bombs_are_refused_within_a_memory_cap(tmp_path: Path) -> None:
    """Each bomb, read in a process that may use at most 1 GiB and 60 s of CPU (a resource bound,
    not a timing test), is refused with a message or read as the cells it really has. Before
    the sheet reader was bounded, the far cell took 2 GB, the short texts 1,8 GB and the events
    cell over a minute."""
    (tmp_path / "base.xlsx").write_bytes(BASE)

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        resource.setrlimit(resource.RLIMIT_CPU, (60, 60))

    done = subprocess.run(
        [sys.executable, "-c", BOMBS, str(tmp_path / "base.xlsx"), str(tmp_path), str(RULESET)],
        capture_output=True,
        text=True,
        preexec_fn=cap,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert "'x' is not 'kind: number'" in lines["events"]
    assert "read" in lines["far-cell"]
    assert "row 30002, column A (unit): the unit's name is empty" in lines["far-cell"]
    assert "refused" in lines["many-strings"]
    assert "more than 2,000,000 shared texts" in lines["many-strings"]
    assert int(lines["many-strings"].split()[0]) < 400_000
    assert "decompresses to more than 134,217,728 bytes" in lines["long-strings"]
    assert "a cell is longer than 32,767 characters" in lines["long-cell"]


cell_values = st.one_of(
    st.integers(-(10**12), 10**12),
    # Numbers of at most 15 significant digits, as typed in a spreadsheet: openpyxl writes 16,
    # so a float needing 17 would be rounded twice on its way back and read one digit off.
    st.floats(allow_nan=False, allow_infinity=False, width=64, min_value=-1e15, max_value=1e15).map(
        lambda f: float(format(f, ".15g"))
    ),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)).map(
        lambda d: d.replace(microsecond=0)
    ),
    st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
        min_size=1,
        max_size=30,
    ).filter(lambda t: t.strip() and not t.startswith("=")),
)


@given(st.lists(st.lists(st.one_of(st.none(), cell_values), max_size=6), max_size=6))
@SETTINGS
def test_generated_workbooks_read_back_as_written(tmp_path: Path, grid: list[list[object]]) -> None:
    """The reader gives what openpyxl wrote: numbers as the 15 digits a spreadsheet shows,
    date cells as dates, texts and booleans as they are, empty cells left out."""
    path = xlsx(tmp_path, book_bytes([("Gen", grid, "visible")]), "gen.xlsx")
    (read,) = read_grids(path, SheetLimits())
    expected = {}
    for number, row in enumerate(grid, start=1):
        cells = {}
        for column, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, float | int) and not isinstance(value, bool):
                value = Decimal(format(float(value), ".15g"))
            cells[column] = value
        if cells:
            expected[number] = cells
    assert dict(read.rows) == expected


def test_a_sheet_of_many_unknown_columns_names_a_few_and_counts_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    header = ["unit", "ruleset", *(f"cột {i}" for i in range(16_000))]
    path.write_text(",".join(header) + f"\nXã A,{RULESET}\n", encoding="utf-8")
    (warning,) = read_sheet(path).warnings
    assert warning.endswith("U (cột 18), V (cột 19) and 15,980 more")
    path.write_text(",".join([*header, *("x" * 400)]) + "\n", encoding="utf-8")
    with pytest.raises(SheetError, match="row 1: more than 16,384 columns"):
        read_sheet(path)
