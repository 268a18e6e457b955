"""Tables → text (within a width), markdown, HTML, LaTeX, CSV and JSON."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import zipfile
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import tabulate as _tabulate
from tabulate import tabulate

from .._json import jsonable
from .._numbers import quantize
from ..errors import ParRulesError
from . import _text
from ._table import Column, Table, column_places, number, show

TABLES_SCHEMA = "parrules.tables/1"

# Markdown column widths count display cells (wcwidth), so that wide characters line up.
_tabulate.WIDE_CHARS_MODE = True


def _align(column: Column) -> str:
    return "left" if column.kind == "text" else "right"


def _cells(table: Table, lang: str) -> list[list[str]]:
    """Every cell as shown, each column's numbers at one number of decimals."""
    places = column_places(table)
    return [
        [
            show(cell, column, lang, p)
            for cell, column, p in zip(row.cells, table.columns, places, strict=True)
        ]
        for row in table.rows
    ]


def text(tables: Sequence[Table], lang: str = "vi", width: int | None = None) -> str:
    """Plain-text tables for a terminal, within ``width`` display cells (None: as wide as they
    are): cells wrapped between words, a rule above the totals; a table that cannot fit as
    columns is written as one block per row."""
    parts = []
    for table in tables:
        headers = [c.label for c in table.columns]
        cells = _cells(table, lang)
        rules = [
            i
            for i, row in enumerate(table.rows)
            if row.kind == "total" and (i == 0 or table.rows[i - 1].kind != "total")
        ]
        lines = _text.layout(
            headers,
            cells,
            [c.kind != "text" for c in table.columns],
            width,
            caps=[c.wrap for c in table.columns],
            rules=rules,
        )
        if width is not None and (lines is None or len(lines) > len(headers) + len(cells)):
            # wrapped: as records instead, when they read in fewer lines
            blocks = _text.records(headers, cells, _keys(table), width)
            if lines is None or len(blocks) < len(lines):
                lines = blocks
        assert lines is not None
        title = _text.wrap(_text.inert(table.title), width)
        notes = [line for note in table.notes for line in _text.wrap(_text.inert(note), width)]
        parts.append("\n".join([*title, "", *lines, *(["", *notes] if notes else [])]) + "\n")
    return "\n".join(parts)


def _keys(table: Table) -> int:
    """The leading columns that name a row (number, code): they head its block as a record."""
    keys = 0
    for column in table.columns[:2]:
        if column.wrap is not None:
            break
        keys += 1
    return keys


_MARKDOWN = str.maketrans(
    {
        "\\": "\\\\",
        "|": "\\|",
        "[": "\\[",  # no link, no image fetched when the page is shown
        "]": "\\]",
        "&": "&amp;",  # no raw HTML: <script>, <img onerror=…>
        "<": "&lt;",
        ">": "&gt;",
        "\n": " ",
        "\r": " ",
    }
)


def _md_escape(value: str) -> str:
    """Text as inert markdown: shown as written, never HTML, a link or a table break."""
    return value.translate(_MARKDOWN)


def markdown(tables: Sequence[Table], lang: str = "vi") -> str:
    """GitHub-flavoured markdown; field and total rows in bold."""
    parts = []
    for table in tables:
        rows = []
        for row, cells in zip(table.rows, _cells(table, lang), strict=True):
            escaped = [_md_escape(c) for c in cells]
            if row.kind != "normal":
                escaped = [f"**{c}**" if c else c for c in escaped]
            rows.append(escaped)
        body = tabulate(
            rows,
            [_md_escape(c.label) for c in table.columns],
            tablefmt="pipe",
            disable_numparse=True,
            colalign=[_align(c) for c in table.columns],
        )
        notes = "".join(f"\n- {_md_escape(n)}" for n in table.notes)
        parts.append(f"### {_md_escape(table.title)}\n\n{body}\n" + (f"{notes}\n" if notes else ""))
    return "\n".join(parts)


def html_document(tables: Sequence[Table], lang: str = "vi") -> str:
    """A standalone HTML page of the tables, styled as the reports (no script, nothing
    fetched, fits the window and A4); rows carry ``class="field"`` or ``class="total"``."""
    from ._html import CSP, CSS, table_html

    esc = html.escape
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{"en" if lang == "en" else "vi"}">',
        '<head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(_text.inert(tables[0].title)) if tables else 'parrules'}</title>",
        f"<style>{CSS}</style></head>",
        "<body><main>",
    ]
    out += [table_html(table, lang) for table in tables]
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def _tex(value: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in value)


