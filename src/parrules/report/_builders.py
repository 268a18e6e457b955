"""Score cards and analyses → tables. Labels in Vietnamese by default, English with ``en``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

from .._model import (
    AssumptionNote,
    NodeResult,
    Ruleset,
    ScoreCard,
    assumed_items,
    assumed_mark,
    assumption_marks,
    assumption_notes,
    format_value,
    show_value,
)
from .._numbers import HUNDRED, ZERO, fmt, percent
from ..analysis import (
    Comparison,
    DepartmentStatus,
    GoalVerdict,
    IndicatorTrend,
    Ranking,
    StageChange,
)
from ._labels import labels
from ._table import Cell, Column, Num, Row, RowKind, Table, decimals, same_places

_TITLE_WRAP = 48
_TEXT_WRAP = 36


def _stage_label(stage: str, lang: str, ruleset: Ruleset) -> str:
    own = ruleset.stage_labels.get(stage)
    if own is not None:
        return own.get(lang)
    return labels(lang).get(stage, stage) if stage in ("self", "appraisal", "final") else stage


def _points(result: NodeResult | None) -> Cell:
    """A node's points, or a dash where it was not scored on its own (its parent was appraised
    as a whole)."""
    return "—" if result is None else result.points


def card_table(card: ScoreCard, lang: str = "vi") -> Table:
    """Score card by stage, like a report's annex: every node, max, points per stage, owner;
    and, when the ruleset assumes any of them, what of each node (its maximum, a rule's
    parameter) or of the classification (its edges) no source states."""
    t = labels(lang)
    ruleset = card.ruleset
    places = ruleset.display_precision
    stages = card.stages
    marks = [assumed_mark(node.assumed, lang) for node in ruleset.flat]
    bands = assumed_mark(["classification"] if classification_assumed(ruleset) else [], lang)
    shown = any(marks) or bands is not None
    rows = []
    for index, (node, mark) in enumerate(zip(ruleset.flat, marks, strict=True)):
        owner = node.owner if not (node.children and "." not in node.code) else None
        rows.append(
            Row(
                _marked(
                    shown,
                    index + 1,
                    node.code,
                    node.get_title(lang),
                    node.max,
                    *(_points(s.get(node.code)) for s in stages),
                    owner,
                    mark,
                ),
                "field" if "." not in node.code else "normal",
            )
        )
    rows.append(
        Row(
            _marked(
                shown,
                None,
                None,
                t["total"],
                ruleset.max,
                *(Num(s.total, places=places) for s in stages),
                None,
                None,
            ),
            "total",
        )
    )
    if ruleset.classification:
        classes = [s.classification.get(lang) if s.classification else None for s in stages]
        rows.append(
            Row(_marked(shown, None, None, t["class"], None, *classes, None, bands), "total")
        )
    columns = _marked(
        shown,
        Column(t["no"], "number"),
        Column(t["code"]),
        Column(t["title"], wrap=_TITLE_WRAP),
        Column(t["max"], "number"),
        *(Column(_stage_label(s.stage, lang, ruleset), "number") for s in stages),
        Column(t["owner"], wrap=24),
        Column(t["assumption"], wrap=24),
    )
    table = Table(
        t["card"],
        t["card_title"].format(unit=card.unit.unit) + f" — {card.ruleset.title}",
        columns,
        tuple(rows),
    )
    return same_places(table, range(4, 4 + len(stages)))


_T = TypeVar("_T")


def classification_assumed(ruleset: Ruleset) -> bool:
    """Whether a class edge is one no source states: a class rests on its own edge and on the
    next one up, so one assumed edge marks every class."""
    return any(band.assumed is not None for band in ruleset.classification)


def _marked(shown: bool, *cells: _T) -> tuple[_T, ...]:
    """The cells of a row or the columns of a table whose last is the assumption's mark, shown
    only when a lost point of the card rests on an assumption."""
    return cells if shown else cells[:-1]


def _notes(card: ScoreCard, stage: str | None, lang: str) -> tuple[AssumptionNote, ...]:
    return assumption_notes((d.node for d in card.stage(stage).deductions), lang)


def register_table(card: ScoreCard, stage: str | None = None, lang: str = "vi") -> Table:
    """The lost-points register: code, content, reason, points lost, remedy, person, total; and,
    when a lost point rests on an assumption, the assumption's mark (numbered as in
    ``assumptions_table``)."""
    t = labels(lang)
    result = card.stage(stage)
    notes = _notes(card, stage, lang)
    rows = []
    for number, d in enumerate(result.deductions, start=1):
        remedy = d.remedy
        rows.append(
            Row(
                _marked(
                    bool(notes),
                    number,
                    d.code,
                    d.node.get_title(lang),
                    d.reason(lang),
                    d.lost,
                    remedy.remedy if remedy else None,
                    remedy.person if remedy else None,
                    assumption_marks(notes, d.code, lang),
                )
            )
        )
    lost = sum((d.lost for d in result.deductions), ZERO)
    rows.append(
        Row(
            _marked(bool(notes), None, None, t["grand_total"], None, lost, None, None, None),
            "total",
        )
    )
    columns = _marked(
        bool(notes),
        Column(t["no"], "number"),
        Column(t["code"]),
        Column(t["content"], wrap=30),
        Column(t["reason"], wrap=_TEXT_WRAP),
        Column(t["lost"], "number"),
        Column(t["remedy"], wrap=30),
        Column(t["person"], wrap=20),
        Column(t["assumption"], wrap=24),
    )
    title = t["register_title"].format(
        unit=card.unit.unit, stage=_stage_label(result.stage, lang, card.ruleset)
    )
    return Table(t["register"], title, columns, tuple(rows))


def details_table(card: ScoreCard, stage: str | None = None, lang: str = "vi") -> Table:
    """Per lost point: the inputs read, the formula as applied, the loss written out (max −
    points = lost), the appraisal, the source (the citation, or the ruleset's id and line) and
    the assumption it rests on, if any."""
    t = labels(lang)
    result = card.stage(stage)
    indicators = card.ruleset.indicators
    notes = _notes(card, stage, lang)
    rows = []
    for d in result.deductions:
        e = d.result.explain(lang)
        inputs = []
        for name, value in e.inputs:
            indicator = indicators.get(name)
            label = indicator.get_label(lang) if indicator is not None else name
            inputs.append(f"{label}: {show_value(value, indicator, lang)}")
        appraisal = [x for x in (e.by, e.date and e.date.strftime("%d/%m/%Y")) if x]
        appraisal += list(e.evidence)
        rows.append(
            Row(
                _marked(
                    bool(notes),
                    d.code,
                    d.reason(lang),
                    "; ".join(inputs) or None,
                    e.formula,
                    d.arithmetic(lang),
                    "; ".join(appraisal) or None,
                    e.source,
                    assumption_marks(notes, d.code, lang),
                )
            )
        )
    columns = _marked(
        bool(notes),
        Column(t["code"]),
        Column(t["reason"], wrap=30),
        Column(t["inputs"], wrap=_TEXT_WRAP),
        Column(t["formula"], wrap=30),
        Column(t["lost_arithmetic"], wrap=24),
        Column(t["appraised_by"], wrap=20),
        Column(t["source"], wrap=32),
        Column(t["assumption"], wrap=24),
    )
    title = t["details_title"].format(
        unit=card.unit.unit, stage=_stage_label(result.stage, lang, card.ruleset)
    )
    return Table(t["details"], title, columns, tuple(rows))


def assumptions_table(card: ScoreCard, stage: str | None = None, lang: str = "vi") -> Table:
    """The assumptions the lost points rest on, numbered as the register and details mark them:
    the node, what of it is assumed, and why (as the ruleset states it)."""
    t = labels(lang)
    result = card.stage(stage)
    rows = tuple(
        Row((note.number, note.code, assumed_items(note.items, lang), note.text))
        for note in _notes(card, stage, lang)
    )
    columns = (
        Column(t["no"], "number"),
        Column(t["code"]),
        Column(t["assumed_what"], wrap=24),
        Column(t["assumed_why"], wrap=60),
    )
    title = t["assumptions_title"].format(
        unit=card.unit.unit, stage=_stage_label(result.stage, lang, card.ruleset)
    )
    return Table(t["assumptions"], title, columns, rows)


def department_tables(
    card: ScoreCard, statuses: Sequence[DepartmentStatus], lang: str = "vi"
) -> tuple[Table, Table]:
    """Criteria achieved, and not achieved with their reasons, grouped by department."""
    t = labels(lang)
    achieved: list[Row] = []
    missed: list[Row] = []
    for status in statuses:
        owner = status.owner or t["unassigned"]
        if status.achieved:
            achieved.append(Row((None, owner, None, None), "field"))
            achieved += [
                Row((r.code, r.node.get_title(lang), r.points, r.max)) for r in status.achieved
            ]
        if status.not_achieved:
            missed.append(Row((None, owner, None, None, None), "field"))
            for r, deductions in status.not_achieved:
                reasons = "; ".join(
                    d.reason(lang) if d.code == r.code else f"{d.code}: {d.reason(lang)}"
                    for d in deductions
                )
                missed.append(Row((r.code, r.node.get_title(lang), r.points, r.max, reasons)))
    head = (
        Column(t["code"]),
        Column(t["criterion"], wrap=_TITLE_WRAP),
        Column(t["points"], "number"),
        Column(t["max"], "number"),
    )
    unit = card.unit.unit
    return (
        Table(t["achieved"], t["achieved_title"].format(unit=unit), head, tuple(achieved)),
        Table(
            t["not_achieved"],
            t["not_achieved_title"].format(unit=unit),
            (*head, Column(t["reason"], wrap=_TEXT_WRAP + 4)),
            tuple(missed),
        ),
    )


def stage_diff_table(card: ScoreCard, changes: Sequence[StageChange], lang: str = "vi") -> Table:
    """Every node whose points changed between stages, with the reason given at that stage."""
    t = labels(lang)
    stages = [s.stage for s in card.stages]
    rows = []
    for change in changes:
        reasons = []
        for i in change.changed_at:
            result = change.results[i]
            if result is not None and result.scored_directly:
                reason = result.explain(lang).reason
                reasons.append(f"{_stage_label(stages[i], lang, card.ruleset)}: {reason}")
        rows.append(
            Row(
                (
                    change.node.code,
                    change.node.get_title(lang),
                    change.node.max,
                    *(_points(r) for r in change.results),
                    "; ".join(reasons) or None,
                ),
                "field" if "." not in change.node.code else "normal",
            )
        )
    places = card.ruleset.display_precision
    rows.append(
        Row(
            (
                None,
                t["total"],
                card.ruleset.max,
                *(Num(s.total, places=places) for s in card.stages),
                None,
            ),
            "total",
        )
    )
    columns = (
        Column(t["code"]),
        Column(t["title"], wrap=_TITLE_WRAP - 8),
        Column(t["max"], "number"),
        *(Column(_stage_label(s, lang, card.ruleset), "number") for s in stages),
        Column(t["stage_reasons"], wrap=_TEXT_WRAP + 4),
    )
    table = Table(t["stages"], t["stages_title"].format(unit=card.unit.unit), columns, tuple(rows))
    return same_places(table, range(3, 3 + len(stages)))


def _side_label(comparison: Comparison, lang: str) -> tuple[str, str]:
    t = labels(lang)
    a, b = comparison.before.unit, comparison.after.unit
    if a.year != b.year:
        return t["year"].format(year=a.year), t["year"].format(year=b.year)
    if a.unit != b.unit:
        return a.unit, b.unit
    ruleset = comparison.before.ruleset
    return (
        _stage_label(comparison.before_stage.stage, lang, ruleset),
        _stage_label(comparison.after_stage.stage, lang, ruleset),
    )


def comparison_tables(
    comparison: Comparison, lang: str = "vi", depth: int = 1
) -> tuple[Table, Table]:
    """Points/max per year, then percentage per year and the change in percentage points."""
    t = labels(lang)
    a, b = _side_label(comparison, lang)
    unit = comparison.after.unit.unit
    places = comparison.places
    points_rows: list[Row] = []
    percent_rows: list[Row] = []
    for row in comparison.rows:
        if row.depth > depth:
            continue
        kind: RowKind = "field" if row.depth == 1 and depth > 1 else "normal"
        title = row.node.get_title(lang)
        before, after = row.before, row.after
        points_rows.append(
            Row(
                (
                    row.code,
                    title,
                    before.points if before else None,
                    row.before_node.max if row.before_node else None,
                    after.points if after else None,
                    row.after_node.max if row.after_node else None,
                ),
                kind,
            )
        )
        change: Cell = comparison.change(row)
        if row.only_in:
            change = t["only_in"].format(label=a if row.only_in == "before" else b)
        percent_rows.append(
            Row(
                (row.code, title, comparison.percent(before), comparison.percent(after), change),
                kind,
            )
        )
    old, new = comparison.before_stage, comparison.after_stage
    points_rows.append(
        Row(
            (
                None,
                t["total"],
                Num(old.total, places=places),
                old.max,
                Num(new.total, places=places),
                new.max,
            ),
            "total",
        )
    )
    percent_rows.append(
        Row(
            (
                None,
                t["index"],
                comparison.percent(old),
                comparison.percent(new),
                comparison.change(),
            ),
            "total",
        )
    )
    label = t["title"]
    points = same_places(
        Table(
            t["compare_points"],
            t["compare_points_title"].format(a=a, b=b) + f" — {unit}",
            (
                Column(t["code"]),
                Column(label, wrap=_TITLE_WRAP),
                Column(t["of"].format(label=a, what=t["points"]), "number"),
                Column(t["of"].format(label=a, what=t["max"]), "number"),
                Column(t["of"].format(label=b, what=t["points"]), "number"),
                Column(t["of"].format(label=b, what=t["max"]), "number"),
            ),
            tuple(points_rows),
        ),
        (2, 4),
    )
    percents = Table(
        t["compare_percent"],
        t["compare_percent_title"].format(a=a, b=b) + f" — {unit}",
        (
            Column(t["code"]),
            Column(label, wrap=_TITLE_WRAP),
            Column(a, "percent", places=places),
            Column(b, "percent", places=places),
            Column(t["change"], "number", places=places, signed=True),
        ),
        tuple(percent_rows),
    )
    return points, percents


def _with_mark(text: str, mark: str | None) -> str:
    return f"{text}; {mark}" if mark else text


def ranking_tables(ranking: Ranking, lang: str = "vi", depth: int = 1) -> tuple[Table, Table]:
    """Ranks with classes, the points of each node down to ``depth`` (1: the fields), the
    average and ``Tỷ lệ %`` rows; units per class. A ruleset without classes has no class
    column (its table of units per class counts them all as one)."""
    t = labels(lang)
    ruleset: Ruleset = ranking.ruleset
    classes = bool(ruleset.classification)
    places = ruleset.display_precision
    averages = ranking.nodes(depth)
    fields = [ruleset.node(a.code) for a in averages]
    rows = [
        Row(
            (
                e.rank,
                e.unit,
                *(e.points(f.code) for f in fields),
                Num(e.total, places=places),
                _percent(e.percent, places),
                *([e.classification.get(lang) if e.classification else None] if classes else []),
            )
        )
        for e in ranking
    ]
    rows.append(
        Row(
            (
                None,
                t["average"],
                *(Num(a.points, places=places) for a in averages),
                Num(ranking.average.points, places=places),
                None,
                *([None] if classes else []),
            ),
            "total",
        )
    )
    rows.append(
        Row(
            (
                None,
                t["rate"],
                *(_percent(a.percent, places) for a in averages),
                _percent(ranking.average.percent, places),
                None,
                *([None] if classes else []),
            ),
            "total",
        )
    )
    title = ruleset.title + (
        f" ({_stage_label(ranking.stage, lang, ruleset)})" if ranking.stage else ""
    )
    notes = tuple(
        _with_mark(
            t["legend"].format(code=f.code, title=f.get_title(lang), max=fmt(f.max, lang))
            if f.max is not None
            else t["legend_unpublished"].format(code=f.code, title=f.get_title(lang)),
            assumed_mark([item for item in f.assumed if item == "max"], lang),
        )
        for f in fields
    )
    if classification_assumed(ruleset):
        notes += (f"{t['class']} ({assumed_mark(['classification'], lang)})",)
    table = Table(
        t["ranking"],
        t["ranking_title"].format(ruleset=title),
        (
            Column(t["rank"], "number"),
            Column(t["unit"], wrap=30),
            *(Column(f.code, "number") for f in fields),
            Column(t["total"], "number"),
            Column(t["percent"], "percent", places=places),
            *([Column(t["class"])] if classes else []),
        ),
        tuple(rows),
        notes,
    )
    count = len(ranking)
    count_rows = [
        Row((band.get(lang), n, Num(percent(Decimal(n), Decimal(count)), "percent", places)))
        for band, n in ranking.classification_counts
    ]
    count_rows.append(Row((t["grand_total"], count, Num(HUNDRED, "percent", places)), "total"))
    counts = Table(
        t["counts"],
        t["counts_title"].format(ruleset=title),
        (Column(t["class"]), Column(t["units"], "number"), Column(t["rate"], "percent")),
        tuple(count_rows),
    )
    return table, counts


def _percent(value: Decimal | None, places: int) -> Cell:
    """A percentage cell, empty where no maximum is published."""
    return None if value is None else Num(value, "percent", places)


def _trend_cell(value: Any, kind: str, lang: str) -> Cell:
    t = labels(lang)
    if value is None:
        return None
    if kind == "ratio" and isinstance(value, Decimal):
        return Num(value * HUNDRED, "percent")
    if isinstance(value, bool):
        return t["yes"] if value else t["no_"]
    if isinstance(value, Decimal):
        return value
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return format_value(value, lang)


def _one_precision(cells: list[Cell]) -> list[Cell]:
    """The numbers of a row at one precision: a trend's row is one indicator, its columns
    years (a ratio's 90% beside 85,5% is 90,0%)."""
    places = max(
        (
            decimals(c.value if isinstance(c, Num) else c)
            for c in cells
            if isinstance(c, Decimal | Num)
        ),
        default=0,
    )
    return [
        Num(c.value, c.kind, places)
        if isinstance(c, Num)
        else Num(c, places=places)
        if isinstance(c, Decimal)
        else c
        for c in cells
    ]


def trend_table(unit: str, trends: Sequence[IndicatorTrend], lang: str = "vi") -> Table:
    """Indicators (rows) by year (columns), like the statistical appendices of a report."""
    t = labels(lang)
    years = sorted({year for trend in trends for year, _ in trend.values})
    rows = [
        Row(
            (
                number,
                trend.label(lang),
                trend.indicator.unit or None,
                *_one_precision(
                    [_trend_cell(trend.value(y), trend.indicator.type, lang) for y in years]
                ),
            )
        )
        for number, trend in enumerate(trends, start=1)
    ]
    columns = (
        Column(t["no"], "number"),
        Column(t["indicator"], wrap=_TITLE_WRAP),
        Column(t["measure"]),
        *(Column(t["year"].format(year=y), "number") for y in years),
    )
    return Table(t["trend"], t["trend_title"].format(unit=unit), columns, tuple(rows))


def goals_table(
    card: ScoreCard,
    verdicts: Sequence[GoalVerdict],
    lang: str = "vi",
    earlier: Sequence[tuple[str, Sequence[GoalVerdict]]] = (),
) -> Table:
    """Each goal (field) with its verdict: met, not met, or insufficient data; and why. With
    ``earlier`` (stage name, its verdicts), the verdict of each earlier stage stands beside the
    card's, with the reason of an earlier verdict that differs."""
    t = labels(lang)

    def why(v: GoalVerdict) -> str:
        return "; ".join(
            d.reason(lang) if d.code == v.result.code else f"{d.code}: {d.reason(lang)}"
            for d in v.deductions
        )

    rows = []
    for i, v in enumerate(verdicts):
        before = [found[i] for _, found in earlier]
        reasons = [why(v)] if why(v) else []
        reasons += [
            f"{_stage_label(stage, lang, card.ruleset)}: {why(e)}"
            for (stage, _), e in zip(earlier, before, strict=True)
            if e.verdict != v.verdict and why(e)
        ]
        cells = (*(t[e.verdict] for e in before), t[v.verdict])
        rows.append(
            Row((v.result.code, v.result.node.get_title(lang), *cells, "; ".join(reasons) or None))
        )
    shown = [s for s, _ in earlier] + ([card.stages[-1].stage] if earlier else [])
    heads = [f"{t['verdict']} ({_stage_label(s, lang, card.ruleset)})" for s in shown] or [
        t["verdict"]
    ]
    columns = (
        Column(t["code"]),
        Column(t["goal"], wrap=_TITLE_WRAP),
        *(Column(head) for head in heads),
        Column(t["reason"], wrap=_TEXT_WRAP + 4),
    )
    return Table(t["goals"], t["goals_title"].format(unit=card.unit.unit), columns, tuple(rows))
