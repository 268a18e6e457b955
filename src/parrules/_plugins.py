"""Plugin discovery and the rule registry: the only module that touches ``pm.hook``."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import pluggy

from . import hookspecs
from ._deadline import contained
from ._model import Rule
from .errors import DuplicateRuleError, UnknownRuleError, close_match

BUILTIN_PLUGINS = ("parrules.rules",)
DISABLE_AUTOLOAD = "PARRULES_DISABLE_PLUGIN_AUTOLOAD"
KNOWN_PLUGINS = {"lai-chau": "parrules-lai-chau"}
"""Rule-name prefix → the distribution that provides those rules, for the rulesets parrules
ships that use a province's own rules: a missing rule then names what to install."""


@attrs.frozen
class BrokenPlugin:
    """A plugin that could not be loaded, kept so that ``parrules rules`` can list it."""

    name: str
    error: str


def make_plugin_manager(
    *, plugins: Iterable[object] = (), entry_points: bool | None = None
) -> tuple[pluggy.PluginManager, tuple[BrokenPlugin, ...]]:
    """A fresh manager with the built-in rules, the given plugin objects and, unless disabled
    (argument or ``PARRULES_DISABLE_PLUGIN_AUTOLOAD``), the ``parrules`` entry points.

    A plugin that fails to import is returned as broken instead of raising: one bad plugin must
    not stop the others, nor ``import parrules``.
    """
    import importlib.metadata

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for name in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    for plugin in plugins:
        pm.register(plugin)
    broken: list[BrokenPlugin] = []
    if entry_points is None:
        entry_points = not os.environ.get(DISABLE_AUTOLOAD)
    if entry_points:
        for ep in sorted(
            importlib.metadata.entry_points(group=hookspecs.PROJECT), key=lambda e: e.name
        ):
            if pm.get_plugin(ep.name) is not None:
                continue
            try:
                pm.register(ep.load(), name=ep.name)
            except BaseException as exc:  # also sys.exit() at import: it ends nothing but this
                if not contained(exc):
                    raise
                broken.append(BrokenPlugin(ep.name, f"{type(exc).__name__}: {exc}"))
    pm.check_pending()
    return pm, tuple(broken)


@attrs.frozen
class Registry:
    """The rules and ruleset directories every plugin provides, found once."""

    rules: Mapping[str, Rule]
    ruleset_dirs: tuple[Path, ...] = ()
    broken: tuple[BrokenPlugin, ...] = ()
    plugins: tuple[tuple[str, str], ...] = ()
    """(plugin name, version) of every plugin that contributed, for provenance."""
    duplicates: tuple[DuplicateRuleError, ...] = ()
    """Rule names several plugins register: neither rule is used, and a ruleset naming one is
    refused; the rest of the registry works."""

    @classmethod
    def from_plugin_manager(
        cls, pm: pluggy.PluginManager, broken: tuple[BrokenPlugin, ...] = ()
    ) -> Registry:
        rules: dict[str, Rule] = {}
        by: dict[str, list[str]] = {}
        for impl in pm.hook.parrules_rules.get_hookimpls():
            try:
                provided = list(impl.function())  # type: ignore[call-overload]
            except BaseException as exc:
                if not contained(exc):
                    raise
                broken = (*broken, BrokenPlugin(impl.plugin_name, f"{type(exc).__name__}: {exc}"))
                continue
            wrong = [r for r in provided if not isinstance(r, Rule)]
            if wrong:
                error = f"parrules_rules() returned {wrong[0]!r:.80}, not a parrules.Rule"
                broken = (*broken, BrokenPlugin(impl.plugin_name, error))
                continue
            for rule in provided:
                by.setdefault(rule.name, []).append(impl.plugin_name)
                rules.setdefault(rule.name, attrs.evolve(rule, plugin=impl.plugin_name))
        duplicates = tuple(
            DuplicateRuleError(name, tuple(sorted(plugins)))
            for name, plugins in sorted(by.items())
            if len(plugins) > 1
        )
        for duplicate in duplicates:  # which one is meant cannot be told: neither is used
            del rules[duplicate.rule]
        dirs: list[Path] = []
        for impl in reversed(pm.hook.parrules_rulesets.get_hookimpls()):  # pluggy's call order
            try:
                dirs.extend(Path(p) for p in impl.function())  # type: ignore[attr-defined]
            except BaseException as exc:
                if not contained(exc):
                    raise
                broken = (*broken, BrokenPlugin(impl.plugin_name, f"{type(exc).__name__}: {exc}"))
        names = sorted({r.plugin for r in rules.values()})
        return cls(
            rules=dict(sorted(rules.items())),
            ruleset_dirs=tuple(dirs),
            broken=broken,
            duplicates=duplicates,
            plugins=tuple((n, _version_of(pm.get_plugin(n))) for n in names),
        )

    @classmethod
    def create(
        cls, *, plugins: Iterable[object] = (), entry_points: bool | None = None
    ) -> Registry:
        pm, broken = make_plugin_manager(plugins=plugins, entry_points=entry_points)
        return cls.from_plugin_manager(pm, broken)

    def rule(self, name: str, **where: Any) -> Rule:
        try:
            return self.rules[name]
        except KeyError:
            for duplicate in self.duplicates:
                if duplicate.rule == name:
                    raise DuplicateRuleError(
                        name, duplicate.plugins, where=_where(**where)
                    ) from None
            message, hint = f"unknown rule '{name}'", close_match(name, self.rules)
            prefix = name.partition(".")[0] if "." in name else None
            if hint is None and self.broken:
                failed = "; ".join(f"'{b.name}' ({b.error})" for b in self.broken)
                hint = f"a plugin failed to load: {failed}"
            elif hint is None and prefix in KNOWN_PLUGINS:
                dist = KNOWN_PLUGINS[prefix]
                message = (
                    f"rule '{name}' is provided by the plugin distribution {dist}, "
                    "which is not installed"
                )
                hint = (
                    f"pip install {dist}; in a checkout of parrules: pip install ./plugins/{dist}"
                )
            elif hint is None and prefix:
                message = f"no installed plugin provides the rule '{name}'"
                hint = (
                    f"a plugin is missing: install the distribution that provides the "
                    f"'{prefix}.' rules (a province's is named parrules-<province>); "
                    "parrules rules lists the installed rules"
                )
            raise UnknownRuleError(message, hint=hint, **where) from None


def _where(
    path: str | None = None,
    line: int | None = None,
    code: str | None = None,
    field: str | None = None,
) -> str:
    """Where a ruleset names a rule, as an input error shows it: ``r.yaml:6, node 1``."""
    parts = [f"{path}:{line}" if path and line else path or ""]
    parts.append(f"node {code}" if code else "")
    return ", ".join(p for p in parts if p)


def _version_of(plugin: object) -> str:
    import importlib.metadata

    module = getattr(plugin, "__name__", type(plugin).__module__)
    top = module.partition(".")[0]
    try:  # most plugins are distributions of their module's name: no need to map every one
        return importlib.metadata.version(top)
    except importlib.metadata.PackageNotFoundError:
        pass
    for dist in _distributions().get(top, []):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "unknown"


@functools.cache
def _distributions() -> Mapping[str, list[str]]:
    import importlib.metadata

    return importlib.metadata.packages_distributions()


@functools.cache
def default_registry() -> Registry:
    """The registry of every installed plugin, built on first use."""
    return Registry.create()
