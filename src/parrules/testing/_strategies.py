"""Hypothesis strategies for parrules: raw indicator values, unit inputs and whole rulesets.

Values are drawn from what a ruleset declares and from what its rules declare: the relations a
rule declares through ``Params`` hold (a part never exceeds its whole, a date is not after
another, values compared with each other are drawn close together), unless a unit that breaks
one is asked for, to test that it is refused. By convention, the keys of a mapping param
(``severity``, ``weights``…) are the kinds of the events or answers the node reads; an indicator
named by a ``points`` param holds points between 0 and the node's max; and every number written
in the params (band edges, targets) is tried exactly, and just around it.
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from collections.abc import Collection, Iterable, Mapping, Sequence
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

import attrs
import yaml
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from .._model import Indicator, Node, Relation, Ruleset, UnitInputs
from .._numbers import ONE, ZERO, parse_decimal, quantize
from .._plugins import default_registry
from .._units import unit_from_mapping

NUMERIC = ("count", "number", "ratio")
KINDS = {"events": ("a", "b"), "answers": ("A", "B", "C", "D")}
"""Kinds drawn for events and answers when no param of the reading node names them."""
COUNT_LIMIT = 10**6
NUMBER_LIMIT = Decimal(10**4)


@attrs.frozen
class Reader:
    """What a leaf tells the strategies about the indicators it reads."""

    params: Mapping[str, Any]
    max: Decimal
    reads: Collection[str]
    missing: str = "error"
    relations: Collection[Relation] = ()

    @classmethod
    def of(cls, node: Node) -> Reader:
        return cls(node.params, node.full, node.reads, node.missing, node.relations)


@attrs.frozen
class Needs:
    """Constraints between indicators and the values worth trying, derived from the readers."""

    wholes: Mapping[str, frozenset[str]] = attrs.field(factory=dict)
    """part (or earlier date) → the indicators it may not exceed (be after)."""
    kinds: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    upper: Mapping[str, Decimal] = attrs.field(factory=dict)
    edges: tuple[Decimal, ...] = ()
    optional: frozenset[str] = frozenset()
    compared: Mapping[str, frozenset[str]] = attrs.field(factory=dict)
    """name → the indicators a rule compares it with (``same_unit``): drawn close to them."""
    ordered: tuple[Relation, ...] = ()
    """The relations a unit breaks when one that breaks a relation is asked for."""

    @classmethod
    def of(cls, readers: Iterable[Reader], indicators: Mapping[str, Indicator]) -> Needs:
        wholes: dict[str, set[str]] = {}
        compared: dict[str, set[str]] = {}
        ordered: dict[Relation, None] = {}
        kinds: dict[str, set[str]] = {}
        upper: dict[str, Decimal] = {}
        edges: set[Decimal] = set()
        required: set[str] = set()
        readers = list(readers)
        for reader in readers:
            p = reader.params
            for relation in reader.relations:
                left, right = relation.left, relation.right
                if left == right:
                    continue
                if relation.ordered:
                    wholes.setdefault(left, set()).add(right)
                    ordered[relation] = None
                else:
                    compared.setdefault(left, set()).add(right)
                    compared.setdefault(right, set()).add(left)
            named = {str(k) for v in _mappings(p) for k in v}
            for name in reader.reads:
                kind = indicators[name].type if name in indicators else None
                if kind in KINDS and named:
                    kinds[name] = kinds[name] & named if name in kinds else set(named)
            points = p.get("points")
            if isinstance(points, str) and points in reader.reads:
                upper[points] = min(upper.get(points, reader.max), reader.max)
            edges.update(_numbers_in(p))
            if reader.missing == "error":
                required.update(reader.reads)
        read = {name for reader in readers for name in reader.reads}
        return cls(
            wholes={k: frozenset(v) for k, v in wholes.items()},
            kinds={k: tuple(sorted(v)) for k, v in kinds.items()},
            upper=upper,
            edges=tuple(sorted(edges)),
            optional=frozenset(read - required),
            compared={k: frozenset(v) for k, v in compared.items()},
            ordered=tuple(ordered),
        )


def _mappings(params: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    return (v for k, v in params.items() if k != "reason" and isinstance(v, Mapping))


def _numbers_in(value: Any) -> Iterable[Decimal]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key != "reason":
                yield from _numbers_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _numbers_in(item)
    elif isinstance(value, int | Decimal | str) and not isinstance(value, bool):
        try:
            yield parse_decimal(value, percent=True)
        except ValueError:
            return


def _decimals(low: Decimal, high: Decimal, places: int) -> st.SearchStrategy[Decimal]:
    scale = 10**places
    lo, hi = math.ceil(low * scale), math.floor(high * scale)
    return st.integers(lo, hi).map(lambda i: Decimal(i).scaleb(-places))


def _near(
    kind: str, edges: Sequence[Decimal], low: Decimal, high: Decimal, whole: Decimal | None
) -> list[Decimal]:
    """Values at and just around each edge (for a part: around each share of its whole)."""
    step = {"count": ONE, "number": Decimal("0.01"), "ratio": Decimal("0.0001")}[kind]
    found: set[Decimal] = set()
    for edge in edges:
        centres = [edge]
        if whole is not None and ZERO <= edge <= ONE:
            centres.append(edge * whole)
        for centre in centres:
            for value in (centre - step, centre, centre + step):
                value = Decimal(math.floor(value)) if kind == "count" else quantize(value, 4)
                if low <= value <= high:
                    found.add(value)
    return sorted(found)


def numbers(
    kind: str,
    *,
    low: Decimal = ZERO,
    high: Decimal | None = None,
    edges: Sequence[Decimal] = (),
    whole: Decimal | None = None,
) -> st.SearchStrategy[Decimal]:
    """Values of a ``count``, ``number`` or ``ratio`` indicator between ``low`` and ``high``,
    trying each edge exactly and one step either side."""
    if kind not in NUMERIC:
        raise InvalidArgument(f"kind={kind!r} is not one of {', '.join(NUMERIC)}")
    limit = {"count": Decimal(COUNT_LIMIT), "number": NUMBER_LIMIT, "ratio": ONE}[kind]
    high = limit if high is None else min(high, limit)
    if kind == "count":
        low, high = Decimal(math.ceil(low)), Decimal(math.floor(high))
    if high < low:
        raise InvalidArgument(f"no {kind} lies between {low} and {high}")
    places = {"count": 0, "number": 2, "ratio": 4}[kind]
    small = _decimals(low, min(high, low + 20), places)
    spread = _decimals(low, high, places)
    near = _near(kind, edges, low, high, whole)
    denominators = []
    if kind == "count":
        # multiples of the edges' denominators, so that a part can land exactly on an edge
        for edge in edges:
            ratio = edge.as_integer_ratio()[1]
            denominators += [Decimal(ratio * k) for k in (1, 2, 3) if low <= ratio * k <= high]
    choices = sorted(set(near + denominators))
    if choices:
        return st.one_of(st.sampled_from(choices), small, spread)
    return st.one_of(small, spread)


FIRST_DATE, LAST_DATE = dt.date(2000, 1, 1), dt.date(2099, 12, 31)


def _dates(low: dt.date = FIRST_DATE, high: dt.date = LAST_DATE) -> st.SearchStrategy[dt.date]:
    return st.dates(max(low, FIRST_DATE), min(high, LAST_DATE))


@st.composite
def _items(draw: st.DrawFn) -> list[dict[str, Any]]:
    result = []
    for i in range(draw(st.integers(0, 4))):
        due = draw(_dates())
        item: dict[str, Any] = {"name": f"Báo cáo {i + 1}", "due": due}
        offset = draw(st.none() | st.integers(-10, 5))
        dated = None if offset is None else due + dt.timedelta(offset)
        if dated is not None:
            item["dated"] = dated
        offset = draw(st.none() | st.integers(-10, 10))
        sent = None if offset is None else due + dt.timedelta(offset)
        if sent is not None:
            item["sent"] = sent if dated is None else max(sent, dated)
            received = draw(st.none() | st.integers(0, 5))
            if received is not None:
                item["received"] = item["sent"] + dt.timedelta(received)
        result.append(item)
    return result


def values(
    indicator: Indicator,
    *,
    kinds: Sequence[str] | None = None,
    low: Any = None,
    high: Any = None,
    edges: Sequence[Decimal] = (),
    whole: Decimal | None = None,
) -> st.SearchStrategy[Any]:
    """Raw values for one declared indicator, as a unit file would give them.

    ``kinds`` are the event kinds or answer options to draw from; ``low``, ``high``, ``edges``
    and ``whole`` bound and steer numbers (see ``numbers``); ``low`` and ``high`` bound dates.
    """
    kind = indicator.type
    if kind in NUMERIC:
        return numbers(kind, low=ZERO if low is None else low, high=high, edges=edges, whole=whole)
    if kind == "bool":
        return st.booleans()
    if kind == "date":
        return _dates(low or FIRST_DATE, high or LAST_DATE)
    if kind == "choice":
        return st.sampled_from(indicator.choices)
    if kind == "text":
        return st.text(max_size=20)
    if kind == "items":
        return _items()
    if kind == "events":
        options = KINDS["events"] if kinds is None else tuple(kinds)
        if not options:
            return st.just({})
        return st.dictionaries(st.sampled_from(options), st.integers(0, 3).map(Decimal))
    if kind == "answers":
        options = tuple(kinds or KINDS["answers"])
        shares = st.integers(0, 100).map(Decimal)
        return st.dictionaries(st.sampled_from(options), shares, min_size=1).filter(
            lambda answers: sum(answers.values()) > 0
        )
    raise InvalidArgument(f"no strategy for indicator type {kind!r}")


def _order(names: Iterable[str], needs: Needs, broken: Relation | None = None) -> list[str]:
    """Wholes before their parts, so that a part is drawn below the whole already drawn (or, for
    the ``broken`` relation, above it); values compared with each other one after the other."""
    pending = sorted(set(names))
    ordered: list[str] = []

    def above(name: str) -> set[str]:
        found = set(needs.wholes.get(name, frozenset()))
        if broken is not None and name == broken.left:
            found.add(broken.right)
        return found

    while pending:
        ready = [n for n in pending if not (above(n) & set(pending))]
        batch = ready or pending[:1]  # a cycle: draw one and let the rule reject what breaks
        ordered += batch
        pending = [n for n in pending if n not in batch]
    return ordered


def bounds(
    name: str,
    current: Mapping[str, Any],
    needs: Needs,
    indicators: Mapping[str, Indicator],
    *,
    broken: Relation | None = None,
) -> dict[str, Any]:
    """Keyword arguments for ``values``: the bounds of ``name`` given the other values; with
    ``broken``, the bounds that break that relation (``name`` above the value it may not
    exceed, or that value low enough to leave room above it)."""
    indicator = indicators[name]
    found: dict[str, Any] = {"edges": needs.edges}
    if indicator.type in KINDS:
        found["kinds"] = needs.kinds.get(name)
        return found
    if indicator.type not in (*NUMERIC, "date"):
        return found
    if broken is not None and name == broken.left:
        found["low"] = _step(current[broken.right], indicator.type, 1)
        return found
    kind = Decimal if indicator.type in NUMERIC else dt.date
    compared = [
        current[o] for o in needs.compared.get(name, ()) if isinstance(current.get(o), kind)
    ]
    if kind is Decimal:
        found["edges"] = (*needs.edges, *compared)
    wholes = [current[w] for w in needs.wholes.get(name, ()) if isinstance(current.get(w), kind)]
    parts = [
        current[p]
        for p, ws in needs.wholes.items()
        if name in ws and isinstance(current.get(p), kind)
    ]
    high = min([*wholes, needs.upper[name]] if name in needs.upper else wholes, default=None)
    if broken is not None and name == broken.right:  # leave room for a value above it
        room = _step(LAST_DATE if kind is dt.date else _LIMITS[indicator.type], indicator.type, -1)
        high = room if high is None else min(high, room)
    if high is not None:
        found["high"] = high
    if wholes and kind is Decimal:
        found["whole"] = min(wholes)
    if parts:
        found["low"] = max(parts)
    return found


_LIMITS = {"count": Decimal(COUNT_LIMIT), "number": NUMBER_LIMIT, "ratio": ONE}
_STEPS = {"count": ONE, "number": Decimal("0.01"), "ratio": Decimal("0.0001")}


def _step(value: Any, kind: str, steps: int) -> Any:
    """The value ``steps`` of the smallest steps of this kind away."""
    if kind == "date":
        return value + dt.timedelta(steps)
    return value + steps * _STEPS[kind]


@st.composite
def indicator_values(
    draw: st.DrawFn,
    indicators: Mapping[str, Indicator],
    needs: Needs,
    names: Iterable[str],
    *,
    omit: bool = False,
    broken: Relation | None = None,
) -> dict[str, Any]:
    """Values for ``names`` that respect ``needs``; with ``omit``, optional ones may be left
    out; with ``broken``, that relation (both of its indicators among ``names``) is broken."""
    result: dict[str, Any] = {}
    for name in _order(names, needs, broken):
        kept = broken is not None and name in (broken.left, broken.right)
        if omit and not kept and name in needs.optional and draw(st.integers(0, 9)) == 0:
            continue
        found = bounds(name, result, needs, indicators, broken=broken)
        result[name] = draw(values(indicators[name], **found))
    return result


def _groups(names: Iterable[str], needs: Needs) -> list[set[str]]:
    """Indicators tied by part/whole constraints: they change together."""
    groups: list[set[str]] = []
    for name in sorted(names):
        linked = (
            {name}
            | set(needs.wholes.get(name, ()))
            | {p for p, ws in needs.wholes.items() if name in ws}
        )
        touching = [g for g in groups if g & linked]
        for g in touching:
            groups.remove(g)
            linked |= g
        groups.append(linked)
    return groups


def _points(node: Node, precision: int) -> st.SearchStrategy[Any]:
    top = node.floor + 100 if node.max is None else node.max  # none published: any points
    scored = _decimals(node.floor, top, min(precision, 2)) | st.just(top)

    def entry(points: Decimal) -> Any:
        if node.max is None or points >= node.max:
            return points
        return {"points": points, "reason": f"Chưa đạt tiêu chí {node.code}"}

    return scored.map(entry)


def needs_of(ruleset: Ruleset) -> Needs:
    """What the rules of ``ruleset`` need of the values drawn for it."""
    readers = (Reader.of(n) for n in ruleset.leaves if n.evaluate is not None)
    return Needs.of(readers, ruleset.indicators)


@st.composite
def _units(draw: st.DrawFn, ruleset: Ruleset, needs: Needs, invalid: bool) -> UnitInputs:
    leaves = ruleset.leaves
    declared = ruleset.indicators
    broken = draw(st.sampled_from(needs.ordered), label="relation broken") if invalid else None
    body: dict[str, Any] = {"unit": "Đơn vị thử nghiệm"}
    body["indicators"] = draw(indicator_values(declared, needs, declared, omit=True, broken=broken))
    body["points"] = {
        n.code: draw(_points(n, ruleset.precision)) for n in leaves if n.evaluate is None
    }
    if not invalid and draw(st.booleans()):
        groups = _groups(body["indicators"], needs) or [set()]
        changed = draw(st.lists(st.sampled_from(groups), unique_by=lambda g: tuple(sorted(g))))
        names = set().union(*changed)
        # the appraisal may score computed leaves, or a whole node without its sub-criteria
        scorable = [n for n in ruleset.flat if n.evaluate is not None or n.children]
        chosen = draw(st.lists(st.sampled_from(scorable), unique=True)) if scorable else []
        appraised = [n for n in chosen if not any(n.code.startswith(o.code + ".") for o in chosen)]
        body["stages"] = {
            "appraisal": {
                "indicators": draw(indicator_values(declared, needs, names)),
                "points": {n.code: draw(_points(n, ruleset.precision)) for n in appraised},
            },
            "final": {},
        }
    return unit_from_mapping(body, ruleset)


def units(ruleset: Ruleset, *, invalid: bool = False) -> st.SearchStrategy[UnitInputs]:
    """Valid inputs of one unit for ``ruleset``: every declared indicator (optional ones
    sometimes left out) within the relations its rules declare, points for every appraised leaf,
    and sometimes an ``appraisal`` stage that changes some indicators and appraises some
    computed leaves.

    With ``invalid=True``, units that break one relation a rule declares (a part above its
    whole, a date after the one it may not follow) and are otherwise valid: scoring one must be
    refused with a ``UnitError``."""
    if not isinstance(ruleset, Ruleset):
        raise InvalidArgument(f"ruleset={ruleset!r} is not a parrules.Ruleset")
    needs = needs_of(ruleset)
    if invalid and not needs.ordered:
        raise InvalidArgument(
            f"no rule of ruleset '{ruleset.id}' declares a relation a unit could break "
            "(Params.part_of or not_after)"
        )
    return _units(ruleset, needs, invalid)


# Random rulesets, built from the built-in rules with params drawn to be valid.

_MAXIMA = [Decimal(x) for x in ("0.25", "0.5", "1", "1.5", "2", "3", "10")]


def _indicator(kind: str, **extra: Any) -> dict[str, Any]:
    return {"label": f"Chỉ tiêu kiểu {kind}", "type": kind, **extra}


def _ascending(draw: st.DrawFn, count: int, low: Decimal, high: Decimal) -> list[Decimal]:
    """``count`` points from low to high, not decreasing, the last one ``high``."""
    drawn = sorted(draw(st.lists(_decimals(low, high, 2), min_size=count, max_size=count)))
    return [*drawn[:-1], high] if drawn else []


@st.composite
def _ratio(draw: st.DrawFn, maximum: Decimal) -> tuple[dict[str, Any], dict[str, Any]]:
    kind = draw(st.sampled_from(["count", "number"]))
    params: dict[str, Any] = {
        "numerator": "tu_so",
        "denominator": "mau_so",
        "zero_denominator": draw(st.sampled_from(["full", "zero", "not_applicable"])),
    }
    if draw(st.booleans()):
        target = draw(_decimals(Decimal("0.01"), ONE, 2))
        params["target"] = f"{target * 100:f}%" if draw(st.booleans()) else target
    return params, {"tu_so": _indicator(kind), "mau_so": _indicator(kind)}


@st.composite
def _bands(draw: st.DrawFn, maximum: Decimal) -> tuple[dict[str, Any], dict[str, Any]]:
    form = draw(st.sampled_from(["ratio", "value-ratio", "value-count", "value-number"]))
    fraction = form in ("ratio", "value-ratio")
    indicators: dict[str, Any]
    params: dict[str, Any]
    if form == "ratio":
        params = {"numerator": "tu_so", "denominator": "mau_so"}
        kind = draw(st.sampled_from(["count", "number"]))
        indicators = {"tu_so": _indicator(kind), "mau_so": _indicator(kind)}
    else:
        params = {"value": "gia_tri"}
        indicators = {"gia_tri": _indicator(form.removeprefix("value-"))}
    edge_values = {
        True: _decimals(Decimal("0.01"), Decimal("0.99"), 2),
        False: _decimals(ONE, Decimal(50), 0 if form == "value-count" else 1),
    }[fraction]
    edges = sorted(set(draw(st.lists(edge_values, min_size=1, max_size=3))))
    lower_is_better = draw(st.booleans())
    points: list[Any] = _ascending(draw, len(edges) + 1, ZERO, maximum)
    if fraction and not lower_is_better and draw(st.integers(0, 3)) == 0:
        # the top band scores max × value; the bands below may not give more than its start
        cap = (maximum * edges[-1]).quantize(Decimal("0.01"), rounding=ROUND_FLOOR)
        points = [min(p, cap) for p in points]
        points[-1] = "proportional"
    if lower_is_better:
        points.reverse()
        params["direction"] = "lower_is_better"
    if form == "ratio":
        policies = ["full", "zero", "not_applicable"]
        policy = draw(st.sampled_from(policies))
        if policy == "zero" and not lower_is_better and points[0] != 0:
            policy = "full"  # else a unit with no case would score less than one that failed
        params["zero_denominator"] = policy
    bands: list[dict[str, Any]] = []
    upper_inclusive = [draw(st.booleans()) for _ in edges]
    for i, band_points in enumerate(points):
        band: dict[str, Any] = {}
        if i > 0:
            edge = edges[i - 1]
            band["gt" if upper_inclusive[i - 1] else "gte"] = _edge(draw, edge, fraction)
        if i < len(edges):
            band["lte" if upper_inclusive[i] else "lt"] = _edge(draw, edges[i], fraction)
        band["points"] = band_points
        bands.append(band)
    params["bands"] = draw(st.permutations(bands))
    return params, indicators


def _edge(draw: st.DrawFn, edge: Decimal, fraction: bool) -> Any:
    if fraction and draw(st.booleans()):
        return f"{(edge * 100).normalize():f}%"
    return edge


_KINDS = ("khien_trach", "canh_cao", "cach_chuc", "buoc_thoi_viec")


@st.composite
def _per_event(
    draw: st.DrawFn, maximum: Decimal, floor: Decimal
) -> tuple[dict[str, Any], dict[str, Any]]:
    kinds = draw(st.lists(st.sampled_from(_KINDS), min_size=1, max_size=3, unique=True))
    severity = {k: draw(_decimals(ZERO, maximum, 2)) for k in kinds}
    severity[kinds[0]] = draw(_decimals(Decimal("0.01"), maximum, 2))
    params: dict[str, Any] = {"events": "ky_luat", "severity": severity}
    if floor < 0 and draw(st.booleans()):
        params["floor"] = draw(_decimals(floor, ZERO, 2))
    return params, {"ky_luat": _indicator("events")}


@st.composite
def _check(draw: st.DrawFn, maximum: Decimal) -> tuple[dict[str, Any], dict[str, Any]]:
    conditions: list[Any] = []
    indicators: dict[str, Any] = {}
    for i in range(draw(st.integers(1, 3))):
        name = f"dieu_kien_{i}"
        kind = draw(st.sampled_from(["bool", "bool", *NUMERIC]))
        indicators[name] = _indicator(kind)
        if kind == "bool":
            conditions.append(name)
            continue
        operator = draw(st.sampled_from(["gte", "gt", "lte", "lt"]))
        if draw(st.booleans()):  # with another indicator of the same kind (a quota, a plan)
            indicators[f"{name}_muc"] = _indicator(kind)
            conditions.append({"indicator": name, operator: {"indicator": f"{name}_muc"}})
            continue
        high = {"count": Decimal(20), "number": Decimal(50), "ratio": ONE}[kind]
        bound = draw(_decimals(ZERO, high, 0 if kind == "count" else 2))
        conditions.append({"indicator": name, operator: bound})
    params: dict[str, Any] = {draw(st.sampled_from(["all_of", "any_of"])): conditions}
    if draw(st.booleans()):
        params["otherwise"] = draw(_decimals(ZERO, maximum - Decimal("0.01"), 2))
    return params, indicators


@st.composite
def _choice(draw: st.DrawFn, maximum: Decimal) -> tuple[dict[str, Any], dict[str, Any]]:
    count = draw(st.integers(2, 4))
    choices = [f"muc_{i}" for i in range(count)]
    table = {c: draw(_decimals(ZERO, maximum, 2)) for c in choices}
    table[draw(st.sampled_from(choices))] = maximum
    params = {"indicator": "muc_do", "points": table}
    return params, {"muc_do": _indicator("choice", choices=choices)}


@st.composite
def _deadline(
    draw: st.DrawFn, maximum: Decimal, floor: Decimal
) -> tuple[dict[str, Any], dict[str, Any]]:
    late = draw(_decimals(ZERO, maximum, 2))
    params: dict[str, Any] = {"items": "bao_cao", "late": late}
    if draw(st.booleans()):
        params["date"] = draw(st.sampled_from(["sent", "received"]))
    if draw(st.booleans()):
        params["missing"] = draw(_decimals(late, max(late, maximum), 2))
    if floor < 0 and draw(st.booleans()):
        params["floor"] = draw(_decimals(floor, ZERO, 2))
    return params, {"bao_cao": _indicator("items")}


@st.composite
def _trend(
    draw: st.DrawFn, maximum: Decimal, floor: Decimal
) -> tuple[dict[str, Any], dict[str, Any]]:
    kind = draw(st.sampled_from(NUMERIC))
    params: dict[str, Any] = {"current": "nam_nay", "previous": "nam_truoc"}
    if draw(st.booleans()):
        params["direction"] = draw(st.sampled_from(["higher_is_better", "lower_is_better"]))
    if draw(st.booleans()) and maximum - floor > 0:
        params["deduction"] = draw(_decimals(Decimal("0.01"), maximum - floor, 2))
    return params, {"nam_nay": _indicator(kind), "nam_truoc": _indicator(kind)}


@st.composite
def _survey(draw: st.DrawFn, maximum: Decimal) -> tuple[dict[str, Any], dict[str, Any]]:
    if draw(st.booleans()):
        return {"points": "diem_dieu_tra"}, {"diem_dieu_tra": _indicator("number")}
    params: dict[str, Any] = {"answers": "phieu"}
    if draw(st.booleans()):
        options = ["A", "B", "C", "D"][: draw(st.integers(2, 4))]
        weights = {o: draw(_decimals(ZERO, ONE, 2)) for o in options}
        weights[options[0]] = ONE
        params["weights"] = weights
    return params, {"phieu": _indicator("answers")}


def _configs(
    rule: str, maximum: Decimal, floor: Decimal
) -> st.SearchStrategy[tuple[dict[str, Any], dict[str, Any]]]:
    """Valid (params, indicator declarations) for a built-in rule in a node of this max."""
    return {
        "ratio": lambda: _ratio(maximum),
        "bands": lambda: _bands(maximum),
        "per_event": lambda: _per_event(maximum, floor),
        "check": lambda: _check(maximum),
        "choice": lambda: _choice(maximum),
        "deadline": lambda: _deadline(maximum, floor),
        "trend": lambda: _trend(maximum, floor),
        "survey": lambda: _survey(maximum),
    }[rule]()


GENERATED = ("ratio", "bands", "per_event", "check", "choice", "deadline", "trend", "survey")
"""The built-in rules whose params the strategies know how to draw."""
NEGATIVE_FLOOR = ("per_event", "deadline", "appraised")


@st.composite
def leaves(draw: st.DrawFn, rule: str) -> dict[str, Any]:
    """One leaf node, as written in a ruleset, using a built-in rule with valid params; its
    indicator declarations are under the extra key ``indicators``."""
    maximum = draw(st.sampled_from(_MAXIMA))
    floor = ZERO
    if rule in NEGATIVE_FLOOR and draw(st.integers(0, 3)) == 0:
        floor = -draw(st.sampled_from([Decimal(1), Decimal(2), maximum]))
    node: dict[str, Any] = {"max": maximum}
    if floor:
        node["floor"] = floor
    if rule != "appraised":
        params, indicators = draw(_configs(rule, maximum, floor))
        node.update(rule=rule, params=params, indicators=indicators)
        if draw(st.integers(0, 4)) == 0:
            node["missing"] = draw(st.sampled_from(["zero", "full", "not_applicable"]))
            node["not_applicable"] = draw(st.sampled_from(["full", "zero", "rescale"]))
    return node


def _rename(node: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Give a leaf's indicators names of their own within a ruleset."""
    names = node.get("indicators", {})

    def swap(value: Any) -> Any:
        if isinstance(value, str) and value in names:
            return prefix + value
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, Mapping) and "indicator" in value:
            return {k: swap(v) if k == "indicator" else swap_bound(v) for k, v in value.items()}
        return value

    def swap_bound(value: Any) -> Any:  # {indicator: x, lte: {indicator: y}}
        if isinstance(value, Mapping) and set(value) == {"indicator"}:
            return {"indicator": swap(value["indicator"])}
        return value

    renamed = dict(node)
    if "params" in node:
        renamed["params"] = {k: swap(v) for k, v in node["params"].items()}
        renamed["indicators"] = {prefix + k: v for k, v in names.items()}
    return renamed


