"""parrules.testing: the conformance checks pass on every rule and ruleset we ship, and fail,
naming the property and a minimal example, on rules broken the way real rules break."""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import tomllib
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import hypothesis
import pytest
from hypothesis import HealthCheck, given
from hypothesis.errors import InvalidArgument

import parrules
from parrules import Outcome, Params, Rule, Ruleset, Text, known_ids, load_ruleset
from parrules._plugins import default_registry
from parrules._validate import validate
from parrules.errors import RulesetError, UnitError
from parrules.rules import BUILTIN_RULES
from parrules.testing import CheckFailed, check_rule, check_ruleset, rulesets, units
from parrules.testing._strategies import ruleset_mappings

pytest_plugins = ["pytester"]

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
VERIFY = DATA / "verify"

Evaluate = Callable[[Mapping[str, Any]], Outcome]
REASON = Text("Chưa đạt: {value}", "Not reached: {value}")


def _module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, VERIFY / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Every rule we ship conforms.

COMPUTED = [r for r in BUILTIN_RULES if r.name != "appraised"]


@pytest.mark.parametrize("rule", COMPUTED, ids=[r.name for r in COMPUTED])
def test_builtin_rule_conforms(rule: Rule) -> None:
    """Each built-in rule passes check_rule over params drawn at random."""
    check_rule(rule)


SHIPPED = sorted(known_ids(default_registry()))


@pytest.mark.skipif(not SHIPPED, reason="no ruleset is installed yet")
@pytest.mark.parametrize("ruleset_id", SHIPPED)
def test_shipped_ruleset_conforms(ruleset_id: str) -> None:
    """Random units of each shipped ruleset reconcile, stay in bounds, are explained and
    survive JSON."""
    check_ruleset(load_ruleset(ruleset_id))


def _used_rules() -> list[Any]:
    return [
        pytest.param(ruleset_id, name, id=f"{ruleset_id}:{name}")
        for ruleset_id in SHIPPED
        for name in sorted({n.rule for n in load_ruleset(ruleset_id).leaves if n.rule})
    ]


@pytest.mark.parametrize(("ruleset_id", "name"), _used_rules())
def test_rule_conforms_as_configured_in_shipped_ruleset(ruleset_id: str, name: str) -> None:
    """Each rule passes check_rule with the params every shipped node gives it."""
    check_rule(default_registry().rules[name], ruleset=load_ruleset(ruleset_id))


def _plugin_rules() -> list[Any]:
    """(distribution, rule name) of every rule of the plugin distributions under plugins/."""
    found = []
    for pyproject in sorted(ROOT.glob("plugins/*/pyproject.toml")):
        project = tomllib.loads(pyproject.read_text("utf-8"))["project"]
        for target in project.get("entry-points", {}).get("parrules", {}).values():
            try:
                module = importlib.import_module(target.partition(":")[0])
            except ImportError:
                reason = f"install it: pip install -e {pyproject.parent.relative_to(ROOT)}"
                found.append(pytest.param(project["name"], None, marks=pytest.mark.skip(reason)))
                continue
            for rule in module.parrules_rules():
                found.append(pytest.param(project["name"], rule, id=rule.name))
    return found


@pytest.mark.parametrize(("distribution", "rule"), _plugin_rules())
def test_plugin_rule_conforms(distribution: str, rule: Rule) -> None:
    """Every rule of a plugin under plugins/ passes check_rule in each shipped node using it."""
    using = [rs for rs in map(load_ruleset, SHIPPED) if any(n.rule == rule.name for n in rs.leaves)]
    assert using, f"no shipped ruleset uses '{rule.name}' of {distribution}: nothing to check"
    for ruleset in using:
        check_rule(rule, ruleset=ruleset)


def test_mini_ruleset_and_its_rules_conform() -> None:
    """check_ruleset and check_rule(ruleset=) pass on the test ruleset."""
    ruleset = load_ruleset(DATA / "mini.yaml")
    check_ruleset(ruleset)
    for name in sorted({n.rule for n in ruleset.leaves if n.rule}):
        check_rule(default_registry().rules[name], ruleset=ruleset)


# The checks catch real bugs.


