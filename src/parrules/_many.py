"""Scoring many units: lazily and in input order, in worker processes for large batches; score
cards streamed out as JSON Lines."""

from __future__ import annotations

import gc
import itertools
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

from ._engine import Kept, card, score, score_stages
from ._model import Ruleset, ScoreCard, UnitInputs

_shared: tuple[Ruleset, Sequence[UnitInputs]] | None = None
"""A worker's ruleset and units, inherited from the parent by ``fork``."""


def score_many(
    ruleset: Ruleset, units: Iterable[UnitInputs], *, workers: int = 1, chunk_size: int = 256
) -> Iterator[ScoreCard]:
    """Score units in input order, lazily: each card is made when it is consumed, so a batch of
    any size streams through ``write_jsonl`` in flat memory. The cards are those ``score`` gives.

    With ``workers`` > 1 and more than ``chunk_size`` units, the units are scored in that many
    worker processes, ``chunk_size`` at a time. The workers are forked, so that the ruleset with
    its bound rules and the units are shared rather than sent (sending a unit to a process costs
    about as much as scoring it): a sequence is shared whole; other iterables are read
    ``WINDOW`` chunks at a time, each with its own workers. Where processes cannot be forked, or
    inside a daemon process, scoring stays in this process. An error is raised as ``score``
    raises it, once the cards of the units before it have been consumed.
    """
    if workers < 1 or chunk_size < 1:
        msg = f"workers and chunk_size must be at least 1, not {workers} and {chunk_size}"
        raise ValueError(msg)
    if workers == 1 or not _can_fork():
        return _here(ruleset, units)
    if isinstance(units, Sequence):
        return _windows(ruleset, [units], workers, chunk_size)
    iterator = iter(units)
    windows = iter(lambda: list(itertools.islice(iterator, WINDOW * chunk_size)), [])
    return _windows(ruleset, windows, workers, chunk_size)


WINDOW = 64
"""Chunks read at a time from an iterable that is not a sequence, when scoring in workers."""


def write_jsonl(cards: Iterable[ScoreCard], stream: IO[str], lang: str = "vi") -> int:
    """Write each card as one line of JSON (``card.to_dict(lang)``) as soon as it is made, keeping
    none; returns the number of cards written."""
    import json

    count = 0
    for one in cards:
        stream.write(json.dumps(one.to_dict(lang), ensure_ascii=False, separators=(",", ":")))
        stream.write("\n")
        count += 1
    return count


def _can_fork() -> bool:
    import multiprocessing

    return (
        "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
    )


def _here(ruleset: Ruleset, units: Iterable[UnitInputs]) -> Iterator[ScoreCard]:
    # No pause of the garbage collector: a card holds a handful of container objects, and
    # pausing it was measured to gain nothing (benchmarks/README.md).
    for unit in units:
        yield score(ruleset, unit)


def _windows(
    ruleset: Ruleset, windows: Iterable[Sequence[UnitInputs]], workers: int, chunk_size: int
) -> Iterator[ScoreCard]:
    for units in windows:
        if len(units) <= chunk_size:  # not worth starting processes
            yield from _here(ruleset, units)
            continue
        import multiprocessing

        context = multiprocessing.get_context("fork")
        with context.Pool(workers, initializer=_start, initargs=(ruleset, units)) as pool:
            pending: deque[tuple[Sequence[UnitInputs], Any]] = deque()
            for start in range(0, len(units), chunk_size):
                stop = min(start + chunk_size, len(units))
                task = pool.apply_async(_score_chunk, ((start, stop),))
                pending.append((units[start:stop], task))
                if len(pending) > 2 * workers:  # bounded: memory stays flat, workers stay busy
                    yield from _cards(ruleset, *pending.popleft())
            while pending:
                yield from _cards(ruleset, *pending.popleft())


def _cards(ruleset: Ruleset, chunk: Sequence[UnitInputs], result: Any) -> Iterator[ScoreCard]:
    kept, failed = result.get()
    for unit, stages in zip(chunk, kept, strict=False):
        yield card(ruleset, unit, stages)
    if failed is not None:  # the worker stopped there: score the rest here, raising as `score`
        for unit in chunk[failed:]:
            yield score(ruleset, unit)


def _start(ruleset: Ruleset, units: Sequence[UnitInputs]) -> None:
    global _shared
    _shared = (ruleset, units)
    gc.freeze()  # what the worker inherited is never garbage: do not scan it


def _score_chunk(task: tuple[int, int]) -> tuple[list[list[Kept]], int | None]:
    """A worker's chunk: what each card keeps, up to the first unit that fails (its position)."""
    assert _shared is not None
    ruleset, units = _shared
    kept: list[list[Kept]] = []
    for unit in units[task[0] : task[1]]:
        try:
            stages = score_stages(ruleset, unit)
        except Exception:
            return kept, len(kept)
        kept.append([(s.scored, s.outcomes, s.total) for s in stages])
    return kept, None
