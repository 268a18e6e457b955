"""Score cards as JSON-ready data: decimals as strings with a decimal point, ruleset order."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Container, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ._model import ReadOnly, appraised_reason, keep, shape, written
from ._numbers import SHOWN, ZERO, quantize

if TYPE_CHECKING:
    from ._model import Appraisal, Band, Ruleset, ScoreCard, StageResult

SCHEMA = "parrules.scorecard/2"


def jsonable(value: Any) -> Any:
    """Plain JSON values; decimals become strings so that nothing is lost to floats."""
    kind = type(value)
    if kind is Decimal and value.is_finite():
        return _number(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is ReadOnly or kind is dict:  # the usual values first, without the general checks
        return {str(k): jsonable(v) for k, v in value.items()}
    if kind is tuple or kind is list:
        return [jsonable(v) for v in value]
    if kind is dt.date:
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


@functools.cache
def version() -> str:
    """The installed version of parrules, read once."""
    import importlib.metadata

    try:
        return importlib.metadata.version("parrules")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


STAGES = ("all", "final")
"""Which stages a card's JSON holds: every stage, or the published (last) one."""
DETAIL = ("all", "nodes", "deductions")
"""What a card's JSON holds of each stage besides its total and class: every node's points and
every lost point explained (``all``), the nodes alone, or the lost points alone."""


def check_options(stages: str, detail: str) -> None:
    if stages not in STAGES:
        msg = f"stages must be one of {', '.join(STAGES)}, not {stages!r}"
        raise ValueError(msg)
    if detail not in DETAIL:
        msg = f"detail must be one of {', '.join(DETAIL)}, not {detail!r}"
        raise ValueError(msg)


_TEXTS: dict[Decimal, str] = {}


def _number(value: Decimal) -> str:
    """``jsonable`` of a finite decimal, each value written once (equal values write the
    same)."""
    text = _TEXTS.get(value)
    if text is None:
        text = format(value.normalize(), "f") if value else "0"
        if len(_TEXTS) < SHOWN:
            _TEXTS[value] = text
    return text


class _Layout:
    """What a card's JSON writes of the ruleset and of each node whatever the unit, in one
    language, found once per ruleset and language: for a line of JSON, each node's entry is
    written around its points from text made here (``texts``, ``known``)."""

    __slots__ = (
        "count",
        "deducted",
        "entries",
        "known",
        "nodes",
        "plugins",
        "provenance",
        "texts",
    )

    def __init__(self, ruleset: Ruleset, lang: str) -> None:
        self.plugins = sorted({n.plugin for n in ruleset.flat if n.plugin})
        self.nodes = tuple(
            (
                n.code,
                n.parent_code,
                n.get_title(lang),
                None if n.max is None else _number(n.max),
                n.max,
                n.bonus,
            )
            for n in ruleset.flat
        )
        self.deducted = tuple((n.owner, n.source, dict(n.assumptions(lang))) for n in ruleset.flat)
        self.texts = tuple(_node_text(self, i) for i in range(len(ruleset.flat)))
        """Per node: the text of its entry before its points, and after its loss (applicable,
        and not applicable), so that writing an entry writes two numbers."""
        self.entries = tuple(_entry_text(self, i) for i in range(len(ruleset.flat)))
        """Per node: the text of a lost point's entry before its values, and after them."""
        self.known: tuple[dict[Decimal, str], ...] = tuple({} for _ in ruleset.flat)
        """Per node: its whole entry by its points, once written (applicable), ``count`` in all,
        at most ``SHOWN``."""
        self.count = 0
        self.provenance: str | None = None
        """The provenance as text, once written."""


def _node_text(layout: _Layout, i: int) -> tuple[str, str, str]:
    entry = _node(layout, i, ZERO, False)
    before = _DUMP({k: entry.pop(k) for k in ("code", "parent", "title", "max")})
    del entry["points"], entry["lost"]
    after, after_na = _DUMP(entry), _DUMP({"not_applicable": True, **entry})
    return (
        before[:-1] + ',"points":"',
        "}" if after == "{}" else "," + after[1:],
        "," + after_na[1:],
    )


def _entry_text(layout: _Layout, i: int) -> tuple[str, str]:
    code, _, title, _, _, _ = layout.nodes[i]
    owner, source, assumed = layout.deducted[i]
    after = _DUMP({"owner": owner, "source": source, "assumed": assumed})
    return _DUMP({"code": code, "title": title})[:-1] + ",", "," + after[1:-1]


def _layout(ruleset: Ruleset, lang: str) -> _Layout:
    layouts = shape(ruleset).json
    found: _Layout | None = layouts.get(lang)
    if found is None:
        found = layouts[lang] = _Layout(ruleset, lang)
    return found


_DUMP = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":")).encode


def card_to_dict(
    card: ScoreCard, lang: str = "vi", stages: str = "all", detail: str = "all"
) -> dict[str, Any]:
    """The card as JSON data, in one pass over what scoring kept: no node result is made but for
    the lost points, whose explanations read the outcomes scoring kept."""
    check_options(stages, detail)
    layout = _layout(card.ruleset, lang)
    return {
        **_head(card),
        "provenance": _provenance(card.ruleset, layout),
        "stages": [_stage(s, card, layout, lang, detail) for s in _chosen(card, stages)],
    }