def _ratio_rule(name: str, points: Callable[[Decimal, Decimal], Decimal]) -> Rule:
    def bind(p: Params) -> Evaluate:
        value = p.indicator("value", ("ratio",), direction=1)
        maximum = p.max
        p.raw("target")

        def evaluate(values: Mapping[str, Any]) -> Outcome:
            v = values[value]
            got = points(v, maximum)
            return Outcome(
                got, REASON if got < maximum else None, None, (("value", v),), ((value, v),)
            )

        return evaluate

    return Rule(name, bind)


RATIO_NODE: dict[str, Any] = {
    "params": {"value": "ty_le"},
    "indicators": {"ty_le": {"type": "ratio"}},
}


def _failure(rule: Rule, **kwargs: Any) -> CheckFailed:
    with pytest.raises(CheckFailed) as caught:
        check_rule(rule, **kwargs)
    return caught.value


def test_off_by_one_band_edge_is_caught() -> None:
    """'gte 90%' coded as '> 90%': exactly 90% falls to the bottom band, below 70%'s points."""

    def bind(p: Params) -> Evaluate:
        value = p.indicator("value", ("ratio",), direction=1)
        full, half, maximum = p.fraction("full_from"), p.fraction("half_from"), p.max

        def evaluate(values: Mapping[str, Any]) -> Outcome:
            v = values[value]
            got = maximum if v > full else maximum / 2 if half <= v < full else Decimal(0)
            return Outcome(
                got, REASON if got < maximum else None, None, (("value", v),), ((value, v),)
            )

        return evaluate

    failure = _failure(
        Rule("test.off-by-one", bind),
        params={"value": "ty_le", "full_from": "90%", "half_from": "70%"},
        indicators={"ty_le": {"type": "ratio"}},
    )
    assert failure.property == "monotone"
    assert "fails property 'monotone'" in str(failure)
    assert "to 0.9 lowered the points" in str(failure)
    assert "minimal example: node 1 (max 1, floor 0" in str(failure)
    assert "inputs: ty_le = " in failure.example


def test_missing_cap_at_max_is_caught() -> None:
    """max × ratio / target without min(1, …) passes the max above the target."""
    rule = _ratio_rule("test.no-cap", lambda v, m: m * v / Decimal("0.5"))
    failure = _failure(rule, **{**RATIO_NODE, "params": {"value": "ty_le", "target": "50%"}})
    assert failure.property == "bounds"
    assert "outside 0–1" in str(failure)
    # the minimal example is a share above the 50% target
    shown = Decimal(failure.example.rpartition("ty_le = ")[2])
    assert shown > Decimal("0.5")


def test_non_monotone_formula_is_caught() -> None:
    """A formula that falls as the share rises, in a rule that declares 'more is better'."""
    rule = _ratio_rule("test.backwards", lambda v, m: m * (1 - v))
    failure = _failure(rule, **RATIO_NODE)
    assert failure.property == "monotone"
    assert "(declared direction +1: more never lowers them)" in str(failure)


def test_empty_reason_is_caught() -> None:
    """Lost points with an empty reason are not explained."""

    def bind(p: Params) -> Evaluate:
        done = p.indicator("done", ("bool",), direction=1)
        maximum = p.max

        def evaluate(values: Mapping[str, Any]) -> Outcome:
            got = maximum if values[done] else Decimal(0)
            return Outcome(
                got, Text("", "") if got < maximum else None, None, (), ((done, values[done]),)
            )

        return evaluate

    failure = _failure(
        Rule("test.no-reason", bind),
        params={"done": "co_ke_hoach"},
        indicators={"co_ke_hoach": {"type": "bool"}},
    )
    assert failure.property == "explained"
    assert "0 of 1 points with no vi reason" in str(failure)
    assert failure.example.endswith("inputs: co_ke_hoach = false")


