"""The built-in rules, registered through the same hook as any plugin's."""

from __future__ import annotations

from .._model import Rule
from ..hookspecs import hookimpl
from ._direct import APPRAISED, CHECK, CHOICE, SURVEY
from ._events import DEADLINE, PER_EVENT, TREND
from ._shares import BANDS, RATIO

BUILTIN_RULES = (APPRAISED, BANDS, CHECK, CHOICE, DEADLINE, PER_EVENT, RATIO, SURVEY, TREND)


@hookimpl
def parrules_rules() -> tuple[Rule, ...]:
    return BUILTIN_RULES


@hookimpl
def parrules_rulesets() -> tuple[str, ...]:
    from importlib.resources import files

    return (str(files("parrules") / "rulesets"),)
