"""Spreadsheet batches: a CSV or XLSX sheet with one row per unit → ``UnitInputs``; and the empty
template to fill in.

Columns are ``unit``, ``year`` and ``ruleset`` (or ``Đơn vị``, ``Năm``, ``Bộ chỉ số``), then
indicators by name or by their Vietnamese label (``Số TTHC … (thủ tục)``), then directly
appraised points by node code (``5.2`` or ``5.2. Chất lượng cán bộ cấp xã``) with their reason
in ``Lý do 5.2``, or in ``Lý do`` for every appraised point of the row. Dated documents (``items``
indicators) come from a sheet of documents, one row per document keyed by the unit's name.
Other columns (``STT``, ``Ghi chú``) are not read, and named in a warning.

A sheet is read with the same guarantees as a unit file: every cell that cannot be read is an
error naming file, sheet, row and column; a unit given twice (in one sheet, in two sheets of a
workbook, hidden or not) is refused; an empty cell is a missing value and follows the node's
``missing:`` policy. The file itself is read within bounds (see ``_grids``).
"""

from __future__ import annotations

import collections
import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ._batch import unit_key
from ._grids import Grid, Problem, Row, SheetLimits, read_grids
from ._model import Indicator, Node, Ruleset, UnitInputs
from ._numbers import fmt, parse_decimal
from ._plugins import Registry, default_registry
from ._ruleset import load_ruleset, resolve
from ._units import convert, to_date, unit_from_mapping
from .errors import (
    DuplicateUnitError,
    InputError,
    ParRulesError,
    SheetError,
    UnitError,
    close_match,
    column_letter,
)

SHEET_SUFFIXES = (".csv", ".xlsx")

_META = {
    "unit": ("unit", "đơn vị", "tên đơn vị"),
    "year": ("year", "năm"),
    "ruleset": ("ruleset", "bộ chỉ số"),
}
_DOCUMENT = {
    "indicator": ("indicator", "chỉ tiêu"),
    "name": ("name", "document", "tên văn bản", "văn bản", "tên báo cáo"),
    "due": ("due", "hạn", "hạn gửi"),
    "dated": ("dated", "ngày ban hành", "ngày ký"),
    "sent": ("sent", "ngày gửi"),
    "received": ("received", "ngày nhận"),
}
_DEFAULT_REASON = ("lý do", "reason")
_META_LABELS = {
    "vi": {"unit": "Đơn vị", "year": "Năm", "ruleset": "Bộ chỉ số", "reason": "Lý do"},
    "en": {"unit": "Unit", "year": "Year", "ruleset": "Ruleset", "reason": "Reason"},
}
_DOCUMENT_LABELS = {
    "vi": {
        "sheet": "Văn bản",
        "indicator": "Chỉ tiêu",
        "name": "Tên văn bản",
        "due": "Hạn",
        "dated": "Ngày ban hành",
        "sent": "Ngày gửi",
        "received": "Ngày nhận",
    },
    "en": {
        "sheet": "Documents",
        "indicator": "Indicator",
        "name": "Name",
        "due": "Due",
        "dated": "Dated",
        "sent": "Sent",
        "received": "Received",
    },
}
_CODE = r"[0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*"
_POINTS_HEADER = re.compile(rf"^(?P<code>{_CODE})\.?(?:\s.*)?$")
_REASON_HEADER = re.compile(rf"^(?:lý do|reason)\s*[:\-]?\s*(?P<code>{_CODE})\.?$")
_TRUE = {"true", "có", "co", "yes", "x", "1", "đúng"}
_FALSE = {"false", "không", "khong", "no", "0", "sai"}
_SEPARATOR = re.compile(r"[:=]")
_NAMED = 20  # columns named in a warning; the others are counted


def is_sheet(path: str | Path) -> bool:
    """Whether a path is a spreadsheet batch (by its suffix) rather than a YAML unit file."""
    return Path(path).suffix.lower() in SHEET_SUFFIXES


@attrs.frozen
class SheetRow:
    """One data row: the unit it gives, or the errors that stop it."""

    path: str
    sheet: str
    row: int
    unit: UnitInputs | None
    errors: tuple[ParRulesError, ...] = ()


