"""Scoring many units: lazily and in input order, in worker processes for large batches; score
cards streamed out as JSON Lines."""

from __future__ import annotations

import gc
import itertools
import multiprocessing
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any, Literal, overload

from ._engine import Kept, card, explained, score_stages
from ._json import card_to_line, check_options
from ._model import Ruleset, ScoreCard, UnitInputs
from .errors import ParRulesError


@overload
def score_many(
    ruleset: Ruleset,
    units: Iterable[UnitInputs],
    *,
    workers: int = 1,
    chunk_size: int = 256,
    errors: Literal["raise"] = "raise",
) -> Iterator[ScoreCard]: ...
@overload
def score_many(
    ruleset: Ruleset,
    units: Iterable[UnitInputs],
    *,
    workers: int = 1,
    chunk_size: int = 256,
    errors: Literal["yield"],
) -> Iterator[ScoreCard | ParRulesError]: ...
def score_many(
    ruleset: Ruleset,
    units: Iterable[UnitInputs],
    *,
    workers: int = 1,
    chunk_size: int = 256,
    errors: Literal["raise", "yield"] = "raise",
) -> Iterator[ScoreCard] | Iterator[ScoreCard | ParRulesError]:
    """Score units in input order, lazily: each card is made when it is consumed, so a batch of
    any size streams through ``write_jsonl`` in flat memory. The cards are those ``score`` gives.

    With ``workers`` > 1 and at least ``SMALL`` chunks of units, ``workers`` - 1 worker processes
    score chunks of up to ``chunk_size`` units beside this process, which scores the next chunk
    whenever the one it must give next is not back yet: the work is shared as each process can
    take it, whatever the consumer does meanwhile. The workers are forked, so that the ruleset
    with its bound rules and the units are shared rather than sent (sending a unit to a process
    costs about as much as scoring it); only the points they computed come back. A sequence is
    shared whole; other iterables are read ``WINDOW`` chunks at a time, each with its own
    workers. Where processes cannot be forked, or inside a daemon process, scoring stays in this
    process; a chunk whose worker has died is scored here. Until such a batch is consumed or
    closed, the garbage collector leaves alone the objects that existed when it started (unless
    something else froze objects before). A smaller batch is scored in this process: starting
    processes and sending the results back would cost more than sharing the work gains.
    Given to ``write_jsonl`` as it comes, the batch is written by the workers too: each sends
    back the lines of its units rather than what makes their cards.

    A unit that cannot be scored raises its error as ``score`` raises it, once the cards of the
    units before it have been consumed, and the batch stops there. With ``errors="yield"`` its
    error (a ``ParRulesError``, naming the unit) is yielded in its place instead, and the batch
    goes on: every unit gives exactly one item, in input order.
    """
    if workers < 1 or chunk_size < 1:
        msg = f"workers and chunk_size must be at least 1, not {workers} and {chunk_size}"
        raise ValueError(msg)
    if errors not in ("raise", "yield"):
        msg = f"errors must be 'raise' or 'yield', not {errors!r}"
        raise ValueError(msg)
    keep = errors == "yield"
    if workers == 1 or not _can_fork():
        return _Batch(lambda render, explain: _here(ruleset, units, keep, explain))
    if isinstance(units, Sequence):
        windows: Iterable[Sequence[UnitInputs]] = [units]
    else:
        iterator = iter(units)
        windows = iter(lambda: list(itertools.islice(iterator, WINDOW * chunk_size)), [])
    return _Batch(
        lambda render, explain: _windows(
            ruleset, windows, workers, chunk_size, keep, render, explain
        )
    )


Render = Callable[[ScoreCard], str]


class _Batch(Iterator[Any]):
    """The items of a batch, made when first asked for: cards, or, for a consumer that writes
    each card at once, cards that keep what explains them (``explained``) or the lines
    themselves, rendered by the worker that scored the unit (``lines``)."""

    def __init__(self, make: Callable[[Render | None, bool], Iterator[Any]]) -> None:
        self._make = make
        self._items: Iterator[Any] | None = None

    def __next__(self) -> Any:
        if self._items is None:
            self._items = self._make(None, False)
        return next(self._items)

    def explained(self) -> Iterator[Any] | None:
        """The cards, each keeping the outcomes of its lost points (to be written at once, then
        dropped); None once the batch has started giving cards."""
        if self._items is not None:
            return None
        self._items = self._make(None, True)
        return self._items

    def lines(self, render: Render) -> Iterator[Any] | None:
        """Each item rendered (a line) by the worker that scored it, or the card (as
        ``explained`` gives it) to render here; None once the batch has started giving cards."""
        if self._items is not None:
            return None
        self._items = self._make(render, True)
        return self._items

    def close(self) -> None:
        """Stop the batch early: its workers end, the collector is as it was."""
        close = getattr(self._items, "close", None)
        if close is not None:
            close()


