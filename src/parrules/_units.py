"""Unit files → ``UnitInputs``: values checked against the ruleset's declared types, stages
layered ``self`` → ``appraisal`` → ``final``."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
import weakref
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from ._model import Appraisal, Indicator, ReadOnly, Remedy, Ruleset, Stage, UnitInputs
from ._numbers import ONE, ZERO, parse_decimal
from ._plugins import Registry
from ._text import HINT as TEXT_HINT
from ._text import hidden_character
from ._yaml import Located, current_limits, load_file
from .errors import RulesetNotFoundError, UnitError, UnknownNameError, close_match

UNIT_KEYS = {
    "unit",
    "year",
    "ruleset",
    "indicators",
    "points",
    "reason",
    "remedies",
    "stages",
    "uncertainty",
}
STAGE_KEYS = {"indicators", "points", "reason"}
MAX_NAME = 255
"""Characters in a unit's name: the longest commune name with its district and province is
under 100, and a name is a cell, a heading and a sheet name in every report."""
STAGES = ("appraisal", "final")
_DMY = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$")
_ISO = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")


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

    def indicators(
        self, raw: Any, where: str, *, path: tuple[str, ...] = ("indicators",), depth: int = 0
    ) -> dict[str, Any]:
        """The values of ``indicators:``, converted to their declared types. Values given through
        the API are checked here (``_checked``, ``depth`` deep), unless seen at a glance to be
        what checking gives back."""
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            raise self.error(raw, None, f"'{where}' must be a mapping of indicator: value")
        declared = self.ruleset.indicators
        given = not isinstance(raw, Located)
        values = {}
        for name, value in raw.items():
            if name not in declared and given:  # a name not declared: is it a text at all?
                self.checked(raw, depth + 1, path, _KEYS)
            if given and type(value) not in _PLAIN and not _as_given(value, depth):
                value = self.checked(value, depth, (*path, name))
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
        return ReadOnly(values)  # what ``convert`` gives is read-only: not copied again

    def known_code(self, raw: Any, code: str) -> None:
        if not self.ruleset.has_node(code):
            raise self.error(
                raw,
                code,
                f"the ruleset has no node '{code}'",
                code=code,
                hint=close_match(code, [n.code for n in self.ruleset.flat]),
                cls=UnknownNameError,
            )

    def reason(self, data: Any, key: str = "reason") -> str | None:
        """The default reason of a stage's appraised points (``reason:`` beside ``points:``)."""
        reason = data.get(key) if isinstance(data, Mapping) else None
        if reason is not None and not (isinstance(reason, str) and reason.strip()):
            raise self.error(data, key, "'reason' must be a text: why the points were lost")
        return reason.strip() if reason else None

    def checked(
        self, value: Any, depth: int, where: tuple[str, ...] = (), shape: Any = None
    ) -> Any:
        """``_checked``, its refusal naming the field ``where`` and the keys below it."""
        try:
            return _checked(value, depth, shape)
        except _Refused as refused:
            field = ".".join([*where, *reversed(refused.keys)]) or None
            raise UnitError(
                refused.message, path=self.path, field=field, hint=refused.hint
            ) from None

    def points(
        self,
        raw: Any,
        default_reason: str | None = None,
        withdrawn: dict[str, Any] | None = None,
        *,
        where: tuple[str, ...] = ("points",),
        depth: int = 0,
    ) -> dict[str, Appraisal]:
        """``points:`` entries; one without a reason of its own takes ``default_reason``. With
        ``withdrawn`` (a later stage), an entry ``null`` withdraws an earlier stage's points for
        that code: it is added to ``withdrawn``, with where it is written. Entries given through
        the API are checked here (``_checked``, ``depth`` deep) unless one like it was seen."""
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            raise self.error(raw, None, "'points' must be a mapping of code: points")
        located = raw if isinstance(raw, Located) else None
        if located is None and not _plain_keys(raw):  # given through the API: check its codes
            self.checked(raw, depth + 1, where, _KEYS)
        result = {}
        inner = _inner_codes(raw)
        places = self.ruleset.precision
        checked = _checked_entries(self.ruleset)

        def at(code: str, entry: Any) -> Any:
            """What an entry's errors name: the entry, or for points alone the code's line."""
            return entry if isinstance(entry, Mapping) else _bare(entry, _line(raw, code))

        for code, entry in raw.items():
            kind = type(entry)
            if kind is Decimal or kind is int:  # points alone, as most entries are written
                finite = kind is int or entry.is_finite()
                same = (code, kind, entry, None, default_reason) if finite else None
            else:
                same = _entry_key(code, entry, default_reason)
            if same is not None and code not in inner:
                found = checked.get(same)
                if found is not None:  # an entry like this one was checked: the same result
                    line = None if located is None else located.line_of(code)
                    result[code] = found if line is None else _at(found, line)
                    continue
            if located is None and kind not in _PLAIN:  # given through the API: check it now
                entry = self.checked(entry, depth, (*where, code))
                same = _entry_key(code, entry, default_reason)
            self.known_code(raw, code)
            node = self.ruleset.node(code)
            if entry is None:
                if withdrawn is None:
                    raise self.error(
                        raw,
                        code,
                        "the entry has no points",
                        code=code,
                        hint="'null' withdraws an earlier stage's points, in a later stage only",
                    )
                withdrawn[code] = raw
                continue
            if code in inner:
                first = inner[code]
                raise self.error(
                    raw,
                    first,
                    f"points are given both for '{code}' and for its sub-criterion '{first}'",
                    code=first,
                    hint="give points for a node or for its sub-criteria, not both",
                )
            full = isinstance(entry, Mapping)
            if full:
                if not entry.keys() <= _ENTRY_KEYS:
                    key = sorted(set(entry) - _ENTRY_KEYS)[0]
                    raise self.error(
                        entry, key, f"unknown key '{key}'", code=code, hint=close_match(key, _ENTRY)
                    )
                if "points" not in entry:
                    raise self.error(raw, code, "the entry has no 'points'", code=code)
                given, reason = entry["points"], entry.get("reason")
            else:
                given, reason = entry, None
            try:
                points = parse_decimal(given)
            except ValueError as exc:
                raise self.error(at(code, entry), "points", str(exc), code=code) from None
            if type(given) is not int and _decimals(points) > places:
                raise self.error(
                    at(code, entry),
                    "points",
                    f"{_show(given)} has more decimals than the ruleset keeps "
                    f"({places}, its 'precision')",
                    code=code,
                    hint=f"give them to {places} decimals, as the appraisal decided them",
                )
            if full:
                for key in ("reason", "by"):
                    if entry.get(key) is not None and not isinstance(entry[key], str):
                        raise self.error(entry, key, f"'{key}' must be a text", code=code)
            if node.max is None:
                if points < node.floor:
                    message = f"{points} is below {node.floor}"
                    raise self.error(at(code, entry), "points", message, code=code)
            elif not node.floor <= points <= node.max:
                message = f"{points} is outside {node.floor}–{node.max}"
                raise self.error(at(code, entry), "points", message, code=code)
            if not (isinstance(reason, str) and reason.strip()):
                reason = default_reason
            if node.max is not None and points < node.max and reason is None:
                raise self.error(
                    at(code, entry),
                    "points",
                    f"{points} of {node.max} needs a 'reason'",
                    code=code,
                    hint="say why the points were lost, here or once for the stage ('reason:')",
                )
            if not full or entry.keys() <= _PLAIN_ENTRY:
                appraisal = Appraisal(points, reason)
                if same is not None and len(checked) < _CHECKED:
                    checked[same] = appraisal
                line = _line(raw, code)
                result[code] = appraisal if line is None else _at(appraisal, line)
                continue
            fields = entry
            when = fields.get("date")
            if when is not None:
                try:
                    when = to_date(when)
                except ValueError as exc:
                    raise self.error(fields, "date", str(exc), code=code) from None
            evidence = fields.get("evidence") or ()
            if isinstance(evidence, str):
                evidence = (evidence,)
            if not isinstance(evidence, list | tuple) or not all(
                isinstance(e, str) for e in evidence
            ):
                raise self.error(
                    fields, "evidence", "'evidence' is a text or a list of texts", code=code
                )
            result[code] = Appraisal(
                points, reason, fields.get("by"), when, tuple(evidence), _line(raw, code)
            )
        return result

    def uncertainty(self, raw: Any) -> tuple[Any, ...]:
        """The unit's declared sources of variation (``uncertainty: {sources: …}``)."""
        if raw is None:
            return ()
        from ._variation import location, read_uncertainty

        def fail(entry: Any, key: str | None, message: str, hint: str | None = None) -> UnitError:
            return UnitError(
                message,
                path=self.path,
                line=location(entry, key) or _line(raw),
                field=f"uncertainty.{key}" if key else "uncertainty",
                hint=hint,
            )

        found = {n.code: n for n in self.ruleset.flat}
        return read_uncertainty(
            raw, nodes=found, indicators=self.ruleset.indicators, fail=fail, alternatives=False
        ).sources

    def remedies(self, raw: Any) -> dict[str, Remedy]:
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            raise self.error(
                raw, None, "'remedies' must be a mapping of code: {remedy, person, deadline}"
            )
        result = {}
        for code, entry in raw.items():
            self.known_code(raw, code)
            shape = "a remedy is {remedy: text, person: text, deadline: a date or a text}"
            if not isinstance(entry, Mapping) or set(entry) - {"remedy", "person", "deadline"}:
                raise self.error(raw, code, shape, code=code)
            deadline = entry.get("deadline")
            if isinstance(deadline, dt.date):
                deadline = deadline.strftime("%d/%m/%Y")
            texts = (entry.get("remedy"), entry.get("person"), deadline)
            if not all(v is None or isinstance(v, str) for v in texts):
                raise self.error(raw, code, shape, code=code)
            result[code] = Remedy(entry.get("remedy"), entry.get("person"), deadline)
        return result


