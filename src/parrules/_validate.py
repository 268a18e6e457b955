"""Static verification of a ruleset file: every finding at once, each with file, line and node.

Loading a ruleset stops at its first error; a province writing next year's set wants the whole
list, and wants to hear about what loads but cannot be right: a band table that never gives
full points, an indicator nobody reads, a late report that costs more than a missing one. The
checks reuse the loader's own validation node by node, so an error here is the error the loader
would raise, and add warnings the loader does not raise.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ._model import Indicator, Node, Source
from ._numbers import ONE, ZERO, parse_decimal
from ._plugins import BUILTIN_PLUGINS, Registry, default_registry
from ._ruleset import (
    MAX_EXTENDS,
    _assumptions,
    _Builder,
    _check_sum,
    _citations,
    _classification,
    _raw_chain,
    _sources,
    load_ruleset,
    resolve,
    shown,
)
from ._yaml import Located, load_file
from .errors import InputError, ParRulesError, RulesetError, RulesetNotFoundError

ERROR, WARNING = "error", "warning"

CHECKS = {
    "yaml": "the file cannot be read as YAML",
    "load": "the loader rejects the ruleset",
    "extends": "an 'extends' chain with a cycle or a missing parent",
    "indicator": "an indicator declared wrongly",
    "duplicate-code": "a node code used twice",
    "code-hierarchy": "a code not nested under its parent's code",
    "node": "a node field with a wrong value",
    "sum": "children's maxima not adding up to their parent's max",
    "unknown-rule": "a rule no installed plugin provides",
    "undeclared-indicator": "an indicator read by a rule but not declared",
    "bands": "bands with a gap, an overlap or points against the direction",
    "params": "a rule's params that are invalid or contradict each other",
    "rule-failure": "a rule that crashed while reading its params",
    "unused-indicator": "an indicator declared but never read",
    "unreachable-max": "a node whose max no input can reach",
    "contradictory-params": "params that load but contradict each other",
    "legal-reference": "no legal reference for the ruleset or an assumption",
    "citation": "a source declared wrongly, or a citation of a source not declared",
    "classification": "a classification band no total can reach",
    "uncited": "a number a reader sees that cites no source and is not assumed (--strict)",
    "rule-name": "a plugin's rule whose name has no '<province>.' prefix (--strict)",
}
"""Every kind of finding, by its code, with what it means."""


@attrs.frozen
class Finding:
    """One problem of a ruleset: how serious, which check, where, and what to do."""

    severity: str
    check: str
    message: str
    path: str | None = None
    line: int | None = None
    code: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.path and self.line else (self.path or "?")
        node = f"node {self.code}: " if self.code else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}: {self.severity} [{self.check}] {node}{self.message}{hint}"


def _from_error(exc: InputError, check: str) -> Finding:
    field = f"'{exc.field}': " if exc.field and exc.field not in exc.message else ""
    return Finding(ERROR, check, field + exc.message, exc.path, exc.line, exc.code, exc.hint)


class _Recorder(dict[str, Indicator]):
    """The declared indicators, remembering the names a rule asked for that are not declared."""

    def __init__(self, declared: Mapping[str, Indicator]) -> None:
        super().__init__(declared)
        self.missing: list[str] = []

    def get(self, name: str, default: Any = None) -> Any:
        if name not in self:
            self.missing.append(name)
        return super().get(name, default)


class _Validator:
    def __init__(self, registry: Registry, strict: bool = False) -> None:
        self.registry = registry
        self.strict = strict
        self.findings: list[Finding] = []
        self.read: set[str] = set()
        self.broken: set[str] = set()
        """Indicators declared wrongly: a rule reading one has already been reported."""

    def add(
        self,
        severity: str,
        check: str,
        message: str,
        where: Any = None,
        key: str | None = None,
        *,
        code: str | None = None,
        hint: str | None = None,
    ) -> None:
        located = isinstance(where, Located) and key
        line = where.line_of(key) if located else None
        if line is None:
            line = getattr(where, "line", None)
        path = where.path_of(key) if located else getattr(where, "path", None)
        self.findings.append(Finding(severity, check, message, path, line, code, hint))

    def error(self, exc: InputError, check: str) -> None:
        self.findings.append(_from_error(exc, check))

    # The extends chain, walked here (not by the loader) to put the finding on the right line.
    def chain(self, path: Path) -> Located | None:
        seen: list[Path] = []
        current = path
        while True:
            try:
                data = load_file(current, name=shown(current, self.registry))
            except InputError as exc:
                self.error(exc, "yaml")
                return None
            if not isinstance(data, Located):
                message = "a ruleset must be a YAML mapping"
                where = shown(current, self.registry)
                self.findings.append(Finding(ERROR, "load", message, where, 1))
                return None
            seen.append(current.resolve())
            if "extends" not in data or len(seen) > MAX_EXTENDS:  # the loader names a long chain
                break
            try:
                parent = resolve(data["extends"], self.registry, base=current.parent)
            except RulesetNotFoundError as exc:
                self.add(
                    ERROR,
                    "extends",
                    f"the parent ruleset '{data['extends']}' is not found",
                    data,
                    "extends",
                    hint=exc.hint,
                )
                return None
            if parent.resolve() in seen:
                names = " → ".join(p.name for p in [*seen, parent.resolve()])
                self.add(ERROR, "extends", f"'extends' forms a cycle: {names}", data, "extends")
                return None
            current = parent
        try:
            merged, _ = _raw_chain(path, self.registry)
        except InputError as exc:
            self.error(exc, "extends")
            return None
        return merged

    def indicators(self, data: Located) -> dict[str, Indicator]:
        raw = data.get("indicators") or Located()
        if not isinstance(raw, Located):
            self.add(ERROR, "indicator", "'indicators' must be a mapping", data, "indicators")
            return {}
        result: dict[str, Indicator] = {}
        for name, spec in raw.items():
            single = Located({name: spec})
            single.path, single.line = raw.path_of(name), raw.line
            single.lines = {name: raw.lines[name]}
            probe = Located(data)
            probe.path, probe.line, probe.lines = data.path, data.line, data.lines
            probe["indicators"] = single
            probe.pop("sources", None)  # checked on their own
            try:
                result.update(_Builder(probe, self.registry, 2).indicators)
            except RulesetError as exc:
                self.error(exc, "indicator")
                self.broken.add(name)
        return result

    def ruleset(self, data: Located) -> None:
        if not (isinstance(data.get("legal"), str) and data["legal"].strip()):
            self.add(
                WARNING,
                "legal-reference",
                "the ruleset names no legal act ('legal:')",
                data,
                "legal",
                hint="add the decision that issues the criteria, e.g. Quyết định số …/QĐ-UBND",
            )
        indicators = self.indicators(data)
        sources = self.sources(data)
        probe = Located(data)
        probe.path, probe.line, probe.lines = data.path, data.line, data.lines
        probe["indicators"] = Located()
        probe.pop("sources", None)
        builder = _Builder(probe, self.registry, 2)
        builder.indicators, builder.sources = indicators, sources
        nodes = data.get("nodes")
        known, maximum = self.maximum(builder, data, "")
        if not isinstance(nodes, list) or not nodes:
            self.add(ERROR, "node", "the ruleset must list its nodes", data, "nodes")
        else:
            self.sum(data, None, known, maximum, self.nodes(builder, nodes, None))
        try:
            _citations(data, sources)
        except RulesetError as exc:
            self.error(exc, "citation")
        self.classification(data, maximum, sources)
        self.assumptions(data, sources)
        if self.strict and maximum is not None and "assumed" not in data:
            try:
                cited = bool(_citations(data, sources))
            except RulesetError:
                cited = True  # reported above
            if not cited:
                self.add(
                    WARNING,
                    "uncited",
                    "the ruleset's 'max' cites no source and is not assumed",
                    data,
                    "max",
                    hint="add a top-level 'cite:', or 'assumed: <why>'",
                )
        for name, indicator in indicators.items():
            if name not in self.read and not indicator.report_only:
                spec = data["indicators"][name]
                self.add(
                    WARNING,
                    "unused-indicator",
                    f"indicator '{name}' is declared but no rule reads it",
                    spec,
                    hint="remove it, read it in a node's params, or mark it 'report_only: true'",
                )

    def sources(self, data: Located) -> dict[str, Source]:
        """The declared sources, each checked on its own so that one mistake hides no other."""
        raw = data.get("sources")
        if not isinstance(raw, Located):
            try:
                return _sources(data)
            except RulesetError as exc:
                self.error(exc, "citation")
                return {}
        result: dict[str, Source] = {}
        for source_id in raw:
            one = Located({source_id: raw[source_id]})
            one.path, one.line = raw.path_of(source_id), raw.line
            one.lines = {source_id: raw.lines[source_id]}
            try:
                result.update(_sources(Located(sources=one)))
            except RulesetError as exc:
                self.error(exc, "citation")
                result[source_id] = Source(source_id, "report", source_id)  # cited: no finding
        return result

    def maximum(self, builder: _Builder, raw: Located, code: str) -> tuple[bool, Decimal | None]:
        """Whether the max could be read, and the max (None when unpublished)."""
        try:
            return True, builder.maximum(raw, code)
        except RulesetError as exc:
            self.error(exc, "node")
            return False, None

    def sum(
        self,
        raw: Located,
        code: str | None,
        known: bool,
        maximum: Decimal | None,
        children: list[Node] | None,
    ) -> None:
        if known and children is not None:
            try:
                _check_sum(raw, code, maximum, children)
            except RulesetError as exc:
                self.error(exc, "sum")

    def nodes(
        self, builder: _Builder, raw_nodes: list[Any], parent: str | None
    ) -> list[Node] | None:
        """Check each node on its own; return them (without their children) if all are read."""
        built = [self.node(builder, raw, parent) for raw in raw_nodes]
        return None if None in built else [n for n in built if n is not None]

    def node(self, builder: _Builder, raw: Any, parent: str | None) -> Node | None:
        if not isinstance(raw, Located):
            self.add(ERROR, "node", "each node must be a mapping with code, title and max", None)
            return None
        has_children = "children" in raw
        alone = Located({k: v for k, v in raw.items() if k != "children"})
        alone.path, alone.line, alone.lines = raw.path, raw.line, raw.lines
        if has_children:
            for key in ("rule", "params"):
                if key in raw:
                    self.add(
                        ERROR,
                        "node",
                        f"a node with children cannot have '{key}'",
                        raw,
                        key,
                        code=str(raw.get("code")),
                    )
                    alone.pop(key)
        built = self.build(builder, alone, parent)
        if built is None:
            # The children are still checked when their parent's code can be read.
            code = raw.get("code")
            if has_children and isinstance(code, str | int) and isinstance(raw["children"], list):
                self.nodes(builder, raw["children"], str(code))
            return None
        if self.strict:
            self.uncited(built, raw)
            self.rule_name(built, raw)
        if not has_children:
            self.leaf(built)
            return built
        children = raw["children"]
        if not isinstance(children, list) or not children:
            self.add(ERROR, "node", "'children' must list the sub-criteria", raw, "children")
            return built
        self.sum(raw, built.code, True, built.max, self.nodes(builder, children, built.code))
        return built

    def build(self, builder: _Builder, raw: Located, parent: str | None) -> Node | None:
        """The loader's own checks of one node (binding its rule), as findings."""
        recorder = _Recorder(builder.indicators)
        builder.indicators = recorder
        try:
            node = builder.node(raw, parent, None)
        except RulesetError as exc:
            if not (recorder.missing and set(recorder.missing) <= self.broken):
                self.error(exc, self.classify(exc, recorder))
            self.read.update(_names(raw.get("params"), recorder))
            return None
        except ParRulesError as exc:  # the loader's PluginError: a rule crashed on its params
            self.add(ERROR, "rule-failure", str(exc), raw, "params", code=str(raw.get("code")))
            return None
        except Exception as exc:
            rule = raw.get("rule")
            message = f"rule '{rule}' crashed reading its params: {type(exc).__name__}: {exc}"
            self.add(ERROR, "rule-failure", message, raw, "params", code=str(raw.get("code")))
            return None
        finally:
            builder.indicators = dict(recorder)
        self.read.update(node.reads)
        return node

    @staticmethod
    def classify(exc: RulesetError, recorder: _Recorder) -> str:
        field = exc.field or ""
        if field == "code":
            return "duplicate-code" if exc.message.startswith("duplicate") else "code-hierarchy"
        if field == "rule":
            return "unknown-rule"
        if field in ("cite", "source", "at"):
            return "citation"
        if field.startswith("params"):
            if recorder.missing:
                return "undeclared-indicator"
            return "bands" if field == "params.bands" else "params"
        return "node"

    def uncited(self, node: Node, raw: Located) -> None:
        """Each number of the node a reader sees that neither its ``cite`` nor an ``assumed``
        item covers."""
        params = raw.get("params")
        items: list[tuple[str, Any, str]] = [("max", raw, "max")] if node.max is not None else []
        items += [(f"params.{key}", params, key) for key in node.numbers]
        for item, where, key in items:
            if node.cite or node.assumption(item) is not None:
                continue
            self.add(
                WARNING,
                "uncited",
                f"'{item}' cites no source and is not assumed",
                where,
                key,
                code=node.code,
                hint=f"give the node a 'cite:', or 'assumed: {{{item}: <why>}}'",
            )

    def rule_name(self, node: Node, raw: Located) -> None:
        """A plugin's rule is named ``<province>.<rule>``: two provinces' rules then never
        clash, and a missing rule tells which plugin to install."""
        if node.rule is None or node.plugin in BUILTIN_PLUGINS or "." in node.rule.strip("."):
            return
        self.add(
            WARNING,
            "rule-name",
            f"rule '{node.rule}' of plugin '{node.plugin}' has no '<province>.' prefix",
            raw,
            "rule",
            code=node.code,
            hint=f"name it '{node.plugin}.{node.rule}' in the plugin, as its rules should be",
        )

    def leaf(self, node: Node) -> None:
        if node.rule is None or node.plugin not in BUILTIN_PLUGINS:
            return
        for severity, check, message, key in _analyse(node):
            params = node.params
            where = params if isinstance(params, Located) and key in params else None
            line = where.line_of(key) if where is not None and key else node.line
            self.findings.append(
                Finding(severity, check, message, node.path, line, node.code, None)
            )

    def classification(
        self, data: Located, maximum: Decimal | None, sources: Mapping[str, Source]
    ) -> None:
        try:
            bands = _classification(data, sources)
        except RulesetError as exc:
            self.error(exc, self.classify_other(exc, "classification"))
            return
        for band in bands:
            if self.strict and not band.cite and band.assumed is None:
                message = f"the 'min' of the band '{band.label}' cites no source and is not assumed"
                self.findings.append(
                    Finding(
                        WARNING,
                        "uncited",
                        message,
                        data.path_of("classification"),
                        band.line,
                        None,
                        "give the band a 'cite:', or 'assumed: <why>'",
                    )
                )
            if maximum is not None and band.min > maximum:
                self.add(
                    WARNING,
                    "classification",
                    f"'{band.label}' needs at least {band.min} of a maximum of {maximum}",
                    data,
                    "classification",
                )

    @staticmethod
    def classify_other(exc: RulesetError, check: str) -> str:
        return "citation" if exc.field in ("cite", "source", "at") else check

    def assumptions(self, data: Located, sources: Mapping[str, Source]) -> None:
        raw = data.get("assumptions") or []
        for entry in raw if isinstance(raw, list) else [raw]:
            single = Located(data)
            single.path, single.line, single.lines = data.path, data.line, data.lines
            single["assumptions"] = [entry]
            try:
                found = _assumptions(single, sources)
            except RulesetError as exc:
                self.error(exc, self.classify_other(exc, "load"))
                continue
            if not found[0].cite:
                self.add(
                    WARNING,
                    "legal-reference",
                    "an assumption that cites no source ('cite:')",
                    entry if isinstance(entry, Located) else data,
                    None if isinstance(entry, Located) else "assumptions",
                )


