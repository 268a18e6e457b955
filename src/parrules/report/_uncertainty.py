"""An uncertainty study as tables (every report format), as JSON, and as a rank-interval chart."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .._json import jsonable
from .._numbers import HUNDRED, ONE, ZERO, fmt, fmt_fixed, quantize
from ..errors import ParRulesError
from ._chart import CHART_FORMATS, INERT, _pyplot, _short, save
from ._table import Column, Num, Row, Table

if TYPE_CHECKING:
    from ..analysis import UncertaintyResult

UNCERTAINTY_SCHEMA = "parrules.uncertainty/1"
UNCERTAINTY_TABLES = ("ranks", "classes", "bands", "sensitivity", "alternatives", "sources")
SHARE_PLACES = 4
"""Probabilities and variance shares in JSON: rounded half-up to this many decimals."""

_LABELS = {
    "vi": {
        "ranks": "Khoảng hạng",
        "ranks_title": "Điểm và hạng qua {draws} lần rút ngẫu nhiên (khoảng {level}) — {ruleset}",
        "rank": "Hạng công bố",
        "unit": "Đơn vị",
        "total": "Tổng điểm công bố",
        "median": "Trung vị điểm",
        "interval": "Khoảng điểm",
        "median_rank": "Trung vị hạng",
        "rank_interval": "Khoảng hạng",
        "class": "Xếp loại công bố",
        "driver": "Nguồn tác động lớn nhất",
        "classes": "Xác suất xếp loại",
        "classes_title": "Xác suất của mỗi xếp loại — {ruleset}",
        "bands": "Xác suất nhóm hạng",
        "bands_title": "Xác suất thuộc mỗi nhóm hạng — {ruleset}",
        "sensitivity": "Độ nhạy",
        "sensitivity_title": (
            "Tỷ lệ phương sai của hạng do mỗi nguồn gây ra: riêng nguồn đó, và cùng tương tác — "
            "{ruleset}"
        ),
        "first_order": "riêng",
        "total_order": "tổng",
        "alternatives": "Phương án khác",
        "alternatives_title": "Xếp hạng theo từng bộ tham số — {ruleset}",
        "published": "Công bố",
        "points": "tổng điểm",
        "rank_short": "hạng",
        "sources": "Nguồn biến động",
        "sources_title": "Các nguồn biến động được khai báo — {ruleset}",
        "source": "Nguồn",
        "description": "Mô tả",
        "units": "Số đơn vị",
        "alternatives_source": "Bộ tham số khác",
        "sensitivity_note": (
            "Các tỷ lệ là ước lượng từ {draws} lần rút (sai số chuẩn lớn nhất {error} điểm phần "
            "trăm); ước lượng dưới 0% hoặc trên 100% được ghi là 0% hoặc 100% ({clipped} ô). "
            "Nhiều lần rút hơn cho sai số nhỏ hơn."
        ),
        "notes": (
            "{draws} lần rút, hạt giống {seed}; khoảng là {level} ở giữa các lần rút; điểm được "
            "tính chính xác (số thập phân) trong mỗi lần rút."
        ),
        "per_unit": "Tiêu chí tính từng đơn vị (quy tắc không có dạng vectơ): {codes}.",
        "none": "Không có nguồn biến động nào được khai báo: mọi khoảng trùng với kết quả công bố.",
        "doc_subject": "Độ tin cậy của điểm, hạng và xếp loại theo {ruleset}",
        "doc_intro": (
            "Các nguồn biến động được khai báo được rút ngẫu nhiên {draws} lần; mỗi lần, {count} "
            "đơn vị được chấm điểm lại chính xác và xếp hạng như khi công bố. Kết quả như sau:"
        ),
        "draws": "Số lần rút",
        "draws_text": "{draws} (hạt giống {seed})",
        "level": "Khoảng",
        "level_text": "{level} ở giữa các lần rút",
        "sure": "Đơn vị có khoảng hạng là một hạng",
        "chart": (
            "Hình 1. Khoảng hạng {level} của mỗi đơn vị (thanh), trung vị hạng (chấm) và hạng "
            "công bố (dấu ×)."
        ),
    },
    "en": {
        "ranks": "Rank intervals",
        "ranks_title": "Scores and ranks over {draws} random draws ({level} intervals) — {ruleset}",
        "rank": "Published rank",
        "unit": "Unit",
        "total": "Published total",
        "median": "Median score",
        "interval": "Score interval",
        "median_rank": "Median rank",
        "rank_interval": "Rank interval",
        "class": "Published class",
        "driver": "Moves the rank most",
        "classes": "Class probabilities",
        "classes_title": "Probability of each class — {ruleset}",
        "bands": "Rank band probabilities",
        "bands_title": "Probability of each band of ranks — {ruleset}",
        "sensitivity": "Sensitivity",
        "sensitivity_title": (
            "Share of the rank's variance due to each source: alone, and with its interactions "
            "— {ruleset}"
        ),
        "first_order": "first order",
        "total_order": "total",
        "alternatives": "Alternatives",
        "alternatives_title": "Ranking under each parameter set — {ruleset}",
        "published": "Published",
        "points": "total",
        "rank_short": "rank",
        "sources": "Sources",
        "sources_title": "Declared sources of variation — {ruleset}",
        "source": "Source",
        "description": "Description",
        "units": "Units",
        "alternatives_source": "Alternative parameter sets",
        "sensitivity_note": (
            "The shares are estimates from {draws} draws (largest standard error {error} "
            "percentage points); an estimate below 0% or above 100% is shown as 0% or 100% "
            "({clipped} cells). More draws give smaller errors."
        ),
        "notes": (
            "{draws} draws, seed {seed}; intervals hold the central {level} of the draws; every "
            "draw is scored exactly (in decimals)."
        ),
        "per_unit": "Criteria scored unit by unit (no vectorised rule): {codes}.",
        "none": "No source of variation is declared: every interval is the published result.",
        "doc_subject": "How sure are the scores, ranks and classes — {ruleset}",
        "doc_intro": (
            "The declared sources of variation were drawn at random {draws} times; in each draw "
            "the {count} units were scored again, exactly, and ranked as published. The results:"
        ),
        "draws": "Draws",
        "draws_text": "{draws} (seed {seed})",
        "level": "Intervals",
        "level_text": "the central {level} of the draws",
        "sure": "Units whose rank interval is one rank",
        "chart": (
            "Figure 1. Each unit's {level} rank interval (bar), median rank (dot) and published "
            "rank (×)."
        ),
    },
}


def _t(lang: str) -> dict[str, str]:
    return _LABELS["en" if lang == "en" else "vi"]


def _percent(share: Decimal) -> Num:
    return Num(share * HUNDRED, "percent", 1)


def _level(result: UncertaintyResult, lang: str) -> str:
    return fmt(result.level * HUNDRED, lang) + "%"


def _interval(low: Decimal | int, high: Decimal | int, lang: str, places: int = 0) -> str:
    """``85,38–87,40``: both ends at the column's precision."""
    ends = [fmt_fixed(Decimal(x), lang, places) for x in (low, high)]
    return ends[0] if low == high else "–".join(ends)


