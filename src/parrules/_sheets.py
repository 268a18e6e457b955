"""Spreadsheet batches: a CSV or XLSX sheet with one row per unit → ``UnitInputs``; and the empty
template to fill in.

Columns are ``unit``, ``year`` and ``ruleset`` (or ``Đơn vị``, ``Năm``, ``Bộ chỉ số``), then
indicators by name or by their Vietnamese label (``Số TTHC … (thủ tục)``), then directly
appraised points by node code (``5.2`` or ``5.2. Chất lượng cán bộ cấp xã``) with their reason
in ``Lý do 5.2``. Every cell that cannot be read is an error naming file, sheet, row and column;
an empty cell is a missing value and follows the node's ``missing:`` policy.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ._model import Indicator, Node, Ruleset, UnitInputs
from ._numbers import fmt, parse_decimal
from ._plugins import Registry, default_registry
from ._ruleset import load_ruleset, resolve
from ._units import convert, unit_from_mapping
from .errors import InputError, ParRulesError, UnitError, close_match

SHEET_SUFFIXES = (".csv", ".xlsx")
MAX_ROWS = 100_000

_META = {
    "unit": ("unit", "đơn vị", "tên đơn vị"),
    "year": ("year", "năm"),
    "ruleset": ("ruleset", "bộ chỉ số"),
}
_META_LABELS = {
    "vi": {"unit": "Đơn vị", "year": "Năm", "ruleset": "Bộ chỉ số", "reason": "Lý do"},
    "en": {"unit": "Unit", "year": "Year", "ruleset": "Ruleset", "reason": "Reason"},
}
_CODE = r"[0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*"
_POINTS_HEADER = re.compile(rf"^(?P<code>{_CODE})\.?(?:\s.*)?$")
_REASON_HEADER = re.compile(rf"^(?:lý do|reason)\s*[:\-]?\s*(?P<code>{_CODE})\.?$")
_TRUE = {"true", "có", "co", "yes", "x", "1", "đúng"}
_FALSE = {"false", "không", "khong", "no", "0", "sai"}
_PAIR = re.compile(r"^\s*(?P<key>[^:=]+?)\s*[:=]\s*(?P<value>.+?)\s*$")


def is_sheet(path: str | Path) -> bool:
    """Whether a path is a spreadsheet batch (by its suffix) rather than a YAML unit file."""
    return Path(path).suffix.lower() in SHEET_SUFFIXES


def column_letter(index: int) -> str:
    """Spreadsheet column name of a 1-based index: 1 → A, 27 → AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class SheetError(UnitError):
    """A cell (or row) of a spreadsheet that cannot be read."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path,
        sheet: str,
        row: int,
        column: int | None = None,
        header: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.sheet = sheet
        self.row = row
        self.column = column
        self.header = header
        super().__init__(message, path=path, line=row, hint=hint)

    def __str__(self) -> str:
        where = f"{self.path}, sheet '{self.sheet}', row {self.row}"
        if self.column is not None:
            where += f", column {column_letter(self.column)}"
            if self.header:
                where += f" ({self.header})"
        text = f"{where}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


@attrs.frozen
class SheetRow:
    """One data row: the unit it gives, or the errors that stop it."""

    path: str
    sheet: str
    row: int
    unit: UnitInputs | None
    errors: tuple[ParRulesError, ...] = ()


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    return " ".join(text.replace("\u00a0", " ").split()).rstrip(":*").strip()


@attrs.frozen
class _Key:
    kind: str  # unit | year | ruleset | indicator | points | reason
    name: str = ""


class _Columns:
    """How one ruleset reads a sheet's headings."""

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self.names: dict[str, str] = {}
        self.ambiguous: set[str] = set()
        for name in ruleset.indicators:
            self.names[_norm(name)] = name
        for name, indicator in ruleset.indicators.items():
            for label in _labels(indicator):
                key = _norm(label)
                if key in self.names and self.names[key] != name:
                    self.ambiguous.add(key)
                self.names.setdefault(key, name)

    def key(self, header: str) -> _Key | None:
        text = _norm(header)
        for kind, names in _META.items():
            if text in names:
                return _Key(kind)
        if text in self.names and text not in self.ambiguous:
            return _Key("indicator", self.names[text])
        match = _REASON_HEADER.match(text)
        if match and self.ruleset.has_node(match["code"]):
            return _Key("reason", match["code"])
        match = _POINTS_HEADER.match(text)
        if match and self.ruleset.has_node(match["code"]):
            return _Key("points", match["code"])
        return None

    def hint(self, header: str) -> str:
        text = _norm(header)
        if text in self.ambiguous:
            return "several indicators have this label: head the column with the indicator's name"
        known = [*self.names, *(n.code for n in self.ruleset.flat)]
        return close_match(text, known) or "see `parrules template` for the columns"


