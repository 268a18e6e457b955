"""``*.cases.yaml``: examples written beside a ruleset, and the figures its sources publish.

```yaml
ruleset: 2023.yaml          # optional; default: the file beside, without ``.cases``
cases:                      # examples: a unit and the points it must get
  - name: lanes 93,4% lose a quarter point
    unit: {indicators: {...}, points: {...}}   # a unit file's body: no unit, year, ruleset
    stage: final            # optional; default: the last stage
    expect: {"7.15": 0.25, "7": "11,75", total: 89.75}
units:                      # the units a source publishes figures of, by name
  Xã Bình Thành: {indicators: {...}, points: {...}, stages: {...}}
published:                  # the source's tables, as printed
  - table: Chỉ số đánh giá CCHC năm 2023 của xã Bình Thành
    source: bc-binh-thanh-2023      # a source the ruleset declares
    at: biểu kèm theo báo cáo
    unit: Xã Bình Thành             # one unit: rows are codes, columns quantities or stages
    decimals: 2                     # the source prints its figures to 2 decimals
    columns: [max, self, appraisal, final]
    rows:
      "1": [10, "9,5", "9,5", "9,0"]
      total: [100, "97,5", "93,75", "89,75"]
```

Expected points of ``cases`` are compared exactly with the unrounded points of the card. A
published figure is compared with the computed value rounded as the source rounds (``decimals``,
``rounding``); the format is documented in docs/reference/verification.md. Nothing here needs
hypothesis or pytest.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import attrs

from .._engine import score
from .._model import Ruleset, ScoreCard, StageResult
from .._numbers import fmt, parse_decimal, percent
from .._plugins import Registry
from .._ruleset import load_ruleset
from .._units import STAGES, unit_from_mapping
from .._yaml import Located, load_file
from ..errors import InputError, ParRulesError, UnitError
from ._failures import PROPERTIES, CheckFailed

SUFFIX = ".cases.yaml"
FILE_KEYS = {"ruleset", "cases", "units", "published"}
CASE_KEYS = {"name", "unit", "expect", "stage"}
TABLE_KEYS = {"table", "source", "at", "unit", "before", "stage", "decimals", "rounding", "note"}
TABLE_KEYS |= {"units", "columns", "rows", "classes"}
CELL_KEYS = {"value", "decimals", "rounding", "note", "differs"}
ROUNDINGS = {"half_up": ROUND_HALF_UP, "down": ROUND_DOWN}

NODE_QUANTITIES = ("points", "max", "percent", "lost", "verdict", "change", "change %")
"""Columns of a one-unit table (besides the stage names, which are points at that stage);
``change`` and ``change %`` are against the table's ``before`` unit (another year, say)."""
UNIT_QUANTITIES = ("rank", "class", "percent")
"""Columns of a table of units that are not a node's points."""
SUMMARY_ROWS = ("max", "average", "average %")
"""Rows of a table of units over all its units: each column's max, mean points, mean percent."""
VERDICTS = {
    "đạt": "met",
    "met": "met",
    "không đạt": "not_met",
    "not met": "not_met",
    "": "no_data",
    "không đủ dữ liệu": "no_data",
    "insufficient data": "no_data",
}
"""A published verdict, and the goal verdict it is; a blank cell is a goal left unrated."""
VERDICT_WORDS = {"met": "Đạt", "not_met": "Không đạt", "no_data": "không đủ dữ liệu"}

REPRODUCED, DIFFERS, FAILED = "reproduced", "known difference", "failed"


@attrs.frozen
class Case:
    """One example of a cases file: a unit body and the points expected for some nodes."""

    name: str
    ruleset: str
    unit: Mapping[str, Any] = attrs.field(eq=False)
    expect: Mapping[str, Decimal]
    stage: str | None = None
    path: str | None = None
    line: int | None = None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.path else "?"


