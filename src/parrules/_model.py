"""Frozen values that cross module boundaries: rules, rulesets, unit inputs and score cards.

Nothing here parses files or computes scores; named constructors elsewhere build these values, and
``attrs.evolve`` derives new ones.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from ._numbers import ZERO, canonical, canonical_or_none, fmt, fmt_percent, percent, quantize
from ._template import format_value as format_value  # the way explanations show a value
from ._template import render
from .errors import RuleFailure

Values = Mapping[str, Any]
"""Indicator values of one unit at one stage, already checked against their declared types."""


@attrs.frozen
class Text:
    """A user-facing text in Vietnamese and English; Vietnamese is the default."""

    vi: str
    en: str

    def get(self, lang: str = "vi") -> str:
        return self.en if lang == "en" else self.vi


@attrs.frozen
class Outcome:
    """What a rule computed for one leaf: points and the data to explain them.

    ``reason`` and ``formula`` are templates filled from ``values`` only when an explanation is
    asked for, so scoring never formats text.
    """

    points: Decimal
    reason: Text | None = None
    formula: str | None = None
    values: tuple[tuple[str, Any], ...] = ()
    inputs: tuple[tuple[str, Any], ...] = ()
    not_applicable: bool = False


Evaluate = Callable[[Values], Outcome]
"""What a rule's ``bind`` returns: scores one leaf for one unit's values, with no side effects."""


@attrs.frozen
class Rule:
    """A computation a plugin offers under a name.

    ``bind(params)`` runs once, when a ruleset is loaded: it checks the node's params (a
    ``parrules.Params``) and returns the ``Evaluate`` callable that scores a unit, or None for a
    leaf whose points the unit file gives (``appraised``).

    ``vector(params)``, optional, is the same computation over arrays of units at once (see
    ``parrules.vector``); it is bound only when units are scored that way.
    """

    name: str = attrs.field(validator=attrs.validators.matches_re(r"^[a-z][a-z0-9_.-]*$"))
    bind: Callable[..., Evaluate | None] = attrs.field(eq=False, repr=False)
    summary: str = ""
    params: tuple[str, ...] = ()
    plugin: str = ""
    vector: Callable[..., Any] | None = attrs.field(default=None, eq=False, repr=False)
    values: tuple[str, ...] = ()
    """The names of the values its outcomes give (``Outcome.values``), which a node's own reason
    template (``params.reason``) may use besides the indicators it reads, ``max`` and
    ``points``."""


@attrs.frozen
class Indicator:
    """A raw value a ruleset reads, with its Vietnamese label, type and unit."""

    name: str
    label: str
    type: str
    unit: str = ""
    label_en: str | None = None
    choices: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    """The kinds of event an ``events`` indicator counts, where the ruleset declares them."""
    value_labels: tuple[tuple[str, Text], ...] = ()
    """The words a reader sees for a choice or a kind of event, where the ruleset gives them."""
    line: int | None = None
    report_only: bool = False
    """Recorded for reports (e.g. a yearly series), read by no rule."""

    def get_label(self, lang: str = "vi") -> str:
        return self.label_en if lang == "en" and self.label_en else self.label

    def value_label(self, value: str) -> Text:
        """The words for a choice or a kind of event: its label, or the value itself when the
        ruleset gives none."""
        for known, label in self.value_labels:
            if known == value:
                return label
        return Text(value, value)


@attrs.frozen
class Source:
    """A document a ruleset's numbers come from: a legal act or a published report."""

    id: str
    kind: str
    """``legal`` (a decision, circular, guidance) or ``report`` (a published report)."""
    title: str
    number: str | None = None
    date: str | None = None
    issuer: str | None = None


@attrs.frozen
class Citation:
    """Where in a source a number is written: the document and its article or section."""

    source: Source
    at: str | None = None

    def __str__(self) -> str:
        return f"{self.source.title}, {self.at}" if self.at else self.source.title


@attrs.frozen
class Band:
    """A classification band: a total of at least ``min`` takes ``label``."""

    label: str
    min: Decimal = attrs.field(converter=canonical)
    label_en: str | None = None
    cite: tuple[Citation, ...] = attrs.field(default=(), eq=False)
    assumed: Text | None = attrs.field(default=None, eq=False)
    """Why ``min`` is chosen where no source states it."""
    line: int | None = attrs.field(default=None, eq=False)

    def get(self, lang: str = "vi") -> str:
        return self.label_en if lang == "en" and self.label_en else self.label


@attrs.frozen
class Assumption:
    """A general statement about the encoding, where the sources are silent; a choice tied to
    one number is written on its node (``Node.assumed``) instead."""

    text: str
    cite: tuple[Citation, ...] = ()
    text_en: str | None = None

    def get(self, lang: str = "vi") -> str:
        return self.text_en if lang == "en" and self.text_en else self.text


RELATIONS = ("part_of", "not_after", "same_unit")


@attrs.frozen
class Relation:
    """What a rule declares must hold between two indicators it reads (``Params.part_of``,
    ``not_after``, ``same_unit``): ``left`` is a part of ``right`` (never above it), ``left`` is
    not after ``right`` (a date, or a number, not above it), or both are in the same unit of
    measure (compared with each other). The rule refuses a unit that breaks an ordering one;
    ``parrules.testing`` draws units that keep them, or on request units that break them."""

    kind: str
    left: str
    right: str

    @property
    def ordered(self) -> bool:
        """``left`` ≤ ``right`` for every valid unit."""
        return self.kind != "same_unit"


