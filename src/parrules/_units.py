"""Unit files → ``UnitInputs``: values checked against the ruleset's declared types, stages
layered ``self`` → ``appraisal`` → ``final``."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from ._model import Appraisal, Indicator, Remedy, Ruleset, Stage, UnitInputs
from ._numbers import ONE, ZERO, parse_decimal
from ._plugins import Registry
from ._yaml import Located, load_file
from .errors import RulesetNotFoundError, UnitError, UnknownNameError, close_match

UNIT_KEYS = {"unit", "year", "ruleset", "indicators", "points", "remedies", "stages"}
STAGE_KEYS = {"indicators", "points"}
STAGES = ("appraisal", "final")
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _line(data: Any, key: str | None = None) -> int | None:
    if isinstance(data, Located):
        return data.line_of(key) if key else data.line
    return None


class _Reader:
    def __init__(self, ruleset: Ruleset, path: str | None) -> None:
        self.ruleset = ruleset
        self.path = path

    def error(
        self,
        data: Any,
        key: str | None,
        message: str,
        *,
        code: str | None = None,
        hint: str | None = None,
        cls: type[UnitError] = UnitError,
    ) -> UnitError:
        return cls(message, path=self.path, line=_line(data, key), code=code, field=key, hint=hint)

    def indicators(self, raw: Any, where: str) -> dict[str, Any]:
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            raise self.error(raw, None, f"'{where}' must be a mapping of indicator: value")
        declared = self.ruleset.indicators
        values = {}
        for name, value in raw.items():
            if name not in declared:
                raise self.error(
                    raw,
                    name,
                    f"unknown indicator '{name}'",
                    hint=close_match(name, declared) or "see the ruleset's indicators",
                    cls=UnknownNameError,
                )
            try:
                values[name] = convert(declared[name], value)
            except ValueError as exc:
                raise self.error(raw, name, str(exc)) from None
        return values

    def points(self, raw: Any) -> dict[str, Appraisal]:
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            raise self.error(raw, None, "'points' must be a mapping of code: points")
        result = {}
        for code, entry in raw.items():
            if not self.ruleset.has_node(code):
                raise self.error(
                    raw,
                    code,
                    f"the ruleset has no node '{code}'",
                    code=code,
                    hint=close_match(code, [n.code for n in self.ruleset.flat]),
                    cls=UnknownNameError,
                )
            node = self.ruleset.node(code)
            inner = [c for c in raw if c != code and c.startswith(code + ".")]
            if inner:
                raise self.error(
                    raw,
                    inner[0],
                    f"points are given both for '{code}' and for its sub-criterion '{inner[0]}'",
                    code=inner[0],
                    hint="give points for a node or for its sub-criteria, not both",
                )
            fields = entry
            if not isinstance(entry, Mapping):
                fields = Located({"points": entry})
                fields.line = _line(raw, code)
                fields.lines = {}
            for key in sorted(set(fields) - {"points", "reason", "by", "date", "evidence"}):
                raise self.error(fields, key, f"unknown key '{key}'", code=code)
            try:
                points = parse_decimal(fields.get("points"))
            except ValueError as exc:
                raise self.error(fields, "points", str(exc), code=code) from None
            if not node.floor <= points <= node.max:
                raise self.error(
                    fields, "points", f"{points} is outside {node.floor}–{node.max}", code=code
                )
            reason = fields.get("reason")
            if points < node.max and not (isinstance(reason, str) and reason.strip()):
                raise self.error(
                    fields,
                    "points",
                    f"{points} of {node.max} needs a 'reason'",
                    code=code,
                    hint="say why the points were lost",
                )
            when = fields.get("date")
            if when is not None:
                try:
                    when = to_date(when)
                except ValueError as exc:
                    raise self.error(fields, "date", str(exc), code=code) from None
            evidence = fields.get("evidence") or ()
            if isinstance(evidence, str):
                evidence = (evidence,)
            result[code] = Appraisal(
                points,
                reason,
                fields.get("by"),
                when,
                tuple(str(e) for e in evidence),
                _line(raw, code),
            )
        return result

    def remedies(self, raw: Any) -> dict[str, Remedy]:
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            raise self.error(raw, None, "'remedies' must be a mapping of code: {remedy, person}")
        result = {}
        for code, entry in raw.items():
            if not self.ruleset.has_node(code):
                raise self.error(
                    raw,
                    code,
                    f"the ruleset has no node '{code}'",
                    code=code,
                    hint=close_match(code, [n.code for n in self.ruleset.flat]),
                    cls=UnknownNameError,
                )
            if not isinstance(entry, Mapping) or set(entry) - {"remedy", "person"}:
                raise self.error(raw, code, "a remedy is {remedy: …, person: …}", code=code)
            result[code] = Remedy(entry.get("remedy"), entry.get("person"))
        return result


def to_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        match = _DMY.match(value.strip())
        if match:
            day, month, year = (int(g) for g in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                msg = f"'{value}' is not a real date"
                raise ValueError(msg) from None
    msg = f'{value!r} is not a date (write 2023-05-25 or "25/05/2023")'
    raise ValueError(msg)


def _count(value: Any) -> Decimal:
    number = parse_decimal(value)
    if number < 0 or number != number.to_integral_value():
        msg = f"{value!r} is not a count (a whole number ≥ 0)"
        raise ValueError(msg)
    return number


def convert(indicator: Indicator, value: Any) -> Any:
    """A raw value as its declared type; ``ValueError`` with a readable message otherwise."""
    kind = indicator.type
    if kind == "count":
        return _count(value)
    if kind == "number":
        return parse_decimal(value)
    if kind == "ratio":
        ratio = parse_decimal(value, percent=True)
        if not ZERO <= ratio <= ONE:
            msg = f"{value!r} is not a fraction 0–1 (or 0%–100%)"
            raise ValueError(msg)
        return ratio
    if kind == "bool":
        if not isinstance(value, bool):
            msg = f"{value!r} is not true or false"
            raise ValueError(msg)
        return value
    if kind == "date":
        return to_date(value)
    if kind == "choice":
        if value not in indicator.choices:
            hint = close_match(str(value), indicator.choices)
            msg = f"{value!r} is not one of: {', '.join(indicator.choices)}" + (
                f" ({hint})" if hint else ""
            )
            raise ValueError(msg)
        return value
    if kind in ("events", "answers"):
        if not isinstance(value, Mapping):
            msg = f"expected a mapping of kind: count, got {value!r}"
            raise ValueError(msg)
        reader = _count if kind == "events" else parse_decimal
        result = {str(k): reader(v) for k, v in value.items()}
        if any(v < 0 for v in result.values()):
            msg = "counts and shares cannot be negative"
            raise ValueError(msg)
        return result
    if kind == "items":
        return tuple(_item(i, entry) for i, entry in enumerate(value or []))
    if kind == "text":
        if not isinstance(value, str):
            msg = f"{value!r} is not a text"
            raise ValueError(msg)
        return value
    msg = f"unknown indicator type {kind}"
    raise ValueError(msg)


def _item(index: int, entry: Any) -> dict[str, Any]:
    if not isinstance(entry, Mapping) or "name" not in entry or "due" not in entry:
        msg = f"item {index + 1} must have at least 'name' and 'due'"
        raise ValueError(msg)
    unknown = set(entry) - {"name", "due", "dated", "sent", "received"}
    if unknown:
        msg = f"item {index + 1} has unknown keys: {', '.join(sorted(unknown))}"
        raise ValueError(msg)
    item: dict[str, Any] = {"name": str(entry["name"])}
    for key in ("due", "dated", "sent", "received"):
        if entry.get(key) is not None:
            try:
                item[key] = to_date(entry[key])
            except ValueError as exc:
                msg = f"item '{item['name']}', '{key}': {exc}"
                raise ValueError(msg) from None
    order = [k for k in ("dated", "sent", "received") if k in item]
    for earlier, later in itertools.pairwise(order):
        if item[later] < item[earlier]:
            msg = f"item '{item['name']}': '{later}' ({item[later]}) is before '{earlier}'"
            raise ValueError(msg)
    return item


def unit_from_mapping(
    data: Mapping[str, Any], ruleset: Ruleset, *, path: str | None = None
) -> UnitInputs:
    """Check a unit's mapping against its ruleset and layer its stages."""
    reader = _Reader(ruleset, path)
    for key in sorted(set(data) - UNIT_KEYS):
        raise reader.error(data, key, f"unknown key '{key}'", hint=close_match(key, UNIT_KEYS))
    name = data.get("unit", "")
    if not isinstance(name, str):
        raise reader.error(data, "unit", "'unit' must be the unit's name")
    year = data.get("year", ruleset.year)
    if year != ruleset.year:
        raise reader.error(
            data,
            "year",
            f"the unit is for {year} but the ruleset '{ruleset.id}' is for {ruleset.year}",
        )
    indicators = reader.indicators(data.get("indicators"), "indicators")
    points = reader.points(data.get("points"))
    raw_stages = data.get("stages")
    stages: list[Stage] = []
    if raw_stages is None:
        stages.append(Stage("final", indicators, points))
    else:
        if not isinstance(raw_stages, Mapping):
            raise reader.error(data, "stages", "'stages' must map appraisal/final to changes")
        for key in raw_stages:
            if key not in STAGES:
                raise reader.error(
                    raw_stages,
                    key,
                    f"unknown stage '{key}'",
                    hint=close_match(key, STAGES) or "appraisal or final",
                )
        stages.append(Stage("self", indicators, points))
        for name_ in STAGES:
            if name_ not in raw_stages:
                continue
            layer = raw_stages[name_] or {}
            if not isinstance(layer, Mapping):
                raise reader.error(raw_stages, name_, "a stage is {indicators: …, points: …}")
            for key in sorted(set(layer) - STAGE_KEYS):
                raise reader.error(layer, key, f"unknown key '{key}' in stage '{name_}'")
            previous = stages[-1]
            stages.append(
                Stage(
                    name_,
                    {**previous.indicators, **reader.indicators(layer.get("indicators"), name_)},
                    {**previous.points, **reader.points(layer.get("points"))},
                )
            )
    return UnitInputs(
        unit=name,
        year=year,
        ruleset=ruleset.id,
        stages=tuple(stages),
        remedies=reader.remedies(data.get("remedies")),
        path=path,
        ruleset_path=ruleset.path,
    )


def load_unit(
    path: str | Path, *, ruleset: Ruleset | None = None, registry: Registry | None = None
) -> UnitInputs:
    """Read a unit file; its ``ruleset:`` is loaded unless one is given."""
    from ._ruleset import load_ruleset, resolve

    path = Path(path)
    data = load_file(path)
    if not isinstance(data, Located):
        raise UnitError("a unit file must be a YAML mapping", path=path, line=1)
    for key in ("unit", "year", "ruleset"):
        if key not in data:
            raise UnitError(
                f"the unit file has no '{key}'", path=path, line=1, hint=f"add a top-level '{key}:'"
            )
    if ruleset is None:
        from ._plugins import default_registry

        registry = registry or default_registry()
        try:
            ruleset_path = resolve(data["ruleset"], registry, base=path.parent)
        except RulesetNotFoundError as exc:
            raise UnknownNameError(
                f"the ruleset '{data['ruleset']}' is not found",
                path=path,
                line=data.line_of("ruleset"),
                field="ruleset",
                hint=exc.hint,
            ) from None
        ruleset = load_ruleset(ruleset_path, registry=registry)
    return unit_from_mapping(data, ruleset, path=str(path))
