"""Fuzzing the loaders: random bytes, random YAML documents and random mutations of valid files
are fed to the ruleset and unit loaders (and what loads, to the engine and the JSON writer).
Nothing may escape but ``ParRulesError`` subclasses, and each example has a time budget; the
worst documents the limits allow are read in bounded time and memory."""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
import unicodedata
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import parrules
from parrules import Limits, Registry, _yaml, yaml_limits
from parrules._yaml import load_text
from parrules.errors import ParRulesError, RulesetError, UnitError, YamlError

DATA = Path(__file__).parent / "data"
FUZZ = settings(
    max_examples=100,
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
REGISTRY = Registry.create(entry_points=False)
MINI = parrules.load_ruleset(DATA / "mini.yaml", registry=REGISTRY)
WORKDIR = Path(tempfile.mkdtemp(prefix="parrules-fuzz-"))
_names = itertools.count()


def fresh(suffix: str = ".yaml") -> Path:
    """A new file name per example, so that no cache can serve an earlier example."""
    return WORKDIR / f"case{next(_names)}{suffix}"


def load_unit_and_score(data: bytes) -> None:
    path = fresh()
    path.write_bytes(data)
    try:
        unit = parrules.load_unit(path, ruleset=MINI)
        card = parrules.score(MINI, unit)
        json.dumps(card.to_dict("vi"), ensure_ascii=False)
        json.dumps(card.to_dict("en"))
    except ParRulesError:
        pass


def load_ruleset(data: bytes) -> None:
    path = fresh()
    path.write_bytes(data)
    with contextlib.suppress(ParRulesError):
        parrules.load_ruleset(path, registry=REGISTRY)


# Scalars chosen to hit every corner of the loaders: YAML 1.1 surprises, separators, dates, huge
# and non-finite numbers, Vietnamese text in both normalisations, and plain valid values.
TRICKY = [
    "yes", "no", "on", "off", "~", "null", "true", "1:30", "010", "0x1F", "1_000", "1e3", ".nan",
    "-.inf", "19,86", "1.234,5", "1 339", "93,4%", "150%", "-1", "0", "46", "1.000", "2023-02-31",
    "2023-05-25", "31/02/2023", "25/05/2023", "9" * 40, "0." + "0" * 40 + "1", "Xã Bình Thành",
    "Xã Bình Thành", "khien_trach", "cach_chuc", "2.3", "2,3", "", " ", "\t", "[", "{", "&a",
    "*a", "!!python/object:os.system", "!x", "<<", "=", "é", "\u00a0", "'", '"',
]  # fmt: skip
KEYS = [
    "unit", "year", "ruleset", "indicators", "points", "remedies", "stages", "appraisal",
    "final", "self", "tthc_thanh_toan", "tthc_trien_khai", "duong_ngo_bt", "duong_ngo",
    "ky_luat", "bao_cao", "co_ke_hoach", "1", "1.1", "1.2", "1.3", "2", "2.1", "2.2", "2.3",
    "name", "due", "sent", "dated", "received", "reason", "by", "date", "evidence", "remedy",
    "person", "khien_trach", "cach_chuc", "id", "title", "max", "nodes", "code", "children",
    "rule", "params", "label", "type", "classification", "min", "extends", "add", "remove",
    "replace", "parent", "after", "floor", "bonus", "missing", "not_applicable", "precision",
]  # fmt: skip

scalars = st.one_of(
    st.sampled_from(TRICKY),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str),
    st.booleans(),
    st.none(),
    st.text(max_size=12),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), children, max_size=6),
    ),
    max_leaves=30,
)


def as_yaml(value: Any) -> bytes:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False).encode()


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes_never_escape(data):
    load_unit_and_score(data)
    load_ruleset(data)


@FUZZ
@given(st.text(max_size=400))
def test_random_text_never_escapes_the_yaml_reader(text):
    with contextlib.suppress(YamlError):
        load_text(text, "fuzz.yaml")


@FUZZ
@given(st.lists(st.sampled_from(TRICKY + KEYS + [": ", "\n", "- ", "  ", ", "]), max_size=40))
def test_random_yaml_token_soup_never_escapes(tokens):
    data = "".join(tokens).encode()
    load_unit_and_score(data)
    load_ruleset(data)


@FUZZ
@given(documents)
def test_random_yaml_documents_never_escape(document):
    load_unit_and_score(as_yaml(document))
    load_ruleset(as_yaml(document))


def leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every value in a nested document (containers included)."""
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += leaves(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += leaves(child, (*path, index))
    return found


def mutate(base: Any, draw: Any) -> Any:
    document = copy.deepcopy(base)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = [p for p in leaves(document) if p]
        if not paths:
            break
        target = draw(st.sampled_from(paths))
        parent = document
        for step in target[:-1]:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[target[-1]]
        else:
            parent[target[-1]] = draw(documents)
    return document


def valid_document(name: str) -> Any:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


UNIT = valid_document("mini-unit.yaml")
UNIT["ruleset"] = str(DATA / "mini.yaml")
RULESET = valid_document("mini.yaml")


@FUZZ
@given(st.data())
def test_mutated_unit_files_never_escape(data):
    load_unit_and_score(as_yaml(mutate(UNIT, data.draw)))


@FUZZ
@given(st.data())
def test_mutated_rulesets_never_escape(data):
    load_ruleset(as_yaml(mutate(RULESET, data.draw)))


def test_the_mutations_start_from_valid_documents():
    """Otherwise the mutation tests would only ever exercise the first error."""
    unit = fresh()
    unit.write_bytes(as_yaml(UNIT))
    assert parrules.score(MINI, parrules.load_unit(unit, ruleset=MINI)).total > 0
    ruleset = fresh()
    ruleset.write_bytes(as_yaml(RULESET))
    assert parrules.load_ruleset(ruleset, registry=REGISTRY).max == 10


# The worst documents the limits let through, and just beyond them. Traced at a tenth of the
# default limits (tracing is slow); the cost grows linearly with the limits.

LIMITS = Limits(max_bytes=Limits().max_bytes // 10, max_nodes=Limits().max_nodes // 10)
WORST = {
    "many values": "x: [" + "0, " * (LIMITS.max_nodes - 3) + "0]\n",
    "too many values": "x: [" + "0, " * LIMITS.max_nodes + "0]\n",
    "many keys": "".join(f"k{i}: {i}\n" for i in range(LIMITS.max_nodes // 2 - 1)),
    "deep": "x: " + "[" * (LIMITS.max_depth - 2) + "]" * (LIMITS.max_depth - 2) + "\n",
    "too deep": "x: " + "[" * 1_000 + "]" * 1_000 + "\n",
    "one long text": "x: '" + "ạ" * (LIMITS.max_bytes // 3 - 10) + "'\n",
    "long comment": "# " + "x" * (LIMITS.max_bytes - 10) + "\n",
    "alias": "a: &a [1]\nb: *a\n",
}


@pytest.mark.parametrize("name", sorted(WORST))
def test_the_worst_documents_cost_bounded_memory(name):
    path = fresh()
    path.write_text(WORST[name], encoding="utf-8")
    assert path.stat().st_size <= LIMITS.max_bytes
    tracemalloc.start()
    with yaml_limits(LIMITS), contextlib.suppress(ParRulesError):
        parrules.load_unit(path, ruleset=MINI)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 30 * 1024 * 1024  # ten times this at the default limits: still bounded


def test_the_default_limits_bound_the_time_of_the_worst_document():
    path = fresh()
    path.write_text("x: [" + "0, " * Limits().max_nodes + "0]\n", encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(YamlError, match="more than 50000 values"):
        parrules.load_unit(path, ruleset=MINI)
    assert time.perf_counter() - start < 20  # about 2 s; generous for slow machines


# A generator per class of hostile input.

HIDDEN = st.characters(
    whitelist_categories=("Cc", "Cf", "Cs", "Zl", "Zp"), blacklist_characters="\n"
) | st.sampled_from(  # printable to Python, yet shown as nothing; noncharacters
    [
        *("\u034f", "\u115f", "\u1160", "\u17b4", "\u180b", "\u3164", "\ufe0f", "\uffa0"),
        *("\U000e0041", "\U000e0100", "\ufdd0", "\ufffe", "\uffff", "\U0001ffff", "\U0010fffe"),
    ]
)
MARK = "ZZMARKZZ"


def texts(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], bool]]:
    """Paths to every text of a document, keys (True) and values (False)."""
    found: list[tuple[tuple[Any, ...], bool]] = []
    if isinstance(value, dict):
        for key, child in value.items():
            found.append(((*path, key), True))
            found += texts(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += texts(child, (*path, index))
    elif isinstance(value, str):
        found.append((path, False))
    return found


def with_hidden(document: Any, draw: Any) -> tuple[str, int]:
    """The document as YAML with a hidden character in one of its texts, and that text's line."""
    document = copy.deepcopy(document)
    target, is_key = draw(st.sampled_from(texts(document)))
    parent = document
    for step in target[:-1]:
        parent = parent[step]
    old = target[-1] if is_key else parent[target[-1]]
    if is_key:
        parent[MARK] = parent.pop(old)
    else:
        parent[target[-1]] = MARK
    where = draw(st.integers(0, len(str(old))))
    text = str(old)[:where] + draw(HIDDEN) + str(old)[where:]
    dumped = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=10**6)
    line = dumped[: dumped.index(MARK)].count("\n") + 1
    typed = (
        unicodedata.category(text[where]) in ("Cf", "Lo", "Mn") or text[where] in "\x85\u2028\u2029"
    )
    if draw(st.booleans()) and typed:
        written = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'  # typed in
    else:
        written = json.dumps(text)  # as an escape: "\u200b", "\u001b", "\t"
    return dumped.replace(MARK, written), line


