"""Static verification: each class of finding, on a small broken ruleset, at its file and line.

The expected findings are written in the data files themselves, as ``# expect: <severity>
<check>`` comments on the line where each finding must be reported.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import parrules
from parrules import Finding, cli, known_ids, validate
from parrules._plugins import default_registry
from parrules._validate import CHECKS, ERROR, WARNING

DATA = Path(__file__).parent / "data"
VERIFY = DATA / "verify"
EXPECT = re.compile(r"#\s*expect:\s*(error|warning)\s+([a-z-]+)")

# A file whose findings are reported in another file of its chain.
REPORTED_IN = {"cycle-a.yaml": "cycle-b.yaml"}


def expected(path: Path) -> set[tuple[str, int, str, str]]:
    """(file name, line, severity, check) for every ``# expect:`` comment of the file."""
    found = set()
    for number, text in enumerate(path.read_text("utf-8").splitlines(), start=1):
        for severity, check in EXPECT.findall(text):
            found.add((path.name, number, severity, check))
    return found


def actual(findings: tuple[Finding, ...]) -> set[tuple[str, int, str, str]]:
    return {(Path(f.path or "").name, f.line or 0, f.severity, f.check) for f in findings}


BROKEN = sorted(p for p in VERIFY.glob("*.yaml") if p.name != "cycle-b.yaml")


@pytest.mark.parametrize("path", BROKEN, ids=[p.name for p in BROKEN])
def test_each_finding_is_reported_at_its_line(path: Path) -> None:
    """validate reports exactly the findings the file announces, with file, line and kind."""
    source = VERIFY / REPORTED_IN.get(path.name, path.name)
    assert expected(source), "a broken ruleset must announce its findings"
    assert expected(source) == actual(validate(path))


def test_a_cycle_is_reported_where_it_closes() -> None:
    """Entering the cycle from either file, the finding is on the 'extends' that closes it."""
    (from_a,) = validate(VERIFY / "cycle-a.yaml")
    (from_b,) = validate(VERIFY / "cycle-b.yaml")
    assert (Path(from_a.path or "").name, from_a.line) == ("cycle-b.yaml", 1)
    assert (Path(from_b.path or "").name, from_b.line) == ("cycle-a.yaml", 1)
    assert "cycle-a.yaml → cycle-b.yaml → cycle-a.yaml" in from_a.message


def test_every_class_of_finding_is_exercised() -> None:
    """The broken rulesets together cover every class the issue asks for."""
    covered = {check for path in BROKEN for (_, _, _, check) in expected(path)}
    wanted = {
        "sum",
        "bands",
        "unreachable-max",
        "unused-indicator",
        "undeclared-indicator",
        "code-hierarchy",
        "duplicate-code",
        "legal-reference",
        "params",
        "contradictory-params",
        "extends",
        "unknown-rule",
        "node",
        "indicator",
        "classification",
    }
    assert wanted <= covered
    assert covered <= set(CHECKS)


def test_findings_name_the_node_and_say_what_is_wrong() -> None:
    """A finding reads as ``file:line: severity [check] node code: message``."""
    findings = validate(VERIFY / "sums.yaml")
    text = [str(f) for f in findings]
    assert text == [
        f"{VERIFY / 'sums.yaml'}:6: error [sum] the fields' maxima add up to 9, not 10",
        f"{VERIFY / 'sums.yaml'}:12: error [sum] node 1: the children's maxima add up to 3, not 4",
    ]


def test_a_ruleset_is_found_by_id_or_reported_missing() -> None:
    """An unknown id is one error finding naming it."""
    (finding,) = validate("no-such/commune/2023")
    assert (finding.severity, finding.check, finding.path) == (
        ERROR,
        "load",
        "no-such/commune/2023",
    )


def test_the_loader_error_is_a_finding_too(tmp_path: Path) -> None:
    """What only the loader checks (here an unknown top-level key) still becomes a finding."""
    path = tmp_path / "bad.yaml"
    path.write_text(
        "id: x/y/2023\ntitle: T\nyear: 2023\nlegal: L\nmax: 1\nranking: olympic\n"
        'nodes:\n  - {code: "1", title: A, max: 1}\n',
        "utf-8",
    )
    (finding,) = validate(path)
    assert (finding.severity, finding.check, finding.line) == (ERROR, "load", 6)
    assert "ranking" in finding.message


def test_yaml_errors_are_findings(tmp_path: Path) -> None:
    """A duplicate key is reported at its line, not raised."""
    path = tmp_path / "dup.yaml"
    path.write_text("id: a/b/2023\nid: a/b/2024\n", "utf-8")
    (finding,) = validate(path)
    assert (finding.severity, finding.check, finding.line) == (ERROR, "yaml", 2)