def _labels(indicator: Indicator) -> Iterator[str]:
    for label in (indicator.label, indicator.label_en):
        if label:
            yield label
            if indicator.unit:
                yield f"{label} ({indicator.unit})"


def _grids(path: Path) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """Each sheet's name and rows of raw cell values."""
    if path.suffix.lower() == ".csv":
        try:
            data = path.read_bytes().decode("utf-8-sig")
        except OSError as exc:
            raise UnitError(f"cannot read the file: {exc.strerror}", path=path) from None
        except UnicodeDecodeError:
            raise UnitError(
                "not UTF-8 text", path=path, hint="save the sheet as CSV UTF-8"
            ) from None
        first = data.split("\n", 1)[0]
        delimiter = max(",;\t", key=first.count)
        rows = [tuple(row) for row in csv.reader(io.StringIO(data), delimiter=delimiter)]
        yield path.stem, rows
        return
    from .report._xlsx import require_openpyxl

    openpyxl = require_openpyxl()
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise UnitError(f"cannot read the workbook: {exc}", path=path) from None
    try:
        for sheet in book.worksheets:
            rows = []
            for index, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                if index > MAX_ROWS:
                    raise UnitError(
                        f"sheet '{sheet.title}' has more than {MAX_ROWS} rows", path=path
                    )
                rows.append(tuple(row))
            yield sheet.title, rows
    finally:
        book.close()


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _decimal(value: Any) -> Any:
    """A spreadsheet float as the decimal Excel shows (15 significant digits)."""
    if isinstance(value, float):
        return Decimal(format(value, ".15g"))
    return value.strip() if isinstance(value, str) else value


def _cell(indicator: Indicator, value: Any) -> Any:
    """A cell as its indicator's type; ``ValueError`` with a readable message otherwise."""
    kind = indicator.type
    if kind == "items":
        msg = "an 'items' indicator (dated documents) cannot be given in a sheet"
        raise ValueError(msg)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = _norm(str(_decimal(value)))
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        msg = f"'{value}' is not có/không (true/false)"
        raise ValueError(msg)
    if kind == "date":
        if isinstance(value, dt.datetime | dt.date):
            return convert(indicator, value)
        text = str(value).strip()
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return convert(indicator, text)
    if kind in ("events", "answers"):
        pairs: dict[str, Any] = {}
        for part in str(value).split(";"):
            if not part.strip():
                continue
            match = _PAIR.match(part)
            if not match:
                msg = f"'{part.strip()}' is not 'kind: number' (e.g. khien_trach: 1; cach_chuc: 0)"
                raise ValueError(msg)
            pairs[match["key"]] = match["value"]
        return convert(indicator, pairs)
    if kind in ("text", "choice"):
        if isinstance(value, float | int) and not isinstance(value, bool):
            value = fmt(Decimal(value) if isinstance(value, int) else _decimal(value), "en")
        return convert(indicator, str(value).strip())
    return convert(indicator, _decimal(value))


def read_sheet(path: str | Path, *, registry: Registry | None = None) -> tuple[SheetRow, ...]:
    """Every data row of every sheet that has a ``unit`` column, as a unit or its errors.

    Raises ``UnitError`` when the file cannot be read at all or no sheet has the columns.
    """
    path = Path(path)
    registry = registry or default_registry()
    results: list[SheetRow] = []
    found = False
    for sheet, grid in _grids(path):
        if not grid:
            continue
        headers = ["" if _empty(h) else str(h).strip() for h in grid[0]]
        meta = {
            kind: headers.index(h)
            for h in headers
            for kind, names in _META.items()
            if _norm(h) in names
        }
        if "unit" not in meta:
            continue
        found = True
        if "ruleset" not in meta:
            raise SheetError(
                "the sheet has no 'ruleset' (Bộ chỉ số) column",
                path=path,
                sheet=sheet,
                row=1,
                hint="add a column with the ruleset id of each row",
            )
        reader = _SheetReader(path, sheet, headers, meta, registry)
        for number, row in enumerate(grid[1:], start=2):
            if all(_empty(v) for v in row):
                continue
            results.append(reader.row(number, row))
    if not found:
        raise UnitError(
            "no sheet has a 'unit' (Đơn vị) column",
            path=path,
            hint="the first row of a sheet names its columns: unit, year, ruleset, indicators…",
        )
    return tuple(results)