@attrs.frozen
class Figure:
    """One figure a source prints: the cell at ``row`` and ``column`` of a published table, the
    value as printed and how the source rounds it (``decimals`` None: compared exactly)."""

    row: str
    column: str
    value: Decimal | str
    decimals: int | None = None
    rounding: str = "half_up"
    note: str | None = None
    differs: str | None = None
    """Why the figure is known not to be reproduced (the source contradicts itself, say)."""
    line: int | None = None


@attrs.frozen
class PublishedTable:
    """A table (or a statement) of a source, as printed: its figures, and the units they are
    of — one unit (rows are codes, columns quantities) or several (rows are units)."""

    name: str
    figures: tuple[Figure, ...]
    source: str | None = None
    at: str | None = None
    unit: str | None = None
    units: tuple[str, ...] = ()
    stage: str | None = None
    line: int | None = None
    before: str | None = None
    """The unit the ``change`` columns compare with."""


@attrs.frozen
class CasesFile:
    """A ``*.cases.yaml`` file: its examples, its units and the published tables."""

    path: str
    name: str
    """How the file is named in messages: the path as given, or ``<ruleset id>.cases.yaml``."""
    ruleset: str
    cases: tuple[Case, ...]
    units: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict, eq=False)
    published: tuple[PublishedTable, ...] = ()

    @property
    def figures(self) -> int:
        return sum(len(table.figures) for table in self.published)


@attrs.frozen
class Checked:
    """A published figure, the value computed for it, and whether the source's rounding of the
    computed value gives the printed figure."""

    table: PublishedTable
    figure: Figure
    got: Decimal | str | None
    status: str
    """``reproduced``, ``known difference`` (a figure marked ``differs`` that still differs) or
    ``failed``."""
    where: str
    error: str | None = None

    @property
    def message(self) -> str:
        f = self.figure
        head = f"{self.where}: {self.table.name}: {f.row}, {f.column}: published {_show(f.value)}"
        if self.error:
            return f"{head}: {self.error}"
        got = f"got {_show(VERDICT_WORDS.get(str(self.got), self.got))}"
        if isinstance(self.got, Decimal) and f.decimals is not None:
            rounded = _round(self.got, f.decimals, f.rounding)
            how = "rounded half-up" if f.rounding == "half_up" else "rounded down"
            got += f" ({how} to {f.decimals} decimal(s): {_show(rounded)})"
        if self.status == DIFFERS:
            return f"{head}, {got}; known difference: {f.differs}"
        if f.differs and self.status == FAILED:
            return f"{head}, {got}: now reproduced, but marked 'differs: {f.differs}'"
        return f"{head}, {got}"


@attrs.frozen
class FileResult:
    """What ``run_cases`` found in one cases file."""

    file: CasesFile | None
    name: str
    cases_passed: int = 0
    case_failures: tuple[str, ...] = ()
    checked: tuple[Checked, ...] = ()
    error: str | None = None
    """Why the file could not be run at all (it, its ruleset or a unit is invalid)."""

    def count(self, status: str) -> int:
        return sum(c.status == status for c in self.checked)

    @property
    def ok(self) -> bool:
        return self.error is None and not self.case_failures and not self.count(FAILED)


def _show(value: object) -> str:
    if isinstance(value, Decimal):
        return fmt(value, "en")
    if value is None:
        return "nothing"
    return repr(value) if value == "" else str(value)


def _round(value: Decimal, decimals: int, rounding: str) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUNDINGS[rounding])


def _error(data: Any, key: str | None, message: str, path: str | Path) -> UnitError:
    return UnitError(message, path=path, line=_line(data, key), field=key)


def _line(data: Any, key: Any) -> int | None:
    if isinstance(data, Located) and key is not None:
        return data.line_of(key)
    return getattr(data, "line", None)


def load_cases(path: str | Path) -> tuple[Case, ...]:
    """The examples of a ``*.cases.yaml`` file, read with the safe loader and checked."""
    return load_cases_file(path).cases


