"""Score cards as JSON-ready data: decimals as strings with a decimal point, ruleset order."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ._numbers import quantize

if TYPE_CHECKING:
    from ._model import ScoreCard, StageResult

SCHEMA = "parrules.scorecard/2"


def jsonable(value: Any) -> Any:
    """Plain JSON values; decimals become strings so that nothing is lost to floats."""
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


def card_to_dict(card: ScoreCard, lang: str = "vi") -> dict[str, Any]:
    from ._plugins import default_registry

    ruleset = card.ruleset
    used = sorted({n.plugin for n in ruleset.flat if n.plugin})
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
            "plugins": [{"name": n, "version": versions.get(n, "unknown")} for n in used],
        },
        "stages": [_stage(stage, card, lang) for stage in card.stages],
    }


def _stage(stage: StageResult, card: ScoreCard, lang: str) -> dict[str, Any]:
    places = card.ruleset.display_precision
    band = stage.classification
    deductions = []
    for d in stage.deductions:
        explanation = d.result.explain(lang)
        entry: dict[str, Any] = {
            "code": d.code,
            "title": d.node.get_title(lang),
            "lost": jsonable(d.lost),
            "reason": explanation.reason,
            "formula": explanation.formula,
            "inputs": {name: jsonable(value) for name, value in explanation.inputs},
            "owner": d.node.owner,
            "source": explanation.source,
            "assumed": dict(explanation.assumed),
        }
        if d.result.appraisal is not None:
            entry["appraisal"] = {
                "by": explanation.by,
                "date": jsonable(explanation.date),
                "evidence": list(explanation.evidence),
            }
        if d.remedy is not None:
            entry["remedy"] = {
                "remedy": d.remedy.remedy,
                "person": d.remedy.person,
                "deadline": d.remedy.deadline,
            }
        deductions.append(entry)
    return {
        "stage": stage.stage,
        "total": jsonable(quantize(stage.total, places)),
        "total_exact": jsonable(stage.total),
        "max": jsonable(stage.max),
        "percent": None if stage.percent is None else jsonable(quantize(stage.percent, places)),
        "classification": band.get(lang) if band else None,
        "nodes": [
            {
                "code": r.code,
                "parent": r.node.parent_code,
                "title": r.node.get_title(lang),
                "max": jsonable(r.max),
                "points": jsonable(r.points),
                "lost": jsonable(r.lost),
                **({"not_applicable": True} if r.not_applicable else {}),
            }
            for r in stage.results
        ],
        "deductions": deductions,
    }
