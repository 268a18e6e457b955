"""Indicators over the years, like the appendices of a multi-year report."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import attrs

from .._model import Indicator, ScoreCard

_AS_OF = re.compile(r"\s*\((tính đến|as of|to)\b[^)]*\b(19|20|21)\d\d\)$", re.IGNORECASE)
_STRUCTURED = ("events", "items", "answers")  # not one value a year: left out of trends
_YEAR_SUFFIX = re.compile(r"^(?P<base>[a-z][a-z0-9_]*?)_(?P<year>(19|20|21)\d\d)$")
_YEAR_IN_LABEL = re.compile(
    r"\s*(\bnăm\b|\byear\b|\bin\b)?\s*\b(19|20|21)\d\d\b\s*$", re.IGNORECASE
)


@attrs.frozen
class IndicatorTrend:
    """One indicator's value per year (only the years that have one)."""

    name: str
    indicator: Indicator
    values: tuple[tuple[int, Any], ...]

    def label(self, lang: str = "vi") -> str:
        """The indicator's label without the year it ends with, and without its cut-off date
        (``(tính đến 12/2010)``) when it stands for several years."""
        text = self.indicator.label_en if lang == "en" and self.indicator.label_en else None
        text = _YEAR_IN_LABEL.sub("", text or self.indicator.label).strip()
        return _AS_OF.sub("", text).strip() if len(self.values) > 1 else text

    def value(self, year: int) -> Any:
        return dict(self.values).get(year)


def indicator_trends(
    cards: Sequence[ScoreCard], *, stage: str | None = None
) -> tuple[IndicatorTrend, ...]:
    """Every indicator's values per year, from unit files of several years, and from indicators
    named with a year (``chu_ky_so_2018``) in one file; in the order the rulesets declare them.
    Structured values (events, items, answers) are left out.
    """
    found: dict[str, tuple[Indicator, dict[int, Any]]] = {}
    for card in sorted(cards, key=lambda c: c.unit.year):
        values = card.unit.stage(stage).indicators
        for name, indicator in card.ruleset.indicators.items():
            if name not in values or indicator.type in _STRUCTURED:
                continue
            match = _YEAR_SUFFIX.match(name)
            base, year = (match["base"], int(match["year"])) if match else (name, card.unit.year)
            entry = found.setdefault(base, (indicator, {}))
            entry[1][year] = values[name]
    return tuple(
        IndicatorTrend(base, indicator, tuple(sorted(years.items())))
        for base, (indicator, years) in found.items()
    )
