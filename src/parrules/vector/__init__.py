"""Scoring many units at once, exactly: integer fixed point over numpy arrays (the ``analysis``
extra).

``score_vector(ruleset, units)`` gives the points of every node of every unit, equal to the
engine's to the digit. A rule takes part through its vectorised form (``Rule.vector``): given the
node's ``Params``, it returns a function from ``Columns`` (the indicators of many units, one array
each) to a ``VectorOutcome`` (points rounded as the engine rounds them, and the rows it leaves to
the scalar form). Rules without one are evaluated unit by unit, and ``VectorScores.per_unit`` names
them. The helpers below do exact arithmetic on ``Numbers`` (digits at a scale, with bounds), so
that a vectorised form never decides with a float.
"""

from __future__ import annotations

try:
    import numpy  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    from ..errors import ParRulesError

    msg = "vectorised scoring needs numpy: pip install 'parrules[analysis]'"
    raise ParRulesError(msg) from exc

from ._columns import Columns, Counts, Items
from ._exact import (
    SAFE,
    Bools,
    Exactness,
    Guard,
    Ints,
    Numbers,
    compare,
    compare_bound,
    compare_fraction,
    digits_at,
    fraction,
    places,
    round_decimal,
    round_fraction,
    terminates,
    where,
)
from ._score import (
    VectorEvaluate,
    VectorOutcome,
    VectorScores,
    classify,
    score_columns,
    score_vector,
    vector_plan,
)

__all__ = [
    "SAFE",
    "Bools",
    "Columns",
    "Counts",
    "Exactness",
    "Guard",
    "Ints",
    "Items",
    "Numbers",
    "VectorEvaluate",
    "VectorOutcome",
    "VectorScores",
    "classify",
    "compare",
    "compare_bound",
    "compare_fraction",
    "digits_at",
    "fraction",
    "places",
    "round_decimal",
    "round_fraction",
    "score_columns",
    "score_vector",
    "terminates",
    "vector_plan",
    "where",
]
