"""Text a reader can see as it is: every text read from a file or given through the API is
checked here, and a character that is invisible or changes how the text around it is shown is
refused rather than removed.

Refused: control characters (``\\0``, ``\\x1b``, ``\\r``, a tab — a line break is the only one
allowed), format characters (zero-width spaces and joiners, bidirectional overrides and marks, a
soft hyphen, a byte-order mark inside the text), lone surrogates, and the line and paragraph
separators U+2028 and U+2029. Such characters let two names that look the same be different
(``Xã A`` and ``Xã\\u200bA``, so that one unit is scored twice), reorder what a terminal or a
browser shows, or stop a file from being written. Spaces of every kind, letters and marks of
every script, and private-use characters are accepted.
"""

from __future__ import annotations

import unicodedata

_REFUSED = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_KINDS = {"Cc": "a control character", "Cs": "half of a surrogate pair"}


def hidden_character(text: str) -> str | None:
    """The first refused character of ``text``, described (``U+200B ZERO WIDTH SPACE``), or
    None when there is none."""
    if text.isprintable():  # the common case: no Other or Separator character but spaces
        return None
    for char in text:
        category = unicodedata.category(char)
        if char != "\n" and category in _REFUSED:
            name = _KINDS.get(category) or unicodedata.name(char, "")
            return f"U+{ord(char):04X} ({name})"
    return None


HINT = "remove it: it cannot be seen, or it changes how the text around it is shown"
