"""Benchmark workloads: a synthetic ruleset using every built-in rule, and seeded unit data for
any ruleset made of built-in rules (the same unit number always gives the same unit)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

import parrules
from parrules import Node, Ruleset, UnitInputs
from parrules._numbers import parse_decimal

SYNTHETIC_ID = "bench/synthetic/2023"
MAXIMA = ("0.5", "1", "1.5", "2")


def _leaf_kinds(k: int, field: int) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Leaf ``k`` of a field: (rule, params, indicators it declares). Cycles over every rule."""
    p = f"l{k}"
    count = {"type": "count", "label": f"Số liệu {p}", "unit": "hồ sơ"}
    number = {"type": "number", "label": f"Số đo {p}", "unit": "km"}
    ratio = {"type": "ratio", "label": f"Tỷ lệ {p}", "unit": "%"}
    flag = {"type": "bool", "label": f"Đã thực hiện {p}"}
    den = f"ho_so_linh_vuc_{field}"  # shared by the ratio leaves of a field, as in real rulesets
    kinds: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
        (
            "ratio",
            {"numerator": f"{p}_dung_han", "denominator": den, "zero_denominator": "full"},
            {f"{p}_dung_han": count, den: {**count, "label": f"Tổng hồ sơ lĩnh vực {field}"}},
        ),
        (
            "ratio",
            {
                "numerator": f"{p}_truc_tuyen",
                "denominator": den,
                "target": "90%",
                "zero_denominator": "zero",
            },
            {f"{p}_truc_tuyen": count, den: {**count, "label": f"Tổng hồ sơ lĩnh vực {field}"}},
        ),
        (
            "bands",
            {
                "numerator": f"{p}_be_tong",
                "denominator": f"{p}_tong",
                "zero_denominator": "full",
                "bands": [
                    {"gte": "100%", "points": "max"},
                    {"gte": "90%", "lt": "100%", "points": "half"},
                    {"lt": "90%", "points": 0},
                ],
            },
            {f"{p}_be_tong": number, f"{p}_tong": number},
        ),
        (
            "bands",
            {
                "value": f"{p}_so_hoa",
                "bands": [
                    {"gte": "80%", "points": "max"},
                    {"lt": "80%", "points": "proportional"},
                ],
            },
            {f"{p}_so_hoa": ratio},
        ),
        (
            "bands",
            {
                "value": f"{p}_trung_cap",
                "direction": "lower_is_better",
                "bands": [
                    {"lte": 0, "points": "max"},
                    {"gt": 0, "lte": 2, "points": "half"},
                    {"gt": 2, "points": 0},
                ],
            },
            {f"{p}_trung_cap": {**count, "unit": "người"}},
        ),
        (
            "per_event",
            {"events": f"{p}_ky_luat", "severity": {"khien_trach": 0.25, "canh_cao": 0.5}},
            {f"{p}_ky_luat": {"type": "events", "label": f"Kỷ luật {p}"}},
        ),
        (
            "check",
            {"all_of": [f"{p}_a", f"{p}_b", f"{p}_c"]},
            {f"{p}_a": flag, f"{p}_b": flag, f"{p}_c": flag},
        ),
        (
            "check",
            {
                "any_of": [f"{p}_a", {"indicator": f"{p}_cat_giam", "gte": "4%"}],
                "otherwise": "half",
            },
            {f"{p}_a": flag, f"{p}_cat_giam": ratio},
        ),
        (
            "choice",
            {
                "indicator": f"{p}_muc",
                "points": {"xuat_sac": "max", "tot": "half", "dat": "quarter", "chua_dat": 0},
            },
            {
                f"{p}_muc": {
                    "type": "choice",
                    "label": f"Mức đạt {p}",
                    "choices": ["xuat_sac", "tot", "dat", "chua_dat"],
                }
            },
        ),
        (
            "deadline",
            {"items": f"{p}_bao_cao", "late": "quarter"},
            {f"{p}_bao_cao": {"type": "items", "label": f"Báo cáo {p}"}},
        ),
        (
            "deadline",
            {"items": f"{p}_van_ban", "date": "received", "late": "quarter", "missing": "half"},
            {f"{p}_van_ban": {"type": "items", "label": f"Văn bản {p}"}},
        ),
        (
            "trend",
            {"current": f"{p}_nam_nay", "previous": f"{p}_nam_truoc", "deduction": "half"},
            {f"{p}_nam_nay": ratio, f"{p}_nam_truoc": ratio},
        ),
        (
            "trend",
            {
                "current": f"{p}_vu_nam_nay",
                "previous": f"{p}_vu_nam_truoc",
                "direction": "lower_is_better",
            },
            {f"{p}_vu_nam_nay": count, f"{p}_vu_nam_truoc": count},
        ),
        ("survey", {"points": f"{p}_diem_dieu_tra"}, {f"{p}_diem_dieu_tra": number}),
        (
            "survey",
            {"answers": f"{p}_phieu"},
            {f"{p}_phieu": {"type": "answers", "label": f"Phiếu khảo sát {p}"}},
        ),
        (
            "survey",
            {
                "answers": f"{p}_hai_long",
                "weights": {"rat_hai_long": 1, "hai_long": "75%", "khong_hai_long": 0},
            },
            {f"{p}_hai_long": {"type": "answers", "label": f"Mức độ hài lòng {p}"}},
        ),
        ("appraised", {}, {}),
        ("appraised", {}, {}),
        ("appraised", {}, {}),
    ]
    return kinds[k % len(kinds)]


