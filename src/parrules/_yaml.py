"""The one place YAML is read: a safe loader that keeps line numbers and refuses data loss.

Mappings come back as ``Located`` dicts that know the line of each key, so every later error can
name ``file:line``. Floats keep their written text (``Decimal("19.86")``), duplicate keys,
aliases and tags are errors, and input size, nesting depth and node count are bounded
(``Limits``).

Plain scalars are read with the YAML 1.2 core rules, not YAML 1.1's, so that nothing typed by hand
changes meaning behind the writer's back: only ``true``/``false`` are booleans (``yes``, ``no``,
``on``, ``off`` stay text), only plain decimal digits are numbers (``010``, ``0x1F``, ``1_000``,
``1e3`` and the base-60 ``1:30`` stay text, and are refused where a number is expected).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from ._files import Unreadable, read_bounded
from ._numbers import MAX_DIGITS, check_magnitude
from ._text import HINT, hidden_character
from .errors import YamlError


@attrs.frozen
class Limits:
    """Bounds on one input, so that hostile input costs bounded time and memory: the size,
    nesting and values of one YAML file (a ruleset and the rulesets it extends count as one),
    and the time to score one unit.

    The defaults are far above any real ruleset or unit file (a 150-criterion ruleset is about
    40 kB and 5,000 nodes) and keep the worst case to about two seconds. Aliases are always
    refused, so no document can expand beyond its own size.
    """

    max_bytes: int = 1024 * 1024
    max_depth: int = 64
    max_nodes: int = 50_000
    max_seconds: float = 5.0
    """Seconds to score one unit, all its stages, and to write its explanations: a rule that
    never returns fails its unit (``RuleFailure``) instead of stopping the batch. 0: no bound."""


DEFAULT_LIMITS = Limits()
_LIMITS: contextvars.ContextVar[Limits] = contextvars.ContextVar(
    "parrules_yaml_limits", default=DEFAULT_LIMITS
)


def current_limits() -> Limits:
    """The limits in force for this thread or task."""
    return _LIMITS.get()


@contextlib.contextmanager
def yaml_limits(limits: Limits) -> Iterator[Limits]:
    """Apply other limits to every file read inside the block (rulesets and units alike)::

    with parrules.yaml_limits(parrules.Limits(max_bytes=10 * 1024 * 1024)):
        unit = parrules.load_unit(path)
    """
    token = _LIMITS.set(limits)
    try:
        yield limits
    finally:
        _LIMITS.reset(token)


@attrs.define
class _Spent:
    """What the files read together have used of one file's limits."""

    first: str
    bytes: int = 0
    nodes: int = 0


_SHARED: contextvars.ContextVar[_Spent | None] = contextvars.ContextVar(
    "parrules_yaml_shared", default=None
)


@contextlib.contextmanager
def one_file_limits(first: str | Path) -> Iterator[None]:
    """Every file read inside the block counts against the limits of one file, together: a
    ruleset (``first``) and the rulesets it extends cost at most what one file may."""
    token = _SHARED.set(_Spent(str(first)))
    try:
        yield
    finally:
        _SHARED.reset(token)


def _together(what: str, spent: _Spent) -> str:
    return f"{what} in {spent.first} and the rulesets it extends, together"


class Located(dict[str, Any]):
    """A mapping from YAML that remembers where it and each of its keys were written."""

    path: str | None = None
    line: int | None = None
    lines: dict[str, int]
    paths: dict[str, str | None]

    def line_of(self, key: str) -> int | None:
        return self.lines.get(key, self.line)

    def path_of(self, key: str) -> str | None:
        """The file ``key`` was written in: a ruleset that extends another mixes the keys of
        both files (``paths``, set by the merge), every other mapping is one file's."""
        paths: dict[str, str | None] = self.__dict__.get("paths", {})
        return paths.get(key, self.path)


