"""parrules: exact, explainable scoring of the Vietnamese administrative-reform index.

Load a ruleset and a unit, score it, read the explanation::

    import parrules
    unit = parrules.load_unit("examples/thai-nguyen/binh-thanh-2023.yaml")
    card = parrules.score(parrules.load_ruleset(unit.ruleset), unit)
    card.total, card.deductions
"""

from __future__ import annotations

from ._batch import score_many, write_jsonl
from ._engine import score
from ._model import (
    Appraisal,
    Band,
    Deduction,
    Explanation,
    Indicator,
    Node,
    NodeResult,
    Outcome,
    Remedy,
    Rule,
    Ruleset,
    ScoreCard,
    Stage,
    StageResult,
    Text,
    UnitInputs,
)
from ._params import Params
from ._plugins import BrokenPlugin, Registry, make_plugin_manager
from ._ruleset import known_ids, load_ruleset
from ._units import load_unit, unit_from_mapping
from .errors import ParRulesError
from .hookspecs import hookimpl

__all__ = [
    "Appraisal",
    "Band",
    "BrokenPlugin",
    "Deduction",
    "Explanation",
    "Indicator",
    "Node",
    "NodeResult",
    "Outcome",
    "ParRulesError",
    "Params",
    "Registry",
    "Remedy",
    "Rule",
    "Ruleset",
    "ScoreCard",
    "Stage",
    "StageResult",
    "Text",
    "UnitInputs",
    "__version__",
    "hookimpl",
    "known_ids",
    "load_ruleset",
    "load_unit",
    "make_plugin_manager",
    "score",
    "score_many",
    "unit_from_mapping",
    "write_jsonl",
]


def __getattr__(name: str) -> str:
    # The version is read from the installed metadata only when asked for: importing
    # importlib.metadata is a third of the cost of `import parrules`.
    if name == "__version__":
        from ._json import version

        found = version()
        return "0.0.0" if found == "unknown" else found  # "0.0.0": a checkout not installed
    raise AttributeError(f"module 'parrules' has no attribute '{name}'")
