"""Scoring many unit files at once: every good unit is scored, every bad one is reported.

One bad file, one broken ruleset or one failing rule costs only the units it touches. A unit that
cannot be scored gets no card at all (never a card with zeros); its error says why, and for a
failing rule, which nodes could not be scored.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import cast

import attrs

from ._deadline import OutOfTime, contained, time_bound
from ._engine import explained, score
from ._json import jsonable
from ._many import _Batch, _can_fork, score_many
from ._model import Ruleset, ScoreCard, UnitInputs
from ._plugins import Registry, default_registry
from ._ruleset import load_ruleset
from ._units import read_unit_file, ruleset_file_of, unit_from_mapping
from ._yaml import current_limits
from .errors import (
    DuplicateUnitError,
    ParRulesError,
    RuleFailure,
    ScoringError,
)

Render = Callable[[ScoreCard], str]


@attrs.frozen
class UnitResult:
    """One unit file of a batch: its card (and rendered output), or the error that stopped it."""

    path: str
    card: ScoreCard | None = None
    error: ParRulesError | None = None
    output: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def not_scored(self) -> tuple[str, ...]:
        """Nodes a failing rule left unscored (empty for input errors: nothing was scored)."""
        return self.error.not_scored if isinstance(self.error, ScoringError) else ()

    @property
    def message(self) -> str:
        """The error, naming the unit file when the error itself names another file or none."""
        if self.error is None:
            return ""
        text = str(self.error)
        named = text.startswith((f"{self.path}:", f"{self.path},"))
        return text if named else f"{self.path}: {text}"


@attrs.frozen
class BatchResult:
    """Every unit of a batch, in the order given."""

    results: tuple[UnitResult, ...]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def cards(self) -> tuple[ScoreCard, ...]:
        return tuple(r.card for r in self.results if r.card is not None)

    @property
    def failures(self) -> tuple[UnitResult, ...]:
        return tuple(r for r in self.results if not r.ok)


def score_batch(
    paths: Iterable[str | Path],
    *,
    registry: Registry | None = None,
    render: Render | None = None,
    progress: Callable[[], None] | None = None,
    workers: int = 1,
) -> BatchResult:
    """Score every unit file; errors are collected per unit, never raised.

    Each ruleset is loaded once per batch (a broken one is reported for each unit naming it). A
    unit named in several files (same name once Unicode-normalised, same year and ruleset) is a
    ``DuplicateUnitError`` in each of them. With ``render``, each card is also rendered inside
    the same guard, so that a plugin whose explanation cannot be written fails its unit only.
    ``progress`` is called once per unit file, when it is done. With ``workers`` > 1 the units
    of each ruleset are scored by ``score_many`` in that many processes; the results are the same.
    """
    registry = registry or default_registry()
    rulesets: Rulesets = {}
    loaded: list[tuple[str, tuple[UnitInputs, Ruleset] | ParRulesError]] = []
    for raw_path in paths:
        path = Path(raw_path)
        try:
            loaded.append((str(path), _load(path, registry, rulesets)))
        except ParRulesError as exc:
            loaded.append((str(path), exc))
    duplicates = _duplicates([(p, u[0]) for p, u in loaded if not isinstance(u, ParRulesError)])
    entries: list[UnitResult | Loaded] = []
    for name, entry in loaded:
        if isinstance(entry, ParRulesError):
            entries.append(UnitResult(name, error=entry))
        elif name in duplicates:
            entries.append(UnitResult(name, error=duplicates[name]))
        else:
            entries.append((name, *entry))
    return BatchResult(tuple(score_loaded(entries, workers, render, progress)))


Loaded = tuple[str, UnitInputs, Ruleset]
"""A unit ready to score: where it comes from, its inputs and its ruleset."""


def score_loaded(
    entries: Sequence[UnitResult | Loaded],
    workers: int = 1,
    render: Render | None = None,
    progress: Callable[[], None] | None = None,
    *,
    cards: bool = True,
) -> list[UnitResult]:
    """The result of each entry in order: an error already found is kept, a loaded unit is
    scored (by ``score_many`` in ``workers`` processes for the units of each ruleset) and
    rendered. Without ``cards``, only the output is needed: a unit scored by a worker is
    rendered there too, and its result has no card."""
    step = progress or (lambda: None)
    results: list[UnitResult | None] = [e if isinstance(e, UnitResult) else None for e in entries]
    groups: dict[int, list[int]] = {}
    for i, entry in enumerate(entries):
        if isinstance(entry, UnitResult):
            step()
        else:
            groups.setdefault(id(entry[2]), []).append(i)
    for indexes in groups.values():
        ruleset = cast("Loaded", entries[indexes[0]])[2]
        units = [cast("Loaded", entries[i])[1] for i in indexes]
        lines = None if cards or render is None else _bounded(render)
        made = _cards(ruleset, units, workers, explain=render is not None, lines=lines)
        for i, scored in zip(indexes, made, strict=True):
            where = cast("Loaded", entries[i])[0]
            step()
            if isinstance(scored, ParRulesError):
                results[i] = UnitResult(where, error=scored)
                continue
            if isinstance(scored, str):  # rendered by the worker that scored it
                results[i] = UnitResult(where, output=scored)
                continue
            try:
                output = None if render is None else _render(scored, render)
                results[i] = UnitResult(where, scored, output=output)
            except ParRulesError as exc:
                results[i] = UnitResult(where, error=exc)
    return [r for r in results if r is not None]


def _cards(
    ruleset: Ruleset,
    units: Sequence[UnitInputs],
    workers: int,
    explain: bool = False,
    lines: Render | None = None,
) -> Iterator[ScoreCard | ParRulesError | str]:
    """The card of each unit, or the error that stopped it. ``score_many`` raises at a unit that
    fails: its error takes that unit's place and the units after it are scored again. With
    ``explain``, each card keeps what explains its lost points, to be rendered at once; with
    ``lines``, a unit scored by a worker is rendered there, and its line given instead."""
    start = 0
    while start < len(units):
        try:
            batch = score_many(ruleset, units[start:], workers=workers)
            made = None
            if isinstance(batch, _Batch):
                made = batch.lines(lines) if lines else batch.explained() if explain else None
            for card in batch if made is None else made:
                start += 1
                yield card
        except ParRulesError as exc:
            start += 1
            yield exc


Rulesets = dict[Path | tuple[str, str], Ruleset | ParRulesError]
"""The rulesets of a batch, each loaded once: by file, and by what a unit file names and the
folder it is in (so that a ruleset named again from the same folder is not resolved again)."""


def _load(path: Path, registry: Registry, rulesets: Rulesets) -> tuple[UnitInputs, Ruleset]:
    data = read_unit_file(path)
    named = (data["ruleset"], str(path.parent))
    ruleset = rulesets.get(named)
    if ruleset is None:
        file = ruleset_file_of(data, path, registry)
        key = file.resolve()
        if key not in rulesets:
            try:
                rulesets[key] = load_ruleset(file, registry=registry)
            except ParRulesError as exc:
                rulesets[key] = exc
        ruleset = rulesets[named] = rulesets[key]
    if isinstance(ruleset, ParRulesError):
        raise ruleset
    return unit_from_mapping(data, ruleset, path=str(path)), ruleset


def _score_one(path: str, unit: UnitInputs, ruleset: Ruleset, render: Render | None) -> UnitResult:
    try:
        card = score(ruleset, unit)
        return UnitResult(path, card, output=None if render is None else _render(card, render))
    except ParRulesError as exc:
        return UnitResult(path, error=exc)


FileLine = tuple[tuple[str, int, str], str, int, bytes]
"""What a worker gives back for a unit file: its unit's key (``unit_key``), name and year,
and its card rendered, in UTF-8: as it is written, so that the calling process neither decodes
nor encodes it again."""
SMALL_FILES = 100
"""Unit files a run must hold for ``render_files`` to start processes: below it, starting them
(and loading the ruleset in each) costs more than sharing the work gains."""


def render_files(
    paths: Sequence[str], registry: Registry, render: Render, workers: int
) -> Iterator[FileLine | None]:
    """For each unit file, in order: what ``workers`` processes that read, score and render it
    give back, or None where any of that failed (the caller reads the file again, to give its
    error in place), and for every file left when a worker dies. Only the lines come back:
    a file costs the calling process no more than writing its line. Where processes cannot be
    forked, or inside a daemon process, every file is left to the caller."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    if not _can_fork():
        yield from (None for _ in paths)
        return
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start,
        initargs=(registry, render),
    )
    given = 0
    try:
        for line in pool.map(_file_line, paths, chunksize=16):
            given += 1
            yield line
    except BrokenProcessPool:
        yield from (None for _ in paths[given:])
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


