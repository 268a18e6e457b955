"""The reports officials file, as a document: the heading of an administrative document (issuing
body, number, the national motto, place and date, left to fill where parrules cannot know them),
the title, numbered sections of paragraphs and tables, the signature and the annexes.

One model for every format that lays out pages (``docx``, ``html``), built on the report's
tables; each renderer only decides how a block looks.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from .._model import ScoreCard, assumed_mark
from .._numbers import fmt, fmt_fixed
from ..analysis import Comparison, Ranking
from ._builders import (
    assumptions_table,
    card_table,
    classification_assumed,
    comparison_tables,
    details_table,
    ranking_tables,
)
from ._labels import labels
from ._table import Column, Row, Table, decimals
from ._uncertainty import (
    UNCERTAINTY_TABLES,
    _level,
    _source_name,
    _t,
    rank_chart,
    uncertainty_tables,
)

if TYPE_CHECKING:
    from ..analysis import UncertaintyResult

BLANK = "……"
"""A field the official fills in."""
WIDE = 6
"""Columns an annex's table may have on portrait pages; more go on landscape pages."""


@attrs.frozen
class Paragraph:
    text: str


@attrs.frozen
class Facts:
    """Short statements, one a line: ``Tổng điểm: 89,75/100``."""

    items: tuple[tuple[str, str], ...]


@attrs.frozen
class Entry:
    """One lost point of the register, with what explains it."""

    code: str
    title: str
    reason: str
    lost: Decimal
    remedy: str | None
    person: str | None
    deadline: str | None
    details: tuple[tuple[str, str], ...]
    """Inputs, formula, the loss written out, appraisal, source, assumption: heading, text."""


@attrs.frozen
class Group:
    owner: str
    entries: tuple[Entry, ...]


@attrs.frozen
class Register:
    """The lost points grouped by responsible department, each with its cause, remedy, person
    and deadline (empty cells are left for the official to fill)."""

    columns: tuple[str, ...]
    groups: tuple[Group, ...]
    total_label: str
    total: Decimal
    places: int
    details_label: str
    """The heading of each lost point's inputs and formula (shown expandable in HTML)."""


@attrs.frozen
class Figure:
    """A chart, as a PNG picture, with its caption (the numbers stay in tables)."""

    png: bytes
    caption: str


Block = Paragraph | Facts | Table | Register | Figure


@attrs.frozen
class Section:
    title: str
    blocks: tuple[Block, ...]
    landscape: bool = False


@attrs.frozen
class Document:
    """An administrative document (Nghị định 30/2020/NĐ-CP): the heading, the title, sections,
    the signature, and annexes each starting on a new page."""

    lang: str
    issuer: str
    """The issuing body (``TÊN CƠ QUAN, TỔ CHỨC BAN HÀNH``); ``BLANK`` to fill."""
    subject: str
    sections: tuple[Section, ...]
    annexes: tuple[Section, ...] = ()

    @property
    def labels(self) -> dict[str, str]:
        return labels(self.lang)


def _select(table: Table, keep: Sequence[int], rows: Sequence[Row] | None = None) -> Table:
    """The table with only some of its columns (and rows)."""
    return attrs.evolve(
        table,
        columns=tuple(table.columns[i] for i in keep),
        rows=tuple(
            attrs.evolve(r, cells=tuple(r.cells[i] for i in keep))
            for r in (table.rows if rows is None else rows)
        ),
    )


def register(card: ScoreCard, stage: str | None = None, lang: str = "vi") -> Register:
    """The lost-points register grouped by responsible department, in ruleset order within a
    department, departments in the order they first lose points."""
    t = labels(lang)
    result = card.stage(stage)
    details = details_table(card, stage, lang)  # code, reason, then what explains each loss
    explained = {
        row.cells[0]: tuple(
            (column.label, str(cell))
            for column, cell in zip(details.columns[2:], row.cells[2:], strict=True)
            if cell
        )
        for row in details.rows
    }
    groups: dict[str, list[Entry]] = {}
    for d in result.deductions:
        remedy = d.remedy
        entry = Entry(
            d.code,
            d.node.get_title(lang),
            d.reason(lang),
            d.lost,
            remedy.remedy if remedy else None,
            remedy.person if remedy else None,
            remedy.deadline if remedy else None,
            explained[d.code],
        )
        groups.setdefault(d.node.owner or t["unassigned"], []).append(entry)
    lost = [d.lost for d in result.deductions]
    return Register(
        (
            t["code"],
            t["content"],
            t["cause"],
            t["lost"],
            t["remedy"],
            t["person"],
            t["deadline"],
        ),
        tuple(Group(owner, tuple(entries)) for owner, entries in groups.items()),
        t["grand_total"],
        sum(lost, Decimal(0)),
        max((decimals(v) for v in lost), default=0),
        t["details_expand"],
    )


