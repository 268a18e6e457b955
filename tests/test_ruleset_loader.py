"""Ruleset files: validation errors name file, line, code and field; extends; lookup by id."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import parrules
from parrules.errors import RulesetError, RulesetNotFoundError, UnknownRuleError, YamlError

HEAD = """\
id: test/r/2023
title: Thử
year: 2023
max: 2
indicators:
  a: {label: Chỉ tiêu A, type: bool}
nodes:
"""


def write(tmp_path: Path, body: str, name: str = "r.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def load(path: Path, registry):
    return parrules.load_ruleset(path, registry=registry)


GOOD_NODES = """\
  - code: "1"
    title: Lĩnh vực
    max: 2
    children:
      - {code: "1.1", title: Tiêu chí 1, max: 1, rule: check, params: {all_of: [a]}}
      - {code: "1.2", title: Tiêu chí 2, max: 1}
"""


def test_a_valid_ruleset_loads(tmp_path, registry):
    rs = load(write(tmp_path, HEAD + GOOD_NODES), registry)
    assert [n.code for n in rs.flat] == ["1", "1.1", "1.2"]
    assert rs.node("1.1").rule == "check"
    assert rs.node("1.2").rule is None  # appraised
    assert rs.node("1.1").line == 12


@pytest.mark.parametrize(
    ("nodes", "line", "code", "message"),
    [
        (GOOD_NODES.replace("max: 1}", "max: 0.5}"), 10, "1", "add up to 1.5, not 2"),
        (GOOD_NODES.replace('"1.2"', '"2.2"'), 13, "2.2", "out of place"),
        (GOOD_NODES.replace('"1.2"', '"1.1"'), 13, "1.1", "duplicate code"),
        (GOOD_NODES.replace("rule: check", "rule: chek"), 12, "1.1", "unknown rule 'chek'"),
        (GOOD_NODES.replace('"1.2", title', '"1.2", titel'), 13, "1.2", "unknown key 'titel'"),
        (GOOD_NODES.replace('code: "1.2"', "code: 1.2"), 13, None, "must be written as text"),
        (GOOD_NODES.replace("all_of: [a]", "all_of: [b]"), 12, "1.1", "not declared"),
    ],
)
def test_errors_are_located(tmp_path, registry, nodes, line, code, message):
    path = write(tmp_path, HEAD + nodes)
    with pytest.raises(RulesetError, match=message) as info:
        load(path, registry)
    error = info.value
    assert error.path == str(path)
    assert error.line == line
    if code is not None:
        assert error.code == code
    assert f"{path}:{line}" in str(error)


def test_unknown_rule_suggests_the_close_name(tmp_path, registry):
    path = write(tmp_path, HEAD + GOOD_NODES.replace("rule: check", "rule: chek"))
    with pytest.raises(UnknownRuleError) as info:
        load(path, registry)
    assert info.value.hint == "did you mean 'check'?"


def test_duplicate_keys_are_an_error(tmp_path, registry):
    path = write(tmp_path, HEAD.replace("max: 2\n", "max: 2\nmax: 3\n") + GOOD_NODES)
    with pytest.raises(YamlError, match="duplicate key 'max'") as info:
        load(path, registry)
    assert info.value.line == 5


def test_fields_must_add_up_to_the_max(tmp_path, registry):
    path = write(tmp_path, HEAD.replace("max: 2", "max: 3") + GOOD_NODES)
    with pytest.raises(RulesetError, match="fields' maxima add up to 2, not 3"):
        load(path, registry)


def test_not_found_suggests_installed_ids(registry):
    with pytest.raises(RulesetNotFoundError) as info:
        parrules.load_ruleset("thai-nguyen/commune/2032", registry=registry)
    assert info.value.hint == "did you mean 'thai-nguyen/commune/2023'?"


def test_shipped_rulesets_are_found_by_id(registry):
    assert "thai-nguyen/commune/2023" in parrules.known_ids(registry)
    rs = parrules.load_ruleset("thai-nguyen/commune/2023", registry=registry)
    assert rs.id == "thai-nguyen/commune/2023"
    assert rs.digest


def test_extends_adds_replaces_and_removes(tmp_path, registry):
    write(tmp_path, HEAD + GOOD_NODES, "base.yaml")
    child = write(
        tmp_path,
        """\
        extends: base.yaml
        id: test/r/2024
        year: 2024
        indicators:
          b: {label: Chỉ tiêu B, type: bool}
        remove: ["1.2"]
        replace:
          - {code: "1.1", title: Tiêu chí 1 mới, max: 0.5, rule: check, params: {all_of: [b]}}
        add:
          - {parent: "1", code: "1.3", title: Tiêu chí 3, max: 1.5}
        """,
        "child.yaml",
    )
    rs = load(child, registry)
    assert rs.year == 2024
    assert rs.title == "Thử"
    assert [(n.code, n.max) for n in rs.flat] == [("1", 2), ("1.1", 0.5), ("1.3", 1.5)]
    assert rs.node("1.1").title == "Tiêu chí 1 mới"
    assert rs.node("1.1").path == str(child)
    assert set(rs.indicators) == {"a", "b"}
    assert rs.files == (str(tmp_path / "base.yaml"), str(child))
    assert rs.chain == ("test/r/2023", "test/r/2024")
    assert (rs.node("1").origin, rs.node("1.1").origin) == ("test/r/2023", "test/r/2024")


def test_extends_cycle_is_named(tmp_path, registry):
    write(tmp_path, "extends: b.yaml\n", "a.yaml")
    write(tmp_path, "extends: a.yaml\n", "b.yaml")
    with pytest.raises(RulesetError, match="cycle"):
        load(tmp_path / "a.yaml", registry)


def test_extends_missing_parent(tmp_path, registry):
    path = write(tmp_path, "extends: nowhere/2020\nid: x\n")
    with pytest.raises(RulesetError, match="parent ruleset 'nowhere/2020' is not found") as info:
        load(path, registry)
    assert info.value.line == 1


def test_rulesets_are_cached_until_changed(tmp_path, registry):
    path = write(tmp_path, HEAD + GOOD_NODES)
    first = load(path, registry)
    assert load(path, registry) is first
    path.write_text(
        path.read_text(encoding="utf-8").replace("title: Thử", "title: Khác"), encoding="utf-8"
    )
    import os

    os.utime(path, ns=(0, 10**18))
    assert load(path, registry).title == "Khác"