def band_label(first: int, last: int, lang: str = "vi") -> str:
    """``Hạng 1–3``, or ``Hạng 4`` for a band of one rank."""
    word = "Hạng" if lang != "en" else ("Rank" if first == last else "Ranks")
    return f"{word} {first}" if first == last else f"{word} {first}–{last}"


def _source_target(result: UncertaintyResult, key: str, lang: str) -> str:
    """What a source varies, in words: a node's code and title, an indicator's label."""
    kind, _, name = key.partition(" ")
    if key == "alternatives":
        return _t(lang)["alternatives"]
    if kind == "node" and result.ruleset.has_node(name):
        return f"{name}. {result.ruleset.node(name).get_title(lang)}"
    if kind == "indicator" and name in result.ruleset.indicators:
        return result.ruleset.indicators[name].get_label(lang)
    return key


def _source_name(result: UncertaintyResult, key: str | None, lang: str) -> str | None:
    if key is None:
        return None
    for source in result.sources:
        if source.key == key:
            if key == "alternatives":
                return _t(lang)["alternatives_source"]
            return source.description.get(lang)
    return key


def uncertainty_tables(
    result: UncertaintyResult, lang: str = "vi", names: tuple[str, ...] = UNCERTAINTY_TABLES
) -> list[Table]:
    """The study as tables: ``ranks`` (score and rank intervals), ``classes``, ``bands`` (of
    ranks), ``sensitivity`` (per source), ``alternatives`` (rankings beside the published one),
    ``sources``; the ones with nothing to show are left out."""
    t = _t(lang)
    ruleset = result.ruleset.title
    places = result.ruleset.display_precision
    notes = [t["notes"].format(draws=result.draws, seed=result.seed, level=_level(result, lang))]
    if not result.sources:
        notes.append(t["none"])
    if result.per_unit:
        notes.append(t["per_unit"].format(codes=", ".join(result.per_unit)))
    tables = []
    for name in names:
        if name == "ranks":
            rows = tuple(
                Row(
                    (
                        u.rank,
                        u.unit,
                        Num(u.total, places=places),
                        Num(u.median, places=places),
                        _interval(u.low, u.high, lang, places),
                        u.median_rank,
                        _interval(u.rank_low, u.rank_high, lang),
                        u.classification,
                        _source_name(result, u.driver, lang),
                    )
                )
                for u in result
            )
            tables.append(
                Table(
                    t["ranks"],
                    t["ranks_title"].format(
                        draws=result.draws, level=_level(result, lang), ruleset=ruleset
                    ),
                    (
                        Column(t["rank"], "number"),
                        Column(t["unit"], wrap=30),
                        Column(t["total"], "number", places),
                        Column(t["median"], "number", places),
                        Column(t["interval"]),
                        Column(t["median_rank"], "number"),
                        Column(t["rank_interval"]),
                        Column(t["class"]),
                        Column(t["driver"], wrap=30),
                    ),
                    rows,
                    tuple(notes),
                )
            )
        elif name == "classes" and result.classes:
            rows = tuple(
                Row((u.rank, u.unit, *(_percent(p) for _, p in u.classes))) for u in result
            )
            columns = (
                Column(t["rank"], "number"),
                Column(t["unit"], wrap=30),
                *(Column(label, "percent", 1) for label in result.classes),
            )
            title = t["classes_title"].format(ruleset=ruleset)
            tables.append(Table(t["classes"], title, columns, rows))
        elif name == "bands":
            rows = tuple(
                Row((u.rank, u.unit, *(_percent(p) for p in u.rank_bands))) for u in result
            )
            columns = (
                Column(t["rank"], "number"),
                Column(t["unit"], wrap=30),
                *(Column(band_label(a, b, lang), "percent", 1) for a, b in result.rank_bands),
            )
            title = t["bands_title"].format(ruleset=ruleset)
            tables.append(Table(t["bands"], title, columns, rows))
        elif name == "sensitivity" and any(u.drivers for u in result):
            keys = [key for key, *_ in result.units[0].drivers]
            rows = tuple(
                Row(
                    (
                        u.rank,
                        u.unit,
                        *(
                            _percent(min(max(x, ZERO), ONE))
                            for _, first, total in u.drivers
                            for x in (first, total)
                        ),
                    )
                )
                for u in result
            )
            shares = [x for u in result for _, *pair in u.drivers for x in pair]
            error = max(
                (x for u in result for _, *pair in u.driver_errors for x in pair), default=ZERO
            )
            note = t["sensitivity_note"].format(
                draws=result.draws,
                error=fmt_fixed(error * HUNDRED, lang, 1),
                clipped=sum(1 for x in shares if not ZERO <= x <= ONE),
            )
            columns = (
                Column(t["rank"], "number"),
                Column(t["unit"], wrap=30),
                *(
                    Column(f"{_source_name(result, k, lang)}: {t[part]}", "percent", 1, wrap=24)
                    for k in keys
                    for part in ("first_order", "total_order")
                ),
            )
            title = t["sensitivity_title"].format(ruleset=ruleset)
            tables.append(Table(t["sensitivity"], title, columns, rows, (note,)))
        elif name == "alternatives" and result.alternatives:
            rows = tuple(
                Row(
                    (
                        u.rank,
                        u.unit,
                        Num(u.total, places=places),
                        *(
                            cell
                            for a in result.alternatives
                            for cell in (Num(a.totals[i], places=places), a.ranks[i])
                        ),
                    )
                )
                for i, u in enumerate(result)
            )
            columns = (
                Column(t["rank"], "number"),
                Column(t["unit"], wrap=30),
                Column(t["total"], "number", places),
                *(
                    column
                    for a in result.alternatives
                    for column in (
                        Column(f"{a.label}: {t['points']}", "number", places, wrap=24),
                        Column(f"{a.label}: {t['rank_short']}", "number", wrap=24),
                    )
                ),
            )
            title = t["alternatives_title"].format(ruleset=ruleset)
            tables.append(Table(t["alternatives"], title, columns, rows))
        elif name == "sources" and result.sources:
            rows = tuple(
                Row(
                    (
                        _source_target(result, s.key, lang),
                        _source_name(result, s.key, lang) or s.key,
                        s.units,
                    )
                )
                for s in result.sources
            )
            columns = (
                Column(t["source"]),
                Column(t["description"], wrap=50),
                Column(t["units"], "number"),
            )
            title = t["sources_title"].format(ruleset=ruleset)
            tables.append(Table(t["sources"], title, columns, rows))
    return tables


