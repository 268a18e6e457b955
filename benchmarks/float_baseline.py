"""The float baseline of the vectorised path: hand-written numpy code for the same ruleset, in
float64, as one writes it without parrules (and as vectorised peers compute).

Constants are read from the ruleset once, as hand-written code has them; the arrays are the same
columns the vectorised path reads, as floats. Every node's points, rounded half-up with
``floor(x × 10^p + 0.5)``. It is fast, and it misplaces values that sit exactly on an edge.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from parrules import Node, Ruleset
from parrules._numbers import parse_decimal
from parrules.vector import Columns

Floats = npt.NDArray[np.float64]
DEFAULT_WEIGHTS = {"A": 1.0, "B": 0.6, "C": 0.2, "D": 0.0}


class FloatInputs:
    """The columns as float64 arrays (made once, before timing)."""

    def __init__(self, columns: Columns, ruleset: Ruleset) -> None:
        self.size = columns.size
        self.values: dict[str, Any] = {}
        for name, indicator in ruleset.indicators.items():
            if name not in columns._data:
                continue
            kind = indicator.type
            if kind in ("count", "number", "ratio"):
                n = columns.numbers(name)
                self.values[name] = n.digits / 10.0**n.scale
            elif kind in ("events", "answers"):
                self.values[name] = {
                    k: numbers.digits / 10.0**numbers.scale
                    for k, (numbers, _) in columns.counts(name).kinds.items()
                }
            elif kind == "items":
                self.values[name] = columns.items(name)
            else:
                self.values[name] = columns._data[name]
        self.points = {
            code: (numbers.digits / 10.0**numbers.scale, given)
            for code, (numbers, given) in columns.points.items()
        }


class FloatBaseline:
    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self.step = 10.0**ruleset.precision
        self.leaves: dict[str, Callable[[FloatInputs], tuple[Floats, Any]]] = {}
        for node in ruleset.leaves:
            if node.rule is not None:
                self.leaves[node.code] = getattr(self, f"_{node.rule}")(node, node.params)

    def round(self, x: Floats) -> Floats:
        return np.floor(x * self.step + 0.5) / self.step

    def score(self, inputs: FloatInputs) -> dict[str, Floats]:
        points: dict[str, Floats] = {}
        not_applicable: dict[str, Any] = {}
        zeros = np.zeros(inputs.size)

        def visit_all(nodes: tuple[Node, ...]) -> Floats:
            for node in nodes:
                visit(node)
            rescaled = [
                n for n in nodes if n.not_applicable == "rescale" and n.code in not_applicable
            ]
            if rescaled:
                achieved, possible = zeros, zeros
                for n in nodes:
                    if n.bonus or n.max <= 0:
                        continue
                    counted = ~not_applicable[n.code] if n.code in not_applicable else True
                    achieved = achieved + np.where(counted, points[n.code], 0.0)
                    possible = possible + np.where(counted, float(n.max), 0.0)
                rate = np.where(
                    possible > 0, np.maximum(achieved, 0) / np.maximum(possible, 1e-300), 1.0
                )
                for n in rescaled:
                    value = np.minimum(float(n.max), self.round(float(n.max) * rate))
                    points[n.code] = np.where(not_applicable[n.code], value, points[n.code])
            total = zeros
            for node in nodes:
                total = total + points[node.code]
            return total

        def visit(node: Node) -> None:
            code = node.code
            given = inputs.points.get(code)
            if node.children:
                value = visit_all(node.children)
            elif node.rule is None:
                value = given[0] if given else zeros
            else:
                value, na = self.leaves[code](inputs)
                value = self.round(value)  # every rule's points, at the ruleset's precision
                if na is not None:
                    not_applicable[code] = na
                    full = float(node.max) if node.not_applicable == "full" else 0.0
                    value = np.where(na, full, value)
            if given is not None and (node.children or node.rule is not None):
                value = np.where(given[1], given[0], value)
            points[code] = value

        points[""] = visit_all(self.ruleset.nodes)
        return points

    # One function per kind of criterion, constants bound.

    def _ratio(self, node: Node, p: Mapping[str, Any]) -> Callable[[FloatInputs], Any]:
        num, den = p["numerator"], p["denominator"]
        maximum = float(node.max)
        target = float(parse_decimal(p.get("target", 1), percent=True))
        policy = p["zero_denominator"]
        on_zero = maximum if policy == "full" else 0.0

        def leaf(x: FloatInputs) -> Any:
            n, d = x.values[num], x.values[den]
            zero = d == 0
            ratio = n / np.where(zero, 1.0, d)
            points = maximum * np.minimum(1.0, ratio / target)
            return np.where(zero, on_zero, points), zero if policy == "not_applicable" else None

        return leaf

    def _bands(self, node: Node, p: Mapping[str, Any]) -> Callable[[FloatInputs], Any]:
        maximum = float(node.max)
        value_name = p.get("value")
        fraction = value_name is None or self.ruleset.indicators[value_name].type == "ratio"
        bands = []
        for raw in p["bands"]:
            lower, upper = raw.get("gte", raw.get("gt")), raw.get("lte", raw.get("lt"))
            points = raw["points"]
            bands.append(
                (
                    None if lower is None else float(parse_decimal(lower, percent=fraction)),
                    "gte" in raw,
                    None if upper is None else float(parse_decimal(upper, percent=fraction)),
                    "lte" in raw,
                    None if points == "proportional" else float(parse_decimal(points)),
                )
            )
        num, den, policy = p.get("numerator"), p.get("denominator"), p.get("zero_denominator")
        on_zero = maximum if policy == "full" else 0.0

        def leaf(x: FloatInputs) -> Any:
            zero = None
            if num is not None:
                d = x.values[den]
                zero = d == 0
                value = x.values[num] / np.where(zero, 1.0, d)
            else:
                value = x.values[value_name]
            conditions, choices = [], []
            for lower, lower_in, upper, upper_in, points in bands:
                inside = np.ones(x.size, dtype=bool)
                if lower is not None:
                    inside &= value >= lower if lower_in else value > lower
                if upper is not None:
                    inside &= value <= upper if upper_in else value < upper
                conditions.append(inside)
                choices.append(np.minimum(maximum, maximum * value) if points is None else points)
            result = np.select(conditions, choices, 0.0)
            if zero is not None:
                result = np.where(zero, on_zero, result)
            return result, zero if policy == "not_applicable" else None

        return leaf

    def _per_event(self, node: Node, p: Mapping[str, Any]) -> Callable[[FloatInputs], Any]:
        name, maximum = p["events"], float(node.max)
        severity = {k: float(parse_decimal(v)) for k, v in p["severity"].items()}
        floor = float(parse_decimal(p.get("floor", node.floor)))

        def leaf(x: FloatInputs) -> Any:
            deduction = 0.0
            for kind, count in x.values[name].items():
                deduction = deduction + severity[kind] * count
            return np.maximum(floor, maximum - deduction), None

        return leaf

    def _check(self, node: Node, p: Mapping[str, Any]) -> Callable[[FloatInputs], Any]:
        key = "all_of" if "all_of" in p else "any_of"
        tests = []
        for entry in p[key]:
            if isinstance(entry, str):
                tests.append((entry, None, None))
                continue
            (op,) = (k for k in entry if k != "indicator")
            name = entry["indicator"]
            fraction = self.ruleset.indicators[name].type == "ratio"
            bound = entry[op]
            other = bound["indicator"] if isinstance(bound, Mapping) else None
            limit = None if other else float(parse_decimal(bound, percent=fraction))
            tests.append((name, op, other or limit))
        maximum = float(node.max)
        otherwise = float(parse_decimal(p.get("otherwise", 0)))
        compare = {"gte": np.greater_equal, "gt": np.greater, "lte": np.less_equal, "lt": np.less}

        def leaf(x: FloatInputs) -> Any:
            met = []
            for name, op, bound in tests:
                if op is None:
                    met.append(x.values[name])
                else:
                    other = x.values[bound] if isinstance(bound, str) else bound
                    met.append(compare[op](x.values[name], other))
            passed = np.logical_and.reduce(met) if key == "all_of" else np.logical_or.reduce(met)
            return np.where(passed, maximum, otherwise), None

        return leaf

    def _choice(self, node: Node, p: Mapping[str, Any]) -> Callable[[FloatInputs], Any]:
        name = p["indicator"]
        choices = self.ruleset.indicators[name].choices
        table = np.array([float(parse_decimal(p["points"][c])) for c in choices])

        def leaf(x: FloatInputs) -> Any:
            return table[x.values[name]], None

        return leaf

    def _deadline(self, node: Node, p: Mapping[str, Any]) -> Callable[[FloatInputs], Any]:
        name, key = p["items"], p.get("date", "sent")
        late = float(parse_decimal(p["late"]))
        missing = float(parse_decimal(p.get("missing", node.max)))
        floor, maximum = float(parse_decimal(p.get("floor", node.floor))), float(node.max)

        def leaf(x: FloatInputs) -> Any:
            items = x.values[name]
            when = items.date(key)
            absent = items.exists & (when < 0)
            overdue = items.exists & (when >= 0) & (when > items.due)
            deduction = late * overdue.sum(axis=0) + missing * absent.sum(axis=0)
            return np.maximum(floor, maximum - deduction), None

        return leaf

    def _trend(self, node: Node, p: Mapping[str, Any]) -> Callable[[FloatInputs], Any]:
        current, previous = p["current"], p["previous"]
        lower = p.get("direction") == "lower_is_better"
        maximum = float(node.max)
        worse_points = maximum - float(parse_decimal(p.get("deduction", node.max)))

        def leaf(x: FloatInputs) -> Any:
            now, before = x.values[current], x.values[previous]
            worse = now > before if lower else now < before
            return np.where(worse, worse_points, maximum), None

        return leaf

    def _survey(self, node: Node, p: Mapping[str, Any]) -> Callable[[FloatInputs], Any]:
        maximum = float(node.max)
        if "points" in p:
            name = p["points"]
            return lambda x: (x.values[name], None)
        name = p["answers"]
        weights = (
            {k: float(parse_decimal(v, percent=True)) for k, v in p["weights"].items()}
            if "weights" in p
            else DEFAULT_WEIGHTS
        )

        def leaf(x: FloatInputs) -> Any:
            total, score = 0.0, 0.0
            for option, share in x.values[name].items():
                total = total + share
                score = score + share * weights[option]
            return maximum * score / total, None

        return leaf