SMALL = 4
"""Chunks a batch must hold for workers to start (1,024 units by default): below it, sharing
the work gains less than starting processes and sending the cards back costs."""
WINDOW = 16
"""Chunks read at a time from an iterable that is not a sequence, when scoring in workers: the
units held at once (4,096 by default), against a fork and an end of batch per window."""
SENT = 3
"""Chunks each worker may have been sent and not yet given back: one in progress, the others
waiting, so that it is never idle while this process scores a chunk of its own."""
AHEAD = 4
"""Chunks this process may score ahead of the cards consumed while it waits for a worker."""


def write_jsonl(
    cards: Iterable[ScoreCard],
    stream: IO[str],
    lang: str = "vi",
    *,
    stages: str = "all",
    detail: str = "all",
) -> int:
    """Write each card as one line of JSON (``card.to_dict(lang, stages=..., detail=...)``) as
    soon as it is made, keeping none; returns the number of cards written."""
    check_options(stages, detail)

    def render(card: ScoreCard) -> str:
        return _line(card, lang, stages, detail)

    items = cards.lines(render) if isinstance(cards, _Batch) else None
    count = 0
    for one in cards if items is None else items:
        stream.write(one if type(one) is str else render(one))
        count += 1
    return count


def _line(card: ScoreCard, lang: str, stages: str, detail: str) -> str:
    return card_to_line(card, lang, stages, detail) + "\n"


def _can_fork() -> bool:
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
    )


def _here(
    ruleset: Ruleset, units: Iterable[UnitInputs], keep: bool, explain: bool = False
) -> Iterator[Any]:
    # No pause of the garbage collector: a card holds a handful of container objects, and
    # pausing it was measured to gain nothing (benchmarks/README.md).
    for unit in units:
        yield _one(ruleset, unit, keep, explain)


def _one(
    ruleset: Ruleset, unit: UnitInputs, keep: bool, explain: bool = False
) -> ScoreCard | ParRulesError:
    """The unit's card; its error raised, or returned when errors are kept in place."""
    if not keep:
        return explained(ruleset, unit, explain)
    try:
        return explained(ruleset, unit, explain)
    except ParRulesError as exc:
        return exc


Span = tuple[int, int]
Chunk = list[list[Kept] | str | None]
"""What each card of a chunk keeps, or its line when the worker renders, or None for a unit
that failed (scored again here, to raise its error: errors do not cross processes)."""


def _windows(
    ruleset: Ruleset,
    windows: Iterable[Sequence[UnitInputs]],
    workers: int,
    chunk_size: int,
    keep: bool,
    render: Render | None = None,
    explain: bool = False,
) -> Iterator[Any]:
    for units in windows:
        if len(units) < SMALL * chunk_size:  # not worth starting processes
            yield from _here(ruleset, units, keep, explain)
            continue
        # What exists now is not garbage: freezing it keeps the collector from scanning the units
        # while the cards come in, and from touching (so copying) the workers' shared pages.
        frozen = gc.get_freeze_count() == 0
        if frozen:
            gc.freeze()
        helpers: list[_Worker] = []
        try:
            helpers += (_Worker(ruleset, units, render) for _ in range(workers - 1))
            yield from _together(ruleset, units, helpers, chunk_size, keep, explain)
        finally:
            for helper in helpers:
                helper.stop()
            if frozen:
                gc.unfreeze()