def _share(value: Decimal) -> Any:
    return jsonable(quantize(value, SHARE_PLACES))


def uncertainty_to_dict(result: UncertaintyResult, lang: str = "vi") -> dict[str, Any]:
    """The ``parrules.uncertainty/1`` document (``docs/schema/uncertainty.schema.json``)."""
    return {
        "schema": UNCERTAINTY_SCHEMA,
        "ruleset": result.ruleset.id,
        "stage": result.stage,
        "draws": result.draws,
        "seed": result.seed,
        "level": jsonable(result.level),
        "sources": [
            {"key": s.key, "description": _source_name(result, s.key, lang), "units": s.units}
            for s in result.sources
        ],
        "rank_bands": [{"first": a, "last": b} for a, b in result.rank_bands],
        "classes": list(result.classes),
        "units": [
            {
                "unit": u.unit,
                "total": jsonable(u.total),
                "rank": u.rank,
                "classification": u.classification,
                "median": jsonable(u.median),
                "low": jsonable(u.low),
                "high": jsonable(u.high),
                "median_rank": jsonable(u.median_rank),
                "rank_low": u.rank_low,
                "rank_high": u.rank_high,
                "classes": {label: _share(p) for label, p in u.classes},
                "rank_bands": [_share(p) for p in u.rank_bands],
                "drivers": {
                    key: {
                        "first_order": _share(first),
                        "total_order": _share(total),
                        "first_order_se": _share(first_se),
                        "total_order_se": _share(total_se),
                    }
                    for (key, first, total), (_, first_se, total_se) in zip(
                        u.drivers, u.driver_errors, strict=True
                    )
                },
                "driver": u.driver,
            }
            for u in result
        ],
        "alternatives": [
            {
                "ruleset": a.ruleset,
                "title": a.label,
                "units": [
                    {
                        "unit": u.unit,
                        "total": jsonable(a.totals[i]),
                        "rank": a.ranks[i],
                        "classification": a.classes[i],
                    }
                    for i, u in enumerate(result)
                ],
            }
            for a in result.alternatives
        ],
        "per_unit": list(result.per_unit),
    }