@attrs.frozen
class Node:
    """A field, criterion or sub-criterion. A leaf has a rule, or is appraised (``rule`` None).

    ``max`` is None when no maximum is published (``max: unpublished``): the node's points are
    reported, it loses nothing, and no percentage is computed for it.
    """

    code: str
    title: str
    max: Decimal | None = attrs.field(converter=canonical_or_none)
    children: tuple[Node, ...] = ()
    rule: str | None = None
    params: Mapping[str, Any] = attrs.field(factory=dict, eq=False, repr=False)
    evaluate: Evaluate | None = attrs.field(default=None, eq=False, repr=False)
    vector: Callable[..., Any] | None = attrs.field(default=None, eq=False, repr=False)
    """The rule's vectorised form, not yet bound (``Rule.vector``)."""
    reads: tuple[str, ...] = ()
    levers: tuple[tuple[str, int], ...] = ()
    """Indicators the unit can act on to recover points, with their direction (``Params``)."""
    relations: tuple[Relation, ...] = ()
    """What holds between the indicators the rule reads, as it declares (``Params``)."""
    numbers: tuple[str, ...] = attrs.field(default=(), eq=False)
    """The params holding numbers a reader sees (``Params.numbers``)."""
    plugin: str | None = None
    owner: str | None = None
    title_en: str | None = None
    cite: tuple[Citation, ...] = attrs.field(default=(), eq=False)
    """Where the node's title, max and params are written."""
    assumed: Mapping[str, Text] = attrs.field(factory=dict, eq=False, repr=False)
    """What no source states, with why it was chosen: ``max``, ``params`` (all of them) or
    ``params.<key>``; an assumed item is not covered by ``cite``."""
    origin: str = attrs.field(default="", eq=False)
    """The id of the ruleset file the node is written in (a parent's, for an inherited node)."""
    missing: str = "error"
    not_applicable: str = "full"
    floor: Decimal = ZERO
    bonus: bool = False
    path: str | None = attrs.field(default=None, eq=False)
    line: int | None = attrs.field(default=None, eq=False)

    @property
    def is_leaf(self) -> bool:
        return not self.children

    @property
    def parent_code(self) -> str | None:
        return self.code.rpartition(".")[0] or None

    @property
    def source(self) -> str:
        """Where the node is written, as a reader cites it: its citations (document and article
        or section), or the ruleset's id and line when it cites nothing. Never a file path, so
        that every installation prints the same."""
        if self.cite:
            return "; ".join(str(c) for c in self.cite)
        return f"{self.origin or '?'}:{self.line or '?'}"

    def assumptions(self, lang: str = "vi") -> tuple[tuple[str, str], ...]:
        """What of the node is assumed (``max``, ``params``, ``params.<key>``), with why."""
        return tuple((item, text.get(lang)) for item, text in self.assumed.items())

    def get_title(self, lang: str = "vi") -> str:
        return self.title_en if lang == "en" and self.title_en else self.title

    @property
    def full(self) -> Decimal:
        """The max of a node that has one, as every node with a rule has (the loader refuses a
        rule without a published max)."""
        if self.max is None:
            msg = f"node {self.code} has no published max"
            raise ValueError(msg)
        return self.max

    def assumption(self, item: str) -> Text | None:
        """Why ``item`` (``max`` or ``params.<key>``) is assumed, or None when it is not."""
        found = self.assumed.get(item)
        if found is None and item.startswith("params."):
            found = self.assumed.get("params")
        return found


@attrs.frozen
class Ruleset:
    """One jurisdiction, level and year: metadata, declared indicators and the tree of nodes."""

    id: str
    title: str
    year: int
    max: Decimal | None = attrs.field(converter=canonical_or_none)
    """None when the index's maximum is not published (``max: unpublished``)."""
    nodes: tuple[Node, ...]
    indicators: Mapping[str, Indicator] = attrs.field(factory=dict)
    jurisdiction: str = ""
    level: str = ""
    legal: str | None = None
    precision: int = 2
    display_precision: int = 2
    ranking: str = "competition"
    classification: tuple[Band, ...] = ()
    assumptions: tuple[Assumption, ...] = ()
    sources: Mapping[str, Source] = attrs.field(factory=dict, eq=False)
    """The documents the ruleset cites, by id."""
    cite: tuple[Citation, ...] = attrs.field(default=(), eq=False)
    """Where the ruleset's ``max`` is written."""
    assumed: Text | None = attrs.field(default=None, eq=False)
    """Why the ruleset's ``max`` is chosen, where no source states it."""
    chain: tuple[str, ...] = ()
    """The ids of the files read, the root of an ``extends`` chain first, this ruleset last."""
    path: str | None = None
    files: tuple[str, ...] = ()
    """The files read, in the order of ``chain`` (to reload a changed file; never printed)."""
    digest: str = ""
    uncertainty: Any = attrs.field(default=None, eq=False, repr=False)
    """Declared sources of variation and alternative rulesets (``parrules.Uncertainty``)."""
    tables: tuple[str, ...] = ()
    """The tables ``score`` and ``explain`` print by default (``tables:``); empty: the usual."""
    stage_labels: Mapping[str, Text] = attrs.field(factory=dict, eq=False)
    """How reports name a stage (``stage_labels:``), where the usual names would misstate what
    it holds; a stage not named here keeps its usual name."""
    flat: tuple[Node, ...] = attrs.field(init=False, eq=False, repr=False)
    _by_code: Mapping[str, Node] = attrs.field(init=False, eq=False, repr=False)
    _positions: Mapping[str, int] = attrs.field(init=False, eq=False, repr=False)
    """Each code's position in ``flat``, the order of a stage's results."""
    _children: tuple[tuple[int, ...], ...] = attrs.field(init=False, eq=False, repr=False)
    """The positions in ``flat`` of each node's children (empty for a leaf)."""
    _ends: tuple[int, ...] = attrs.field(init=False, eq=False, repr=False)
    """The position in ``flat`` just after each node's last descendant."""
    _plan: Any = attrs.field(init=False, default=None, eq=False, repr=False)
    """The engine's scoring plan, made on first use."""
    _vector: Any = attrs.field(init=False, default=None, eq=False, repr=False)
    """The vectorised scoring plan (``parrules.vector``), made on first use."""
    _shape: Any = attrs.field(init=False, default=None, eq=False, repr=False)
    """What reading a card needs of the tree (``shape``), made on first use."""

    def __attrs_post_init__(self) -> None:
        flat: list[Node] = []

        def walk(nodes: tuple[Node, ...]) -> None:
            for node in nodes:
                flat.append(node)
                walk(node.children)

        walk(self.nodes)
        positions = {n.code: i for i, n in enumerate(flat)}
        ends = [0] * len(flat)
        for i in range(len(flat) - 1, -1, -1):
            ends[i] = ends[positions[flat[i].children[-1].code]] if flat[i].children else i + 1
        object.__setattr__(self, "flat", tuple(flat))
        object.__setattr__(self, "_by_code", {n.code: n for n in flat})
        object.__setattr__(self, "_positions", positions)
        object.__setattr__(
            self, "_children", tuple(tuple(positions[c.code] for c in n.children) for n in flat)
        )
        object.__setattr__(self, "_ends", tuple(ends))

    def node(self, code: str) -> Node:
        try:
            return self._by_code[code]
        except KeyError:
            from .errors import UnknownNameError, close_match

            raise UnknownNameError(
                f"ruleset '{self.id}' has no node '{code}'",
                path=self.path,
                hint=close_match(code, self._by_code),
            ) from None

    def has_node(self, code: str) -> bool:
        return code in self._by_code

    @property
    def leaves(self) -> tuple[Node, ...]:
        return tuple(n for n in self.flat if n.is_leaf)

    @property
    def appraised(self) -> tuple[Node, ...]:
        """The leaves no rule computes: a unit gives their points (and, below the max, a
        reason). With ``indicators``, what a system must collect to score a unit."""
        return tuple(n for n in self.leaves if n.evaluate is None)

    def classify(self, total: Decimal) -> Band | None:
        """The band of the total as it is shown (rounded half-up to ``display_precision``), so
        that a card never shows 90 beside the band below 90."""
        shown = quantize(total, self.display_precision)
        for band in self.classification:
            if shown >= band.min:
                return band
        return None