@FUZZ
@given(st.data())
def test_a_hidden_character_in_any_text_of_a_unit_is_refused_at_its_line(data):
    text, line = with_hidden(UNIT, data.draw)
    path = fresh()
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    with pytest.raises(YamlError) as info:
        parrules.load_unit(path, ruleset=MINI)
    assert (info.value.path, info.value.line) == (str(path), line)


@FUZZ
@given(st.data())
def test_a_hidden_character_in_any_text_of_a_ruleset_is_refused_at_its_line(data):
    text, line = with_hidden(RULESET, data.draw)
    path = fresh()
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    with pytest.raises(YamlError) as info:
        parrules.load_ruleset(path, registry=REGISTRY)
    assert (info.value.path, info.value.line) == (str(path), line)


@FUZZ
@given(st.data())
def test_a_hidden_character_in_any_text_given_through_the_api_is_refused(data):
    document = copy.deepcopy(UNIT)
    del document["ruleset"]
    target, is_key = data.draw(st.sampled_from(texts(document)))
    parent = document
    for step in target[:-1]:
        parent = parent[step]
    char = data.draw(HIDDEN)
    if is_key:
        parent[target[-1] + char] = parent.pop(target[-1])
    else:
        parent[target[-1]] = parent[target[-1]] + char
    if char == "\r":  # a line break, as a sheet cell writes it: read as one
        return
    with pytest.raises(UnitError, match="is not allowed"):
        parrules.unit_from_mapping(document, MINI)


# libyaml and the Python parser: the same documents, read the same.

YAML_PIECES = [
    ":", ": ", " ", "\t", "?", "? ", "-", "- ", "[", "]", "{", "}", ",", "a", "b", "é", "1", ".5",
    "~", "\n", "\r\n", "\n  ", "#", "'", '"', "|", ">", "!", "&", "*", "%", "...", "---", "\\",
    "\\e", "\\0", "\\u0041", "\x85", "\u2028", "\ufeff", "%YAML 1.1\n", "!!str ", "<<", "x: ",
    "- a\n", "  b: c\n",
]  # fmt: skip
PARSERS = {"python": _yaml._PyLoader, "libyaml": getattr(_yaml, "_CLoader", _yaml._PyLoader)}


def read_with(parser: str, text: str) -> Any:
    """What the loader makes of ``text`` with one parser: the data and its lines, or a refusal."""
    chosen, _yaml._Loader = _yaml._Loader, PARSERS[parser]
    try:
        return plain(load_text(text, "x.yaml"))
    except YamlError:
        return "refused"
    finally:
        _yaml._Loader = chosen


def plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {"@": [value.line, value.lines], **{k: plain(v) for k, v in value.items()}}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value if isinstance(value, str | int | bool | type(None)) else repr(value)


@pytest.mark.skipif(PARSERS["libyaml"] is _yaml._PyLoader, reason="PyYAML without libyaml")
@settings(FUZZ, max_examples=3000)
@given(st.lists(st.sampled_from(YAML_PIECES), max_size=30))
def test_libyaml_and_the_python_parser_accept_the_same_documents(pieces):
    text = "".join(pieces)
    assert read_with("libyaml", text) == read_with("python", text)


# extends: chains of any length and trees of any depth cost bounded time and memory.

