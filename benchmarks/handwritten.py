"""B: what a district writes by hand instead of using parrules, for the user paths.

Straightforward Python with ``Decimal`` arithmetic and the same rounding; the constants (maxima,
bands, severities, labels, reason texts) read from the ruleset once, as a hand-written scorer has
them in its code. It reads the unit's plain row dict (the mapping a unit file or a sheet row
gives: indicators, points, stages that layer on each other) and keeps, for every lost point, a
dict with the reason text, in Vietnamese, as parrules writes it. ``json_line`` builds by hand the
same JSON document as ``ScoreCard.to_dict`` from the same ``UnitInputs`` and dumps it.

It handles the built-in rules the benchmark workloads use, nothing more, and checks no input: a
hand-written script trusts its data. ``benchmarks/paths.py`` checks, before timing, that its
output is the engine's, text for text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from parrules import Node, Ruleset, UnitInputs
from parrules._json import SCHEMA, version
from parrules._numbers import parse_decimal
from parrules._plugins import default_registry

ZERO, ONE, HUNDRED = Decimal(0), Decimal(1), Decimal(100)
Record = tuple[Any, ...]
"""What a criterion computed for a lost point, to write its texts from."""
Leaf = Callable[[Mapping[str, Any]], tuple[Decimal, Record | None]]


def vi(value: Any) -> str:
    """A number as a Vietnamese reader writes it: ``19,86``, trailing zeros trimmed."""
    if isinstance(value, int):
        return str(value)
    text = format(value.normalize(), "f") if value else "0"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def vi_pct(value: Decimal) -> str:
    return vi((value * HUNDRED).quantize(Decimal("0.01"), ROUND_HALF_UP)) + "%"


def js(value: Any) -> Any:
    """A value in JSON: decimals as strings, dates in ISO form."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    if isinstance(value, Mapping):
        return {k: js(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [js(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class Hand:
    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self.step = Decimal(1).scaleb(-ruleset.precision)
        self.shown = Decimal(1).scaleb(-ruleset.display_precision)
        self.leaves: dict[str, tuple[Leaf, Callable[..., str], Callable[..., str | None]]] = {}
        for node in ruleset.leaves:
            if node.rule is not None:
                self.leaves[node.code] = getattr(self, f"_{node.rule}")(node, node.params)
        self.parents = [n for n in reversed(ruleset.flat) if n.children]
        self.deductible = [n for n in ruleset.leaves if not n.bonus and n.max is not None]
        self.bands = [(b.min, b.label) for b in ruleset.classification]
        self.static = [  # what the JSON says of each node whatever the unit
            (
                n.code,
                n.parent_code,
                n.title,
                js(n.max),
                n.owner,
                n.source,
                {item: text.vi for item, text in n.assumed.items()},
            )
            for n in ruleset.flat
        ]
        versions = dict(default_registry().plugins)
        self.provenance = {
            "parrules": version(),
            "ruleset_digest": f"sha256:{ruleset.digest}",
            "rulesets": list(ruleset.chain),
            "sources": {
                s.id: {
                    "kind": s.kind,
                    "title": s.title,
                    "number": s.number,
                    "date": s.date,
                    "issuer": s.issuer,
                }
                for s in ruleset.sources.values()
            },
            "plugins": [
                {"name": n, "version": versions.get(n, "unknown")}
                for n in sorted({n.plugin for n in ruleset.flat if n.plugin})
            ],
        }

    # From a row dict to every lost point's reason -------------------------------------------

    def reasons(self, row: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Per stage: the total, the class and a dict per lost point with its reason."""
        out = []
        for name, values, given in self.layers(row):
            points, records, total = self.stage(values, given)
            deductions = []
            for node in self.deductible:
                lost = node.max - points[node.code]
                if lost > 0:
                    record = records[node.code]
                    if record[0] == "appraised":
                        reason = record[1]
                    else:
                        reason = self.leaves[node.code][1](record)
                    deductions.append({"code": node.code, "lost": lost, "reason": reason})
            out.append(
                {
                    "stage": name,
                    "total": total,
                    "classification": self.classify(total),
                    "deductions": deductions,
                }
            )
        return out

    def layers(self, row: Mapping[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
        """The stages of a row: each layers its indicators and points on the previous one."""
        values = dict(row.get("indicators") or {})
        given = {code: _appraisal(e) for code, e in (row.get("points") or {}).items()}
        if "stages" not in row:
            return [("final", values, given)]
        stages = [("self", values, given)]
        for name in ("appraisal", "final"):
            if name in row["stages"]:
                layer = row["stages"][name] or {}
                values = {**values, **(layer.get("indicators") or {})}
                given = {
                    **given,
                    **{c: _appraisal(e) for c, e in (layer.get("points") or {}).items()},
                }
                stages.append((name, values, given))
        return stages

    def stage(
        self, values: Mapping[str, Any], given: Mapping[str, Record]
    ) -> tuple[dict[str, Decimal], dict[str, Record], Decimal]:
        """Every node's points, what each lost point was computed from, and the total."""
        points: dict[str, Decimal] = {}
        records: dict[str, Record] = {}
        rescale: list[Node] = []
        for node in self.ruleset.leaves:
            code = node.code
            if code in given:
                points[code] = given[code][0]
                records[code] = ("appraised", *given[code][1:])
                continue
            value, record = self.leaves[code][0](values)
            if record is not None and record[0] == "not_applicable":
                if node.not_applicable == "rescale":
                    rescale.append(node)
                value = node.max if node.not_applicable == "full" else ZERO
            points[code] = value.quantize(self.step, ROUND_HALF_UP)
            if record is not None:
                records[code] = record
        for node in self.parents:
            points[node.code] = sum((points[c.code] for c in node.children), ZERO)
        total = sum((points[n.code] for n in self.ruleset.nodes), ZERO)
        for node in rescale:  # one rescaled criterion in the workloads: its siblings' rate
            parent = self.ruleset.node(node.parent_code or "")
            others = [c for c in parent.children if c is not node and not c.bonus and c.max > 0]
            achieved = sum((points[c.code] for c in others), ZERO)
            possible = sum((c.max for c in others), ZERO)
            rate = max(ZERO, achieved / possible) if possible else ONE
            value = min(node.max, (node.max * rate).quantize(self.step, ROUND_HALF_UP))
            records[node.code] = ("rescaled", rate, records[node.code][2])
            points[node.code] = value
            code = node.code
            while code:  # the points go up to every parent
                code = code.rpartition(".")[0]
                if code:
                    points[code] += value
            total += value
        return points, records, total

    def edges_assumed(self, total: Decimal) -> dict[str, str]:
        """The assumed edges of the class reached and of the one above it, with why."""
        shown = total.quantize(self.shown, ROUND_HALF_UP)
        bands = self.ruleset.classification
        here = next((i for i, b in enumerate(bands) if shown >= b.min), len(bands))
        return {b.label: b.assumed.vi for b in bands[max(here - 1, 0) : here + 1] if b.assumed}

    def classify(self, total: Decimal) -> str | None:
        shown = total.quantize(self.shown, ROUND_HALF_UP)
        for low, label in self.bands:
            if shown >= low:
                return label
        return None

    # The same JSON document as the engine's, built by hand ----------------------------------

    def json_line(self, unit: UnitInputs) -> str:
        stages = []
        for stage in unit.stages:
            given = {
                code: (a.points, a.reason, a.by, a.date, a.evidence)
                for code, a in stage.points.items()
            }
            points, records, total = self.stage(stage.indicators, given)
            stages.append(self._stage_dict(stage.name, points, records, total))
        document = {
            "schema": SCHEMA,
            "unit": unit.unit,
            "year": unit.year,
            "ruleset": self.ruleset.id,
            "provenance": self.provenance,
            "stages": stages,
        }
        return json.dumps(document, ensure_ascii=False, separators=(",", ":"))

    def _stage_dict(
        self, name: str, points: dict[str, Decimal], records: dict[str, Record], total: Decimal
    ) -> dict[str, Any]:
        maximum = self.ruleset.max
        nodes, deductions = [], []
        for code, parent, title, top, owner, source, assumed in self.static:
            node_max = self.ruleset.node(code).max
            got = points[code]
            lost = node_max - got
            entry = {
                "code": code,
                "parent": parent,
                "title": title,
                "max": top,
                "points": js(got),
                "lost": js(lost),
            }
            record = records.get(code)
            if record is not None and record[0] in ("not_applicable", "rescaled"):
                entry["not_applicable"] = True
            if assumed:
                entry["assumed"] = dict(assumed)
            nodes.append(entry)
            node = self.ruleset.node(code)
            if node.children or node.bonus or lost <= 0:
                continue
            assert record is not None
            if record[0] == "appraised":
                _, reason, by, date, evidence = record
                formula, inputs = None, {}
            else:
                kind = self.leaves[code]
                reason = kind[1](record)
                formula = kind[2](record, node_max, got)
                inputs = record[-1]
            deduction = {
                "code": code,
                "title": title,
                "lost": js(lost),
                "reason": reason,
                "formula": formula,
                "inputs": js(inputs),
                "owner": owner,
                "source": source,
                "assumed": assumed,
            }
            if record[0] == "appraised":
                deduction["appraisal"] = {"by": by, "date": js(date), "evidence": list(evidence)}
            deductions.append(deduction)
        percent = (total * HUNDRED / maximum).quantize(self.shown, ROUND_HALF_UP)
        return {
            "stage": name,
            "total": js(total.quantize(self.shown, ROUND_HALF_UP)),
            "total_exact": js(total),
            "max": js(maximum),
            "percent": js(percent),
            "classification": self.classify(total),
            "classification_assumed": self.edges_assumed(total),
            "nodes": nodes,
            "deductions": deductions,
        }

    # One function per kind of criterion: the points and, below the max, a record -------------
    # Each kind also has its reason and its formula written from the record.

    def _ratio(self, node: Node, p: Mapping[str, Any]) -> tuple[Leaf, Any, Any]:
        num, den, maximum = p["numerator"], p["denominator"], node.max
        target = parse_decimal(p.get("target", 1), percent=True)
        policy = p["zero_denominator"]

        def leaf(values: Mapping[str, Any]) -> tuple[Decimal, Record | None]:
            n, d = values[num], values[den]
            if d == 0:
                return _no_case(policy, maximum, den, {num: n, den: d})
            ratio = Decimal(n) / d
            points = maximum * min(ONE, ratio / target)
            if points >= maximum:
                return points, None
            return points, ("ratio", n, d, ratio, {num: n, den: d})

        def reason(r: Record) -> str:
            if r[0] != "ratio":
                return _no_case_reason(r)
            return f"Tỷ lệ {vi(r[1])}/{vi(r[2])} = {vi_pct(r[3])}, chưa đạt mức {vi_pct(target)}"

        def formula(r: Record, top: Decimal, points: Decimal) -> str | None:
            if r[0] != "ratio":
                return None
            if target == ONE:
                return f"{vi(r[1])}/{vi(r[2])} = {vi_pct(r[3])} × {vi(top)} = {vi(points)}"
            return f"min(1; {vi_pct(r[3])} / {vi_pct(target)}) × {vi(top)} = {vi(points)}"

        return leaf, reason, formula

    def _bands(self, node: Node, p: Mapping[str, Any]) -> tuple[Leaf, Any, Any]:
        maximum = node.max
        value_name = p.get("value")
        fraction = value_name is None or self.ruleset.indicators[value_name].type == "ratio"
        bands = []
        for raw in p["bands"]:
            lower = raw.get("gte", raw.get("gt"))
            upper = raw.get("lte", raw.get("lt"))
            low = None if lower is None else parse_decimal(lower, percent=fraction)
            high = None if upper is None else parse_decimal(upper, percent=fraction)

            def show(edge: Decimal) -> str:
                if fraction:
                    return _en((edge * HUNDRED).quantize(Decimal("0.01"), ROUND_HALF_UP)) + "%"
                return _en(edge)

            label = (
                (("[" if "gte" in raw else "(") + show(low) if low is not None else "(-∞")
                + "; "
                + ((show(high) + ("]" if "lte" in raw else ")")) if high is not None else "+∞)")
            )
            points = None if raw["points"] == "proportional" else parse_decimal(raw["points"])
            bands.append((low, "gte" in raw, high, "lte" in raw, points, label))
        num, den, policy = p.get("numerator"), p.get("denominator"), p.get("zero_denominator")
        own = _compiled(p.get("reason"))

        def leaf(values: Mapping[str, Any]) -> tuple[Decimal, Record | None]:
            if num is not None:
                n, d = values[num], values[den]
                if d == 0:
                    return _no_case(policy, maximum, den, {num: n, den: d})
                value = Decimal(n) / d
                inputs = {num: n, den: d}
            else:
                n = d = None
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
                return points, ("band", value, label, n, d, inputs)
            raise ValueError(value)

        def reason(r: Record) -> str:
            if r[0] != "band":
                return _no_case_reason(r)
            if own is not None:
                return own({"value": r[1], "band": r[2], "numerator": r[3], "denominator": r[4]})
            if num is not None:
                return f"Tỷ lệ {vi(r[3])}/{vi(r[4])} = {vi_pct(r[1])} thuộc khoảng {r[2]}"
            return f"Giá trị {vi(r[1])} thuộc khoảng {r[2]}"

        def formula(r: Record, top: Decimal, points: Decimal) -> str | None:
            if r[0] != "band":
                return None
            shown = vi_pct(r[1]) if fraction else vi(r[1])
            return f"{shown} → {r[2]} → {vi(points)}"

        return leaf, reason, formula

    def _per_event(self, node: Node, p: Mapping[str, Any]) -> tuple[Leaf, Any, Any]:
        name, maximum = p["events"], node.max
        severity = {k: parse_decimal(v) for k, v in p["severity"].items()}
        floor = parse_decimal(p.get("floor", node.floor))
        labels = {k: self.ruleset.indicators[name].value_label(k).vi for k in severity}

        def leaf(values: Mapping[str, Any]) -> tuple[Decimal, Record | None]:
            happened = values[name]
            deduction = ZERO
            for kind, count in happened.items():
                deduction += severity[kind] * count
            if not deduction:
                return maximum, None
            record = ("events", happened, deduction, {name: happened})
            return max(floor, maximum - deduction), record

        def reason(r: Record) -> str:
            events = ", ".join(f"{labels[k]} × {c}" for k, c in r[1].items() if c)
            return f"Trừ {vi(r[2])} điểm do: {events}"

        def formula(r: Record, top: Decimal, points: Decimal) -> str:
            return f"max({vi(floor)}; {vi(top)} − {vi(r[2])}) = {vi(points)}"

        return leaf, reason, formula

    def _check(self, node: Node, p: Mapping[str, Any]) -> tuple[Leaf, Any, Any]:
        need_all = "all_of" in p
        symbols = {"gte": "≥", "gt": ">", "lte": "≤", "lt": "<"}
        conditions = []  # (indicator, bound or None for a bool, comparison, label)
        for raw in p.get("all_of") or p.get("any_of"):
            if isinstance(raw, str):
                conditions.append((raw, None, None, self.ruleset.indicators[raw].label))
                continue
            name = raw["indicator"]
            (op,) = (k for k in raw if k != "indicator")
            ratio = self.ruleset.indicators[name].type == "ratio"
            bound = parse_decimal(raw[op], percent=ratio)
            shown = _en((bound * HUNDRED).quantize(Decimal("0.01"))) + "%" if ratio else _en(bound)
            label = f"{self.ruleset.indicators[name].label} {symbols[op]} {shown}"
            conditions.append((name, bound, op, label))
        reads = list(dict.fromkeys(c[0] for c in conditions))
        otherwise = parse_decimal(p.get("otherwise", 0))
        maximum = node.max
        own = _compiled(p.get("reason"))

        def leaf(values: Mapping[str, Any]) -> tuple[Decimal, Record | None]:
            failed = []
            passed = False if need_all else None
            for name, bound, op, label in conditions:
                value = values[name]
                if op is None:
                    ok = bool(value)
                elif op == "gte":
                    ok = value >= bound
                elif op == "gt":
                    ok = value > bound
                elif op == "lte":
                    ok = value <= bound
                else:
                    ok = value < bound
                if ok:
                    passed = True
                else:
                    failed.append(label)
            if not failed if need_all else passed:
                return maximum, None
            return otherwise, ("check", failed, {n: values[n] for n in reads})

        def reason(r: Record) -> str:
            failed = ", ".join(r[1])
            if own is not None:
                return own({"failed": failed})
            return f"Chưa thực hiện: {failed}"

        return leaf, reason, lambda r, top, points: None

    def _choice(self, node: Node, p: Mapping[str, Any]) -> tuple[Leaf, Any, Any]:
        name, maximum = p["indicator"], node.max
        table = {k: parse_decimal(v) for k, v in p["points"].items()}
        labels = {k: self.ruleset.indicators[name].value_label(k).vi for k in table}

        def leaf(values: Mapping[str, Any]) -> tuple[Decimal, Record | None]:
            chosen = values[name]
            points = table[chosen]
            if points >= maximum:
                return points, None
            return points, ("choice", chosen, {name: chosen})

        def formula(r: Record, top: Decimal, points: Decimal) -> str:
            return f"{labels[r[1]]} → {vi(points)}"

        return leaf, lambda r: f"Mức đạt: {labels[r[1]]}", formula

    def _deadline(self, node: Node, p: Mapping[str, Any]) -> tuple[Leaf, Any, Any]:
        name, key, maximum = p["items"], p.get("date", "sent"), node.max
        late = parse_decimal(p["late"])
        missing = parse_decimal(p.get("missing", maximum))
        floor = parse_decimal(p.get("floor", node.floor))

        def leaf(values: Mapping[str, Any]) -> tuple[Decimal, Record | None]:
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
            return max(floor, maximum - deduction), (
                "deadline",
                late_items,
                missing_items,
                {name: values[name]},
            )

        def reason(r: Record) -> str:
            if r[1] and r[2]:
                return f"Gửi muộn: {', '.join(r[1])}; không gửi: {', '.join(r[2])}"
            if r[1]:
                return f"Gửi muộn: {', '.join(r[1])}"
            return f"Không gửi: {', '.join(r[2])}"

        def formula(r: Record, top: Decimal, points: Decimal) -> str:
            return (
                f"{vi(top)} − {vi(late)} × {len(r[1])} − {vi(missing)} × {len(r[2])} = {vi(points)}"
            )

        return leaf, reason, formula

    def _trend(self, node: Node, p: Mapping[str, Any]) -> tuple[Leaf, Any, Any]:
        current, previous, maximum = p["current"], p["previous"], node.max
        lower_is_better = p.get("direction") == "lower_is_better"
        deduction = parse_decimal(p.get("deduction", maximum))
        word = "cao hơn" if lower_is_better else "thấp hơn"

        def leaf(values: Mapping[str, Any]) -> tuple[Decimal, Record | None]:
            now, before = values[current], values[previous]
            if not (now > before if lower_is_better else now < before):
                return maximum, None
            return maximum - deduction, ("trend", now, before, {current: now, previous: before})

        def formula(r: Record, top: Decimal, points: Decimal) -> str:
            return f"{vi(r[1])} / {vi(r[2])} → {vi(points)}"

        return leaf, lambda r: f"Năm nay {vi(r[1])}, {word} năm trước ({vi(r[2])})", formula

    def _survey(self, node: Node, p: Mapping[str, Any]) -> tuple[Leaf, Any, Any]:
        maximum = node.max
        if "points" in p:
            name = p["points"]

            def direct(values: Mapping[str, Any]) -> tuple[Decimal, Record | None]:
                score = values[name]
                if score >= maximum:
                    return score, None
                return score, ("survey", score, None, {name: score})

            return direct, lambda r: f"Điểm điều tra xã hội học: {vi(r[1])}", _no_formula
        answers = p["answers"]
        weights = {"A": ONE, "B": Decimal("0.6"), "C": Decimal("0.2"), "D": ZERO}
        if "weights" in p:
            weights = {k: parse_decimal(v, percent=True) for k, v in p["weights"].items()}

        def weighted(values: Mapping[str, Any]) -> tuple[Decimal, Record | None]:
            given = values[answers]
            total = score = ZERO
            for option, share in given.items():
                total += share
                score += share * weights[option]
            points = maximum * score / total
            if points >= maximum:
                return points, None
            return points, ("survey", points, score / total, {answers: given})

        def formula(r: Record, top: Decimal, points: Decimal) -> str:
            return f"{vi(top)} × {vi_pct(r[2])} = {vi(points)}"

        return weighted, lambda r: f"Điểm điều tra xã hội học: {vi(r[1])}", formula


def _no_formula(r: Record, top: Decimal, points: Decimal) -> None:
    return None


def _appraisal(entry: Any) -> Record:
    """A ``points:`` entry: a number, or {points, reason, by, date, evidence}."""
    if isinstance(entry, Mapping):
        return (
            Decimal(entry["points"]),
            entry.get("reason"),
            entry.get("by"),
            entry.get("date"),
            tuple(entry.get("evidence") or ()),
        )
    return Decimal(entry), None, None, None, ()


def _no_case(policy: str, maximum: Decimal, den: str, inputs: dict[str, Any]) -> Any:
    """A ratio whose denominator is 0: full points, zero, or not applicable."""
    if policy == "full":
        return maximum, None
    kind = "not_applicable" if policy == "not_applicable" else "no_case"
    return ZERO, (kind, den, inputs)


def _no_case_reason(r: Record) -> str:
    if r[0] == "rescaled":
        return f"Không áp dụng; tính theo tỷ lệ đạt của các tiêu chí cùng cấp ({vi_pct(r[1])})"
    return f"Không phát sinh trường hợp nào ({r[1]} = 0)"


def _en(value: Decimal) -> str:
    text = format(value.normalize(), "f") if value else "0"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _compiled(template: Any) -> Callable[[Mapping[str, Any]], str] | None:
    """A ruleset's own reason text (``params.reason``), split once into its literal parts and
    fields (``{name}``, ``{name:%}``), as a hand-writer would turn it into an f-string."""
    if template is None:
        return None
    text = str(template.get("vi") if isinstance(template, Mapping) else template)
    parts = re.split(r"\{([a-z_]+)(:%)?\}", text)
    literals, fields = parts[0::3], list(zip(parts[1::3], parts[2::3], strict=True))

    def render(values: Mapping[str, Any]) -> str:
        out = [literals[0]]
        for (name, spec), literal in zip(fields, literals[1:], strict=True):
            value = values[name]
            out.append(vi_pct(value) if spec else value if isinstance(value, str) else vi(value))
            out.append(literal)
        return "".join(out)

    return render
