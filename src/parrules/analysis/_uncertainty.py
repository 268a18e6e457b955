"""How sure is a rank? Uncertainty and sensitivity of scores, ranks and classes.

The declared sources of variation (``uncertainty:`` in the ruleset and in each unit file, see
``parrules.Variation``) are drawn at random, every unit is scored again for each draw on the exact
vectorised path (``parrules.vector``), and the draws give, per unit, the median score and rank
with their intervals and the probability of each class and of each band of ranks. Sensitivity:
the same draws with only one source varying at a time show which source moves each unit's rank
most; each alternative ruleset gives its own ranking beside the published one.

Draws are made from ``seed`` and the draw's number alone, so a study gives the same numbers (and
the same bytes of JSON) however its draws are split into chunks and whichever
``concurrent.futures.Executor`` runs them: processes on this machine by default, or a cluster's
(``dask.distributed``'s ``Client.get_executor()``).
"""

from __future__ import annotations

import concurrent.futures
import math
import os
import uuid
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from .._engine import score
from .._model import Ruleset, ScoreCard, Text, UnitInputs
from .._numbers import quantize
from .._variation import Alternative, Uncertainty, Variation
from ..errors import InputError, ParRulesError
from ..vector import Bools, Columns, Ints, Numbers, classify, digits_at, places, score_columns
from ..vector._columns import MAX_SCALE

SCHEMA = "parrules.uncertainty/1"
ALTERNATIVES = "alternatives"
"""The key of the source that picks one of the alternative rulesets for a draw."""
SECOND = ""
"""The scenario of the second, independent set of draws (sensitivity)."""


@attrs.frozen
class StudySource:
    """A source of variation as a study sees it: what it varies, in how many units."""

    key: str
    description: Text
    units: int


@attrs.frozen
class UnitUncertainty:
    """One unit's score, rank and class over the draws, beside the published ones.

    ``low``/``high`` and ``rank_low``/``rank_high`` bound the central ``level`` of the draws;
    ``classes`` and ``rank_bands`` are probabilities (shares of the draws); ``drivers`` gives,
    per source, the first-order and the total-order share of the rank's variance (Sobol
    indices: the source alone, and the source with its interactions; estimates, so a little
    below 0 or above 1 when a share is near there; 0 when the rank never moves), and
    ``driver_errors`` the standard error of each estimate, in the same order.
    """

    unit: str
    total: Decimal
    rank: int
    classification: str | None
    median: Decimal
    low: Decimal
    high: Decimal
    median_rank: Decimal
    rank_low: int
    rank_high: int
    classes: tuple[tuple[str, Decimal], ...]
    rank_bands: tuple[Decimal, ...]
    drivers: tuple[tuple[str, Decimal, Decimal], ...] = ()
    driver_errors: tuple[tuple[str, Decimal, Decimal], ...] = ()

    @property
    def driver(self) -> str | None:
        """The source with the largest total-order share of the rank's variance, if any moves
        it."""
        moving = [(total, key) for key, _, total in self.drivers if total > 0]
        return max(moving)[1] if moving else None


@attrs.frozen
class AlternativeRanking:
    """The units scored with another ruleset: totals, ranks and classes in the units' order."""

    label: str
    ruleset: str
    totals: tuple[Decimal, ...]
    ranks: tuple[int, ...]
    classes: tuple[str | None, ...]


@attrs.frozen
class UncertaintyResult:
    """A study: per unit, in published rank order, its ``UnitUncertainty``."""

    ruleset: Ruleset
    stage: str | None
    draws: int
    seed: int
    level: Decimal
    sources: tuple[StudySource, ...]
    rank_bands: tuple[tuple[int, int], ...]
    classes: tuple[str, ...]
    units: tuple[UnitUncertainty, ...]
    alternatives: tuple[AlternativeRanking, ...] = ()
    per_unit: tuple[str, ...] = ()
    """Leaves evaluated unit by unit in every draw (their rule has no vectorised form)."""

    def __iter__(self) -> Iterator[UnitUncertainty]:
        return iter(self.units)

    def __len__(self) -> int:
        return len(self.units)

    def to_dict(self, lang: str = "vi") -> dict[str, Any]:
        from ..report._uncertainty import uncertainty_to_dict

        return uncertainty_to_dict(self, lang)