def _together(
    ruleset: Ruleset,
    units: Sequence[UnitInputs],
    helpers: list[_Worker],
    chunk_size: int,
    keep: bool,
    explain: bool = False,
) -> Iterator[Any]:
    """The cards in input order, of chunks scored by the workers and, while it waits, here."""
    spans = deque(_spans(len(units), chunk_size, len(helpers) + 1))
    taken: deque[tuple[Span, _Worker | Chunk]] = deque()  # in input order: by whom, or scored
    while taken or spans:
        for helper in helpers:
            while spans and helper.alive and helper.sent < SENT:
                span = spans.popleft()
                helper.send(span)
                taken.append((span, helper))
        if not taken:  # every worker has died
            span = spans.popleft()
            taken.append((span, _score_span(ruleset, units, span, explain=explain)))
        (start, stop), by = taken[0]
        waiting = isinstance(by, _Worker) and not by.ready()
        if waiting and spans and sum(not isinstance(b, _Worker) for _, b in taken) < AHEAD:
            span = spans.popleft()
            taken.append((span, _score_span(ruleset, units, span, explain=explain)))
            continue
        taken.popleft()
        chunk = by.receive() if isinstance(by, _Worker) else by
        if chunk is None:  # the worker died: score its chunk here
            chunk = _score_span(ruleset, units, (start, stop), explain=explain)
        yield from _cards(ruleset, units[start:stop], chunk, keep, explain)


def _spans(count: int, chunk_size: int, processes: int) -> Iterator[Span]:
    """Chunks of ``chunk_size`` units, smaller towards the end, so that no process is left
    waiting long for another."""
    start = 0
    while start < count:
        size = max(min(chunk_size, (count - start) // (4 * processes)), 16)
        yield start, min(start + size, count)
        start += size


def _cards(
    ruleset: Ruleset, chunk: Sequence[UnitInputs], result: Chunk, keep: bool, explain: bool
) -> Iterator[Any]:
    for unit, stages in zip(chunk, result, strict=True):
        if stages is None:
            yield _one(ruleset, unit, keep, explain)
        elif type(stages) is str:
            yield stages
        else:
            yield card(ruleset, unit, stages)  # type: ignore[arg-type]


def _score_span(
    ruleset: Ruleset,
    units: Sequence[UnitInputs],
    span: Span,
    render: Render | None = None,
    explain: bool = False,
) -> Chunk:
    """What makes the card of each unit of a span, or its line with ``render``. The outcomes of
    lost points are kept with ``render`` or ``explain``; a worker gives neither, so that only
    points and the outcomes that cannot be computed again cross the pipe."""
    kept: Chunk = []
    for unit in units[span[0] : span[1]]:
        try:
            stages = score_stages(ruleset, unit, explain or render is not None)
        except ParRulesError:
            kept.append(None)
            continue
        if render is not None:
            try:
                kept.append(
                    render(card(ruleset, unit, [(s.scored, s.kept, s.total) for s in stages]))
                )
            except Exception:  # rendered again here, to raise it where it belongs
                kept.append(None)
            continue
        kept.append([(s.scored, s.kept, s.total) for s in stages])
    return kept


class _Worker:
    """A forked process scoring the spans it is sent, in the order sent. Its results are read
    here, between chunks, so the pipe they come through is widened to hold several."""

    def __init__(
        self, ruleset: Ruleset, units: Sequence[UnitInputs], render: Render | None = None
    ) -> None:
        context = multiprocessing.get_context("fork")
        tasks, self._tasks = context.Pipe(duplex=False)
        self._results, results = context.Pipe(duplex=False)
        _widen(results.fileno())
        self._process = context.Process(
            target=_work, args=(ruleset, units, tasks, results, render), daemon=True
        )
        self._process.start()
        tasks.close()  # the worker's ends: only the worker holds them now
        results.close()
        self.sent = 0
        self.alive = True

    def send(self, span: Span) -> None:
        try:
            self._tasks.send(span)
        except OSError:
            self.alive = False
        self.sent += 1

    def ready(self) -> bool:
        return not self.alive or self._results.poll()

    def receive(self) -> Chunk | None:
        """The next result, or None if the worker has died."""
        self.sent -= 1
        if self.alive:
            try:
                result: Chunk = self._results.recv()
                return result
            except (EOFError, OSError):
                self.alive = False
        return None

    def stop(self) -> None:
        self._process.terminate()
        self._process.join()
        self._tasks.close()
        self._results.close()


def _widen(fd: int) -> None:
    """Let a pipe hold a megabyte (Linux): a worker can then hand back chunks while this process
    is busy, instead of waiting for it to read."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):
        pass  # the pipe keeps its size; the worker waits a little more


def _work(
    ruleset: Ruleset,
    units: Sequence[UnitInputs],
    tasks: Any,
    results: Any,
    render: Render | None = None,
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # interrupted, the parent stops its workers
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler, which cleans up
    gc.freeze()  # what the worker inherited is never garbage: do not scan it
    while True:
        try:
            span = tasks.recv()
        except EOFError:
            return
        results.send(_score_span(ruleset, units, span, render))
