"""Text a reader can see as it is: every text read from a file or given through the API is
checked here, and a character that is invisible or changes how the text around it is shown is
refused rather than removed.

Refused: control characters (``\\0``, ``\\x1b``, ``\\r``, a tab — a line break is the only one
allowed), format characters (zero-width spaces and joiners, bidirectional overrides and marks, a
soft hyphen, a byte-order mark inside the text), lone surrogates, the line and paragraph
separators U+2028 and U+2029, the other characters Unicode says are shown as nothing (fillers
such as U+3164 HANGUL FILLER, variation selectors, the combining grapheme joiner) and
noncharacters (U+FFFF, U+FDD0…). Such characters let two names that look the same be different
(``Xã A`` and ``Xã\\u200bA``, so that one unit is scored twice), reorder what a terminal or a
browser shows, or stop a file from being written. Spaces of every kind, letters and marks of
every script, and private-use characters are accepted.
"""

from __future__ import annotations

import re
import unicodedata

_REFUSED = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_KINDS = {"Cc": "a control character", "Cs": "half of a surrogate pair"}
# Printable to Python, yet shown as nothing: the default-ignorable code points that are letters
# or marks (Unicode's DerivedCoreProperties.txt), and the noncharacters.
_INVISIBLE = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0"
    "\U000e0000-\U000e0fff\ufdd0-\ufdef\ufffe\uffff"
    + "".join(f"\\U{plane:04x}fffe\\U{plane:04x}ffff" for plane in range(1, 17))
    + "]"
)


def hidden_character(text: str) -> str | None:
    """The first refused character of ``text``, described (``U+200B ZERO WIDTH SPACE``), or
    None when there is none."""
    if text.isprintable():  # the common case: no Other or Separator character but spaces
        invisible = _INVISIBLE.search(text)
        return None if invisible is None else _described(invisible.group())
    for char in text:
        category = unicodedata.category(char)
        if char != "\n" and (category in _REFUSED or _INVISIBLE.match(char)):
            return _described(char)
    return None


def _described(char: str) -> str:
    name = _KINDS.get(unicodedata.category(char)) or unicodedata.name(char, "a noncharacter")
    return f"U+{ord(char):04X} ({name})"


HINT = "remove it: it cannot be seen, or it changes how the text around it is shown"
