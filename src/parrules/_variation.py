"""Declared sources of variation (the ``uncertainty:`` block of a ruleset or a unit file).

A source says how one value may differ from the one published: a node's points, or an
indicator, measured by a survey (with its sample size or standard error), known only within a
range, or lying between two stages' values. A ruleset may also name alternative rulesets (other
maxima, weights or band edges, another year's rules). ``parrules.analysis.uncertainty`` draws
from them; nothing here depends on numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Literal

import attrs

from ._model import Indicator, Node
from ._numbers import ONE, ZERO, fmt, parse_decimal
from ._yaml import Located
from .errors import ParRulesError, close_match

Kind = Literal["survey", "range", "between"]
KINDS: tuple[Kind, ...] = ("survey", "range", "between")
STAGE_NAMES = ("self", "appraisal", "final")
NUMERIC = ("count", "number", "ratio")
SOURCE_KEYS = {"node", "indicator", "label", *KINDS}


@attrs.frozen
class Variation:
    """How one value of a unit may differ from the one published.

    Its target is a node's points (``node``) or an indicator (``indicator``); ``kind`` is
    ``survey`` (a sample of ``n`` people, or a standard error ``se`` in the value's units),
    ``range`` (anywhere from ``low`` to ``high``) or ``between`` (anywhere between the values of
    two ``stages``).
    """

    kind: Kind
    node: str | None = None
    indicator: str | None = None
    n: int | None = None
    se: Decimal | None = None
    low: Decimal | None = None
    high: Decimal | None = None
    stages: tuple[str, str] | None = None
    label: str | None = None
    path: str | None = attrs.field(default=None, eq=False)
    line: int | None = attrs.field(default=None, eq=False)

    @property
    def key(self) -> str:
        """What the source varies, the same for every unit: ``node 9``, ``indicator x``."""
        return f"node {self.node}" if self.node is not None else f"indicator {self.indicator}"

    def describe(self, lang: str = "vi", target: str | None = None) -> str:
        """The source as a reader sees it: ``9: khảo sát, n = 300``; ``target`` names what it
        varies (by default the node's code or the indicator's name)."""
        if self.label:
            return self.label
        if target is None:
            target = self.node if self.node is not None else self.indicator
        if self.kind == "survey":
            word = "khảo sát" if lang == "vi" else "survey"
            size = f"n = {self.n}" if self.n is not None else f"se = {fmt(self.se or ZERO, lang)}"
            return f"{target}: {word}, {size}"
        if self.kind == "range":
            low, high = fmt(self.low or ZERO, lang), fmt(self.high or ZERO, lang)
            return f"{target}: {low}–{high}"
        first, second = (_STAGES[s][lang == "en"] for s in self.stages or ())
        word = "giữa" if lang != "en" else "between"
        return (
            f"{target}: {word} {first} và {second}"
            if lang != "en"
            else (f"{target}: {word} {first} and {second}")
        )


_STAGES = {
    "self": ("tự đánh giá", "self-assessment"),
    "appraisal": ("thẩm định", "appraisal"),
    "final": ("điểm cuối cùng", "final"),
}


@attrs.frozen
class Alternative:
    """Another ruleset to score the same units with (other maxima, weights or band edges, or
    another year's rules): its id or path as written, relative to ``base``."""

    ruleset: str
    label: str | None = None
    base: str | None = None

    def describe(self) -> str:
        return self.label or self.ruleset


@attrs.frozen
class Uncertainty:
    """A ruleset's declared sources of variation and alternative rulesets."""

    sources: tuple[Variation, ...] = ()
    alternatives: tuple[Alternative, ...] = ()


Fail = Callable[..., ParRulesError]
"""Makes the error for a bad entry: (the mapping, the key, the message[, a hint])."""


def read_uncertainty(
    raw: Any,
    *,
    nodes: Mapping[str, Node],
    indicators: Mapping[str, Indicator],
    fail: Fail,
    alternatives: bool,
    base: str | None = None,
) -> Uncertainty:
    """The ``uncertainty:`` block: ``sources`` (and, in a ruleset, ``alternatives``)."""
    if raw is None:
        return Uncertainty()
    allowed = {"sources", "alternatives"} if alternatives else {"sources"}
    if not isinstance(raw, Mapping):
        raise fail(raw, None, "'uncertainty' is a mapping with 'sources'")
    for key in raw:
        if key not in allowed:
            hint = "" if alternatives or key != "alternatives" else " (name them in the ruleset)"
            raise fail(raw, key, f"unknown key '{key}' in 'uncertainty'{hint}")
    entries = raw.get("sources") or []
    if not isinstance(entries, list):
        raise fail(raw, "sources", "'sources' is a list of sources")
    sources: list[Variation] = []
    for entry in entries:
        source = _source(entry, nodes, indicators, fail)
        for other in sources:
            if other.key == source.key:
                raise fail(entry, None, f"{source.key} has two sources of variation")
        sources.append(source)
    found = []
    listed = raw.get("alternatives") or []
    if not isinstance(listed, list):
        raise fail(raw, "alternatives", "'alternatives' is a list of ruleset ids or paths")
    for entry in listed:
        if isinstance(entry, str) and entry.strip():
            found.append(Alternative(entry, None, base))
            continue
        if (
            not isinstance(entry, Mapping)
            or not isinstance(entry.get("ruleset"), str)
            or set(entry) - {"ruleset", "label"}
        ):
            raise fail(entry, None, "an alternative is a ruleset id or path, or {ruleset, label}")
        found.append(Alternative(entry["ruleset"], _text(entry, "label", fail), base))
    return Uncertainty(tuple(sources), tuple(found))


def _text(entry: Mapping[str, Any], key: str, fail: Fail) -> str | None:
    value = entry.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise fail(entry, key, f"'{key}' is a text")
    return value


def _number(entry: Any, key: str, value: Any, fail: Fail, percent: bool) -> Decimal:
    try:
        return parse_decimal(value, percent=percent)
    except ValueError as exc:
        raise fail(entry, key, str(exc)) from None


def _source(
    entry: Any, nodes: Mapping[str, Node], indicators: Mapping[str, Indicator], fail: Fail
) -> Variation:
    if not isinstance(entry, Mapping):
        raise fail(entry, None, "a source is a mapping like {node: '9', survey: {n: 300}}")
    for key in entry:
        if key not in SOURCE_KEYS:
            raise fail(entry, key, f"unknown key '{key}'", close_match(str(key), SOURCE_KEYS))
    targets = [k for k in ("node", "indicator") if k in entry]
    kinds = [k for k in KINDS if k in entry]
    if len(targets) != 1:
        raise fail(entry, None, "a source names exactly one 'node' or 'indicator'")
    if len(kinds) != 1:
        raise fail(entry, None, "a source has exactly one of 'survey', 'range', 'between'")
    (target,), (kind,) = targets, kinds
    name = str(entry[target])
    low_bound, high_bound, percent = ZERO, None, False
    indicator_type = None
    if target == "node":
        node = nodes.get(name)
        if node is None:
            raise fail(entry, "node", f"no node '{name}'", close_match(name, nodes))
        low_bound, high_bound = node.floor, node.max
    else:
        declared = indicators.get(name)
        if declared is None:
            raise fail(entry, "indicator", f"no indicator '{name}'", close_match(name, indicators))
        indicator_type = declared.type
        if indicator_type not in NUMERIC:
            msg = f"indicator '{name}' is of type {indicator_type}: only numbers can vary"
            raise fail(entry, "indicator", msg)
        percent = indicator_type == "ratio"
        high_bound = ONE if percent else None
    common: dict[str, Any] = {
        "kind": kind,
        target: name,
        "label": _text(entry, "label", fail),
        "path": getattr(entry, "path", None),
        "line": getattr(entry, "line", None),
    }
    value = entry[kind]
    if kind == "survey":
        if not isinstance(value, Mapping) or len(value) != 1 or not set(value) <= {"n", "se"}:
            raise fail(entry, kind, "a survey gives exactly one of {n: sample size} and {se: …}")
        if "n" in value:
            size = value["n"]
            if isinstance(size, bool) or not isinstance(size, int) or size < 1:
                raise fail(entry, kind, "'n' is the number of people surveyed, a whole number")
            if target == "node" and (high_bound is None or high_bound <= 0 or low_bound < 0):
                raise fail(entry, kind, f"node {name} has no positive max: give 'se'")
            if indicator_type is not None and indicator_type != "ratio":
                msg = f"'n' needs a ratio indicator; '{name}' is a {indicator_type}: give 'se'"
                raise fail(entry, kind, msg)
            return Variation(n=size, **common)
        se = _number(entry, kind, value["se"], fail, False)
        if se <= 0:
            raise fail(entry, kind, "'se' is a standard error above 0")
        return Variation(se=se, **common)
    if kind == "range":
        if not isinstance(value, list) or len(value) != 2:
            raise fail(entry, kind, "a range is [low, high]")
        low, high = (_number(entry, kind, v, fail, percent) for v in value)
        if low > high:
            raise fail(entry, kind, f"the range is empty: {low} > {high}")
        if low < low_bound or (high_bound is not None and high > high_bound):
            limit = f"{low_bound}–{high_bound}" if high_bound is not None else f"≥ {low_bound}"
            raise fail(entry, kind, f"the range {low}–{high} leaves {limit}")
        return Variation(low=low, high=high, **common)
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(v in STAGE_NAMES for v in value)
        or value[0] == value[1]
    ):
        raise fail(entry, kind, "'between' names two different stages: self, appraisal, final")
    return Variation(stages=(value[0], value[1]), **common)


def location(entry: Any, key: str | None) -> int | None:
    """The line of ``key`` in a YAML mapping (or of the mapping)."""
    if isinstance(entry, Located):
        return entry.line_of(key) if key else entry.line
    return None