_ENTRY = ("points", "reason", "by", "date", "evidence")
_ENTRY_KEYS = frozenset(_ENTRY)
_PLAIN_ENTRY = frozenset(("points", "reason"))


def _decimals(number: Decimal) -> int:
    """Decimal places ``number`` needs: ``0.50`` one, ``100`` none."""
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < 0:
        exponent = number.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _bare(points: Any, line: int | None) -> Located:
    """An entry written as its points alone, as the mapping it stands for."""
    fields = Located({"points": points})
    fields.line = line
    fields.lines = {}
    return fields


_CHECKED = 4096
"""Entries remembered per ruleset (see ``_checked_entries``)."""
_ENTRIES: dict[int, dict[tuple[Any, ...], Appraisal]] = {}


def _checked_entries(ruleset: Ruleset) -> dict[tuple[Any, ...], Appraisal]:
    """The appraisals of the plain entries (points alone, or with a reason) already checked
    against ``ruleset``, by ``_entry_key``: units give the same few points for a node again and
    again, so each such entry is checked once per ruleset, and units share its appraisal (a
    frozen value) instead of holding one each. Forgotten with the ruleset."""
    found = _ENTRIES.get(id(ruleset))
    if found is None:
        found = _ENTRIES[id(ruleset)] = {}
        weakref.finalize(ruleset, _ENTRIES.pop, id(ruleset), None)
    return found