def uncertainty(
    units: Sequence[UnitInputs],
    ruleset: Ruleset | None = None,
    *,
    draws: int = 1000,
    seed: int = 0,
    stage: str | None = None,
    sources: Sequence[Variation] = (),
    alternatives: Sequence[Ruleset | str] = (),
    level: Decimal | str = "0.9",
    rank_bands: Sequence[tuple[int, int]] | None = None,
    sensitivity: bool = True,
    executor: concurrent.futures.Executor | None = None,
    workers: int | None = None,
    chunk_size: int = 50,
) -> UncertaintyResult:
    """Draw the declared sources of variation and report, per unit, the median score and rank,
    their intervals (the central ``level`` of the draws) and the probability of each class and
    of each band of ranks (``rank_bands``: inclusive (first, last) ranks; default: quarters).

    Sources are those of the ruleset (``uncertainty: sources``, for every unit), of each unit
    file (for that unit, replacing the ruleset's for the same value) and ``sources`` (for every
    unit); alternative rulesets are the ruleset's (``uncertainty: alternatives``) and
    ``alternatives``: each draw scores the units with the published ruleset or one of them, all
    equally likely, and each also gives its own ranking of the published inputs. With
    ``sensitivity``, a second set of draws, and that set again with each source in turn taken
    from the first, give each source's first-order and total-order share of each unit's rank
    variance (Sobol indices, estimated as Saltelli and Jansen do).

    Draws are split into chunks of ``chunk_size`` given to ``executor`` (default: a pool of
    ``workers`` processes, as many as CPUs; ``workers=1``, or a single chunk, runs here). The
    results depend only on the inputs, ``draws`` and ``seed``.
    """
    units = list(units)
    if not units:
        raise InputError("there are no units to study", hint="give at least one unit file")
    if draws < 1 or chunk_size < 1:
        raise InputError(f"draws and chunk_size must be at least 1, not {draws}, {chunk_size}")
    if ruleset is None:
        from .._ruleset import load_ruleset

        ruleset = load_ruleset(units[0].ruleset_path or units[0].ruleset)
    others = sorted({u.ruleset for u in units} - {ruleset.id})
    if others:
        raise InputError(
            f"cannot study units of different rulesets: {ruleset.id}, {', '.join(others)}",
            hint="study the units of each ruleset separately",
        )
    level_ = Decimal(str(level))
    if not 0 < level_ < 1:
        raise InputError(f"level {level_} is not a share between 0 and 1 (e.g. 0.9)")
    cards = [score(ruleset, unit) for unit in units]
    alternates = _alternatives(ruleset, alternatives)
    rulesets = [ruleset, *(other for other, _ in alternates)]
    for other in rulesets[1:]:
        for unit in units:
            _as_alternative(unit, ruleset, other, stage)
    plan = _plan(ruleset, units, cards, stage, sources, rulesets)
    keys = [d.key for d in plan.draws] + ([ALTERNATIVES] if len(rulesets) > 1 else [])
    scenarios: list[str | None] = [None]
    if sensitivity and keys:
        scenarios += [SECOND, *keys]
    study = _Study(
        rulesets=tuple((r.path or "", r.digest) for r in rulesets),
        units=tuple(units),
        stage=stage,
        draws=tuple(plan.draws),
        scale=plan.scale,
        seed=seed,
        scenarios=tuple(scenarios),
    )
    chunks = [(start, min(draws, start + chunk_size)) for start in range(0, draws, chunk_size)]
    results = _run(study, chunks, rulesets, executor, workers)
    totals = {s: np.concatenate([r.totals[i] for r in results]) for i, s in enumerate(scenarios)}
    classes = np.concatenate([r.classes for r in results])
    picked = np.concatenate([r.labels for r in results])
    return _summarise(
        ruleset=ruleset,
        rulesets=rulesets,
        titles=[title for _, title in alternates],
        units=units,
        cards=cards,
        stage=stage,
        draws=draws,
        seed=seed,
        level=level_,
        plan=plan,
        totals=totals,
        chosen=picked,
        classes=classes,
        rank_bands=rank_bands,
        keys=keys,
    )