@st.composite
def _tree(
    draw: st.DrawFn, code: str, depth: int, rules: Sequence[str], counter: list[int]
) -> dict[str, Any]:
    title = f"Tiêu chí {code}"
    if depth >= 3 or draw(st.integers(0, 2)) == 0:
        counter[0] += 1
        leaf = _rename(draw(leaves(draw(st.sampled_from(rules)))), f"l{counter[0]}_")
        return {"code": code, "title": title, **leaf}
    children = [
        draw(_tree(f"{code}.{i}", depth + 1, rules, counter))
        for i in range(1, draw(st.integers(1, 3)) + 1)
    ]
    if draw(st.integers(0, 5)) == 0:
        counter[0] += 1
        bonus = _rename(draw(leaves("appraised")), f"l{counter[0]}_")
        children.append(
            {"code": f"{code}.{len(children) + 1}", "title": "Điểm thưởng", **bonus, "bonus": True}
        )
    total = sum((c["max"] for c in children if not c.get("bonus")), ZERO)
    return {"code": code, "title": title, "max": total, "children": children}


def _pull_indicators(node: dict[str, Any], into: dict[str, Any]) -> dict[str, Any]:
    into.update(node.pop("indicators", {}))
    for child in node.get("children", []):
        _pull_indicators(child, into)
    return node