def card_to_line(
    card: ScoreCard,
    lang: str = "vi",
    stages: str = "all",
    detail: str = "all",
    only: str | None = None,
) -> str:
    """``card_to_dict`` as one line of compact JSON, without a newline: the very text
    ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` gives of it, written from text
    each ruleset's nodes and provenance have once per language (a card's JSON is mostly its
    nodes). ``only``: the stage of that name alone, among those ``stages`` chooses."""
    check_options(stages, detail)
    ruleset = card.ruleset
    layout = _layout(ruleset, lang)
    if layout.provenance is None:
        layout.provenance = _DUMP(_provenance(ruleset, layout))
    written = ",".join(
        _stage_line(stage, card, layout, lang, detail)
        for stage in _chosen(card, stages)
        if only is None or stage.stage == only
    )
    return f'{_DUMP(_head(card))[:-1]},"provenance":{layout.provenance},"stages":[{written}]}}'


def _stage_line(
    stage: StageResult, card: ScoreCard, layout: _Layout, lang: str, detail: str
) -> str:
    """``_stage`` as text, its nodes written from the layout's texts."""
    parts = [_DUMP(_summary(stage, card, lang))[:-1]]
    points = stage._points()
    if detail != "deductions":
        parts += (',"nodes":[', ",".join(_node_texts(stage, layout, points)), "]")
    if detail != "nodes":
        lost = [_deduction_text(stage, layout, lang, i, points) for i in stage._lost(points)]
        parts += (',"deductions":[', ",".join(lost), "]")
    parts.append("}")
    return "".join(parts)


def _head(card: ScoreCard) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "unit": card.unit.unit,
        "year": card.unit.year,
        "ruleset": card.ruleset.id,
    }


def _provenance(ruleset: Ruleset, layout: _Layout) -> dict[str, Any]:
    from ._plugins import default_registry

    versions = dict(default_registry().plugins)
    return {
        "parrules": version(),
        "ruleset_digest": f"sha256:{ruleset.digest}",
        "rulesets": list(ruleset.chain),
        "sources": {
            s.id: {
                "kind": s.kind,
                "title": s.title,
                "number": s.number,
                "date": s.date,
                "issuer": s.issuer,
            }
            for s in ruleset.sources.values()
        },
        "plugins": [{"name": n, "version": versions.get(n, "unknown")} for n in layout.plugins],
    }


def _chosen(card: ScoreCard, stages: str) -> tuple[StageResult, ...]:
    return card.stages if stages == "all" else card.stages[-1:]


def _edges_assumed(ruleset: Ruleset, band: Band | None, lang: str) -> dict[str, str]:
    """The class edges no source states that a class rests on, by band: its own edge and the
    next one up (the total stays below it)."""
    bands = ruleset.classification
    i = bands.index(band) if band is not None else len(bands)
    return {b.get(lang): b.assumed.get(lang) for b in bands[max(i - 1, 0) : i + 1] if b.assumed}


def _summary(stage: StageResult, card: ScoreCard, lang: str) -> dict[str, Any]:
    places = card.ruleset.display_precision
    band = stage.classification
    return {
        "stage": stage.stage,
        "total": jsonable(quantize(stage.total, places)),
        "total_exact": jsonable(stage.total),
        "max": jsonable(stage.max),
        "percent": None if stage.percent is None else jsonable(quantize(stage.percent, places)),
        "classification": band.get(lang) if band else None,
        "classification_assumed": _edges_assumed(card.ruleset, band, lang),
    }


def _stage(
    stage: StageResult, card: ScoreCard, layout: _Layout, lang: str, detail: str
) -> dict[str, Any]:
    data = _summary(stage, card, lang)
    points = stage._points()
    if detail != "deductions":
        na = _not_applicable(stage)
        data["nodes"] = [
            _node(layout, i, value, i in na) for i, value in enumerate(points) if value is not None
        ]
    if detail != "nodes":
        data["deductions"] = [
            _deduction(stage, layout, lang, i, points) for i in stage._lost(points)
        ]
    return data


def _not_applicable(stage: StageResult) -> Container[int]:
    kept = stage._outcomes
    return {i for i, o in kept.items() if o.not_applicable} if kept else ()


def _node(layout: _Layout, i: int, value: Decimal, not_applicable: bool) -> dict[str, Any]:
    code, parent, title, top, maximum, _ = layout.nodes[i]
    entry: dict[str, Any] = {
        "code": code,
        "parent": parent,
        "title": title,
        "max": top,
        "points": _number(value),
        "lost": "0" if maximum is None else _number(maximum - value),
    }
    if not_applicable:
        entry["not_applicable"] = True
    assumed = layout.deducted[i][2]
    if assumed:
        entry["assumed"] = dict(assumed)
    return entry


