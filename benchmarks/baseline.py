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
Result = tuple[Decimal, dict[str, Any] | None]
Leaf = Callable[[Mapping[str, Any]], Result]

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
        """Every node's points, and an explanation record for every leaf that lost points."""
        values, appraisals = stage.indicators, stage.points
        points: dict[str, Decimal] = {}
        explained: dict[str, dict[str, Any]] = {}
        not_applicable: set[str] = set()

        def visit_all(nodes: tuple[Node, ...]) -> Decimal:
            total = ZERO
            for node in nodes:
                total += visit(node)
            rescaled = [
                n for n in nodes if n.not_applicable == "rescale" and n.code in not_applicable
            ]
            if rescaled:
                applicable = [n for n in nodes if n.code not in not_applicable]
                achieved = sum((points[n.code] for n in applicable), ZERO)
                possible = sum((n.max for n in applicable if not n.bonus), ZERO)
                rate = achieved / possible if possible else ONE
                for n in rescaled:
                    points[n.code] = min(n.max, (n.max * rate).quantize(self.step, ROUND_HALF_UP))
                    explained[n.code]["values"]["rate"] = rate
                    total += points[n.code]
            return total

        def visit(node: Node) -> Decimal:
            code = node.code
            if node.children:
                points[code] = visit_all(node.children)
                return points[code]
            appraisal = appraisals.get(code)
            if appraisal is not None:
                points[code] = appraisal.points
                if appraisal.points < node.max:
                    explained[code] = {
                        "reason": appraisal.reason,
                        "by": appraisal.by,
                        "date": appraisal.date,
                        "evidence": appraisal.evidence,
                    }
                return appraisal.points
            value, explanation = self.leaves[code](values)
            if explanation is not None and explanation.get("not_applicable"):
                not_applicable.add(code)
                value = node.max if node.not_applicable == "full" else ZERO
            else:
                value = value.quantize(self.step, ROUND_HALF_UP)
            if explanation is not None:
                explained[code] = explanation
            points[code] = value
            return value

        total = visit_all(self.ruleset.nodes)
        deductions = []
        for node in self.ruleset.leaves:
            lost = node.max - points[node.code]
            if lost > 0 and not node.bonus:
                deductions.append({"code": node.code, "lost": lost, **explained[node.code]})
        band = None
        for b in self.ruleset.classification:
            if total >= b.min:
                band = b.label
                break
        return {
            "stage": stage.name,
            "total": total,
            "classification": band,
            "points": points,
            "deductions": deductions,
        }

    # One function per kind of criterion, with its constants bound. Each returns the points, and
    # the explanation record when the points are below the max (or the criterion did not apply).

    def _ratio(self, node: Node, p: Mapping[str, Any]) -> Leaf:
        num, den, maximum = p["numerator"], p["denominator"], node.max
        target = parse_decimal(p.get("target", 1), percent=True)
        policy = p["zero_denominator"]
        formula = "{numerator}/{denominator} = {ratio:%} × {max} = {points}"

        def leaf(values: Mapping[str, Any]) -> Result:
            n, d = values[num], values[den]
            if n < 0 or d < 0 or n > d:
                raise ValueError(num)
            if d == 0:
                return no_case(policy, maximum, den, {num: n, den: d})
            ratio = n / d
            points = maximum * min(ONE, ratio / target)
            if points >= maximum:
                return points, None
            return points, {
                "reason": RATIO_REASON,
                "formula": formula,
                "values": {"numerator": n, "denominator": d, "ratio": ratio, "target": target},
                "inputs": {num: n, den: d},
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

        def leaf(values: Mapping[str, Any]) -> Result:
            extra: dict[str, Any] = {}
            if num is not None:
                n, d = values[num], values[den]
                if n < 0 or d < 0 or n > d:
                    raise ValueError(num)
                if d == 0:
                    return no_case(policy, maximum, den, {num: n, den: d})
                value = n / d
                inputs = {num: n, den: d}
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
                if points >= maximum:
                    return points, None
                return points, {
                    "reason": BAND_REASON,
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

        def leaf(values: Mapping[str, Any]) -> Result:
            happened = values[name]
            deduction = ZERO
            for kind, count in happened.items():
                deduction += severity[kind] * count
            if not deduction:
                return maximum, None
            return max(floor, maximum - deduction), {
                "reason": EVENTS_REASON,
                "formula": "max({floor}; {max} − {deduction}) = {points}",
                "values": {
                    "events": [f"{k} × {c}" for k, c in happened.items() if c],
                    "deduction": deduction,
                    "floor": floor,
                },
                "inputs": {name: dict(happened)},
            }

        return leaf

    def _check(self, node: Node, p: Mapping[str, Any]) -> Leaf:
        need_all = "all_of" in p
        conditions = []  # (indicator, bound or None for a bool, comparison, label)
        for raw in p.get("all_of") or p.get("any_of"):
            if isinstance(raw, str):
                conditions.append((raw, None, None, self.ruleset.indicators[raw].label))
                continue
            name = raw["indicator"]
            (op,) = (k for k in raw if k != "indicator")
            ratio = self.ruleset.indicators[name].type == "ratio"
            bound = parse_decimal(raw[op], percent=ratio)
            conditions.append((name, bound, op, f"{self.ruleset.indicators[name].label} {op}"))
        otherwise = parse_decimal(p.get("otherwise", 0))
        maximum = node.max

        def leaf(values: Mapping[str, Any]) -> Result:
            met = []
            for name, bound, op, _ in conditions:
                value = values[name]
                if op is None:
                    met.append(bool(value))
                elif op == "gte":
                    met.append(value >= bound)
                elif op == "gt":
                    met.append(value > bound)
                elif op == "lte":
                    met.append(value <= bound)
                else:
                    met.append(value < bound)
            if all(met) if need_all else any(met):
                return maximum, None
            return otherwise, {
                "reason": CHECK_REASON,
                "formula": None,
                "values": {
                    "failed": [c[3] for c, ok in zip(conditions, met, strict=True) if not ok],
                    "passed": [c[3] for c, ok in zip(conditions, met, strict=True) if ok],
                },
                "inputs": {c[0]: values[c[0]] for c in conditions},
            }

        return leaf

    def _choice(self, node: Node, p: Mapping[str, Any]) -> Leaf:
        name, maximum = p["indicator"], node.max
        table = {k: parse_decimal(v) for k, v in p["points"].items()}

        def leaf(values: Mapping[str, Any]) -> Result:
            chosen = values[name]
            points = table[chosen]
            if points >= maximum:
                return points, None
            return points, {
                "reason": CHOICE_REASON,
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

        def leaf(values: Mapping[str, Any]) -> Result:
            late_items, missing_items = [], []
            for item in values[name]:
                when = item.get(key)
                if when is None:
                    missing_items.append(item["name"])
                elif when > item["due"]:
                    late_items.append(f"{item['name']} (+{(when - item['due']).days})")
            if not late_items and not missing_items:
                return maximum, None
            deduction = late * len(late_items) + missing * len(missing_items)
            return max(floor, maximum - deduction), {
                "reason": LATE,
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

        def leaf(values: Mapping[str, Any]) -> Result:
            now, before = values[current], values[previous]
            if not (now > before if lower_is_better else now < before):
                return maximum, None
            return maximum - deduction, {
                "reason": TREND_REASON,
                "formula": "{current} / {previous} → {points}",
                "values": {"current": now, "previous": before},
                "inputs": {current: now, previous: before},
            }

        return leaf

    def _survey(self, node: Node, p: Mapping[str, Any]) -> Leaf:
        maximum = node.max
        if "points" in p:
            name = p["points"]

            def direct(values: Mapping[str, Any]) -> Result:
                score = values[name]
                if score >= maximum:
                    return score, None
                return score, {
                    "reason": SURVEY_REASON,
                    "formula": None,
                    "values": {"score": score},
                    "inputs": {name: score},
                }

            return direct
        answers = p["answers"]
        weights = {"A": ONE, "B": Decimal("0.6"), "C": Decimal("0.2"), "D": ZERO}
        if "weights" in p:
            weights = {k: parse_decimal(v, percent=True) for k, v in p["weights"].items()}

        def weighted(values: Mapping[str, Any]) -> Result:
            given = values[answers]
            total = score = ZERO
            for option, share in given.items():
                total += share
                score += share * weights[option]
            points = maximum * score / total
            if points >= maximum:
                return points, None
            return points, {
                "reason": SURVEY_REASON,
                "formula": "{max} × {score_share:%} = {points}",
                "values": {"score": points, "score_share": score / total},
                "inputs": {answers: dict(given)},
            }

        return weighted


def no_case(policy: str, maximum: Decimal, den: str, inputs: dict[str, Any]) -> Result:
    """A ratio whose denominator is 0: full points, zero, or not applicable."""
    if policy == "full":
        return maximum, None
    return ZERO, {
        "reason": NO_CASE,
        "formula": None,
        "values": {"denominator_name": den},
        "inputs": inputs,
        "not_applicable": policy == "not_applicable",
    }
