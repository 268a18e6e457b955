"""The one exception tree of parrules.

Every error a user can cause or meet is a ``ParRulesError``; the built-in mix-ins keep
``except ValueError`` / ``except LookupError`` working::

    ParRulesError(Exception)
    ├── InputError(ParRulesError, ValueError)        .path .line .code .field .hint .unit
    │   ├── YamlError                                 unreadable, unsafe or oversized YAML
    │   ├── RulesetError                              an invalid ruleset
    │   │   └── UnknownRuleError(RulesetError, LookupError)
    │   ├── RulesetNotFoundError(InputError, LookupError)
    │   └── UnitError                                 an invalid unit file or value
    │       ├── UnknownNameError(UnitError, LookupError)   an undeclared indicator or code
    │       ├── DuplicateUnitError                    one unit in several files of a batch
    │       └── SheetError                            .sheet .row .column: a spreadsheet's cell
    ├── OutputError(ParRulesError)                    .path: not a file a report may replace
    ├── PluginError(ParRulesError)                    .plugin
    │   └── DuplicateRuleError(PluginError)           .rule .plugins .where
    └── ScoringError(ParRulesError)                   .code .unit .not_scored
        ├── NotScoredError                            appraised leaves with no points
        └── RuleFailure                               a rule failed; .plugin .rule .others

Messages say what went wrong, where (``file:line``, node code, field) and what to do, on one line.
A file is named as it was given; a ruleset an installed plugin ships is named by its id
(``lai-chau/district/2022:300``), never by where it is installed, so a message reads the same from
any installation.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


class ParRulesError(Exception):
    """Base class of every error parrules raises on purpose."""


class InputError(ParRulesError, ValueError):
    """Bad input data, located in a file; a unit built in memory (no file) is named by ``unit``
    instead, so that an error kept in place in a batch still says whose it is."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        code: str | None = None,
        field: str | None = None,
        hint: str | None = None,
        unit: str | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.code = code
        self.field = field
        self.hint = hint
        self.unit = unit
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.path:
            where.append(f"{self.path}:{self.line}" if self.line else self.path)
        elif self.unit:
            where.append(f"unit '{self.unit}'")
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


class DuplicateUnitError(UnitError):
    """The same unit (same name once normalised, year and ruleset) in several files of a batch:
    none of them is scored, since which one is right cannot be told."""


class SheetError(UnitError):
    """A spreadsheet, or a sheet, row or cell of it, that cannot be read."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path,
        sheet: str | None = None,
        row: int | None = None,
        column: int | None = None,
        header: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.sheet = sheet
        self.row = row
        self.column = column
        self.header = header
        super().__init__(message, path=path, line=row, hint=hint)

    def __str__(self) -> str:
        where = str(self.path)
        if self.sheet is not None:
            where += f", sheet '{self.sheet}'"
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {column_letter(self.column)}"
            if self.header:
                where += f" ({self.header})"
        text = f"{where}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class OutputError(ParRulesError):
    """An output path that is neither a regular file nor a new path (a symbolic link, a
    directory, a named pipe, a device): writing the report there would replace it."""

    def __init__(self, message: str, *, path: str, hint: str | None = None) -> None:
        self.path = path
        self.hint = hint
        super().__init__(f"{message} ({hint})" if hint else message)


class PluginError(ParRulesError):
    """A plugin that cannot be used."""

    def __init__(self, message: str, *, plugin: str | None = None) -> None:
        self.plugin = plugin
        super().__init__(message)


class DuplicateRuleError(PluginError):
    """Several plugins register a rule under the same name: none of them is used, and what
    names the rule (``where``: a ruleset's file, line and node) cannot be loaded."""

    def __init__(self, rule: str, plugins: tuple[str, ...], *, where: str | None = None) -> None:
        self.rule = rule
        self.plugins = plugins
        self.where = where
        quoted = [f"'{p}'" for p in plugins]
        names = ", ".join(quoted[:-1]) + f" and {quoted[-1]}"
        msg = (
            f"rule '{rule}' is registered by {'both ' if len(plugins) == 2 else ''}{names}: "
            "none of them is used (uninstall one of them or rename the rule in its plugin)"
        )
        super().__init__(f"{where}: {msg}" if where else msg, plugin=plugins[-1])


class ScoringError(ParRulesError):
    """A unit that could not be scored.

    ``not_scored`` lists, in ruleset order, the nodes whose points could not be computed: the
    failing leaves and every node above them. No score card is produced: a node that could not
    be scored is never reported as zero.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        unit: str | None = None,
        not_scored: tuple[str, ...] = (),
    ) -> None:
        self.code = code
        self.unit = unit
        self.not_scored = not_scored
        super().__init__(message)


class NotScoredError(ScoringError):
    """Appraised leaves that the unit gives no points for."""


class RuleFailure(ScoringError):
    """A rule raised, or returned an outcome that breaks the engine's invariants.

    When several leaves fail in one stage, the first is the error and ``others`` holds the rest,
    so that one run names every broken node.
    """

    def __init__(
        self,
        message: str,
        *,
        plugin: str,
        rule: str,
        code: str,
        unit: str | None = None,
        not_scored: tuple[str, ...] = (),
        others: tuple[RuleFailure, ...] = (),
    ) -> None:
        self.plugin = plugin
        self.rule = rule
        self.detail = message
        self.others = others
        msg = (
            f"rule '{rule}' of plugin '{plugin}' failed on node {code}"
            + (f" for unit '{unit}'" if unit else "")
            + f": {message}"
        )
        for other in others:
            msg += f"; rule '{other.rule}' of plugin '{other.plugin}' failed on node {other.code}"
            msg += f": {other.detail}"
        if not_scored:
            msg += f" (not scored: {', '.join(not_scored)})"
        super().__init__(msg, code=code, unit=unit, not_scored=not_scored)


def one_line(error: BaseException | str, limit: int = 1000) -> str:
    """An error as one printable line of bounded length, whatever text the input put in it."""
    text = str(error)
    text = "".join(c if c.isprintable() else "\\" + hex(ord(c))[1:] for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def close_match(name: str, candidates: Iterable[str]) -> str | None:
    """A hint naming the closest candidate, for misspelt names."""
    found = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean '{found[0]}'?" if found else None


def column_letter(index: int) -> str:
    """Spreadsheet column name of a 1-based index: 1 → A, 27 → AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
