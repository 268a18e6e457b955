"""Fuzzing the loaders: random bytes, random YAML documents and random mutations of valid files
are fed to the ruleset and unit loaders (and what loads, to the engine and the JSON writer).
Nothing may escape but ``ParRulesError`` subclasses, and each example has a time budget; the
worst documents the limits allow are read in bounded time and memory."""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import parrules
from parrules import Limits, Registry, yaml_limits
from parrules._yaml import load_text
from parrules.errors import ParRulesError, YamlError

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
