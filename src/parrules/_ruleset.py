"""Ruleset YAML → ``Ruleset``: find by id or path, resolve ``extends``, bind rules, validate."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from ._deadline import contained
from ._model import Assumption, Band, Citation, Indicator, Node, Ruleset, Source, Text
from ._numbers import ZERO, parse_decimal
from ._params import Params
from ._plugins import Registry, default_registry
from ._yaml import Located, load_file, one_file_limits
from .errors import ParRulesError, PluginError, RulesetError, RulesetNotFoundError, close_match

INDICATOR_TYPES = (
    "count",
    "number",
    "ratio",
    "bool",
    "date",
    "choice",
    "events",
    "items",
    "answers",
    "text",
)
TOP_KEYS = {
    "id",
    "title",
    "jurisdiction",
    "level",
    "year",
    "legal",
    "max",
    "precision",
    "display_precision",
    "ranking",
    "classification",
    "assumptions",
    "sources",
    "cite",
    "assumed",
    "indicators",
    "nodes",
    "uncertainty",
    "tables",
    "stage_labels",
}
CARD_TABLES = (
    "card",
    "register",
    "details",
    "assumptions",
    "departments",
    "stages",
    "goals",
    "trend",
)
"""The tables ``score`` and ``explain`` can print; a ruleset's ``tables:`` chooses their
default (a programme of goals, say, is read by its goals table, not by a total of points)."""
EXTEND_KEYS = {"extends", "remove", "replace", "add"}
NODE_KEYS = {
    "code",
    "title",
    "title_en",
    "max",
    "owner",
    "cite",
    "assumed",
    "children",
    "rule",
    "params",
    "missing",
    "not_applicable",
    "floor",
    "bonus",
}
SOURCE_KEYS = {"kind", "title", "number", "date", "issuer"}
BAND_KEYS = {"label", "label_en", "min", "cite", "assumed"}
SOURCE_KINDS = ("legal", "report")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_SOURCE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
UNPUBLISHED = "unpublished"
"""``max: unpublished``: the source publishes points but no maximum."""
_RENAMED = {"reference": "write where it is written as 'cite:', a source declared in 'sources:'"}


def _err(
    data: Any,
    key: str | None,
    message: str,
    *,
    code: str | None = None,
    hint: str | None = None,
    field: str | None = None,
) -> RulesetError:
    """An error at ``key`` of ``data`` (its file and line), about ``field`` (default: ``key``)."""
    located = isinstance(data, Located) and key
    line = data.line_of(key) if located else getattr(data, "line", None)
    path = data.path_of(key) if located else getattr(data, "path", None)
    return RulesetError(message, path=path, line=line, code=code, field=field or key, hint=hint)


def known_ids(registry: Registry) -> dict[str, Path]:
    """Every ruleset id the installed plugins ship, with its file. An id two plugins ship with
    different files is left out: loading it is an error naming both (``shipped_twice``)."""
    return _shipped(registry)[0]


def shipped_twice(registry: Registry) -> dict[str, tuple[Path, ...]]:
    """The ruleset ids several installed plugins ship with different files, with the files."""
    return _shipped(registry)[1]


def _shipped(registry: Registry) -> tuple[dict[str, Path], dict[str, tuple[Path, ...]]]:
    found: dict[str, Path] = {}
    twice: dict[str, tuple[Path, ...]] = {}
    for directory in registry.ruleset_dirs:
        for path in sorted(Path(directory).rglob("*.yaml")):
            if path.name.endswith(".cases.yaml"):
                continue
            ruleset_id = path.relative_to(directory).with_suffix("").as_posix()
            if ruleset_id in found and found[ruleset_id].resolve() != path.resolve():
                twice[ruleset_id] = (*twice.get(ruleset_id, (found[ruleset_id],)), path)
            found.setdefault(ruleset_id, path)
    return {i: p for i, p in found.items() if i not in twice}, twice


def shown(path: str | Path, registry: Registry) -> str:
    """How messages name a file: one an installed plugin ships by its place among the installed
    rulesets (``lai-chau/district/2022``, the ruleset's id), never by where it is installed on
    this machine; any other file by the path it was given as."""
    try:
        resolved = Path(path).resolve()
    except (OSError, ValueError):
        return str(path)
    for directory in registry.ruleset_dirs:
        try:
            name = resolved.relative_to(Path(directory).resolve()).as_posix()
        except (OSError, ValueError):
            continue
        return name if name.endswith(".cases.yaml") else name.removesuffix(".yaml")
    return str(path)


def resolve(ref: str | Path, registry: Registry, base: Path | None = None) -> Path:
    """The file of a ruleset given by id (``thai-nguyen/commune/2023``) or by path."""
    text = str(ref)
    candidates = [Path(text)] if base is None else [base / text, Path(text)]
    for candidate in candidates:
        try:
            if candidate.suffix in (".yaml", ".yml") and candidate.is_file():
                return candidate
        except (OSError, ValueError) as exc:  # too long a name, a NUL: not a file it can read
            reason = getattr(exc, "strerror", None) or str(exc)
            raise RulesetNotFoundError(
                f"no ruleset '{text}'", hint=f"{reason.lower()}: give a ruleset id or a path"
            ) from None
    ids, twice = _shipped(registry)
    if text in ids:
        return ids[text]
    if text in twice:
        files = " and ".join(str(f) for f in twice[text])
        msg = f"two installed plugins ship the ruleset '{text}': {files}; uninstall one of them"
        raise PluginError(msg)
    raise RulesetNotFoundError(
        f"no ruleset '{text}'",
        hint=close_match(text, ids) or "give an installed ruleset id (parrules rulesets) or a path",
    )


MAX_EXTENDS = 16
"""Files in one ``extends`` chain (a real one has two or three)."""
MAX_LEVELS = 12
"""Levels of nodes below the ruleset (fields, criteria, sub-criteria, …: real sets use four)."""


def _raw_chain(path: Path, registry: Registry) -> tuple[Located, list[tuple[Path, Any]]]:
    """The ruleset's mapping with its ``extends`` chain applied, and the files read with the
    ``id`` each of them declares, the root of the chain first. The files of a chain are read
    within the limits of one file, together."""
    chain: list[tuple[Path, Located]] = []
    seen: list[Path] = []
    with one_file_limits(shown(path, registry)):
        while True:
            resolved = path.resolve()
            if resolved in seen:
                cycle = " → ".join(shown(p, registry) for p in (*seen, resolved))
                raise RulesetError(f"'extends' forms a cycle: {cycle}", path=shown(path, registry))
            if len(seen) == MAX_EXTENDS:
                raise RulesetError(
                    f"'extends' goes through more than {MAX_EXTENDS} files",
                    path=shown(chain[0][0], registry),
                    hint=f"the chain reached {shown(path, registry)}; merge some of its rulesets",
                )
            seen.append(resolved)
            data = _top(path, shown(path, registry))
            chain.append((path, data))
            if "extends" not in data:
                break
            try:
                path = resolve(data["extends"], registry, base=path.parent)
            except RulesetNotFoundError as exc:
                raise _err(
                    data,
                    "extends",
                    f"the parent ruleset '{data['extends']}' is not found",
                    hint=exc.hint,
                ) from None
    chain.reverse()
    merged = chain[0][1]
    for _, child in chain[1:]:
        merged = _apply_extension(merged, child)
    return merged, [(file, data.get("id")) for file, data in chain]


def _top(path: Path, name: str) -> Located:
    """One file of a chain, its top-level keys checked; ``name``: how messages name it."""
    data = load_file(path, name=name)
    if not isinstance(data, Located):
        raise RulesetError("a ruleset must be a YAML mapping", path=name, line=1)
    unknown = set(data) - TOP_KEYS - EXTEND_KEYS
    for key in sorted(unknown):
        raise _err(data, key, f"unknown key '{key}'", hint=close_match(key, TOP_KEYS | EXTEND_KEYS))
    if "extends" not in data:
        for key in ("remove", "replace", "add"):
            if key in data:
                raise _err(data, key, f"'{key}' is only allowed with 'extends'")
    elif not isinstance(data["extends"], str) or not data["extends"].strip():
        raise _err(data, "extends", "'extends' is a ruleset id or a path")
    return data


def _apply_extension(parent: Located, child: Located) -> Located:
    merged = _overlay(parent, child)
    for key in EXTEND_KEYS:
        merged.pop(key, None)
    if isinstance(child.get("assumptions"), list):  # added to the parent's
        inherited = parent.get("assumptions") or []
        if not isinstance(inherited, list):
            raise _err(parent, "assumptions", "'assumptions' must be a list")
        merged["assumptions"] = [*inherited, *child["assumptions"]]
    for key in ("indicators", "sources"):  # added to the parent's, replacing the same names
        if isinstance(child.get(key), Located):
            inherited = parent.get(key)
            if inherited is not None and not isinstance(inherited, Located):
                raise _err(parent, key, f"'{key}' must be a mapping")
            merged[key] = _overlay(inherited, child[key])
    tree = _Tree(merged)
    for code in _as_list(child, "remove"):
        tree.remove(child, code)
    for node in _as_list(child, "replace"):
        tree.replace(child, node)
    for entry in _as_list(child, "add"):
        tree.add(child, entry)
    merged["nodes"] = tree.top
    return merged


def _overlay(parent: Located | None, child: Located) -> Located:
    """The parent's keys, then the child's over them, each remembering the file and line it was
    written on, so that an error in the merged ruleset names the right one."""
    merged = Located(parent or {})
    merged.path, merged.line = child.path, child.line
    old_lines = parent.lines if parent is not None else {}
    merged.lines = {**old_lines, **child.lines}
    merged.paths = {key: parent.path_of(key) for key in parent} if parent is not None else {}
    merged.update(child)
    merged.paths.update(dict.fromkeys(child, child.path))
    return merged


def _as_list(data: Located, key: str) -> list[Any]:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise _err(data, key, f"'{key}' must be a list")
    return value


class _Tree:
    """The nodes of a ruleset being extended, found by code: each node with the list it is in
    and its level, so that ``remove``, ``replace`` and ``add`` cost no search of the tree."""

    def __init__(self, data: Located) -> None:
        top = data.get("nodes")
        if top is not None and not isinstance(top, list):
            raise _err(data, "nodes", "'nodes' must be a list of nodes")
        self.top: list[Any] = list(top or [])
        self.found: dict[str, tuple[list[Any], Located, int]] = {}
        self._index(self.top, data, "nodes", 1)

    def _index(self, nodes: list[Any], owner: Located, key: str, level: int) -> None:
        """Index ``nodes`` and everything below them, without recursion."""
        stack = [(nodes, owner, key, level)]
        while stack:
            entries, owner, key, level = stack.pop()
            for node in entries:
                if not isinstance(node, Located):
                    raise _err(owner, key, "each node must be a mapping with code, title and max")
                if level > MAX_LEVELS:
                    raise _err(
                        node,
                        "code",
                        f"nodes nested deeper than {MAX_LEVELS} levels",
                        code=str(node.get("code")),
                    )
                self.found.setdefault(str(node.get("code")), (entries, node, level))
                children = node.get("children")
                if children is not None:
                    if not isinstance(children, list):
                        raise _err(node, "children", "'children' must be a list of nodes")
                    stack.append((children, node, "children", level + 1))

    def _forget(self, node: Located) -> None:
        stack = [node]
        while stack:
            gone = stack.pop()
            code = str(gone.get("code"))
            if code in self.found and self.found[code][1] is gone:
                del self.found[code]
            stack.extend(gone.get("children") or [])

    def _position(self, code: str) -> tuple[list[Any], int, int] | None:
        entry = self.found.get(code)
        if entry is None:
            return None
        siblings, node, level = entry
        return siblings, next(i for i, n in enumerate(siblings) if n is node), level

    def remove(self, child: Located, code: Any) -> None:
        found = self._position(str(code))
        if found is None:
            message = f"cannot remove '{code}': no such node in the parent"
            raise _err(child, "remove", message, code=str(code))
        siblings, index, _ = found
        self._forget(siblings.pop(index))

    def replace(self, child: Located, node: Any) -> None:
        if not isinstance(node, Located):
            raise _err(child, "replace", "each 'replace' entry is a node with its 'code'")
        code = str(node.get("code"))
        found = self._position(code)
        if found is None:
            message = f"cannot replace '{code}': no such node in the parent"
            raise _err(node, "code", message, code=code)
        siblings, index, level = found
        self._forget(siblings[index])
        siblings[index] = node
        self._index([node], child, "replace", level)

    def add(self, child: Located, entry: Any) -> None:
        if not isinstance(entry, Located) or ("parent" not in entry and "code" not in entry):
            raise _err(child, "add", "each 'add' entry is a node with a 'parent' code")
        node = Located({k: v for k, v in entry.items() if k not in ("parent", "after")})
        node.path, node.line, node.lines = entry.path, entry.line, entry.lines
        parent_code, code = entry.get("parent"), str(entry.get("code"))
        siblings, level = self.top, 1
        if parent_code is not None:
            parent = self.found.get(str(parent_code))
            if parent is None:
                raise _err(entry, "parent", f"no node '{parent_code}' to add to", code=code)
            holder, level = parent[1], parent[2] + 1
            children = holder.get("children")
            if children is None:  # a leaf becomes a parent
                children = holder["children"] = []
                holder.lines.setdefault("children", entry.line or 0)
            siblings = children
        position = len(siblings)
        after = entry.get("after")
        if after is not None:
            codes = [str(s.get("code")) for s in siblings]
            if str(after) not in codes:
                raise _err(entry, "after", f"no sibling '{after}' to add after", code=code)
            position = codes.index(str(after)) + 1
        siblings.insert(position, node)
        self._index([node], entry, "add", level)


def _sources(data: Located) -> dict[str, Source]:
    raw = data.get("sources")
    if raw is None:
        return {}
    if not isinstance(raw, Located):
        raise _err(data, "sources", "'sources' must be a mapping: id → {kind, title, …}")
    result = {}
    for source_id, spec in raw.items():
        if not _SOURCE_ID.match(source_id):
            raise _err(
                raw,
                source_id,
                f"source id '{source_id}' must be letters, digits, '.', '_', '-' or '/'",
            )
        if not isinstance(spec, Located):
            raise _err(
                raw, source_id, f"source '{source_id}' must be a mapping with kind and title"
            )
        for key in sorted(set(spec) - SOURCE_KEYS):
            raise _err(
                spec,
                key,
                f"unknown key '{key}' in source '{source_id}'",
                hint=close_match(key, SOURCE_KEYS),
            )
        kind = spec.get("kind")
        if kind not in SOURCE_KINDS:
            raise _err(
                spec,
                "kind" if "kind" in spec else None,
                f"source '{source_id}' has kind {kind!r}",
                hint="legal (a decision, circular, guidance) or report (a published report)",
            )
        texts: dict[str, str] = {}
        for key in ("title", "number", "date", "issuer"):
            value = spec.get(key)
            if isinstance(value, dt.date):
                value = value.strftime("%d/%m/%Y")
            if value is None and key != "title":
                continue
            if not isinstance(value, str) or not value.strip():
                raise _err(
                    spec,
                    key if key in spec else None,
                    f"source '{source_id}' needs its '{key}' as a text",
                    hint='quote it: "…"' if value is not None else None,
                )
            texts[key] = value.strip()
        result[source_id] = Source(source_id, kind, **texts)
    return result


def _citations(
    data: Located, sources: Mapping[str, Source], code: str | None = None
) -> tuple[Citation, ...]:
    """``cite:``: a source id, ``{source: id, at: "Điều 3"}``, or a list of them."""
    raw = data.get("cite")
    if raw is None:
        return ()
    entries = raw if isinstance(raw, list) else [raw]
    if not entries:
        raise _err(data, "cite", "'cite' lists no source", code=code)
    result = []
    for entry in entries:
        where, key, at = data, "cite", None
        if isinstance(entry, Located):
            for unknown in sorted(set(entry) - {"source", "at"}):
                raise _err(
                    entry,
                    unknown,
                    f"unknown key '{unknown}' in a citation",
                    code=code,
                    hint="a citation is {source: <id>, at: <article or section>}",
                )
            where, key, at = entry, "source", entry.get("at")
            if at is not None and not (isinstance(at, str) and at.strip()):
                raise _err(entry, "at", "'at' is the article or section, as a text", code=code)
            entry = entry.get("source")
        if not isinstance(entry, str) or entry not in sources:
            raise _err(
                where,
                key,
                f"unknown source {entry!r}",
                code=code,
                hint=close_match(str(entry), sources)
                or "declare it under the top-level 'sources:'",
            )
        result.append(Citation(sources[entry], at.strip() if at else None))
    return tuple(result)


def _text(
    data: Located, key: str, value: Any, code: str | None = None, field: str | None = None
) -> Text:
    """A reason written as a text, or as ``{vi: …, en: …}``."""
    if isinstance(value, str) and value.strip():
        return Text(value.strip(), value.strip())
    if isinstance(value, Mapping) and set(value) <= {"vi", "en"}:
        vi, en = value.get("vi"), value.get("en", value.get("vi"))
        if isinstance(vi, str) and vi.strip() and isinstance(en, str) and en.strip():
            return Text(vi.strip(), en.strip())
    message = f"'{field or key}' needs a reason: a text or {{vi: …, en: …}}"
    raise _err(data, key, message, code=code, field=field)


def _assumed(raw: Located, code: str, params: Mapping[str, Any] | None) -> dict[str, Text]:
    """A node's ``assumed:``: one reason for all its numbers, or a reason per item."""
    value = raw.get("assumed")
    if value is None:
        return {}
    if not isinstance(value, Located) or set(value) <= {"vi", "en"}:
        text = _text(raw, "assumed", value, code)
        return {"max": text, "params": text} if params else {"max": text}
    items = ["max", *(["params", *(f"params.{k}" for k in params)] if params else [])]
    result = {}
    for item, reason in value.items():
        if item not in items:
            raise _err(
                value,
                item,
                f"'{item}' is not a number of node {code} that can be assumed",
                code=code,
                hint=close_match(item, items) or f"one of: {', '.join(items)}",
                field="assumed",
            )
        result[item] = _text(value, item, reason, code, field=f"assumed.{item}")
    return result


def _value_labels(spec: Located, key: str) -> dict[str, Text | None]:
    """An indicator's ``choices`` (or ``kinds`` of events) with the words a reader sees for each:
    a list of values, or a mapping of each value to its label, a text or ``{label: …, label_en:
    …}``."""
    raw = spec.get(key)
    if raw is None:
        return {}
    shape = f"'{key}' is a list of values, or a mapping of each value to its label"
    if isinstance(raw, list):
        if not all(isinstance(v, str) and v for v in raw) or len(set(raw)) != len(raw):
            raise _err(spec, key, shape + " (each value a text, given once)")
        return dict.fromkeys(raw)
    if not isinstance(raw, Mapping) or not raw:
        raise _err(spec, key, shape)
    result: dict[str, Text | None] = {}
    for value, label in raw.items():
        if isinstance(label, str) and label.strip():
            result[str(value)] = Text(label.strip(), label.strip())
            continue
        if isinstance(label, Mapping) and set(label) <= {"label", "label_en"}:
            vi, en = label.get("label"), label.get("label_en", label.get("label"))
            if isinstance(vi, str) and vi.strip() and isinstance(en, str) and en.strip():
                result[str(value)] = Text(vi.strip(), en.strip())
                continue
        where = raw if isinstance(raw, Located) else spec
        raise _err(
            where, value, f"'{key}.{value}' needs a label: a text or {{label: …, label_en: …}}"
        )
    return result


class _Builder:
    def __init__(self, data: Located, registry: Registry, precision: int) -> None:
        self.data = data
        self.registry = registry
        self.precision = precision
        self.indicators = self._indicators(data.get("indicators") or Located())
        self.sources = _sources(data)
        self.origins: dict[str | None, str] = {}
        """The id of each file of the chain, by path."""
        self.codes: dict[str, Any] = {}

    def _indicators(self, raw: Any) -> dict[str, Indicator]:
        if not isinstance(raw, Mapping):
            raise _err(self.data, "indicators", "'indicators' must be a mapping")
        result = {}
        for name, spec in raw.items():
            if not _NAME.match(name):
                raise _err(raw, name, f"indicator name '{name}' must be lower_snake_case")
            if not isinstance(spec, Located):
                raise _err(raw, name, f"indicator '{name}' must be a mapping with label and type")
            unknown = set(spec) - {
                "label",
                "label_en",
                "type",
                "unit",
                "choices",
                "kinds",
                "report_only",
            }
            for key in sorted(unknown):
                raise _err(spec, key, f"unknown key '{key}' in indicator '{name}'")
            kind = spec.get("type")
            if kind not in INDICATOR_TYPES:
                raise _err(
                    spec,
                    "type",
                    f"indicator '{name}' has type {kind!r}",
                    hint=f"one of: {', '.join(INDICATOR_TYPES)}",
                )
            if not isinstance(spec.get("label"), str) or not spec["label"].strip():
                raise _err(spec, "label", f"indicator '{name}' needs a Vietnamese 'label'")
            choices = _value_labels(spec, "choices")
            if (kind == "choice") != bool(choices):
                raise _err(
                    spec,
                    "choices",
                    "a 'choice' indicator, and only it, lists its 'choices'",
                )
            kinds = _value_labels(spec, "kinds")
            if kinds and kind != "events":
                raise _err(spec, "kinds", "only an 'events' indicator lists its 'kinds'")
            result[name] = Indicator(
                name=name,
                label=spec["label"],
                type=kind,
                unit=_optional_text(spec, "unit") or "",
                label_en=_optional_text(spec, "label_en"),
                choices=tuple(choices),
                kinds=tuple(kinds),
                value_labels=tuple((v, t) for v, t in {**choices, **kinds}.items() if t),
                line=spec.line,
                report_only=_flag(spec, "report_only"),
            )
        return result

    def nodes(self, raw: Any, parent: str | None, owner: str | None) -> tuple[Node, ...]:
        if not isinstance(raw, list) or not raw:
            where = f"node {parent}" if parent else "the ruleset"
            raise _err(self.data, "nodes", f"{where} must list its nodes")
        return tuple(self.node(entry, parent, owner) for entry in raw)

    def node(self, raw: Any, parent: str | None, inherited_owner: str | None) -> Node:
        if not isinstance(raw, Located):
            raise _err(
                self.data,
                "nodes",
                "each node must be a mapping with code, title and max",
                code=parent,
            )
        code = raw.get("code")
        if isinstance(code, int) and not isinstance(code, bool):
            code = str(code)
        if not isinstance(code, str) or not code:
            raise _err(
                raw,
                "code",
                f'code {code!r} must be written as text, e.g. "7.10"',
                hint="unquoted 7.10 would be read as the number 7.1",
            )
        for key in sorted(set(raw) - NODE_KEYS):
            raise _err(
                raw,
                key,
                f"unknown key '{key}'",
                code=code,
                hint=_RENAMED.get(key) or close_match(key, NODE_KEYS),
            )
        if code in self.codes:
            raise _err(
                raw,
                "code",
                f"duplicate code '{code}' (first on line {self.codes[code].line})",
                code=code,
            )
        self.codes[code] = raw
        expected_prefix = f"{parent}." if parent else ""
        rest = code[len(expected_prefix) :]
        if not code.startswith(expected_prefix) or not rest or "." in rest:
            where = f"under '{parent}'" if parent else "at the top level"
            raise _err(
                raw,
                "code",
                f"code '{code}' is out of place {where}",
                code=code,
                hint=f"codes nest: a child of '{parent}' is '{parent}.N'"
                if parent
                else "fields have codes without a dot",
            )
        if code.count(".") >= MAX_LEVELS:
            raise _err(raw, "code", f"nodes nested deeper than {MAX_LEVELS} levels", code=code)
        title = raw.get("title")
        if not isinstance(title, str) or not title.strip():
            raise _err(raw, "title", "every node needs a 'title'", code=code)
        maximum = self.maximum(raw, code)
        floor = self._decimal(raw, "floor", code, ZERO)
        if floor > 0 or (maximum is not None and floor > maximum):
            raise _err(raw, "floor", "'floor' must be 0 or below", code=code)
        owner = _optional_text(raw, "owner", code) or inherited_owner
        missing = raw.get("missing", "error")
        if missing not in ("error", "zero", "full", "not_applicable"):
            raise _err(
                raw,
                "missing",
                f"'missing' is {missing!r}",
                code=code,
                hint="one of: error, zero, full, not_applicable",
            )
        not_applicable = raw.get("not_applicable", "full")
        if not_applicable not in ("full", "zero", "rescale"):
            raise _err(
                raw,
                "not_applicable",
                f"'not_applicable' is {not_applicable!r}",
                code=code,
                hint="one of: full, zero, rescale",
            )
        bonus = raw.get("bonus", False)
        if not isinstance(bonus, bool):
            raise _err(raw, "bonus", "'bonus' is true or false", code=code)
        common: dict[str, Any] = {
            "code": code,
            "title": title,
            "max": maximum,
            "owner": owner,
            "title_en": _optional_text(raw, "title_en", code),
            "cite": _citations(raw, self.sources, code),
            "origin": self.origins.get(raw.path, ""),
            "missing": missing,
            "not_applicable": not_applicable,
            "floor": floor,
            "bonus": bonus,
            "path": raw.path,
            "line": raw.line,
        }
        if "children" in raw:
            for key in ("rule", "params"):
                if key in raw:
                    raise _err(raw, key, f"a node with children cannot have '{key}'", code=code)
            common["assumed"] = _assumed(raw, code, None)
            children = self.nodes(raw["children"], code, owner)
            _check_sum(raw, code, maximum, children)
            return Node(children=children, **common)
        rule_name = raw.get("rule", "appraised")
        params = raw.get("params") or Located()
        if not isinstance(params, Mapping):
            raise _err(raw, "params", "'params' must be a mapping", code=code)
        common["assumed"] = _assumed(raw, code, params)
        if maximum is None:
            if rule_name != "appraised" or params:
                raise _err(
                    raw,
                    "rule" if "rule" in raw else "params",
                    "a node with no published 'max' takes its points from the unit file; a rule "
                    "needs a max",
                    code=code,
                    hint="remove 'rule' and 'params', or give the node its max",
                )
            return Node(params=params, **common)
        rule = self.registry.rule(
            str(rule_name), path=raw.path, line=raw.line_of("rule"), code=code, field="rule"
        )
        p = Params(
            params,
            code=code,
            max=maximum,
            floor=floor,
            indicators=self.indicators,
            path=raw.path,
            line=raw.line_of("params"),
            values=rule.values,
        )
        try:
            evaluate = rule.bind(p)
        except ParRulesError:
            raise
        except BaseException as exc:  # a plugin's bug, or its sys.exit(), fails this ruleset
            if not contained(exc):
                raise
            msg = (
                f"rule '{rule.name}' of plugin '{rule.plugin}' failed reading the params of node "
                f"{code} ({raw.path}:{raw.line}): {type(exc).__name__}: {exc}"
            )
            raise PluginError(msg, plugin=rule.plugin) from exc
        p.finish()
        return Node(
            rule=None if evaluate is None else rule.name,
            params=params,
            evaluate=evaluate,
            vector=rule.vector if evaluate is not None else None,
            reads=tuple(p.reads),
            levers=tuple(p.levers.items()),
            relations=tuple(p.relations),
            numbers=p.numbers,
            plugin=rule.plugin if evaluate is not None else None,
            **common,
        )

    def maximum(self, raw: Located, code: str) -> Decimal | None:
        """``max:``, a number of 0 or more, or ``unpublished`` (None) when no source gives one."""
        if raw.get("max") == UNPUBLISHED:
            return None
        maximum = self._decimal(raw, "max", code)
        if maximum < 0:
            raise _err(raw, "max", "'max' cannot be negative", code=code or None)
        return maximum

    def _decimal(
        self, raw: Located, key: str, code: str, default: Decimal | None = None
    ) -> Decimal:
        if key not in raw:
            if default is None:
                raise _err(raw, key, f"'{key}' is required", code=code)
            return default
        try:
            return parse_decimal(raw[key])
        except ValueError as exc:
            raise _err(raw, key, str(exc), code=code) from None


def _check_sum(
    raw: Located, code: str | None, maximum: Decimal | None, children: Sequence[Node]
) -> None:
    """A published max is the sum of its children's (bonus nodes aside), which must then all be
    published; an unpublished max is checked against nothing."""
    if maximum is None:
        return
    counted = [c for c in children if not c.bonus]
    unpublished = [c.code for c in counted if c.max is None]
    whose = "children's" if code else "fields'"
    if unpublished:
        raise _err(
            raw,
            "max",
            f"the {whose} maxima cannot add up to {maximum}: {', '.join(unpublished)} has no "
            "published max",
            code=code,
            hint="write 'max: unpublished' here too, or give every one its max",
        )
    total = sum((c.max for c in counted if c.max is not None), ZERO)
    if total != maximum:
        raise _err(raw, "max", f"the {whose} maxima add up to {total}, not {maximum}", code=code)


def _optional_text(data: Located, key: str, code: str | None = None) -> str | None:
    """A text the ruleset may give (``owner``, ``title_en``, ``legal``, …), or None for none
    (also when empty)."""
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise _err(data, key, f"'{key}' must be a text", code=code, hint='quote it: "…"')
    return value.strip() or None if value else None


def _flag(data: Located, key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise _err(data, key, f"'{key}' is true or false")
    return value


def _classification(data: Located, sources: Mapping[str, Source]) -> tuple[Band, ...]:
    raw = data.get("classification") or []
    if not isinstance(raw, list):
        raise _err(data, "classification", "'classification' must be a list of bands")
    bands = []
    for entry in raw:
        if not isinstance(entry, Located) or not isinstance(entry.get("label"), str):
            raise _err(data, "classification", "each band is {label: …, min: …}")
        for key in sorted(set(entry) - BAND_KEYS):
            raise _err(
                entry, key, f"unknown key '{key}' in a band", hint=close_match(key, BAND_KEYS)
            )
        try:
            minimum = parse_decimal(entry.get("min"))
        except ValueError as exc:
            raise _err(entry, "min", str(exc)) from None
        assumed = _text(entry, "assumed", entry["assumed"]) if "assumed" in entry else None
        bands.append(
            Band(
                entry["label"],
                minimum,
                _optional_text(entry, "label_en"),
                _citations(entry, sources),
                assumed,
                entry.line_of("min"),
            )
        )
    mins = [b.min for b in bands]
    if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
        raise _err(
            data,
            "classification",
            "list the bands from the highest 'min' down, each with a different 'min'",
        )
    return tuple(bands)


def _assumptions(data: Located, sources: Mapping[str, Source]) -> tuple[Assumption, ...]:
    raw = data.get("assumptions") or []
    if not isinstance(raw, list):
        raise _err(data, "assumptions", "'assumptions' must be a list")
    result = []
    for entry in raw:
        if isinstance(entry, str):
            result.append(Assumption(entry))
            continue
        if not isinstance(entry, Located) or "text" not in entry:
            raise _err(data, "assumptions", "each assumption is a text or {text, cite}")
        if "code" in entry:
            raise _err(
                entry,
                "code",
                f"an assumption about node {entry['code']} is written on that node",
                hint="move it to the node as 'assumed:' (the whole node, or {max: …, params: …})",
            )
        for key in sorted(set(entry) - {"text", "cite"}):
            raise _err(
                entry,
                key,
                f"unknown key '{key}' in an assumption",
                hint=_RENAMED.get(key) or "an assumption is {text, cite}",
            )
        text = _text(entry, "text", entry["text"])
        english = text.en if text.en != text.vi else None
        result.append(Assumption(text.vi, _citations(entry, sources), english))
    return tuple(result)


def _int(data: Located, key: str, default: int, low: int, high: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _err(data, key, f"'{key}' must be a whole number from {low} to {high}")
    return value


_CACHE: dict[tuple[str, int], tuple[Registry, tuple[tuple[str, int, int, int], ...], Ruleset]] = {}
"""Rulesets by path and registry; each entry keeps its registry alive, so that no other registry
can be given its ``id``."""


def _stamp(files: Sequence[str | Path]) -> tuple[tuple[str, int, int, int], ...]:
    """What must not change for a cached ruleset to be served: time, size and inode."""
    stats = [(str(f), Path(f).stat()) for f in files]
    return tuple((f, st.st_mtime_ns, st.st_size, st.st_ino) for f, st in stats)


def load_ruleset(ref: str | Path, *, registry: Registry | None = None) -> Ruleset:
    """Load, resolve and validate a ruleset given by id (``thai-nguyen/commune/2023``) or path.

    Rulesets are immutable, so a file loaded before (and unchanged since) is not read again.
    """
    registry = registry or default_registry()
    path = resolve(ref, registry)
    key = (str(path), id(registry))  # as spelt: the ruleset keeps the path it was loaded by
    cached = _CACHE.get(key)
    try:
        if cached is not None and _stamp([f[0] for f in cached[1]]) == cached[1]:
            return cached[2]
    except OSError:
        pass
    ruleset = _load(path, registry)
    _CACHE[key] = (registry, _stamp(ruleset.files), ruleset)
    return ruleset


def _load(path: Path, registry: Registry) -> Ruleset:
    data, files = _raw_chain(path, registry)
    for key in ("id", "title", "year", "max", "nodes"):
        if key not in data:
            raise _err(data, None, f"the ruleset has no '{key}'", hint=f"add a top-level '{key}:'")
    for key in ("id", "title"):  # each where it is written: in any file of the chain
        if not isinstance(data[key], str):
            raise _err(data, key, f"'{key}' must be a text")
    precision = _int(data, "precision", 2, 0, 10)
    builder = _Builder(data, registry, precision)
    chain = tuple(i if isinstance(i, str) else data["id"] for _, i in files)
    builder.origins = {shown(f, registry): i for (f, _), i in zip(files, chain, strict=True)}
    nodes = builder.nodes(data["nodes"], None, None)
    maximum = builder.maximum(data, "")
    _check_sum(data, None, maximum, nodes)
    ranking = data.get("ranking", "competition")
    if ranking not in ("competition", "dense"):
        raise _err(data, "ranking", f"'ranking' is {ranking!r}", hint="competition or dense")
    digest = hashlib.sha256()
    for file, _ in files:
        digest.update(file.read_bytes())
    uncertainty = _uncertainty(data, nodes, builder.indicators, path)
    tables = data.get("tables", [])
    if not isinstance(tables, list) or (not tables and "tables" in data):
        raise _err(data, "tables", "'tables' lists the tables score and explain print by default")
    for name in tables:
        if name not in CARD_TABLES:
            hint = close_match(str(name), CARD_TABLES) or f"one of: {', '.join(CARD_TABLES)}"
            raise _err(data, "tables", f"unknown table '{name}'", hint=hint)
    return Ruleset(
        id=data["id"],
        title=data["title"],
        year=_int(data, "year", 0, 1900, 2200),
        max=maximum,
        nodes=nodes,
        indicators=builder.indicators,
        jurisdiction=_optional_text(data, "jurisdiction") or "",
        level=_optional_text(data, "level") or "",
        legal=_optional_text(data, "legal"),
        precision=precision,
        display_precision=_int(data, "display_precision", 2, 0, 10),
        ranking=ranking,
        classification=_classification(data, builder.sources),
        assumptions=_assumptions(data, builder.sources),
        sources=builder.sources,
        cite=_citations(data, builder.sources),
        assumed=_text(data, "assumed", data["assumed"]) if "assumed" in data else None,
        chain=chain,
        path=str(path),
        files=tuple(str(f) for f, _ in files),
        digest=digest.hexdigest(),
        uncertainty=uncertainty,
        tables=tuple(tables),
        stage_labels=_stage_labels(data),
    )


STAGE_NAMES = ("self", "appraisal", "final")


def _stage_labels(data: Located) -> dict[str, Text]:
    """``stage_labels:``: what a stage holds, where it is not a self-assessment, an appraisal
    and a final score (a programme review: the check computed from the report's data, and the
    report's own verdict)."""
    raw = data.get("stage_labels")
    if raw is None:
        return {}
    if not isinstance(raw, Located) or not raw:
        message = "'stage_labels' maps a stage (self, appraisal, final) to its label"
        raise _err(data, "stage_labels", message)
    result = {}
    for stage, label in raw.items():
        if stage not in STAGE_NAMES:
            hint = close_match(str(stage), STAGE_NAMES) or "self, appraisal or final"
            raise _err(raw, stage, f"unknown stage '{stage}'", field="stage_labels", hint=hint)
        result[stage] = _text(raw, stage, label, field=f"stage_labels.{stage}")
    return result


def _uncertainty(
    data: Located, nodes: tuple[Node, ...], indicators: Mapping[str, Indicator], path: Path
) -> Any:
    from ._variation import location, read_uncertainty

    found: dict[str, Node] = {}

    def walk(level: tuple[Node, ...]) -> None:
        for node in level:
            found[node.code] = node
            walk(node.children)

    walk(nodes)

    def fail(entry: Any, key: str | None, message: str, hint: str | None = None) -> RulesetError:
        return RulesetError(
            message,
            path=getattr(entry, "path", None) or getattr(data, "path", None),
            line=location(entry, key) or data.line_of("uncertainty"),
            field=f"uncertainty.{key}" if key else "uncertainty",
            hint=hint,
        )

    return read_uncertainty(
        data.get("uncertainty"),
        nodes=found,
        indicators=indicators,
        fail=fail,
        alternatives=True,
        base=str(path.parent),
    )


def unused_indicators(ruleset: Ruleset) -> Sequence[str]:
    """Declared indicators no rule reads (a warning, not an error)."""
    read = {name for node in ruleset.flat for name in node.reads}
    return [name for name in ruleset.indicators if name not in read]
