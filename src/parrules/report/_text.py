"""Text that fits: tables laid out within a width counted in display cells (wcwidth), cells
wrapped on word boundaries, headers broken between phrases where they can be.

A table that cannot fit as columns (every column at its narrowest is still too wide) is written
as records instead: one block per row, each cell under its heading, so that a narrow terminal
still reads every word.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence

from wcwidth import wcwidth

GAP = 2
"""Spaces between two columns (one where two do not fit)."""
_NUMBER = re.compile(r"[+\-−]?[0-9][0-9.,]*%?")
RECORD_INDENT = 2
NARROWEST = 12
"""A text column narrower than this reads as a column of syllables: such a table is written as
records instead."""

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def inert(text: str) -> str:
    """Text a terminal shows as written: control characters (escape sequences, carriage
    returns, direction overrides) replaced by U+FFFD."""
    return _CONTROL.sub("\ufffd", text.replace("\r\n", "\n").replace("\t", " "))


def width(text: str) -> int:
    """Display cells a line takes: 2 for a wide character, 0 for a combining mark."""
    if text.isascii():
        return len(text)
    return sum(map(_CELLS.__getitem__, unicodedata.normalize("NFC", text)))


class _Cells(dict[str, int]):
    """Display cells per character, each found once (a table is measured again for every
    width its layout tries); at most ``KEPT`` characters kept."""

    def __missing__(self, character: str) -> int:
        cells = max(wcwidth(character), 0)
        if len(self) < KEPT:
            self[character] = cells
        return cells


KEPT = 4096
_CELLS = _Cells()


def _cut(word: str, limit: int) -> list[str]:
    """A word longer than the line, cut into pieces of at most ``limit`` cells."""
    pieces, piece, used = [], "", 0
    for ch in word:
        w = _CELLS[ch]
        if used + w > limit and piece:
            pieces.append(piece)
            piece, used = "", 0
        piece += ch
        used += w
    return [*pieces, piece] if piece else pieces


def wrap(text: str, limit: int | None) -> list[str]:
    """Lines of at most ``limit`` cells, broken between words (a word longer than a line is
    cut); each line of the text starts a new line. ``None``: no limit."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        if limit is None:
            lines.append(paragraph.rstrip())
            continue
        line, used = "", 0
        for word in paragraph.split():
            w = width(word)
            if w > limit:
                if line:
                    lines.append(line)
                *whole, word = _cut(word, limit)
                lines += whole
                line, used = word, width(word)
                continue
            if line and used + 1 + w > limit:
                lines.append(line)
                line, used = "", 0
            line, used = (f"{line} {word}", used + 1 + w) if line else (word, w)
        lines.append(line)
    return lines


_PHRASE_BREAK = re.compile(r"(?<=[,;:])\s+|\s+(?=[(\[—–-]\s?)")


def _phrases(header: str) -> list[str]:
    """A header's phrases: split after a comma and before a parenthesis or a dash."""
    return [p for p in _PHRASE_BREAK.split(header) if p]


def wrap_header(header: str, limit: int) -> list[str]:
    """A header in as few lines as fit, broken between phrases where it can be, else between
    the words that leave the most even lines."""
    if width(header) <= limit:
        return [header]
    words = header.split()
    if len(words) > 12 or max(map(width, words), default=0) > limit:
        return wrap(header, limit)
    breaks = set()
    position = 0
    for phrase in _phrases(header):
        position += len(phrase.split())
        breaks.add(position)
    for lines in range(2, len(words) + 1):
        best: tuple[int, int, list[str]] | None = None
        for cuts in itertools.combinations(range(1, len(words)), lines - 1):
            bounds = (0, *cuts, len(words))
            parts = [" ".join(words[a:b]) for a, b in itertools.pairwise(bounds)]
            widest = max(map(width, parts))
            if widest > limit:
                continue
            inside = sum(cut not in breaks for cut in cuts)  # breaks inside a phrase
            if best is None or (inside, widest) < best[:2]:
                best = (inside, widest, parts)
        if best is not None:
            return best[2]
    return wrap(header, limit)


