"""Spreadsheet batches (CSV, XLSX): one unit per row, every unreadable cell named; templates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

import parrules
from parrules._sheets import (
    SheetError,
    SheetRow,
    column_letter,
    read_sheet,
    template,
    template_columns,
)
from parrules.errors import UnitError

RULESET = Path(__file__).parent / "data" / "reports" / "sheet.yaml"

HEADER = [
    "Đơn vị",
    "Năm",
    "Bộ chỉ số",
    "Số TTHC toàn trình (thủ tục)",  # label with unit
    "tthc_co_ho_so",  # name
    "Tỷ lệ số hóa hồ sơ",  # label without unit
    "Có kế hoạch CCHC",
    "Cấp sáng kiến",
    "Kỷ luật cán bộ",
    "1.4",  # code
    "2.3. Trang thông tin điện tử (tối đa 2)",  # code and title, as the template writes it
    "Lý do 2.3",
]


def write_csv(path: Path, rows: list[list[str]], delimiter: str = ",") -> Path:
    def quote(value: str) -> str:
        return f'"{value}"' if any(c in value for c in ',;"') else value

    lines = [delimiter.join(quote(v) for v in row) for row in [HEADER, *rows]]
    path.write_text("\ufeff" + "\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def row(**changes: str) -> list[str]:
    values = {
        "unit": "Xã Bình Thành",
        "year": "2023",
        "ruleset": str(RULESET),
        "toan_trinh": "42",
        "co_ho_so": "4",
        "so_hoa": "78,8%",
        "ke_hoach": "có",
        "sang_kien": "cap_huyen",
        "ky_luat": "khien_trach: 1; cach_chuc: 0",
        "p14": "1",
        "p23": "1,5",
        "r23": "Chưa cập nhật thông tin",
    }
    values.update(changes)
    return list(values.values())


def rows_of(path: Path) -> tuple[SheetRow, ...]:
    return read_sheet(path).rows


def score(unit: parrules.UnitInputs) -> parrules.ScoreCard:
    return parrules.score(parrules.load_ruleset(unit.ruleset_path), unit)


def test_csv_rows_become_units_read_by_label_name_and_code(tmp_path: Path) -> None:
    rows = rows_of(write_csv(tmp_path / "xa.csv", [row(), row(unit="Xã Sơn Phú", p23="2", r23="")]))
    assert [r.errors for r in rows] == [(), ()]
    first = rows[0].unit
    assert first is not None
    assert first.unit == "Xã Bình Thành"
    values = first.stage().indicators
    assert values["tthc_toan_trinh"] == 42
    assert values["ty_le_so_hoa"] == Decimal("0.788")
    assert values["co_ke_hoach"] is True
    assert values["ky_luat"] == {"khien_trach": 1, "cach_chuc": 0}
    card = score(first)
    # 1.1 1 + 1.2 0,5 + 1.3 1,5 + 1.4 1 + 2.1 4/42 → 0,10 + 2.2 0 (78,8% < 80%) + 2.3 1,5
    assert card.total == Decimal("5.60")
    assert card.node("2.3").explain().reason == "Chưa cập nhật thông tin"
    assert score(rows[1].unit).node("2.3").points == 2  # type: ignore[arg-type]


def test_semicolon_csv_as_excel_writes_it_in_vietnamese(tmp_path: Path) -> None:
    rows = rows_of(write_csv(tmp_path / "xa.csv", [row()], delimiter=";"))
    assert rows[0].unit is not None
    assert rows[0].unit.stage().indicators["ty_le_so_hoa"] == Decimal("0.788")


def test_every_unreadable_cell_is_an_error_naming_sheet_row_and_column(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "xa.csv",
        [
            row(toan_trinh="bốn mươi", ke_hoach="chắc chắn", sang_kien="cap_tinhh"),
            row(p14="1,5"),
            row(p23="1", r23=""),
        ],
    )
    first, second, third = rows_of(path)
    assert first.unit is None
    messages = [str(e) for e in first.errors]
    assert messages[0].startswith(
        f"{path}, sheet 'xa', row 2, column D (Số TTHC toàn trình (thủ tục)): 'bốn mươi'"
    )
    assert messages[1].startswith(f"{path}, sheet 'xa', row 2, column G (Có kế hoạch CCHC):")
    assert "column H (Cấp sáng kiến)" in messages[2]
    assert "cap_tinh" in messages[2]
    assert len(messages) == 3
    assert all(isinstance(e, SheetError) for e in first.errors)
    assert "row 3, column J (1.4): 1,5 is outside 0–1" in str(second.errors[0])
    assert "row 4, column K" in str(third.errors[0])
    assert "needs a reason" in str(third.errors[0])
    assert "Lý do 2.3" in str(third.errors[0])


def test_unknown_columns_are_left_with_one_warning_and_repeated_ones_are_errors(
    tmp_path: Path,
) -> None:
    path = tmp_path / "xa.csv"
    path.write_text(
        f"STT,unit,year,ruleset,tthc_toan_trin,Số TTHC toàn trình (thủ tục),tthc_toan_trinh,"
        f"Người nhập\n"
        f"1,Xã A,2023,{RULESET},1,2,3,đã kiểm tra\n"
        f"2,Xã B,2023,{RULESET},1,2,,\n",
        encoding="utf-8",
    )
    sheet = read_sheet(path)
    first, second = sheet.rows
    assert [str(e) for e in first.errors] == [
        f"{path}, sheet 'xa', row 2, column G (tthc_toan_trinh): the same value as column F"
    ]
    assert second.errors == ()
    assert second.unit is not None
    assert second.unit.stage().indicators["tthc_toan_trinh"] == 2
    (warning,) = sheet.warnings
    assert warning == (
        f"{path}, sheet 'xa': columns not read (neither an indicator nor a node of "
        "'test/reports/sheet/2023'): A (STT), E (tthc_toan_trin) (did you mean "
        "'tthc_toan_trinh'?), H (Người nhập)"
    )
    with pytest.raises(SheetError, match=r"row 1: columns not read .*A \(STT\)"):
        read_sheet(path, strict=True)


def test_empty_cells_follow_the_missing_policy(tmp_path: Path) -> None:
    (result,) = rows_of(write_csv(tmp_path / "xa.csv", [row(so_hoa="")]))
    assert result.unit is not None
    card = score(result.unit)
    assert card.node("2.2").points == 0  # missing: zero
    (result,) = rows_of(write_csv(tmp_path / "xa.csv", [row(toan_trinh="")]))
    assert result.unit is not None
    with pytest.raises(UnitError, match="no value for tthc_toan_trinh"):
        score(result.unit)


def test_a_wrong_ruleset_or_year_is_an_error_of_that_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "xa.csv", [row(ruleset="khong/co/2023"), row(year="2022")])
    first, second = rows_of(path)
    assert "column C (Bộ chỉ số): no ruleset 'khong/co/2023'" in str(first.errors[0])
    assert "row 3" in str(second.errors[0])
    assert "is for 2022" in str(second.errors[0])


def test_a_sheet_without_the_unit_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(UnitError, match="no sheet has a 'unit'"):
        read_sheet(path)
    path.write_text("Đơn vị,Năm\nXã A,2023\n", encoding="utf-8")
    with pytest.raises(SheetError, match="no 'ruleset'"):
        read_sheet(path)


def test_xlsx_cells_keep_their_types(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Ghi chú"
    notes.append(["Bảng này ghi số liệu các xã"])
    sheet = book.create_sheet("Xã 2023")
    sheet.append([*HEADER, "Ngày ban hành kế hoạch", "Ghi chú"])
    values = row(p23="2", r23="")
    sheet.append(
        [
            values[0],
            2023,
            values[2],
            42,
            4,
            0.934,  # a percent-formatted cell holds the fraction
            True,
            "cap_tinh",
            "khien_trach: 0",
            1.0,
            2,
            None,
            dt.datetime(2023, 1, 10),
            123,
        ]
    )
    sheet.append([None] * 5)  # empty rows are skipped
    path = tmp_path / "xa.xlsx"
    book.save(path)
    (result,) = rows_of(path)
    assert result.sheet == "Xã 2023"
    assert result.row == 2
    unit = result.unit
    assert unit is not None
    values_read = unit.stage().indicators
    assert values_read["ty_le_so_hoa"] == Decimal("0.934")
    assert values_read["ngay_ke_hoach"] == dt.date(2023, 1, 10)
    assert values_read["ghi_chu"] == "123"
    card = score(unit)
    assert card.node("1.4").points == 1
    assert card.node("2.2").points == 2


def test_xlsx_errors_name_the_sheet(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Huyện"
    sheet.append(["unit", "year", "ruleset", "Số TTHC toàn trình có hồ sơ"])
    sheet.append(["Xã A", 2023, str(RULESET), -3])
    path = tmp_path / "x.xlsx"
    book.save(path)
    (result,) = rows_of(path)
    assert str(result.errors[0]).startswith(
        f"{path}, sheet 'Huyện', row 2, column D (Số TTHC toàn trình có hồ sơ): '-3' is not a count"
    )


def test_a_damaged_workbook_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"not a zip file")
    with pytest.raises(UnitError, match="not an XLSX workbook"):
        read_sheet(path)


def test_every_template_heading_reads_back() -> None:
    ruleset = parrules.load_ruleset(RULESET)
    from parrules._sheets import _Columns

    reader = _Columns(ruleset)
    for lang in ("vi", "en"):
        for column in template_columns(ruleset, lang):
            key = reader.key(column.header)
            assert key is not None, column.header
            expected = column.key.removeprefix("reason ")
            assert key.name in (expected, ""), column.header


def test_csv_template_is_the_heading_row_and_reads_back(tmp_path: Path) -> None:
    text = template(parrules.load_ruleset(RULESET), "csv")
    assert isinstance(text, str)
    assert text.startswith("\ufeffĐơn vị;Năm;Bộ chỉ số;Số TTHC toàn trình (thủ tục);")
    assert text.endswith("2.3. Trang thông tin điện tử (tối đa 2);Lý do 2.3\r\n")
    english = template(parrules.load_ruleset(RULESET), "csv", "en")
    assert isinstance(english, str)
    assert english.startswith("\ufeffUnit,Year,Ruleset,")
    filled = ["Xã A", "2023", str(RULESET), "10", "10", "1,5", "95%", "có", "cap_tinh"]
    filled += ["khien_trach: 0", "", "", "1", "", "2", ""]
    (tmp_path / "mau.csv").write_text(text + ";".join(filled) + "\r\n", encoding="utf-8")
    (row,) = rows_of(tmp_path / "mau.csv")
    assert row.errors == ()
    assert row.unit is not None
    assert score(row.unit).total == 10


def test_xlsx_template_validates_types_and_round_trips(tmp_path: Path) -> None:
    ruleset = parrules.load_ruleset(RULESET)
    data = template(ruleset, "xlsx", ref=str(RULESET))
    assert isinstance(data, bytes)
    path = tmp_path / "mau.xlsx"
    path.write_bytes(data)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Đơn vị", "Hướng dẫn"]
    sheet = book["Đơn vị"]
    headers = [c.value for c in sheet[1]]
    validations = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    count = validations[
        f"{column_letter(headers.index('Số TTHC toàn trình (thủ tục)') + 1)}2:"
        f"{column_letter(headers.index('Số TTHC toàn trình (thủ tục)') + 1)}1000"
    ]
    assert (count.type, count.operator, count.formula1) == ("whole", "greaterThanOrEqual", "0")
    letter = column_letter(headers.index("Cấp sáng kiến") + 1)
    assert validations[f"{letter}2:{letter}1000"].formula1 == '"cap_tinh,cap_huyen,khong_co"'
    letter = column_letter(headers.index("Có kế hoạch CCHC") + 1)
    assert validations[f"{letter}2:{letter}1000"].formula1 == '"có,không"'
    letter = column_letter(headers.index("1.4. Tuyên truyền CCHC (tối đa 1)") + 1)
    points = validations[f"{letter}2:{letter}1000"]
    assert (points.type, points.formula1, points.formula2) == ("decimal", "0", "1")
    filled = {
        "Đơn vị": "Xã Điền Mặc",
        "Năm": 2023,
        "Bộ chỉ số": str(RULESET),
        "Số TTHC toàn trình (thủ tục)": 10,
        "Số TTHC toàn trình có hồ sơ (thủ tục)": 10,
        "Tỷ lệ số hóa hồ sơ (%)": 0.95,
        "Có kế hoạch CCHC": "có",
        "Cấp sáng kiến": "cap_tinh",
        "Kỷ luật cán bộ": "khien_trach: 0",
        "1.4. Tuyên truyền CCHC (tối đa 1)": 1,
        "2.3. Trang thông tin điện tử (tối đa 2)": 2,
    }
    for name, value in filled.items():
        sheet.cell(row=2, column=headers.index(name) + 1, value=value)
    book.save(path)
    (result,) = rows_of(path)
    assert result.errors == ()
    assert result.unit is not None
    assert score(result.unit).total == 10


def test_items_cannot_be_given_in_a_sheet(tmp_path: Path) -> None:
    mini = Path(__file__).parent / "data" / "mini.yaml"
    path = tmp_path / "x.csv"
    path.write_text(f"unit,ruleset,bao_cao\nA,{mini},x\n", encoding="utf-8")
    (result,) = rows_of(path)
    assert "given in a sheet of documents" in str(result.errors[0])
    assert "bao_cao" not in [c.key for c in template_columns(parrules.load_ruleset(mini))]


@pytest.mark.parametrize(("index", "letter"), [(1, "A"), (26, "Z"), (27, "AA"), (703, "AAA")])
def test_column_letters(index: int, letter: str) -> None:
    assert column_letter(index) == letter


MINI = Path(__file__).parent / "data" / "mini.yaml"


def documents_book(path: Path, documents: list[list[object]]) -> Path:
    """A workbook as an office keeps it: numbered rows, notes, units on one sheet and their
    dated documents on another."""
    book = openpyxl.Workbook()
    units = book.active
    units.title = "Đơn vị"
    units.append(
        [
            "STT",
            "Đơn vị",
            "Năm",
            "Bộ chỉ số",
            "tthc_thanh_toan",
            "tthc_trien_khai",
            "duong_ngo_bt",
            "duong_ngo",
            "ky_luat",
            "co_ke_hoach",
            "2.3",
            "Lý do",
            "Ghi chú",
        ]
    )
    units.append(
        [
            1,
            "Huyện Thử Nghiệm",
            2023,
            str(MINI),
            10,
            46,
            19.86,
            21.26,
            "khien_trach: 1",
            "có",
            4,
            "Trang thông tin chưa cập nhật",
            "đã rà soát",
        ]
    )
    sheet = book.create_sheet("Văn bản")
    sheet.append(["STT", "Đơn vị", "Chỉ tiêu", "Tên văn bản", "Hạn", "Ngày ban hành", "Ngày gửi"])
    for row in documents:
        sheet.append(row)
    book.save(path)
    return path


REPORTS = [
    [
        1,
        "Huyện Thử Nghiệm",
        "Báo cáo CCHC",
        "Báo cáo quý I",
        dt.datetime(2023, 3, 25),
        None,
        "20/03/2023",
    ],
    [
        2,
        "huyện thử  nghiệm",
        "bao_cao",
        "Báo cáo sơ kết",
        "25/05/2023",
        "24/05/2023",
        dt.datetime(2023, 5, 26),
    ],
]


def test_documents_come_from_their_own_sheet_and_score_as_in_a_unit_file(
    tmp_path: Path,
) -> None:
    sheet = read_sheet(documents_book(tmp_path / "huyen.xlsx", REPORTS))
    (result,) = sheet.rows
    assert result.errors == ()
    assert result.unit is not None
    same = parrules.unit_from_mapping(
        {
            "unit": "Huyện Thử Nghiệm",
            "year": 2023,
            "indicators": {
                "tthc_thanh_toan": 10,
                "tthc_trien_khai": 46,
                "duong_ngo_bt": Decimal("19.86"),
                "duong_ngo": Decimal("21.26"),
                "ky_luat": {"khien_trach": 1},
                "co_ke_hoach": True,
                "bao_cao": [
                    {"name": "Báo cáo quý I", "due": "25/03/2023", "sent": "20/03/2023"},
                    {
                        "name": "Báo cáo sơ kết",
                        "dated": "24/05/2023",
                        "due": "25/05/2023",
                        "sent": "26/05/2023",
                    },
                ],
            },
            "points": {"2.3": {"points": 4, "reason": "Trang thông tin chưa cập nhật"}},
        },
        parrules.load_ruleset(MINI),
    )
    assert result.unit.stage().indicators == same.stage().indicators
    card = score(result.unit)
    assert card.node("1.2").points == Decimal("0.5")  # the second report was a day late
    assert card.total == score(same).total
    assert card.node("2.3").explain().reason == "Trang thông tin chưa cập nhật"
    assert sheet.warnings == (
        f"{tmp_path / 'huyen.xlsx'}, sheet 'Đơn vị': columns not read (neither an indicator "
        "nor a node of 'test/mini/2023'): A (STT), M (Ghi chú)",
        f"{tmp_path / 'huyen.xlsx'}, sheet 'Văn bản': columns not read (neither the unit, the "
        "year nor a field of a document): A (STT)",
    )


def test_a_document_that_cannot_be_read_stops_its_unit_and_names_its_cell(
    tmp_path: Path,
) -> None:
    documents = [
        REPORTS[0],
        [2, "Huyện Thử Nghiệm", "bao_cao", "Báo cáo sơ kết", "31/02/2023", None, None],
        [3, "Huyện Thử Nghiệm", "bao_cao_x", "Báo cáo năm", "25/12/2023", None, None],
        [4, "Huyện Khác", "bao_cao", "Báo cáo năm", "25/12/2023", None, None],
        [
            5,
            "Huyện Thử Nghiệm",
            "bao_cao",
            "Báo cáo tháng",
            "25/12/2023",
            "26/12/2023",
            "20/12/2023",
        ],
    ]
    path = documents_book(tmp_path / "huyen.xlsx", documents)
    unit, stray = read_sheet(path).rows
    assert unit.unit is None
    assert [str(e) for e in unit.errors] == [
        f"{path}, sheet 'Văn bản', row 3, column E (Hạn): '31/02/2023' is not a real date",
        f"{path}, sheet 'Văn bản', row 4, column C (Chỉ tiêu): 'bao_cao_x' is not an indicator "
        "of dated documents of 'test/mini/2023' (did you mean 'bao_cao'?)",
        f"{path}, sheet 'Văn bản', row 6: item 'Báo cáo tháng': 'sent' (2023-12-20) is before "
        "'dated'",
    ]
    assert str(stray.errors[0]) == (
        f"{path}, sheet 'Văn bản', row 5: no row of units names 'Huyện Khác' (the unit's name is "
        "written as in the sheet of units)"
    )


def test_a_sheet_of_documents_needs_its_due_column(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["Đơn vị", "Chỉ tiêu", "Tên văn bản", "Ngày gửi"])
    book.save(tmp_path / "x.xlsx")
    with pytest.raises(SheetError, match="row 1: a sheet of documents needs a 'due' column"):
        read_sheet(tmp_path / "x.xlsx")


def test_a_default_reason_is_that_of_every_point_of_the_row_without_one(tmp_path: Path) -> None:
    path = tmp_path / "xa.csv"
    path.write_text(
        f"unit,ruleset,1.4,2.3,Lý do 2.3,Lý do\n"
        f"Xã A,{RULESET},0,1,Chưa cập nhật,Thiếu tài liệu kiểm chứng\n"
        f"Xã B,{RULESET},0,1,,\n"
        f"Xã C,{RULESET},1,2,,Không cần\n",
        encoding="utf-8",
    )
    first, second, third = read_sheet(path).rows
    assert first.unit is not None
    points = first.unit.stage().points
    assert points["1.4"].reason == "Thiếu tài liệu kiểm chứng"
    assert points["2.3"].reason == "Chưa cập nhật"
    assert [str(e).split(": ", 1)[1] for e in second.errors] == [
        "0 of 1 needs a reason (add a column 'Lý do 1.4', or 'Lý do' for every point of the row)",
        "1 of 2 needs a reason (add a column 'Lý do 2.3', or 'Lý do' for every point of the row)",
    ]
    assert third.unit is not None  # as in a unit file, every entry without a reason takes it
    assert third.unit.stage().points["1.4"].reason == "Không cần"


def test_the_template_of_a_ruleset_with_documents_has_their_sheet_and_reads_back(
    tmp_path: Path,
) -> None:
    ruleset = parrules.load_ruleset(MINI)
    path = tmp_path / "mau.xlsx"
    data = template(ruleset, "xlsx", ref=str(MINI))
    assert isinstance(data, bytes)
    path.write_bytes(data)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Đơn vị", "Văn bản", "Hướng dẫn"]
    documents = book["Văn bản"]
    assert [c.value for c in documents[1]] == [
        "Đơn vị",
        "Chỉ tiêu",
        "Tên văn bản",
        "Hạn",
        "Ngày ban hành",
        "Ngày gửi",
        "Ngày nhận",
    ]
    (choice,) = [v for v in documents.data_validations.dataValidation if v.type == "list"]
    assert choice.formula1 == '"Báo cáo CCHC"'
    units = book["Đơn vị"]
    headers = [c.value for c in units[1]]
    filled = {
        "Đơn vị": "Huyện Thử Nghiệm",
        "Bộ chỉ số": str(MINI),
        "Số TTHC có thanh toán trực tuyến (thủ tục)": 10,
        "Số TTHC triển khai thanh toán trực tuyến (thủ tục)": 10,
        "Đường ngõ xóm được bê tông hóa (km)": 2,
        "Tổng chiều dài đường ngõ xóm (km)": 2,
        "Kỷ luật cán bộ": "khien_trach: 0",
        "Có kế hoạch CCHC": "có",
        "2.3. Trang thông tin điện tử (tối đa 4,5)": 4.5,
    }
    for name, value in filled.items():
        units.cell(row=2, column=headers.index(name) + 1, value=value)
    documents.append(
        [
            "Huyện Thử Nghiệm",
            "Báo cáo CCHC",
            "Báo cáo năm",
            dt.datetime(2023, 12, 15),
            None,
            dt.datetime(2023, 12, 16),
        ]
    )
    book.save(path)
    (result,) = read_sheet(path).rows
    assert result.errors == ()
    assert result.unit is not None
    card = score(result.unit)
    assert card.node("1.2").points == Decimal("0.5")
    assert card.total == Decimal("9.5")


def test_documents_of_a_failing_row_or_another_year(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    units = book.active
    units.title = "Đơn vị"
    units.append(["Đơn vị", "Bộ chỉ số"])
    units.append(["Huyện A", "khong/co/2023"])
    units.append(["Huyện B", str(MINI)])
    documents = book.create_sheet("Văn bản")
    documents.append(["Đơn vị", "Năm", "Chỉ tiêu", "Tên văn bản", "Hạn"])
    documents.append(["Huyện A", None, "bao_cao", "Báo cáo năm", "25/12/2023"])
    documents.append(["Huyện B", 2022, "bao_cao", "Báo cáo năm", "25/12/2023"])
    path = tmp_path / "x.xlsx"
    book.save(path)
    first, second, stray = read_sheet(path).rows
    assert "no ruleset 'khong/co/2023'" in str(first.errors[0])  # and nothing of its document
    assert second.unit is not None
    assert "bao_cao" not in second.unit.stage().indicators  # the document is for 2022
    assert str(stray.errors[0]) == (
        f"{path}, sheet 'Văn bản', row 3: no row of units names 'Huyện B' for 2022 (the unit's "
        "name is written as in the sheet of units)"
    )


def test_a_document_without_its_due_date_is_an_error_of_its_cell(tmp_path: Path) -> None:
    path = documents_book(
        tmp_path / "huyen.xlsx", [[1, "Huyện Thử Nghiệm", "bao_cao", "Báo cáo năm", None, None]]
    )
    (unit,) = read_sheet(path).rows
    assert [str(e) for e in unit.errors] == [
        f"{path}, sheet 'Văn bản', row 2, column E (Hạn): the due date is empty"
    ]


def test_headings_are_read_once_per_sheet_and_each_row_as_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each heading is resolved once for the sheet, not once a row; a cell that repeats an
    earlier one reads the same, and one that cannot be read is refused in every row."""
    from parrules import _sheets

    calls: list[str] = []
    real = _sheets._Columns._key
    monkeypatch.setattr(_sheets._Columns, "_key", lambda self, h: calls.append(h) or real(self, h))
    many = [row(unit=f"Xã {i}") for i in range(40)]
    many += [row(unit="Xã 40", p14="1,5"), row(unit="Xã 41", p14="1,5"), row(unit="Xã 42")]
    rows = rows_of(write_csv(tmp_path / "xa.csv", many))
    assert len(calls) == len(set(calls)) <= len(HEADER)
    assert [bool(r.errors) for r in rows] == [False] * 40 + [True, True, False]
    for bad in rows[40:42]:
        assert "column J (1.4): 1,5 is outside 0–1" in str(bad.errors[0])
    alone = rows_of(write_csv(tmp_path / "one.csv", [row(unit="Xã 0")]))[0].unit
    assert rows[0].unit is not None
    assert alone is not None
    assert rows[0].unit.stages == alone.stages


def test_rank_looks_up_a_sheets_ruleset_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from parrules import cli

    path = write_csv(tmp_path / "xa.csv", [row(unit=f"Xã {i}") for i in range(5)])
    loads: list[object] = []
    real = cli.load_ruleset
    monkeypatch.setattr(cli, "load_ruleset", lambda ref, **kw: loads.append(ref) or real(ref, **kw))
    assert cli.main(["rank", str(path)]) == 0
    assert len(loads) == 1
    assert capsys.readouterr().out.count("Xã ") >= 5