ROOT_RULESET = """\
id: t/chain/2023
title: Gốc
year: 2023
max: unpublished
indicators: {a: {label: A, type: bool}}
nodes:
  - {code: "1", title: Một, max: unpublished}
"""


def write_chain(folder: Path, files: int, adds: int, deep: bool) -> Path:
    """A chain of ``files`` rulesets, each adding ``adds`` nodes: side by side, or each under
    the last (``deep``)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "c0.yaml").write_text(ROOT_RULESET, encoding="utf-8")
    parent = "1"
    for i in range(1, files):
        lines = []
        for j in range(adds):
            code = f"{parent}.{j + 1}" if deep else f"1.{i * adds + j}"
            lines.append(f'  - {{parent: "{parent}", code: "{code}", title: x, max: unpublished}}')
            if deep:
                parent = code
        body = "add:\n" + "\n".join(lines) + "\n" if lines else ""
        (folder / f"c{i}.yaml").write_text(
            f"extends: c{i - 1}.yaml\nid: t/c{i}/2023\n{body}", encoding="utf-8"
        )
    return folder / f"c{files - 1}.yaml"


@settings(FUZZ, max_examples=40)
@given(files=st.integers(1, 40), adds=st.integers(0, 30), deep=st.booleans())
def test_generated_extends_chains_load_or_are_refused_in_one_of_their_files(files, adds, deep):
    folder = WORKDIR / f"chain{next(_names)}"
    top = write_chain(folder, files, adds, deep)
    if files > 16 or (deep and adds * (files - 1) + 1 > 12):
        with pytest.raises((RulesetError, YamlError)) as info:  # YamlError: the size of a chain
            parrules.load_ruleset(top, registry=REGISTRY)
        assert Path(str(info.value.path)).parent == folder
    else:
        ruleset = parrules.load_ruleset(top, registry=REGISTRY)
        assert len(ruleset.flat) == 1 + adds * (files - 1)


BOUNDED = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))
resource.setrlimit(resource.RLIMIT_CPU, (20, 20))
from parrules.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize(
    ("files", "adds", "deep", "message"),
    [
        (34, 3000, False, "and the rulesets it extends, together"),
        (2, 330, True, "nested deeper than 12 levels"),
        (200, 0, False, "'extends' goes through more than 16 files"),
    ],
)
def test_the_worst_chains_are_refused_within_the_bounds(tmp_path, files, adds, deep, message):
    """The hostile review's chains, through the command line, within 2 GB and 20 s of CPU."""
    top = write_chain(tmp_path / "chain", files, adds, deep)
    unit = tmp_path / "u.yaml"
    unit.write_text(f"unit: Xã A\nyear: 2023\nruleset: {top}\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-c", BOUNDED, "score", str(unit)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert run.returncode == 1
    assert run.stdout == ""
    [line] = run.stderr.splitlines()
    assert message in line
    assert str(tmp_path / "chain") in line


# A broken file anywhere in a chain is the one the error names, whatever the chain's length.

BREAKS = {
    "title": "title: [Một]\n",
    "id": "id: [t]\n",
    "year": "year: hai\n",
    "max": "max: [1]\n",
    "unknown key": "titel: Một\n",
    "indicators": "indicators: [a]\n",
    "sources": "sources: [a]\n",
    "add": "add: [1]\n",
    "hidden": 'title: "M\\u200bột"\n',
}


@settings(FUZZ, max_examples=60)
@given(files=st.integers(2, 16), data=st.data(), kind=st.sampled_from(sorted(BREAKS)))
def test_an_error_in_a_chain_names_the_file_it_is_in(files, data, kind):
    folder = WORKDIR / f"broken{next(_names)}"
    top = write_chain(folder, files, 1, False)
    broken = folder / f"c{data.draw(st.integers(1, files - 1))}.yaml"
    text = broken.read_text(encoding="utf-8")
    broken.write_text(text.replace("id: t/", BREAKS[kind] + "id: t/", 1), encoding="utf-8")
    if kind == "id":  # the id written twice: the first one is the broken one
        broken.write_text(text.replace("id: t/c", "id: [t]\nx: t/c", 1), encoding="utf-8")
    with pytest.raises((RulesetError, YamlError)) as info:
        parrules.load_ruleset(top, registry=REGISTRY)
    assert info.value.path == str(broken), (kind, str(info.value))
    assert info.value.line is not None