def _at(appraisal: Appraisal, line: int) -> Appraisal:
    """A plain entry's appraisal, written on ``line`` of a file."""
    return Appraisal(appraisal.points, appraisal.reason, line=line)


def _entry_key(code: str, entry: Any, default_reason: str | None) -> tuple[Any, ...] | None:
    """What the appraisal of a plain entry depends on, or None for any other entry. Equal
    numbers give equal appraisals (``0.50`` and ``0.5`` alike), but a whole number and a
    decimal are told apart, and only finite numbers are remembered."""
    kind = type(entry)
    reason = None
    if kind is dict or kind is Located:
        if not entry.keys() <= _PLAIN_ENTRY:
            return None
        reason = entry.get("reason")
        if reason is not None and type(reason) is not str:
            return None
        entry = entry.get("points")
        kind = type(entry)
    if kind is int or (kind is Decimal and entry.is_finite()):
        return (code, kind, entry, reason, default_reason)
    return None


def _inner_codes(raw: Mapping[str, Any]) -> dict[str, str]:
    """Each code of ``raw`` that has a sub-criterion in ``raw`` too, with the first of them
    (in the order written): each code's ancestors looked up, not every pair of codes compared."""
    inner: dict[str, str] = {}
    for code in raw:
        parents = _ANCESTORS.get(code)
        for parent in _ancestors(code) if parents is None else parents:
            if parent in raw:
                inner.setdefault(parent, code)
    return inner