def _names(value: Any, declared: Mapping[str, Indicator]) -> Iterator[str]:
    """Declared indicator names written anywhere in params that could not be bound: they are
    meant to be read, so they are not reported as unused."""
    if isinstance(value, str) and value in declared:
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _names(item, declared)
    elif isinstance(value, list):
        for item in value:
            yield from _names(item, declared)


def _numbers(params: Mapping[str, Any], key: str, percent: bool = False) -> dict[str, Decimal]:
    raw = params.get(key) or {}
    return {str(k): parse_decimal(v, percent=percent) for k, v in raw.items()}


def _analyse(node: Node) -> Iterator[tuple[str, str, str, str | None]]:
    """Warnings about one bound built-in rule: (severity, check, message, param key)."""
    p, rule, maximum = node.params, node.rule, node.full
    if (
        rule in ("ratio", "bands")
        and p.get("numerator")
        and p.get("numerator") == p.get("denominator")
    ):
        yield WARNING, "contradictory-params", "the numerator is the denominator", "numerator"
    if rule == "bands":
        yield from _analyse_bands(node)
    elif rule == "choice":
        best = max(_numbers(p, "points").values())
        if best < maximum:
            message = f"no choice gives the max {maximum}; the best gives {best}"
            yield WARNING, "unreachable-max", message, "points"
    elif rule == "survey" and "weights" in p:
        best = max(_numbers(p, "weights", percent=True).values())
        if best < ONE:
            message = f"no answer has weight 1, so at most {maximum * best} of {maximum}"
            yield WARNING, "unreachable-max", message, "weights"
    elif rule == "check":
        otherwise = parse_decimal(p.get("otherwise", 0))
        if otherwise == maximum:
            message = "'otherwise' gives the max: the node can never lose points"
            yield WARNING, "contradictory-params", message, "otherwise"
        conditions = p.get("all_of", p.get("any_of"))
        written = [str(c) for c in conditions] if isinstance(conditions, list) else []
        if len(set(written)) < len(written):
            yield WARNING, "contradictory-params", "a condition is listed twice", None
    elif rule == "trend":
        if "deduction" in p and parse_decimal(p["deduction"]) == 0:
            message = "'deduction' is 0: the node can never lose points"
            yield WARNING, "contradictory-params", message, "deduction"
        if p.get("current") == p.get("previous"):
            message = "'current' and 'previous' are the same indicator"
            yield WARNING, "contradictory-params", message, "previous"
    elif rule == "deadline":
        late = parse_decimal(p["late"])
        missing = parse_decimal(p["missing"]) if "missing" in p else maximum
        if late > missing:
            message = f"a late item costs {late}, more than a missing one ({missing})"
            yield WARNING, "contradictory-params", message, "late"
    elif rule == "per_event" and all(v == 0 for v in _numbers(p, "severity").values()):
        message = "every severity is 0: the node can never lose points"
        yield WARNING, "contradictory-params", message, "severity"