# What is drawn.


@attrs.frozen(eq=False)
class _Draw:
    """One source's values over the units: published digits (at ``scale``), and how each unit's
    value is drawn: a binomial share of ``n`` of ``maximum`` (``n`` > 0), a normal with standard
    error ``se`` (> 0) within ``low``–``high``, or a whole number of steps from ``low`` to
    ``high`` (``uniform``)."""

    key: str
    description: Text
    node: str | None
    indicator: str | None
    scale: int
    published: Ints
    n: Ints
    maximum: Ints
    se: Ints
    uniform: Bools
    low: Ints
    high: Ints

    def sample(self, generator: np.random.Generator) -> Ints:
        """One draw for every unit (the published value where the unit has no such source)."""
        value = self.published.copy()
        binomial = np.flatnonzero(self.n)
        if binomial.size:
            share = self.published[binomial] / np.maximum(self.maximum[binomial], 1)
            k = generator.binomial(self.n[binomial], np.clip(share, 0.0, 1.0))
            top, n = self.maximum[binomial] * k, self.n[binomial]
            value[binomial] = (2 * top + n) // (2 * n)  # max × k / n, half up
        normal = np.flatnonzero(self.se)
        if normal.size:
            drawn = generator.normal(self.published[normal], self.se[normal])
            value[normal] = np.clip(np.rint(drawn), self.low[normal], self.high[normal])
        uniform = np.flatnonzero(self.uniform)
        if uniform.size:
            value[uniform] = generator.integers(self.low[uniform], self.high[uniform] + 1)
        return value


@attrs.frozen(eq=False)
class _Plan:
    draws: tuple[_Draw, ...]
    scale: int
    """Decimals of the points of every ruleset's columns (the finest of them)."""


def _alternatives(ruleset: Ruleset, given: Sequence[Ruleset | str]) -> list[tuple[Ruleset, str]]:
    from .._plugins import default_registry
    from .._ruleset import load_ruleset, resolve

    declared: Uncertainty = ruleset.uncertainty or Uncertainty()
    found = []
    for entry in [*declared.alternatives, *given]:
        if isinstance(entry, Ruleset):
            found.append((entry, entry.title))
            continue
        alternative = entry if isinstance(entry, Alternative) else Alternative(entry)
        base = Path(alternative.base) if alternative.base else None
        path = resolve(alternative.ruleset, default_registry(), base=base)
        loaded = load_ruleset(path)
        found.append((loaded, alternative.label or loaded.title))
    for other, _ in found:
        if not other.path:
            raise InputError(f"the alternative ruleset '{other.id}' has no file to load it from")
    return found


def _as_alternative(
    unit: UnitInputs, ruleset: Ruleset, other: Ruleset, stage: str | None
) -> UnitInputs:
    """The unit, to be scored with another ruleset: its values read as that ruleset declares
    them (the same types), its appraised points for nodes that ruleset has."""
    published = unit.stage(stage)
    for name in published.indicators:
        mine, theirs = other.indicators.get(name), ruleset.indicators.get(name)
        if mine is not None and theirs is not None and mine.type != theirs.type:
            raise InputError(
                f"{unit.path or unit.unit}: the alternative ruleset '{other.id}' declares "
                f"'{name}' as {mine.type}, not as the unit's ruleset does",
                hint="an alternative ruleset reads the same indicators the same way",
            )
    for code in published.points:
        if not other.has_node(code):
            raise InputError(
                f"{unit.path or unit.unit}: the alternative ruleset '{other.id}' has no node "
                f"'{code}', which the unit gives points for",
                hint="an alternative ruleset keeps the codes of the published one",
            )
    moved = attrs.evolve(unit, ruleset=other.id, year=other.year, ruleset_path=other.path)
    try:
        score(other, moved)
    except ParRulesError as exc:
        raise InputError(
            f"{unit.path or unit.unit}: cannot be scored with the alternative ruleset "
            f"'{other.id}': {exc}"
        ) from None
    return moved