def unit_report(
    card: ScoreCard,
    lang: str = "vi",
    *,
    stage: str | None = None,
    explain: bool = False,
    comparison: Comparison | None = None,
    rank: tuple[int, int] | None = None,
) -> Document:
    """The report of one unit: the summary (total, class, rank where known, change from last
    year), the fields by stage, the comparison with last year, the lost points by department,
    then as annexes the full score table, (``explain``) the inputs and formula of each lost
    point, and the sources and assumptions."""
    t = labels(lang)
    ruleset = card.ruleset
    result = card.stage(stage)
    places = ruleset.display_precision
    maximum = ruleset.max
    total = fmt_fixed(result.total, lang, places)
    facts: list[tuple[str, str]] = [
        (
            t["total"],
            f"{total}/{fmt(maximum, lang)}"
            + (
                f" ({fmt_fixed(result.percent, lang, places)}%)"
                if result.percent is not None
                else ""
            )
            if maximum is not None
            else total,
        )
    ]
    if result.classification:
        band = result.classification.get(lang)
        mark = assumed_mark(["classification"], lang) if classification_assumed(ruleset) else None
        facts.append((t["class"], f"{band} ({mark})" if mark else band))
    if rank is not None:
        facts.append((t["ranking"], f"{rank[0]}/{rank[1]}"))
    if comparison is not None:
        change = comparison.change()
        before = comparison.before_stage
        facts.append(
            (
                t["change_from"].format(year=comparison.before.unit.year),
                t["change_text"].format(
                    change=("+" if change is not None and change > 0 else "")
                    + (fmt_fixed(change, lang, places) if change is not None else "—"),
                    before=fmt_fixed(before.total, lang, places),
                    after=total,
                ),
            )
        )
    if len(card.stages) > 1:
        facts.append(
            (
                t["stages"],
                "; ".join(  # at the precision of the score table: 97,50, not 97,5
                    f"{t.get(s.stage, s.stage)}: {fmt_fixed(s.total, lang, places)}"
                    for s in card.stages
                ),
            )
        )
    lost = result.deductions
    facts.append(
        (
            t["lost"],
            t["lost_text"].format(
                lost=fmt_fixed(  # as the register's total shows it: its column's decimals
                    sum((d.lost for d in lost), Decimal(0)),
                    lang,
                    max((decimals(d.lost) for d in lost), default=0),
                ),
                count=len(lost),
            ),
        )
    )
    full = card_table(card, lang)
    stages = range(4, 4 + len(card.stages))
    fields = _select(  # the fields alone: plain rows, the totals in bold
        full,
        [1, 2, 3, *stages],
        [
            attrs.evolve(r, kind="normal") if r.kind == "field" else r
            for r in full.rows
            if r.kind != "normal"
        ],
    )
    sections = [
        Section(
            t["doc_summary"],
            (
                Paragraph(t["doc_intro"].format(unit=card.unit.unit, ruleset=ruleset.title)),
                Facts(tuple(facts)),
                attrs.evolve(fields, title=t["doc_fields"]),
            ),
        )
    ]
    if comparison is not None:
        points, percents = comparison_tables(comparison, lang)
        sections.append(
            Section(t["doc_compare"].format(year=comparison.before.unit.year), (percents, points))
        )
    entries = register(card, stage, lang)
    sections.append(
        Section(
            t["doc_register"],
            (Paragraph(t["doc_register_intro"]), entries)
            if entries.groups
            else (Paragraph(t["doc_no_loss"]),),
        )
    )
    detailed = _select(full, [1, 2, 3, *stages, len(full.columns) - 1])
    annexes = [Section(t["doc_card"], (attrs.evolve(detailed, title=""),))]
    if explain and entries.groups:
        annexes.append(Section(t["doc_details"], (_details_table(entries, lang),)))
    annexes.append(_sources(card, stage, lang))
    subject = t["doc_subject"].format(year=ruleset.year, unit=card.unit.unit)
    return Document(lang, card.unit.unit.upper(), subject, tuple(sections), tuple(annexes))


def _details_table(entries: Register, lang: str) -> Table:
    """Each lost point's inputs and formula, for formats that cannot expand a row."""
    t = labels(lang)
    rows = []
    for group in entries.groups:
        for e in group.entries:
            text = "\n".join(f"{k}: {v}" for k, v in e.details)
            rows.append(Row((e.code, e.reason, text)))
    return Table(
        t["details"],
        t["doc_details"],
        (Column(t["code"]), Column(t["reason"], wrap=30), Column(t["inputs_formula"], wrap=60)),
        tuple(rows),
    )


