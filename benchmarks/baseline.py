"""The baseline: straightforward hand-written Python for the same ruleset, as one would write it
without parrules. ``Decimal`` arithmetic, the same rounding, and for every leaf the same
explanation data the engine keeps (reason template, formula, values, inputs) as plain dicts.

Constants are read from the ruleset once, as a hand-written scorer would have them in its code;
the scoring itself is plain loops and dicts, and the garbage collector is left as Python sets it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from parrules import Node, Ruleset, Text, UnitInputs
from parrules._numbers import parse_decimal

ZERO, ONE = Decimal(0), Decimal(1)
Leaf = Callable[[Mapping[str, Any]], dict[str, Any]]

RATIO_REASON = Text("Tỷ lệ {numerator}/{denominator} = {ratio:%}, chưa đạt mức {target:%}", "…")
NO_CASE = Text("Không phát sinh trường hợp nào ({denominator_name} = 0)", "…")
BAND_REASON = Text("Giá trị {value} thuộc khoảng {band}", "…")
EVENTS_REASON = Text("Trừ {deduction} điểm do: {events}", "…")
CHECK_REASON = Text("Chưa thực hiện: {failed}", "…")
CHOICE_REASON = Text("Mức đạt: {choice}", "…")
LATE = Text("Gửi muộn: {late_items}; không gửi: {missing_items}", "…")
TREND_REASON = Text("Năm nay {current}, kém năm trước ({previous})", "…")
SURVEY_REASON = Text("Điểm điều tra xã hội học: {score}", "…")


class Baseline:
    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self.step = Decimal(1).scaleb(-ruleset.precision)
        self.leaves: dict[str, Leaf] = {}
        for node in ruleset.leaves:
            if node.rule is not None:
                self.leaves[node.code] = getattr(self, f"_{node.rule}")(node, node.params)

    def score(self, unit: UnitInputs) -> dict[str, Any]:
        return {"unit": unit.unit, "stages": [self._stage(stage) for stage in unit.stages]}

    def _stage(self, stage: Any) -> dict[str, Any]:
        values, appraisals = stage.indicators, stage.points
        results: dict[str, dict[str, Any]] = {}

        def visit_all(nodes: tuple[Node, ...]) -> Decimal:
            total = ZERO
            for node in nodes:
                total += visit(node)
            rescaled = [
                n
                for n in nodes
                if n.not_applicable == "rescale" and results[n.code].get("not_applicable")
            ]
            if rescaled:
                applicable = [n for n in nodes if not results[n.code].get("not_applicable")]
                achieved = sum((results[n.code]["points"] for n in applicable), ZERO)
                possible = sum((n.max for n in applicable if not n.bonus), ZERO)
                rate = achieved / possible if possible else ONE
                for n in rescaled:
                    points = min(n.max, (n.max * rate).quantize(self.step, ROUND_HALF_UP))
                    results[n.code]["points"] = points
                    results[n.code]["values"]["rate"] = rate
                    total += points
            return total

        def visit(node: Node) -> Decimal:
            if node.children:
                points = visit_all(node.children)
                results[node.code] = {"code": node.code, "max": node.max, "points": points}
                return points
            appraisal = appraisals.get(node.code)
            if appraisal is not None:
                results[node.code] = {
                    "code": node.code,
                    "max": node.max,
                    "points": appraisal.points,
                    "reason": appraisal.reason,
                    "by": appraisal.by,
                    "date": appraisal.date,
                    "evidence": appraisal.evidence,
                }
                return appraisal.points
            result = self.leaves[node.code](values)
            if result.pop("not_applicable", False):
                result["not_applicable"] = True
                result["points"] = node.max if node.not_applicable == "full" else ZERO
            else:
                result["points"] = result["points"].quantize(self.step, ROUND_HALF_UP)
            result["code"], result["max"] = node.code, node.max
            results[node.code] = result
            return result["points"]

        total = visit_all(self.ruleset.nodes)
        band = None
        for b in self.ruleset.classification:
            if total >= b.min:
                band = b.label
                break
        return {
            "stage": stage.name,
            "total": total,
            "classification": band,
            "nodes": [results[n.code] for n in self.ruleset.flat],
        }

    # One function per kind of criterion, with its constants bound.

    def _ratio(self, node: Node, p: Mapping[str, Any]) -> Leaf:
        num, den, maximum = p["numerator"], p["denominator"], node.max
        target = parse_decimal(p.get("target", 1), percent=True)
        policy = p["zero_denominator"]
        formula = "{numerator}/{denominator} = {ratio:%} × {max} = {points}"

        def leaf(values: Mapping[str, Any]) -> dict[str, Any]:
            n, d = values[num], values[den]
            if n < 0 or d < 0 or n > d:
                raise ValueError(num)
            inputs = {num: n, den: d}
            if d == 0:
                return {
                    "points": maximum if policy == "full" else ZERO,
                    "reason": None if policy == "full" else NO_CASE,
                    "formula": None,
                    "values": {"denominator_name": den},
                    "inputs": inputs,
                    "not_applicable": policy == "not_applicable",
                }
            ratio = n / d
            points = maximum * min(ONE, ratio / target)
            return {
                "points": points,
                "reason": RATIO_REASON if points < maximum else None,
                "formula": formula,
                "values": {"numerator": n, "denominator": d, "ratio": ratio, "target": target},
                "inputs": inputs,
            }

        return leaf

    def _bands(self, node: Node, p: Mapping[str, Any]) -> Leaf:
        maximum = node.max
        value_name = p.get("value")
        fraction = value_name is None or self.ruleset.indicators[value_name].type == "ratio"
        bands = []
        for raw in p["bands"]:
            lower = raw.get("gte", raw.get("gt"))
            upper = raw.get("lte", raw.get("lt"))
            points = raw["points"]
            bands.append(
                (
                    None if lower is None else parse_decimal(lower, percent=fraction),
                    "gte" in raw,
                    None if upper is None else parse_decimal(upper, percent=fraction),
                    "lte" in raw,
                    None if points == "proportional" else parse_decimal(points),
                    f"{lower}..{upper}",
                )
            )
        num, den, policy = p.get("numerator"), p.get("denominator"), p.get("zero_denominator")

        def leaf(values: Mapping[str, Any]) -> dict[str, Any]:
            extra: dict[str, Any] = {}
            if num is not None:
                n, d = values[num], values[den]
                if n < 0 or d < 0 or n > d:
                    raise ValueError(num)
                inputs = {num: n, den: d}
                if d == 0:
                    return {
                        "points": maximum if policy == "full" else ZERO,
                        "reason": None if policy == "full" else NO_CASE,
                        "formula": None,
                        "values": {"denominator_name": den},
                        "inputs": inputs,
                        "not_applicable": policy == "not_applicable",
                    }
                value = n / d
                extra = {"numerator": n, "denominator": d}
            else:
                value = values[value_name]
                inputs = {value_name: value}
            for lower, lower_in, upper, upper_in, points, label in bands:
                if lower is not None and (value < lower or (value == lower and not lower_in)):
                    continue
                if upper is not None and (value > upper or (value == upper and not upper_in)):
                    continue
                if points is None:
                    points = min(maximum, maximum * value)
                return {
                    "points": points,
                    "reason": BAND_REASON if points < maximum else None,
                    "formula": "{value} → {band} → {points}",
                    "values": {"value": value, "band": label, **extra},
                    "inputs": inputs,
                }
            raise ValueError(value)

        return leaf

    def _per_event(self, node: Node, p: Mapping[str, Any]) -> Leaf:
        name, maximum = p["events"], node.max
        severity = {k: parse_decimal(v) for k, v in p["severity"].items()}
        floor = parse_decimal(p.get("floor", node.floor))

        def leaf(values: Mapping[str, Any]) -> dict[str, Any]:
            happened = values[name]
            deduction = ZERO
            described = []
            for kind, count in happened.items():
                if count:
                    deduction += severity[kind] * count
                    described.append(f"{kind} × {count}")
            return {
                "points": max(floor, maximum - deduction),
                "reason": EVENTS_REASON if deduction else None,
                "formula": "max({floor}; {max} − {deduction}) = {points}",
                "values": {"events": described, "deduction": deduction, "floor": floor},
                "inputs": {name: dict(happened)},
            }

        return leaf

    def _check(self, node: Node, p: Mapping[str, Any]) -> Leaf:
        names = p.get("all_of") or p.get("any_of")
        need_all = "all_of" in p
        otherwise = parse_decimal(p.get("otherwise", 0))
        maximum = node.max
        labels = {n: self.ruleset.indicators[n].label for n in names}

        def leaf(values: Mapping[str, Any]) -> dict[str, Any]:
            failed = [labels[n] for n in names if not values[n]]
            passed = not failed if need_all else len(failed) < len(names)
            return {
                "points": maximum if passed else otherwise,
                "reason": None if passed else CHECK_REASON,
                "formula": None,
                "values": {"failed": failed, "passed": [labels[n] for n in names if values[n]]},
                "inputs": {n: values[n] for n in names},
            }

        return leaf

    def _choice(self, node: Node, p: Mapping[str, Any]) -> Leaf:
        name, maximum = p["indicator"], node.max
        table = {k: parse_decimal(v) for k, v in p["points"].items()}

        def leaf(values: Mapping[str, Any]) -> dict[str, Any]:
            chosen = values[name]
            points = table[chosen]
            return {
                "points": points,
                "reason": CHOICE_REASON if points < maximum else None,
                "formula": "{choice} → {points}",
                "values": {"choice": chosen},
                "inputs": {name: chosen},
            }

        return leaf

    def _deadline(self, node: Node, p: Mapping[str, Any]) -> Leaf:
        name, key, maximum = p["items"], p.get("date", "sent"), node.max
        late = parse_decimal(p["late"])
        missing = parse_decimal(p.get("missing", maximum))
        floor = parse_decimal(p.get("floor", node.floor))

        def leaf(values: Mapping[str, Any]) -> dict[str, Any]:
            late_items, missing_items = [], []
            for item in values[name]:
                when = item.get(key)
                if when is None:
                    missing_items.append(item["name"])
                elif when > item["due"]:
                    late_items.append(f"{item['name']} (+{(when - item['due']).days})")
            deduction = late * len(late_items) + missing * len(missing_items)
            return {
                "points": max(floor, maximum - deduction),
                "reason": LATE if deduction else None,
                "formula": "{max} − {late} × {late_count} − {missing} × {missing_count}",
                "values": {
                    "late_items": late_items,
                    "missing_items": missing_items,
                    "late": late,
                    "missing": missing,
                    "late_count": len(late_items),
                    "missing_count": len(missing_items),
                },
                "inputs": {name: values[name]},
            }

        return leaf

    def _trend(self, node: Node, p: Mapping[str, Any]) -> Leaf:
        current, previous, maximum = p["current"], p["previous"], node.max
        lower_is_better = p.get("direction") == "lower_is_better"
        deduction = parse_decimal(p.get("deduction", maximum))

        def leaf(values: Mapping[str, Any]) -> dict[str, Any]:
            now, before = values[current], values[previous]
            worse = now > before if lower_is_better else now < before
            return {
                "points": maximum - deduction if worse else maximum,
                "reason": TREND_REASON if worse else None,
                "formula": "{current} / {previous} → {points}",
                "values": {"current": now, "previous": before},
                "inputs": {current: now, previous: before},
            }

        return leaf

    def _survey(self, node: Node, p: Mapping[str, Any]) -> Leaf:
        maximum = node.max
        if "points" in p:
            name = p["points"]

            def direct(values: Mapping[str, Any]) -> dict[str, Any]:
                score = values[name]
                return {
                    "points": score,
                    "reason": SURVEY_REASON if score < maximum else None,
                    "formula": None,
                    "values": {"score": score},
                    "inputs": {name: score},
                }

            return direct
        answers = p["answers"]
        weights = {"A": ONE, "B": Decimal("0.6"), "C": Decimal("0.2"), "D": ZERO}
        if "weights" in p:
            weights = {k: parse_decimal(v, percent=True) for k, v in p["weights"].items()}

        def weighted(values: Mapping[str, Any]) -> dict[str, Any]:
            given = values[answers]
            total = score = ZERO
            for option, share in given.items():
                total += share
                score += share * weights[option]
            points = maximum * score / total
            return {
                "points": points,
                "reason": SURVEY_REASON if points < maximum else None,
                "formula": "{max} × {score_share:%} = {points}",
                "values": {"score": points, "score_share": score / total},
                "inputs": {answers: dict(given)},
            }

        return weighted