def _plan(
    ruleset: Ruleset,
    units: Sequence[UnitInputs],
    cards: Sequence[ScoreCard],
    stage: str | None,
    extra: Sequence[Variation],
    rulesets: Sequence[Ruleset],
) -> _Plan:
    """Every source, over the units: what each unit's value is and how it is drawn."""
    declared: Uncertainty = ruleset.uncertainty or Uncertainty()
    common = {s.key: s for s in [*declared.sources, *extra]}
    keys = dict.fromkeys([*common, *(s.key for u in units for s in u.uncertainty)])
    stages = [unit.stage(stage) for unit in units]
    scale = max(Columns.points_scale(r, stages) for r in rulesets)
    draws = []
    for key in sorted(keys):
        per_unit = []
        for unit in units:
            own = {s.key: s for s in unit.uncertainty}
            per_unit.append(own.get(key, common.get(key)))
        draws.append(_draw(ruleset, units, cards, stage, key, per_unit, scale))
    return _Plan(tuple(draws), scale)


def _draw(
    ruleset: Ruleset,
    units: Sequence[UnitInputs],
    cards: Sequence[ScoreCard],
    stage: str | None,
    key: str,
    sources: Sequence[Variation | None],
    scale: int,
) -> _Draw:
    size = len(units)
    first = next(s for s in sources if s is not None)
    node, indicator = first.node, first.indicator
    declared = ruleset.indicators.get(indicator) if indicator else None
    top: Decimal | None
    if node is not None:
        decimals = scale
        floor, top = ruleset.node(node).floor, ruleset.node(node).max
    else:
        assert declared is not None
        decimals = _indicator_scale(declared.type, indicator, units, sources)
        floor = Decimal(0)
        top = Decimal(1) if declared.type == "ratio" else None
    published = np.zeros(size, dtype=np.int64)
    n, maximum, se = (np.zeros(size, dtype=np.int64) for _ in range(3))
    uniform = np.zeros(size, dtype=bool)
    low = np.full(size, digits_at(floor, decimals) if floor else 0, dtype=np.int64)
    high = np.full(size, _ceiling(top, decimals), dtype=np.int64)

    def value_of(row: int, stage_name: str | None, source: Variation) -> Decimal:
        unit, card = units[row], cards[row]
        if node is not None:
            result = card.stage(stage_name).get(node)
            if result is None:
                raise InputError(
                    f"{unit.path or unit.unit}: node {node} is not scored on its own at stage "
                    f"'{card.stage(stage_name).stage}' (the appraisal scored a node above it)",
                    field="uncertainty",
                )
            return result.points
        assert indicator is not None
        values = unit.stage(stage_name).indicators
        if indicator not in values:
            raise InputError(
                f"{unit.path or unit.unit}: {source.describe('en')}: the unit gives no "
                f"'{indicator}' at stage '{unit.stage(stage_name).name}'",
                field="uncertainty",
            )
        value: Decimal = values[indicator]
        return value

    for row, source in enumerate(sources):
        unit = units[row]
        absent = indicator is not None and indicator not in unit.stage(stage).indicators
        if absent and (source is None or source not in unit.uncertainty):
            continue  # a unit without the indicator keeps it absent, unless it declared it
        if source is None:
            published[row] = _digits(value_of(row, stage, first), decimals)
            continue
        value = value_of(row, stage, source)
        published[row] = _digits(value, decimals)
        if source.kind == "survey" and source.n is not None:
            n[row] = source.n
            maximum[row] = digits_at(top, decimals) if top is not None else 0
        elif source.kind == "survey":
            se[row] = max(1, _digits(source.se or Decimal(0), decimals))
        elif source.kind == "range":
            uniform[row] = True
            low[row] = _ceiling(source.low or Decimal(0), decimals)
            high[row] = _digits(source.high or Decimal(0), decimals, floor=True)
        else:
            first_stage, second_stage = source.stages or ("", "")
            for name in (first_stage, second_stage):
                if name not in {s.name for s in unit.stages}:
                    raise InputError(
                        f"{unit.path or unit.unit}: {source.describe('en')}: the unit has no "
                        f"stage '{name}'",
                        field="uncertainty",
                    )
            a = value_of(row, first_stage, source)
            b = value_of(row, second_stage, source)
            uniform[row] = True
            low[row] = _ceiling(min(a, b), decimals)
            high[row] = _digits(max(a, b), decimals, floor=True)
    same = all(s is None or s == first for s in sources)
    target = (
        Text(declared.label, declared.get_label("en")) if declared else Text(str(node), str(node))
    )
    description = (
        Text(first.describe("vi", target.vi), first.describe("en", target.en)) if same else target
    )
    return _Draw(
        key=key,
        description=description,
        node=node,
        indicator=indicator,
        scale=decimals,
        published=published,
        n=n,
        maximum=maximum,
        se=se,
        uniform=uniform,
        low=low,
        high=np.maximum(high, low),
    )


