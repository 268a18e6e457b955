"""Reason and formula templates: ``{name}`` and ``{name:%}``, nothing else.

A ruleset is data, and the reason templates it writes (``params.reason``) are data too: they may
name a value, never reach into it. ``str.format`` would follow ``{x.attr}`` and ``{x[key]}`` into
any object (and from there to the process's environment), and pad ``{x:>1500000000}`` to a
gigabyte; a ``Template`` allows only a field name and the specs in ``SPECS``, and is checked
when the ruleset is loaded against the names the rule declares. A template is parsed once and
rendered many times.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import string
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any

import attrs

from ._numbers import fmt, fmt_percent, shown_texts

SPECS = {"": "as written", "%": "a fraction as a percentage: 0.4752 → 47,52%"}
"""The format specs a template may use."""
MAX_LENGTH = 2000
"""Characters in one template: a reason is a sentence."""
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ABSENT = object()


class TemplateError(ValueError):
    """A template that is not ``{name}`` or ``{name:%}`` fields in text; the loader turns it
    into a located ``RulesetError``."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message)


@attrs.frozen
class Template:
    """A parsed template: literal text and the fields to fill in, in order."""

    text: str
    pieces: tuple[tuple[str, str | None, str], ...] = attrs.field(repr=False)
    """(literal text, field name or None, format spec), as ``string.Formatter.parse`` splits
    them."""
    _pattern: str = attrs.field(init=False, repr=False, eq=False)
    """The literal text with ``{}`` for each field (and its braces doubled): what ``render``
    fills at once with the values' texts, which ``str.format`` only places."""
    _slots: tuple[tuple[str, str], ...] = attrs.field(init=False, repr=False, eq=False)

    @_pattern.default
    def _join(self) -> str:
        return "".join(
            literal.replace("{", "{{").replace("}", "}}") + ("" if field is None else "{}")
            for literal, field, _ in self.pieces
        )

    @_slots.default
    def _fields(self) -> tuple[tuple[str, str], ...]:
        return tuple((field, spec) for _, field, spec in self.pieces if field is not None)

    @classmethod
    def parse(cls, text: str) -> Template:
        """Refuse anything but field names with an allowed spec: attribute or index access,
        positional or nested fields, conversions (``!r``) and any other spec (widths, fills)."""
        if len(text) > MAX_LENGTH:
            msg = f"the template is longer than {MAX_LENGTH} characters"
            raise TemplateError(msg)
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as exc:
            raise TemplateError(f"{exc}", "write a brace as {{ or }}") from None
        pieces = []
        for literal, field, spec, conversion in parsed:
            if field is not None:
                _check_field(field, spec or "", conversion)
            pieces.append((literal, field, spec or ""))
        return cls(text, tuple(pieces))

    @property
    def fields(self) -> tuple[str, ...]:
        """The field names, each once, in order."""
        return tuple(dict.fromkeys(f for _, f, _ in self.pieces if f is not None))

    def check(self, names: Collection[str]) -> None:
        """Refuse a field that is not among ``names`` (what the rule gives its templates)."""
        from .errors import close_match

        for field in self.fields:
            if field not in names:
                hint = close_match(field, names) or f"one of: {', '.join(sorted(names))}"
                raise TemplateError(f"unknown field '{{{field}}}'", hint)

    def render(self, values: Mapping[str, Any], lang: str = "vi") -> str:
        shown, percents = shown_texts(lang)
        texts = []
        for field, spec in self._slots:
            value = values.get(field, _ABSENT)
            kind = type(value)  # the usual values first, without the general dispatch
            if kind is Decimal and value.is_finite():
                text = (percents if spec == "%" else shown).get(value)
                if text is None:
                    text = fmt_percent(value, lang) if spec == "%" else fmt(value, lang)
            elif kind is str:
                text = value
            elif value is _ABSENT:
                msg = f"the template names '{{{field}}}', which the outcome does not give"
                raise TemplateError(msg)
            else:
                text = format_value(value, lang, spec)
            texts.append(text)
        return self._pattern.format(*texts)


def _check_field(field: str, spec: str, conversion: str | None) -> None:
    if not _NAME.match(field):
        raise TemplateError(
            f"'{{{field}}}' is not a field name",
            "a template names a value, e.g. {ratio}; it cannot read its attributes or items",
        )
    if conversion is not None:
        raise TemplateError(f"'{{{field}!{conversion}}}': conversions are not allowed")
    if spec not in SPECS:
        shown = spec if len(spec) <= 20 else spec[:19] + "…"
        raise TemplateError(
            f"'{{{field}:{shown}}}': the format '{shown}' is not allowed",
            "write {name}, or {name:%} for a percentage",
        )


@functools.lru_cache(maxsize=1024)
def parse(text: str) -> Template:
    """``Template.parse``, once per text: explanations reuse a few templates for every unit."""
    return Template.parse(text)


def render(template: str, values: Mapping[str, Any], lang: str = "vi") -> str:
    """Fill ``template`` from ``values``, shown the reader's way (see ``format_value``)."""
    return parse(template).render(values, lang)


_DATE_LABELS = {
    "dated": {"vi": "ngày", "en": "dated"},
    "due": {"vi": "hạn", "en": "due"},
    "sent": {"vi": "gửi", "en": "sent"},
    "received": {"vi": "nhận", "en": "received"},
}


def format_value(value: Any, lang: str = "vi", spec: str = "") -> str:
    """One value the way explanations show it: ``19,86``, ``47,52%`` (spec ``%``),
    ``25/05/2023``, ``khien_trach: 1``; a text in two languages (``Text``) in the reader's."""
    if isinstance(value, str):
        return value
    if hasattr(value, "get") and not isinstance(value, Mapping):  # Text, and values like it
        return str(value.get(lang))
    if isinstance(value, bool):
        return ("có" if value else "không") if lang == "vi" else str(value).lower()
    if isinstance(value, Decimal):
        return fmt_percent(value, lang) if spec == "%" else fmt(value, lang)
    if isinstance(value, Mapping):
        if "due" in value and "name" in value:  # a dated item of a `deadline` rule
            dates = ", ".join(
                f"{_DATE_LABELS[k][lang]} {format_value(value[k], lang)}"
                for k in ("dated", "due", "sent", "received")
                if k in value
            )
            return f"{value['name']} ({dates})"
        return ", ".join(f"{k}: {format_value(v, lang, spec)}" for k, v in value.items())
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v, lang, spec) for v in value)
    return str(value)
