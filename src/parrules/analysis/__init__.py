"""Analyses over score cards and rulesets: pure functions returning frozen values.

Ranking, year over year, stages, departments, goals and trends are here; ``plan`` (gap to target)
and ``diff`` (rulesets between years) are submodules. The report package turns them into tables.
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
