"""Documents composed by libyaml in C read exactly as documents composed event by event: the same
values, lines and refusals."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parrules import Limits, _yaml
from parrules.errors import YamlError

ROOT = Path(__file__).parent.parent
pytestmark = pytest.mark.skipif(
    not hasattr(_yaml._Loader, "compose_in_c"), reason="PyYAML without libyaml"
)


def read(text: str, *, in_c: bool, limits: Limits = _yaml.DEFAULT_LIMITS) -> Any:
    """The data and lines ``load_text`` reads from ``text``, or its refusal: composed in C where
    it can be (``in_c``), or always event by event."""
    chosen = _yaml._composed_in_c
    if not in_c:
        _yaml._composed_in_c = lambda text: False
    try:
        return plain(_yaml.load_text(text, "x.yaml", limits=limits))
    except YamlError as exc:
        return ("refused", str(exc))
    finally:
        _yaml._composed_in_c = chosen


def plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {"@": [value.line, value.lines], **{k: plain(v) for k, v in value.items()}}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value if isinstance(value, str | int | bool | type(None)) else repr(value)


FILES = sorted(
    p
    for folder in ("tests/data", "tests/hostile", "src/parrules/rulesets", "examples")
    for p in (ROOT / folder).rglob("*.yaml")
)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_file_reads_the_same_composed_in_c(path):
    text = path.read_text(encoding="utf-8", errors="replace")
    assert read(text, in_c=True) == read(text, in_c=False)


def test_the_unit_files_and_rulesets_are_composed_in_c():
    """What a district writes has no anchors, aliases or tags: composed in C, and read as
    composed event by event."""
    files = [p.read_text("utf-8") for p in FILES if "hostile" not in p.parts]
    in_c = [text for text in files if _yaml._composed_in_c(text)]
    assert len(in_c) > 0.8 * len(files)
    limits = _yaml.DEFAULT_LIMITS
    for text in in_c:
        assert plain(_yaml._load(text, "x", limits, in_c=True)) == read(text, in_c=False)


@pytest.mark.parametrize(
    ("text", "limits"),
    [
        ("a: [1, 2, 3]\nb: {c: d}\n", Limits(max_nodes=7)),
        ("a:\n  b:\n    c: [[1]]\n", Limits(max_depth=4)),
        ("a:\n  b: c\n", Limits(max_depth=2)),  # a text one level too deep
        ("a: [1, 2]\nb: [3]\n", Limits(max_nodes=7)),  # eight values, one too many
        ("a:\n  b: 1\n  b: 2\n", Limits()),
        ("a: 1\n---\nb: 2\n", Limits()),
        ("a: [1, 2\n", Limits()),
    ],
)
def test_refusals_name_the_same_line(text, limits):
    refused = read(text, in_c=True, limits=limits)
    assert refused[0] == "refused"
    assert refused == read(text, in_c=False, limits=limits)


def test_at_the_limits_composed_in_c():
    text = "a: [1, 2, 3]\nb: {c: d}\n"  # 10 nodes, 3 levels (0, 1, 2)
    assert _yaml._load(text, "x", Limits(max_nodes=10, max_depth=3), in_c=True)["b"] == {"c": "d"}


PIECES = [
    ":", ": ", " ", "?", "? ", "-", "- ", "[", "]", "{", "}", ",", "a", "é", "1", ".5", "0.50",
    "~", "\n", "\r\n", "\n  ", "#", "'", '"', "|", ">", "|#", "!", "&", "*", "%", "...", "---",
    "\\", "\\e", "\x85", "\u2028", "<<", "x: ", "- a\n", "  b: c\n", "true", "2023-05-25",
]  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_any_text_reads_the_same_composed_in_c(pieces):
    text = "".join(pieces)
    assert read(text, in_c=True) == read(text, in_c=False)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet="&*!?#|>-+09 a\n\té\ufeff\x85\u2028\u2029"))
def test_what_is_looked_for_character_by_character_is_what_the_patterns_find(text):
    composed_in_python = re.search(r"[&*!?]|[|>][-+0-9]*#", text) is not None
    assert _yaml._composed_in_c(text) is not composed_in_python
    start = 1 if text.startswith("\ufeff") else 0
    expected = re.compile("[\t\ufeff\x85\u2028\u2029]").search(text, start)
    found = _yaml._raw_refused(text)
    assert (found and found.span()) == (expected and expected.span())