def test_other_exceptions_and_state_are_caught() -> None:
    """A KeyError escaping, or an outcome that changes between calls, fails its property."""

    def crashing(p: Params) -> Evaluate:
        events = p.indicator("events", ("events",), direction=-1)
        severity = {k: Decimal(str(v)) for k, v in p.mapping("severity").items()}
        maximum = p.max

        def evaluate(values: Mapping[str, Any]) -> Outcome:
            happened = values[events]
            lost = sum((severity[k] * n for k, n in happened.items()), Decimal(0))
            average = lost / sum(happened.values(), Decimal(0))  # 0/0 with no events
            got = max(Decimal(0), maximum - lost)
            return Outcome(got, REASON, None, (("value", average),), ((events, happened),))

        return evaluate

    failure = _failure(
        Rule("test.crash", crashing),
        params={"events": "ky_luat", "severity": {"khien_trach": 1}},
        indicators={"ky_luat": {"type": "events"}},
        max=2,
    )
    assert failure.property == "exceptions"
    assert "raised InvalidOperation" in str(failure)
    assert failure.example.endswith("inputs: ky_luat = ")

    calls = itertools.count()

    def stateful(p: Params) -> Evaluate:
        done = p.indicator("done", ("bool",), direction=1)

        def evaluate(values: Mapping[str, Any]) -> Outcome:
            return Outcome(Decimal(next(calls) % 2), REASON, None, (("value", 1),), ((done, 1),))

        return evaluate

    failure = _failure(
        Rule("test.stateful", stateful),
        params={"done": "co"},
        indicators={"co": {"type": "bool"}},
    )
    assert failure.property == "deterministic"


def test_a_plugin_written_outside_passes_and_its_broken_variant_fails() -> None:
    """The example plugin, written with the documented API only, conforms; the same plugin
    without its cap fails 'bounds' with a minimal example above the planned meetings."""
    node: dict[str, Any] = {
        "params": {"held": "so_cuoc_hop", "required": 12},
        "indicators": {"so_cuoc_hop": {"type": "count"}},
        "max": 2,
    }
    (good,) = _module("parrules_vi_du").parrules_rules()
    check_rule(good, **node)
    (broken,) = _module("parrules_vi_du_broken").parrules_rules()
    failure = _failure(broken, **node)
    assert failure.property == "bounds"
    assert "fails property 'bounds' (floor ≤ points ≤ max)" in str(failure)
    assert '"required": 12' in failure.example
    assert Decimal(failure.example.rpartition("so_cuoc_hop = ")[2]) > 12


def test_profile_is_chosen_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """PARRULES_HYPOTHESIS_PROFILE picks the example count; CI's is small and derandomized."""
    from parrules.testing._checks import _settings

    monkeypatch.delenv("PARRULES_HYPOTHESIS_PROFILE", raising=False)
    assert (_settings().max_examples, _settings().derandomize) == (60, True)
    monkeypatch.setenv("PARRULES_HYPOTHESIS_PROFILE", "thorough")
    assert _settings().max_examples == 1000
    given = hypothesis.settings(max_examples=7)
    assert _settings(given).max_examples == 7


# Usage errors are reported at once.


def test_usage_errors() -> None:
    """A plugin rule needs its params; params and ruleset exclude each other; invalid params
    are the caller's error."""
    (rule,) = _module("parrules_vi_du").parrules_rules()
    with pytest.raises(InvalidArgument, match="give params= and indicators="):
        check_rule(rule)
    ruleset = load_ruleset(DATA / "mini.yaml")
    with pytest.raises(InvalidArgument, match="not both"):
        check_rule(rule, params={}, ruleset=ruleset)
    with pytest.raises(InvalidArgument, match="no node of ruleset"):
        check_rule(rule, ruleset=ruleset)
    with pytest.raises(RulesetError, match="whole number above 0"):
        check_rule(rule, params={"held": "x", "required": 0}, indicators={"x": {"type": "count"}})


# The strategies draw what they promise.


@hypothesis.settings(max_examples=30, deadline=None)
@given(units(load_ruleset(DATA / "mini.yaml")))
def test_units_respect_the_rules_needs(unit: parrules.UnitInputs) -> None:
    """A part never exceeds its whole; event kinds are the severities'; appraised leaves have
    points."""
    for stage in unit.stages:
        values = stage.indicators
        if "tthc_thanh_toan" in values and "tthc_trien_khai" in values:
            assert values["tthc_thanh_toan"] <= values["tthc_trien_khai"]
        if "duong_ngo_bt" in values and "duong_ngo" in values:
            assert values["duong_ngo_bt"] <= values["duong_ngo"]
        assert set(values.get("ky_luat", {})) <= {"khien_trach", "cach_chuc"}
        assert "2.3" in stage.points


NESTED = hypothesis.settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.nested_given]
)


@NESTED
@given(rulesets())
def test_random_rulesets_conform(ruleset: Ruleset) -> None:
    """Rulesets drawn from the built-in rules load, and their random units check out."""
    assert ruleset.leaves
    check_ruleset(ruleset, settings=hypothesis.settings(max_examples=10, deadline=None))