@attrs.frozen
class SheetFile:
    """A spreadsheet batch as read: each row of units (a unit, or the errors that stop it), and
    warnings about what was not read (columns that are neither an indicator nor a node, hidden
    sheets whose rows are read)."""

    path: str
    rows: tuple[SheetRow, ...]
    warnings: tuple[str, ...] = ()


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    return " ".join(text.replace("\u00a0", " ").split()).rstrip(":*").strip()


def _short(value: Any) -> str:
    text = str(value).strip()
    return text if len(text) <= 60 else text[:59] + "…"


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
        self.keys: dict[str, _Key | None] = {}
        for name in ruleset.indicators:
            self.names[_norm(name)] = name
        for name, indicator in ruleset.indicators.items():
            for label in _labels(indicator):
                key = _norm(label)
                if key in self.names and self.names[key] != name:
                    self.ambiguous.add(key)
                self.names.setdefault(key, name)

    def key(self, header: str) -> _Key | None:
        """What a column holds, by its heading (the same for every row: kept)."""
        if header not in self.keys:
            self.keys[header] = self._key(header)
        return self.keys[header]

    def _key(self, header: str) -> _Key | None:
        text = _norm(header)
        for kind, names in _META.items():
            if text in names:
                return _Key(kind)
        if text in self.names and text not in self.ambiguous:
            return _Key("indicator", self.names[text])
        if text in _DEFAULT_REASON:
            return _Key("reason")
        match = _REASON_HEADER.match(text)
        if match and self.ruleset.has_node(match["code"]):
            return _Key("reason", match["code"])
        match = _POINTS_HEADER.match(text)
        if match and self.ruleset.has_node(match["code"]):
            return _Key("points", match["code"])
        return None

    def hint(self, header: str) -> str | None:
        text = _norm(header)
        if text in self.ambiguous:
            return "several indicators have this label: head the column with the indicator's name"
        known = [*self.names, *(n.code for n in self.ruleset.flat)]
        return close_match(text, known)


class _Read(dict[int, _Key]):
    """The columns of one sheet of units that ``ruleset`` reads, in order, each with what it
    holds, worked out once per sheet; and each cell's text read once per value (a sheet gives
    the same few points and answers over and over)."""

    def __init__(self, ruleset: Ruleset, layout: _Layout, columns: _Columns) -> None:
        self.skip = frozenset(layout.meta.values())
        for col, header in sorted(layout.headers.items()):
            key = columns.key(header) if header and col not in self.skip else None
            if key is not None:
                self[col] = key
        counts = collections.Counter(self.values())
        self.shared = frozenset(col for col, key in self.items() if counts[key] > 1)
        """The columns whose key another column has too."""
        self.ruleset = ruleset
        self.cells: dict[tuple[str, str, Any], Any] = {}

    def value(self, name: str, cell: Any) -> Any:
        indicator = self.ruleset.indicators[name]
        return self._once(("indicator", name, cell), lambda: _cell(indicator, cell))

    def points(self, code: str, cell: Any) -> Decimal:
        node = self.ruleset.node(code)
        value: Decimal = self._once(("points", code, cell), lambda: _points(node, cell))
        return value

    def _once(self, key: tuple[str, str, Any], read: Callable[[], Any]) -> Any:
        """``read()``, kept for a text cell when what it gives cannot be changed."""
        if type(key[2]) is not str:
            return read()
        found = self.cells.get(key)
        if found is None:
            found = read()
            if type(found) in _KEPT and len(self.cells) < _CELLS:
                self.cells[key] = found
        return found


_KEPT = frozenset({Decimal, bool, str, dt.date})
_CELLS = 65536
"""Cell texts remembered per sheet and ruleset, with their values."""


