"""The opt-in pytest plugin: ``pytest_plugins = ["parrules.testing"]`` in a root conftest.py.

It collects every ``*.cases.yaml`` file as one test per case and one per published table, and
offers fixtures that build a plugin manager and a rule registry from the plugins a test suite
names, with entry points off.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pluggy
import pytest

from .._plugins import Registry, default_registry, make_plugin_manager
from ..errors import ParRulesError
from ._cases import (
    FAILED,
    SUFFIX,
    Case,
    CasesFile,
    PublishedTable,
    check_case,
    check_published,
    load_cases_file,
)
from ._failures import CheckFailed

INI = "parrules_plugins"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        INI,
        type="linelist",
        default=[],
        help="modules registered as parrules plugins by the parrules fixtures and cases",
    )


def _plugins(config: pytest.Config) -> tuple[object, ...]:
    return tuple(importlib.import_module(name) for name in config.getini(INI))


def _cases_registry(config: pytest.Config) -> Registry:
    """The plugins named in the ini file only, or every installed plugin when none is named."""
    plugins = _plugins(config)
    if not plugins:
        return default_registry()
    return Registry.create(plugins=plugins, entry_points=False)


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.name.endswith(SUFFIX):
        return CasesCollector.from_parent(parent, path=file_path)
    return None


class CasesCollector(pytest.File):
    """A ``*.cases.yaml`` file: one test item per case and one per published table."""

    def collect(self) -> Iterator[pytest.Item]:
        file = load_cases_file(self.path)
        for case in file.cases:
            yield CaseItem.from_parent(self, name=case.name, case=case)
        for table in file.published:
            yield PublishedItem.from_parent(self, name=table.name, file=file, table=table)


class _Item(pytest.Item):
    """A check of a cases file: its failure is reported as the check words it."""

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, CheckFailed | ParRulesError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


class CaseItem(_Item):
    """One case: its unit is scored and the expected points compared."""

    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        check_case(self.case, registry=_cases_registry(self.config))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, (self.case.line or 1) - 1, f"case: {self.case.name}"


class PublishedItem(_Item):
    """One published table: every figure it prints is compared with the computed value."""

    def __init__(self, *, file: CasesFile, table: PublishedTable, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.file = file
        self.table = table

    def runtest(self) -> None:
        checked = check_published(self.file, self.table, registry=_cases_registry(self.config))
        failed = [c.message for c in checked if c.status == FAILED]
        if failed:
            subject = f"cases file '{self.file.name}'"
            raise CheckFailed(subject, "published", "\n  ".join(["", *failed]))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, (self.table.line or 1) - 1, f"published: {self.table.name}"


@pytest.fixture
def parrules_plugins(request: pytest.FixtureRequest) -> tuple[object, ...]:
    """The plugin objects (modules) under test: those named by the ``parrules_plugins`` ini
    option. Override this fixture to give others."""
    return _plugins(request.config)


@pytest.fixture
def parrules_plugin_manager(parrules_plugins: tuple[object, ...]) -> pluggy.PluginManager:
    """A fresh plugin manager with the built-in rules and ``parrules_plugins``, entry points
    off; a plugin that is broken fails the test."""
    pm, broken = make_plugin_manager(plugins=parrules_plugins, entry_points=False)
    if broken:
        pytest.fail(f"broken parrules plugins: {broken}")
    return pm


@pytest.fixture
def parrules_registry(parrules_plugin_manager: pluggy.PluginManager) -> Registry:
    """The rule registry of ``parrules_plugin_manager``: pass it to ``load_ruleset``."""
    return Registry.from_plugin_manager(parrules_plugin_manager)