def load_cases_file(path: str | Path, *, name: str | None = None) -> CasesFile:
    """A ``*.cases.yaml`` file, read with the safe loader and checked: its examples, its units and
    its published tables. ``name`` is how messages name it (default: the path)."""
    path = Path(path)
    where = name or str(path)
    try:
        data = load_file(path)
    except InputError as exc:
        exc.path = where  # named as the caller names the file
        raise
    if not isinstance(data, Located):
        raise _error(data, None, "a cases file is a mapping of cases, units and published", where)
    for key in sorted(set(data) - FILE_KEYS):
        raise _error(data, key, f"unknown key '{key}'", where)
    if not any(key in data for key in ("cases", "published")):
        raise _error(data, "cases", "a cases file has a list under 'cases' or 'published'", where)
    ruleset = data.get("ruleset")
    if ruleset is None:
        if not path.name.endswith(SUFFIX):
            raise _error(data, None, f"name the file <ruleset>{SUFFIX} or give 'ruleset:'", where)
        ruleset = path.with_name(path.name[: -len(SUFFIX)] + ".yaml")
    elif str(ruleset).endswith((".yaml", ".yml")):
        ruleset = path.parent / str(ruleset)
    cases = tuple(_case(entry, data, str(ruleset), where) for entry in _list(data, "cases", where))
    units = data.get("units", {})
    if not isinstance(units, Mapping):
        raise _error(data, "units", "'units' maps each unit's name to its body", where)
    for unit_name, body in units.items():
        if not isinstance(body, Mapping):
            raise _error(units, unit_name, f"unit '{unit_name}': its body is a mapping", where)
        if "unit" in body:
            raise _error(body, "unit", "the unit's name is its key under 'units'", where)
    tables = _list(data, "published", where)
    published = tuple(_table(entry, data, units, where) for entry in tables)
    return CasesFile(str(path), where, str(ruleset), cases, units, published)


def _list(data: Located, key: str, path: str | Path) -> list[Any]:
    entries = data.get(key) or []
    if not isinstance(entries, list):
        raise _error(data, key, f"'{key}' is a list", path)
    return entries


def _case(entry: Any, data: Located, ruleset: str, path: str | Path) -> Case:
    if not isinstance(entry, Located):
        raise _error(data, "cases", "each case is {name, unit, expect}", path)
    for key in sorted(set(entry) - CASE_KEYS):
        raise _error(entry, key, f"unknown key '{key}' in a case", path)
    name, unit, expect = entry.get("name"), entry.get("unit"), entry.get("expect")
    if not isinstance(name, str) or not name.strip():
        raise _error(entry, "name", "each case needs a 'name'", path)
    if not isinstance(unit, Mapping):
        raise _error(entry, "unit", f"case '{name}': 'unit' must be a mapping", path)
    if not isinstance(expect, Mapping) or not expect:
        raise _error(entry, "expect", f"case '{name}': 'expect' lists code: points", path)
    expected = {}
    for code, value in expect.items():
        try:
            expected[str(code)] = parse_decimal(value)
        except ValueError as exc:
            raise _error(expect, code, f"case '{name}', '{code}': {exc}", path) from None
    return Case(name, ruleset, unit, expected, entry.get("stage"), str(path), entry.line)


Rounding = tuple[int | None, str]
"""How a source prints a figure: decimals (None: exactly) and rounding."""


def _how(data: Located, defaults: Rounding, path: str | Path) -> Rounding:
    """The ``decimals`` and ``rounding`` a table or a cell gives, else the defaults."""
    decimals, rounding = data.get("decimals", defaults[0]), data.get("rounding", defaults[1])
    if decimals is not None and (isinstance(decimals, bool) or not isinstance(decimals, int)):
        raise _error(data, "decimals", "'decimals' is how many decimals the source prints", path)
    if decimals is not None and not 0 <= decimals <= 28:
        raise _error(data, "decimals", "'decimals' is between 0 and 28", path)
    if rounding not in ROUNDINGS:
        raise _error(data, "rounding", f"'rounding' is one of: {', '.join(ROUNDINGS)}", path)
    return decimals, rounding


def _text(data: Located, key: str, path: str | Path) -> str | None:
    value = data.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise _error(data, key, f"'{key}' is a text", path)
    return value