@attrs.frozen
class Appraisal:
    """Points given directly for a leaf, with the audit trail of who decided and why."""

    points: Decimal = attrs.field(converter=canonical)
    reason: str | None = None
    by: str | None = None
    date: dt.date | None = None
    evidence: tuple[str, ...] = ()
    line: int | None = None


@attrs.frozen
class Remedy:
    """How the unit plans to recover a lost point, who is responsible, and by when (a date
    written dd/mm/yyyy, or a text such as "Quý II/2024")."""

    remedy: str | None = None
    person: str | None = None
    deadline: str | None = None


class ReadOnly(dict[str, Any]):
    """A mapping of values a rule reads and cannot change (``TypeError``), so that what one rule
    is given is what every other rule reads. It compares, copies and serialises as a dict."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        msg = "the values a rule reads cannot be changed"
        raise TypeError(msg)

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple[Any, ...]:
        return ReadOnly, (dict(self),)


def read_only(value: Any) -> Any:
    """``value`` with every mapping in it a ``ReadOnly`` and every list a tuple; what is read-only
    already is returned as it is (the very object, so that stages can share it)."""
    kind = type(value)
    if kind is dict:
        return ReadOnly({k: read_only(v) if type(v) in _NESTED else v for k, v in value.items()})
    if kind is list:
        return tuple(read_only(v) if type(v) in _NESTED else v for v in value)
    if kind is tuple and any(type(v) in _NESTED for v in value):
        frozen = tuple(read_only(v) for v in value)
        return value if all(a is b for a, b in zip(frozen, value, strict=True)) else frozen
    return value


_NESTED = frozenset({dict, list, tuple})
"""What ``read_only`` looks inside: any other value is returned as it is."""


def _read_only_values(values: Values) -> Values:
    if type(values) is ReadOnly:
        return values
    return ReadOnly({k: read_only(v) if type(v) in _NESTED else v for k, v in values.items()})


@attrs.frozen
class Stage:
    """The complete inputs of one stage (earlier stages already layered in). Its indicator
    values are read-only (``ReadOnly``), down to the items of a list."""

    name: str
    indicators: Values = attrs.field(converter=_read_only_values)
    points: Mapping[str, Appraisal]


@attrs.frozen
class UnitInputs:
    """One unit's inputs for one year, per stage: ``self`` → ``appraisal`` → ``final``."""

    unit: str
    year: int
    ruleset: str
    stages: tuple[Stage, ...]
    remedies: Mapping[str, Remedy] = attrs.field(factory=dict)
    path: str | None = None
    ruleset_path: str | None = attrs.field(default=None, eq=False)
    """The ruleset file the unit was checked against, so it can be loaded again by path."""
    lines: Mapping[str, Mapping[str, int]] = attrs.field(factory=dict, eq=False, repr=False)
    """stage → indicator → line of the unit file where its value was written, for errors."""
    uncertainty: tuple[Any, ...] = attrs.field(default=(), eq=False, repr=False)
    """Declared sources of variation of this unit's values (``parrules.Variation``)."""

    def stage(self, name: str | None = None) -> Stage:
        if name is None:
            return self.stages[-1]
        for stage in self.stages:
            if stage.name == name:
                return stage
        from .errors import UnknownNameError

        known = ", ".join(s.name for s in self.stages)
        raise UnknownNameError(f"unit has no stage '{name}' (it has: {known})", path=self.path)


_NONE = Text("không có", "none")