def _plain(value: Any) -> Any:
    """YAML-ready: decimals written as their text (the loader reads them back exactly)."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@st.composite
def ruleset_mappings(
    draw: st.DrawFn, *, rules: Sequence[str] = (*GENERATED, "appraised")
) -> dict[str, Any]:
    """A valid ruleset, as the mapping a YAML file would hold."""
    counter = [0]
    fields = [draw(_tree(str(i), 1, rules, counter)) for i in range(1, draw(st.integers(1, 4)) + 1)]
    indicators: dict[str, Any] = {}
    for node in fields:
        _pull_indicators(node, indicators)
    maximum = sum((f["max"] for f in fields if not f.get("bonus")), ZERO)
    steps = sorted(set(draw(st.lists(_decimals(ZERO, maximum, 0), min_size=1, max_size=4))))
    classification = [
        {"label": f"Loại {i + 1}", "label_en": f"Class {i + 1}", "min": m}
        for i, m in enumerate(reversed(steps))
    ]
    data: dict[str, Any] = _plain(
        {
            "id": "thu-nghiem/ngau-nhien/2023",
            "title": "Bộ chỉ số ngẫu nhiên",
            "jurisdiction": "Thử nghiệm",
            "level": "commune",
            "year": 2023,
            "legal": "Quyết định thử nghiệm",
            "max": maximum,
            "precision": draw(st.sampled_from([2, 4])),
            "ranking": draw(st.sampled_from(["competition", "dense"])),
            "classification": classification,
            "indicators": indicators,
            "nodes": fields,
        }
    )
    return data


def load_mapping(data: Mapping[str, Any]) -> Ruleset:
    """Load a ruleset mapping through the real loader (written to a file and read back)."""
    from .._ruleset import _load

    with tempfile.TemporaryDirectory(prefix="parrules-") as directory:
        path = Path(directory) / "ruleset.yaml"
        path.write_text(yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False), "utf-8")
        return _load(path, default_registry())


def rulesets(*, rules: Sequence[str] | None = None) -> st.SearchStrategy[Ruleset]:
    """Random valid rulesets (up to four fields, three levels deep) built from the built-in
    rules, loaded through the real loader. ``rules`` limits the rules used (default: all
    built-in rules, ``appraised`` included)."""
    chosen = tuple(rules) if rules is not None else (*GENERATED, "appraised")
    unknown = [r for r in chosen if r not in (*GENERATED, "appraised")]
    if unknown or not chosen:
        raise InvalidArgument(
            f"rules={rules!r}: can draw params only for {', '.join((*GENERATED, 'appraised'))}"
        )
    return ruleset_mappings(rules=chosen).map(load_mapping)