def _table(entry: Any, data: Located, units: Mapping[str, Any], path: str | Path) -> PublishedTable:
    if not isinstance(entry, Located):
        raise _error(data, "published", "each published table is {table, columns, rows}", path)
    for key in sorted(set(entry) - TABLE_KEYS):
        raise _error(entry, key, f"unknown key '{key}' in a published table", path)
    name = _text(entry, "table", path)
    if name is None:
        raise _error(entry, "table", "each published table needs a 'table' (its title)", path)
    unit, before = _text(entry, "unit", path), _text(entry, "before", path)
    for key, named in (("unit", unit), ("before", before)):
        if named is not None and named not in units:
            raise _error(entry, key, f"table '{name}': no unit '{named}' under 'units'", path)
    if before is not None and unit is None:
        raise _error(entry, "before", f"table '{name}': 'before' needs a 'unit'", path)
    stage = _text(entry, "stage", path)
    if stage is not None and stage not in ("self", *STAGES):
        raise _error(entry, "stage", f"unknown stage '{stage}' (self, appraisal, final)", path)
    defaults = _how(entry, (None, "half_up"), path)
    columns, rows = entry.get("columns") or [], entry.get("rows", {})
    if not isinstance(columns, list) or not all(isinstance(c, str | int) for c in columns):
        raise _error(entry, "columns", f"table '{name}': 'columns' is a list of names", path)
    columns = [str(c) for c in columns]
    if rows and not columns:
        raise _error(entry, "columns", f"table '{name}': rows need 'columns'", path)
    if not isinstance(rows, Mapping):
        raise _error(entry, "rows", f"table '{name}': 'rows' maps each row to its cells", path)
    listed = entry.get("units", [])
    if not isinstance(listed, list) or (listed and unit is not None):
        raise _error(entry, "units", f"table '{name}': 'units' lists the units it is of", path)
    for listed_unit in listed:
        if listed_unit not in units:
            raise _error(entry, "units", f"table '{name}': no unit '{listed_unit}'", path)
    figures, table_units = [], list(listed)
    for row_key, cells in rows.items():
        row = str(row_key)
        if unit is None and row not in SUMMARY_ROWS:
            if row not in units or (listed and row not in listed):
                msg = f"table '{name}': no unit '{row}' (nor a row {', '.join(SUMMARY_ROWS)})"
                raise _error(rows, row_key, msg, path)
            if not listed:
                table_units.append(row)
        if not isinstance(cells, list) or len(cells) != len(columns):
            msg = f"table '{name}', row '{row}': one cell per column ({len(columns)})"
            raise _error(rows, row_key, msg, path)
        for column, cell in zip(columns, cells, strict=True):
            if cell is not None:  # not printed
                figures.append(_figure(cell, row, column, _line(rows, row_key), defaults, path))
    classes = entry.get("classes", {})
    if not isinstance(classes, Mapping) or (classes and unit is not None):
        raise _error(entry, "classes", "'classes' counts the units of a table by class", path)
    for label, count in classes.items():
        figures.append(_figure(count, "classes", str(label), _line(classes, label), defaults, path))
    return PublishedTable(
        name,
        tuple(figures),
        _text(entry, "source", path),
        _text(entry, "at", path),
        unit,
        tuple(table_units),
        stage,
        entry.line,
        before,
    )


def _figure(
    cell: Any, row: str, column: str, line: int | None, defaults: Rounding, path: str | Path
) -> Figure:
    note = differs = None
    how = defaults
    if isinstance(cell, Located):
        for key in sorted(set(cell) - CELL_KEYS):
            raise _error(cell, key, f"unknown key '{key}' in a figure", path)
        if "value" not in cell:
            raise _error(cell, None, "a figure written as a mapping has a 'value'", path)
        how = _how(cell, defaults, path)
        note, differs = _text(cell, "note", path), _text(cell, "differs", path)
        line, cell = _line(cell, "value"), cell["value"]
    value: Decimal | str
    if column in ("class", "verdict"):
        if not isinstance(cell, str):
            raise UnitError(f"'{row}', '{column}': a {column} is a text", path=path, line=line)
        value = unicodedata.normalize("NFC", cell)
    else:
        text = cell.strip().removesuffix("%") if isinstance(cell, str) else cell
        try:
            value = parse_decimal(text)
        except ValueError as exc:
            raise UnitError(f"'{row}', '{column}': {exc}", path=path, line=line) from None
    return Figure(row, column, value, how[0], how[1], note, differs, line)