def show_value(value: Any, indicator: Indicator | None, lang: str = "vi") -> str:
    """An indicator's value in the words a reader uses: a ratio as a percentage, a number with
    its unit, a choice or a kind of event by its label (``Cách chức: 1 người``)."""
    if indicator is None:
        return format_value(value, lang)
    unit = indicator.unit if indicator.unit != "%" else ""
    if indicator.type == "ratio" and isinstance(value, Decimal):
        return fmt_percent(value, lang)
    if indicator.type == "choice" and isinstance(value, str):
        return indicator.value_label(value).get(lang)
    if indicator.type == "events" and isinstance(value, Mapping):
        counts = [
            f"{indicator.value_label(kind).get(lang)}: {format_value(n, lang)}"
            + (f" {unit}" if unit else "")
            for kind, n in value.items()
        ]
        return ", ".join(counts) or _NONE.get(lang)
    text = format_value(value, lang)
    return f"{text} {unit}" if unit and isinstance(value, Decimal) else text


@attrs.frozen
class Explanation:
    """Why a leaf has its points: the reason, the formula as applied, the inputs, the source
    (the citation, or the ruleset's id and line), and what of the node is assumed, with why."""

    reason: str
    formula: str | None
    inputs: tuple[tuple[str, Any], ...]
    source: str
    by: str | None = None
    date: dt.date | None = None
    evidence: tuple[str, ...] = ()
    assumed: tuple[tuple[str, str], ...] = ()


_ASSUMED_ITEMS = {
    "max": Text("điểm tối đa", "maximum"),
    "params": Text("các tham số", "parameters"),
    "classification": Text("mốc xếp loại", "class edges"),
}
_PARAM_WORDS = {
    "all_of": Text("các điều kiện cùng phải đạt", "the conditions all required"),
    "answers": Text("các câu trả lời", "the answers"),
    "any_of": Text("các điều kiện chỉ cần đạt một", "the conditions one of which suffices"),
    "bands": Text("các mức điểm", "the score bands"),
    "date": Text("hạn gửi", "the due date"),
    "deduction": Text("mức trừ", "the deduction"),
    "deductions": Text("các mức trừ", "the deductions"),
    "direction": Text("chiều so sánh", "the direction"),
    "floor": Text("mức sàn", "the floor"),
    "late": Text("mức trừ khi gửi muộn", "the deduction when late"),
    "missing": Text("mức trừ khi không gửi", "the deduction when missing"),
    "otherwise": Text("điểm khi không đạt", "the points otherwise"),
    "points": Text("điểm", "the points"),
    "severity": Text("mức trừ theo từng loại", "the deduction per kind"),
    "target": Text("chỉ tiêu", "the target"),
    "weights": Text("trọng số các câu trả lời", "the weights of the answers"),
    "zero_denominator": Text(
        "điểm khi không phát sinh trường hợp nào", "the points when no case arose"
    ),
}
"""Words for the params of the built-in rules a ruleset may assume; any other param is named
by its key."""
ASSUMED = Text("giả định", "assumption")


def assumed_items(items: Iterable[str], lang: str = "vi") -> str:
    """What is assumed, in words: ``điểm tối đa, tham số: các mức điểm``."""
    words = []
    for item in items:
        if item in _ASSUMED_ITEMS:
            words.append(_ASSUMED_ITEMS[item].get(lang))
            continue
        key = item.partition(".")[2]
        word = _PARAM_WORDS[key].get(lang) if key in _PARAM_WORDS else f"'{key}'"
        words.append(Text("tham số: ", "parameter: ").get(lang) + word)
    return ", ".join(words)


@attrs.frozen
class AssumptionNote:
    """One assumption a set of lost points rests on: its number in the report's list of
    assumptions, the node, what of it is assumed and why."""

    number: int
    code: str
    items: tuple[str, ...]
    text: str

    def mark(self, lang: str = "vi") -> str:
        """The mark beside a lost point: ``giả định (1): điểm tối đa, tham số: các mức điểm``."""
        return f"{ASSUMED.get(lang)} ({self.number}): {assumed_items(self.items, lang)}"


def assumed_mark(items: Iterable[str], lang: str = "vi") -> str | None:
    """The mark beside a number that rests on assumed items: ``giả định: điểm tối đa``; None
    when nothing is assumed."""
    words = assumed_items(items, lang)
    return f"{ASSUMED.get(lang)}: {words}" if words else None


def assumption_notes(nodes: Iterable[Node], lang: str = "vi") -> tuple[AssumptionNote, ...]:
    """The assumptions the given nodes rest on, numbered in their order: one note per node and
    reason (a node assuming its max and params for one reason has one note)."""
    notes: list[AssumptionNote] = []
    seen: set[str] = set()
    for node in nodes:
        if node.code in seen:
            continue
        seen.add(node.code)
        grouped: dict[str, list[str]] = {}
        for item, text in node.assumptions(lang):
            grouped.setdefault(text, []).append(item)
        for text, items in grouped.items():
            notes.append(AssumptionNote(len(notes) + 1, node.code, tuple(items), text))
    return tuple(notes)


def assumption_marks(notes: Iterable[AssumptionNote], code: str, lang: str = "vi") -> str | None:
    """The marks of one node's notes, joined; None when it rests on no assumption."""
    marks = [note.mark(lang) for note in notes if note.code == code]
    return "; ".join(marks) or None


_NOT_APPLICABLE = Text("Không áp dụng (không đủ dữ liệu)", "Not applicable (insufficient data)")
_FULL = Text("Đạt điểm tối đa", "Full points")
_APPRAISED = Text("Điểm do thẩm định chấm", "Points given by the appraisal")