def _labels(indicator: Indicator) -> Iterator[str]:
    for label in (indicator.label, indicator.label_en):
        if label:
            yield label
            if indicator.unit:
                yield f"{label} ({indicator.unit})"


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _pairs(text: str) -> dict[str, str]:
    """``khien_trach: 1; cach_chuc: 0`` as kinds and values, read in one pass; a kind given twice
    is refused, as a repeated key of a unit file is."""
    pairs: dict[str, str] = {}
    for raw in text.split(";"):
        part = raw.strip()
        if not part:
            continue
        match = _SEPARATOR.search(part)
        key = unicodedata.normalize("NFC", part[: match.start()].strip()) if match else ""
        value = part[match.end() :].strip() if match else ""
        if not key or not value:
            msg = f"'{_short(part)}' is not 'kind: number' (e.g. khien_trach: 1; cach_chuc: 0)"
            raise ValueError(msg)
        if key in pairs:
            msg = f"'{_short(key)}' is given twice in the cell"
            raise ValueError(msg)
        pairs[key] = value
    return pairs


def _cell(indicator: Indicator, value: Any) -> Any:
    """A cell as its indicator's type; ``ValueError`` with a readable message otherwise."""
    kind = indicator.type
    if isinstance(value, str):
        value = value.strip()
    if kind == "items":
        msg = "dated documents ('items') are given in a sheet of documents, one row each"
        raise ValueError(msg)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = _norm(str(value))
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        msg = f"'{_short(value)}' is not có/không (true/false)"
        raise ValueError(msg)
    if kind == "date":
        if isinstance(value, dt.datetime | dt.date):
            return convert(indicator, value)
        text = str(value)
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return convert(indicator, text)
    if kind in ("events", "answers"):
        return convert(indicator, _pairs(str(value)))
    if kind in ("text", "choice"):
        if isinstance(value, Decimal):
            value = fmt(value, "en")
        return convert(indicator, str(value))
    return convert(indicator, value)


def _text(value: Any) -> str:
    """A heading or a name as text (a number typed in it as written: ``1.4``)."""
    if isinstance(value, Decimal):
        return fmt(value, "en")
    return str(value).strip()


def read_sheet(
    path: str | Path,
    *,
    registry: Registry | None = None,
    strict: bool = False,
    limits: SheetLimits | None = None,
) -> SheetFile:
    """Every data row of every sheet that has a ``unit`` column, as a unit or its errors.

    Columns that are neither an indicator nor a node of a row's ruleset are not read and are
    named in a warning; with ``strict`` they are an error. Raises ``UnitError`` (a
    ``SheetError`` where a sheet or cell is to blame) when the file cannot be read at all, is
    beyond ``limits``, or has no row of units.
    """
    path = Path(path)
    reader = _FileReader(path, registry or default_registry(), strict)
    grids = list(read_grids(path, limits or SheetLimits()))
    layouts = [layout for grid in grids if (layout := reader.layout(grid)) is not None]
    if not layouts:
        raise UnitError(
            "no sheet has a 'unit' (Đơn vị) column",
            path=path,
            hint="the first row of a sheet names its columns: unit, year, ruleset, indicators…",
        )
    for layout in layouts:
        if layout.documents:
            reader.documents(layout)
    for layout in layouts:
        if not layout.documents:
            reader.units(layout)
    return reader.result()


@attrs.frozen
class _Layout:
    """A sheet with a unit column: its headings and where the unit, year and ruleset are."""

    grid: Grid
    headers: Mapping[int, str]
    meta: Mapping[str, int]
    documents: bool


@attrs.frozen
class _Document:
    """A row of a sheet of documents, not yet matched to its unit."""

    sheet: str
    row: int
    name: str
    year: Any
    cells: Mapping[str, tuple[int, Any]]  # field → (column, value)
    headers: Mapping[int, str]