def check_case(case: Case, *, registry: Registry | None = None) -> ScoreCard:
    """Score the case's unit and compare the points; raise ``CheckFailed`` listing every
    difference (and a ``ParRulesError`` when the ruleset or the unit is invalid)."""
    ruleset = load_ruleset(case.ruleset, registry=registry)
    card = score(ruleset, _unit(case.unit, case.name, ruleset, case.path, case.line))
    stage = card.stage(case.stage)
    wrong = []
    for code, expected in case.expect.items():
        actual = stage.total if code == "total" else stage.node(code).points
        if actual != expected:
            wrong.append(f"{code}: expected {fmt(expected, 'en')}, got {fmt(actual, 'en')}")
    if wrong:
        message = f"{case.where}: case '{case.name}', stage '{stage.stage}': " + "; ".join(wrong)
        raise CheckFailed(f"ruleset '{ruleset.id}'", "case", message)
    return card


def _unit(
    body: Mapping[str, Any], name: str, ruleset: Ruleset, path: str | None, line: int | None
) -> Any:
    located = Located(body)
    located.path, located.line = path, line
    located.lines = dict(getattr(body, "lines", {}))
    located.setdefault("unit", name)
    return unit_from_mapping(located, ruleset, path=path)


class _Scored:
    """The ruleset of a cases file and its units, each scored once, on first use."""

    def __init__(self, file: CasesFile, registry: Registry | None) -> None:
        self.file = file
        self.registry = registry
        self.ruleset = load_ruleset(file.ruleset, registry=registry)
        self.cards: dict[str, ScoreCard] = {}

    def card(self, name: str) -> ScoreCard:
        """The unit's card, under the file's ruleset or the one its body names (``ruleset:``,
        an id or a path relative to the cases file: another year's, say)."""
        if name not in self.cards:
            body = dict(self.file.units[name])
            ruleset = self.ruleset
            if "ruleset" in body:
                ref = str(body.pop("ruleset"))
                if ref.endswith((".yaml", ".yml")):
                    ref = str(Path(self.file.path).parent / ref)
                ruleset = load_ruleset(ref, registry=self.registry)
            line = _line(self.file.units, name)
            located = Located(body)
            located.lines = dict(getattr(self.file.units[name], "lines", {}))
            self.cards[name] = score(ruleset, _unit(located, name, ruleset, self.file.name, line))
        return self.cards[name]


def check_published(
    file: CasesFile, table: PublishedTable, *, registry: Registry | None = None
) -> tuple[Checked, ...]:
    """Every figure of a published table, each with the value computed from the table's units
    and whether it is reproduced (a ``ParRulesError`` when the ruleset or a unit is invalid)."""
    return _check_table(_Scored(file, registry), table)


def _check_table(scored: _Scored, table: PublishedTable) -> tuple[Checked, ...]:
    ruleset, file = scored.ruleset, scored.file
    if table.source is not None and table.source not in ruleset.sources:
        msg = f"table '{table.name}': the ruleset declares no source '{table.source}'"
        raise UnitError(msg, path=file.path, line=table.line, field="source")
    compute = _one_unit(scored, table) if table.unit else _units(scored, table)
    checked = []
    for figure in table.figures:
        where = f"{file.name}:{figure.line}"
        try:
            got = compute(figure)
        except (ParRulesError, _NotComputed) as exc:
            checked.append(Checked(table, figure, None, FAILED, where, str(exc)))
            continue
        same = _same(figure, got)
        status = REPRODUCED if same else FAILED
        if figure.differs:
            status = FAILED if same else DIFFERS
        checked.append(Checked(table, figure, got, status, where))
    return tuple(checked)


