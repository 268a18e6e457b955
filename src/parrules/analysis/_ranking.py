"""Ranking many units of one ruleset: ranks with ties, classes, field averages."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Literal

import attrs

from .._model import Band, Node, Ruleset, ScoreCard, StageResult
from .._numbers import ZERO, percent
from ..errors import InputError

Method = Literal["competition", "dense"]

# Vietnamese alphabetical order: letters with breve, circumflex or horn and đ are letters of their
# own; tone marks only break ties.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_MODIFIED = {
    ("a", "\u0306"): "ă",
    ("a", "\u0302"): "â",
    ("e", "\u0302"): "ê",
    ("o", "\u0302"): "ô",
    ("o", "\u031b"): "ơ",
    ("u", "\u031b"): "ư",
}
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def vi_sort_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...], str]:
    """A sort key in Vietnamese alphabetical order (a ă â b c d đ e ê …), tones second."""
    letters: list[int] = []
    tones: list[int] = []
    for char in unicodedata.normalize("NFC", text).casefold():
        decomposed = unicodedata.normalize("NFD", char)
        base, marks = decomposed[0], decomposed[1:]
        tone = 0
        for mark in marks:
            if mark in _TONES:
                tone = _TONES[mark]
            else:
                base = _MODIFIED.get((base, mark), base)
        position = _ALPHABET.find(base)
        if position >= 0:
            letters.append(1000 + position)
        else:  # spaces, digits and punctuation before letters, anything else after
            letters.append(ord(base) if ord(base) < 128 else 2000 + ord(base))
        tones.append(tone)
    return tuple(letters), tuple(tones), text


@attrs.frozen
class RankEntry:
    """One unit's place: its rank, total, percentage, class and points per field."""

    card: ScoreCard
    rank: int
    result: StageResult

    @property
    def unit(self) -> str:
        return self.card.unit.unit

    @property
    def total(self) -> Decimal:
        return self.result.total

    @property
    def percent(self) -> Decimal | None:
        return self.result.percent

    @property
    def classification(self) -> Band | None:
        return self.result.classification

    def field(self, code: str) -> Decimal:
        points = self.result.points_of(code)
        if points is None:
            self.result.node(code)  # raises: not itemised at this stage
        assert points is not None
        return points

    def points(self, code: str) -> Decimal | None:
        """The points of any node, None where the unit does not list it (a sub-criterion of a
        node the appraisal scored as a whole)."""
        return self.result.points_of(code)


@attrs.frozen
class FieldAverage:
    """The average points of one field (or of the total) and their percentage of its max (None
    when no maximum is published)."""

    code: str
    points: Decimal
    max: Decimal | None

    @property
    def percent(self) -> Decimal | None:
        return None if self.max is None else percent(self.points, self.max)


@attrs.frozen
class Ranking:
    """Units of one ruleset by rank, then name; iterating gives the ``RankEntry`` values."""

    ruleset: Ruleset
    stage: str | None
    method: Method
    entries: tuple[RankEntry, ...]
    average: FieldAverage
    fields: tuple[FieldAverage, ...]
    classification_counts: tuple[tuple[Band, int], ...]

    def __iter__(self) -> Iterator[RankEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def nodes(self, depth: int = 1) -> tuple[FieldAverage, ...]:
        """The average of every node down to ``depth`` (1: the fields, as ``fields``), in
        ruleset order; a sub-criterion's is taken over the units that list it."""
        found = []
        for node in _down_to(self.ruleset.nodes, depth):
            points = [p for e in self.entries if (p := e.points(node.code)) is not None]
            total = sum(points, ZERO) / len(points) if points else ZERO
            found.append(FieldAverage(node.code, total, node.max))
        return tuple(found)


def _down_to(nodes: Sequence[Node], depth: int) -> Iterator[Node]:
    for node in nodes:
        yield node
        if depth > 1:
            yield from _down_to(node.children, depth - 1)


def rank(
    cards: Sequence[ScoreCard], *, stage: str | None = None, method: Method | None = None
) -> Ranking:
    """Rank score cards of one ruleset by their total at ``stage`` (default: each one's last).

    Equal totals share a rank; ``competition`` (1, 2, 2, 4) unless the ruleset, or ``method``,
    asks for ``dense`` (1, 2, 2, 3). Ties are listed in Vietnamese alphabetical order.
    """
    if not cards:
        raise InputError("there are no units to rank", hint="give at least one unit file")
    ruleset = cards[0].ruleset
    others = sorted({c.ruleset.id for c in cards} - {ruleset.id})
    if others:
        raise InputError(
            f"cannot rank units of different rulesets: {ruleset.id}, {', '.join(others)}",
            hint="rank the units of each ruleset separately",
        )
    method = method or ("dense" if ruleset.ranking == "dense" else "competition")
    results = [(card, card.stage(stage)) for card in cards]
    # the rank of a total: 1 + the units (competition) or distinct totals (dense) above it
    places: dict[Decimal, int] = {}
    for index, total in enumerate(sorted((r.total for _, r in results), reverse=True)):
        places.setdefault(total, len(places) + 1 if method == "dense" else index + 1)

    entries = sorted(
        (RankEntry(card, places[result.total], result) for card, result in results),
        key=lambda e: (e.rank, vi_sort_key(e.unit), e.card.unit.path or ""),
    )
    count = Decimal(len(cards))
    fields = tuple(
        FieldAverage(
            node.code,
            sum((r.points_of(node.code) or ZERO for _, r in results), ZERO) / count,
            node.max,
        )
        for node in ruleset.nodes
    )
    average = FieldAverage("", sum((r.total for _, r in results), ZERO) / count, ruleset.max)
    counts = tuple(
        (band, sum(1 for _, r in results if r.classification == band))
        for band in ruleset.classification
    )
    names = {r.stage for _, r in results}
    return Ranking(
        ruleset=ruleset,
        stage=stage or (names.pop() if len(names) == 1 else None),
        method=method,
        entries=tuple(entries),
        average=average,
        fields=fields,
        classification_counts=counts,
    )