def test_a_clean_ruleset_has_no_findings() -> None:
    """The test ruleset reads every indicator it declares and has a legal reference."""
    assert validate(DATA / "mini.yaml") == ()


def test_cli_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    """Errors fail; warnings fail only with --strict; findings go to stdout with file:line."""
    assert cli.main(["validate", str(DATA / "cited.yaml"), "--strict"]) == 0
    assert cli.main(["validate", str(DATA / "mini.yaml")]) == 0
    assert cli.main(["validate", str(VERIFY / "unreachable.yaml")]) == 0
    assert cli.main(["validate", "--strict", str(VERIFY / "unreachable.yaml")]) == 1
    assert cli.main(["validate", str(VERIFY / "sums.yaml")]) == 1
    out = capsys.readouterr().out
    assert f"{VERIFY / 'unreachable.yaml'}:18: warning [unreachable-max] node 1:" in out
    assert "1 ruleset(s): 2 error(s), 0 warning(s)" in out


SHIPPED = sorted(known_ids(default_registry()))


@pytest.mark.skipif(not SHIPPED, reason="no ruleset is installed yet")
@pytest.mark.parametrize("ruleset_id", SHIPPED)
def test_shipped_rulesets_pass_strict(ruleset_id: str) -> None:
    """Every installed ruleset passes ``parrules validate --strict``."""
    findings = validate(ruleset_id)
    assert [str(f) for f in findings] == []
    assert not [f for f in findings if f.severity in (ERROR, WARNING)]


def test_every_check_is_documented() -> None:
    """docs/reference/verification.md has a row for every kind of finding."""
    text = (Path(__file__).parent.parent / "docs" / "reference" / "verification.md").read_text()
    assert [c for c in CHECKS if f"| `{c}` |" not in text] == []


class _Crashing:
    """A plugin whose rule crashes while reading its params."""

    @parrules.hookimpl
    def parrules_rules(self) -> tuple[parrules.Rule, ...]:
        def bind(p: parrules.Params) -> None:
            p.raw("limit")
            raise ZeroDivisionError("division by zero")

        return (parrules.Rule("test.crash", bind),)


def test_a_rule_crashing_on_its_params_is_a_finding(tmp_path: Path) -> None:
    """The crash is attributed to the node and its params line; validate itself does not crash."""
    path = tmp_path / "crash.yaml"
    path.write_text(
        "id: x/y/2023\ntitle: T\nyear: 2023\nlegal: L\nmax: 1\n"
        'nodes:\n  - code: "1"\n    title: A\n    max: 1\n    rule: test.crash\n'
        "    params: {limit: 1}\n",
        "utf-8",
    )
    registry = parrules.Registry.create(plugins=[_Crashing()], entry_points=False)
    (finding,) = validate(path, registry=registry)
    assert (finding.severity, finding.check, finding.line, finding.code) == (
        ERROR,
        "rule-failure",
        11,
        "1",
    )
    assert "rule 'test.crash'" in finding.message
    assert "ZeroDivisionError: division by zero" in finding.message


def test_strict_warns_on_a_plugin_rule_without_a_province_prefix(tmp_path: Path) -> None:
    from parrules import Outcome, Registry, Rule, hookimpl

    def bind(p: Any) -> Any:
        count = p.indicator("count", ("count",), direction=1)
        return lambda values: Outcome(p.max, None, None, (), ((count, values[count]),))

    class Plugin:
        @hookimpl
        def parrules_rules(self) -> tuple[Rule, ...]:
            return (Rule("per-item", bind), Rule("tinh.per-item", bind))

    registry = Registry.create(plugins=[Plugin()], entry_points=False)
    path = tmp_path / "r.yaml"
    path.write_text(
        "id: t/x/2024\ntitle: T\nyear: 2024\nlegal: QĐ số 1/QĐ-UBND\nmax: 2\n"
        "indicators: {tin_bai: {label: Tin bài, type: count}}\nnodes:\n"
        "  - {code: '1', title: A, max: 1, rule: per-item, params: {count: tin_bai}}\n"
        "  - {code: '2', title: B, max: 1, rule: tinh.per-item, params: {count: tin_bai}}\n",
        encoding="utf-8",
    )
    assert [f for f in validate(path, registry=registry) if f.check == "rule-name"] == []
    named = [f for f in validate(path, registry=registry, strict=True) if f.check == "rule-name"]
    assert len(named) == 1
    (finding,) = named
    assert (finding.severity, finding.code, finding.line) == ("warning", "1", 8)
    assert "rule 'per-item' of plugin" in finding.message
    assert "has no '<province>.' prefix" in finding.message
    assert finding.hint is not None
    assert ".per-item'" in finding.hint