class _NotComputed(Exception):
    """A figure that names nothing the card holds (an unknown column, a node with no max)."""


def _same(figure: Figure, got: Decimal | str | None) -> bool:
    if isinstance(figure.value, str):
        if figure.column == "verdict":
            return VERDICTS.get(figure.value.casefold().strip()) == got
        return isinstance(got, str) and figure.value.casefold() == got.casefold()
    if not isinstance(got, Decimal):
        return False
    if figure.decimals is not None:
        got = _round(got, figure.decimals, figure.rounding)
    return got == figure.value


def _codes(row: str) -> list[str]:
    """A row's nodes: ``total``, a code, or codes added up (``1+2+3``)."""
    return [part.strip() for part in row.split("+")]


def _points(result: StageResult, row: str) -> Decimal:
    if row == "total":
        return result.total
    return sum((result.node(code).points for code in _codes(row)), Decimal(0))


def _max(ruleset: Ruleset, row: str) -> Decimal:
    maxima = [ruleset.max if c == "total" else ruleset.node(c).max for c in _codes(row)]
    if any(m is None for m in maxima):
        raise _NotComputed(f"'{row}' has no published maximum")
    return sum((m for m in maxima if m is not None), Decimal(0))


def _one_unit(scored: _Scored, table: PublishedTable) -> Any:
    """The figures of one unit: a row is a code, ``total`` or a sum; a column a stage (its
    points) or a quantity of the table's stage."""
    assert table.unit is not None
    card = scored.card(table.unit)

    def compute(figure: Figure) -> Decimal | str:
        column, row = figure.column, figure.row
        stage = column if column in ("self", *STAGES) else table.stage
        quantity = "points" if column in ("self", *STAGES) else column
        if quantity not in NODE_QUANTITIES:
            known = ", ".join((*NODE_QUANTITIES, "self", *STAGES))
            raise _NotComputed(f"unknown column '{column}' (one of: {known})")
        result = card.stage(stage)
        if quantity == "verdict":
            return _verdict(card, result.stage, row)
        if quantity in ("change", "change %"):
            if table.before is None:
                raise _NotComputed(f"'{column}' needs the table's 'before' unit")
            earlier = scored.card(table.before)
            now, then = (_of(c, c.stage(stage), row, quantity) for c in (card, earlier))
            if figure.decimals is None:
                return now - then
            # as a report computes it: the difference of the two figures as it prints them
            return _round(now, figure.decimals, figure.rounding) - _round(
                then, figure.decimals, figure.rounding
            )
        return _of(card, result, row, quantity)

    return compute


def _of(card: ScoreCard, result: StageResult, row: str, quantity: str) -> Decimal:
    """A quantity of a row (``total``, a code or a sum of codes) at one stage of a card."""
    if quantity in ("points", "change"):
        return _points(result, row)
    maximum = _max(card.ruleset, row)
    if quantity == "max":
        return maximum
    if quantity == "lost":
        return maximum - _points(result, row)
    return percent(_points(result, row), maximum)


def _verdict(card: ScoreCard, stage: str, code: str) -> str:
    from ..analysis import goal_verdicts

    depth = code.count(".") + 1
    for verdict in goal_verdicts(card, stage=stage, depth=depth):
        if verdict.result.code == code:
            return verdict.verdict
    raise _NotComputed(f"no verdict for '{code}' at stage '{stage}'")


