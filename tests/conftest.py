"""Fixtures: a registry of the built-in rules and one-leaf rulesets written to tmp_path."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import hypothesis
import pytest

import parrules
from parrules import Registry, Ruleset

from helpers import ruleset_text

# No time limit per example: the suite checks results, not speed (benchmarks/ measures that), and
# on a loaded machine Hypothesis's default 200 ms deadline fails tests that are correct.
hypothesis.settings.register_profile("parrules-suite", deadline=None)
hypothesis.settings.load_profile("parrules-suite")


@pytest.fixture(scope="session")
def registry() -> Registry:
    """Built-in rules only: the tests must not depend on what else is installed."""
    return Registry.create(entry_points=False)


@pytest.fixture
def leaf(tmp_path: Path, registry: Registry) -> Callable[..., Ruleset]:
    """Build a ruleset whose only leaf (1.1) uses the given rule."""

    def build(
        rule: str | None,
        params: Mapping[str, Any] | None,
        indicators: Mapping[str, Mapping[str, Any]],
        **kwargs: Any,
    ) -> Ruleset:
        path = tmp_path / f"leaf{len(list(tmp_path.iterdir()))}.yaml"
        path.write_text(ruleset_text(rule, params, indicators, **kwargs), encoding="utf-8")
        return parrules.load_ruleset(path, registry=registry)

    return build
