"""The one place YAML is read: a safe loader that keeps line numbers and refuses data loss.

Mappings come back as ``Located`` dicts that know the line of each key, so every later error can
name ``file:line``. Floats keep their written text (``Decimal("19.86")``), duplicate keys and
aliases are errors, object tags are refused, and input size and nesting depth are bounded.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from .errors import YamlError

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 64


class Located(dict[str, Any]):
    """A mapping from YAML that remembers where it and each of its keys were written."""

    path: str | None = None
    line: int | None = None
    lines: dict[str, int]

    def line_of(self, key: str) -> int | None:
        return self.lines.get(key, self.line)


class _Loader(yaml.SafeLoader):
    """SafeLoader with line numbers, exact decimals and no duplicate keys or aliases."""

    source: str | None = None

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise YamlError(
                "YAML aliases (*name) are not accepted",
                path=self.source,
                line=event.start_mark.line + 1,
                hint="write the value out in full",
            )
        depth = getattr(self, "_depth", 0)
        if depth > MAX_DEPTH:
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise YamlError(
                f"nesting deeper than {MAX_DEPTH} levels",
                path=self.source,
                line=event.start_mark.line + 1,
            )
        self._depth = depth + 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth = depth

    def construct_mapping(self, node: Any, deep: bool = False) -> Located:  # type: ignore[override]
        if not isinstance(node, yaml.MappingNode):
            raise YamlError("expected a mapping", path=self.source, line=node.start_mark.line + 1)
        result = Located()
        result.path = self.source
        result.line = node.start_mark.line + 1
        result.lines = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlError(
                    "YAML merge keys (<<) are not accepted",
                    path=self.source,
                    line=key_node.start_mark.line + 1,
                )
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, Decimal | int):
                key = key_node.value  # codes like 1.1 written without quotes stay as written
            if not isinstance(key, str):
                raise YamlError(
                    f"mapping keys must be text, got {key!r}",
                    path=self.source,
                    line=key_node.start_mark.line + 1,
                )
            key = unicodedata.normalize("NFC", key)
            if key in result:
                raise YamlError(
                    f"duplicate key '{key}' (first on line {result.lines[key]})",
                    path=self.source,
                    line=key_node.start_mark.line + 1,
                    hint="remove one of them: a second value would silently replace the first",
                )
            result[key] = self.construct_object(value_node, deep=True)
            result.lines[key] = key_node.start_mark.line + 1
        return result


def _construct_float(loader: _Loader, node: yaml.ScalarNode) -> Decimal:
    text = node.value.replace("_", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise YamlError(
            f"'{node.value}' is not a finite number",
            path=loader.source,
            line=node.start_mark.line + 1,
        )
    return value


def _construct_str(loader: _Loader, node: yaml.ScalarNode) -> str:
    return unicodedata.normalize("NFC", loader.construct_scalar(node))


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Located:
    return loader.construct_mapping(node, deep=True)


def _refuse(loader: _Loader, tag_suffix: str, node: yaml.Node) -> Any:
    raise YamlError(
        f"the tag '{node.tag}' is not accepted: files are data and never construct objects",
        path=loader.source,
        line=node.start_mark.line + 1,
    )


_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_Loader.add_constructor("tag:yaml.org,2002:str", _construct_str)
_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_multi_constructor("", _refuse)


def load_text(text: str, source: str | None = None) -> Any:
    """Parse one YAML document safely."""
    loader = _Loader(text)
    loader.source = source
    try:
        return loader.get_single_data()
    except YamlError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlError(
            f"not valid YAML: {exc.problem or exc}",
            path=source,
            line=mark.line + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"not valid YAML: {exc}", path=source) from None
    except RecursionError:
        raise YamlError(f"nesting deeper than {MAX_DEPTH} levels", path=source) from None
    finally:
        loader.dispose()


def load_file(path: Path, *, max_bytes: int = MAX_BYTES) -> Any:
    """Read and parse a YAML file, refusing oversized and non-UTF-8 input."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise YamlError(f"file is {size} bytes, more than the limit of {max_bytes}", path=path)
        data = path.read_bytes()
    except OSError as exc:
        raise YamlError(f"cannot read the file: {exc.strerror}", path=path) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x})",
            path=path,
            line=line,
            hint="save the file as UTF-8",
        ) from None
    return load_text(text, str(path))