class _FileReader:
    def __init__(self, path: Path, registry: Registry, strict: bool) -> None:
        self.path = path
        self.registry = registry
        self.strict = strict
        self.rulesets: dict[str, Ruleset] = {}
        self.columns: dict[str, _Columns] = {}
        self.read: dict[tuple[int, str], _Read] = {}
        self.rows: list[SheetRow] = []
        self.warnings: list[tuple[int, str]] = []  # (sheet's place in the file, warning)
        self.order: dict[str, int] = {}
        self.docs: dict[str, list[_Document]] = {}
        self.claimed: dict[int, list[int]] = {}  # id of a document → indexes of the unit rows
        self.unmatched: set[str] = set()  # units whose row failed before its documents were read

    def layout(self, grid: Grid) -> _Layout | None:
        if not grid.rows or grid.rows[0][0] != 1:
            return None
        headers: dict[int, str] = {}
        for col, value in grid.rows[0][1].items():
            if isinstance(value, Problem):
                raise SheetError(
                    value.message, path=self.path, sheet=grid.name, row=1, column=col + 1
                )
            headers[col] = _text(value)
        meta: dict[str, int] = {}
        fields = {**_META, **_DOCUMENT}
        for col, header in headers.items():
            for kind, names in fields.items():
                if _norm(header) not in names:
                    continue
                if kind in meta:
                    first = column_letter(meta[kind] + 1)
                    raise SheetError(
                        f"a second '{kind}' column (the first is column {first})",
                        path=self.path,
                        sheet=grid.name,
                        row=1,
                        column=col + 1,
                        header=header,
                    )
                meta[kind] = col
        if "unit" not in meta:
            return None
        documents = "ruleset" not in meta and "name" in meta
        missing = [f for f in ("indicator", "due") if f not in meta]
        if documents and missing:
            raise SheetError(
                f"a sheet of documents needs a '{missing[0]}' column",
                path=self.path,
                sheet=grid.name,
                row=1,
                hint="its columns: unit, indicator, name, due, and dated, sent or received",
            )
        if "ruleset" not in meta and not documents:
            raise SheetError(
                "the sheet has no 'ruleset' (Bộ chỉ số) column",
                path=self.path,
                sheet=grid.name,
                row=1,
                hint="add a column with the ruleset id of each row",
            )
        self.order[grid.name] = len(self.order)
        if grid.hidden:
            self.warnings.append(
                (
                    self.order[grid.name],
                    f"{self.path}, sheet '{grid.name}' is {grid.hidden}: its rows are read too",
                )
            )
        if not documents:  # in a sheet of units, document headings are ordinary headings
            meta = {k: v for k, v in meta.items() if k in _META}
        return _Layout(grid, headers, meta, documents)

    def error(
        self,
        layout: _Layout,
        row: int,
        col: int | None,
        message: str,
        hint: str | None = None,
    ) -> SheetError:
        return SheetError(
            message,
            path=self.path,
            sheet=layout.grid.name,
            row=row,
            column=None if col is None else col + 1,
            header=None if col is None else layout.headers.get(col),
            hint=hint,
        )

    def ruleset(self, ref: str) -> Ruleset:
        if ref not in self.rulesets:
            self.rulesets[ref] = load_ruleset(
                resolve(ref, self.registry, base=self.path.parent), registry=self.registry
            )
        return self.rulesets[ref]

    def not_read(
        self, layout: _Layout, columns: Iterable[int], what: str, known: _Columns | None = None
    ) -> None:
        """Columns of a sheet that no reader takes: a warning naming them (the first few, with
        the closest name ``known`` has), or an error."""
        cols = sorted(set(columns))
        named = []
        for col in cols[:_NAMED]:
            header = layout.headers.get(col, "")
            text = f"{column_letter(col + 1)} ({_short(header) if header else 'no heading'})"
            hint = known.hint(header) if known is not None and header else None
            named.append(f"{text} ({hint})" if hint else text)
        if not named:
            return
        more = f" and {len(cols) - _NAMED:,} more" if len(cols) > _NAMED else ""
        message = f"columns not read ({what}): {', '.join(named)}{more}"
        if self.strict:
            raise SheetError(
                message,
                path=self.path,
                sheet=layout.grid.name,
                row=1,
                hint="remove them, or read the sheet without --strict",
            )
        self.warnings.append(
            (self.order[layout.grid.name], f"{self.path}, sheet '{layout.grid.name}': {message}")
        )

    # documents -------------------------------------------------------------------------------

    def documents(self, layout: _Layout) -> None:
        known = set(layout.meta.values())
        unread = {col for col in layout.headers if col not in known}
        for number, cells in layout.grid.rows[1:]:
            unread.update(col for col in cells if col not in known)
            name = cells.get(layout.meta["unit"])
            year = cells.get(layout.meta["year"]) if "year" in layout.meta else None
            problem = next(
                (
                    (layout.meta[k], v.message)
                    for k, v in (("unit", name), ("year", year))
                    if isinstance(v, Problem)
                ),
                (layout.meta["unit"], "the unit's name is empty") if _empty(name) else None,
            )
            if problem is not None:
                error = self.error(layout, number, *problem)
                self.rows.append(SheetRow(str(self.path), layout.grid.name, number, None, (error,)))
                continue
            document = _Document(
                layout.grid.name,
                number,
                _text(name),
                None if _empty(year) else year,
                {
                    field: (col, cells.get(col))
                    for field, col in layout.meta.items()
                    if field in _DOCUMENT
                },
                layout.headers,
            )
            self.docs.setdefault(_name_key(document.name), []).append(document)
        self.not_read(layout, unread, "neither the unit, the year nor a field of a document")

    def attach(
        self, unit: str, year: int, ruleset: Ruleset, index: int
    ) -> tuple[dict[str, list[dict[str, Any]]], list[ParRulesError]]:
        """The documents of the unit row at ``index``, by indicator, or the errors of their rows."""
        found: dict[str, list[dict[str, Any]]] = {}
        errors: list[ParRulesError] = []
        for doc in self.docs.get(_name_key(unit), ()):
            if doc.year is not None and not _same_year(doc.year, year):
                continue
            self.claimed.setdefault(id(doc), []).append(index)
            result = self.document(doc, ruleset)
            if isinstance(result, list):
                errors += result
            else:
                found.setdefault(result[0], []).append(result[1])
        return found, errors

    def document(
        self, doc: _Document, ruleset: Ruleset
    ) -> tuple[str, dict[str, Any]] | list[ParRulesError]:
        """A row of documents as its indicator and item, or its errors."""

        def error(field: str | None, message: str, hint: str | None = None) -> SheetError:
            col = doc.cells[field][0] if field is not None and field in doc.cells else None
            return SheetError(
                message,
                path=self.path,
                sheet=doc.sheet,
                row=doc.row,
                column=None if col is None else col + 1,
                header=None if col is None else doc.headers.get(col),
                hint=hint,
            )

        item: dict[str, Any] = {}
        errors: list[ParRulesError] = []
        for field, (_col, value) in doc.cells.items():
            if _empty(value):
                continue
            if isinstance(value, Problem):
                errors.append(error(field, value.message, value.hint))
            elif field in ("indicator", "name"):
                item[field] = _text(value)
            else:
                try:
                    item[field] = to_date(value)
                except ValueError as exc:
                    errors.append(error(field, str(exc)))
        required = {"indicator": "indicator", "name": "document's name", "due": "due date"}
        for field, what in required.items():
            if field not in item and not errors:
                errors.append(error(field, f"the {what} is empty"))
        if errors:
            return errors
        text = item.pop("indicator")
        name = self._columns(ruleset).names.get(_norm(text))
        if name is None or ruleset.indicators[name].type != "items":
            items = [n for n, i in ruleset.indicators.items() if i.type == "items"]
            return [
                error(
                    "indicator",
                    f"'{_short(text)}' is not an indicator of dated documents of '{ruleset.id}'",
                    close_match(text, items) or f"one of: {', '.join(items) or 'none'}",
                )
            ]
        try:
            (checked,) = convert(ruleset.indicators[name], [item])
        except ValueError as exc:
            return [error(None, str(exc))]
        return name, checked

    # units -----------------------------------------------------------------------------------

    def _columns(self, ruleset: Ruleset) -> _Columns:
        if ruleset.id not in self.columns:
            self.columns[ruleset.id] = _Columns(ruleset)
        return self.columns[ruleset.id]

    def _read(self, layout: _Layout, ruleset: Ruleset) -> _Read:
        """What each column of a sheet of units holds for ``ruleset``, worked out once."""
        found = self.read.get((id(layout), ruleset.id))
        if found is None:
            columns = self._columns(ruleset)
            found = _Read(ruleset, layout, columns)
            self.read[(id(layout), ruleset.id)] = found
        return found

    def units(self, layout: _Layout) -> None:
        unread: dict[str, set[int]] = {}
        for number, cells in layout.grid.rows[1:]:
            self.rows.append(self.row(layout, number, cells, unread))
        for ruleset_id, columns in unread.items():
            what = f"neither an indicator nor a node of '{ruleset_id}'"
            self.not_read(layout, columns, what, self.columns[ruleset_id])

    def row(
        self,
        layout: _Layout,
        number: int,
        cells: Row,
        unread: dict[str, set[int]],
    ) -> SheetRow:
        errors: list[ParRulesError] = []
        meta = layout.meta
        sheet = layout.grid.name

        def value(kind: str) -> Any:
            col = meta.get(kind)
            cell = None if col is None else cells.get(col)
            if isinstance(cell, Problem):
                errors.append(self.error(layout, number, col, cell.message, cell.hint))
                return None
            return None if _empty(cell) else cell

        def failed() -> SheetRow:
            """The row's errors, before its documents were matched: they are not reported as
            documents of no unit."""
            if unit is not None:
                self.unmatched.add(_name_key(_text(unit)))
            return SheetRow(str(self.path), sheet, number, None, tuple(errors))

        unit, year, ref = value("unit"), value("year"), value("ruleset")
        where = f"{self.path}, sheet '{sheet}', row {number}"
        if unit is None and "unit" in meta and not isinstance(cells.get(meta["unit"]), Problem):
            errors.append(self.error(layout, number, meta["unit"], "the unit's name is empty"))
        if ref is None:
            if not isinstance(cells.get(meta["ruleset"]), Problem):
                errors.append(self.error(layout, number, meta["ruleset"], "the ruleset is empty"))
            return failed()
        try:
            ruleset = self.ruleset(_text(ref))
        except InputError as exc:
            errors.append(self.error(layout, number, meta["ruleset"], exc.message, exc.hint))
            return failed()
        read = self._read(layout, ruleset)
        if ruleset.id not in unread:
            unread[ruleset.id] = {
                col for col in layout.headers if col not in meta.values() and col not in read
            }
        data: dict[str, Any] = {"unit": _text(unit or ""), "ruleset": ruleset.id}
        if year is not None:
            try:
                data["year"] = int(parse_decimal(year))
            except ValueError as exc:
                errors.append(self.error(layout, number, meta["year"], str(exc)))
        indicators: dict[str, Any] = {}
        points: dict[str, Any] = {}
        points_col: dict[str, int] = {}
        reasons: dict[str, tuple[int, str]] = {}
        seen: dict[_Key, int] = {}
        skip = read.skip
        for col in sorted(cells.keys() - read.keys() - skip):  # a value in a column not read
            if not _empty(cells[col]):
                unread[ruleset.id].add(col)
        for col, key in read.items():
            cell = cells.get(col)
            if cell is None or _empty(cell):
                continue
            if col in read.shared:
                if key in seen:
                    first = column_letter(seen[key] + 1)
                    message = f"the same value as column {first}"
                    errors.append(self.error(layout, number, col, message))
                    continue
                seen[key] = col
            if isinstance(cell, Problem):
                errors.append(self.error(layout, number, col, cell.message, cell.hint))
                continue
            try:
                if key.kind == "indicator":
                    indicators[key.name] = read.value(key.name, cell)
                elif key.kind == "points":
                    points[key.name] = read.points(key.name, cell)
                    points_col[key.name] = col
                elif key.kind == "reason":
                    reasons[key.name] = (col, _text(cell))
            except ValueError as exc:
                errors.append(self.error(layout, number, col, str(exc)))
        default = reasons.pop("", None)
        for code, (col, reason) in reasons.items():
            if code not in points:
                errors.append(
                    self.error(layout, number, col, f"a reason for {code} without its points")
                )
            else:
                points[code] = {"points": points[code], "reason": reason}
        for code, entry in points.items():
            node = ruleset.node(code)
            if node.max is None or isinstance(entry, dict) or entry >= node.max:
                continue
            if default is None:
                errors.append(
                    self.error(
                        layout,
                        number,
                        points_col[code],
                        f"{fmt(entry)} of {fmt(node.max)} needs a reason",
                        f"add a column 'Lý do {code}', or 'Lý do' for every point of the row",
                    )
                )
        if default is not None and not points:
            errors.append(
                self.error(layout, number, default[0], "a reason without points appraised")
            )
        documents, problems = self.attach(
            data["unit"], data.get("year", ruleset.year), ruleset, len(self.rows)
        )
        errors += problems
        for name in documents:
            if name in indicators:
                errors.append(self.error(layout, number, None, f"'{name}' given twice"))
        if errors:
            return failed()
        data["indicators"] = {**indicators, **documents}
        data["points"] = points
        if default is not None:  # as a unit file's 'reason:' beside its 'points:'
            data["reason"] = default[1]
        try:
            inputs = unit_from_mapping(data, ruleset, path=where)
        except InputError as exc:
            return SheetRow(str(self.path), sheet, number, None, (exc,))
        return SheetRow(str(self.path), sheet, number, inputs)

    def result(self) -> SheetFile:
        rows = _refuse_duplicates(self.rows)
        for doc in (d for docs in self.docs.values() for d in docs):
            claims = self.claimed.get(id(doc), [])
            if not claims and _name_key(doc.name) not in self.unmatched:
                rows.append(
                    SheetRow(
                        str(self.path),
                        doc.sheet,
                        doc.row,
                        None,
                        (
                            SheetError(
                                f"no row of units names '{_short(doc.name)}'"
                                + (f" for {_text(doc.year)}" if doc.year is not None else ""),
                                path=self.path,
                                sheet=doc.sheet,
                                row=doc.row,
                                hint="the unit's name is written as in the sheet of units",
                            ),
                        ),
                    )
                )
            elif len(claims) > 1:
                for index in claims:
                    rows[index] = attrs.evolve(
                        rows[index],
                        unit=None,
                        errors=(
                            *rows[index].errors,
                            SheetError(
                                "the document is for several rows of units: give its year",
                                path=self.path,
                                sheet=doc.sheet,
                                row=doc.row,
                            ),
                        ),
                    )
        if not rows:
            raise UnitError(
                "the sheet has headings but no row of units",
                path=self.path,
                hint="each row under the headings is one unit",
            )
        warnings = tuple(text for _, text in sorted(self.warnings, key=lambda w: w[0]))
        return SheetFile(str(self.path), tuple(rows), warnings)


