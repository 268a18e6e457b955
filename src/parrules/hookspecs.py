"""The hooks a parrules plugin may implement; the only place hooks are declared.

A plugin is a module or object registered under the ``parrules`` entry-point group whose functions
are marked with ``parrules.hookimpl``. Rules are values, returned once when the registry is
built; scoring never calls a hook.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from ._model import Rule

PROJECT = "parrules"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def parrules_rules() -> Iterable[Rule]:
    """Return the rules this plugin provides.

    Every plugin's results are collected; a rule name registered twice is an error naming both
    plugins.

    .. versionadded:: 0.1
    """
    raise NotImplementedError


@hookspec
def parrules_rulesets() -> Iterable[Path]:
    """Return directories holding rulesets this plugin ships.

    A ruleset ``<dir>/<jurisdiction>/<level>/<year>.yaml`` is then found by its id
    ``<jurisdiction>/<level>/<year>``. Every plugin's results are collected.

    .. versionadded:: 0.1
    """
    raise NotImplementedError