class _PyEvents(Reader, Scanner, Parser):
    """The events parsed in Python, for PyYAML built without libyaml."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)


class _Checks(Composer, SafeConstructor, Resolver):
    """Line numbers, exact decimals, YAML 1.2 scalars and no duplicate keys, aliases or tags,
    whichever parser gives the events: composing the nodes stays in Python, where aliases,
    anchors, tags, depth and size are checked."""

    def init_checks(self) -> None:
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)

    peek_event: Callable[[], Any]  # given by the parser the events come from
    dispose: Callable[[], None]
    source: str | None = None
    text: str = ""
    limits: Limits = DEFAULT_LIMITS
    _depth: int = 0
    _flow: int = 0
    _nodes: int = 0

    def error(self, message: str, mark: Any, hint: str | None = None) -> YamlError:
        return YamlError(message, path=self.source, line=mark.line + 1, hint=hint)

    def compose_node(self, parent: Any, index: Any) -> Any:
        event: Any = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise self.error(
                "YAML aliases (*name) are not accepted", event.start_mark, "write the value out"
            )
        if getattr(event, "anchor", None) is not None:
            raise self.error(
                f"YAML anchors (&{event.anchor}) are not accepted",
                event.start_mark,
                "remove the anchor: values cannot be shared",
            )
        if getattr(event, "tag", None) is not None:
            raise self.error(
                f"the tag '{event.tag}' is not accepted: files are data, never objects",
                event.start_mark,
                'quote the value ("…") to make it a text',
            )
        self._nodes += 1
        if self._nodes > self.limits.max_nodes:
            what, spent = f"more than {self.limits.max_nodes} values", _SHARED.get()
            raise self.error(
                _together(what, spent) if spent else f"{what} in one file",
                event.start_mark,
                "split the file, or raise the limit (parrules.Limits)",
            )
        if self._depth >= self.limits.max_depth:
            raise self.error(
                f"nesting deeper than {self.limits.max_depth} levels", event.start_mark
            )
        if isinstance(event, yaml.ScalarEvent):
            self._same_for_both_parsers(event)
        flow = bool(getattr(event, "flow_style", False))
        self._depth += 1
        self._flow += flow
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
            self._flow -= flow

    def _same_for_both_parsers(self, event: yaml.ScalarEvent) -> None:
        """Refuse what libyaml accepts and the Python parser does not (the Python parser has
        already refused it), so that a file is read the same with and without libyaml."""
        if not event.style and self._flow and "?" in event.value:
            raise self.error(
                "a '?' in a text without quotes inside [ ] or { }",
                event.start_mark,
                'quote the text: "…"',
            )
        mark: Any = event.start_mark
        if event.style in ("|", ">") and _COMMENT_AFTER_INDICATOR.match(self.text, mark.index):
            raise self.error(
                f"a comment right after '{event.style}'",
                mark,
                "leave a space before the '#'",
            )

    def resolve(self, kind: Any, value: str, implicit: tuple[bool, bool]) -> str:
        """The tag of a node, asked for each node of a file. A plain scalar's depends on its text
        alone: the texts a file repeats (``true``, ``1``, codes) are resolved once. Any other
        node's depends on its kind alone (no path resolvers are added)."""
        if kind is not yaml.ScalarNode:
            return _MAP if kind is yaml.MappingNode else _SEQ
        if not implicit[0]:
            return _STR
        tag = _RESOLVED.get(value)
        if tag is None:
            tag = str(super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]
            if len(value) <= 32 and len(_RESOLVED) < 4096:
                _RESOLVED[value] = tag
        return tag

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        """The value of a node. Aliases are refused, so every document is a tree: the
        bookkeeping PyYAML's constructor does for shared and recursive values is not needed."""
        kind = type(node)
        if kind is yaml.MappingNode:
            return self.construct_mapping(node)
        if kind is yaml.SequenceNode:
            return [self.construct_object(item) for item in node.value]
        constructor = self.yaml_constructors.get(node.tag)
        if constructor is None:
            return _refuse(self, node.tag, node)
        return constructor(self, node)

    def measure(self, root: Any) -> None:
        """Count a document composed in C against the limits, as ``compose_node`` counts the
        nodes it composes; beyond them, ``_Beyond`` (the document is then composed again event
        by event, to say where)."""
        stack = [(root, 0)]
        nodes, most, deepest = self._nodes, self.limits.max_nodes, self.limits.max_depth
        scalar, mapping, sequence = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode
        while stack:
            node, depth = stack.pop()
            nodes += 1
            if nodes > most or depth >= deepest:
                raise _Beyond
            kind = type(node)
            if kind is not mapping and kind is not sequence:
                continue  # a scalar, or no document
            inside = [n for pair in node.value for n in pair] if kind is mapping else node.value
            if inside and depth + 1 >= deepest:
                raise _Beyond
            for child in inside:  # a scalar is counted here, not stacked
                if type(child) is scalar:
                    nodes += 1
                else:
                    stack.append((child, depth + 1))
        if nodes > most:
            raise _Beyond
        self._nodes = nodes

    def construct_mapping(self, node: Any, deep: bool = False) -> Located:  # type: ignore[override]
        if not isinstance(node, yaml.MappingNode):
            raise self.error("expected a mapping", node.start_mark)
        result = Located()
        result.path = self.source
        result.line = node.start_mark.line + 1
        lines: dict[str, int] = {}
        result.lines = lines
        for key_node, value_node in node.value:
            tag = key_node.tag
            if tag == _STR and type(key_node) is yaml.ScalarNode and _plain_text(key_node.value):
                key: Any = key_node.value
            else:
                if tag == _MERGE:
                    raise self.error("YAML merge keys (<<) are not accepted", key_node.start_mark)
                if isinstance(key_node, yaml.ScalarNode) and tag in (_INT, _FLOAT):
                    key = key_node.value  # codes like 1.1 written without quotes stay as written
                else:
                    key = self.construct_object(key_node)
                if not isinstance(key, str):
                    shown = "a list or a mapping" if isinstance(key, list | dict) else repr(key)
                    message = f"mapping keys must be text, got {shown}"
                    raise self.error(message, key_node.start_mark)
                key = unicodedata.normalize("NFC", key)
            if key in result:
                raise self.error(
                    f"duplicate key '{key}' (first on line {lines[key]})",
                    key_node.start_mark,
                    "remove one of them: a second value would silently replace the first",
                )
            result[key] = self.construct_object(value_node)
            lines[key] = key_node.start_mark.line + 1
        return result