@hypothesis.settings(max_examples=25, deadline=None)
@given(ruleset_mappings())
def test_random_rulesets_pass_strict_validation(data: dict[str, Any]) -> None:
    """What the strategies consider valid, validate finds nothing wrong with."""
    import tempfile

    import yaml

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "random.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
        assert [str(f) for f in validate(path)] == []


def test_strategies_refuse_what_they_cannot_draw() -> None:
    """Unknown rules and non-rulesets are InvalidArgument."""
    with pytest.raises(InvalidArgument):
        rulesets(rules=["lai-chau.provincial-index-impact"])
    with pytest.raises(InvalidArgument):
        units("thai-nguyen/commune/2023")  # type: ignore[arg-type]


def test_a_rule_refusing_a_valid_input_fails_accepts() -> None:
    """A unit within the declared relations is valid: a rule that refuses some of them (here the
    odd counts) is reported, with the smallest such input, not passed over."""

    def bind(p: Params) -> Evaluate:
        value = p.indicator("value", ("count",), direction=1)
        maximum = p.max

        def evaluate(values: Mapping[str, Any]) -> Outcome:
            if values[value] % 2:
                raise UnitError("odd counts are refused", field=value)
            return Outcome(maximum, None, None, (), ((value, values[value]),))

        return evaluate

    with pytest.raises(CheckFailed, match=r"fails property 'accepts'.*odd counts") as info:
        check_rule(
            Rule("test.even", bind),
            params={"value": "n"},
            indicators={"n": {"type": "count"}},
        )
    assert info.value.example.endswith("inputs: n = 1")


# The pytest plugin, as a plugin author's suite would use it.


def test_pytest_plugin_runs_cases_and_provides_fixtures(pytester: pytest.Pytester) -> None:
    """Cases files are collected, a wrong expectation fails with the difference, and the
    registry fixture holds the plugins named in the ini file."""
    pytester.syspathinsert(VERIFY)
    pytester.makeini("[pytest]\nparrules_plugins = parrules_vi_du\n")
    pytester.makeconftest('pytest_plugins = ["parrules.testing"]\n')
    pytester.makefile(
        ".yaml",
        hop=(VERIFY / "plugin" / "hop.yaml").read_text("utf-8"),
    )
    pytester.path.joinpath("hop.cases.yaml").write_text(
        (VERIFY / "plugin" / "hop.cases.yaml").read_text("utf-8"), "utf-8"
    )
    pytester.makepyfile(
        test_rules="""
        from parrules import load_ruleset
        from parrules.testing import check_rule

        def test_registry_has_the_plugin(parrules_registry):
            rule = parrules_registry.rules["vi-du.hop-dinh-ky"]
            check_rule(rule, ruleset=load_ruleset("hop.yaml", registry=parrules_registry))
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        ["*case 'wrong on purpose', stage 'final': 1.1: expected 2, got 1.5*"]
    )


def test_every_property_is_documented() -> None:
    """docs/reference/verification.md has a row for every property check_rule asserts."""
    from parrules.testing import PROPERTIES

    text = (ROOT / "docs" / "reference" / "verification.md").read_text("utf-8")
    rule_properties = [
        p for p in PROPERTIES if p not in ("reconciled", "json", "case", "published")
    ]
    assert [p for p in rule_properties if f"| `{p}` |" not in text] == []


def test_pytest_plugin_runs_each_published_table(pytester: pytest.Pytester) -> None:
    """Each published table of a cases file is one test; a figure not reproduced fails it with
    the figure, what the source prints and what the ruleset gives."""
    pytester.makeconftest('pytest_plugins = ["parrules.testing"]\n')
    source = Path(parrules.__file__).parent / "rulesets" / "soc-trang" / "thanh-tri" / "commune"
    pytester.path.joinpath("2018.yaml").write_text(
        (source / "2018.yaml").read_text("utf-8"), "utf-8"
    )
    cases = (source / "2018.cases.yaml").read_text("utf-8")
    pytester.path.joinpath("2018.cases.yaml").write_text(
        cases.replace(
            "classes: {Rất tốt: 3, Tốt: 6, Khá: 1}", "classes: {Rất tốt: 4, Tốt: 5, Khá: 1}"
        ),
        "utf-8",
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=6 + 1, failed=1)
    result.stdout.fnmatch_lines(["*classes, Rất tốt: published 4, got 3*"])