class _SheetReader:
    def __init__(
        self,
        path: Path,
        sheet: str,
        headers: Sequence[str],
        meta: Mapping[str, int],
        registry: Registry,
    ) -> None:
        self.path = path
        self.sheet = sheet
        self.headers = headers
        self.meta = meta
        self.registry = registry
        self.rulesets: dict[str, Ruleset] = {}
        self.columns: dict[str, _Columns] = {}

    def error(self, row: int, col: int | None, message: str, hint: str | None = None) -> SheetError:
        header = self.headers[col] if col is not None and col < len(self.headers) else None
        return SheetError(
            message,
            path=self.path,
            sheet=self.sheet,
            row=row,
            column=None if col is None else col + 1,
            header=header,
            hint=hint,
        )

    def ruleset(self, ref: str) -> Ruleset:
        if ref not in self.rulesets:
            self.rulesets[ref] = load_ruleset(
                resolve(ref, self.registry, base=self.path.parent), registry=self.registry
            )
        return self.rulesets[ref]

    def row(self, number: int, row: Sequence[Any]) -> SheetRow:
        errors: list[ParRulesError] = []

        def value(kind: str) -> Any:
            col = self.meta.get(kind)
            return None if col is None or col >= len(row) or _empty(row[col]) else row[col]

        unit, year, ref = value("unit"), value("year"), value("ruleset")
        where = f"{self.path}, sheet '{self.sheet}', row {number}"
        if unit is None:
            errors.append(self.error(number, self.meta["unit"], "the unit's name is empty"))
        if ref is None:
            errors.append(self.error(number, self.meta["ruleset"], "the ruleset is empty"))
            return SheetRow(str(self.path), self.sheet, number, None, tuple(errors))
        try:
            ruleset = self.ruleset(str(ref).strip())
        except InputError as exc:
            errors.append(self.error(number, self.meta["ruleset"], exc.message, exc.hint))
            return SheetRow(str(self.path), self.sheet, number, None, tuple(errors))
        columns = self.columns.setdefault(ruleset.id, _Columns(ruleset))
        data: dict[str, Any] = {"unit": str(unit or "").strip(), "ruleset": ruleset.id}
        if year is not None:
            try:
                data["year"] = int(parse_decimal(_decimal(year)))
            except ValueError as exc:
                errors.append(self.error(number, self.meta["year"], str(exc)))
        indicators: dict[str, Any] = {}
        points: dict[str, dict[str, Any]] = {}
        points_col: dict[str, int] = {}
        reasons: dict[str, tuple[int, str]] = {}
        seen: dict[_Key, int] = {}
        for col, cell in enumerate(row):
            if col in self.meta.values() or _empty(cell):
                continue
            header = self.headers[col] if col < len(self.headers) else ""
            key = columns.key(header) if header else None
            if key is None:
                message = (
                    f"the column heading '{header}' is neither an indicator nor a node of "
                    f"'{ruleset.id}'"
                    if header
                    else "a value under an empty column heading"
                )
                errors.append(self.error(number, col, message, columns.hint(header)))
                continue
            if key in seen:
                first = column_letter(seen[key] + 1)
                errors.append(self.error(number, col, f"the same value as column {first}"))
                continue
            seen[key] = col
            try:
                if key.kind == "indicator":
                    indicators[key.name] = _cell(ruleset.indicators[key.name], cell)
                elif key.kind == "points":
                    points[key.name] = {"points": _points(ruleset.node(key.name), cell)}
                    points_col[key.name] = col
                elif key.kind == "reason":
                    reasons[key.name] = (col, str(cell).strip())
            except ValueError as exc:
                errors.append(self.error(number, col, str(exc)))
        for code, (col, reason) in reasons.items():
            if code not in points:
                errors.append(self.error(number, col, f"a reason for {code} without its points"))
            else:
                points[code]["reason"] = reason
        for code, entry in points.items():
            node = ruleset.node(code)
            if node.max is not None and entry["points"] < node.max and "reason" not in entry:
                errors.append(
                    self.error(
                        number,
                        points_col[code],
                        f"{fmt(entry['points'])} of {fmt(node.max)} needs a reason",
                        f"add a column 'Lý do {code}'",
                    )
                )
        if errors:
            return SheetRow(str(self.path), self.sheet, number, None, tuple(errors))
        data["indicators"] = indicators
        data["points"] = points
        try:
            inputs = unit_from_mapping(data, ruleset, path=where)
        except InputError as exc:
            return SheetRow(str(self.path), self.sheet, number, None, (exc,))
        return SheetRow(str(self.path), self.sheet, number, inputs)