@attrs.frozen
class NodeResult:
    """One node's points at one stage; a leaf keeps what explains them. Every value it gives
    (points, max, lost, percent) is in canonical form (see ``canonical``)."""

    node: Node
    points: Decimal = attrs.field(converter=canonical)
    _outcome: Outcome | None = attrs.field(default=None, eq=False)
    appraisal: Appraisal | None = None
    not_applicable: bool = False
    _values: Values | None = attrs.field(default=None, kw_only=True, eq=False, repr=False)
    """The stage's indicators, to compute the outcome again when scoring did not keep it."""
    _texts: dict[tuple[Any, ...], Any] | None = attrs.field(
        default=None, kw_only=True, eq=False, repr=False
    )
    """The texts already written for the card's lost points (see ``StageResult``), by
    ``_key``: a leaf whose outcome is the same in several stages is explained once."""
    _key: tuple[Any, ...] = attrs.field(default=(), kw_only=True, eq=False, repr=False)

    @property
    def outcome(self) -> Outcome | None:
        """What the rule computed: as scoring kept it (see ``StageResult``), or computed again
        from the stage's indicators on first use (rules are pure functions of the indicators
        they declare)."""
        if self._outcome is None and self._values is not None and self.node.evaluate is not None:
            object.__setattr__(self, "_outcome", self.node.evaluate(self._values))
        return self._outcome

    @property
    def code(self) -> str:
        return self.node.code

    @property
    def max(self) -> Decimal | None:
        return self.node.max

    @property
    def lost(self) -> Decimal:
        """``max − points``; nothing for a node with no published maximum."""
        return ZERO if self.node.max is None else canonical(self.node.max - self.points)

    @property
    def percent(self) -> Decimal | None:
        """Points as a percentage of the max (unrounded); None with no published maximum."""
        return None if self.node.max is None else percent(self.points, self.node.max)

    @property
    def scored_directly(self) -> bool:
        """A leaf, or a node the appraisal scored as a whole (its sub-criteria not itemised)."""
        return self.node.is_leaf or self.appraisal is not None

    def explain(self, lang: str = "vi") -> Explanation:
        node, outcome, appraisal = self.node, self.outcome, self.appraisal
        if appraisal is not None:
            return Explanation(
                reason=self._reason(lang),
                formula=None,
                inputs=(),
                source=node.source,
                by=appraisal.by,
                date=appraisal.date,
                evidence=appraisal.evidence,
                assumed=node.assumptions(lang),
            )
        if outcome is None:
            return Explanation(
                reason=self._reason(lang),
                formula=None,
                inputs=(),
                source=node.source,
                assumed=node.assumptions(lang),
            )
        reason, formula = self._said(lang)
        return Explanation(
            reason=reason,
            formula=formula,
            inputs=outcome.inputs,
            source=node.source,
            assumed=node.assumptions(lang),
        )

    def _reason(self, lang: str) -> str:
        """The reason alone, as ``explain`` gives it: filled from what the rule computed."""
        texts = self._texts
        if texts is None:
            return self._write_reason(lang)
        key = ("reason", lang, *self._key)
        text: str | None = texts.get(key)
        if text is None:
            text = keep(texts, key, self._write_reason(lang))
        return text

    def _write_reason(self, lang: str) -> str:
        appraisal = self.appraisal
        if appraisal is not None:
            return appraised_reason(appraisal, self.lost, lang)
        return reason_of(self.node, self.points, self.outcome, self.not_applicable, lang)

    def _said(self, lang: str) -> tuple[str, str | None]:
        """The reason and the formula, as ``explain`` gives them, filled at once."""
        texts = self._texts
        if texts is None:
            return self._write(lang)
        key = ("said", lang, *self._key)
        said: tuple[str, str | None] | None = texts.get(key)
        if said is None:
            said = keep(texts, key, self._write(lang))
        return said

    def _write(self, lang: str) -> tuple[str, str | None]:
        outcome = None if self.appraisal is not None else self.outcome
        if outcome is None:
            return self._write_reason(lang), None
        return written(self.node, self.points, outcome, self.not_applicable, lang)

    def _fill(self, outcome: Outcome) -> dict[str, Any]:
        return _fill(self.node, self.points, outcome)


def reason_of(
    node: Node, points: Decimal, outcome: Outcome | None, not_applicable: bool, lang: str
) -> str:
    """The reason for points a rule computed, as ``NodeResult.explain`` gives it."""
    if outcome is None:
        return "; ".join(c.code for c in node.children)
    if outcome.reason is None:
        return (_NOT_APPLICABLE if not_applicable else _FULL).get(lang)
    return _rule_text(node, outcome.reason.get(lang), _fill(node, points, outcome), lang)


def appraised_reason(appraisal: Appraisal, lost: Decimal, lang: str) -> str:
    """The reason for points the appraisal gave: its own, or what giving them means."""
    return appraisal.reason or (_FULL if lost <= 0 else _APPRAISED).get(lang)


def _fill(node: Node, points: Decimal, outcome: Outcome) -> dict[str, Any]:
    """What a reason or formula template may name: the rule's inputs and values, the node's max
    and its points."""
    values = dict(outcome.inputs)
    values.update(outcome.values)
    values.setdefault("max", node.max)
    values.setdefault("points", points)
    return values


def written(
    node: Node, points: Decimal, outcome: Outcome, not_applicable: bool, lang: str
) -> tuple[str, str | None]:
    """A rule's outcome in words, as ``NodeResult.explain`` gives it: the reason and the formula
    as applied."""
    if not outcome.formula:
        if outcome.reason is None:
            return (_NOT_APPLICABLE if not_applicable else _FULL).get(lang), None
        return _rule_text(node, outcome.reason.get(lang), _fill(node, points, outcome), lang), None
    values = _fill(node, points, outcome)
    if outcome.reason is None:
        reason = (_NOT_APPLICABLE if not_applicable else _FULL).get(lang)
    else:
        reason = _rule_text(node, outcome.reason.get(lang), values, lang)
    return reason, _rule_text(node, outcome.formula, values, lang)


def _rule_text(node: Node, template: str, values: Mapping[str, Any], lang: str) -> str:
    """A template of a rule's, filled: what fails here (the rule's templates, its values) is its
    plugin's failure, as when it scores."""
    try:
        return render(template, values, lang)
    except Exception as exc:
        raise RuleFailure(
            f"its explanation cannot be written: {type(exc).__name__}: {exc}",
            plugin=node.plugin or "?",
            rule=node.rule or "?",
            code=node.code,
        ) from None


