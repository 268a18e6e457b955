"""Test helpers for rule, plugin and ruleset authors (the ``testing`` extra: hypothesis).

- ``check_rule(rule, ...)``: the conformance test of a rule — deterministic, bounded, explained,
  monotone in the directions it declares, raising nothing but ``ParRulesError``;
- ``check_ruleset(ruleset)``: random units scored, every card reconciled, explained and exact
  through JSON;
- ``check_vector(rule, ...)``: a rule's vectorised form gives its scalar form's points (numpy);
- strategies: ``units(ruleset)``, ``rulesets()``, ``values(indicator)``, ``numbers(kind)``;
- ``load_cases(path)`` and ``check_case(case)`` for ``*.cases.yaml`` files;
- a pytest plugin, switched on with ``pytest_plugins = ["parrules.testing"]`` in a root
  conftest.py: it collects ``*.cases.yaml`` files and provides the fixtures
  ``parrules_plugins``, ``parrules_plugin_manager`` and ``parrules_registry``.

Checks draw ``max_examples`` from the Hypothesis profile named by the environment variable
``PARRULES_HYPOTHESIS_PROFILE``: ``ci`` (the default: few examples, derandomized) or
``thorough``.
"""

from __future__ import annotations

from ._cases import Case, check_case, load_cases
from ._checks import PROFILE_VARIABLE, PROPERTIES, CheckFailed, check_rule, check_ruleset
from ._strategies import numbers, rulesets, units, values
from ._vector import check_vector

__all__ = [
    "PROFILE_VARIABLE",
    "PROPERTIES",
    "Case",
    "CheckFailed",
    "check_case",
    "check_rule",
    "check_ruleset",
    "check_vector",
    "load_cases",
    "numbers",
    "rulesets",
    "units",
    "values",
]

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