def _points(node: Node, value: Any) -> Decimal:
    if not node.is_leaf:
        msg = f"'{node.code}' has sub-criteria: give points for them"
        raise ValueError(msg)
    points = parse_decimal(_decimal(value))
    if points < node.floor or (node.max is not None and points > node.max):
        high = "" if node.max is None else fmt(node.max)
        msg = f"{fmt(points)} is outside {fmt(node.floor)}–{high}"
        raise ValueError(msg)
    return points


_TYPE_HELP = {
    "vi": {
        "unit": "tên đơn vị",
        "count": "số nguyên ≥ 0",
        "number": "số (19,86)",
        "ratio": "tỷ lệ 0–100% (93,4%)",
        "bool": "có / không",
        "date": "ngày (25/05/2023)",
        "choice": "một trong: {choices}",
        "events": "loại: số; loại: số (khien_trach: 1)",
        "answers": "phương án: số; phương án: số (A: 120; B: 30)",
        "text": "văn bản",
        "points": "điểm từ {low} đến {high}",
        "reason": "lý do mất điểm (bắt buộc khi dưới điểm tối đa)",
    },
    "en": {
        "unit": "the unit's name",
        "count": "whole number ≥ 0",
        "number": "number (19.86)",
        "ratio": "share 0–100% (93.4%)",
        "bool": "true / false (có / không)",
        "date": "date (25/05/2023)",
        "choice": "one of: {choices}",
        "events": "kind: count; kind: count (khien_trach: 1)",
        "answers": "option: count; option: count (A: 120; B: 30)",
        "text": "text",
        "points": "points from {low} to {high}",
        "reason": "why points were lost (required below the max)",
    },
}


@attrs.frozen
class TemplateColumn:
    """A column of the template: its heading, what it holds, and how a cell is checked."""

    header: str
    key: str
    kind: str
    unit: str = ""
    help: str = ""
    low: Decimal | None = None
    high: Decimal | None = None
    choices: tuple[str, ...] = ()


def template_columns(
    ruleset: Ruleset, lang: str = "vi", ref: str | None = None
) -> tuple[TemplateColumn, ...]:
    """The columns a batch sheet for ``ruleset`` has: unit, year, ruleset (``ref``, default its
    id), each indicator a sheet can hold, then points and reason of each appraised leaf."""
    t = _META_LABELS["en" if lang == "en" else "vi"]
    helps = _TYPE_HELP["en" if lang == "en" else "vi"]
    ref = ref or ruleset.id
    columns = [
        TemplateColumn(t["unit"], "unit", "text", help=helps["unit"]),
        TemplateColumn(
            t["year"], "year", "year", help=str(ruleset.year), low=Decimal(ruleset.year)
        ),
        TemplateColumn(t["ruleset"], "ruleset", "ruleset", help=ref, choices=(ref,)),
    ]
    labels: dict[str, int] = {}
    for indicator in ruleset.indicators.values():
        labels[_norm(indicator.label)] = labels.get(_norm(indicator.label), 0) + 1
    for name, indicator in ruleset.indicators.items():
        if indicator.type == "items":
            continue
        label = indicator.label_en if lang == "en" and indicator.label_en else indicator.label
        unique = labels[_norm(indicator.label)] == 1 or label != indicator.label
        header = (f"{label} ({indicator.unit})" if indicator.unit else label) if unique else name
        columns.append(
            TemplateColumn(
                header,
                name,
                indicator.type,
                indicator.unit,
                helps[indicator.type].format(choices=", ".join(indicator.choices)),
                choices=indicator.choices,
            )
        )
    for node in ruleset.leaves:
        if node.rule is not None:
            continue
        title = node.get_title(lang)
        most = fmt(node.max, lang) if node.max is not None else "?"
        columns.append(
            TemplateColumn(
                f"{node.code}. {title} (tối đa {most})"
                if lang != "en"
                else f"{node.code}. {title} (max {most})",
                node.code,
                "points",
                help=helps["points"].format(low=fmt(node.floor, lang), high=most),
                low=node.floor,
                high=node.max,
            )
        )
        columns.append(
            TemplateColumn(
                f"{t['reason']} {node.code}", f"reason {node.code}", "reason", help=helps["reason"]
            )
        )
    return tuple(columns)