@attrs.frozen(eq=False, repr=False)
class Deduction:
    """A leaf that lost points, with everything the lost-points register shows.

    A card's deductions are made from the points scoring kept, and each makes the node result
    behind it (``result``) when that is first read: reading the reasons of many cards then
    makes one small object per lost point, and writes each text once per card (see
    ``StageResult``). Two deductions are equal when their results and remedies are."""

    _result: NodeResult
    remedy: Remedy | None = None
    _stage: StageResult | None = attrs.field(init=False, default=None)
    _at: int = attrs.field(init=False, default=0)

    @property
    def result(self) -> NodeResult:
        found = self._result
        if found is None:
            assert self._stage is not None
            found = self._stage._direct_result(self._at)
            object.__setattr__(self, "_result", found)
        return found

    @property
    def code(self) -> str:
        return self.node.code

    @property
    def lost(self) -> Decimal:
        return self.result.lost

    @property
    def node(self) -> Node:
        stage = self._stage
        return self.result.node if stage is None else stage._ruleset.flat[self._at]

    def reason(self, lang: str = "vi") -> str:
        stage = self._stage
        if stage is None or self._result is not None:
            return self.result._reason(lang)
        return stage._reason(self._at, lang)

    def __eq__(self, other: object) -> bool:
        if type(other) is not Deduction:
            return NotImplemented
        return (self.result, self.remedy) == (other.result, other.remedy)

    def __hash__(self) -> int:
        return hash((self.result, self.remedy))

    def __repr__(self) -> str:
        return f"Deduction(result={self.result!r}, remedy={self.remedy!r})"

    def arithmetic(self, lang: str = "vi") -> str:
        """The loss written out, max − points = lost: ``0,5 − 0,2376 = 0,2624``."""
        r = self.result
        return f"{fmt(r.node.full, lang)} − {fmt(r.points, lang)} = {fmt(r.lost, lang)}"


_SLOTS = tuple(Deduction.__dict__[name].__set__ for name in ("_result", "remedy", "_stage", "_at"))


def _deduction(stage: StageResult, at: int, remedy: Remedy | None) -> Deduction:
    """The deduction of the node at position ``at`` of ``stage``, its result not made: its
    slots set as they are, for the hundreds of lost points of a card (a frozen class's
    ``__setattr__`` refuses, and ``object.__setattr__`` looks each slot up by name)."""
    made = object.__new__(Deduction)
    set_result, set_remedy, set_stage, set_at = _SLOTS
    set_result(made, None)
    set_remedy(made, remedy)
    set_stage(made, stage)
    set_at(made, at)
    return made


class Shape:
    """What reading a card needs of a ruleset's tree, found once per ruleset: the positions in
    ``flat`` of the leaves, the parents (by code; by position from the bottom up), each node's
    max below which it has lost points, and what the JSON of a card writes of each node
    whatever the unit (per language, made by ``parrules._json``)."""

    __slots__ = ("by_value", "json", "leaves", "limits", "parents", "parents_up", "read", "said")

    def __init__(self, ruleset: Ruleset) -> None:
        flat, children = ruleset.flat, ruleset._children
        self.leaves = tuple(i for i in range(len(flat)) if not children[i])
        self.parents = frozenset(flat[i].code for i in range(len(flat)) if children[i])
        self.parents_up = tuple(
            (i, children[i]) for i in range(len(flat) - 1, -1, -1) if children[i]
        )
        self.limits = tuple(None if n.bonus else n.max for n in flat)
        """Per node: the max below which it has lost points, None if it can lose none."""
        self.json: dict[str, Any] = {}
        self.said: dict[tuple[Any, ...], Any] = {}
        """The texts written for lost points, by the leaf and the values its rule read, for
        every card of the ruleset: rules are pure functions of the indicators they declare, so
        the same values are explained the same (see ``StageResult._memo``). At most ``SAID``."""
        self.by_value = tuple(
            all(ruleset.indicators[name].type in _SCALAR for name in n.reads) for n in flat
        )
        """Per node: whether the values its rule reads are single values (a number, a date...),
        by which its texts are kept in ``said``; the others (events, items: kept per card) are
        rarely the same in two units, and cost more to compare than to explain again."""
        self.read = tuple(operator.itemgetter(*n.reads) if n.reads else _read_nothing for n in flat)
        """Per node: the value its rule reads from a stage's indicators, or a tuple of the
        values when it reads several (or none)."""


def _read_nothing(values: Mapping[str, Any]) -> tuple[()]:
    return ()


_SCALAR = frozenset({"count", "number", "ratio", "bool", "date", "choice", "text"})
_ABSENT = object()
SAID = 16_384
"""Texts of lost points a ruleset keeps for its cards (see ``Shape.said``): bounded, like the
texts of numbers, so that a long batch of distinct values does not grow memory."""


def keep(memo: dict[tuple[Any, ...], Any], key: tuple[Any, ...], value: Any) -> Any:
    """``value``, kept in ``memo`` while it holds fewer than ``SAID`` entries."""
    if len(memo) < SAID:
        memo[key] = value
    return value


def shape(ruleset: Ruleset) -> Shape:
    found: Shape | None = ruleset._shape
    if found is None:
        found = Shape(ruleset)
        object.__setattr__(ruleset, "_shape", found)
    return found


