"""The one exception tree of parrules.

Every error a user can cause or meet is a ``ParRulesError``; the built-in mix-ins keep
``except ValueError`` / ``except LookupError`` working::

    ParRulesError(Exception)
    ├── InputError(ParRulesError, ValueError)        .path .line .code .field .hint
    │   ├── YamlError                                 unreadable, unsafe or oversized YAML
    │   ├── RulesetError                              an invalid ruleset
    │   │   └── UnknownRuleError(RulesetError, LookupError)
    │   ├── RulesetNotFoundError(InputError, LookupError)
    │   └── UnitError                                 an invalid unit file or value
    │       └── UnknownNameError(UnitError, LookupError)   an undeclared indicator or code
    ├── PluginError(ParRulesError)                    .plugin
    │   └── DuplicateRuleError(PluginError)           .rule .plugins
    └── ScoringError(ParRulesError)                   .code .unit
        ├── NotScoredError                            appraised leaves with no points
        └── RuleFailure                               a rule failed; .plugin .rule

Messages say what went wrong, where (``file:line``, node code, field) and what to do.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


class ParRulesError(Exception):
    """Base class of every error parrules raises on purpose."""


class InputError(ParRulesError, ValueError):
    """Bad input data, located in a file."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        code: str | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.code = code
        self.field = field
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.path:
            where.append(f"{self.path}:{self.line}" if self.line else self.path)
        if self.code:
            where.append(f"node {self.code}")
        if self.field:
            where.append(f"field '{self.field}'")
        text = f"{', '.join(where)}: {self.message}" if where else self.message
        return f"{text} ({self.hint})" if self.hint else text


class YamlError(InputError):
    """A YAML document that cannot be read safely."""


class RulesetError(InputError):
    """A ruleset that is not valid."""


class UnknownRuleError(RulesetError, LookupError):
    """A node names a rule no installed plugin provides."""


class RulesetNotFoundError(InputError, LookupError):
    """No ruleset with this id or path."""


class UnitError(InputError):
    """A unit file, or a value in it, that is not valid."""


class UnknownNameError(UnitError, LookupError):
    """A unit names an indicator or node code its ruleset does not declare."""


class PluginError(ParRulesError):
    """A plugin that cannot be used."""

    def __init__(self, message: str, *, plugin: str | None = None) -> None:
        self.plugin = plugin
        super().__init__(message)


class DuplicateRuleError(PluginError):
    """Two plugins register a rule under the same name."""

    def __init__(self, rule: str, plugins: tuple[str, str]) -> None:
        self.rule = rule
        self.plugins = plugins
        msg = (
            f"rule '{rule}' is registered by both '{plugins[0]}' and '{plugins[1]}'; "
            "uninstall one of them or rename the rule in its plugin"
        )
        super().__init__(msg, plugin=plugins[1])


class ScoringError(ParRulesError):
    """A unit that could not be scored."""

    def __init__(self, message: str, *, code: str | None = None, unit: str | None = None) -> None:
        self.code = code
        self.unit = unit
        super().__init__(message)


class NotScoredError(ScoringError):
    """Appraised leaves that the unit gives no points for."""


class RuleFailure(ScoringError):
    """A rule raised, or returned an outcome that breaks the engine's invariants."""

    def __init__(
        self, message: str, *, plugin: str, rule: str, code: str, unit: str | None = None
    ) -> None:
        self.plugin = plugin
        self.rule = rule
        msg = (
            f"rule '{rule}' of plugin '{plugin}' failed on node {code}"
            + (f" for unit '{unit}'" if unit else "")
            + f": {message}"
        )
        super().__init__(msg, code=code, unit=unit)


def close_match(name: str, candidates: Iterable[str]) -> str | None:
    """A hint naming the closest candidate, for misspelt names."""
    found = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean '{found[0]}'?" if found else None
