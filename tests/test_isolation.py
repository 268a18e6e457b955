"""A faulty plugin costs only the units that use it: a rule that writes into the values it is
given, exits the process, or never returns, and two plugins that register the same rule name,
each fail the units (or rulesets) concerned with an error naming the plugin, and everything else
is scored as if they were not installed."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import parrules
from parrules import Limits, Outcome, Registry, Rule, yaml_limits
from parrules.errors import DuplicateRuleError, RuleFailure, UnitError

from helpers import fake_distribution

ROOT = Path(__file__).parent.parent
RULESET = """\
id: test/isolation/2023
title: Bộ chỉ số thử cô lập
year: 2023
max: 3
precision: 2
indicators:
  ky_luat: {label: Kỷ luật, type: events}
  bao_cao: {label: Báo cáo, type: items}
  n: {label: Số, type: number}
nodes:
  - code: "1"
    title: Lĩnh vực thử
    max: 3
    children:
      - {code: "1.1", title: Quy tắc thử, max: 1, rule: test.faulty, params: {value: n}}
      - code: "1.2"
        title: Kỷ luật
        max: 1
        rule: per_event
        params: {events: ky_luat, severity: {khien_trach: 0.5}}
      - {code: "1.3", title: Báo cáo, max: 1, rule: deadline, params: {items: bao_cao, late: 0.5}}
