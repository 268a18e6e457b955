"""One test per hook, named ``test_hook_<hook>``: what a plugin implementing it can rely on.

tests/test_docs.py fails when a hook declared in parrules.hookspecs has no such test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

import parrules
from parrules import Outcome, Params, Registry, Rule, hookimpl, known_ids
from parrules.errors import DuplicateRuleError, PluginError

RULESET = """\
id: demo/commune/2024
title: Bộ chỉ số mẫu
year: 2024
max: 2
indicators:
  co_ke_hoach: {label: Có kế hoạch CCHC, type: bool}
nodes:
  - code: "1"
    title: Kế hoạch CCHC
    max: 2
    rule: {rule}
"""


def plugin(name: str, **hooks: object) -> SimpleNamespace:
    return SimpleNamespace(__name__=name, **hooks)


def half(p: Params) -> Callable[[Mapping[str, object]], Outcome]:
    """A rule reading one bool: max when true, half of it when false."""
    name = p.indicator("indicator", ("bool",))
    maximum = p.max

    def evaluate(values: Mapping[str, object]) -> Outcome:
        return Outcome(maximum if values[name] else maximum / 2)

    return evaluate


def test_hook_parrules_rules(tmp_path: Path) -> None:
    """A plugin's rules are registered under their names with the plugin's name, bound when a
    ruleset names them, and scored; a name two plugins register is refused where it is used,
    naming both, and a plugin returning something other than rules is listed as broken."""

    @hookimpl
    def parrules_rules() -> Iterable[Rule]:
        return [Rule("demo.half", half, "max or half", ("indicator",))]

    registry = Registry.create(
        plugins=[plugin("demo", parrules_rules=parrules_rules)], entry_points=False
    )
    assert registry.rules["demo.half"].plugin == "demo"
    assert registry.rules["ratio"].plugin == "parrules.rules"

    path = tmp_path / "demo.yaml"
    path.write_text(
        RULESET.replace("{rule}", "demo.half\n    params: {indicator: co_ke_hoach}"),
        encoding="utf-8",
    )
    ruleset = parrules.load_ruleset(path, registry=registry)
    assert ruleset.node("1").plugin == "demo"
    unit = parrules.unit_from_mapping({"indicators": {"co_ke_hoach": False}}, ruleset)
    assert parrules.score(ruleset, unit).total == Decimal(1)

    twice = Registry.create(
        plugins=[
            plugin("one", parrules_rules=parrules_rules),
            plugin("two", parrules_rules=parrules_rules),
        ],
        entry_points=False,
    )
    assert "demo.half" not in twice.rules
    with pytest.raises(DuplicateRuleError) as info:
        parrules.load_ruleset(path, registry=twice)
    assert set(info.value.plugins) == {"one", "two"}

    @hookimpl
    def not_rules() -> Iterable[object]:
        return ["demo.half"]

    registry = Registry.create(
        plugins=[
            plugin("bad", parrules_rules=not_rules),
            plugin("demo", parrules_rules=parrules_rules),
        ],
        entry_points=False,
    )
    assert [b.name for b in registry.broken] == ["bad"]
    assert "not a parrules.Rule" in registry.broken[0].error
    assert "demo.half" in registry.rules  # the other plugins still load


def test_hook_parrules_rules_failing_marks_the_plugin_broken() -> None:
    """A hook that raises makes its plugin broken; the other plugins' rules are still there."""

    @hookimpl
    def parrules_rules() -> Iterable[Rule]:
        raise RuntimeError("no rules today")

    registry = Registry.create(
        plugins=[plugin("sick", parrules_rules=parrules_rules)], entry_points=False
    )
    assert [(b.name, b.error) for b in registry.broken] == [
        ("sick", "RuntimeError: no rules today")
    ]
    assert "ratio" in registry.rules


def test_hook_parrules_rulesets(tmp_path: Path) -> None:
    """A plugin's ruleset directories are searched by id, `.cases.yaml` files skipped, and the
    rulesets load by id with that registry."""
    directory = tmp_path / "rulesets"
    (directory / "demo" / "commune").mkdir(parents=True)
    (directory / "demo" / "commune" / "2024.yaml").write_text(
        RULESET.replace("{rule}", "check\n    params: {all_of: [co_ke_hoach]}"), encoding="utf-8"
    )
    (directory / "demo" / "commune" / "2024.cases.yaml").write_text("cases: []\n")

    @hookimpl
    def parrules_rulesets() -> Iterable[Path]:
        return [directory]

    registry = Registry.create(
        plugins=[plugin("demo", parrules_rulesets=parrules_rulesets)], entry_points=False
    )
    ids = known_ids(registry)
    assert ids["demo/commune/2024"] == directory / "demo" / "commune" / "2024.yaml"
    assert "demo/commune/2024.cases" not in ids
    assert "thai-nguyen/commune/2023" in ids  # the built-in directory is still searched
    ruleset = parrules.load_ruleset("demo/commune/2024", registry=registry)
    assert ruleset.title == "Bộ chỉ số mẫu"
    assert ruleset.max == Decimal(2)


def test_hook_parrules_rulesets_failing_marks_the_plugin_broken() -> None:
    """A rulesets hook that raises makes its plugin broken; the built-in rulesets are still
    found."""

    @hookimpl
    def parrules_rulesets() -> Iterable[Path]:
        raise OSError("disk gone")

    registry = Registry.create(
        plugins=[plugin("sick", parrules_rulesets=parrules_rulesets)], entry_points=False
    )
    assert [(b.name, b.error) for b in registry.broken] == [("sick", "OSError: disk gone")]
    assert "thai-nguyen/commune/2023" in known_ids(registry)


def test_hook_parrules_rulesets_shipping_an_id_twice_is_an_error(tmp_path: Path) -> None:
    """A plugin shipping an id parrules already ships: that id is refused naming both files,
    the others load."""
    directory = tmp_path / "rulesets"
    (directory / "thai-nguyen" / "commune").mkdir(parents=True)
    (directory / "thai-nguyen" / "commune" / "2023.yaml").write_text(
        RULESET.replace("{rule}", "check\n    params: {all_of: [co_ke_hoach]}"), encoding="utf-8"
    )

    @hookimpl
    def parrules_rulesets() -> Iterable[Path]:
        return [directory]

    registry = Registry.create(
        plugins=[plugin("copy", parrules_rulesets=parrules_rulesets)], entry_points=False
    )
    assert "thai-nguyen/commune/2023" not in known_ids(registry)
    assert "lai-chau/district/2022" in known_ids(registry)  # the other ids still load
    with pytest.raises(PluginError, match="thai-nguyen/commune/2023"):
        parrules.load_ruleset("thai-nguyen/commune/2023", registry=registry)