LABELLED = 60
"""Units a rank-interval chart names; beyond, it draws the intervals without names."""


def rank_chart(result: UncertaintyResult, *, format: str = "png", lang: str = "vi") -> bytes:
    """Each unit's rank interval (a bar), median rank (a dot) and published rank (a cross), in
    published rank order, rank 1 at the top."""
    if format not in CHART_FORMATS:
        msg = f"a chart is png or svg, not '{format}'"
        raise ParRulesError(msg)
    plt = _pyplot()
    t = _t(lang)
    units = result.units
    count = len(units)
    named = count <= LABELLED
    height = 1.5 + (0.28 * count if named else 6)
    with plt.rc_context(INERT):
        figure, axes = plt.subplots(figsize=(9, height))
        try:
            # a unit a line by its name, or unnamed, at its published rank on the y axis
            positions = list(range(count)) if named else [u.rank for u in units]
            axes.hlines(
                positions,
                [u.rank_low for u in units],
                [u.rank_high for u in units],
                color="#4c72b0",
                linewidth=3 if named else 1,
                label=t["rank_interval"] + f" ({_level(result, lang)})",
            )
            axes.plot(
                [float(u.median_rank) for u in units],
                positions,
                "o",
                color="#4c72b0",
                markersize=4 if named else 1,
                label=t["median_rank"],
            )
            axes.plot(
                [u.rank for u in units],
                positions,
                "x",
                color="#c44e52",
                markersize=5 if named else 1,
                label=t["rank"],
            )
            if named:
                axes.set_yticks(positions)
                axes.set_yticklabels([_short(u.unit, 30) for u in units], fontsize=7)
            else:
                axes.set_ylabel(t["rank"])
            axes.set_ylim(max(positions) + 0.5, min(positions) - 0.5)  # rank 1 at the top
            axes.set_xlim(0.5, count + 0.5)
            axes.set_xlabel(t["rank"].split()[0] if lang == "vi" else "Rank")
            axes.set_title(
                t["ranks_title"].format(
                    draws=result.draws, level=_level(result, lang), ruleset=result.ruleset.title
                ),
                fontsize=9,
                pad=20,
            )
            axes.legend(  # over the axes, under the title: inside, it would hide marks
                fontsize=7,
                loc="lower center",
                bbox_to_anchor=(0.5, 1.0),
                ncol=3,
                frameon=False,
                markerscale=1 if named else 4,
            )
            return save(figure, format)
        finally:
            plt.close(figure)