def _indicator_scale(
    kind: str, name: str | None, units: Sequence[UnitInputs], sources: Sequence[Variation | None]
) -> int:
    """Decimals of an indicator's drawn values: its kind's (whole counts, 6 for a share, 4 for
    a number), or more where a value or a bound is written with more."""
    if kind == "count":
        return 0
    found = 6 if kind == "ratio" else 4
    for unit in units:
        for s in unit.stages:
            value = s.indicators.get(name or "")
            if isinstance(value, Decimal):
                found = max(found, places(value))
    for source in sources:
        for bound in (source.low, source.high, source.se) if source else ():
            if bound is not None:
                found = max(found, places(bound))
    if found > MAX_SCALE:
        raise InputError(f"'{name}' has values with more than {MAX_SCALE} decimals")
    return found


def _digits(value: Decimal, scale: int, *, floor: bool = False) -> int:
    """``value`` at ``scale`` decimals: rounded half up, or down with ``floor``."""
    shifted = value.scaleb(scale)
    if floor:
        return math.floor(shifted)
    return int(quantize(value, scale).scaleb(scale))


def _ceiling(value: Decimal | None, scale: int) -> int:
    if value is None:
        return 2**62
    return math.ceil(value.scaleb(scale))


# Running the draws.


@attrs.frozen(eq=False)
class _Study:
    """What a chunk of draws needs, and nothing that cannot be sent to another process: the
    rulesets by file (with their digests, checked where they are loaded again)."""

    rulesets: tuple[tuple[str, str], ...]
    units: tuple[UnitInputs, ...]
    stage: str | None
    draws: tuple[_Draw, ...]
    scale: int
    seed: int
    scenarios: tuple[str | None, ...]
    token: str = attrs.field(factory=lambda: uuid.uuid4().hex)
    """Names the study in the processes that run its chunks, which keep one copy each."""


@attrs.frozen(eq=False)
class _Chunk:
    """What a chunk of draws gives back: per scenario, the totals (draws × units, digits), the
    classes of the draws with every source varying, and the ruleset each draw used."""

    totals: tuple[Ints, ...]
    classes: Ints
    labels: Ints


def _run(
    study: _Study,
    chunks: Sequence[tuple[int, int]],
    rulesets: Sequence[Ruleset],
    executor: concurrent.futures.Executor | None,
    workers: int | None,
) -> list[_Chunk]:
    if executor is None and (workers == 1 or len(chunks) == 1):
        here = _Worker(study, rulesets)
        return [here.chunk(start, stop) for start, stop in chunks]
    own = None
    if executor is None:
        count = min(workers or os.cpu_count() or 1, len(chunks))
        own = executor = concurrent.futures.ProcessPoolExecutor(max_workers=count)
    try:
        futures = [executor.submit(run_chunk, study, start, stop) for start, stop in chunks]
        return [future.result() for future in futures]
    finally:
        if own is not None:
            own.shutdown()


_WORKERS: dict[str, _Worker] = {}


def run_chunk(study: _Study, start: int, stop: int) -> _Chunk:
    """Draws ``start`` to ``stop`` of a study, in whatever process runs it (the rulesets are
    loaded there again, once per study)."""
    worker = _WORKERS.get(study.token)
    if worker is None:
        from .._ruleset import load_ruleset

        rulesets = []
        for path, digest in study.rulesets:
            loaded = load_ruleset(path)
            if loaded.digest != digest:
                msg = f"the ruleset {path} changed while the study ran"
                raise ParRulesError(msg)
            rulesets.append(loaded)
        _WORKERS.clear()
        worker = _WORKERS[study.token] = _Worker(study, rulesets)
    return worker.chunk(start, stop)