"""
GOOD = {
    "unit": "Xã Tốt",
    "indicators": {
        "n": 1,
        "ky_luat": {"khien_trach": 1},
        "bao_cao": [{"name": "Báo cáo quý I", "due": "25/03/2023", "sent": "28/03/2023"}],
    },
}


def plugin(evaluate: Callable[[Any, str], Outcome]) -> SimpleNamespace:
    def bind(p: parrules.Params) -> Any:
        name = p.indicator("value", ("number",))
        return lambda values: evaluate(values, name)

    rule = Rule("test.faulty", bind, "a rule that misbehaves", ("value",))
    return SimpleNamespace(
        __name__="plugin_faulty", parrules_rules=parrules.hookimpl(lambda: [rule])
    )


def ruleset_with(tmp_path: Path, evaluate: Callable[[Any, str], Outcome]) -> parrules.Ruleset:
    path = tmp_path / "r.yaml"
    path.write_text(RULESET, encoding="utf-8")
    registry = Registry.create(plugins=[plugin(evaluate)], entry_points=False)
    return parrules.load_ruleset(path, registry=registry)


def full(values: Any, name: str) -> Outcome:
    return Outcome(Decimal(1))


# A rule gets read-only values.


def write_events(values: Any, name: str) -> Outcome:
    values["ky_luat"]["khien_trach"] = Decimal(0)  # another node's input
    return Outcome(Decimal(1))


def write_items(values: Any, name: str) -> Outcome:
    values["bao_cao"][0]["sent"] = values["bao_cao"][0]["due"]
    return Outcome(Decimal(1))


def write_values(values: Any, name: str) -> Outcome:
    values["ky_luat"] = {}
    return Outcome(Decimal(1))


def delete_value(values: Any, name: str) -> Outcome:
    del values["bao_cao"]
    return Outcome(Decimal(1))


@pytest.mark.parametrize("evaluate", [write_events, write_items, write_values, delete_value])
def test_a_rule_cannot_change_the_values_other_rules_read(tmp_path, evaluate):
    ruleset = ruleset_with(tmp_path, evaluate)
    unit = parrules.unit_from_mapping(GOOD, ruleset)
    with pytest.raises(RuleFailure) as info:
        parrules.score(ruleset, unit)
    assert (info.value.plugin, info.value.rule, info.value.code) == (
        "plugin_faulty",
        "test.faulty",
        "1.1",
    )
    assert "TypeError" in str(info.value)
    assert unit.stage().indicators["ky_luat"] == {"khien_trach": Decimal(1)}


def test_values_a_rule_reads_compare_and_serialise_as_plain_values(tmp_path):
    ruleset = ruleset_with(tmp_path, full)
    unit = parrules.unit_from_mapping(GOOD, ruleset)
    values = unit.stage().indicators
    assert values["ky_luat"] == {"khien_trach": 1}
    assert dict(values["bao_cao"][0])["name"] == "Báo cáo quý I"
    card = parrules.score(ruleset, unit)
    assert card.to_dict()["stages"][0]["total"] == "2"
    import pickle

    assert pickle.loads(pickle.dumps(unit)).stage().indicators == values


# An explanation a rule makes impossible to write fails through the API as through the CLI: a
# RuleFailure naming the plugin, the rule and the node, never the formatter's own error.


def _both(template: str) -> parrules.Text:
    return parrules.Text(template, template)


BROKEN_OUTCOMES: dict[str, dict[str, Any]] = {
    "attribute in its reason": {"reason": _both("{x.__class__}"), "values": (("x", 1),)},
    "index in its reason": {"reason": _both("{x[0]}"), "values": (("x", [1]),)},
    "a width in its formula": {"formula": "{x:>1500000000}", "values": (("x", 1),)},
    "a field it does not give": {"reason": _both("{missing}")},
    "a brace": {"reason": _both("{")},
    "a value that cannot be shown": {
        "reason": _both("{x}"),
        "values": (("x", SimpleNamespace(get=None)),),
    },
}


@pytest.mark.parametrize("name", sorted(BROKEN_OUTCOMES))
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_an_explanation_a_rule_breaks_is_its_failure_through_the_api(tmp_path, name, lang):
    def broken(values: Any, _: str) -> Outcome:
        return Outcome(Decimal(0), **BROKEN_OUTCOMES[name])

    ruleset = ruleset_with(tmp_path, broken)
    card = parrules.score(ruleset, parrules.unit_from_mapping(GOOD, ruleset))
    with pytest.raises(RuleFailure) as info:
        card.to_dict(lang)
    failure = info.value
    assert (failure.plugin, failure.rule, failure.code) == ("plugin_faulty", "test.faulty", "1.1")
    assert "its explanation cannot be written" in str(failure)
    assert card.node("1.2").explain(lang).reason  # the other nodes explain themselves


# Leaving the process from a rule is a failure of that rule, not the end of the run.


def exits(values: Any, name: str) -> Outcome:
    sys.exit(0)


def exits_with_base_exception(values: Any, name: str) -> Outcome:
    class Escape(BaseException):
        pass

    raise Escape("out")


@pytest.mark.parametrize("evaluate", [exits, exits_with_base_exception])
def test_a_rule_that_exits_fails_its_unit(tmp_path, evaluate):
    ruleset = ruleset_with(tmp_path, evaluate)
    with pytest.raises(RuleFailure, match=r"rule 'test\.faulty' of plugin 'plugin_faulty'"):
        parrules.score(ruleset, parrules.unit_from_mapping(GOOD, ruleset))


def test_ctrl_c_in_a_rule_is_not_contained(tmp_path):
    def interrupted(values: Any, name: str) -> Outcome:
        raise KeyboardInterrupt

    ruleset = ruleset_with(tmp_path, interrupted)
    with pytest.raises(KeyboardInterrupt):
        parrules.score(ruleset, parrules.unit_from_mapping(GOOD, ruleset))


# A rule that never returns is stopped.


def sleeps(values: Any, name: str) -> Outcome:
    if values[name] == 13:
        time.sleep(3600)
    return Outcome(Decimal(1))


def test_a_rule_that_does_not_return_is_stopped(tmp_path):
    ruleset = ruleset_with(tmp_path, sleeps)
    stuck = parrules.unit_from_mapping(
        {**GOOD, "indicators": {**GOOD["indicators"], "n": 13}}, ruleset
    )
    with yaml_limits(Limits(max_seconds=0.2)), pytest.raises(RuleFailure) as info:
        parrules.score(ruleset, stuck)
    assert "took longer than 0.2 s" in str(info.value)
    assert info.value.code == "1.1"
    assert parrules.score(ruleset, parrules.unit_from_mapping(GOOD, ruleset)).total == Decimal("2")


def test_a_rule_that_swallows_the_time_limit_is_still_stopped(tmp_path):
    def stubborn(values: Any, name: str) -> Outcome:
        for _ in range(3600):
            with contextlib.suppress(Exception):  # what a careless plugin does
                time.sleep(1)
        return Outcome(Decimal(1))

    ruleset = ruleset_with(tmp_path, stubborn)
    with yaml_limits(Limits(max_seconds=0.2)), pytest.raises(RuleFailure, match="took longer"):
        parrules.score(ruleset, parrules.unit_from_mapping(GOOD, ruleset))


def test_score_many_goes_on_past_a_unit_that_does_not_return(tmp_path):
    ruleset = ruleset_with(tmp_path, sleeps)
    units = [
        parrules.unit_from_mapping(
            {
                **GOOD,
                "unit": f"Xã {i}",
                "indicators": {**GOOD["indicators"], "n": 13 if i == 1 else 1},
            },
            ruleset,
        )
        for i in range(3)
    ]
    with yaml_limits(Limits(max_seconds=0.2)):
        results = list(parrules.score_many(ruleset, units, errors="yield"))
    assert [type(r).__name__ for r in results] == ["ScoreCard", "RuleFailure", "ScoreCard"]


# score_many: each unit's error in its place, and the others scored.


def flaky(values: Any, name: str) -> Outcome:
    if values[name] == 13:
        raise RuntimeError("unlucky number")
    return Outcome(Decimal(1))


@pytest.mark.parametrize("workers", [1, 2])
def test_score_many_can_yield_each_error_in_place(tmp_path, workers):
    ruleset = ruleset_with(tmp_path, flaky)
    numbers = [1, 13, 1, 1, 13] * 60
    units = [
        parrules.unit_from_mapping(
            {**GOOD, "unit": f"Xã {i}", "indicators": {**GOOD["indicators"], "n": n}}, ruleset
        )
        for i, n in enumerate(numbers)
    ]
    results = list(
        parrules.score_many(ruleset, units, workers=workers, chunk_size=16, errors="yield")
    )
    assert len(results) == len(units)
    for unit, n, result in zip(units, numbers, results, strict=True):
        if n == 13:
            assert isinstance(result, RuleFailure)
            assert result.unit == unit.unit
        else:
            assert isinstance(result, parrules.ScoreCard)
            assert result.unit is unit
            assert result.total == Decimal("2")
    with pytest.raises(RuleFailure):
        list(parrules.score_many(ruleset, units, workers=workers, chunk_size=16))
    with pytest.raises(ValueError, match="errors"):
        parrules.score_many(ruleset, units, errors="ignore")  # type: ignore[call-overload]


def refuses_13(values: Any, name: str) -> Outcome:
    if values[name] == 13:
        raise UnitError("13 is not a valid value", field=name)
    return Outcome(Decimal(1))


def test_an_error_kept_in_place_names_its_unit_built_in_memory(tmp_path):
    """A unit from a mapping has no file: its refusal names the unit instead, so that a log
    of a batch's failures says whose each one is."""
    ruleset = ruleset_with(tmp_path, refuses_13)
    bad = {**GOOD, "unit": "Xã Sai", "indicators": {**GOOD["indicators"], "n": 13}}
    units = [parrules.unit_from_mapping(m, ruleset) for m in (GOOD, bad)]
    card, error = parrules.score_many(ruleset, units, errors="yield")
    assert isinstance(card, parrules.ScoreCard)
    assert isinstance(error, UnitError)
    assert (error.unit, error.path, error.code, error.field) == ("Xã Sai", None, "1.1", "n")
    assert str(error).startswith("unit 'Xã Sai', node 1.1, field 'n': stage 'final': 13 is")
    in_file = parrules.unit_from_mapping(bad, ruleset, path="xa-sai.yaml")
    with pytest.raises(UnitError, match=r"^xa-sai\.yaml, node 1\.1"):
        parrules.score(ruleset, in_file)


