"""``*.cases.yaml``: examples written beside a ruleset, each a unit and the points it must get.

```yaml
ruleset: 2023.yaml          # optional; default: the file beside, without ``.cases``
cases:
  - name: lanes 93,4% lose a quarter point
    unit: {indicators: {...}, points: {...}}   # a unit file's body: no unit, year, ruleset
    stage: final            # optional; default: the last stage
    expect: {"7.15": 0.25, "7": "11,75", total: 89.75}
```

Expected points are compared exactly with the unrounded points of the card.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from .._engine import score
from .._model import ScoreCard
from .._numbers import fmt, parse_decimal
from .._plugins import Registry
from .._ruleset import load_ruleset
from .._units import unit_from_mapping
from .._yaml import Located, load_file
from ..errors import UnitError
from ._checks import CheckFailed

SUFFIX = ".cases.yaml"
CASE_KEYS = {"name", "unit", "expect", "stage"}


@attrs.frozen
class Case:
    """One example of a cases file: a unit body and the points expected for some nodes."""

    name: str
    ruleset: str
    unit: Mapping[str, Any] = attrs.field(eq=False)
    expect: Mapping[str, Decimal]
    stage: str | None = None
    path: str | None = None
    line: int | None = None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.path else "?"


def _error(data: Any, key: str | None, message: str, path: Path) -> UnitError:
    line = data.line_of(key) if isinstance(data, Located) and key else getattr(data, "line", None)
    return UnitError(message, path=path, line=line, field=key)


def load_cases(path: str | Path) -> tuple[Case, ...]:
    """The cases of a ``*.cases.yaml`` file, read with the safe loader and checked."""
    path = Path(path)
    data = load_file(path)
    if not isinstance(data, Located) or not isinstance(data.get("cases"), list):
        raise _error(data, "cases", "a cases file is a mapping with a list under 'cases'", path)
    for key in sorted(set(data) - {"cases", "ruleset"}):
        raise _error(data, key, f"unknown key '{key}'", path)
    ruleset = data.get("ruleset")
    if ruleset is None:
        if not path.name.endswith(SUFFIX):
            raise _error(data, None, f"name the file <ruleset>{SUFFIX} or give 'ruleset:'", path)
        ruleset = path.with_name(path.name[: -len(SUFFIX)] + ".yaml")
    elif str(ruleset).endswith((".yaml", ".yml")):
        ruleset = path.parent / str(ruleset)
    cases = []
    for entry in data["cases"]:
        if not isinstance(entry, Located):
            raise _error(data, "cases", "each case is {name, unit, expect}", path)
        for key in sorted(set(entry) - CASE_KEYS):
            raise _error(entry, key, f"unknown key '{key}' in a case", path)
        name, unit, expect = entry.get("name"), entry.get("unit"), entry.get("expect")
        if not isinstance(name, str) or not name.strip():
            raise _error(entry, "name", "each case needs a 'name'", path)
        if not isinstance(unit, Mapping):
            raise _error(entry, "unit", f"case '{name}': 'unit' must be a mapping", path)
        if not isinstance(expect, Mapping) or not expect:
            raise _error(entry, "expect", f"case '{name}': 'expect' lists code: points", path)
        expected = {}
        for code, value in expect.items():
            try:
                expected[str(code)] = parse_decimal(value)
            except ValueError as exc:
                raise _error(expect, code, f"case '{name}', '{code}': {exc}", path) from None
        cases.append(
            Case(
                name=name,
                ruleset=str(ruleset),
                unit=unit,
                expect=expected,
                stage=entry.get("stage"),
                path=str(path),
                line=entry.line,
            )
        )
    return tuple(cases)


def check_case(case: Case, *, registry: Registry | None = None) -> ScoreCard:
    """Score the case's unit and compare the points; raise ``CheckFailed`` listing every
    difference (and a ``ParRulesError`` when the ruleset or the unit is invalid)."""
    ruleset = load_ruleset(case.ruleset, registry=registry)
    body = Located(case.unit)
    body.path, body.line = case.path, case.line
    body.lines = dict(getattr(case.unit, "lines", {}))
    body.setdefault("unit", case.name)
    card = score(ruleset, unit_from_mapping(body, ruleset, path=case.path))
    stage = card.stage(case.stage)
    wrong = []
    for code, expected in case.expect.items():
        actual = stage.total if code == "total" else stage.node(code).points
        if actual != expected:
            wrong.append(f"{code}: expected {fmt(expected, 'en')}, got {fmt(actual, 'en')}")
    if wrong:
        message = f"{case.where}: case '{case.name}', stage '{stage.stage}': " + "; ".join(wrong)
        raise CheckFailed(f"ruleset '{ruleset.id}'", "case", message)
    return card