def template(
    ruleset: Ruleset, format: str = "xlsx", lang: str = "vi", ref: str | None = None
) -> str | bytes:
    """The empty batch sheet for ``ruleset``: CSV headings, or a workbook with headings, a sheet
    describing each column, and data validation for the declared types. ``ref`` is what the
    ruleset column holds (default: the ruleset's id)."""
    columns = template_columns(ruleset, lang, ref)
    if format == "csv":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerow([c.header for c in columns])
        return "\ufeff" + buffer.getvalue()
    if format != "xlsx":
        msg = f"a template is xlsx or csv, not '{format}'"
        raise ParRulesError(msg)
    return _template_xlsx(ruleset, columns, lang)


def _template_xlsx(ruleset: Ruleset, columns: Sequence[TemplateColumn], lang: str) -> bytes:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    from .report._xlsx import require_openpyxl, save, sheet_name

    openpyxl = require_openpyxl()
    book = openpyxl.Workbook()
    sheet = book.active
    taken: set[str] = set()
    sheet.title = sheet_name("Đơn vị" if lang != "en" else "Units", taken)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDDDDD")
    last = 1000
    for index, column in enumerate(columns, start=1):
        letter = column_letter(index)
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[letter].width = 14 if column.kind != "text" else 24
        validation = _validation(column, DataValidation)
        if validation is not None:
            validation.promptTitle = column.header[:32]
            validation.prompt = (column.help or column.header)[:255]
            validation.showInputMessage = True
            validation.errorTitle = "parrules"
            validation.error = (column.help or column.header)[:255]
            validation.showErrorMessage = True
            sheet.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}{last}")
            if column.kind == "ratio":
                for row in range(2, last + 1):
                    sheet.cell(row=row, column=index).number_format = "0.00%"
    sheet.row_dimensions[1].height = 60
    sheet.freeze_panes = "B2"
    guide = book.create_sheet(sheet_name("Hướng dẫn" if lang != "en" else "Guide", taken))
    heads = (
        ("Cột", "Tên / mã", "Kiểu", "Đơn vị tính", "Giá trị")
        if lang != "en"
        else ("Column", "Name / code", "Type", "Measure", "Value")
    )
    guide.append(list(heads))
    for cell in guide[1]:
        cell.font = bold
    for index, column in enumerate(columns, start=1):
        guide.append(
            [
                f"{column_letter(index)}: {column.header}",
                column.key,
                column.kind,
                column.unit,
                column.help,
            ]
        )
    for letter, width in zip("ABCDE", (60, 28, 10, 14, 48), strict=True):
        guide.column_dimensions[letter].width = width
    return save(book)


def _validation(column: TemplateColumn, factory: Any) -> Any:
    """A data validation for a column's declared type, or None for free text."""
    kind = column.kind
    if kind == "year":
        return factory(type="whole", operator="equal", formula1=str(column.low), allow_blank=True)
    if kind == "ruleset" or kind == "choice":
        listed = ",".join(column.choices)
        if len(listed) > 250 or any('"' in c or "," in c for c in column.choices):
            return None
        return factory(type="list", formula1=f'"{listed}"', allow_blank=True)
    if kind == "bool":
        return factory(type="list", formula1='"có,không"', allow_blank=True)
    if kind == "count":
        return factory(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    if kind == "ratio":
        return factory(
            type="decimal", operator="between", formula1="0", formula2="1", allow_blank=True
        )
    if kind == "number":
        return factory(
            type="decimal",
            allow_blank=True,
            operator="between",
            formula1="-1E+15",
            formula2="1E+15",
        )
    if kind == "date":
        return factory(type="date", operator="greaterThan", formula1="1", allow_blank=True)
    if kind == "points":
        return factory(
            type="decimal",
            operator="between",
            formula1=str(column.low),
            formula2=str(column.high),
            allow_blank=True,
        )
    return None