@attrs.frozen
class StageResult:
    """A unit's score at one stage: every scored node in ruleset order, the total and its class.

    The sub-criteria of a node the appraisal scored as a whole are not listed.

    Kept small, since analyses hold many thousands of cards: only the points that rules computed
    are stored (``None`` where the appraisal gave the points, and for parents). A parent's points
    are the sum of its children's, and a rule's outcome is computed again from the stage's
    indicators when ``results`` are first read: rules are pure functions of the indicators they
    declare, so the explanation is the one the score came from.
    """

    stage: str
    total: Decimal = attrs.field(converter=canonical)
    max: Decimal | None
    classification: Band | None
    remedies: Mapping[str, Remedy] = attrs.field(factory=dict, eq=False, repr=False)
    _ruleset: Ruleset = attrs.field(kw_only=True, eq=False, repr=False)
    _inputs: Stage = attrs.field(kw_only=True, repr=False)
    """The stage's complete inputs, which the unit holds anyway."""
    _scored: tuple[Decimal | None, ...] = attrs.field(kw_only=True, repr=False)
    """Per node of ``ruleset.flat``: a rule's (rounded) points, or None."""
    _outcomes: Mapping[int, Outcome] = attrs.field(kw_only=True, factory=dict, eq=False, repr=False)
    """Per node of ``ruleset.flat``: the outcomes scoring kept, so that reading them runs no
    rule again: those that cannot be computed again from the rule alone (missing data,
    rescaled) and those not applicable, always; those below the max when the card was scored
    to be written at once (``write_jsonl``, the command line). A card held for later keeps no
    more: its outcomes would hold memory and keep the garbage collector busy while a batch
    is scored (``benchmarks/README.md``), so a lost point's rule runs again when it is first
    explained. An outcome follows from the stage's indicators, so two stages with the same
    inputs and points are equal whichever outcomes they kept."""
    _made: tuple[NodeResult | None, ...] | None = attrs.field(
        init=False, default=None, eq=False, repr=False
    )
    """Per node of ``ruleset.flat``, once made: its result, or None if it was not itemised."""
    _results: tuple[NodeResult, ...] = attrs.field(init=False, default=(), eq=False, repr=False)
    _texts: dict[tuple[Any, ...], Any] = attrs.field(
        kw_only=True, factory=dict, eq=False, repr=False
    )
    """The texts written for the card's lost points (reasons, formulas, JSON entries) that the
    ruleset's cards cannot share (see ``_memo``), one mapping shared by the card's stages: keyed
    by the leaf's position and the very objects its text comes from (the outcome kept, or the
    values its rule reads), which the card holds, so that a lost point the same in several
    stages is explained once."""
    _sums: list[Decimal | None] | None = attrs.field(init=False, default=None, eq=False, repr=False)
    """``_points()``, once read by ``points_of``."""

    @property
    def results(self) -> tuple[NodeResult, ...]:
        """Every scored node in ruleset order, made on first use."""
        if self._made is None:
            self._make()
        return self._results

    def _make(self) -> None:
        flat = self._ruleset.flat
        points = self._points()
        made: list[NodeResult | None] = [None] * len(flat)
        for i in self._direct():
            made[i] = self._direct_result(i)
        for i, value in enumerate(points):
            if made[i] is None and value is not None:
                made[i] = NodeResult(flat[i], value)
        object.__setattr__(self, "_made", tuple(made))
        object.__setattr__(self, "_results", tuple(r for r in made if r is not None))

    def _points(self) -> list[Decimal | None]:
        """Per node of ``ruleset.flat``: its points, or None if it was not itemised; what
        ``results`` holds, without making a result per node."""
        ruleset = self._ruleset
        flat, ends, found = ruleset.flat, ruleset._ends, shape(ruleset)
        appraisals = self._inputs.points
        points: list[Decimal | None] = list(self._scored)
        direct = self._direct()
        shown: list[bool] | None = None
        if direct is not found.leaves:  # nodes scored as a whole hide what is inside them
            shown = [True] * len(flat)
            for i in direct:
                shown[i + 1 : ends[i]] = [False] * (ends[i] - i - 1)
        for i in direct:
            if points[i] is None:
                points[i] = appraisals[flat[i].code].points
        for i, kids in found.parents_up:  # children before their parent
            if points[i] is None and (shown is None or shown[i]):
                points[i] = sum([points[k] for k in kids], ZERO)  # type: ignore[type-var]
        return points

    def _lost(self, points: Sequence[Decimal | None]) -> list[int]:
        """Positions of the nodes scored directly and below their max (see ``deductions``)."""
        limits = shape(self._ruleset).limits
        return [
            i
            for i in self._direct()
            if (top := limits[i]) is not None and points[i] < top  # type: ignore[operator]
        ]

    def _direct(self) -> Sequence[int]:
        """Positions of the nodes scored directly: leaves, and nodes the appraisal scored as a
        whole, but not what is inside the latter."""
        appraisals = self._inputs.points
        found = shape(self._ruleset)
        if found.parents.isdisjoint(appraisals):
            return found.leaves  # no node scored as a whole: every leaf
        flat, children, ends = self._ruleset.flat, self._ruleset._children, self._ruleset._ends
        direct, i = [], 0
        while i < len(flat):
            if children[i] and flat[i].code not in appraisals:
                i += 1  # a parent scores the sum of its children: look inside
                continue
            direct.append(i)
            i = ends[i]
        return direct

    def _reason(self, i: int, lang: str) -> str:
        """The reason of the lost point at position ``i``, as its node result gives it: read from
        the texts the card has written, without making the result again."""
        node, points = self._ruleset.flat[i], self._scored[i]
        if points is None:
            appraisal = self._inputs.points[node.code]
            return appraised_reason(
                appraisal, ZERO if node.max is None else node.max - appraisal.points, lang
            )
        outcome = self._outcomes.get(i)
        memo, key = self._memo(i, node, outcome, "reason", lang)
        text: str | None = memo.get(key)
        if text is None:  # as the node result would write it (see ``_direct_result``)
            not_applicable = outcome is not None and outcome.not_applicable
            if outcome is None and node.evaluate is not None:
                outcome = node.evaluate(self._inputs.indicators)
            text = reason_of(node, canonical(points), outcome, not_applicable, lang)
            keep(memo, key, text)
        return text

    def _memo(
        self, i: int, node: Node, outcome: Outcome | None, *kind: str
    ) -> tuple[dict[tuple[Any, ...], Any], tuple[Any, ...]]:
        """Where the texts of the leaf at ``i`` are kept, and under which key (after ``kind``):
        by the values its rule read, for every card of the ruleset, where its outcome follows
        from them alone (none missing, not rescaled) and they can be hashed; otherwise in this
        card, by the very objects it was computed from."""
        values = self._inputs.indicators
        found = shape(self._ruleset)
        if found.by_value[i] and (outcome is None or not outcome.not_applicable):
            try:
                read = found.read[i](values)  # the value it reads, or a tuple of several
            except KeyError:  # one is missing
                read = tuple([values.get(name, _ABSENT) for name in node.reads])
                read = read[0] if len(read) == 1 else read
            # 1 and True are not explained the same: the types are in the key
            key = (*kind, i, read, type(read) if len(node.reads) == 1 else tuple(map(type, read)))
            try:
                hash(key)
            except TypeError:  # a value that cannot be hashed, given through the API
                pass
            else:
                said = found.said
                if len(said) < SAID or key in said:
                    return said, key
                return self._texts, key  # no room: kept for this card's other stages
        if outcome is None:
            return self._texts, (*kind, i, *[id(values[name]) for name in node.reads])
        return self._texts, (*kind, i, id(outcome))

    def _direct_result(self, i: int) -> NodeResult:
        node, points = self._ruleset.flat[i], self._scored[i]
        if points is None:
            appraisal = self._inputs.points[node.code]
            return NodeResult(node, appraisal.points, appraisal=appraisal)
        outcome = self._outcomes.get(i)
        texts, key = self._memo(i, node, outcome)
        if outcome is None:  # a leaf at its max, or scored elsewhere: computed when read
            return NodeResult(node, points, values=self._inputs.indicators, texts=texts, key=key)
        return NodeResult(
            node,
            points,
            outcome=outcome,
            not_applicable=outcome.not_applicable,
            texts=texts,
            key=key,
        )

    @property
    def percent(self) -> Decimal | None:
        """The total as a percentage of the max (unrounded); None with no published maximum."""
        return None if self.max is None else percent(self.total, self.max)

    def points_of(self, code: str) -> Decimal | None:
        """A node's points, None where it was not itemised at this stage: read from the points
        scoring kept, without making the node results (as ranking many units needs)."""
        position = self._ruleset._positions.get(code)
        if position is None:
            self.node(code)  # raises, naming the node
        sums = self._sums
        if sums is None:
            sums = self._points()
            object.__setattr__(self, "_sums", sums)
        value = sums[position]  # type: ignore[index]
        return None if value is None else canonical(value)

    def node(self, code: str) -> NodeResult:
        result = self.get(code)
        if result is None:
            from .errors import UnknownNameError, close_match

            raise UnknownNameError(
                f"no node '{code}' scored at stage '{self.stage}'",
                hint=close_match(code, [r.code for r in self.results]),
            )
        return result

    def get(self, code: str) -> NodeResult | None:
        """The node's result, or None when it was not itemised at this stage."""
        position = self._ruleset._positions.get(code)
        if position is None:
            return None
        if self._made is None:
            self._make()
        assert self._made is not None
        return self._made[position]

    @property
    def fields(self) -> tuple[NodeResult, ...]:
        return tuple(r for r in self.results if "." not in r.node.code)

    @property
    def deductions(self) -> tuple[Deduction, ...]:
        """Nodes scored directly and below their max, in ruleset order; their losses add up to
        ``max − total`` (less any bonus points). A node with no published maximum loses nothing.

        Made from the stored points, so that explaining them leaves the card as small as it was.
        """
        flat, appraisals, made = self._ruleset.flat, self._inputs.points, self._made
        limits, scored = shape(self._ruleset).limits, self._scored
        lost = []
        for i in self._direct():
            top = limits[i]
            if top is None:
                continue
            points = scored[i]
            if points is None:
                points = appraisals[flat[i].code].points
            if points < top:
                lost.append(i)
        remedies = self.remedies
        if made:
            return tuple(
                Deduction(r, remedies.get(r.code)) for i in lost if (r := made[i]) is not None
            )
        return tuple(
            _deduction(self, i, remedies.get(flat[i].code) if remedies else None) for i in lost
        )