def _longest_word(text: str) -> int:
    return max((width(w) for w in text.split()), default=0)


def _fit(
    naturals: list[int], minimums: list[int], room: int, columns: Sequence[Sequence[str]]
) -> list[int]:
    """Widths between each column's minimum and natural width that take the fewest lines:
    from the minimums, the room left goes, a few cells at a time, to the column where it saves
    the most lines (a number's heading, which wraps once, last)."""
    widths = list(minimums)
    known: dict[tuple[int, int], list[int]] = {}

    def heights(i: int, w: int) -> list[int]:
        if (i, w) not in known:
            known[i, w] = [len(wrap(cell, w)) for cell in columns[i]]
        return known[i, w]

    def lines(trial: list[int]) -> int:
        per_column = [heights(i, w) for i, w in enumerate(trial)]
        return sum(max(row, default=1) for row in zip(*per_column, strict=True))

    step = max(1, (room - sum(widths)) // 24)
    while sum(widths) < room:
        left = room - sum(widths)
        now = lines(widths)
        best: tuple[float, int, int] | None = None  # lines saved per cell, column, width
        for i in range(len(widths)):
            for k in (1, 2, 4, 8):  # look a few steps ahead: one step may save no line yet
                w = min(widths[i] + step * k, naturals[i], widths[i] + left)
                if w <= widths[i]:
                    break
                trial = list(widths)
                trial[i] = w
                rate = (now - lines(trial)) / (w - widths[i])
                if rate > 0 and (best is None or rate > best[0]):
                    best = (rate, i, w)
        if best is None:  # no column saves a line: widen the one furthest from its natural
            open_ = [i for i in range(len(widths)) if widths[i] < naturals[i]]
            if not open_:
                break
            i = max(open_, key=lambda i: naturals[i] - widths[i])
            best = (0.0, i, min(widths[i] + step, naturals[i], widths[i] + left))
        widths[best[1]] = best[2]
    return widths


def layout(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    numeric: Sequence[bool],
    limit: int | None,
    *,
    caps: Sequence[int | None] = (),
    rules: Sequence[int] = (),
) -> list[str] | None:
    """Lines of a table within ``limit`` cells (None: as wide as its columns), or None when it
    cannot fit as columns. ``numeric`` columns are right-aligned and never wrapped; ``caps`` are
    the widths a text column wraps at even with room to spare; ``rules`` are the rows a rule is
    drawn above (the totals)."""
    headers = [inert(h) for h in headers]
    rows = [[inert(c) for c in row] for row in rows]
    count = len(headers)
    caps = list(caps) or [None] * count
    naturals, minimums, contents = [], [], []
    for i in range(count):
        cells = [row[i] for row in rows]
        content = max((width(line) for c in cells for line in c.split("\n")), default=0)
        contents.append(content)
        header_word = _longest_word(headers[i])
        if numeric[i]:  # numbers are never wrapped; a word in a column of numbers may be
            natural = max(content, width(headers[i]))
            minimum = max(
                max((width(c) for c in cells if _NUMBER.fullmatch(c)), default=0),
                max((min(width(c), NARROWEST + 4) for c in cells), default=0),  # "Xuất sắc"
                header_word,
            )
        else:
            natural = max(content, width(headers[i]))
            cap = caps[i]  # long text wraps at its column's width, whatever the room
            if cap is not None:
                natural = max(min(natural, cap), header_word)
            minimum = max(
                min(max((_longest_word(c) for c in cells), default=0), NARROWEST * 2),
                header_word,
                min(content, NARROWEST),
            )
        naturals.append(natural)
        minimums.append(min(minimum, natural))
    widths = naturals
    for gap in (GAP, 1):
        room = None if limit is None else limit - gap * (count - 1)
        if room is None or sum(naturals) <= room:
            break
        if sum(minimums) <= room:
            widths = _fit(naturals, minimums, room, [[r[i] for r in rows] for i in range(count)])
            break
    else:
        return None
    if any(not numeric[i] and widths[i] < min(contents[i], NARROWEST) for i in range(count)):
        return None  # a column of syllables
    head = [wrap_header(h, w) for h, w in zip(headers, widths, strict=True)]
    lines = _block(head, widths, numeric, gap)
    lines.append(_rule(widths, gap))
    for index, row in enumerate(rows):
        if index in rules and index:
            lines.append(_rule(widths, gap))
        wrapped = [wrap(c, w) for c, w in zip(row, widths, strict=True)]
        lines += _block(wrapped, widths, numeric, gap)
    return lines


def _rule(widths: Sequence[int], gap: int) -> str:
    return (" " * gap).join("-" * w for w in widths)


def _block(
    cells: Sequence[list[str]], widths: Sequence[int], numeric: Sequence[bool], gap: int
) -> list[str]:
    height = max((len(c) for c in cells), default=1)
    lines = []
    for n in range(height):
        parts = []
        for lines_of, w, right in zip(cells, widths, numeric, strict=True):
            text = lines_of[n] if n < len(lines_of) else ""
            pad = " " * (w - width(text))
            parts.append(pad + text if right else text + pad)
        lines.append((" " * gap).join(parts).rstrip())
    return lines


def records(
    headers: Sequence[str], rows: Sequence[Sequence[str]], keys: int, limit: int
) -> list[str]:
    """A table as one block per row for a narrow width: the first ``keys`` cells head the
    block, every other non-empty cell follows under its column's heading. Where every cell is
    short (a ranking's points), the block heads with the row's first text too and its cells
    flow as ``heading: value`` on as few lines as they fit."""
    headers = [inert(h) for h in headers]
    rows = [[inert(c) for c in row] for row in rows]
    room = limit - RECORD_INDENT
    short = keys < len(headers) and all(
        width(h) + 2 + width(c) <= room // 2
        for row in rows
        for h, c in zip(headers[keys + 1 :], row[keys + 1 :], strict=True)
    )
    lines: list[str] = []
    for row in rows:
        if lines:
            lines.append("")
        if short:
            head = "  ".join(c for c in row[: keys + 1] if c)
            lines += [head] if width(head) <= limit else wrap(head, limit)
            items = [f"{h}: {c}" for h, c in zip(headers[keys + 1 :], row[keys + 1 :], strict=True)]
            lines += _flow([i for i, c in zip(items, row[keys + 1 :], strict=True) if c], room)
        else:
            lines += _labelled(headers, row, keys, limit)
    return lines


def _flow(items: Sequence[str], room: int) -> list[str]:
    """Short items on as few lines as they fit, two spaces apart."""
    lines: list[str] = []
    line = ""
    for item in items:
        if line and width(line) + GAP + width(item) > room:
            lines.append(" " * RECORD_INDENT + line)
            line = ""
        line = f"{line}{' ' * GAP}{item}" if line else item
    if line:
        lines.append(" " * RECORD_INDENT + line)
    return lines


def _labelled(headers: Sequence[str], row: Sequence[str], keys: int, limit: int) -> list[str]:
    """One row as a block: its key cells, then each cell beside its heading."""
    cap = max(limit // 3, 8)
    label_width = max(
        (width(line) for h in headers[keys:] for line in wrap_header(h, cap)), default=0
    )
    value_width = max(limit - RECORD_INDENT - label_width - GAP, 8)
    lines: list[str] = []
    head = "  ".join(c for c in row[:keys] if c)
    if head:
        lines += [head] if width(head) <= limit else wrap(head, limit)
    for header, cell in zip(headers[keys:], row[keys:], strict=True):
        if not cell:
            continue
        label = wrap_header(header, label_width)
        value = wrap(cell, value_width)
        for n in range(max(len(label), len(value))):
            left = label[n] if n < len(label) else ""
            right = value[n] if n < len(value) else ""
            line = " " * RECORD_INDENT + left + " " * (label_width - width(left) + GAP) + right
            lines.append(line.rstrip())
    return lines
