"""Analyses over score cards: ranking, year over year, stages, departments, goals, trends.

Pure functions returning frozen values; the report package turns them into tables.
"""

from __future__ import annotations

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

__all__ = [
    "Comparison",
    "DepartmentStatus",
    "FieldAverage",
    "GoalVerdict",
    "IndicatorTrend",
    "NodeComparison",
    "RankEntry",
    "Ranking",
    "StageChange",
    "by_department",
    "compare",
    "criteria",
    "deductions_under",
    "goal_verdicts",
    "indicator_trends",
    "rank",
    "stage_diff",
    "vi_sort_key",
]
