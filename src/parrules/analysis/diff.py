"""What changed between two rulesets (e.g. one province's criteria of two years).

Nodes are matched by code. A node whose code disappears while a node with the same title appears
under another code is reported as moved (renumbered), then compared like any other pair. Numbers
are compared by value, however they are written (``0.5``, ``"0,5"``, ``"50%"``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from .._json import jsonable
from .._model import Node, Ruleset, Text, format_value
from .._numbers import fmt, parse_decimal

SCHEMA = "parrules.diff/1"
ADDED, REMOVED, MOVED, CHANGED = "added", "removed", "moved", "changed"
INDICATOR_ADDED, INDICATOR_REMOVED, INDICATOR_CHANGED = (
    "indicator_added",
    "indicator_removed",
    "indicator_changed",
)
KINDS = {
    ADDED: Text("Thêm", "Added"),
    REMOVED: Text("Bỏ", "Removed"),
    MOVED: Text("Đổi mã", "Moved"),
    CHANGED: Text("Sửa", "Changed"),
    INDICATOR_ADDED: Text("Thêm chỉ tiêu", "Indicator added"),
    INDICATOR_REMOVED: Text("Bỏ chỉ tiêu", "Indicator removed"),
    INDICATOR_CHANGED: Text("Sửa chỉ tiêu", "Indicator changed"),
}
NAMES = {
    "title": Text("tên", "title"),
    "max": Text("điểm tối đa", "max"),
    "owner": Text("phụ trách", "responsible"),
    "rule": Text("quy tắc", "rule"),
    "floor": Text("điểm sàn", "floor"),
    "bonus": Text("điểm thưởng", "bonus"),
    "missing": Text("khi thiếu số liệu", "missing"),
    "not_applicable": Text("khi không áp dụng", "not applicable"),
    "code": Text("mã", "code"),
    "legal": Text("căn cứ pháp lý", "legal basis"),
    "precision": Text("số chữ số thập phân", "precision"),
    "display_precision": Text("số chữ số thập phân hiển thị", "display precision"),
    "ranking": Text("cách xếp hạng", "ranking"),
    "classification": Text("xếp loại", "classification"),
}
NODE_ATTRIBUTES = ("title", "max", "owner", "rule", "floor", "bonus", "missing", "not_applicable")
TOP_ATTRIBUTES = ("title", "legal", "max", "precision", "display_precision", "ranking")


@attrs.frozen
class Difference:
    """One change from ruleset A to ruleset B."""

    kind: str
    code: str | None = None
    """The node's code (in B, or in A for a removed node); None for the ruleset itself."""
    name: str | None = None
    """What changed: a node attribute (``max``), ``params.<key>``, an indicator or a top key."""
    before: Any = None
    after: Any = None

    @property
    def field(self) -> str | None:
        """The field (top-level node) the change belongs to."""
        return None if self.code is None else self.code.split(".")[0]

    def what(self, lang: str = "vi") -> str:
        if self.name is None:
            return ""
        if self.name.startswith("params."):
            return Text("tham số ", "param ").get(lang) + self.name.removeprefix("params.")
        text = NAMES.get(self.name)
        return text.get(lang) if text else self.name


@attrs.frozen
class RulesetDiff:
    """Every difference between ruleset ``a`` and ruleset ``b``, top-level first, then
    indicators, then nodes in code order."""

    a: Ruleset
    b: Ruleset
    differences: tuple[Difference, ...]

    def field(self, code: str) -> tuple[Difference, ...]:
        """The differences within one field, e.g. ``"8"``."""
        return tuple(d for d in self.differences if d.field == code)

    def rows(self, lang: str = "vi") -> list[dict[str, str]]:
        """One row of display texts per difference."""
        return [
            {
                "code": d.code or "",
                "kind": KINDS[d.kind].get(lang),
                "what": d.what(lang),
                "before": _show_node(d.before, lang) if d.kind == REMOVED else show(d.before, lang),
                "after": _show_node(d.after, lang) if d.kind == ADDED else show(d.after, lang),
            }
            for d in self.differences
        ]

    def to_dict(self, lang: str = "vi") -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "a": {"id": self.a.id, "year": self.a.year},
            "b": {"id": self.b.id, "year": self.b.year},
            "differences": [
                {
                    "kind": d.kind,
                    "code": d.code,
                    "field": d.field,
                    "name": d.name,
                    "before": jsonable(d.before),
                    "after": jsonable(d.after),
                }
                for d in self.differences
            ],
        }


