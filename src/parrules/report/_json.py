"""Analyses as JSON data (decimals as strings with a decimal point)."""

from __future__ import annotations

from typing import Any

from .._json import jsonable
from .._numbers import quantize
from ..analysis import Ranking

RANKING_SCHEMA = "parrules.ranking/2"


def ranking_to_dict(ranking: Ranking, lang: str = "vi", depth: int = 1) -> dict[str, Any]:
    """The ``parrules.ranking/2`` document: units by rank then name, the average, the counts;
    ``fields`` hold the nodes down to ``depth`` (1: the fields), a unit's only those it lists.

    Field points are exact; totals (as published), percentages and averages are rounded half-up
    to the ruleset's ``display_precision``; a percentage is null where no maximum is published.
    Ranks compare the exact totals.
    """
    places = ranking.ruleset.display_precision
    averages = ranking.nodes(depth)

    def rounded(value: Any) -> Any:
        return None if value is None else jsonable(quantize(value, places))

    return {
        "schema": RANKING_SCHEMA,
        "ruleset": ranking.ruleset.id,
        "stage": ranking.stage,
        "units": [
            {
                "unit": e.unit,
                "total": rounded(e.total),
                "percent": rounded(e.percent),
                "rank": e.rank,
                "classification": e.classification.get(lang) if e.classification else None,
                "fields": {
                    a.code: jsonable(points)
                    for a in averages
                    if (points := e.points(a.code)) is not None
                },
            }
            for e in ranking
        ],
        "average": {
            "total": rounded(ranking.average.points),
            "percent": rounded(ranking.average.percent),
            "fields": {
                a.code: {"points": rounded(a.points), "percent": rounded(a.percent)}
                for a in averages
            },
        },
        "classification_counts": {
            band.get(lang): count for band, count in ranking.classification_counts
        },
        "classification_assumed": {
            band.get(lang): band.assumed.get(lang)
            for band in ranking.ruleset.classification
            if band.assumed is not None
        },
    }
