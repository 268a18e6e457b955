"""The inputs of many units at one stage, one array per indicator: what vectorised rules read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs
import numpy as np

from .._model import Appraisal, Ruleset, Stage, UnitInputs
from ..errors import InputError
from ._exact import Bools, Ints, Numbers, digits_at, places

MAX_SCALE = 12
"""Decimals a number may have on the vectorised path; a unit with more is scored by the engine."""
MAX_DIGITS = 10**15
"""Digits a number may reach on the vectorised path; a unit beyond is scored by the engine."""
NUMERIC = ("count", "number", "ratio")
NO_DATE = -1


@attrs.frozen(eq=False)
class Items:
    """The dated items of an ``items`` indicator: one row per item (as many as the unit with the
    most), one column per unit, dates as day numbers, ``-1`` where a date is not given;
    ``exists`` marks the items a unit has."""

    exists: Bools
    due: Ints
    dated: Ints
    sent: Ints
    received: Ints

    def date(self, key: str) -> Ints:
        return {"due": self.due, "dated": self.dated, "sent": self.sent, "received": self.received}[
            key
        ]


@attrs.frozen(eq=False)
class Counts:
    """An ``events`` or ``answers`` indicator: per kind, its numbers and the rows that give it
    (a kind given as 0 is given)."""

    kinds: Mapping[str, tuple[Numbers, Bools]]


class Columns:
    """The indicators and appraised points of many units at one stage, as arrays.

    A vectorised rule reads its indicators with ``numbers``, ``flags``, ``choices``, ``counts``
    and ``items``; every row is one unit. Rows whose indicator is absent hold 0 (the engine
    applies the node's ``missing`` policy to them, whatever the rule computed).
    """

    def __init__(
        self,
        ruleset: Ruleset,
        units: Sequence[UnitInputs],
        stages: Sequence[Stage],
        origin: Ints,
        data: Mapping[str, Any],
        present: Mapping[str, Bools],
        points: Mapping[str, tuple[Numbers, Bools]],
        engine: Bools,
        scale: int,
        overrides: frozenset[str] = frozenset(),
    ) -> None:
        self.ruleset = ruleset
        self.units = units
        self.stages = stages
        self.origin = origin
        """Per row, the position of its unit in ``units``."""
        self.size = int(origin.size)
        self.precision = ruleset.precision
        """The decimals a rule's points are rounded to."""
        self._data = data
        self._present = present
        self.points = points
        """Per node code given points by some unit: the points (at ``scale``) and the rows that
        give them."""
        self.engine = engine
        """Rows the engine scores whole (numbers too long or too precise for int64)."""
        self.scale = scale
        """Decimals of the points of every node: the ruleset's precision, or more where a max or
        an appraisal is written with more."""
        self.incomplete = frozenset(name for name, mask in present.items() if not mask.all())
        """Indicators some rows do not give."""
        self.overrides = overrides
        """Indicators and points (``points:<code>``) replaced since the columns were read from
        the units, e.g. by draws."""

    @classmethod
    def from_units(
        cls,
        ruleset: Ruleset,
        units: Sequence[UnitInputs],
        stage: str | None = None,
        *,
        scale: int = 0,
    ) -> Columns:
        """The given stage (default: each unit's last) of every unit, as columns; points at
        ``scale`` decimals at least."""
        stages = [unit.stage(stage) for unit in units]
        size = len(stages)
        engine = np.zeros(size, dtype=bool)
        data: dict[str, Any] = {}
        present: dict[str, Bools] = {}
        read = {name for node in ruleset.flat for name in node.reads}
        for name in sorted(read):
            indicator = ruleset.indicators[name]
            values = [s.indicators.get(name) for s in stages]
            present[name] = np.fromiter((v is not None for v in values), bool, size)
            data[name] = _column(indicator.type, indicator.choices, values, engine)
        scale = max(
            [scale, ruleset.precision, *(places(n.max) for n in ruleset.flat if n.max is not None)]
        )
        codes = sorted({c for s in stages for c in s.points}, key=ruleset._positions.__getitem__)
        read_points = {}
        for code in codes:
            entries = [s.points.get(code) for s in stages]
            raw, decimals, long = _read([None if a is None else a.points for a in entries])
            if long.any():
                row = int(np.flatnonzero(long)[0])
                unit = units[row]
                raise InputError(
                    f"{unit.path or unit.unit}: the points of {code} have more than {MAX_SCALE} "
                    f"decimals or {len(str(MAX_DIGITS)) - 1} digits, too many to be analysed",
                    field="points",
                )
            given = np.fromiter((a is not None for a in entries), bool, size)
            read_points[code] = (raw, decimals, given)
            scale = max(scale, int(decimals.max()) if size else 0)
        points = {}
        for code, (raw, decimals, given) in read_points.items():
            digits = raw * _POWERS[scale - decimals]
            points[code] = (Numbers.of(digits, scale), given)
        return cls(
            ruleset,
            tuple(units),
            tuple(stages),
            np.arange(size, dtype=np.int64),
            data,
            present,
            points,
            engine,
            scale,
        )

    @staticmethod
    def points_scale(ruleset: Ruleset, stages: Sequence[Stage]) -> int:
        """The decimals the points of these stages need: the ruleset's precision, or more where
        a max or an appraisal is written with more (up to ``MAX_SCALE``)."""
        found = max(
            [ruleset.precision, *(places(n.max) for n in ruleset.flat if n.max is not None)]
        )
        for stage in stages:
            for appraisal in stage.points.values():
                found = max(found, min(places(appraisal.points), MAX_SCALE))
        return found

    # What rules read.

    def numbers(self, name: str) -> Numbers:
        """A ``count``, ``number`` or ``ratio`` indicator."""
        column = self._data[name]
        assert isinstance(column, Numbers), f"{name} is not a number"
        return column

    def flags(self, name: str) -> Bools:
        """A ``bool`` indicator."""
        return self._data[name]  # type: ignore[no-any-return]

    def choices(self, name: str) -> Ints:
        """A ``choice`` indicator: the position of each row's choice among the declared ones."""
        return self._data[name]  # type: ignore[no-any-return]

    def counts(self, name: str) -> Counts:
        """An ``events`` or ``answers`` indicator."""
        column = self._data[name]
        assert isinstance(column, Counts), f"{name} is not events or answers"
        return column

    def items(self, name: str) -> Items:
        """An ``items`` indicator."""
        column = self._data[name]
        assert isinstance(column, Items), f"{name} is not items"
        return column

    def present(self, name: str) -> Bools:
        """Rows that give the indicator."""
        return self._present[name]

    # What analyses do with them.

    def take(self, rows: Ints) -> Columns:
        """These rows (repeated as often as listed), e.g. every unit once per draw."""
        return Columns(
            self.ruleset,
            self.units,
            self.stages,
            self.origin[rows],
            {name: _take(column, rows) for name, column in self._data.items()},
            {name: mask[rows] for name, mask in self._present.items()},
            {code: (_take(n, rows), m[rows]) for code, (n, m) in self.points.items()},
            self.engine[rows],
            self.scale,
            self.overrides,
        )

    def replace(
        self,
        *,
        numbers: Mapping[str, Numbers] | None = None,
        points: Mapping[str, Numbers] | None = None,
    ) -> Columns:
        """Columns with some indicators' values, or some nodes' points, replaced (points at
        ``scale``; a node given no points before is given them in every row). An indicator
        stays absent in the rows that do not give it."""
        data, present = dict(self._data), dict(self._present)
        given = dict(self.points)
        changed = set()
        everywhere = np.ones(self.size, dtype=bool)
        for name, column in (numbers or {}).items():
            data[name] = column
            changed.add(name)
        for code, column in (points or {}).items():
            assert column.scale == self.scale
            given[code] = (column, everywhere)
            changed.add(f"points:{code}")
        return Columns(
            self.ruleset,
            self.units,
            self.stages,
            self.origin,
            data,
            present,
            given,
            self.engine,
            self.scale,
            self.overrides | changed,
        )

    def unit(self, row: int) -> UnitInputs:
        return self.units[int(self.origin[row])]

    def stage(self, row: int) -> Stage:
        """A row's inputs as the engine reads them (replaced values written back as decimals)."""
        stage = self.stages[int(self.origin[row])]
        if not self.overrides:
            return stage
        indicators = dict(stage.indicators)
        points = dict(stage.points)
        for name in self.overrides:
            if name.startswith("points:"):
                code = name.removeprefix("points:")
                value = self.points[code][0].value(row)
                before = points.get(code)
                points[code] = attrs.evolve(before, points=value) if before else Appraisal(value)
            elif self._present[name][row]:
                indicators[name] = self._data[name].value(row)
        return Stage(stage.name, indicators, points)


def _take(column: Any, rows: Ints) -> Any:
    if isinstance(column, Numbers):
        return Numbers(column.digits[rows], column.scale, column.low, column.high)
    if isinstance(column, Counts):
        return Counts({k: (_take(n, rows), g[rows]) for k, (n, g) in column.kinds.items()})
    if isinstance(column, Items):
        return Items(*(getattr(column, f.name)[:, rows] for f in attrs.fields(Items)))
    return column[rows]


def _numbers(values: Sequence[Any], engine: Bools) -> Numbers:
    """Decimals (None where absent) as digits at the finest scale they need, up to
    ``MAX_SCALE``; a row beyond that, or beyond ``MAX_DIGITS``, is left to the engine."""
    raw, decimals, long = _read(values)
    engine |= long
    scale = int(decimals.max()) if len(values) else 0
    digits = raw * _POWERS[scale - decimals]
    far = np.abs(digits) > MAX_DIGITS * 10 ** min(scale, 3)
    if far.any():  # shifting a long number to the scale of a precise one
        engine |= far
        digits = np.where(far, 0, digits)
    return Numbers.of(digits, scale)


def _read(values: Sequence[Any]) -> tuple[Ints, Ints, Bools]:
    """Decimals (None where absent) as their digits and decimals, and the rows beyond
    ``MAX_SCALE`` decimals or ``MAX_DIGITS`` (read as 0)."""
    size = len(values)
    raw = np.zeros(size, dtype=np.int64)
    decimals = np.zeros(size, dtype=np.int64)
    long = np.zeros(size, dtype=bool)
    for row, value in enumerate(values):
        if value is None:
            continue
        text = str(value)  # the fastest exact reading of a Decimal's digits
        point = text.find(".")
        if "E" in text or "e" in text:
            number = Decimal(value)
            places_ = places(number)
            whole = digits_at(number, places_)
        elif point < 0:
            places_, whole = 0, int(text)
        else:
            places_, whole = len(text) - point - 1, int(text[:point] + text[point + 1 :])
        if places_ > MAX_SCALE or abs(whole) > MAX_DIGITS:
            long[row] = True
            continue
        raw[row], decimals[row] = whole, places_
    return raw, decimals, long


_POWERS = np.array([10**k for k in range(MAX_SCALE + 1)], dtype=np.int64)


def _column(kind: str, choices: Sequence[str], values: Sequence[Any], engine: Bools) -> Any:
    size = len(values)
    if kind in NUMERIC:
        return _numbers(values, engine)
    if kind == "bool":
        for row, value in enumerate(values):
            if value is not None and not isinstance(value, bool):
                engine[row] = True
        return np.fromiter((v is True for v in values), bool, size)
    if kind == "choice":
        position = {c: i for i, c in enumerate(choices)}
        for row, value in enumerate(values):
            if value is not None and value not in position:
                engine[row] = True
        return np.fromiter((position.get(v, 0) for v in values), np.int64, size)
    if kind in ("events", "answers"):
        kinds = sorted({k for v in values if v for k in v})
        return Counts(
            {
                k: (
                    _numbers([v.get(k) if v else None for v in values], engine),
                    np.fromiter((bool(v) and k in v for v in values), bool, size),
                )
                for k in kinds
            }
        )
    if kind == "items":
        width = max((len(v) for v in values if v), default=0)
        exists = np.zeros((width, size), dtype=bool)
        dates = {k: np.full((width, size), NO_DATE, dtype=np.int64) for k in _DATES}
        for row, items in enumerate(values):
            for j, item in enumerate(items or ()):
                exists[j, row] = True
                for key in _DATES:
                    when = item.get(key)
                    if isinstance(when, dt.date):
                        dates[key][j, row] = when.toordinal()
        return Items(exists, *(dates[k] for k in _DATES))
    return np.array(values, dtype=object)  # dates, texts: read by rules without a vectorised form


_DATES = ("due", "dated", "sent", "received")