def _analyse_bands(node: Node) -> Iterator[tuple[str, str, str, str | None]]:
    p, maximum = node.params, node.full
    points: list[Decimal] = []
    lowest: tuple[Decimal, Decimal] | None = None  # (where the band starts, its points)
    for band in p["bands"]:
        if band["points"] == "proportional":
            # max × value, for a fraction: the band holding 100% reaches the max
            top = band.get("lte", band.get("lt"))
            reach = ONE if top is None else min(ONE, parse_decimal(top, percent=True))
            points.append(maximum * reach)
            given = ZERO
        else:
            given = parse_decimal(band["points"])
            points.append(given)
        low = band.get("gte", band.get("gt"))
        start = Decimal("-Infinity") if low is None else parse_decimal(low, percent=True)
        if lowest is None or start < lowest[0]:
            lowest = (start, given)
    best = max(points)
    if best < maximum:
        message = f"no band gives the max {maximum}; the best gives {best}"
        yield WARNING, "unreachable-max", message, "bands"
    lower_is_better = p.get("direction") == "lower_is_better"
    if (
        p.get("zero_denominator") == "zero"
        and not lower_is_better
        and lowest is not None
        and lowest[1] > 0
    ):
        message = (
            f"zero_denominator: zero gives 0, less than the lowest band ({lowest[1]}): "
            "a unit with one failed case would score more than one with none"
        )
        yield WARNING, "contradictory-params", message, "zero_denominator"


