"""Helpers shared by the tests: one-leaf rulesets, scored through the real engine."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

import parrules
from parrules import NodeResult, Ruleset


def ruleset_text(
    rule: str | None,
    params: Mapping[str, Any] | None,
    indicators: Mapping[str, Mapping[str, Any]],
    *,
    max: str = "1",
    extra: Mapping[str, Any] | None = None,
) -> str:
    leaf: dict[str, Any] = {"code": "1.1", "title": "Tiêu chí thử", "max": max}
    if rule is not None:
        leaf["rule"] = rule
    if params is not None:
        leaf["params"] = dict(params)
    leaf.update(extra or {})
    data = {
        "id": "test/leaf/2023",
        "title": "Bộ chỉ số một tiêu chí",
        "year": 2023,
        "max": max,
        "precision": 4,
        "indicators": {k: dict(v) for k, v in indicators.items()},
        "nodes": [{"code": "1", "title": "Lĩnh vực thử", "max": max, "children": [leaf]}],
    }
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def score_leaf(ruleset: Ruleset, indicators: Mapping[str, Any], **unit: Any) -> NodeResult:
    data = {"indicators": dict(indicators), **unit}
    card = parrules.score(ruleset, parrules.unit_from_mapping(data, ruleset))
    return card.node("1.1")


def D(text: str) -> Decimal:
    return Decimal(text)


# Lanes paved (seed 004, 8.3.2.2: 93,4% lost 0,25); the 100% and 90% edges are assumed.
LANES = {
    "numerator": "done",
    "denominator": "total",
    "zero_denominator": "full",
    "bands": [
        {"gte": "100%", "points": "0.5"},
        {"gte": "90%", "lt": "100%", "points": "0.25"},
        {"lt": "90%", "points": "0"},
    ],
}


def fake_distribution(site: Path, name: str, entry: str, module: str = "") -> None:
    info = site / f"{name.replace('-', '_')}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[parrules]\n{entry}\n")
    if module:
        (site / f"{name.replace('-', '_')}.py").write_text(module, encoding="utf-8")


def study_files(tmp_path: Path, first: str = "Huyện An") -> list[str]:
    """A made-up index of five districts, 30 of its 100 points from a survey of 400 people
    each; the first district's appraised 1.1 lies between its self-assessment and the final."""
    ruleset = {
        "id": "test/study/2024",
        "title": "Chỉ số thử năm 2024",
        "year": 2024,
        "max": 100,
        "classification": [
            {"label": "Tốt", "label_en": "Good", "min": 80},
            {"label": "Khá", "label_en": "Fair", "min": 70},
            {"label": "Yếu", "label_en": "Weak", "min": 0},
        ],
        "nodes": [
            {"code": "1", "title": "Điểm thẩm định", "max": 70},
            {"code": "2", "title": "Điều tra xã hội học", "max": 30},
        ],
        "uncertainty": {"sources": [{"node": "2", "survey": {"n": 400}, "label": "Khảo sát"}]},
    }
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(ruleset, allow_unicode=True), "utf-8")
    rows = [(first, "62", "24.6"), ("Huyện Bình", "57.5", "23.9"), ("Huyện Cường", "59", "23.1")]
    rows += [("Huyện Dũng", "55", "25.8"), ("Huyện Đông", "52", "22.4")]
    paths = []
    for n, (name, appraised, survey) in enumerate(rows):
        unit: dict[str, Any] = {
            "unit": name,
            "year": 2024,
            "ruleset": "r.yaml",
            "points": {"1": appraised, "2": survey},
            "reason": "Điểm thẩm định",
        }
        if n == 0:
            unit["stages"] = {"final": {"points": {"1": "58"}, "reason": "Thiếu tài liệu"}}
            unit["uncertainty"] = {"sources": [{"node": "1", "between": ["self", "final"]}]}
        path = tmp_path / f"u{n}.yaml"
        path.write_text(yaml.safe_dump(unit, allow_unicode=True, sort_keys=False), "utf-8")
        paths.append(str(path))
    return paths