def _scale(value: Any, maximum: Decimal) -> Any:
    """Params written relative to the leaf's max ('max', 'half', 'quarter')."""
    if isinstance(value, dict):
        return {key: _scale(v, maximum) for key, v in value.items()}
    if isinstance(value, list):
        return [_scale(v, maximum) for v in value]
    factor = {"max": 1, "half": Decimal("0.5"), "quarter": Decimal("0.25")}
    if isinstance(value, str) and value in factor:
        return str(maximum * factor[value])
    return value


def synthetic_ruleset() -> dict[str, Any]:
    """About a hundred leaves in eight fields, every built-in rule, with sub-criteria, a node
    rescaled when not applicable, a bonus and a penalty."""
    indicators: dict[str, Any] = {}
    fields = []
    k = 0

    def leaf(code: str) -> dict[str, Any]:
        nonlocal k
        rule, params, declared = _leaf_kinds(k, int(code.split(".")[0]))
        maximum = Decimal(MAXIMA[k % len(MAXIMA)])
        k += 1
        indicators.update(declared)
        node: dict[str, Any] = {"code": code, "title": f"Tiêu chí {code}", "max": str(maximum)}
        if rule != "appraised":
            node["rule"] = rule
            node["params"] = _scale(params, maximum)
        return node

    for f in range(1, 9):
        criteria = []
        for c in range(1, 4):
            code = f"{f}.{c}"
            children = [leaf(f"{code}.{j}") for j in range(1, 3)]
            sub = [leaf(f"{code}.3.{j}") for j in range(1, 3)]
            children.append({"code": f"{code}.3", "title": f"Nội dung {code}.3", "children": sub})
            criteria.append({"code": code, "title": f"Tiêu chí {code}", "children": children})
        fields.append(
            {"code": str(f), "title": f"Lĩnh vực {f}", "owner": f"Phòng {f}", "children": criteria}
        )
    extra = fields[-1]["children"]
    indicators["phat_sinh_khieu_nai"] = {"type": "count", "label": "Số khiếu nại phát sinh"}
    indicators["khieu_nai_dung_han"] = {"type": "count", "label": "Số khiếu nại đúng hạn"}
    indicators["ky_luat_nguoi_dung_dau"] = {"type": "events", "label": "Kỷ luật người đứng đầu"}
    extra[0]["children"].append(
        {
            "code": "8.1.4",
            "title": "Giải quyết khiếu nại đúng hạn",
            "max": "1",
            "not_applicable": "rescale",
            "rule": "ratio",
            "params": {
                "numerator": "khieu_nai_dung_han",
                "denominator": "phat_sinh_khieu_nai",
                "zero_denominator": "not_applicable",
            },
        }
    )
    extra.append({"code": "8.4", "title": "Điểm thưởng sáng kiến", "max": "1", "bonus": True})
    extra.append(
        {
            "code": "8.5",
            "title": "Điểm trừ kỷ luật",
            "max": "0",
            "floor": "-2",
            "rule": "per_event",
            "params": {
                "events": "ky_luat_nguoi_dung_dau",
                "severity": {"khien_trach": 1, "canh_cao": 2},
            },
        }
    )
    _fill_maxima(fields)
    total = sum((Decimal(f["max"]) for f in fields), Decimal(0))
    return {
        "id": SYNTHETIC_ID,
        "title": "Bộ chỉ số tổng hợp để đo hiệu năng",
        "jurisdiction": "Thử nghiệm",
        "level": "commune",
        "year": 2023,
        "max": str(total),
        "precision": 2,
        "classification": [
            {"label": "Xuất sắc", "label_en": "Excellent", "min": str(total * Decimal("0.9"))},
            {"label": "Tốt", "label_en": "Good", "min": str(total * Decimal("0.8"))},
            {"label": "Khá", "label_en": "Fair", "min": str(total * Decimal("0.7"))},
            {"label": "Yếu", "label_en": "Weak", "min": 0},
        ],
        "indicators": indicators,
        "nodes": fields,
    }