class _Worker:
    def __init__(self, study: _Study, rulesets: Sequence[Ruleset]) -> None:
        self.study = study
        self.rulesets = rulesets
        self.columns = []
        for index, ruleset in enumerate(rulesets):
            units = study.units
            if index:
                units = tuple(attrs.evolve(u, ruleset=ruleset.id, year=ruleset.year) for u in units)
            self.columns.append(Columns.from_units(ruleset, units, study.stage, scale=study.scale))

    def draw(self, start: int, stop: int, stream: tuple[int, ...]) -> tuple[dict[str, Ints], Ints]:
        """Every source's values, and the ruleset picked, for draws ``start`` to ``stop`` of one
        stream (each draw from its own generator: the same whatever the chunks)."""
        study, size = self.study, len(self.study.units)
        count = stop - start
        drawn = {d.key: np.empty((count, size), np.int64) for d in study.draws}
        chosen = np.zeros(count, dtype=np.int64)
        for row, draw in enumerate(range(start, stop)):
            generator = np.random.default_rng([study.seed, draw, *stream])
            if len(self.rulesets) > 1:
                chosen[row] = generator.integers(0, len(self.rulesets))
            for source in study.draws:
                drawn[source.key][row] = source.sample(generator)
        return drawn, chosen

    def chunk(self, start: int, stop: int) -> _Chunk:
        """The draws' totals: the first stream; and, for sensitivity, a second independent one
        and, per source, the second with that source taken from the first."""
        study, size = self.study, len(self.study.units)
        first, picked = self.draw(start, stop, ())
        second, other = first, picked
        if len(study.scenarios) > 1:
            second, other = self.draw(start, stop, (1,))
        totals = []
        classes = np.zeros((stop - start, size), dtype=np.int64)
        for scenario in study.scenarios:
            if scenario is None:
                values, chosen = first, picked
            elif scenario == SECOND:
                values, chosen = second, other
            else:
                values = {k: first[k] if k == scenario else v for k, v in second.items()}
                chosen = picked if scenario == ALTERNATIVES else other
            scores = np.zeros((stop - start, size), dtype=np.int64)
            for index in np.unique(chosen):
                rows = np.flatnonzero(chosen == index)
                found, labels = self.score(int(index), rows, values)
                scores[rows] = found
                if scenario is None:
                    classes[rows] = labels
            totals.append(scores)
        return _Chunk(tuple(totals), classes, picked)

    def score(self, index: int, rows: Ints, drawn: Mapping[str, Ints]) -> tuple[Ints, Ints]:
        """The totals and classes of these draws with ruleset ``index``."""
        study, columns = self.study, self.columns[index]
        size = len(study.units)
        batch = columns.take(np.tile(np.arange(size, dtype=np.int64), rows.size))
        numbers: dict[str, Numbers] = {}
        points: dict[str, Numbers] = {}
        for source in study.draws:
            values = Numbers.of(drawn[source.key][rows].reshape(-1), source.scale)
            if source.node is not None:
                points[source.node] = values
            else:
                assert source.indicator is not None
                numbers[source.indicator] = values
        if numbers or points:
            batch = batch.replace(numbers=numbers, points=points)
        scores = score_columns(batch, nodes=False)
        total = scores.total * 10 ** (study.scale - scores.scale)
        labels = classify(self.rulesets[index], scores.total, scores.scale)
        return total.reshape(rows.size, size), labels.reshape(rows.size, size)


# Summaries.


