"""parrules: exact, explainable scoring of the Vietnamese administrative-reform index.

Load a ruleset and a unit, score it, read the explanation::

    import parrules
    unit = parrules.load_unit("examples/thai-nguyen/binh-thanh-2023.yaml")
    card = parrules.score(parrules.load_ruleset(unit.ruleset), unit)
    card.total, card.deductions
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._engine import score
from ._model import (
    Appraisal,
    Assumption,
    Band,
    Citation,
    Deduction,
    Evaluate,
    Explanation,
    Indicator,
    Node,
    NodeResult,
    Outcome,
    Relation,
    Remedy,
    Rule,
    Ruleset,
    ScoreCard,
    Source,
    Stage,
    StageResult,
    Text,
    UnitInputs,
    Values,
)
from ._params import Params
from ._plugins import BrokenPlugin, Registry, make_plugin_manager
from ._ruleset import known_ids, load_ruleset
from ._units import load_unit, unit_from_mapping
from ._yaml import Limits, yaml_limits
from .errors import ParRulesError
from .hookspecs import hookimpl

if TYPE_CHECKING:
    from ._batch import BatchResult, UnitResult, score_batch
    from ._many import score_many, write_jsonl
    from ._schemas import json_schema
    from ._validate import Finding, validate
    from ._variation import Alternative, Uncertainty, Variation
    from .analysis import (
        AlternativeRanking,
        StudySource,
        UncertaintyResult,
        UnitUncertainty,
        rank,
        uncertainty,
    )
    from .analysis.diff import diff_rulesets
    from .analysis.plan import plan
    from .vector import VectorScores, score_vector

# Imported when first used, so that `import parrules` loads only what scoring needs.
_LAZY = {
    "BatchResult": "._batch",
    "UnitResult": "._batch",
    "score_batch": "._batch",
    "score_many": "._many",
    "write_jsonl": "._many",
    "json_schema": "._schemas",
    "Finding": "._validate",
    "validate": "._validate",
    "rank": ".analysis",
    "diff_rulesets": ".analysis.diff",
    "plan": ".analysis.plan",
    "Alternative": "._variation",
    "Uncertainty": "._variation",
    "Variation": "._variation",
    "AlternativeRanking": ".analysis",
    "StudySource": ".analysis",
    "UncertaintyResult": ".analysis",
    "UnitUncertainty": ".analysis",
    "uncertainty": ".analysis",
    "VectorScores": ".vector",
    "score_vector": ".vector",
}

__all__ = [
    "Alternative",
    "AlternativeRanking",
    "Appraisal",
    "Assumption",
    "Band",
    "BatchResult",
    "BrokenPlugin",
    "Citation",
    "Deduction",
    "Evaluate",
    "Explanation",
    "Finding",
    "Indicator",
    "Limits",
    "Node",
    "NodeResult",
    "Outcome",
    "ParRulesError",
    "Params",
    "Registry",
    "Relation",
    "Remedy",
    "Rule",
    "Ruleset",
    "ScoreCard",
    "Source",
    "Stage",
    "StageResult",
    "StudySource",
    "Text",
    "Uncertainty",
    "UncertaintyResult",
    "UnitInputs",
    "UnitResult",
    "UnitUncertainty",
    "Values",
    "Variation",
    "VectorScores",
    "__version__",
    "diff_rulesets",
    "hookimpl",
    "json_schema",
    "known_ids",
    "load_ruleset",
    "load_unit",
    "make_plugin_manager",
    "plan",
    "rank",
    "score",
    "score_batch",
    "score_many",
    "score_vector",
    "uncertainty",
    "unit_from_mapping",
    "validate",
    "write_jsonl",
    "yaml_limits",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    # The version is read from the installed metadata only when asked for: importing
    # importlib.metadata is a good part of the cost of `import parrules`.
    if name == "__version__":
        from ._json import version

        found = version()
        return "0.0.0" if found == "unknown" else found  # "0.0.0": a checkout not installed
    raise AttributeError(f"module 'parrules' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
