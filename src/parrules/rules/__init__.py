"""The built-in rules, registered through the same hook as any plugin's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from .._model import Rule
from .._params import Params
from ..hookspecs import hookimpl
from ._direct import APPRAISED, CHECK, CHOICE, SURVEY
from ._events import DEADLINE, PER_EVENT, TREND
from ._shares import BANDS, RATIO


def _vector(name: str) -> Callable[[Params], Any]:
    """The rule's vectorised form, imported when first bound (it needs numpy)."""

    def bind(p: Params) -> Any:
        from ._vector import VECTOR_FORMS

        return VECTOR_FORMS[name](p)

    return bind


BUILTIN_RULES = tuple(
    rule if rule is APPRAISED else attrs.evolve(rule, vector=_vector(rule.name))
    for rule in (APPRAISED, BANDS, CHECK, CHOICE, DEADLINE, PER_EVENT, RATIO, SURVEY, TREND)
)


@hookimpl
def parrules_rules() -> tuple[Rule, ...]:
    return BUILTIN_RULES


@hookimpl
def parrules_rulesets() -> tuple[str, ...]:
    from importlib.resources import files

    return (str(files("parrules") / "rulesets"),)