def _name_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


def _same_year(value: Any, year: int) -> bool:
    try:
        return int(parse_decimal(value)) == year
    except ValueError:
        return False


def _refuse_duplicates(rows: list[SheetRow]) -> list[SheetRow]:
    """Every row of a unit given more than once is an error naming the others: which one is
    right cannot be told."""
    where: dict[tuple[str, int, str], list[int]] = {}
    for index, row in enumerate(rows):
        if row.unit is not None:
            where.setdefault(unit_key(row.unit), []).append(index)
    result = list(rows)
    for indexes in where.values():
        if len(indexes) < 2:
            continue
        for index in indexes:
            row = rows[index]
            assert row.unit is not None
            others = ", ".join(
                f"sheet '{rows[i].sheet}', row {rows[i].row}" for i in indexes if i != index
            )
            error = DuplicateUnitError(
                f"the unit '{row.unit.unit}' ({row.unit.year}) is also in {others}; none of "
                "them is scored",
                path=f"{row.path}, sheet '{row.sheet}', row {row.row}",
                field="unit",
                hint="keep one row per unit",
            )
            result[index] = attrs.evolve(row, unit=None, errors=(error,))
    return result


def _points(node: Node, value: Any) -> Decimal:
    if not node.is_leaf:
        msg = f"'{node.code}' has sub-criteria: give points for them"
        raise ValueError(msg)
    points = parse_decimal(value.strip() if isinstance(value, str) else value)
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
        "points_from": "điểm từ {low} trở lên (điểm tối đa không được công bố)",
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
        "points_from": "points from {low} up (no published maximum)",
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
        if node.max is None:  # no published maximum: any points from the floor up
            header = f"{node.code}. {title}"
            hint = helps["points_from"].format(low=fmt(node.floor, lang))
        else:
            most = fmt(node.max, lang)
            header = f"{node.code}. {title} ({'max' if lang == 'en' else 'tối đa'} {most})"
            hint = helps["points"].format(low=fmt(node.floor, lang), high=most)
        columns.append(
            TemplateColumn(header, node.code, "points", help=hint, low=node.floor, high=node.max)
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
    if format == "csv":  # the headings, as every CSV file parrules writes
        from .report import Column, Table
        from .report._render import csv_text

        headings = Table("", "", tuple(Column(c.header) for c in columns), ())
        return csv_text([headings], lang)
    if format != "xlsx":
        msg = f"a template is xlsx or csv, not '{format}'"
        raise ParRulesError(msg)
    return _template_xlsx(ruleset, columns, lang)


def document_columns(ruleset: Ruleset, lang: str = "vi") -> tuple[TemplateColumn, ...]:
    """The columns of the sheet of documents, for a ruleset with dated documents (``items``
    indicators; none otherwise): unit, indicator, the document's name, due, dated, sent and
    received dates. The indicator is chosen by its label where the labels make a short list."""
    items = {n: i for n, i in ruleset.indicators.items() if i.type == "items"}
    if not items:
        return ()
    t = _DOCUMENT_LABELS["en" if lang == "en" else "vi"]
    helps = _TYPE_HELP["en" if lang == "en" else "vi"]
    labels = tuple(
        (i.label_en if lang == "en" and i.label_en else i.label) or n for n, i in items.items()
    )
    plain = all("," not in x and '"' not in x for x in labels) and len(set(labels)) == len(labels)
    choices = labels if plain and len(", ".join(labels)) <= 250 else tuple(items)
    columns = [
        TemplateColumn(_META_LABELS["en" if lang == "en" else "vi"]["unit"], "unit", "text"),
        TemplateColumn(
            t["indicator"],
            "indicator",
            "choice",
            help=helps["choice"].format(choices=", ".join(choices)),
            choices=choices,
        ),
        TemplateColumn(t["name"], "name", "text", help=helps["text"]),
    ]
    for field in ("due", "dated", "sent", "received"):
        columns.append(TemplateColumn(t[field], field, "date", help=helps["date"]))
    return tuple(columns)


def _template_xlsx(ruleset: Ruleset, columns: Sequence[TemplateColumn], lang: str) -> bytes:
    from openpyxl.styles import Font

    from .report._xlsx import put, require_openpyxl, save, sheet_name

    openpyxl = require_openpyxl()
    book = openpyxl.Workbook()
    taken: set[str] = set()
    sheets = [("Đơn vị" if lang != "en" else "Units", columns)]
    documents = document_columns(ruleset, lang)
    if documents:
        sheets.append((_DOCUMENT_LABELS["en" if lang == "en" else "vi"]["sheet"], documents))
    for index, (title, heads) in enumerate(sheets):
        sheet = book.active if index == 0 else book.create_sheet()
        sheet.title = sheet_name(title, taken)
        _headings(sheet, heads)
    bold = Font(bold=True)
    guide = book.create_sheet(sheet_name("Hướng dẫn" if lang != "en" else "Guide", taken))
    titles = ("Cột", "Tên / mã", "Kiểu", "Đơn vị tính", "Giá trị")
    if lang == "en":
        titles = ("Column", "Name / code", "Type", "Measure", "Value")
    for index, title in enumerate(titles, start=1):
        put(guide, 1, index, title).font = bold
    line = 1
    for title, heads in sheets:
        for index, column in enumerate(heads, start=1):
            where = f"{column_letter(index)}: {column.header}"
            line += 1
            texts = (
                where if title == sheets[0][0] else f"{title}, {where}",
                column.key,
                column.kind,
                column.unit,
                column.help,
            )
            for place, text in enumerate(texts, start=1):
                put(guide, line, place, text)
    for letter, width in zip("ABCDE", (60, 28, 10, 14, 48), strict=True):
        guide.column_dimensions[letter].width = width
    return save(book)


def _headings(sheet: Any, columns: Sequence[TemplateColumn]) -> None:
    """A sheet's heading row, with a data validation for each column's declared type."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    from .report._xlsx import put

    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDDDDD")
    last = 1000
    for index, column in enumerate(columns, start=1):
        letter = column_letter(index)
        cell = put(sheet, 1, index, column.header)
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
            if column.kind == "date":
                for row in range(2, last + 1):
                    sheet.cell(row=row, column=index).number_format = "dd/mm/yyyy"
    sheet.row_dimensions[1].height = 60
    sheet.freeze_panes = "B2"


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