def _units(scored: _Scored, table: PublishedTable) -> Any:
    """The figures of several units: a row is a unit (or a summary over them), a column a code,
    ``total`` or a quantity of the unit."""
    from ..analysis import rank

    cards = [scored.card(name) for name in table.units]
    results = {name: card.stage(table.stage) for name, card in zip(table.units, cards, strict=True)}
    ranking = rank(cards, stage=table.stage) if cards else None
    ranks = {e.unit: e.rank for e in ranking} if ranking else {}

    def compute(figure: Figure) -> Decimal | str:
        column, row = figure.column, figure.row
        if row == "classes":
            return Decimal(sum(_label(r) == figure.column.casefold() for r in results.values()))
        if row in SUMMARY_ROWS:
            if column in UNIT_QUANTITIES:
                raise _NotComputed(f"row '{row}' has no '{column}'")
            if row == "max":
                return _max(scored.ruleset, column)
            if not results:
                raise _NotComputed("the table has no units to average")
            mean = sum((_points(r, column) for r in results.values()), Decimal(0))
            mean /= len(results)
            return mean if row == "average" else percent(mean, _max(scored.ruleset, column))
        result = results[row]
        if column == "rank":
            return Decimal(ranks[scored.card(row).unit.unit])
        if column == "class":
            return result.classification.label if result.classification else ""
        if column == "percent":
            if result.percent is None:
                raise _NotComputed("the ruleset publishes no maximum")
            return result.percent
        return _points(result, column)

    return compute


def _label(result: StageResult) -> str:
    return result.classification.label.casefold() if result.classification else ""


def run_cases(
    path: str | Path, *, name: str | None = None, registry: Registry | None = None
) -> FileResult:
    """Run one cases file: every example and every published figure. Problems are collected, not
    raised, so that a run over many files reports all of them."""
    shown = name or str(path)
    try:
        file = load_cases_file(path, name=shown)
    except ParRulesError as exc:
        return FileResult(None, shown, error=str(exc))
    passed, failures = 0, []
    for case in file.cases:
        try:
            check_case(case, registry=registry)
        except (CheckFailed, ParRulesError) as exc:
            failures.append(_case_failure(case, exc))
        else:
            passed += 1
    checked: list[Checked] = []
    if file.published:
        try:
            scored = _Scored(file, registry)
            for table in file.published:
                checked += _check_table(scored, table)
        except ParRulesError as exc:
            return FileResult(file, shown, passed, tuple(failures), tuple(checked), str(exc))
    return FileResult(file, shown, passed, tuple(failures), tuple(checked))


def _case_failure(case: Case, exc: Exception) -> str:
    if isinstance(exc, CheckFailed):
        return str(exc).partition(f"({PROPERTIES['case']}): ")[2]
    return f"{case.where}: case '{case.name}': {exc}"


def summary(results: Sequence[FileResult]) -> str:
    """One line over every file: cases, and published figures by outcome."""
    files = len(results)
    passed = sum(r.cases_passed for r in results)
    failed = sum(len(r.case_failures) for r in results)
    figures = sum(len(r.checked) for r in results)
    counts = {s: sum(r.count(s) for r in results) for s in (REPRODUCED, DIFFERS, FAILED)}
    broken = sum(r.error is not None for r in results)
    text = (
        f"{files} cases file(s): {passed} case(s) passed, {failed} failed; "
        f"{figures} published figure(s) checked: {counts[REPRODUCED]} reproduced, "
        f"{counts[DIFFERS]} known difference(s), {counts[FAILED]} failed"
    )
    return text + (f"; {broken} file(s) could not be run" if broken else "")


def report_lines(result: FileResult, *, verbose: bool = False) -> Iterable[str]:
    """What ``parrules test`` prints for one file: a line of counts, then each problem (and with
    ``verbose``, every figure checked)."""
    if result.error is not None:
        yield f"{result.name}: ERROR {result.error}"
        return
    cases = f"{result.cases_passed} case(s) passed"
    if result.case_failures:
        cases += f", {len(result.case_failures)} failed"
    figures = f"{len(result.checked)} published figure(s): {result.count(REPRODUCED)} reproduced"
    if result.count(DIFFERS):
        figures += f", {result.count(DIFFERS)} known difference(s)"
    if result.count(FAILED):
        figures += f", {result.count(FAILED)} failed"
    yield f"{result.name}: {cases}; {figures}"
    for failure in result.case_failures:
        yield f"  FAILED {failure}"
    for checked in result.checked:
        if checked.status == FAILED:
            yield f"  FAILED {checked.message}"
        elif checked.status == DIFFERS or verbose:
            yield f"  {'differs' if checked.status == DIFFERS else 'ok'} {checked.message}"