def latex(tables: Sequence[Table], lang: str = "vi") -> str:
    """``longtable`` + ``booktabs`` fragments (compile with XeLaTeX or LuaLaTeX for Vietnamese)."""
    parts = ["% \\usepackage{longtable,booktabs,array}"]
    for table in tables:
        spec = "".join(
            f"p{{{c.wrap * 0.18:.1f}cm}}" if c.wrap else ("l" if c.kind == "text" else "r")
            for c in table.columns
        )
        lines = [
            f"\\begin{{longtable}}{{{spec}}}",
            f"\\caption*{{{_tex(table.title)}}}\\\\",
            "\\toprule",
            " & ".join(_tex(c.label) for c in table.columns) + " \\\\",
            "\\midrule",
            "\\endhead",
        ]
        for row, cells in zip(table.rows, _cells(table, lang), strict=True):
            values = [_tex(c) for c in cells]
            if row.kind != "normal":
                values = [f"\\textbf{{{v}}}" if v else v for v in values]
            if row.kind == "total":
                lines.append("\\midrule")
            lines.append(" & ".join(values) + " \\\\")
        lines += ["\\bottomrule", "\\end{longtable}"]
        lines += [f"{_tex(note)}\\\\" for note in table.notes]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


_FORMULA = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]+)?%?)?")


def inert(text: str) -> str:
    """Text a spreadsheet would evaluate as a formula (first character ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return, or their full-width forms), written as text: with a ``'``
    before it, which spreadsheets read as "what follows is text". A plain number (``-0,5``) or
    a sign alone is left as it is: it is read as a number or as text, never as a formula."""
    if text.startswith(_FORMULA) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _csv_rows(table: Table, lang: str) -> list[list[str]]:
    rows = [[inert(c.label) for c in table.columns]]
    for row, cells in zip(table.rows, _cells(table, lang), strict=True):
        rows.append(
            [
                text if number(cell, column) is not None else inert(text)
                for cell, column, text in zip(row.cells, table.columns, cells, strict=True)
            ]
        )
    return rows


def csv_text(tables: Sequence[Table], lang: str = "vi", *, bom: bool = True) -> str:
    """One table as CSV for a spreadsheet: the heading row, then the rows as shown. In
    Vietnamese, numbers have a decimal comma (``89,75``) and cells are separated by ``;``, as a
    spreadsheet with Vietnamese regional settings reads them; in English, a decimal point and
    ``,``. With ``bom`` (the default) the text starts with the byte-order mark by which Excel
    knows it is UTF-8. Text that a spreadsheet would evaluate is written inert (see ``inert``).
    Several tables are refused: write them with ``csv_archive``, one file each."""
    if len(tables) != 1:
        names = ", ".join(t.name for t in tables)
        msg = f"a CSV file holds one table, not {len(tables)} ({names})"
        raise ParRulesError(msg)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if lang == "vi" else ",", lineterminator="\r\n")
    writer.writerows(_csv_rows(tables[0], lang))
    return ("\ufeff" if bom else "") + buffer.getvalue()


_BAD_FILE_CHARS = re.compile(r'[\x00-\x1f<>:"/\\|?*\x7f]')


def csv_archive(tables: Sequence[Table], lang: str = "vi", *, bom: bool = True) -> bytes:
    """Tables as a zip archive of CSV files, one per table (``01 Bảng điểm.csv``, …), each as
    ``csv_text`` writes it; the same bytes for the same tables."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, table in enumerate(tables, start=1):
            name = _BAD_FILE_CHARS.sub("-", table.name).strip(" .")[:80] or "table"
            entry = zipfile.ZipInfo(f"{index:02d} {name}.csv", (2000, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, csv_text([table], lang, bom=bom).encode("utf-8"))
    return buffer.getvalue()


def _json_cell(cell: Any, column: Column) -> Any:
    num = number(cell, column)
    if num is not None:
        places = num.places if num.places is not None or num.kind == "number" else 2
        return jsonable(num.value if places is None else quantize(num.value, places))
    if isinstance(cell, Decimal):
        return jsonable(cell)
    return cell


def tables_to_dict(tables: Sequence[Table]) -> dict[str, Any]:
    """Tables as JSON data: decimals as strings with a decimal point, rounded where the table
    shows them rounded; percentages as numbers of percent (``"70.52"``)."""
    return {
        "schema": TABLES_SCHEMA,
        "tables": [
            {
                "name": table.name,
                "title": table.title,
                "columns": [{"label": c.label, "kind": c.kind} for c in table.columns],
                "rows": [
                    {
                        "kind": row.kind,
                        "cells": [
                            _json_cell(cell, c)
                            for cell, c in zip(row.cells, table.columns, strict=True)
                        ],
                    }
                    for row in table.rows
                ],
                "notes": list(table.notes),
            }
            for table in tables
        ],
    }


def json_text(tables: Sequence[Table], lang: str = "vi") -> str:
    return json.dumps(tables_to_dict(tables), ensure_ascii=False, indent=2) + "\n"


TEXT_RENDERERS: dict[str, Callable[[Sequence[Table], str], str]] = {
    "text": text,
    "markdown": markdown,
    "html": html_document,
    "latex": latex,
    "csv": csv_text,
    "json": json_text,
}