# Two plugins registering one rule name disable that name only.


def provider(name: str, *rules: str) -> SimpleNamespace:
    made = [Rule(r, lambda p: None, "test") for r in rules]
    return SimpleNamespace(__name__=name, parrules_rules=parrules.hookimpl(lambda: made))


def test_a_rule_registered_twice_disables_only_that_name(tmp_path):
    registry = Registry.create(
        plugins=[provider("one", "tinh.x", "tinh.y"), provider("two", "tinh.x")],
        entry_points=False,
    )
    assert "tinh.y" in registry.rules
    assert "tinh.x" not in registry.rules
    assert [(d.rule, d.plugins) for d in registry.duplicates] == [("tinh.x", ("one", "two"))]
    path = tmp_path / "r.yaml"
    path.write_text(
        "id: t/dup/2023\ntitle: T\nyear: 2023\nmax: 1\n"
        'nodes: [{code: "1", title: A, max: 1, rule: tinh.x}]\n',
        encoding="utf-8",
    )
    with pytest.raises(DuplicateRuleError) as info:
        parrules.load_ruleset(path, registry=registry)
    assert f"{path}:5" in str(info.value)
    assert "'one' and 'two'" in str(info.value)
    assert info.value.rule == "tinh.x"
    ruleset = parrules.load_ruleset(ROOT / "tests" / "data" / "mini.yaml", registry=registry)
    assert ruleset.id == "test/mini/2023"


# Through the command line, with plugins installed as real distributions.

SITE_PLUGIN = """\
from decimal import Decimal
import parrules

def bind(p):
    p.indicator("value", ("number",))
    return lambda values: parrules.Outcome(Decimal(1))

@parrules.hookimpl
def parrules_rules():
    return [parrules.Rule({name!r}, bind, "one point", ("value",))]
"""


