"""Score cards as JSON-ready data: decimals as strings with a decimal point, ruleset order."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ._model import ReadOnly, appraised_reason, shape, written
from ._numbers import SHOWN, quantize

if TYPE_CHECKING:
    from ._model import Band, Ruleset, ScoreCard, StageResult

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
    language, found once per ruleset and language."""

    __slots__ = ("deducted", "nodes", "plugins")

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


def _layout(ruleset: Ruleset, lang: str) -> _Layout:
    layouts = shape(ruleset).json
    found: _Layout | None = layouts.get(lang)
    if found is None:
        found = layouts[lang] = _Layout(ruleset, lang)
    return found


def card_to_dict(
    card: ScoreCard, lang: str = "vi", stages: str = "all", detail: str = "all"
) -> dict[str, Any]:
    """The card as JSON data, in one pass over what scoring kept: no node result is made but for
    the lost points, whose explanations read the outcomes scoring kept."""
    from ._plugins import default_registry

    check_options(stages, detail)
    ruleset = card.ruleset
    several = stages == "all" and len(card.stages) > 1
    memo = card.stages[0]._texts if several else None
    layout = _layout(ruleset, lang)
    versions = dict(default_registry().plugins)
    return {
        "schema": SCHEMA,
        "unit": card.unit.unit,
        "year": card.unit.year,
        "ruleset": ruleset.id,
        "provenance": {
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
        },
        "stages": [
            _stage(stage, card, layout, lang, detail, memo)
            for stage in (card.stages if stages == "all" else card.stages[-1:])
        ],
    }


def _edges_assumed(ruleset: Ruleset, band: Band | None, lang: str) -> dict[str, str]:
    """The class edges no source states that a class rests on, by band: its own edge and the
    next one up (the total stays below it)."""
    bands = ruleset.classification
    i = bands.index(band) if band is not None else len(bands)
    return {b.get(lang): b.assumed.get(lang) for b in bands[max(i - 1, 0) : i + 1] if b.assumed}


def _stage(
    stage: StageResult,
    card: ScoreCard,
    layout: _Layout,
    lang: str,
    detail: str,
    memo: dict[tuple[Any, ...], Any] | None,
) -> dict[str, Any]:
    places = card.ruleset.display_precision
    band = stage.classification
    data: dict[str, Any] = {
        "stage": stage.stage,
        "total": jsonable(quantize(stage.total, places)),
        "total_exact": jsonable(stage.total),
        "max": jsonable(stage.max),
        "percent": None if stage.percent is None else jsonable(quantize(stage.percent, places)),
        "classification": band.get(lang) if band else None,
        "classification_assumed": _edges_assumed(card.ruleset, band, lang),
    }
    points = stage._points()
    kept = stage._outcomes
    statics = layout.nodes
    if detail != "deductions":
        nodes = []
        for i, value in enumerate(points):
            if value is None:
                continue
            code, parent, title, top, maximum, _ = statics[i]
            entry: dict[str, Any] = {
                "code": code,
                "parent": parent,
                "title": title,
                "max": top,
                "points": _number(value),
                "lost": "0" if maximum is None else _number(maximum - value),
            }
            outcome = kept.get(i)
            if outcome is not None and outcome.not_applicable:
                entry["not_applicable"] = True
            assumed = layout.deducted[i][2]
            if assumed:
                entry["assumed"] = dict(assumed)
            nodes.append(entry)
        data["nodes"] = nodes
    if detail != "nodes":
        data["deductions"] = [
            _deduction(stage, layout, lang, i, points, memo) for i in stage._lost(points)
        ]
    return data


def _deduction(
    stage: StageResult,
    layout: _Layout,
    lang: str,
    i: int,
    points: list[Decimal | None],
    memo: dict[tuple[Any, ...], Any] | None,
) -> dict[str, Any]:
    """A lost point as JSON. ``memo``: the texts the card's stages share, where several stages
    are written (one stage has nothing to share them with)."""
    code, _, title, _, maximum, _ = layout.nodes[i]
    owner, source, assumed = layout.deducted[i]
    value = points[i]
    assert maximum is not None
    assert value is not None
    outcome = stage._outcomes.get(i)
    appraisal = None
    if stage._scored[i] is not None and outcome is not None:  # kept: no node result needed
        key = ("said", lang, i, id(outcome))
        said = memo.get(key) if memo is not None else None
        if said is None:
            node = stage._ruleset.flat[i]
            said = written(node, value, outcome, outcome.not_applicable, lang)
            if memo is not None:
                memo[key] = said
        reason, formula = said
    elif stage._scored[i] is None:  # points the appraisal gave
        appraisal = stage._inputs.points[code]
        reason, formula = appraised_reason(appraisal, maximum - value, lang), None
    else:
        result = stage._direct_result(i)
        reason, formula = result._said(lang)
        outcome = result.outcome
    entry: dict[str, Any] = {
        "code": code,
        "title": title,
        "lost": _number(maximum - value),
        "reason": reason,
        "formula": formula,
        "inputs": {} if outcome is None else {n: jsonable(v) for n, v in outcome.inputs},
        "owner": owner,
        "source": source,
        "assumed": dict(assumed),
    }
    if appraisal is not None:
        entry["appraisal"] = {
            "by": appraisal.by,
            "date": jsonable(appraisal.date),
            "evidence": list(appraisal.evidence),
        }
    remedy = stage.remedies.get(code)
    if remedy is not None:
        entry["remedy"] = {
            "remedy": remedy.remedy,
            "person": remedy.person,
            "deadline": remedy.deadline,
        }
    return entry