_RESOLVED: dict[str, str] = {}
"""Plain scalars' tags by their text (see ``_Checks.resolve``)."""


class _Beyond(Exception):
    """A document composed in C is beyond the limits."""


class _PyLoader(_Checks, _PyEvents):
    def __init__(self, stream: str) -> None:
        _PyEvents.__init__(self, stream)
        self.init_checks()


_Loader: Callable[[str], _Checks] = _PyLoader
try:
    from yaml._yaml import CParser  # libyaml: the text is parsed in C, 4-6x faster

    class _CLoader(_Checks, CParser):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            self.init_checks()

        def compose_in_c(self) -> Any:
            """The nodes of the whole document, composed by libyaml (``CSafeLoader``'s way)."""
            return CParser.get_single_node(self)

    _Loader = _CLoader
except ImportError:  # PyYAML built without libyaml: the same events, parsed in Python
    pass


_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"
_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_COMMENT_AFTER_INDICATOR = re.compile(r"[|>][-+0-9]*#")
_RAW_REFUSED = re.compile("[\t\ufeff\x85\u2028\u2029]")
_LEADING_ZERO = re.compile("[-+]?0[0-9]")


def _composed_in_c(text: str) -> bool:
    """Whether ``text`` has nothing that only composing event by event checks (anchors,
    aliases, tags, and what ``_same_for_both_parsers`` refuses), which can only be written with
    one of these characters: then it is composed in C, with the same result. (Looking for each
    character is 100 times faster than one pattern's search.)"""
    if "&" in text or "*" in text or "!" in text or "?" in text:
        return False
    block = "#" in text and ("|" in text or ">" in text)
    return not block or _COMMENT_AFTER_INDICATOR.search(text) is None


def _raw_refused(text: str) -> re.Match[str] | None:
    """The first character libyaml and the Python parser read differently, if any (a byte-order
    mark at the start is not one); looked for with ``in`` first, as in ``_composed_in_c``."""
    if "\t" not in text and (
        text.isascii() or not any(c in text for c in "\ufeff\x85\u2028\u2029")
    ):
        return None
    return _RAW_REFUSED.search(text, 1 if text.startswith("\ufeff") else 0)


