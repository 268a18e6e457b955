"""Analyses over score cards and rulesets: pure functions returning frozen values.

Ranking, year over year, stages, departments, goals and trends are here; ``plan`` (gap to target)
and ``diff`` (rulesets between years) are submodules. ``uncertainty`` (and its result types)
needs numpy, the ``analysis`` extra, and is imported when first used. The report package turns
them into tables.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._card import (
    DepartmentStatus,
    GoalVerdict,
    StageChange,
    by_department,
    criteria,
    deductions_under,
    goal_verdicts,
    stage_diff,
)
from ._compare import Comparison, NodeComparison, compare
from ._ranking import FieldAverage, RankEntry, Ranking, rank, vi_sort_key
from ._trends import IndicatorTrend, indicator_trends

if TYPE_CHECKING:
    from ._uncertainty import (
        AlternativeRanking,
        StudySource,
        UncertaintyResult,
        UnitUncertainty,
        uncertainty,
    )

_LAZY = ("AlternativeRanking", "StudySource", "UncertaintyResult", "UnitUncertainty", "uncertainty")

__all__ = [
    "AlternativeRanking",
    "Comparison",
    "DepartmentStatus",
    "FieldAverage",
    "GoalVerdict",
    "IndicatorTrend",
    "NodeComparison",
    "RankEntry",
    "Ranking",
    "StageChange",
    "StudySource",
    "UncertaintyResult",
    "UnitUncertainty",
    "by_department",
    "compare",
    "criteria",
    "deductions_under",
    "goal_verdicts",
    "indicator_trends",
    "rank",
    "stage_diff",
    "uncertainty",
    "vi_sort_key",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module("._uncertainty", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'parrules.analysis' has no attribute '{name}'")