def run_cli(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("PARRULES_DISABLE_PLUGIN_AUTOLOAD", None)
    return subprocess.run(
        [sys.executable, "-m", "parrules.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def test_a_plugin_that_exits_at_import_is_broken_and_the_rest_runs(tmp_path):
    site = tmp_path / "site"
    fake_distribution(site, "fake-exit", "leaver = fake_exit", "import sys\nsys.exit(0)\n")
    rules = run_cli(site, "rules", cwd=ROOT)
    assert rules.returncode == 1
    assert rules.stderr == "parrules: plugin 'leaver' is broken: SystemExit: 0\n"
    assert "ratio" in rules.stdout
    unit = ROOT / "examples" / "thai-nguyen" / "binh-thanh-2023.yaml"
    scored = run_cli(site, "score", str(unit), cwd=ROOT)
    assert scored.returncode == 0, scored.stderr
    assert "Bình Thành" in scored.stdout


def test_two_plugins_with_one_rule_name_disable_only_what_uses_it(tmp_path):
    site = tmp_path / "site"
    for name in ("fake-one", "fake-two"):
        module = name.replace("-", "_")
        fake_distribution(site, name, f"{name} = {module}", SITE_PLUGIN.format(name="tinh.same"))
    rules = run_cli(site, "rules", cwd=ROOT)
    assert rules.returncode == 1
    assert rules.stderr.splitlines() == [
        "parrules: rule 'tinh.same' is registered by both 'fake-one' and 'fake-two': none of "
        "them is used (uninstall one of them or rename the rule in its plugin)"
    ]
    assert "ratio" in rules.stdout
    (tmp_path / "r.yaml").write_text(
        "id: t/same/2023\ntitle: T\nyear: 2023\nmax: 1\nindicators: {n: {label: N, type: number}}\n"
        'nodes: [{code: "1", title: A, max: 1, rule: tinh.same, params: {value: n}}]\n',
        encoding="utf-8",
    )
    (tmp_path / "u.yaml").write_text(
        "unit: Xã A\nyear: 2023\nruleset: r.yaml\nindicators: {n: 1}\n", encoding="utf-8"
    )
    good = ROOT / "examples" / "thai-nguyen" / "binh-thanh-2023.yaml"
    scored = run_cli(site, "score", str(good), str(tmp_path / "u.yaml"), cwd=tmp_path)
    assert scored.returncode == 1
    assert "Bình Thành" in scored.stdout
    [line] = scored.stderr.splitlines()
    assert f"{tmp_path / 'r.yaml'}:6" in line
    assert "'tinh.same' is registered by both 'fake-one' and 'fake-two'" in line


def _beside_a_good_unit(tmp_path, rule, body, distribution, entry_point):
    """Score a unit whose only node runs ``rule`` (returning ``body``) beside a good unit, and
    the good unit alone, through the command line of a site with that plugin installed."""
    site = tmp_path / "site"
    module = SITE_PLUGIN.format(name=rule).replace(
        "return lambda values: parrules.Outcome(Decimal(1))", body
    )
    fake_distribution(site, distribution, entry_point, module)
    (tmp_path / "r.yaml").write_text(
        f"id: t/x/2023\ntitle: T\nyear: 2023\nmax: 1\n"
        "indicators: {n: {label: N, type: number}}\n"
        f'nodes: [{{code: "1", title: A, max: 1, rule: {rule}, params: {{value: n}}}}]\n',
        encoding="utf-8",
    )
    (tmp_path / "u.yaml").write_text(
        "unit: Xã A\nyear: 2023\nruleset: r.yaml\nindicators: {n: 1}\n", encoding="utf-8"
    )
    good = ROOT / "examples" / "thai-nguyen" / "binh-thanh-2023.yaml"
    alone = run_cli(site, "score", str(good), cwd=tmp_path)
    both = run_cli(site, "score", str(tmp_path / "u.yaml"), str(good), cwd=tmp_path)
    return alone, both


def test_a_rule_that_exits_costs_only_its_unit_on_the_command_line(tmp_path):
    alone, both = _beside_a_good_unit(
        tmp_path,
        "tinh.exit",
        "import sys\n    return lambda values: sys.exit(0)",
        "fake-exit-rule",
        "exiter = fake_exit_rule",
    )
    assert both.returncode == 1
    assert both.stdout == alone.stdout  # the good unit's card, unchanged
    [line] = both.stderr.splitlines()
    assert "rule 'tinh.exit' of plugin 'exiter' failed on node 1" in line
    assert "SystemExit" in line


def test_a_rule_that_never_returns_costs_only_its_unit_on_the_command_line(tmp_path):
    """With the default bound (5 s), through the command line, beside a good unit."""
    alone, both = _beside_a_good_unit(
        tmp_path,
        "tinh.sleep",
        "import time\n    return lambda values: time.sleep(3600)",
        "fake-sleep",
        "sleeper = fake_sleep",
    )
    assert both.returncode == 1
    assert both.stdout == alone.stdout
    [line] = both.stderr.splitlines()
    assert "rule 'tinh.sleep' of plugin 'sleeper' failed on node 1" in line
    assert "took longer than 5 s" in line
