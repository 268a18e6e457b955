"""Spreadsheet files → grids of cell values, read without trusting the file.

A CSV or XLSX file comes from outside. It is read within bounds (``SheetLimits``): its size on
disk, the XML it decompresses to, its rows, its cells and the length of each cell, so that a
hostile file costs bounded time and memory, and the time is linear in what is read. XLSX is read
with the standard library only (``zipfile`` and expat): no DOCTYPE and no entity is ever
processed, the declared dimension of a sheet is ignored (only cells present are kept), and only
the parts that hold cells are read (workbook, relationships, shared strings, styles, sheets).

A formula cell is read as the value the spreadsheet saved with it; one saved without a value
(written by a program that does not compute formulas) or showing an error (``#DIV/0!``) becomes a
``Problem`` that the reader of that cell reports. Every failure of the file itself is a
``SheetError`` naming the file and, where it has them, the sheet, row and column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import posixpath
import re
import struct
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.parsers import expat

import attrs

from ._files import Unreadable, read_bounded
from .errors import SheetError, UnitError, column_letter

MAX_ROW = 1_048_576
MAX_COLUMN = 16_384
# What a YAML file may hold (YAML's printable characters): control characters are refused.
_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


@attrs.frozen
class SheetLimits:
    """Bounds on one spreadsheet file. The defaults are far above a real batch (a province's
    communes are a few hundred rows) and keep the worst hostile file to seconds and a few hundred
    megabytes."""

    max_bytes: int = 64 * 1024 * 1024
    """Size of the file on disk (CSV text, or the XLSX zip)."""
    max_xml_bytes: int = 128 * 1024 * 1024
    """XML an XLSX file decompresses to, all parts read counted together."""
    max_rows: int = 100_000
    """Rows holding a value, over all sheets."""
    max_cells: int = 2_000_000
    """Cells holding a value (and shared strings), over all sheets."""
    max_cell_chars: int = 32_767
    """Characters in one cell: the most a spreadsheet cell holds."""
    max_seconds: float = 10.0
    """Processor time to read the file: a real batch takes a fraction of a second, a file within
    the other bounds whose XML is mostly empty elements could take half a minute. Processor
    time, not the clock, so that a busy machine does not refuse a file another would read."""


@attrs.frozen
class Problem:
    """A cell that holds no usable value, and why; an error only where the cell is read."""

    message: str
    hint: str | None = None


Row = Mapping[int, Any]
"""The cells of a row that hold a value, by 0-based column: text, ``Decimal``, bool,
``datetime`` (a date-formatted number) or ``Problem``."""


@attrs.frozen
class Grid:
    """One sheet: its name, whether it is hidden, and its rows that hold a value, in order."""

    name: str
    rows: tuple[tuple[int, Row], ...]
    hidden: str = ""  # "", "hidden" or "very hidden"


def _checked(text: str) -> str | Problem:
    """A text cell, or a ``Problem`` when it holds a character a unit file may not hold."""
    bad = _NOT_PRINTABLE.search(text)
    if bad is None:
        return text
    return Problem(
        f"the character U+{ord(bad[0]):04X} is not allowed",
        "remove control characters from the cell",
    )


def read_grids(path: Path, limits: SheetLimits) -> Iterator[Grid]:
    """Every sheet of a CSV (one) or XLSX file."""
    if path.suffix.lower() == ".csv":
        yield _csv(path, limits)
    else:
        yield from _Workbook(path, limits).grids()


def _read(path: Path, limits: SheetLimits) -> bytes:
    try:
        data = read_bounded(path, limits.max_bytes)
    except Unreadable as exc:
        raise UnitError(str(exc), path=path) from None
    if len(data) > limits.max_bytes:
        raise UnitError(
            f"the file is larger than the limit of {limits.max_bytes:,} bytes",
            path=path,
            hint="split it into several files",
        )
    return data


class _Count:
    """Rows and cells read so far from one file, against the limits."""

    def __init__(self, path: Path, limits: SheetLimits) -> None:
        self.path = path
        self.limits = limits
        self.rows = 0
        self.cells = 0
        self.deadline = time.process_time() + limits.max_seconds

    def tick(self, sheet: str | None, row: int | None = None) -> None:
        """Refuse the file once reading it has taken longer than its time bound."""
        if time.process_time() > self.deadline:
            raise SheetError(
                f"reading the file took more than {self.limits.max_seconds:g} s of processor time",
                path=self.path,
                sheet=sheet,
                row=row,
                hint="split it into several files, or save it again in the spreadsheet",
            )

    def row(self, sheet: str, number: int) -> None:
        self.rows += 1
        self._check(self.rows, self.limits.max_rows, "rows", sheet, number)

    def cell(self, sheet: str, number: int, cells: int = 1) -> None:
        self.cells += cells
        self._check(self.cells, self.limits.max_cells, "cells", sheet, number)

    def _check(self, count: int, limit: int, what: str, sheet: str, number: int) -> None:
        if count > limit:
            raise SheetError(
                f"more than {limit:,} {what} hold a value",
                path=self.path,
                sheet=sheet,
                row=number,
                hint="split the file into several files",
            )

    def too_long(
        self, sheet: str | None, row: int | None = None, column: int | None = None
    ) -> None:
        raise SheetError(
            f"a cell is longer than {self.limits.max_cell_chars:,} characters, the most a "
            "spreadsheet cell holds",
            path=self.path,
            sheet=sheet,
            row=row,
            column=column,
        )


_FIRST_LINE = re.compile(r"[^\r\n]*")


def _csv(path: Path, limits: SheetLimits) -> Grid:
    """A CSV file in UTF-8 (with or without BOM), separated by commas, semicolons or tabs (the
    one the heading row has most of), with any line ending (CR alone is what Excel for Mac
    writes)."""
    data = _read(path, limits)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnitError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            path=path,
            hint="save the sheet as CSV UTF-8",
        ) from None
    name = path.stem
    match = _FIRST_LINE.match(text)
    first = match[0] if match else ""
    delimiter = max(",;\t", key=first.count)
    count = _Count(path, limits)
    rows: list[tuple[int, Row]] = []
    number = 0
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for number, record in enumerate(reader, start=1):
            if not number % 1024:
                count.tick(name, number)
            if len(record) > MAX_COLUMN:
                raise SheetError(
                    f"more than {MAX_COLUMN:,} columns, the most a spreadsheet has",
                    path=path,
                    sheet=name,
                    row=number,
                )
            cells: dict[int, str | Problem] = {}
            left = limits.max_cells - count.cells  # counted a row at a time, refused where passed
            for column, value in enumerate(record):
                if len(value) > limits.max_cell_chars:
                    count.too_long(name, number, column + 1)
                if value.strip():
                    if len(cells) == left:
                        count.cell(name, number, left + 1)
                    cells[column] = _checked(value)
            if cells:
                count.cell(name, number, len(cells))
                count.row(name, number)
                rows.append((number, cells))
    except csv.Error as exc:
        raise _csv_error(exc, path, name, number + 1, limits) from None
    return Grid(name, tuple(rows))


def _csv_error(exc: csv.Error, path: Path, sheet: str, row: int, limits: SheetLimits) -> Exception:
    text = str(exc)
    if "field larger than field limit" in text:
        message = (
            f"a cell is longer than {limits.max_cell_chars:,} characters, the most a "
            "spreadsheet cell holds"
        )
    elif "NUL" in text:
        message = "the file holds a NUL character: it is not a CSV text file"
    else:
        message = f"not a readable CSV file ({text})"
    return SheetError(message, path=path, sheet=sheet, row=row)


# XLSX ------------------------------------------------------------------------------------------

_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")
_INDEX = re.compile(r"[0-9]{1,9}")  # ASCII digits only: str.isdigit() also takes "²"


def _index(text: str | None) -> int | None:
    """A row number or an index as a workbook writes it, or None."""
    return int(text) if text is not None and _INDEX.fullmatch(text) else None


_DATE_FORMAT_IDS = {*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)}
_NOT_DATE_PARTS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')
_DATE_PARTS = re.compile(r"[dmyhs]", re.IGNORECASE)
_MAX_DIRECTORY = 4 * 1024 * 1024
_MAX_ENTRIES = 10_000
_EOCD = b"PK\x05\x06"


def is_date_format(code: str) -> bool:
    """Whether an Excel number format shows a date or a time (``dd/mm/yyyy``, ``h:mm``) rather
    than a number (``0.00%``, ``#,##0``): quoted text, escapes, colours and conditions aside, it
    has a day, month, year, hour or second."""
    return bool(_DATE_PARTS.search(_NOT_DATE_PARTS.sub("", code)))


def _local(name: str) -> str:
    """An XML name without its prefix (``x:sheet`` → ``sheet``): namespaces are not processed,
    and the names read are those of SpreadsheetML, whatever prefix a file gives them."""
    return name if ":" not in name else name.rpartition(":")[2]


def _attr(attributes: Mapping[str, str], local: str) -> str | None:
    """An attribute by its local name, whatever its prefix (``r:id`` → ``id``)."""
    if local in attributes:
        return attributes[local]
    for key, value in attributes.items():
        if _local(key) == local:
            return value
    return None


class _Handler:
    """Receives the elements of one XML part."""

    def start(self, name: str, attributes: dict[str, str]) -> None:
        pass

    def end(self, name: str) -> None:
        pass

    def text(self, data: str) -> None:
        pass


class _Workbook:
    def __init__(self, path: Path, limits: SheetLimits) -> None:
        self.path = path
        self.limits = limits
        self.budget = limits.max_xml_bytes
        self.count = _Count(path, limits)

    def error(
        self, message: str, *, sheet: str | None = None, hint: str | None = None
    ) -> Exception:
        if sheet is None:
            return UnitError(message, path=self.path, hint=hint)
        return SheetError(message, path=self.path, sheet=sheet, hint=hint)

    def grids(self) -> Iterator[Grid]:
        data = _read(self.path, self.limits)
        self._check_directory(data)
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
            raise self.error(
                f"not an XLSX workbook ({exc or type(exc).__name__})",
                hint="a password-protected workbook or an old .xls file renamed .xlsx cannot be "
                "read: save it as an Excel workbook (.xlsx) without a password",
            ) from None
        with archive:
            self.parts = {info.filename.lstrip("/").lower(): info for info in archive.infolist()}
            self.archive = archive
            workbook = _target(self._rels("_rels/.rels", ""), "officedocument")
            workbook = workbook or "xl/workbook.xml"
            sheets, date1904 = self._sheets(workbook)
            rels = self._rels(_rels_of(workbook), posixpath.dirname(workbook))
            strings = self._strings(_target(rels, "sharedstrings"))
            dates = self._styles(_target(rels, "styles"))
            for name, state, rid in sheets:
                kind, target = rels.get(rid, ("", ""))
                if target.lower() not in self.parts:
                    raise self.error("the sheet's part is missing from the file", sheet=name)
                if kind != "worksheet":  # a chart sheet or a macro sheet holds no cells to read
                    continue
                handler = _SheetHandler(self, name, strings, dates, date1904)
                self._parse(target, handler, sheet=name)
                yield Grid(name, handler.result(), state)

    def _check_directory(self, data: bytes) -> None:
        """Refuse a zip whose central directory alone would cost much memory to list (a real
        workbook has a few dozen parts)."""
        end = data.rfind(_EOCD, max(0, len(data) - 65_557))
        if end < 0 or end + 22 > len(data):
            return  # not a zip: zipfile says so
        entries, size = struct.unpack_from("<HI", data, end + 10)
        if entries > _MAX_ENTRIES or size > _MAX_DIRECTORY:
            raise self.error(f"the file has too many parts ({entries:,}) for a workbook")

    def _parse(self, part: str, handler: _Handler, sheet: str | None = None) -> None:
        info = self.parts[part.lower()]
        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = self._doctype(part, sheet)
        parser.EntityDeclHandler = self._doctype(part, sheet)
        parser.StartElementHandler = handler.start
        parser.EndElementHandler = handler.end
        parser.CharacterDataHandler = handler.text
        where = f"the part '{info.filename}'"
        try:
            with self.archive.open(info) as stream:
                while chunk := stream.read(1 << 16):
                    self.count.tick(sheet)
                    self.budget -= len(chunk)
                    if self.budget < 0:
                        raise self.error(
                            f"the workbook decompresses to more than "
                            f"{self.limits.max_xml_bytes:,} bytes of XML",
                            sheet=sheet,
                            hint="split it into several files",
                        )
                    parser.Parse(chunk, False)
                parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise self.error(
                f"{where} is not well-formed XML ({expat.ErrorString(exc.code)}, line "
                f"{exc.lineno}, column {exc.offset + 1})",
                sheet=sheet,
                hint="the file is damaged: open and save it again in the spreadsheet",
            ) from None
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
            raise self.error(
                f"{where} cannot be decompressed ({exc or type(exc).__name__})",
                sheet=sheet,
                hint="the file is damaged or encrypted: save it again as an Excel workbook",
            ) from None

    def _doctype(self, part: str, sheet: str | None) -> Callable[..., None]:
        def refuse(*_: Any) -> None:
            raise self.error(
                f"the part '{part}' declares a DOCTYPE or an entity, which a workbook never does",
                sheet=sheet,
            )

        return refuse

    def _rels(self, part: str, base: str) -> dict[str, tuple[str, str]]:
        """A part's relationships: by id, the kind (``worksheet``, ``sharedstrings``,
        ``styles``, ``officedocument``…) and the part it points to."""
        found: dict[str, tuple[str, str]] = {}
        if part.lower() not in self.parts:
            return found

        class Rels(_Handler):
            def start(self, name: str, attributes: dict[str, str]) -> None:
                if _local(name) != "Relationship" or attributes.get("TargetMode") == "External":
                    return
                rid, kind, target = (attributes.get(k, "") for k in ("Id", "Type", "Target"))
                if target.startswith("/"):
                    target = target.lstrip("/")
                else:
                    target = posixpath.normpath(posixpath.join(base, target))
                found[rid] = (kind.rsplit("/", 1)[-1].lower(), target)

        self._parse(part, Rels())
        return found

    def _sheets(self, part: str) -> tuple[list[tuple[str, str, str]], bool]:
        if part.lower() not in self.parts:
            raise self.error("no workbook in the file (is it an XLSX workbook?)")
        sheets: list[tuple[str, str, str]] = []
        flags = {"date1904": False}

        class Book(_Handler):
            def start(self, name: str, attributes: dict[str, str]) -> None:
                local = _local(name)
                if local == "sheet":
                    state = {"hidden": "hidden", "veryHidden": "very hidden"}.get(
                        attributes.get("state", ""), ""
                    )
                    rid = _attr(attributes, "id") or ""
                    sheets.append((attributes.get("name", ""), state, rid))
                elif local == "workbookPr":
                    flags["date1904"] = attributes.get("date1904", "") in ("1", "true")

        self._parse(part, Book())
        return sheets, flags["date1904"]

    def _strings(self, part: str | None) -> list[str]:
        strings: list[str] = []
        if part is None or part.lower() not in self.parts:
            return strings
        book, count = self, self.count
        limit, cells = self.limits.max_cell_chars, self.limits.max_cells

        class Strings(_Handler):
            def __init__(self) -> None:
                self.pieces: list[str] = []
                self.chars = 0
                self.phonetic = 0
                self.inside: list[str] | None = None

            def start(self, name: str, attributes: dict[str, str]) -> None:
                local = _local(name)
                if local == "si":
                    self.pieces, self.chars = [], 0
                elif local == "rPh":
                    self.phonetic += 1
                elif local == "t" and not self.phonetic:
                    self.inside = self.pieces

            def text(self, data: str) -> None:
                if self.inside is not None:
                    self.chars += len(data)
                    if self.chars > limit:
                        count.too_long(None)
                    self.inside.append(data)

            def end(self, name: str) -> None:
                local = _local(name)
                if local == "t":
                    self.inside = None
                elif local == "rPh":
                    self.phonetic -= 1
                elif local == "si":
                    if len(strings) >= cells:
                        raise book.error(f"the workbook has more than {cells:,} shared texts")
                    strings.append("".join(self.pieces))

        self._parse(part, Strings())
        return strings

    def _styles(self, part: str | None) -> list[bool]:
        """For each cell style (``s``), whether it shows numbers as dates."""
        dates: list[bool] = []
        if part is None or part.lower() not in self.parts:
            return dates
        custom: dict[str, bool] = {}

        class Styles(_Handler):
            def __init__(self) -> None:
                self.in_cell_xfs = False

            def start(self, name: str, attributes: dict[str, str]) -> None:
                local = _local(name)
                if local == "numFmt":
                    custom[attributes.get("numFmtId", "")] = is_date_format(
                        attributes.get("formatCode", "")
                    )
                elif local == "cellXfs":
                    self.in_cell_xfs = True
                elif local == "xf" and self.in_cell_xfs:
                    ident = attributes.get("numFmtId", "0")
                    date = custom.get(ident)
                    if date is None:
                        date = _index(ident) in _DATE_FORMAT_IDS
                    dates.append(date)

            def end(self, name: str) -> None:
                if _local(name) == "cellXfs":
                    self.in_cell_xfs = False

        self._parse(part, Styles())
        return dates


def _target(rels: Mapping[str, tuple[str, str]], kind: str) -> str | None:
    """The part the first relationship of a kind points to."""
    return next((target for k, target in rels.values() if k == kind), None)


def _rels_of(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


class _SheetHandler(_Handler):
    """The cells of one worksheet, kept sparse: a declared dimension or a cell far away costs
    nothing but that cell."""

    def __init__(
        self,
        book: _Workbook,
        sheet: str,
        strings: list[str],
        dates: list[bool],
        date1904: bool,
    ) -> None:
        self.book = book
        self.sheet = sheet
        self.strings = strings
        self.dates = dates
        self.date1904 = date1904
        self.rows: dict[int, dict[int, Any]] = {}
        self.row = 0
        self.column = -1
        self.cell: tuple[int, int, str, str | None] | None = None
        self.value: str | None = None
        self.formula: str | None = None
        self.inline: list[str] | None = None
        self.phonetic = 0
        self.pieces: list[str] | None = None
        self.chars = 0

    def error(self, message: str, row: int | None = None) -> SheetError:
        """An error at ``row``, by default the row being read (none when it is not a row)."""
        row = row or self.row
        where = row if 1 <= row <= MAX_ROW else None
        return SheetError(message, path=self.book.path, sheet=self.sheet, row=where)

    def start(self, name: str, attributes: dict[str, str]) -> None:
        local = _local(name)
        if local == "c":
            ref = attributes.get("r")
            if ref is None:
                row, column = self.row, self.column + 1
            else:
                row, column = self._ref(ref)
            if not 0 <= column < MAX_COLUMN:
                raise self.error(f"a cell lies beyond column {column_letter(MAX_COLUMN)}")
            self.column = column
            self.cell = (row, column, attributes.get("t", "n"), attributes.get("s"))
            self.value = self.formula = None
            self.inline = None
        elif local == "row":
            ref = attributes.get("r")
            number = _index(ref)
            self.row = self.row + 1 if ref is None else -1 if number is None else number
            if not 1 <= self.row <= MAX_ROW:
                raise self.error(
                    f"the row number '{(ref or '')[:20]}' is not one of a sheet (1 to {MAX_ROW})"
                )
            self.column = -1
        elif local in ("v", "f"):
            self.pieces, self.chars = [], 0
        elif local == "is":
            self.inline = []
        elif local == "rPh":
            self.phonetic += 1
        elif local == "t" and self.inline is not None and not self.phonetic:
            self.pieces, self.chars = [], 0

    def _ref(self, ref: str) -> tuple[int, int]:
        match = _REF.fullmatch(ref)
        if match is None:
            raise self.error(
                f"the cell reference '{ref[:20]}' is not one of a sheet (A1 to XFD1048576)"
            )
        letters, digits = match.groups()
        column = 0
        for letter in letters:
            column = column * 26 + ord(letter) - 64
        row = int(digits)
        if column > MAX_COLUMN or not 1 <= row <= MAX_ROW:
            raise self.error(
                f"the cell reference '{ref}' is not one of a sheet (A1 to XFD{MAX_ROW})", row=row
            )
        return row, column - 1

    def text(self, data: str) -> None:
        if self.pieces is not None:
            self.chars += len(data)
            if self.chars > self.book.limits.max_cell_chars:
                self.book.count.too_long(self.sheet, self.row, self.column + 1)
            self.pieces.append(data)

    def end(self, name: str) -> None:
        local = _local(name)
        if local == "v":
            self.value = "".join(self.pieces or ())
            self.pieces = None
        elif local == "f":
            self.formula = "".join(self.pieces or ())
            self.pieces = None
        elif local == "t" and self.pieces is not None and self.inline is not None:
            self.inline.append("".join(self.pieces))
            self.pieces = None
        elif local == "rPh":
            self.phonetic -= 1
        elif local == "c" and self.cell is not None:
            row, column, kind, style = self.cell
            value = self._value(kind, style)
            self.cell = None
            if value is None or (isinstance(value, str) and not value.strip()):
                return
            cells = self.rows.get(row)
            if cells is None:
                self.book.count.row(self.sheet, row)
                cells = self.rows[row] = {}
            if column in cells:
                raise self.error(f"the cell {column_letter(column + 1)}{row} is written twice", row)
            self.book.count.cell(self.sheet, row)
            cells[column] = value

    def _value(self, kind: str, style: str | None) -> Any:
        value, formula = self.value, self.formula
        if kind == "inlineStr":
            return _checked("".join(self.inline or ()))
        if formula is not None and (value is None or (value == "" and kind != "str")):
            shown = formula if len(formula) <= 60 else formula[:59] + "…"
            return Problem(
                f"the formula ={shown} was saved without its value",
                "open the file in Excel or LibreOffice and save it: they compute and save the "
                "values of formulas",
            )
        if value is None:
            return None
        if kind == "s":
            index = _index(value)
            index = -1 if index is None else index
            if not 0 <= index < len(self.strings):
                return Problem(f"the cell refers to shared text {value[:20]}, which the file lacks")
            return _checked(self.strings[index])
        if kind == "str":
            return _checked(value)
        if kind == "b":
            if value not in ("0", "1"):
                return Problem(f"'{value[:20]}' is not a true/false value")
            return value == "1"
        if kind == "e":
            return Problem(f"the cell shows the error {value[:20]}")
        if kind == "d":
            try:
                return dt.datetime.fromisoformat(value)
            except ValueError:
                return Problem(f"'{value[:40]}' is not a date")
        if kind != "n":
            return Problem(f"the cell has an unknown type '{kind[:20]}'")
        try:
            number = float(value)
        except ValueError:
            return Problem(f"'{value[:40]}' is not a number")
        if not math.isfinite(number):
            return Problem(f"'{value[:40]}' is not a finite number")
        index = _index(style) or 0
        if index < len(self.dates) and self.dates[index]:
            return _from_serial(number, self.date1904)
        # A spreadsheet stores binary floats: read them as the 15 significant digits it shows.
        return Decimal(format(number, ".15g"))

    def result(self) -> tuple[tuple[int, Row], ...]:
        return tuple(sorted(self.rows.items()))


def _from_serial(serial: float, date1904: bool) -> dt.datetime | Problem:
    """A spreadsheet's date number as a date: days since 1900 (with Lotus's 29 February 1900,
    which never was) or since 1904."""
    if date1904:
        base = dt.datetime(1904, 1, 1)
    elif serial >= 61:
        base = dt.datetime(1899, 12, 30)
    elif 1 <= serial < 60:
        base = dt.datetime(1899, 12, 31)
    else:
        return Problem(f"{serial:g} is not a date")
    if not 0 <= serial < 2_958_466:
        return Problem(f"{serial:g} is not a date")
    days = math.floor(serial)
    seconds = round((serial - days) * 86_400)
    return base + dt.timedelta(days=days, seconds=seconds)
