"""Tables → an Excel workbook (openpyxl, the ``excel`` extra): one sheet per table, real number
cells with number formats, bold field and total rows, column widths, a frozen header."""

from __future__ import annotations

import copy
import io
import re
import textwrap
import zipfile
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from wcwidth import wcswidth

from .._numbers import HUNDRED
from ._table import Column, Num, Table, number, show

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_MAX_WIDTH = 60


def require_openpyxl() -> Any:
    """The openpyxl module, or an error saying how to install it."""
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - depends on the environment
        from ..errors import ParRulesError

        msg = "xlsx needs openpyxl: pip install 'parrules[excel]'"
        raise ParRulesError(msg) from None
    return openpyxl


def xml_text(text: str) -> str:
    """Text as a workbook can hold it: a character XML cannot hold (a control character, a lone
    surrogate) becomes U+FFFD, so that one unit's text never fails the whole workbook."""
    return _NOT_XML.sub("\ufffd", text)


def put(sheet: Any, row: int, column: int, value: Any) -> Any:
    """Set a cell; text is always a text cell, never a formula, whatever it starts with."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = xml_text(value)
        cell.data_type = "s"
    else:
        cell.value = value
    return cell


def sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unique sheet name: at most 31 characters, none of ``[]:*?/\\`` nor a control
    character."""
    base = _BAD_SHEET_CHARS.sub("-", _NOT_XML.sub("-", name)).strip("'") or "Sheet"
    candidate, n = base[:31], 1
    while candidate.casefold() in taken:
        n += 1
        suffix = f" ({n})"
        candidate = base[: 31 - len(suffix)] + suffix
    taken.add(candidate.casefold())
    return candidate


def number_format(num: Num) -> str:
    """Excel's format for a number shown with ``places`` decimals (``General`` when unfixed)."""
    places = num.places if num.places is not None or num.kind == "number" else 2
    if places is None:
        return "General"
    digits = "0." + "0" * places if places else "0"
    if num.kind == "percent":
        return digits + "%"
    return f"+{digits};-{digits};{digits}" if num.signed else digits


def _lines(text: str, width: int) -> int:
    """Lines a wrapped cell takes at ``width`` characters."""
    parts = text.splitlines() or [""]
    return sum(max(1, len(textwrap.wrap(part, max(width, 1)))) for part in parts)


def _width(text: str) -> int:
    """Display cells of the widest line (wide characters count two)."""
    return max((max(wcswidth(line), len(line)) for line in text.splitlines()), default=0)


def _cell_value(cell: Any, column: Column) -> tuple[Any, str | None]:
    num = number(cell, column)
    if num is None:
        return (None if cell in (None, "") else str(cell)), None
    value: Decimal = num.value / HUNDRED if num.kind == "percent" else num.value
    if value == value.to_integral_value() and num.kind == "number":
        return int(value), number_format(num)
    return value, number_format(num)


def workbook(tables: Sequence[Table], lang: str = "vi") -> bytes:
    """The workbook as bytes: each sheet has the title in A1, headings in row 3, data below."""
    openpyxl = require_openpyxl()
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = openpyxl.Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDDDDD")
    # The data cells' styles, by what sets them, each set once: openpyxl finds a style object
    # among the workbook's by comparing and hashing them, which took most of a workbook's time.
    styles: dict[tuple[Any, ...], Any] = {}
    for table in tables:
        sheet = book.create_sheet(sheet_name(table.name, taken))
        put(sheet, 1, 1, table.title).font = Font(bold=True, size=12)
        widths = [_width(c.label) for c in table.columns]
        for col, column in enumerate(table.columns, start=1):
            cell = put(sheet, 3, col, column.label)
            cell.font = bold
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for r, row in enumerate(table.rows, start=4):
            for col, (value, column) in enumerate(zip(row.cells, table.columns, strict=True), 1):
                content, fmt = _cell_value(value, column)
                cell = put(sheet, r, col, content)
                key = (fmt, row.kind != "normal", column.kind != "text", bool(column.wrap))
                style = styles.get(key)
                if style is not None:  # a style set before: its indexes, not its objects again
                    cell._style = copy.copy(style)
                else:
                    if fmt:
                        cell.number_format = fmt
                    if row.kind != "normal":
                        cell.font = bold
                    cell.alignment = Alignment(
                        horizontal="right" if column.kind != "text" else None,
                        wrap_text=bool(column.wrap),
                        vertical="top",
                    )
                    styles[key] = copy.copy(cell._style)
                widths[col - 1] = max(widths[col - 1], _width(show(value, column, lang)))
        for r, note in enumerate(table.notes, start=len(table.rows) + 5):
            put(sheet, r, 1, note)
        sizes = []
        for col, (width, column) in enumerate(zip(widths, table.columns, strict=True), 1):
            limit = column.wrap + 2 if column.wrap else _MAX_WIDTH
            sizes.append(min(max(width, 4) + 2, limit))
            sheet.column_dimensions[get_column_letter(col)].width = sizes[-1]
        # Row heights for wrapped text: LibreOffice does not fit them when it opens the file.
        for r, row in enumerate(table.rows, start=4):
            lines = max(
                (
                    _lines(show(value, column, lang), int((size - 1) * 1.15))
                    for value, column, size in zip(row.cells, table.columns, sizes, strict=True)
                    if column.wrap
                ),
                default=1,
            )
            if lines > 1:
                sheet.row_dimensions[r].height = 15 * lines
        sheet.freeze_panes = "A4"
        # printed the way the seed annexes are: landscape, all columns on one page width
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.print_title_rows = "3:3"
    return save(book)


_STAMP = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)")


def save(book: Any) -> bytes:
    """The workbook's bytes, the same for the same content: openpyxl stamps the time of saving
    into the file and into each zip entry; both are set to a fixed date."""
    buffer = io.BytesIO()
    book.save(buffer)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _STAMP.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", content)
            target.writestr(zipfile.ZipInfo(info.filename, (2000, 1, 1, 0, 0, 0)), content)
    return out.getvalue()