_WORK: tuple[Registry, Render, Rulesets] | None = None
"""What a worker of ``render_files`` reads files with: the registry, the renderer and the
rulesets it has loaded."""


def _start(registry: Registry, render: Render) -> None:
    global _WORK
    import gc
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # interrupted, the caller stops its workers
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the caller's handler, which cleans up
    gc.freeze()  # what the worker inherited is never garbage: do not scan it
    _WORK = (registry, render, {})


def _file_line(path: str) -> FileLine | None:
    assert _WORK is not None
    registry, render, rulesets = _WORK
    try:
        unit, ruleset = _load(Path(path), registry, rulesets)
        line = _render(explained(ruleset, unit, True), render).encode()
    except Exception:  # read again by the caller, which gives the error in place
        return None
    return unit_key(unit), unit.unit, unit.year, line


def _bounded(render: Render) -> Render:
    """``render`` as ``_render`` applies it, for a worker: a unit it fails is scored and
    rendered again here, to give its error in place."""
    return lambda card: _render(card, render)


def _render(card: ScoreCard, render: Render) -> str:
    """The card rendered, within the time bound of one unit (``Limits.max_seconds``): a rule's
    explanation is written by the plugin's code too."""
    seconds = current_limits().max_seconds
    try:
        with time_bound(seconds):
            try:
                return render(card)
            except ParRulesError:
                raise
            except BaseException as exc:
                if not contained(exc):
                    raise
                failure = _explanation_failure(card)
                if failure is not None:
                    raise failure from exc
                if isinstance(exc, Exception):
                    raise  # not a plugin's: an error of parrules itself
                msg = f"writing its card failed: {type(exc).__name__}: {exc}"
                raise ScoringError(msg, unit=card.unit.unit) from None
    except OutOfTime:
        msg = f"writing its explanations took longer than {seconds:g} s"
        raise ScoringError(msg, unit=card.unit.unit) from None


