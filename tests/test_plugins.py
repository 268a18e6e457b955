"""Plugin discovery: entry points, duplicates, broken plugins, installed distributions."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from parrules import Registry, Rule, hookimpl, make_plugin_manager
from parrules.errors import DuplicateRuleError


def provider(name: str, *rule_names: str) -> SimpleNamespace:
    rules = [Rule(r, lambda p: None, "test") for r in rule_names]

    @hookimpl
    def parrules_rules():
        return rules

    return SimpleNamespace(parrules_rules=parrules_rules, __name__=name)


class FakeEntryPoint:
    def __init__(self, name: str, load) -> None:
        self.name = name
        self._load = load

    def load(self):
        return self._load()


def fake_entry_points(monkeypatch, *eps: FakeEntryPoint) -> None:
    def entry_points(group=None, **kwargs):
        return list(eps) if group == "parrules" else []

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)


def test_builtin_rules_come_through_the_hook():
    registry = Registry.create(entry_points=False)
    assert {"ratio", "bands", "per_event", "check", "deadline", "trend", "appraised", "survey"} <= (
        set(registry.rules)
    )
    assert {r.plugin for r in registry.rules.values()} == {"parrules.rules"}


def test_a_duplicate_rule_names_both_plugins():
    registry = Registry.create(
        plugins=[provider("one", "x"), provider("two", "x"), provider("three", "x", "y")],
        entry_points=False,
    )
    [duplicate] = registry.duplicates
    assert duplicate.plugins == ("one", "three", "two")
    assert "'one', 'three' and 'two'" in str(duplicate)
    assert set(registry.rules) >= {"y", "ratio"}
    with pytest.raises(DuplicateRuleError, match="registered by 'one', 'three' and 'two'"):
        registry.rule("x")


def test_entry_points_are_discovered(monkeypatch):
    fake_entry_points(monkeypatch, FakeEntryPoint("province", lambda: provider("p", "tinh.x")))
    registry = Registry.create()
    assert registry.rules["tinh.x"].plugin == "province"


def test_a_plugin_that_fails_to_import_is_reported_and_the_others_load(monkeypatch):
    def boom():
        raise ImportError("No module named 'parrules_broken'")

    fake_entry_points(
        monkeypatch,
        FakeEntryPoint("broken", boom),
        FakeEntryPoint("good", lambda: provider("g", "tinh.y")),
    )
    pm, broken = make_plugin_manager()
    assert [b.name for b in broken] == ["broken"]
    assert "parrules_broken" in broken[0].error
    assert "tinh.y" in Registry.from_plugin_manager(pm, broken).rules


def test_autoload_can_be_disabled(monkeypatch):
    fake_entry_points(monkeypatch, FakeEntryPoint("province", lambda: provider("p", "tinh.x")))
    monkeypatch.setenv("PARRULES_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert "tinh.x" not in Registry.create().rules


def test_import_parrules_survives_a_broken_plugin(tmp_path):
    """A broken entry point must not break ``import parrules`` (nothing loads plugins on import)."""
    code = "import parrules, sys; sys.exit(0 if parrules.score else 1)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_the_lai_chau_distribution_is_discovered_and_scores():
    """plugins/parrules-lai-chau, installed by the dev command, is found through its entry point
    and its rule scores criterion 1.7 of Tam Đường 2023 (seed 001: a disciplined department-level
    leader, −2)."""
    import parrules

    names = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="parrules")}
    assert names.get("lai-chau") == "parrules_lai_chau"
    registry = Registry.create()
    rule = registry.rules["lai-chau.provincial-index-impact"]
    assert rule.plugin == "lai-chau"
    example = Path(__file__).parents[1] / "examples/lai-chau/tam-duong-2023.yaml"
    unit = parrules.load_unit(example, registry=registry)
    ruleset = parrules.load_ruleset(unit.ruleset, registry=registry)
    card = parrules.score(ruleset, unit)
    assert card.node("1.7").node.plugin == "lai-chau"
    assert card.node("1.7").lost == 2
    assert dict(registry.plugins)["lai-chau"] == importlib.metadata.version("parrules-lai-chau")


def test_two_plugins_shipping_the_same_ruleset_id_is_an_error(tmp_path):
    from parrules.errors import PluginError

    for name in ("a", "b"):
        folder = tmp_path / name / "tinh" / "xa"
        folder.mkdir(parents=True)
        (folder / "2024.yaml").write_text("id: tinh/xa/2024\n", encoding="utf-8")
    registry = Registry(rules={}, ruleset_dirs=(tmp_path / "a", tmp_path / "b"))
    import parrules

    assert parrules.known_ids(registry) == {}
    with pytest.raises(PluginError, match="tinh/xa/2024"):
        parrules.load_ruleset("tinh/xa/2024", registry=registry)


def test_an_unknown_rule_names_the_plugin_that_failed_to_load(monkeypatch, tmp_path):
    import parrules
    from parrules.errors import UnknownRuleError

    def boom():
        raise ImportError("No module named 'parrules_tinh'")

    fake_entry_points(monkeypatch, FakeEntryPoint("tinh", boom))
    registry = Registry.create()
    path = tmp_path / "r.yaml"
    path.write_text(
        "id: t/r/2023\ntitle: T\nyear: 2023\nmax: 1\nnodes:\n"
        "  - {code: '1', title: A, max: 1, rule: tinh.dac-thu}\n",
        encoding="utf-8",
    )
    with pytest.raises(UnknownRuleError) as info:
        parrules.load_ruleset(path, registry=registry)
    assert "'tinh'" in (info.value.hint or "")


def test_a_missing_rule_of_a_known_province_names_its_distribution():
    """The Lai Châu rulesets ship with parrules; their rule comes with parrules-lai-chau."""
    import parrules
    from parrules.errors import UnknownRuleError

    with pytest.raises(UnknownRuleError) as info:
        parrules.load_ruleset(
            "lai-chau/district/2023", registry=Registry.create(entry_points=False)
        )
    assert info.value.message == (
        "rule 'lai-chau.provincial-index-impact' is provided by the plugin distribution "
        "parrules-lai-chau, which is not installed"
    )
    assert info.value.hint is not None
    assert "pip install ./plugins/parrules-lai-chau" in info.value.hint
    assert info.value.code == "1.7"


def test_a_missing_rule_of_an_unknown_plugin_says_a_plugin_is_missing(tmp_path):
    import parrules
    from parrules.errors import UnknownRuleError

    path = tmp_path / "r.yaml"
    path.write_text(
        "id: t/r/2023\ntitle: T\nyear: 2023\nmax: 1\nnodes:\n"
        "  - {code: '1', title: A, max: 1, rule: tinh.dac-thu}\n",
        encoding="utf-8",
    )
    with pytest.raises(UnknownRuleError) as info:
        parrules.load_ruleset(path, registry=Registry.create(entry_points=False))
    assert info.value.message == "no installed plugin provides the rule 'tinh.dac-thu'"
    assert "a plugin is missing" in (info.value.hint or "")
