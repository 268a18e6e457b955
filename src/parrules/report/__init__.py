"""Reports: score cards and analyses as tables, rendered in every format an office needs.

One model (``Table`` of ``Column`` and ``Row``), builders that fill it, and renderers::

    from parrules import report
    tables = [report.card_table(card), report.register_table(card)]
    print(report.render(tables, "text"))
    open("f.xlsx", "wb").write(report.render(tables, "xlsx"))
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ParRulesError
from ._builders import (
    assumptions_table,
    card_table,
    comparison_tables,
    department_tables,
    details_table,
    goals_table,
    ranking_tables,
    register_table,
    stage_diff_table,
    trend_table,
)
from ._chart import CHART_FORMATS, field_chart
from ._document import (
    Document,
    ranking_report,
    register,
    tables_document,
    uncertainty_report,
    unit_report,
)
from ._docx import docx_report
from ._html import html_report
from ._json import RANKING_SCHEMA, ranking_to_dict
from ._labels import LABELS, labels
from ._output import check_output, open_atomic, write_atomic
from ._render import TABLES_SCHEMA, TEXT_RENDERERS, csv_archive, csv_text, tables_to_dict, text
from ._table import Cell, Column, Num, Row, Table, show
from ._text import inert as _inert
from ._text import wrap as _wrap
from ._uncertainty import (
    UNCERTAINTY_SCHEMA,
    UNCERTAINTY_TABLES,
    rank_chart,
    uncertainty_tables,
    uncertainty_to_dict,
)
from ._xlsx import workbook

FORMATS = (*TEXT_RENDERERS, "xlsx", "zip", "docx")
"""Every format ``render`` knows: text, markdown, html, latex, csv (one table), json, xlsx,
zip (one CSV file per table) and docx (the tables in a Word document)."""


def render(
    tables: Sequence[Table],
    format: str = "text",
    lang: str = "vi",
    *,
    bom: bool = True,
    width: int | None = None,
) -> str | bytes:
    """Tables in one format: text for all but ``xlsx``, ``zip`` and ``docx``, which are bytes.
    ``bom``: whether CSV starts with the byte-order mark by which Excel knows it is UTF-8;
    ``width``: the display cells a line of ``text`` may take (None: no limit)."""
    if format == "text":
        return text(tables, lang, width)
    if format == "docx":
        return docx_report(tables_document(tables, lang))
    if format == "xlsx":
        return workbook(tables, lang)
    if format == "zip":
        return csv_archive(tables, lang, bom=bom)
    if format == "csv":
        return csv_text(tables, lang, bom=bom)
    try:
        renderer = TEXT_RENDERERS[format]
    except KeyError:
        msg = f"unknown format '{format}' (one of: {', '.join(FORMATS)})"
        raise ParRulesError(msg) from None
    return renderer(tables, lang)


def wrap_text(text: str, width: int | None = None) -> list[str]:
    """Lines of at most ``width`` display cells (None: as written), broken between words,
    control characters shown as U+FFFD."""
    return _wrap(_inert(text), width)


__all__ = [
    "CHART_FORMATS",
    "FORMATS",
    "LABELS",
    "RANKING_SCHEMA",
    "TABLES_SCHEMA",
    "UNCERTAINTY_SCHEMA",
    "UNCERTAINTY_TABLES",
    "Cell",
    "Column",
    "Document",
    "Num",
    "Row",
    "Table",
    "assumptions_table",
    "card_table",
    "check_output",
    "comparison_tables",
    "department_tables",
    "details_table",
    "docx_report",
    "field_chart",
    "goals_table",
    "html_report",
    "labels",
    "open_atomic",
    "rank_chart",
    "ranking_report",
    "ranking_tables",
    "ranking_to_dict",
    "register",
    "register_table",
    "render",
    "show",
    "stage_diff_table",
    "tables_document",
    "tables_to_dict",
    "text",
    "trend_table",
    "uncertainty_report",
    "uncertainty_tables",
    "uncertainty_to_dict",
    "unit_report",
    "workbook",
    "wrap_text",
    "write_atomic",
]