# YAML 1.2 core schema, minus exponents and leading zeros: a plain scalar is a number only when
# it is written as one the way a person reads it. Everything else is text.
_Checks.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    (_BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (_NULL, r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    (_INT, r"^[-+]?(?:0|[1-9][0-9]*)$", "-+0123456789"),
    (
        _FLOAT,
        r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$",
        "-+0123456789.",
    ),
    (_TIMESTAMP, r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$", "0123456789"),
    (_MERGE, r"^<<$", "<"),
):
    _Checks.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


def _construct_int(loader: _Checks, node: yaml.ScalarNode) -> int:
    if len(node.value.lstrip("+-")) > MAX_DIGITS:
        raise loader.error(
            f"'{node.value[:40]}…' has more than {MAX_DIGITS} digits", node.start_mark
        )
    return int(node.value)


def _construct_float(loader: _Checks, node: yaml.ScalarNode) -> Decimal:
    text = node.value
    if text.lower().lstrip("+-") in (".inf", ".nan"):
        raise loader.error(f"'{text}' is not a finite number", node.start_mark)
    if _LEADING_ZERO.match(text):
        raise loader.error(f"'{text}' starts with a 0", node.start_mark, "write it without the 0")
    try:
        return check_magnitude(Decimal(text), text)
    except ValueError as exc:
        raise loader.error(str(exc), node.start_mark) from None


def _construct_date(loader: _Checks, node: yaml.ScalarNode) -> dt.date:
    year, month, day = (int(part) for part in node.value.split("-"))
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise loader.error(f"'{node.value}' is not a real date", node.start_mark) from None


def _plain_text(text: str) -> bool:
    """Printable ASCII: no hidden character, and already NFC."""
    return text.isascii() and text.isprintable()


def _construct_str(loader: _Checks, node: yaml.ScalarNode) -> str:
    text: str = node.value
    if _plain_text(text):
        return text
    hidden = hidden_character(text)
    if hidden is not None:  # written as an escape ("\e", "\0") or typed in
        raise loader.error(f"the character {hidden} is not allowed", node.start_mark, HINT)
    return unicodedata.normalize("NFC", text)


def _construct_mapping(loader: _Checks, node: yaml.MappingNode) -> Located:
    return loader.construct_mapping(node, deep=True)


def _refuse(loader: _Checks, tag_suffix: str, node: yaml.Node) -> Any:
    """A safety net: explicit tags are refused while composing, so no other tag reaches here."""
    raise loader.error(f"the tag '{node.tag}' is not accepted", node.start_mark)


_Checks.yaml_constructors = {
    **SafeConstructor.yaml_constructors,
    _INT: _construct_int,
    _FLOAT: _construct_float,
    _TIMESTAMP: _construct_date,
    _STR: _construct_str,
    _MAP: _construct_mapping,
}
_Checks.yaml_multi_constructors = {"": _refuse}


def load_text(text: str, source: str | None = None, *, limits: Limits | None = None) -> Any:
    """Parse one YAML document safely; every failure is a located ``YamlError``."""
    limits = limits or current_limits()
    if len(text) > limits.max_bytes:
        raise YamlError(
            f"the text is longer than the limit of {limits.max_bytes} characters", path=source
        )
    found = _raw_refused(text)
    if found is not None:  # libyaml and the Python parser read these differently; the Python
        tab = found.group() == "\t"  # parser counts U+0085, U+2028, U+2029 as line breaks
        bom = found.group() == "\ufeff"
        raise YamlError(
            "a tab character: YAML is indented and separated with spaces"
            if tab
            else "a byte-order mark (U+FEFF) inside the text"
            if bom
            else f"the character {hidden_character(found.group())} is not allowed",
            path=source,
            line=text.count("\n", 0, found.start()) + 1,
            hint="replace each tab with spaces" if tab else HINT,
        )
    if hasattr(_Loader, "compose_in_c") and _composed_in_c(text):
        try:
            return _load(text, source, limits, in_c=True)
        except (YamlError, yaml.YAMLError, _Beyond):
            pass  # refused: composed again event by event, which says where and why
    return _load(text, source, limits, in_c=False)


def _load(text: str, source: str | None, limits: Limits, *, in_c: bool) -> Any:
    loader: _Checks | None = None
    spent = _SHARED.get()
    try:
        loader = _Loader(text)
        loader.source = source
        loader.text = text
        loader.limits = limits
        loader._nodes = spent.nodes if spent else 0
        if in_c:
            node = loader.compose_in_c()  # type: ignore[attr-defined]
            loader.measure(node)
            data = None if node is None else loader.construct_document(node)
        else:
            data = loader.get_single_data()
        if spent:
            spent.nodes = loader._nodes
        return data
    except (YamlError, _Beyond):
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = ", ".join(p for p in (exc.context, exc.problem) if p) or str(exc)
        raise YamlError(
            f"not valid YAML: {problem}",
            path=source,
            line=min(mark.line + 1, text.count("\n") + 1) if mark else None,  # not past the end
        ) from None
    except yaml.reader.ReaderError as exc:
        if _Loader is _PyLoader:  # the Python reader counts characters
            line = text[: exc.position].count("\n") + 1
        else:  # libyaml counts the bytes of the UTF-8 text
            line = text.encode()[: exc.position].count(b"\n") + 1
        raise YamlError(
            f"not valid YAML: the character U+{exc.character:04X} is not allowed",
            path=source,
            line=line,
            hint="remove control characters from the file",
        ) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"not valid YAML: {exc}", path=source) from None
    except RecursionError:
        raise YamlError(f"nesting deeper than {limits.max_depth} levels", path=source) from None
    finally:
        if loader is not None:
            loader.dispose()


def load_file(path: Path, *, limits: Limits | None = None, name: str | None = None) -> Any:
    """Read and parse a YAML file, refusing oversized and non-UTF-8 input. ``name`` is how
    errors and the parsed mappings name the file (default: its path)."""
    shown = name or str(path)
    limits = limits or current_limits()
    spent = _SHARED.get()
    left = limits.max_bytes - (spent.bytes if spent else 0)
    try:
        data = read_bounded(path, left)
    except Unreadable as exc:
        raise YamlError(str(exc), path=shown) from None
    if len(data) > left:
        what = f"larger than the limit of {limits.max_bytes} bytes"
        raise YamlError(
            _together(what, spent) if spent else f"the file is {what}",
            path=shown,
            hint="split it, or raise the limit (parrules.Limits)",
        )
    if spent:
        spent.bytes += len(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x})",
            path=shown,
            line=line,
            hint="save the file as UTF-8",
        ) from None
    return load_text(text, shown, limits=limits)