def _sources(card: ScoreCard, stage: str | None, lang: str) -> Section:
    """The documents the ruleset cites, its general assumptions, and the assumptions the lost
    points rest on."""
    t = labels(lang)
    ruleset = card.ruleset
    blocks: list[Block] = []
    if ruleset.sources:
        rows = tuple(
            Row((n, s.title, s.number, s.date, s.issuer))
            for n, s in enumerate(ruleset.sources.values(), start=1)
        )
        blocks.append(
            Table(
                t["sources"],
                t["sources_title"],
                (
                    Column(t["no"], "number"),
                    Column(t["document"], wrap=50),
                    Column(t["doc_number"]),
                    Column(t["date"]),
                    Column(t["issuer"], wrap=24),
                ),
                rows,
            )
        )
    if ruleset.legal:
        blocks.append(Paragraph(t["legal"].format(legal=ruleset.legal)))
    general = [
        a.get(lang) + (f" ({'; '.join(str(c) for c in a.cite)})" if a.cite else "")
        for a in ruleset.assumptions
    ]
    if general:
        blocks.append(Facts(tuple((f"{n}", text) for n, text in enumerate(general, start=1))))
    table = assumptions_table(card, stage, lang)
    if table.rows:
        blocks.append(table)
    if not blocks:
        blocks.append(Paragraph(t["no_sources"]))
    return Section(t["doc_sources"], tuple(blocks))


def ranking_report(ranking: Ranking, lang: str = "vi", depth: int = 1) -> Document:
    """The ranking of many units: the summary and the units per class, then as an annex (on
    landscape pages) the ranking table with every unit's field points."""
    t = labels(lang)
    table, counts = ranking_tables(ranking, lang, depth)
    ruleset = ranking.ruleset
    places = ruleset.display_precision
    average = ranking.average
    facts = [
        (t["units"], str(len(ranking))),
        (
            t["average"],
            fmt_fixed(average.points, lang, places)
            + (
                f" ({fmt_fixed(average.percent, lang, places)}%)"
                if average.percent is not None
                else ""
            ),
        ),
    ]
    best = ranking.entries[0]
    facts.append((t["first"], f"{best.unit} ({fmt_fixed(best.total, lang, places)})"))
    notes = tuple(Paragraph(n) for n in table.notes)
    sections = (
        Section(
            t["doc_summary"],
            (
                Paragraph(t["doc_rank_intro"].format(count=len(ranking), ruleset=ruleset.title)),
                Facts(tuple(facts)),
                *([counts] if ruleset.classification else []),
            ),
        ),
    )
    annexes = (Section(t["doc_ranking"], (attrs.evolve(table, notes=()), *notes), landscape=True),)
    subject = t["doc_rank_subject"].format(ruleset=ruleset.title)
    return Document(lang, BLANK, subject, sections, annexes)


def uncertainty_report(result: UncertaintyResult, lang: str = "vi") -> Document:
    """An uncertainty study: the summary with the rank-interval chart, then as annexes the
    score and rank intervals, the class and rank-band probabilities, the sensitivity, the
    alternatives and the sources of variation (those with something to show), a wide one on
    landscape pages. Needs the ``chart`` extra (matplotlib)."""
    t, u = labels(lang), _t(lang)
    level = _level(result, lang)
    sure = sum(1 for x in result if x.rank_low == x.rank_high)
    facts = (
        (t["units"], str(len(result))),
        (u["draws"], u["draws_text"].format(draws=result.draws, seed=result.seed)),
        (u["level"], u["level_text"].format(level=level)),
        (
            u["sources"],
            "; ".join(_source_name(result, s.key, lang) or s.key for s in result.sources)
            or u["none"],
        ),
        (u["sure"], f"{sure}/{len(result)}"),
    )
    intro = u["doc_intro"].format(draws=result.draws, count=len(result))
    tables = [
        table for name in UNCERTAINTY_TABLES for table in uncertainty_tables(result, lang, (name,))
    ]
    chart = Figure(rank_chart(result, lang=lang), u["chart"].format(level=level))
    sections = (Section(t["doc_summary"], (Paragraph(intro), Facts(facts), chart)),)
    annexes = tuple(
        Section(table.name, (table,), landscape=len(table.columns) > WIDE) for table in tables
    )
    subject = u["doc_subject"].format(ruleset=result.ruleset.title)
    return Document(lang, BLANK, subject, sections, annexes)


def tables_document(tables: Sequence[Table], lang: str = "vi") -> Document:
    """Any tables as a document, one section each (``--tables`` with a document format)."""
    title = tables[0].title if tables else ""
    return Document(
        lang,
        BLANK,
        title,
        tuple(Section(table.title, (attrs.evolve(table, title=""),)) for table in tables),
    )