@attrs.frozen
class ScoreCard:
    """The result for one unit: one ``StageResult`` per stage; the last stage is the published
    one and is what ``total``, ``node`` and ``deductions`` report.

    Every point value it gives is an exact ``Decimal`` in canonical form (``Decimal('0.5')``,
    ``Decimal('95')``: no trailing zeros), so equal values print the same and ``str`` gives the
    string the JSON holds."""

    unit: UnitInputs
    ruleset: Ruleset
    stages: tuple[StageResult, ...]

    @property
    def final(self) -> StageResult:
        return self.stages[-1]

    def stage(self, name: str | None = None) -> StageResult:
        if name is None:
            return self.final
        for stage in self.stages:
            if stage.stage == name:
                return stage
        from .errors import UnknownNameError

        known = ", ".join(s.stage for s in self.stages)
        raise UnknownNameError(f"score card has no stage '{name}' (it has: {known})")

    @property
    def total(self) -> Decimal:
        return self.final.total

    @property
    def percent(self) -> Decimal | None:
        return self.final.percent

    @property
    def classification(self) -> Band | None:
        return self.final.classification

    def node(self, code: str) -> NodeResult:
        return self.final.node(code)

    @property
    def deductions(self) -> tuple[Deduction, ...]:
        return self.final.deductions

    def to_dict(
        self, lang: str = "vi", *, stages: str = "all", detail: str = "all"
    ) -> dict[str, Any]:
        """The card as JSON data (``parrules.scorecard/2``). ``stages="final"`` keeps the
        published stage only; ``detail`` keeps every node's points and every lost point
        explained (``all``), the nodes alone (``nodes``) or the lost points alone
        (``deductions``)."""
        from ._json import card_to_dict

        return card_to_dict(self, lang, stages, detail)