def _fill_maxima(nodes: list[dict[str, Any]]) -> Decimal:
    total = Decimal(0)
    for node in nodes:
        if "children" in node:
            node["max"] = str(_fill_maxima(node["children"]))
        if not node.get("bonus"):
            total += Decimal(node["max"])
    return total


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def write_synthetic(directory: Path) -> Path:
    path = directory / "synthetic.yaml"
    text = yaml.dump(synthetic_ruleset(), Dumper=_NoAliases, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


class UnitFactory:
    """Unit data for a ruleset of built-in rules: unit ``k`` is always the same. Most criteria
    reach their max; the appraisal stage changes a few indicators and points; the final stage
    usually changes nothing."""

    def __init__(self, ruleset: Ruleset, seed: int = 2023) -> None:
        self.ruleset = ruleset
        self.seed = seed
        self.leaves = [n for n in ruleset.flat if not n.children]
        self.denominators = {
            str(n.params["denominator"]): n.reads
            for n in self.leaves
            if n.rule in ("ratio", "bands") and "denominator" in n.params
        }

    def units(self, n: int, start: int = 0) -> list[UnitInputs]:
        return [self.unit(k) for k in range(start, start + n)]

    def stream(self, n: int) -> Iterator[UnitInputs]:
        return (self.unit(k) for k in range(n))

    def unit(self, k: int) -> UnitInputs:
        return parrules.unit_from_mapping(self.data(k), self.ruleset)

    def data(self, k: int) -> dict[str, Any]:
        rng = random.Random(f"{self.seed}:{k}")
        values: dict[str, Any] = {}
        for node in self.leaves:  # denominators first: numerators are drawn below them
            if node.rule in ("ratio", "bands") and "denominator" in node.params:
                name = str(node.params["denominator"])
                if name not in values:
                    values[name] = self._amount(rng, name)
        points: dict[str, Any] = {}
        for node in self.leaves:
            if node.evaluate is None:
                points[node.code] = self._appraised(rng, node, full=0.8)
            else:
                self._values(rng, node, values)
        appraisal_values: dict[str, Any] = {}
        for name in rng.sample(sorted(self._flags()), 2):
            if values.get(name):
                appraisal_values[name] = False
        appraised = [n for n in self.leaves if n.evaluate is None and not n.bonus]
        appraisal_points = {
            n.code: self._appraised(rng, n, full=0) for n in rng.sample(appraised, 2)
        }
        final: dict[str, Any] = {}
        if rng.random() < 0.3:
            node = rng.choice(appraised)
            final["points"] = {node.code: self._appraised(rng, node, full=0)}
        return {
            "unit": f"Xã {k:06d}",
            "year": self.ruleset.year,
            "ruleset": self.ruleset.id,
            "indicators": values,
            "points": points,
            "stages": {
                "appraisal": {"indicators": appraisal_values, "points": appraisal_points},
                "final": final,
            },
        }

    def _flags(self) -> set[str]:
        return {n for n, i in self.ruleset.indicators.items() if i.type == "bool"}

    def _amount(self, rng: random.Random, name: str) -> Any:
        kind = self.ruleset.indicators[name].type
        if rng.random() < 0.04:
            return 0
        if kind == "count":
            return rng.randint(1, 300)
        return Decimal(rng.randint(1, 5000)) / 100

    def _appraised(self, rng: random.Random, node: Node, full: float) -> Any:
        if rng.random() < full:
            return node.max
        points = (node.max * Decimal(rng.choice((0, 25, 50, 75))) / 100).quantize(Decimal("0.01"))
        return {"points": points, "reason": "Tài liệu kiểm chứng chưa đầy đủ"}

    def _values(self, rng: random.Random, node: Node, values: dict[str, Any]) -> None:
        p, kind = node.params, self.ruleset.indicators
        rule = node.rule
        if rule in ("ratio", "bands") and "numerator" in p:
            num, den = str(p["numerator"]), str(p["denominator"])
            whole = values[den]
            part = whole if rng.random() < 0.55 else whole * Decimal(rng.randint(0, 99)) / 100
            if kind[num].type == "count":
                part = int(part)
            elif part != whole:
                part = Decimal(part).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
            values[num] = min(part, values.get(num, part))
        elif rule == "bands":
            name = str(p["value"])
            values[name] = self._banded(rng, name, p["bands"])
        elif rule == "check":
            for condition in p.get("all_of") or p.get("any_of"):
                if isinstance(condition, str):
                    values[condition] = rng.random() < 0.9
                elif str(condition["indicator"]) not in values:
                    name = str(condition["indicator"])
                    (bound,) = (v for k, v in condition.items() if k != "indicator")
                    values[name] = self._near(rng, name, bound)
        elif rule == "choice":
            name = str(p["indicator"])
            table: Mapping[str, Any] = p["points"]
            best = max(table, key=lambda c: parse_decimal(table[c]))
            values[name] = best if rng.random() < 0.6 else rng.choice(sorted(table))
        elif rule == "per_event":
            kinds = sorted(p["severity"])
            happened = {} if rng.random() < 0.75 else {rng.choice(kinds): rng.randint(1, 2)}
            values[str(p["events"])] = happened
        elif rule == "deadline":
            values[str(p["items"])] = self._items(rng, str(p.get("date", "sent")))
        elif rule == "trend":
            for name in (str(p["current"]), str(p["previous"])):
                values[name] = self._level(rng, kind[name].type)
            if rng.random() < 0.6:
                values[str(p["current"])] = values[str(p["previous"])]
        elif rule == "survey" and "points" in p:
            maximum = node.max
            share = Decimal(rng.choice((100, 100, 95, 80, 60)))
            values[str(p["points"])] = (maximum * share / 100).quantize(Decimal("0.01"))
        elif rule == "survey":
            options = sorted(p["weights"]) if "weights" in p else ["A", "B", "C", "D"]
            answers = {o: rng.randint(0, 40) for o in options}
            answers[options[0]] += 1
            values[str(p["answers"])] = answers
        else:
            msg = f"no unit data for rule {rule!r} (node {node.code})"
            raise ValueError(msg)

    def _banded(self, rng: random.Random, name: str, bands: list[Mapping[str, Any]]) -> Any:
        kind = self.ruleset.indicators[name].type
        if kind == "ratio":
            return Decimal(1) if rng.random() < 0.5 else Decimal(rng.randint(0, 1000)) / 1000
        edges = sorted(
            {parse_decimal(b[k]) for b in bands for k in ("gt", "gte", "lt", "lte") if k in b}
        )
        value = rng.choice([*edges, Decimal(0), Decimal(0)])
        if kind == "count":
            return max(0, int(value) + rng.choice((0, 0, 1, -1)))
        return max(Decimal(0), value + Decimal(rng.randint(-100, 100)) / 100)

    def _near(self, rng: random.Random, name: str, bound: Any) -> Any:
        """A value at, just below or above a threshold, mostly on the good side."""
        kind = self.ruleset.indicators[name].type
        edge = parse_decimal(bound, percent=kind == "ratio")
        step = {"ratio": Decimal("0.01"), "count": Decimal(1)}.get(kind, Decimal("0.5"))
        value = max(Decimal(0), edge + step * rng.choice((0, 1, 2, -1)))
        if kind == "ratio":
            return min(value, Decimal(1))
        return int(value) if kind == "count" else value

    def _level(self, rng: random.Random, kind: str) -> Any:
        if kind == "ratio":
            return Decimal(rng.randint(0, 100)) / 100
        if kind == "count":
            return rng.randint(0, 20)
        return Decimal(rng.randint(0, 10000)) / 100

    def _items(self, rng: random.Random, key: str) -> list[dict[str, Any]]:
        items = []
        for j in range(1, rng.randint(2, 4)):
            due = dt.date(2023, 3 * j, 25)
            item: dict[str, Any] = {"name": f"Báo cáo quý {j}", "due": due}
            draw = rng.random()
            if draw < 0.9:
                shift = rng.randint(-5, 0) if draw < 0.8 else rng.randint(1, 10)
                sent = due + dt.timedelta(days=shift)
                item["sent"] = sent
                if key == "received":
                    item["received"] = sent + dt.timedelta(days=rng.randint(0, 1))
            items.append(item)
        return items