def validate(
    ref: str | Path, *, registry: Registry | None = None, strict: bool = False
) -> tuple[Finding, ...]:
    """Every finding for the ruleset given by id or path, errors and warnings, in file order.

    ``strict`` adds a warning (check ``uncited``) for every number a reader sees — the ruleset's
    max, each node's max, each band's min, each number a rule's params hold — that cites no
    source and is not declared an assumption. An empty result means the ruleset loads and no
    check has anything to say.
    """
    registry = registry or default_registry()
    try:
        path = resolve(ref, registry)
    except RulesetNotFoundError as exc:
        return (attrs.evolve(_from_error(exc, "load"), path=str(ref)),)
    checker = _Validator(registry, strict)
    data = checker.chain(path)
    if data is not None:
        checker.ruleset(data)
    errors = {(f.path, f.line) for f in checker.findings if f.severity == ERROR}
    if not any(f.check in ("yaml", "extends") for f in checker.findings):
        try:
            load_ruleset(path, registry=registry)
        except InputError as exc:
            if (exc.path, exc.line) not in errors:
                checker.error(exc, "load")
        except Exception as exc:  # a plugin's bind crashing: reported above as rule-failure
            if not any(f.check == "rule-failure" for f in checker.findings):
                message = f"the ruleset cannot be loaded: {type(exc).__name__}: {exc}"
                checker.findings.append(Finding(ERROR, "load", message, shown(path, registry)))
    unique = dict.fromkeys(checker.findings)
    return tuple(sorted(unique, key=lambda f: (f.path or "", f.line or 0)))
