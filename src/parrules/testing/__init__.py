"""Test helpers for rule, plugin and ruleset authors (the ``testing`` extra: hypothesis).

- ``check_rule(rule, ...)``: the conformance test of a rule — deterministic, bounded, explained,
  monotone in the directions it declares, raising nothing but ``ParRulesError``;
- ``check_ruleset(ruleset)``: random units scored, every card reconciled, explained and exact
  through JSON;
- ``check_vector(rule, ...)``: a rule's vectorised form gives its scalar form's points (numpy);
- strategies: ``units(ruleset)`` (``invalid=True`` for units a rule must refuse),
  ``rulesets()``, ``values(indicator)``, ``numbers(kind)``, and ``profile()``, the settings the
  checks run with, for property tests of your own;
- ``load_cases(path)`` and ``check_case(case)`` for the examples of ``*.cases.yaml`` files,
  ``load_cases_file(path)``, ``check_published(...)`` and ``run_cases(path)`` for the figures
  their sources publish (what ``parrules test`` runs; these need neither hypothesis nor pytest);
- a pytest plugin, switched on with ``pytest_plugins = ["parrules.testing"]`` in a root
  conftest.py: it collects ``*.cases.yaml`` files and provides the fixtures
  ``parrules_plugins``, ``parrules_plugin_manager`` and ``parrules_registry``.

Checks draw ``max_examples`` from the Hypothesis profile named by the environment variable
``PARRULES_HYPOTHESIS_PROFILE``: ``ci`` (the default: few examples, derandomized) or
``thorough``.
"""

from __future__ import annotations

from typing import Any

from ._cases import (
    Case,
    CasesFile,
    Checked,
    Figure,
    FileResult,
    PublishedTable,
    check_case,
    check_published,
    load_cases,
    load_cases_file,
    run_cases,
)
from ._failures import PROPERTIES, CheckFailed

__all__ = [
    "PROFILE_VARIABLE",
    "PROPERTIES",
    "Case",
    "CasesFile",
    "CheckFailed",
    "Checked",
    "Figure",
    "FileResult",
    "PublishedTable",
    "check_case",
    "check_published",
    "check_rule",
    "check_ruleset",
    "check_vector",
    "load_cases",
    "load_cases_file",
    "numbers",
    "profile",
    "rulesets",
    "run_cases",
    "units",
    "values",
]

_NEED_HYPOTHESIS = {"PROFILE_VARIABLE", "check_rule", "check_ruleset", "check_vector", "profile"}
_NEED_HYPOTHESIS |= {"numbers", "rulesets", "units", "values"}

try:
    from ._checks import PROFILE_VARIABLE, check_rule, check_ruleset, profile
    from ._strategies import numbers, rulesets, units, values
    from ._vector import check_vector
except ImportError as _missing:  # the cases runner works without hypothesis
    _HYPOTHESIS_ERROR: ImportError | None = _missing
else:
    _HYPOTHESIS_ERROR = None


def __getattr__(name: str) -> Any:
    if name in _NEED_HYPOTHESIS and _HYPOTHESIS_ERROR is not None:
        msg = (
            f"parrules.testing.{name} needs the 'testing' extra ({_HYPOTHESIS_ERROR}); "
            "install it with: pip install 'parrules[testing]'"
        )
        raise ImportError(msg)
    raise AttributeError(f"module 'parrules.testing' has no attribute '{name}'")


try:
    import pytest  # noqa: F401
except ImportError:  # pragma: no cover - the helpers work without pytest
    pass
else:
    from ._pytest import (
        parrules_plugin_manager,
        parrules_plugins,
        parrules_registry,
        pytest_addoption,
        pytest_collect_file,
    )

    __all__ += [
        "parrules_plugin_manager",
        "parrules_plugins",
        "parrules_registry",
        "pytest_addoption",
        "pytest_collect_file",
    ]
