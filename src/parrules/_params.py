"""Reading a rule's params at load time, with errors that name file, line, node and param."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any

from ._model import Indicator, Relation, Text
from ._numbers import parse_decimal
from ._template import Template, TemplateError, parse
from .errors import RulesetError, close_match


class Params:
    """A node's params as a rule sees them in ``bind``: typed getters that record what was read.

    Every param the rule does not ask for is reported as unknown, with the close match, when
    binding ends; every indicator it names must be declared by the ruleset. The getters also
    record which params hold numbers a reader sees (``numbers``): each of them must cite a source
    or be declared an assumption (``parrules validate --strict``).
    """

    def __init__(
        self,
        data: Mapping[str, Any],
        *,
        code: str,
        max: Decimal,
        floor: Decimal,
        indicators: Mapping[str, Indicator],
        path: str | None = None,
        line: int | None = None,
        values: Collection[str] = (),
    ) -> None:
        self._data = data
        self._values = values
        self._reason: tuple[Text, Text] | None = None
        """The node's own reason template and the rule's default, checked in ``finish``."""
        self.code = code
        self.max = max
        self.floor = floor
        self._indicators = indicators
        self._path = path
        self._line = line
        self._used: set[str] = {"reason"}
        self._numeric: set[str] = set()
        """Params read as numbers (``decimal``, ``fraction``, ``decimals``)."""
        self._not_numbers: set[str] = {"reason"}
        """Params read as an indicator's name or a choice of words, never as a number."""
        self.reads: dict[str, int] = {}
        """Indicators read, each with its direction: +1 more is better, -1 less is better, 0."""
        self.levers: dict[str, int] = {}
        """The indicators a unit can act on to recover points, with their direction; the
        planner searches them (see ``indicator``)."""
        self.relations: list[Relation] = []
        """What holds between the indicators read (``part_of``, ``not_after``, ``same_unit``)."""

    def error(self, key: str | None, message: str, hint: str | None = None) -> RulesetError:
        """An error located at this node's param ``key``, for rules to raise."""
        line = self._line
        lines = getattr(self._data, "lines", None)
        if key is not None and lines:
            line = lines.get(key, line)
        return RulesetError(
            message,
            path=self._path,
            line=line,
            code=self.code,
            field=f"params.{key}" if key else "params",
            hint=hint,
        )

    def has(self, key: str) -> bool:
        return key in self._data

    def raw(self, key: str, default: Any = None) -> Any:
        self._used.add(key)
        return self._data.get(key, default)

    def _required(self, key: str) -> Any:
        self._used.add(key)
        if key not in self._data:
            raise self.error(key, f"the param '{key}' is required")
        return self._data[key]

    def decimal(
        self, key: str, default: Decimal | None = None, *, percent: bool = False
    ) -> Decimal:
        self._numeric.add(key)
        value = self._required(key) if default is None else self.raw(key, default)
        try:
            return parse_decimal(value, percent=percent)
        except ValueError as exc:
            raise self.error(key, str(exc)) from None

    def fraction(self, key: str, default: Decimal | None = None) -> Decimal:
        """A share 0–1, written ``0.5``, ``"0,5"`` or ``"50%"``."""
        value = self.decimal(key, default, percent=True)
        if not 0 <= value <= 1:
            raise self.error(key, f"expected a fraction between 0 and 1 (or 0%–100%), got {value}")
        return value

    def choice(self, key: str, options: Collection[str], default: str | None = None) -> str:
        self._not_numbers.add(key)
        value = self._required(key) if default is None else self.raw(key, default)
        if value not in options:
            raise self.error(
                key,
                f"'{value}' is not one of: {', '.join(options)}",
                close_match(str(value), options),
            )
        return str(value)

    def mapping(self, key: str) -> Mapping[str, Any]:
        value = self._required(key)
        if not isinstance(value, Mapping) or not value:
            raise self.error(key, "expected a non-empty mapping")
        return value

    def decimals(self, key: str, *, percent: bool = False) -> dict[str, Decimal]:
        """A mapping param whose values are numbers, e.g. ``severity: {khien_trach: 0.5}``."""
        self._numeric.add(key)
        result = {}
        for name, raw in self.mapping(key).items():
            try:
                result[str(name)] = parse_decimal(raw, percent=percent)
            except ValueError as exc:
                raise self.error(key, f"'{name}': {exc}") from None
        return result

    def indicator(
        self,
        key: str,
        types: Collection[str],
        *,
        direction: int = 0,
        name: str | None = None,
        lever: bool | None = None,
    ) -> str:
        """The indicator named by param ``key`` (or the given ``name``), checked for its type.

        ``direction`` declares the points monotone in the indicator (+1: never fewer points for
        a higher value; -1: for a lower one). A ``lever`` is a value the unit can act on to
        recover points; by default every monotone indicator is one. A rule says ``lever=False``
        for values that are not the unit's to change (a denominator, last year's value), and
        ``lever=True`` for unordered ones the planner can still search (a choice, dated items).
        """
        if name is None:
            name = self._required(key)
            self._not_numbers.add(key)
        if not isinstance(name, str):
            raise self.error(key, f"expected an indicator name, got {name!r}")
        declared = self._indicators.get(name)
        if declared is None:
            raise self.error(
                key,
                f"indicator '{name}' is not declared in the ruleset's indicators",
                close_match(name, self._indicators),
            )
        if declared.type not in types:
            raise self.error(
                key,
                f"indicator '{name}' is of type {declared.type}; this param needs "
                + " or ".join(sorted(types)),
            )
        self.reads[name] = direction
        if lever if lever is not None else direction != 0:
            self.levers[name] = direction
        return name

    def part_of(self, part: str, whole: str) -> None:
        """Declare that the indicator ``part`` is a part of ``whole`` (dossiers paid online of
        the dossiers received): never above it in a valid unit. The rule still refuses a unit
        where it is (``UnitError``); ``parrules.testing`` draws units that respect it."""
        self._relate("part_of", part, whole)

    def not_after(self, earlier: str, later: str) -> None:
        """Declare that the date (or number) ``earlier`` is never after ``later`` in a valid
        unit (a plan issued before the deadline it is checked against)."""
        self._relate("not_after", earlier, later)

    def same_unit(self, one: str, other: str) -> None:
        """Declare that two indicators the rule compares are the same quantity: of the same
        type (a count may be compared with a number) and, where both declare one, the same
        ``unit``; a ruleset where they are not is refused when it is loaded."""
        self._relate("same_unit", one, other)
        first, second = self._indicators[one], self._indicators[other]
        types = {first.type, second.type}
        if (len(types) > 1 and types != {"count", "number"}) or (
            first.unit and second.unit and first.unit != second.unit
        ):
            raise self.error(
                None,
                f"'{one}' ({first.type}, {first.unit or 'no unit'}) and '{other}' "
                f"({second.type}, {second.unit or 'no unit'}) are compared, so they must be "
                "the same quantity: of the same type and unit",
            )

    def _relate(self, kind: str, left: str, right: str) -> None:
        for name in (left, right):
            if name not in self.reads:
                msg = f"'{name}' is not an indicator this rule read (call p.indicator first)"
                raise ValueError(msg)
        self.relations.append(Relation(kind, left, right))

    def declared(self, name: str) -> Indicator:
        return self._indicators[name]

    def label(self, name: str) -> Text:
        """The indicator's label, for reasons that name what was not done."""
        indicator = self._indicators[name]
        return Text(indicator.label, indicator.label_en or indicator.label)

    def value_label(self, name: str, value: str) -> Text:
        """The words for a choice or a kind of event of an indicator, as the ruleset gives
        them (the value itself where it gives none), for reasons and formulas."""
        return self._indicators[name].value_label(value)

    def reason(self, default: Text) -> Text:
        """The node's own reason template (``params.reason``) or the rule's default. A template
        names values as ``{name}`` (``{name:%}`` for a percentage) and nothing else; the names
        are checked in ``finish``, once every indicator the rule reads is known."""
        custom = self._data.get("reason")
        if custom is None:
            return default
        if isinstance(custom, Mapping) and set(custom) <= {"vi", "en"} and "vi" in custom:
            vi, en = custom["vi"], custom.get("en", custom["vi"])
        else:
            vi = en = custom
        if not (isinstance(vi, str) and vi.strip() and isinstance(en, str) and en.strip()):
            raise self.error("reason", "expected a text or a mapping with 'vi' and 'en'")
        for text in (vi, en):
            try:
                Template.parse(text)
            except TemplateError as exc:
                raise self.error("reason", exc.message, exc.hint) from None
        self._reason = Text(vi, en), default
        return self._reason[0]

    def finish(self) -> None:
        """Refuse params the rule did not read (a misspelt param must not be ignored), and a
        reason template naming a value the rule does not give."""
        for key in self._data:
            if key not in self._used:
                raise self.error(
                    key, f"unknown param '{key}'", close_match(key, self._used - {"reason"})
                )
        if self._reason is not None:
            custom, default = self._reason
            names = {"max", "points", *self._values, *self.reads}
            names.update(parse(default.vi).fields, parse(default.en).fields)
            for text in (custom.vi, custom.en):
                try:
                    parse(text).check(names)
                except TemplateError as exc:
                    raise self.error("reason", exc.message, exc.hint) from None

    @property
    def numbers(self) -> tuple[str, ...]:
        """The params written in the ruleset that hold numbers a reader sees: thresholds, band
        edges and points, targets, weights, severities. A param read as a number is one; a param
        the rule read whole (``raw``, ``mapping``) is one when a number is written in it (band
        tables, ``{indicator: x, gte: "80%"}``); an indicator's name, a choice and a text are
        not."""
        return tuple(
            key
            for key in self._data
            if key in self._numeric
            or (key not in self._not_numbers and _has_number(self._data[key]))
        )


def _has_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | Decimal):
        return True
    if isinstance(value, str):
        try:
            parse_decimal(value, percent=True)
        except ValueError:
            return False
        return True
    if isinstance(value, Mapping):
        return any(_has_number(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_number(v) for v in value)
    return False