_ANCESTORS: dict[str, tuple[str, ...]] = {}
"""The codes above a code, by the code's text (``1.2.3``: ``1.2``, ``1``)."""


def _ancestors(code: str) -> tuple[str, ...]:
    found = []
    parent = code.rpartition(".")[0]
    while parent:
        found.append(parent)
        parent = parent.rpartition(".")[0]
    if len(code) <= 32 and len(_ANCESTORS) < 65536:
        _ANCESTORS[code] = tuple(found)
    return tuple(found)


def to_date(value: Any) -> dt.date:
    """A date written ``2023-05-25`` (a YAML date) or ``"25/05/2023"``; impossible dates
    (31/02/2023) are refused, never moved to the next valid day."""
    if type(value) is dt.date:
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        dmy, iso = _DMY.match(text), _ISO.match(text)
        if dmy or iso:
            if dmy:
                day, month, year = (int(g) for g in dmy.groups())
            else:
                assert iso is not None
                year, month, day = (int(g) for g in iso.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                msg = f"'{value}' is not a real date"
                raise ValueError(msg) from None
    msg = f'{_show(value)} is not a date (write 2023-05-25 or "25/05/2023")'
    raise ValueError(msg)


def _show(value: Any) -> str:
    text = f"'{value}'" if isinstance(value, str | Decimal) else repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _count(value: Any) -> Decimal:
    number = parse_decimal(value)
    if type(value) is int and number >= 0:  # a whole number as written
        return number
    if number < 0 or number != number.to_integral_value():
        msg = f"{_show(value)} is not a count (a whole number, 0 or more)"
        raise ValueError(msg)
    if int(number.as_tuple().exponent) < 0:
        # 1.000 or "1,000": one, or a thousand with a thousands separator? Never guess.
        msg = (
            f"{_show(value)} is a count written with decimals: write it as a whole number "
            "without separators (1000, not 1.000)"
        )
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
            msg = f"{_show(value)} is not true or false (write true or false, without quotes)"
            raise ValueError(msg)
        return value
    if kind == "date":
        return to_date(value)
    if kind == "choice":
        if not isinstance(value, str) or value not in indicator.choices:
            hint = close_match(str(value), indicator.choices)
            msg = f"{_show(value)} is not one of: {', '.join(indicator.choices)}" + (
                f" ({hint})" if hint else ""
            )
            raise ValueError(msg)
        return value
    if kind in ("events", "answers"):
        if not isinstance(value, Mapping):
            msg = f"expected a mapping of kind: count, got {_show(value)}"
            raise ValueError(msg)
        reader = _count if kind == "events" else parse_decimal
        result = {}
        for key, raw in value.items():
            if indicator.kinds and key not in indicator.kinds:
                hint = close_match(str(key), indicator.kinds)
                msg = f"unknown kind '{key}' (one of: {', '.join(indicator.kinds)})" + (
                    f" ({hint})" if hint else ""
                )
                raise ValueError(msg)
            try:
                result[str(key)] = reader(raw)
            except ValueError as exc:
                msg = f"'{key}': {exc}"
                raise ValueError(msg) from None
            if result[str(key)] < 0:
                msg = f"'{key}': counts and shares cannot be negative"
                raise ValueError(msg)
        return ReadOnly(result)  # as a stage holds it: not copied again
    if kind == "items":
        if value is not None and not isinstance(value, list | tuple):
            msg = "expected a list of items, each {name, due, sent}"
            raise ValueError(msg)
        return tuple(_item(i, entry) for i, entry in enumerate(value or []))
    if kind == "text":
        if not isinstance(value, str):
            msg = f"{_show(value)} is not a text"
            raise ValueError(msg)
        return value
    msg = f"unknown indicator type {kind}"
    raise ValueError(msg)


_ITEM_KEYS = frozenset({"name", "due", "dated", "sent", "received"})


def _item(index: int, entry: Any) -> Mapping[str, Any]:
    mapping = type(entry) is dict or isinstance(entry, Mapping)
    if not mapping or "name" not in entry or "due" not in entry:
        msg = f"item {index + 1} must have at least 'name' and 'due'"
        raise ValueError(msg)
    if not _ITEM_KEYS.issuperset(entry):
        unknown = set(entry) - _ITEM_KEYS
        msg = f"item {index + 1} has unknown keys: {', '.join(sorted(unknown))}"
        raise ValueError(msg)
    if not isinstance(entry["name"], str) or not entry["name"].strip():
        msg = f"item {index + 1}: 'name' must be a text"
        raise ValueError(msg)
    item: dict[str, Any] = {"name": entry["name"]}
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
    return ReadOnly(item)


class _Refused(Exception):
    """A value ``_checked`` refuses; the keys above it are added on the way out."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        self.message, self.hint, self.keys = message, hint, list[str]()


_PLAIN = frozenset({int, bool, float, Decimal, type(None), dt.date, dt.datetime})


def _as_written(text: str) -> bool:
    """Printable ASCII: nothing hidden (see ``_text``), no line break to make uniform, NFC."""
    return text.isascii() and text.isprintable()


SHORT, KEPT = 100, 4096
_TEXTS: dict[str, str] = {}
"""Short texts ``_checked`` let through, as it gives them: the names of items, answers and
events come back unit after unit."""


_KEYS, _RAW = "keys", "raw"
"""``shape``s for ``_checked``: a mapping whose keys alone are checked, and one left as given
(after the check of its depth), whose keys and values the reader checks as it reads them."""
_UNIT = {
    "indicators": _RAW,
    "points": _RAW,
    "stages": {"*": {"indicators": _RAW, "points": _RAW}},
}
"""The shape of a unit's mapping: its indicators and appraised points are checked by the
reader, which tells most of them at a glance (declared names, ``_as_given``) or has seen them
before (``_checked_entries``)."""


def _as_given(value: Any, depth: int) -> bool:
    """Whether ``_checked(value, depth)`` gives ``value`` back as it is, told at a glance for
    the usual values: numbers and dates, texts as written (or already checked), and mappings of
    them by plain keys and lists of those, nested no deeper than ``depth``."""
    kind = type(value)
    if kind in _PLAIN:
        return True
    if kind is str:
        return bool(value.isascii() and value.isprintable()) or _TEXTS.get(value) == value
    if depth <= 0:
        return False
    if kind is dict:
        if not _plain_keys(value):
            return False
        for item in value.values():
            if type(item) not in _PLAIN and not _as_given(item, depth - 1):
                return False
        return True
    if kind is list or kind is tuple:
        return all(_as_given(item, depth - 1) for item in value)
    return False


def _plain_keys(mapping: Mapping[Any, Any]) -> bool:
    """Whether every key is a text in plain ASCII, which ``_checked`` lets through as it is."""
    if _PLAIN_KEYS.issuperset(mapping):
        return True
    for key in mapping:
        if not (type(key) is str and key.isascii() and key.isprintable()):
            return False
        if len(_PLAIN_KEYS) < KEPT:
            _PLAIN_KEYS.add(key)
    return True


_PLAIN_KEYS: set[str] = set()
"""Keys found written in plain text: codes and the names of answers, events and items come
back unit after unit."""


def _checked(value: Any, depth: int, shape: Any = None) -> Any:
    """A value given through the API, checked as the YAML loader checks a file's: every key a
    text, every text NFC without a hidden character (see ``_text``), no key twice once
    normalised, nesting at most ``depth`` deep. What the loader read (``Located``) is already
    checked. ``shape`` names the mappings left to the reader (``_KEYS``, ``_RAW``), by key
    (``*``: any key)."""
    kind = type(value)
    if kind in _PLAIN or kind is Located:
        return value
    if kind is str:
        if _as_written(value):
            return value
        found = _TEXTS.get(value)
        if found is not None:
            return found
        text = value.replace("\r\n", "\n").replace("\r", "\n")  # a sheet cell's line breaks
        hidden = hidden_character(text)
        if hidden is not None:
            raise _Refused(f"the character {hidden} is not allowed", TEXT_HINT)
        text = unicodedata.normalize("NFC", text)
        if len(value) <= SHORT and len(_TEXTS) < KEPT:
            _TEXTS[value] = text
        return text
    if depth <= 0:
        raise _Refused(f"nesting deeper than {current_limits().max_depth} levels")
    if kind is dict or isinstance(value, Mapping):
        if shape is _RAW:
            return value
        result: dict[str, Any] = {}
        for key, item in value.items():
            if type(key) is str and key.isascii() and key.isprintable():
                name = key
            elif isinstance(key, str):
                name = _checked(key, depth)
            else:
                hint = f'write it as text: "{key}"' if isinstance(key, int | Decimal) else None
                raise _Refused(f"the key {_show(key)} is not a text", hint)
            if name in result:
                raise _Refused(f"the key '{name}' is given twice (once Unicode-normalised)")
            if shape is _KEYS:
                result[name] = item
                continue
            kind = type(item)
            if kind in _PLAIN or (kind is str and item.isascii() and item.isprintable()):
                result[name] = item
                continue
            if kind is str and (found := _TEXTS.get(item)) is not None:
                result[name] = found
                continue
            inner = None if shape is None else shape.get(name, shape.get("*"))
            try:
                result[name] = _checked(item, depth - 1, inner)
            except _Refused as refused:
                refused.keys.append(name)
                raise
        return result
    if kind is list or isinstance(value, list | tuple):
        return [_checked(item, depth - 1) for item in value]
    return value


def unit_from_mapping(
    data: Mapping[str, Any], ruleset: Ruleset, *, path: str | None = None
) -> UnitInputs:
    """Check a unit's mapping against its ruleset and layer its stages. A mapping built in
    Python is checked as a file's would be (keys are texts, no hidden characters); a
    ``ruleset:`` in it must name the ruleset given."""
    depth = current_limits().max_depth
    reader = _Reader(ruleset, path)
    data = reader.checked(data, depth, (), _UNIT)
    if not isinstance(data, Mapping):
        raise UnitError("a unit is a mapping of unit, year, indicators, …", path=path)
    for key in sorted(set(data) - UNIT_KEYS):
        raise reader.error(data, key, f"unknown key '{key}'", hint=close_match(key, UNIT_KEYS))
    name = data.get("unit", "")
    if not isinstance(name, str) or ("unit" in data and not name.strip()) or "\n" in name:
        raise reader.error(data, "unit", "'unit' must be the unit's name, as a text on one line")
    if len(name) > MAX_NAME:
        msg = f"the unit's name is {len(name):,} characters long, more than {MAX_NAME}"
        raise reader.error(data, "unit", msg, hint="give the unit's name, not a description")
    named = data.get("ruleset", ruleset.id)
    if named != ruleset.id and not _same_file(named, Path(path or "unit"), ruleset.path):
        raise reader.error(
            data,
            "ruleset",
            f"the unit names the ruleset {_show(named)} but is scored with '{ruleset.id}'",
            hint="name the ruleset the unit was written for",
        )
    year = data.get("year", ruleset.year)
    if isinstance(year, bool) or not isinstance(year, int):
        raise reader.error(data, "year", f"'year' must be a year like 2023, not {_show(year)}")
    if year != ruleset.year:
        raise reader.error(
            data,
            "year",
            f"the unit is for {year} but the ruleset '{ruleset.id}' is for {ruleset.year}",
        )
    for key in ("indicators", "points", "remedies", "stages"):
        if data.get(key) is not None and not isinstance(data[key], Mapping):
            raise reader.error(data, key, f"'{key}' must be a mapping (key: value lines)")
    indicators = reader.indicators(data.get("indicators"), "indicators", depth=depth - 2)
    points = reader.points(
        data.get("points"), reader.reason(data), where=("points",), depth=depth - 2
    )
    raw_stages = data.get("stages")
    stages: list[Stage] = []
    lines = {"self": _lines(data.get("indicators"))}
    if raw_stages is None:
        stages.append(Stage("final", indicators, points))
        lines["final"] = lines.pop("self")
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
            # What a stage does not change is the previous stage's very mapping: the unit stays
            # small, and the engine sees at once that nothing changed.
            previous = stages[-1]
            changed_lines = _lines(layer.get("indicators"))
            before = lines[previous.name]
            lines[name_] = {**before, **changed_lines} if changed_lines else before
            withdrawn: dict[str, Any] = {}
            layered = reader.points(
                layer.get("points"),
                reader.reason(layer),
                withdrawn,
                where=("stages", name_, "points"),
                depth=depth - 4,
            )
            given: Mapping[str, Appraisal] = previous.points
            if layered or withdrawn:
                points = {**previous.points, **layered}
                for code, raw_points in withdrawn.items():
                    if points.pop(code, None) is None:
                        raise reader.error(
                            raw_points,
                            code,
                            f"stage '{name_}' withdraws points for '{code}' that no earlier "
                            "stage gave",
                            code=code,
                        )
                given = points
            changed = reader.indicators(
                layer.get("indicators"),
                name_,
                path=("stages", name_, "indicators"),
                depth=depth - 4,
            )
            values = (
                ReadOnly({**previous.indicators, **changed}) if changed else previous.indicators
            )
            stages.append(Stage(name_, values, given))
    return UnitInputs(
        unit=name,
        year=year,
        ruleset=ruleset.id,
        stages=tuple(stages),
        remedies=reader.remedies(data.get("remedies")),
        path=path,
        ruleset_path=ruleset.path,
        lines=lines,
        uncertainty=reader.uncertainty(data.get("uncertainty")),
    )


def _lines(raw: Any) -> dict[str, int]:
    if not isinstance(raw, Located):
        return {}
    return {name: line for name in raw if (line := raw.line_of(name)) is not None}


def read_unit_file(path: Path) -> Located:
    """A unit file's mapping, with its required keys present."""
    data = load_file(path)
    if not isinstance(data, Located):
        raise UnitError("a unit file must be a YAML mapping", path=path, line=1)
    for key in ("unit", "year", "ruleset"):
        if key not in data:
            raise UnitError(
                f"the unit file has no '{key}'", path=path, line=1, hint=f"add a top-level '{key}:'"
            )
    if not isinstance(data["ruleset"], str) or not data["ruleset"].strip():
        raise UnitError(
            "'ruleset' must be a ruleset id or a path",
            path=path,
            line=data.line_of("ruleset"),
            field="ruleset",
        )
    return data


def _same_file(named: object, unit_path: Path, ruleset_path: str | None) -> bool:
    if not isinstance(named, str) or ruleset_path is None:
        return False
    base = unit_path.parent
    try:
        return any(
            candidate.is_file() and candidate.resolve() == Path(ruleset_path).resolve()
            for candidate in (base / named, Path(named))
        )
    except (OSError, ValueError):  # a name too long for a path, or with a NUL in it
        return False


def ruleset_file_of(data: Located, path: Path, registry: Registry) -> Path:
    """The file of the ruleset a unit file names (an id, or a path relative to the unit)."""
    from ._ruleset import resolve

    try:
        return resolve(data["ruleset"], registry, base=path.parent)
    except RulesetNotFoundError as exc:
        raise UnknownNameError(
            f"the ruleset '{data['ruleset']}' is not found",
            path=path,
            line=data.line_of("ruleset"),
            field="ruleset",
            hint=exc.hint,
        ) from None


def load_unit(
    path: str | Path, *, ruleset: Ruleset | None = None, registry: Registry | None = None
) -> UnitInputs:
    """Read a unit file; its ``ruleset:`` is loaded unless one is given."""
    from ._ruleset import load_ruleset

    path = Path(path)
    data = read_unit_file(path)
    if ruleset is None:
        from ._plugins import default_registry

        registry = registry or default_registry()
        ruleset = load_ruleset(ruleset_file_of(data, path, registry), registry=registry)
    return unit_from_mapping(data, ruleset, path=str(path))