def _explanation_failure(card: ScoreCard) -> RuleFailure | None:
    """The first leaf whose explanation a plugin made impossible to write, if any."""
    for stage in card.stages:
        for result in stage.results:
            node, outcome = result.node, result.outcome
            if outcome is None:
                continue
            try:
                for lang in ("vi", "en"):
                    result.explain(lang)
                json.dumps(jsonable(dict(outcome.inputs)))
            except RuleFailure as exc:  # named with its unit
                return RuleFailure(
                    exc.detail,
                    plugin=exc.plugin,
                    rule=exc.rule,
                    code=node.code,
                    unit=card.unit.unit,
                )
            except BaseException as exc:
                if not contained(exc):
                    raise
                return RuleFailure(
                    f"its explanation cannot be written: {type(exc).__name__}: {exc}",
                    plugin=node.plugin or "?",
                    rule=node.rule or "?",
                    code=node.code,
                    unit=card.unit.unit,
                    not_scored=(),
                )
    return None


def unit_key(unit: UnitInputs) -> tuple[str, int, str]:
    """What makes two unit files the same unit: ruleset, year and the name as a person reads it
    (Unicode NFC, spacing and letter case ignored)."""
    name = " ".join(unicodedata.normalize("NFC", unit.unit).split()).casefold()
    return unit.ruleset, unit.year, name


def _duplicates(units: list[tuple[str, UnitInputs]]) -> dict[str, ParRulesError]:
    paths: dict[tuple[str, int, str], list[str]] = {}
    for path, unit in units:
        paths.setdefault(unit_key(unit), []).append(path)
    by_path = dict(units)
    errors: dict[str, ParRulesError] = {}
    for group in paths.values():
        if len(group) < 2:
            continue
        for path in group:
            unit = by_path[path]
            others = ", ".join(p for p in group if p != path) or path
            errors[path] = DuplicateUnitError(
                f"the unit '{unit.unit}' ({unit.year}) is also in {others}; none of them is scored",
                path=path,
                field="unit",
                hint="keep one file per unit",
            )
    return errors