def show(value: Any, lang: str = "vi") -> str:
    """A value compactly, as a reader writes it: ``0,5``, ``{gte: 90%, points: 0,25}``."""
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return fmt(value, lang)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {show(v, lang)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + "; ".join(show(v, lang) for v in value) + "]"
    return format_value(value, lang)


def _show_node(summary: Mapping[str, Any], lang: str) -> str:
    """An added or removed node: ``Title — 1 điểm, bands``."""
    points = Text("điểm", "point" if summary["max"] == 1 else "points").get(lang)
    return f"{summary['title']} — {fmt(summary['max'], lang)} {points}, {summary['rule'] or '—'}"


def diff_rulesets(a: Ruleset, b: Ruleset) -> RulesetDiff:
    """The differences from ruleset ``a`` to ruleset ``b``."""
    found = _top(a, b) + _indicators(a, b)
    old = {n.code: n for n in a.flat}
    new = {n.code: n for n in b.flat}
    removed = [c for c in old if c not in new]
    added = [c for c in new if c not in old]
    pairs = [(c, c) for c in new if c in old]
    for before, after in _renumbered(old, new, removed, added):
        removed.remove(before)
        added.remove(after)
        pairs.append((before, after))
        found.append(Difference(MOVED, after, "code", before, after))
    for before, after in pairs:
        found += _node_changes(old[before], new[after])
    found += [Difference(REMOVED, c, None, _summary(old[c]), None) for c in removed]
    found += [Difference(ADDED, c, None, None, _summary(new[c])) for c in added]
    order = list(KINDS)
    found.sort(key=lambda d: (d.code is not None, _code_key(d.code or ""), order.index(d.kind)))
    return RulesetDiff(a, b, tuple(found))


def _code_key(code: str) -> tuple[tuple[int, str], ...]:
    return tuple((int(p), "") if p.isdigit() else (0, p) for p in code.split("."))


def _title_key(node: Node) -> str:
    return " ".join(unicodedata.normalize("NFC", node.title).casefold().split())


def _renumbered(
    old: Mapping[str, Node], new: Mapping[str, Node], removed: list[str], added: list[str]
) -> list[tuple[str, str]]:
    """(old code, new code) of nodes that kept their title, matched one to one."""
    gone: dict[str, list[str]] = {}
    came: dict[str, list[str]] = {}
    for code in removed:
        gone.setdefault(_title_key(old[code]), []).append(code)
    for code in added:
        came.setdefault(_title_key(new[code]), []).append(code)
    return [
        (codes[0], came[title][0])
        for title, codes in gone.items()
        if len(codes) == 1 and len(came.get(title, ())) == 1
    ]


def _summary(node: Node) -> dict[str, Any]:
    return {"title": node.title, "max": node.max, "rule": _rule(node)}


def _rule(node: Node) -> str | None:
    return node.rule or ("appraised" if node.is_leaf else None)


def _plain(value: Any) -> Any:
    """Loaded YAML as plain values (``Located`` mappings become dicts)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _comparable(value: Any) -> Any:
    """Numbers by value however written; texts NFC."""
    if isinstance(value, Mapping):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if isinstance(value, str):
        try:
            return parse_decimal(value, percent=True)
        except ValueError:
            return unicodedata.normalize("NFC", value)
    return value


def _node_changes(a: Node, b: Node) -> list[Difference]:
    found = []
    for name in NODE_ATTRIBUTES:
        before = _rule(a) if name == "rule" else getattr(a, name)
        after = _rule(b) if name == "rule" else getattr(b, name)
        if _comparable(before) != _comparable(after):
            found.append(Difference(CHANGED, b.code, name, before, after))
    if a.is_leaf and b.is_leaf:
        old, new = _plain(a.params), _plain(b.params)
        for key in [*old, *(k for k in new if k not in old)]:
            before, after = old.get(key), new.get(key)
            if _comparable(before) != _comparable(after):
                found.append(Difference(CHANGED, b.code, f"params.{key}", before, after))
    return found


def _indicators(a: Ruleset, b: Ruleset) -> list[Difference]:
    found = []
    for name, old in a.indicators.items():
        new = b.indicators.get(name)
        if new is None:
            found.append(Difference(INDICATOR_REMOVED, None, name, old.label, None))
            continue
        for attribute in ("label", "type", "unit", "choices"):
            before, after = getattr(old, attribute), getattr(new, attribute)
            if before != after:
                found.append(
                    Difference(INDICATOR_CHANGED, None, f"{name}.{attribute}", before, after)
                )
    found += [
        Difference(INDICATOR_ADDED, None, name, None, ind.label)
        for name, ind in b.indicators.items()
        if name not in a.indicators
    ]
    return found


def _top(a: Ruleset, b: Ruleset) -> list[Difference]:
    found = [
        Difference(CHANGED, None, key, getattr(a, key), getattr(b, key))
        for key in TOP_ATTRIBUTES
        if getattr(a, key) != getattr(b, key)
    ]
    before = [{"label": band.label, "min": band.min} for band in a.classification]
    after = [{"label": band.label, "min": band.min} for band in b.classification]
    if before != after:
        found.append(Difference(CHANGED, None, "classification", before, after))
    return found