def _node_texts(stage: StageResult, layout: _Layout, points: list[Decimal | None]) -> list[str]:
    """``_node`` of each node with points, as text: its points and loss (numbers, which JSON
    writes as they are) between the texts the layout has of it."""
    na, texts, nodes, known = _not_applicable(stage), layout.texts, layout.nodes, layout.known
    written = []
    for i, value in enumerate(points):
        if value is None:
            continue
        applicable = i not in na
        text = known[i].get(value) if applicable else None
        if text is None:
            before, after, after_na = texts[i]
            maximum = nodes[i][4]
            lost = "0" if maximum is None else _number(maximum - value)
            text = f'{before}{_number(value)}","lost":"{lost}"{after if applicable else after_na}'
            if applicable and layout.count < SHOWN:
                known[i][value] = text
                layout.count += 1
        written.append(text)
    return written


def _deduction_text(
    stage: StageResult, layout: _Layout, lang: str, i: int, points: list[Decimal | None]
) -> str:
    """``_deduction`` as text, its values written once for every card whose lost point is the
    same: by the values its rule read (see ``StageResult._memo``), or by what the appraisal that
    gave it says; the node's own texts are the layout's. A lost point with a remedy, which is
    the unit's own, is written each time."""
    code = layout.nodes[i][0]
    key: tuple[Any, ...] | None
    if stage.remedies.get(code) is not None:
        key = None
    elif stage._scored[i] is None:
        memo, key = shape(stage._ruleset).said, _appraised_key(stage._inputs.points[code], lang, i)
    else:
        outcome = stage._outcomes.get(i)
        memo, key = stage._memo(i, stage._ruleset.flat[i], outcome, "entry", lang)
    if key is None:
        return _DUMP(_deduction(stage, layout, lang, i, points))
    head, tail = layout.entries[i]
    said: tuple[str, str] | None = memo.get(key)
    if said is None:
        values, trail = _lost_point(stage, layout, lang, i, points)
        given = "" if trail is None else ',"appraisal":' + _DUMP(trail)
        said = keep(memo, key, (_DUMP(values)[1:-1], given))
    return f"{head}{said[0]}{tail}{said[1]}}}"


def _appraised_key(given: Appraisal, lang: str, i: int) -> tuple[Any, ...] | None:
    """The key of an appraised lost point's text: what the appraisal says, when it says it as a
    unit file or a sheet does (texts and a date; other values given through the API, such as
    ``True`` for ``1``, are written each time)."""
    said = (given.reason, given.by, *given.evidence)
    if type(given.date) not in _DATES or any(type(text) not in _TEXTS_OR_NONE for text in said):
        return None
    return ("entry", lang, i, given.points, given.date, *said)


_DATES = frozenset({dt.date, type(None)})
_TEXTS_OR_NONE = frozenset({str, type(None)})


def _deduction(
    stage: StageResult,
    layout: _Layout,
    lang: str,
    i: int,
    points: list[Decimal | None],
) -> dict[str, Any]:
    """A lost point as JSON: the node's texts around what the loss says (``_lost_point``)."""
    code, _, title, _, _, _ = layout.nodes[i]
    owner, source, assumed = layout.deducted[i]
    said, appraisal = _lost_point(stage, layout, lang, i, points)
    entry: dict[str, Any] = {
        "code": code,
        "title": title,
        **said,
        "owner": owner,
        "source": source,
        "assumed": dict(assumed),
    }
    if appraisal is not None:
        entry["appraisal"] = appraisal
    remedy = stage.remedies.get(code)
    if remedy is not None:
        entry["remedy"] = {
            "remedy": remedy.remedy,
            "person": remedy.person,
            "deadline": remedy.deadline,
        }
    return entry


def _lost_point(
    stage: StageResult,
    layout: _Layout,
    lang: str,
    i: int,
    points: list[Decimal | None],
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """What a lost point's entry says of the unit: its loss, reason, formula and inputs (the
    texts written once for every card with the same values, see ``StageResult._memo``), and
    the trail of the appraisal that gave its points, if one did."""
    code, _, _, _, maximum, _ = layout.nodes[i]
    value = points[i]
    assert maximum is not None
    assert value is not None
    outcome = stage._outcomes.get(i)
    appraisal = None
    if stage._scored[i] is None:  # points the appraisal gave
        appraisal = stage._inputs.points[code]
        reason, formula = appraised_reason(appraisal, maximum - value, lang), None
    elif outcome is not None:  # kept: no node result needed
        node = stage._ruleset.flat[i]
        memo, key = stage._memo(i, node, outcome, "said", lang)
        said = memo.get(key)
        if said is None:
            said = keep(memo, key, written(node, value, outcome, outcome.not_applicable, lang))
        reason, formula = said
    else:
        result = stage._direct_result(i)
        reason, formula = result._said(lang)
        outcome = result.outcome
    values = {
        "lost": _number(maximum - value),
        "reason": reason,
        "formula": formula,
        "inputs": {} if outcome is None else {n: jsonable(v) for n, v in outcome.inputs},
    }
    if appraisal is None:
        return values, None
    trail = {
        "by": appraisal.by,
        "date": jsonable(appraisal.date),
        "evidence": list(appraisal.evidence),
    }
    return values, trail
