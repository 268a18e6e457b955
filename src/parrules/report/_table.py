"""The one report model: a table is a title, typed columns and typed rows.

Builders turn score cards and analyses into tables; renderers turn tables into text, markdown,
HTML, LaTeX, CSV, JSON, xlsx. Neither knows about the other, so every table exists in every
format.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Literal

import attrs

from .._numbers import canonical, fmt, fmt_fixed

ColumnKind = Literal["text", "number", "percent"]
RowKind = Literal["normal", "field", "total"]


@attrs.frozen
class Num:
    """A number cell that overrides its column: a percentage in a points column, a sign, places.

    ``percent`` values are percentages (``70.52`` for 70,52%), never fractions.
    """

    value: Decimal
    kind: Literal["number", "percent"] = "number"
    places: int | None = None
    signed: bool = False


Cell = str | int | Decimal | Num | None
"""Text, a whole number, a decimal (shown as its column says), an explicit ``Num``, or empty."""


@attrs.frozen
class Column:
    """A column: its heading, its kind, the decimals shown and, for long text, a wrap width."""

    label: str
    kind: ColumnKind = "text"
    places: int | None = None
    signed: bool = False
    wrap: int | None = None


@attrs.frozen
class Row:
    """A row of cells; ``field`` and ``total`` rows are shown in bold where the format can."""

    cells: tuple[Cell, ...]
    kind: RowKind = "normal"


@attrs.frozen
class Table:
    """A titled table; ``name`` is short (a sheet name), ``notes`` are lines shown after it."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    notes: tuple[str, ...] = ()

    def __attrs_post_init__(self) -> None:
        width = len(self.columns)
        for index, row in enumerate(self.rows):
            if len(row.cells) != width:
                msg = (
                    f"table '{self.name}': row {index + 1} has {len(row.cells)} cells, not {width}"
                )
                raise ValueError(msg)


def number(cell: Cell, column: Column) -> Num | None:
    """The cell as a number with its effective kind and places, or None for text and empty."""
    if isinstance(cell, Num):
        return cell
    if isinstance(cell, bool) or cell is None or isinstance(cell, str):
        return None
    if column.kind == "text":
        return None
    kind: Literal["number", "percent"] = "percent" if column.kind == "percent" else "number"
    return Num(Decimal(cell), kind, column.places, column.signed)


def decimals(value: Decimal) -> int:
    """The decimals a value needs: 0 for ``95.00``, 2 for ``0.25``."""
    exponent = canonical(value).as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def column_places(table: Table) -> tuple[int | None, ...]:
    """The decimals each column shows, the same for all its numbers: the column's own, else as
    many as its most precise number needs (``10,0``, ``1,5``, ``0,25`` → ``10,00``, ``1,50``,
    ``0,25``). A cell that says its own places (a total rounded for publication) keeps them."""
    places: list[int | None] = []
    for i, column in enumerate(table.columns):
        if column.places is not None or column.kind == "text":
            places.append(column.places)
            continue
        needed = [
            decimals(num.value)
            for row in table.rows
            if (num := number(row.cells[i], column)) is not None and num.places is None
        ]
        places.append(min(max(needed, default=0), 10))
    return tuple(places)


def same_places(table: Table, indexes: Sequence[int]) -> Table:
    """The table with the given columns at one precision together (the stages of a card: 9,50
    self-assessed beside 9,25 appraised, not 9,5)."""
    places = column_places(table)
    shared = max((places[i] or 0 for i in indexes), default=0)
    columns = tuple(
        attrs.evolve(c, places=shared) if i in indexes and c.places is None else c
        for i, c in enumerate(table.columns)
    )
    return attrs.evolve(table, columns=columns)


def show(cell: Cell, column: Column, lang: str = "vi", places: int | None = None) -> str:
    """A cell as the reader sees it: ``89,75``, ``70,52%``, ``+9,99`` (``.`` with ``en``);
    ``places``: the column's decimals (see ``column_places``), where the cell has none."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell
    num = number(cell, column)
    if num is None:
        return str(cell)
    if num.places is not None:
        places = num.places
    elif places is None and num.kind == "percent":
        places = 2
    text = fmt(num.value, lang) if places is None else fmt_fixed(num.value, lang, places)
    if num.signed and text.strip("0.,") and not text.startswith("-"):
        text = "+" + text
    return text + "%" if num.kind == "percent" else text