def ranks_of(totals: Ints, method: str) -> Ints:
    """Per row of totals, each unit's rank: 1 + the units (competition) or the distinct
    totals (dense) above it."""
    order = np.argsort(-totals, axis=1, kind="stable")
    ordered = np.take_along_axis(totals, order, axis=1)
    new = np.ones(ordered.shape, dtype=bool)
    new[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    if method == "dense":
        place = np.cumsum(new, axis=1)
    else:
        positions = np.broadcast_to(np.arange(1, totals.shape[1] + 1), totals.shape)
        place = np.maximum.accumulate(np.where(new, positions, 0), axis=1)
    ranks = np.empty_like(place)
    np.put_along_axis(ranks, order, place, axis=1)
    return ranks


def _median(values: Ints) -> Decimal:
    """The median of whole numbers, exactly (the mean of the two middle ones for an even
    count)."""
    ordered = np.sort(values)
    middle = ordered.size // 2
    if ordered.size % 2:
        return Decimal(int(ordered[middle]))
    return (Decimal(int(ordered[middle - 1])) + Decimal(int(ordered[middle]))) / 2


def _bounds(values: Ints, level: Decimal) -> tuple[int, int]:
    """The central ``level`` of the values: the lower and upper quantiles, each a value that
    occurred (the inverse of the empirical distribution, no interpolation)."""
    ordered = np.sort(values)
    tail = (1 - level) / 2
    count = ordered.size
    low = max(0, math.ceil(tail * count) - 1)
    high = min(count - 1, math.ceil((1 - tail) * count) - 1)
    return int(ordered[low]), int(ordered[high])


def _share(part: int, whole: int) -> Decimal:
    return Decimal(part) / Decimal(whole) if whole else Decimal(0)


def _sobol(first: Ints, second: Ints, mixed: Ints) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """First-order and total-order indices of one source for one unit's rank, and their
    standard errors, exactly from whole numbers: ``first`` and ``second`` are two independent
    sets of draws, ``mixed`` the second with the source taken from the first. First order
    (Saltelli et al. 2010, the first set centred on the mean of both): the mean of
    (first − mean) × (mixed − second) over the variance; total order (Jansen 1999): half the
    mean of (second − mixed)² over the variance. Each standard error is that of the mean of its
    terms (the central limit theorem), over the variance. All 0 when the rank never moves."""
    a, b, c = ([int(v) for v in x] for x in (first, second, mixed))
    count = len(a)
    whole = sum(a) + sum(b)
    variance = (
        Fraction(sum(v * v for v in a) + sum(v * v for v in b), 2 * count)
        - Fraction(whole, 2 * count) ** 2
    )
    if variance == 0:
        return Decimal(0), Decimal(0), Decimal(0), Decimal(0)
    shift = [z - y for y, z in zip(b, c, strict=True)]
    # Whole-number terms: 2·count × (first − mean) × shift, and 2 × half the squared shift.
    main = [(2 * count * x - whole) * d for x, d in zip(a, shift, strict=True)]
    total = [d * d for d in shift]
    first_order = Fraction(sum(main), 2 * count * count) / variance
    total_order = Fraction(sum(total), 2 * count) / variance
    return (
        _decimal(first_order),
        _decimal(total_order),
        _error(main, 2 * count, variance),
        _error(total, 2, variance),
    )


def _error(terms: Sequence[int], scale: int, variance: Fraction) -> Decimal:
    """The standard error of the mean of ``terms`` / ``scale``, over ``variance``."""
    count = len(terms)
    if count < 2:
        return Decimal(0)
    spread = Fraction(count * sum(t * t for t in terms) - sum(terms) ** 2, count * (count - 1))
    return (_decimal(spread / count) / _decimal(variance * variance * scale * scale)).sqrt()


def _decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def _default_bands(count: int) -> list[tuple[int, int]]:
    size = max(1, math.ceil(count / 4))
    return [(first, min(count, first + size - 1)) for first in range(1, count + 1, size)]


def _summarise(
    *,
    ruleset: Ruleset,
    rulesets: Sequence[Ruleset],
    titles: Sequence[str],
    units: Sequence[UnitInputs],
    cards: Sequence[ScoreCard],
    stage: str | None,
    draws: int,
    seed: int,
    level: Decimal,
    plan: _Plan,
    totals: Mapping[str | None, Ints],
    chosen: Ints,
    classes: Ints,
    rank_bands: Sequence[tuple[int, int]] | None,
    keys: Sequence[str],
) -> UncertaintyResult:
    from . import rank

    scale = plan.scale
    count = len(units)
    bands = list(rank_bands) if rank_bands is not None else _default_bands(count)
    for first, last in bands:
        if not 1 <= first <= last:
            raise InputError(f"the band of ranks {first}–{last} is empty or below 1")
    method = ruleset.ranking
    ranks = {key: ranks_of(values, method) for key, values in totals.items()}
    published = rank(list(cards), stage=stage)
    place = {id(entry.card): entry.rank for entry in published}
    labels: list[str] = []
    for r in rulesets:
        for band in r.classification:
            if band.label not in labels:
                labels.append(band.label)
    class_label = np.full((len(rulesets), max(len(r.classification) for r in rulesets) + 1), -1)
    for index, r in enumerate(rulesets):
        for position, band in enumerate(r.classification):
            class_label[index, position] = labels.index(band.label)
    by_label = class_label[chosen[:, None], classes]  # -1 (no class) stays -1
    rows = []
    every = ranks[None]
    for column, (unit, card) in enumerate(zip(units, cards, strict=True)):
        result = card.stage(stage)
        unit_totals, unit_ranks = totals[None][:, column], every[:, column]
        low, high = _bounds(unit_totals, level)
        rank_low, rank_high = _bounds(unit_ranks, level)
        indices = [
            (key, _sobol(unit_ranks, ranks[SECOND][:, column], ranks[key][:, column]))
            for key in keys
            if key in ranks
        ]
        rows.append(
            UnitUncertainty(
                unit=unit.unit,
                total=result.total,
                rank=place[id(card)],
                classification=result.classification.label if result.classification else None,
                median=_median(unit_totals).scaleb(-scale),
                low=Decimal(low).scaleb(-scale),
                high=Decimal(high).scaleb(-scale),
                median_rank=_median(unit_ranks),
                rank_low=rank_low,
                rank_high=rank_high,
                classes=tuple(
                    (label, _share(int((by_label[:, column] == i).sum()), draws))
                    for i, label in enumerate(labels)
                ),
                rank_bands=tuple(
                    _share(int(((unit_ranks >= a) & (unit_ranks <= b)).sum()), draws)
                    for a, b in bands
                ),
                drivers=tuple((key, i[0], i[1]) for key, i in indices),
                driver_errors=tuple((key, i[2], i[3]) for key, i in indices),
            )
        )
    by_rank = {id(e.card): i for i, e in enumerate(published)}
    order = sorted(range(count), key=lambda i: by_rank[id(cards[i])])
    described = [
        StudySource(d.key, d.description, int(((d.n > 0) | (d.se > 0) | d.uniform).sum()))
        for d in plan.draws
    ]
    if len(rulesets) > 1:
        described.append(
            StudySource(ALTERNATIVES, Text(ids := ", ".join(r.id for r in rulesets), ids), count)
        )
    return UncertaintyResult(
        ruleset=ruleset,
        stage=stage,
        draws=draws,
        seed=seed,
        level=level,
        sources=tuple(described),
        rank_bands=tuple(bands),
        classes=tuple(labels),
        units=tuple(rows[i] for i in order),
        alternatives=tuple(
            _alternative_ranking(other, label, units, stage, order)
            for other, label in zip(rulesets[1:], titles, strict=True)
        ),
        per_unit=_per_unit(rulesets),
    )


def _per_unit(rulesets: Sequence[Ruleset]) -> tuple[str, ...]:
    from ..vector import vector_plan

    return tuple(code for r in rulesets for code in vector_plan(r).per_unit)


def _alternative_ranking(
    other: Ruleset,
    label: str,
    units: Sequence[UnitInputs],
    stage: str | None,
    order: Sequence[int],
) -> AlternativeRanking:
    from . import rank

    moved = [
        attrs.evolve(u, ruleset=other.id, year=other.year, ruleset_path=other.path) for u in units
    ]
    cards = [score(other, unit) for unit in moved]
    ranking = rank(cards, stage=stage)
    place = {id(entry.card): entry.rank for entry in ranking}
    return AlternativeRanking(
        label=label,
        ruleset=other.id,
        totals=tuple(cards[i].stage(stage).total for i in order),
        ranks=tuple(place[id(cards[i])] for i in order),
        classes=tuple(
            c.label if (c := cards[i].stage(stage).classification) else None for i in order
        ),
    )
