"""The ``parrules`` command: parse arguments, call the API, print. Errors go to stderr, one line
each (no traceback unless ``--debug``); the exit code is 0 only when everything asked for was
done."""

from __future__ import annotations

import argparse
import codecs
import contextlib
import json
import os
import shutil
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO, TypeVar, cast

import attrs
from tabulate import tabulate

from . import __version__, report
from ._batch import (
    SMALL_FILES,
    FileLine,
    Loaded,
    Rulesets,
    UnitResult,
    _load,
    render_files,
    score_batch,
    score_loaded,
    unit_key,
)
from ._engine import score
from ._json import DETAIL, STAGES, card_to_line
from ._model import Explanation, Ruleset, ScoreCard, UnitInputs, assumed_items, assumption_marks
from ._numbers import fmt
from ._plugins import Registry, default_registry
from ._ruleset import CARD_TABLES, known_ids, load_ruleset, shipped_twice
from ._schemas import SCHEMAS, schema_text
from ._sheets import SheetRow, is_sheet, read_sheet, template
from ._units import load_unit
from .analysis import by_department, compare, goal_verdicts, indicator_trends, rank, stage_diff
from .errors import DuplicateUnitError, ParRulesError, RulesetNotFoundError, one_line

if TYPE_CHECKING:  # plans and ruleset diffs are imported by the commands that make them
    from .analysis.plan import Plan

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
MIN_WIDTH = 40
EXIT_INTERRUPTED = 128 + signal.SIGINT
LABELS = report.LABELS

CARD_FORMATS = (*report.FORMATS, "jsonl")
COMPARE_TABLES = ("points", "percent", "trend")
RANK_TABLES = ("ranking", "classes")
_SUFFIX_FORMATS = {
    ".txt": "text",
    ".md": "markdown",
    ".html": "html",
    ".htm": "html",
    ".tex": "latex",
    ".csv": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".xlsx": "xlsx",
    ".zip": "zip",
    ".docx": "docx",
}
DOCUMENT_FORMATS = ("html", "docx")
"""Formats that write the report officials file (``--tables``: the tables asked for instead)."""


class Failed(Exception):
    """Something asked for was not done; its errors are already on stderr."""


def _error(message: BaseException | str) -> None:
    print(f"parrules: {one_line(message)}", file=sys.stderr)


class Progress:
    """A progress bar on stderr, shown only on a terminal and only once a batch has taken more
    than a second, so quick runs and pipes stay clean."""

    def __init__(self, total: int, stream: TextIO | None = None, delay: float = 1.0) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.delay = delay
        self.done = 0
        self.start = time.monotonic()
        self.drawn = 0.0

    def step(self) -> None:
        self.done += 1
        now = time.monotonic()
        if now - self.start < self.delay or now - self.drawn < 0.1 or not self.stream.isatty():
            return
        self.drawn = now
        filled = 30 * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (30 - filled)
        self.stream.write(f"\r[{bar}] {self.done}/{self.total}")
        self.stream.flush()

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r" + " " * 50 + "\r")
            self.stream.flush()


Build = Callable[[ScoreCard], Any]


def _load_cards(
    paths: Sequence[str],
    registry: Registry,
    build: Build | None = None,
    strict: bool = False,
    workers: int = 1,
) -> tuple[list[tuple[ScoreCard, Any]], bool]:
    """Score every unit file and every row of every sheet, each with what ``build`` makes of its
    card, built in the same guard: a unit that fails, also while being built (a missing stage, an
    explanation a plugin cannot write), is reported on one line and left out. A unit given in
    several files or rows is reported in each, and none of them is kept."""
    failed = False
    sheets: dict[str, tuple[SheetRow, ...]] = {}
    for path in paths:
        if is_sheet(path) and path not in sheets:
            rows = _read_sheet(path, registry, strict)
            failed = failed or rows is None
            sheets[path] = rows or ()
            for row in sheets[path]:
                for error in row.errors:
                    _error(error)
                failed = failed or bool(row.errors)
    files = [p for p in paths if not is_sheet(p)]
    units = sum(1 for rows in sheets.values() for row in rows if row.unit is not None)
    progress = Progress(len(files) + units)
    built: dict[int, Any] = {}

    def render(card: ScoreCard) -> str:
        built[id(card)] = None if build is None else build(card)
        return ""

    results: list[UnitResult] = []
    rulesets: Rulesets = {}
    try:
        batch = score_batch(
            files, registry=registry, render=render, progress=progress.step, workers=workers
        )
        scored = iter(batch.results)
        for path in paths:
            if not is_sheet(path):
                results.append(next(scored))
                continue
            given = (r.unit for r in sheets.pop(path, ()) if r.unit is not None)
            loaded = [_row(unit, registry, rulesets) for unit in given]
            results += score_loaded(loaded, workers, render, progress.step)
    finally:
        progress.close()
    cards = []
    for result in _refuse_repeated(results):
        if result.card is None:
            _error(result.message)
            failed = True
        else:
            cards.append((result.card, built[id(result.card)]))
    return cards, failed


def _read_sheet(path: str, registry: Registry, strict: bool) -> tuple[SheetRow, ...] | None:
    """A sheet's rows, its warnings printed; None (the error printed) when it cannot be read."""
    try:
        sheet = read_sheet(path, registry=registry, strict=strict)
    except ParRulesError as exc:
        _error(exc)
        return None
    for warning in sheet.warnings:
        _error(f"warning: {warning}")
    return sheet.rows


def _refuse_repeated(results: list[UnitResult]) -> list[UnitResult]:
    """Results where a unit scored from several inputs (a sheet and a unit file, two sheets)
    is an error in each of them: which one is right cannot be told."""
    where: dict[tuple[str, int, str], list[int]] = {}
    for index, result in enumerate(results):
        if result.card is not None:
            where.setdefault(unit_key(result.card.unit), []).append(index)
    results = list(results)
    for indexes in (i for i in where.values() if len(i) > 1):
        for index in indexes:
            path, unit = results[index].path, results[index].card.unit  # type: ignore[union-attr]
            others = ", ".join(results[i].path for i in indexes if i != index)
            error = DuplicateUnitError(
                f"the unit '{unit.unit}' ({unit.year}) is also in {others}; none of them is scored",
                path=path,
                field="unit",
                hint="give each unit once",
            )
            results[index] = UnitResult(path, error=error)
    return results


def _row(unit: UnitInputs, registry: Registry, rulesets: Rulesets) -> UnitResult | Loaded:
    """A unit read from a sheet, with its ruleset, to score under the same guard as unit files.
    The ruleset is looked up once for all the rows that name it (``rulesets``)."""
    where = unit.path or unit.unit
    ref = unit.ruleset_path or unit.ruleset
    ruleset = rulesets.get((ref, ""))
    if ruleset is None:
        try:
            ruleset = load_ruleset(ref, registry=registry)
        except ParRulesError as exc:
            ruleset = exc
        rulesets[(ref, "")] = ruleset
    if isinstance(ruleset, ParRulesError):
        return UnitResult(where, error=ruleset)
    return where, unit, ruleset


def _format(args: argparse.Namespace, allowed: Sequence[str] = report.FORMATS) -> str:
    if args.format:
        return str(args.format)
    if not args.output:
        return "text"
    kind = _SUFFIX_FORMATS.get(Path(args.output).suffix.lower(), "text")
    if kind not in allowed:
        _error(f"--output {args.output}: this command cannot write {kind}; give --format")
        raise Failed
    return kind


def _render(args: argparse.Namespace, tables: Sequence[Any], kind: str) -> str | bytes:
    """The tables in the format asked for; CSV holds one table."""
    if kind == "csv" and len(tables) > 1:
        names = ", ".join(t.name for t in tables)
        _error(
            f"a CSV file holds one table, and there are {len(tables)} ({names}): choose one "
            "with --tables, or write one CSV file per table in a zip (-o FILE.zip)"
        )
        raise Failed
    return report.render(tables, kind, args.lang, bom=args.bom, width=_width(args))


def _width(args: argparse.Namespace) -> int | None:
    """The display cells a line of text may take: ``--width`` (0: no limit), else ``COLUMNS``,
    else the terminal's width when the text goes to a terminal; no limit for a file or a pipe
    (each column as wide as its text, long text wrapped at the column's usual width)."""
    given: int | None = getattr(args, "width", None)
    if given is not None:
        return given or None
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return max(int(columns), MIN_WIDTH)
    if not getattr(args, "output", None) and sys.stdout.isatty():
        return max(shutil.get_terminal_size().columns, MIN_WIDTH)
    return None


def _width_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value != 0 and value < MIN_WIDTH:
        msg = f"a width is 0 (no limit) or at least {MIN_WIDTH} columns, not {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _emit(args: argparse.Namespace, content: str | bytes) -> None:
    """Write to ``--output`` atomically, or to stdout (binary only when it is not a terminal)."""
    if args.output:
        _write(args.output, content)
        return
    if isinstance(content, bytes):
        if sys.stdout.isatty():
            _error("this format is binary: give --output FILE")
            raise Failed
        sys.stdout.flush()
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
        return
    sys.stdout.write(content)


def _chart(args: argparse.Namespace, series: list[tuple[str, Any]], title: str) -> None:
    if not args.chart:
        return
    kind = Path(args.chart).suffix.lower().lstrip(".")
    if kind not in report.CHART_FORMATS:
        _error(f"--chart {args.chart}: name a .png or .svg file")
        raise Failed
    _write(args.chart, report.field_chart(series, title, format=kind, lang=args.lang))


def _write(path: str, content: str | bytes) -> None:
    try:
        report.write_atomic(path, content)
    except OSError as exc:
        _error(f"cannot write {path}: {exc.strerror or exc}")
        raise Failed from None


def _tables_arg(value: str | None, allowed: Sequence[str], default: Sequence[str]) -> list[str]:
    if not value:
        return list(default)
    names = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [n for n in names if n not in allowed]
    if unknown:
        _error(f"--tables: unknown table(s) {', '.join(unknown)} (one of: {', '.join(allowed)})")
        raise Failed
    return names


def _card_tables(
    card: ScoreCard, names: Sequence[str], stage: str | None, lang: str, asked: bool
) -> list[Any]:
    """The tables named; the assumptions, by default, only when a lost point rests on one."""
    tables: list[Any] = []
    for name in names:
        if name == "card":
            tables.append(report.card_table(card, lang))
        elif name == "register":
            tables.append(report.register_table(card, stage, lang))
        elif name == "details":
            tables.append(report.details_table(card, stage, lang))
        elif name == "assumptions":
            table = report.assumptions_table(card, stage, lang)
            if table.rows or asked:
                tables.append(table)
        elif name == "departments":
            tables += report.department_tables(card, by_department(card, stage=stage), lang)
        elif name == "stages":
            tables.append(report.stage_diff_table(card, stage_diff(card), lang))
        elif name == "goals":
            earlier = [] if stage else card.stages[:-1]  # each stage's verdict, side by side
            before = [(s.stage, goal_verdicts(card, stage=s.stage)) for s in earlier]
            tables.append(report.goals_table(card, goal_verdicts(card, stage=stage), lang, before))
        elif name == "trend":
            trends = indicator_trends([card], stage=stage)
            tables.append(report.trend_table(card.unit.unit, trends, lang))
    return tables


def _ruleset_tables(ruleset: Ruleset, explain: bool) -> list[str]:
    """The ruleset's own default tables (``tables:``), with the details of each lost point for
    ``explain``."""
    names = list(ruleset.tables)
    if names and explain and "details" not in names:
        at = names.index("assumptions") if "assumptions" in names else len(names)
        names.insert(at, "details")
    return names


def _cmd_score(args: argparse.Namespace, registry: Registry, explain: bool) -> int:
    default = (
        ("card", "register", "details", "assumptions")
        if explain
        else ("card", "register", "assumptions")
    )
    names = _tables_arg(args.tables, CARD_TABLES, default)
    kind = _format(args, CARD_FORMATS)
    if (args.stages != "all" or args.detail != "all") and (
        kind not in ("json", "jsonl") or args.tables
    ):
        _error("--stages and --detail shape the score cards: give --format json or jsonl")
        raise Failed
    if args.stages == "final" and args.stage:
        _error("--stages final keeps each unit's last stage: give it or --stage, not both")
        raise Failed
    if kind == "jsonl":
        return _score_lines(args, registry)
    if (args.previous or args.peers) and (kind not in DOCUMENT_FORMATS or args.tables):
        _error("--previous and --peers go into the reports: give --format html or docx")
        raise Failed
    if kind in DOCUMENT_FORMATS and not args.tables:
        return _score_documents(args, registry, kind, explain)
    as_cards = kind == "json" and not args.tables  # the score cards; with --tables, those tables

    def build(card: ScoreCard) -> Any:
        if as_cards:
            return _card_dict(card, args)
        if args.stage:
            card.stage(args.stage)
        chosen = names if args.tables else _ruleset_tables(card.ruleset, explain) or names
        return _card_tables(card, chosen, args.stage, args.lang, bool(args.tables))

    cards, failed = _load_cards(args.units, registry, build, args.strict, args.workers)
    if not cards:
        return EXIT_FAILED
    if as_cards:  # a unit file gives its card; several units, a list of cards
        data = cards[0][1] if len(args.units) == 1 and not is_sheet(args.units[0]) else None
        text = json.dumps(data or [d for _, d in cards], ensure_ascii=False, indent=2)
        _emit(args, text + "\n")
    else:
        tables = [
            # with several units, sheet names say whose table it is
            attrs.evolve(t, name=f"{card.unit.unit} - {t.name}") if len(cards) > 1 else t
            for card, built in cards
            for t in built
        ]
        _emit(args, _render(args, tables, kind))
    if len(cards) == 1:
        card = cards[0][0]
        stages = [card.stage(args.stage)] if args.stage else list(card.stages)
        series = [(report.labels(args.lang).get(s.stage, s.stage), s) for s in stages]
    else:
        series = [(c.unit.unit, c.stage(args.stage)) for c, _ in cards]
    _chart(args, series, cards[0][0].ruleset.title)
    return EXIT_FAILED if failed else EXIT_OK


def _score_documents(args: argparse.Namespace, registry: Registry, kind: str, explain: bool) -> int:
    """One report per unit (several: in a zip archive, one file each), with the change from
    the unit's previous card (``--previous``) and its rank among the units and ``--peers``."""
    several = len(args.units) > 1 or any(is_sheet(u) for u in args.units)
    if several and not (args.output or "").lower().endswith(".zip"):
        _error(
            f"one {kind} report per unit: write them into a zip archive (-o REPORTS.zip), "
            "or give one unit"
        )
        raise Failed
    scored, failed = _load_cards(args.units, registry, _stage_check(args), args.strict)
    previous, failed_previous = _load_cards(args.previous, registry, _stage_check(args))
    peers, failed_peers = _load_cards(args.peers, registry, _stage_check(args))
    if failed_previous or failed_peers or not scored:
        return EXIT_FAILED
    cards = [card for card, _ in scored]
    earlier = _previous_cards(cards, [card for card, _ in previous])
    ranks = _ranks(cards, [card for card, _ in peers], args) if args.peers else {}
    files: list[tuple[str, bytes]] = []
    for card in cards:
        before = earlier.get(card.unit.unit)
        doc = report.unit_report(
            card,
            args.lang,
            stage=args.stage,
            explain=explain and kind == "docx",  # html: each lost point expands instead
            comparison=compare(before, card, stage=args.stage) if before else None,
            rank=ranks.get(unit_key(card.unit)),
        )
        content = report.docx_report(doc) if kind == "docx" else report.html_report([doc])
        files.append(
            (card.unit.unit, content if isinstance(content, bytes) else content.encode("utf-8"))
        )
    if len(files) == 1 and not (args.output or "").lower().endswith(".zip"):
        data = files[0][1]
        _emit(args, data if kind == "docx" else data.decode("utf-8"))
    else:
        _emit(args, _archive(files, kind))
    return EXIT_FAILED if failed else EXIT_OK


def _previous_cards(
    cards: Sequence[ScoreCard], previous: Sequence[ScoreCard]
) -> dict[str, ScoreCard]:
    """Each unit's previous card, by the unit's name; a previous card of no unit given, or
    not earlier than its unit, is an error."""
    names = {card.unit.unit: card for card in cards}
    found: dict[str, ScoreCard] = {}
    for before in previous:
        card = names.get(before.unit.unit)
        if card is None:
            _error(
                f"--previous: '{before.unit.unit}' ({before.unit.path}) is none of the units "
                "given; a previous card is matched by the unit's name"
            )
            raise Failed
        if before.unit.year >= card.unit.year or before.unit.unit in found:
            _error(
                f"--previous: '{before.unit.unit}' {before.unit.year} is not one earlier year "
                f"of {card.unit.year}"
            )
            raise Failed
        found[before.unit.unit] = before
    return found


def _ranks(
    cards: Sequence[ScoreCard], peers: Sequence[ScoreCard], args: argparse.Namespace
) -> dict[tuple[str, int, str], tuple[int, int]]:
    """Each unit's rank among the units given and their peers (each unit once)."""
    everyone = {unit_key(c.unit): c for c in [*peers, *cards]}
    try:
        ranking = rank(list(everyone.values()), stage=args.stage)
    except ParRulesError as exc:
        _error(f"--peers: {one_line(exc)}")
        raise Failed from None
    return {unit_key(e.card.unit): (e.rank, len(ranking)) for e in ranking}


def _archive(files: Sequence[tuple[str, bytes]], kind: str) -> bytes:
    """Reports as a zip archive, one file each (``01 Xã Bình Thành.docx``); the same bytes
    for the same reports."""
    import io
    import re
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (name, data) in enumerate(files, start=1):
            safe = re.sub(r'[\x00-\x1f<>:"/\\|?*\x7f]', "-", name).strip(" .")[:80] or "report"
            entry = zipfile.ZipInfo(f"{index:02d} {safe}.{kind}", (2000, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, data)
    return buffer.getvalue()


def _card_dict(card: ScoreCard, args: argparse.Namespace) -> dict[str, Any]:
    """The card as JSON data, with only the stage asked for (a unit without it fails), or the
    final stage alone (``--stages final``), and the detail asked for (``--detail``)."""
    if args.stage:
        card.stage(args.stage)
    data = card.to_dict(args.lang, stages=args.stages, detail=args.detail)
    if args.stage:
        data["stages"] = [s for s in data["stages"] if s["stage"] == args.stage]
    return data


def _score_lines(args: argparse.Namespace, registry: Registry) -> int:
    """JSON Lines: each card written as soon as its unit is scored, none kept, so that any
    number of units streams through in flat memory."""
    for option in ("tables", "chart"):
        if getattr(args, option):
            _error(f"--{option} cannot be given with --format jsonl")
            raise Failed

    def line(card: ScoreCard) -> str:
        if args.stage:
            card.stage(args.stage)  # a unit without it fails
        return card_to_line(card, args.lang, args.stages, args.detail, only=args.stage)

    def write_all(write: Callable[[str | bytes], Any]) -> tuple[bool, int]:
        failed, written = False, 0
        for result in _each_unit(args.units, registry, line, args.strict, args.workers):
            if isinstance(result, _Line):
                write(result.data)
                write(b"\n")
                written += 1
            elif result.output is None:
                _error(result.message)
                failed = True
            else:
                write(result.output + "\n")
                written += 1
        return failed, written

    def in_utf8(write: Callable[[bytes], Any]) -> Callable[[str | bytes], Any]:
        return lambda text: write(text if isinstance(text, bytes) else text.encode())

    if args.output:
        try:
            with report.open_atomic(args.output) as stream:
                failed, written = write_all(in_utf8(stream.write))
                if not written:  # nothing scored: keep the file as it was, as other formats do
                    raise Failed
        except OSError as exc:
            _error(f"cannot write {args.output}: {exc.strerror or exc}")
            raise Failed from None
    elif (raw := _utf8_stdout()) is not None:
        failed, written = write_all(in_utf8(raw.write))
        raw.flush()
    else:
        failed, written = write_all(
            lambda text: sys.stdout.write(text if isinstance(text, str) else text.decode())
        )
    return EXIT_FAILED if failed or not written else EXIT_OK


def _utf8_stdout() -> BinaryIO | None:
    """Standard output's bytes, where text written to it would become the same bytes (UTF-8,
    line ends not translated), so that the workers' lines are written as they are."""
    raw = getattr(sys.stdout, "buffer", None)
    encoding = getattr(sys.stdout, "encoding", None)
    if raw is None or not encoding or os.name == "nt" or codecs.lookup(encoding).name != "utf-8":
        return None
    sys.stdout.flush()  # any text written before comes first
    return cast("BinaryIO", raw)


def _each_unit(
    paths: Sequence[str],
    registry: Registry,
    render: Callable[[ScoreCard], str],
    strict: bool = False,
    workers: int = 1,
) -> Iterator[UnitResult | _Line]:
    """Every unit file and every row of every sheet, scored and rendered in the order given:
    one at a time, or with ``workers`` > 1 a window of units at a time; a line a worker has
    already rendered is given at once, unless a unit before it is still to be scored."""
    pending: list[UnitResult | Loaded] = []
    for entry in _each_loaded(paths, registry, strict, render if workers > 1 else None, workers):
        if not pending and isinstance(entry, UnitResult | _Line):
            yield entry  # nothing before it waits to be scored: written at once
            continue
        if isinstance(entry, _Line):
            entry = UnitResult(entry.path, output=entry.data.decode())
        pending.append(entry)
        if workers == 1 or len(pending) >= WINDOW:
            yield from score_loaded(pending, workers, render, cards=False)
            pending = []
    yield from score_loaded(pending, workers, render, cards=False)


WINDOW = 4096
"""Units scored at a time by ``--format jsonl --workers N``: the cards held at once."""


@attrs.frozen
class _Line:
    """A unit file's line as a worker wrote it, in UTF-8."""

    path: str
    data: bytes


def _each_loaded(
    paths: Sequence[str],
    registry: Registry,
    strict: bool,
    render: Callable[[ScoreCard], str] | None = None,
    workers: int = 1,
) -> Iterator[UnitResult | Loaded | _Line]:
    """Every unit file and every row of every sheet, loaded, in the order given. A unit already
    met in an earlier file or row (see ``unit_key``) is an error where it is met again: the first
    one may already be written. With ``render``, a run of unit files is read, scored and
    rendered by ``workers`` processes (``render_files``): each comes as its result, with
    its output."""
    rulesets: Rulesets = {}
    seen: dict[tuple[str, int, str], str] = {}
    rendered: Iterator[FileLine | None] = iter(())
    sheets = [is_sheet(path) for path in paths]
    for k, path in enumerate(paths):
        if render is not None and not sheets[k] and (k == 0 or sheets[k - 1]):
            end = next((j for j in range(k, len(paths)) if sheets[j]), len(paths))
            run = list(paths[k:end])
            if len(run) >= SMALL_FILES:
                rendered = render_files(run, registry, render, workers)
        done = next(rendered, None) if not sheets[k] else None
        if done is not None:
            key, name, year, line = done
            yield _unless_seen(seen, path, key, name, year) or _Line(path, line)
            continue
        if sheets[k]:
            try:
                sheet = read_sheet(path, registry=registry, strict=strict)
            except ParRulesError as exc:
                yield UnitResult(path, error=exc)
                continue
            for warning in sheet.warnings:
                _error(f"warning: {warning}")
            for row in sheet.rows:
                yield from (UnitResult(path, error=error) for error in row.errors)
                if row.unit is not None:
                    where = row.unit.path or row.unit.unit
                    yield _unless_seen(seen, where, *_named(row.unit)) or _row(
                        row.unit, registry, rulesets
                    )
            continue
        try:
            unit, ruleset = _load(Path(path), registry, rulesets)
        except ParRulesError as exc:
            yield UnitResult(path, error=exc)
            continue
        yield _unless_seen(seen, path, *_named(unit)) or (path, unit, ruleset)


def _named(unit: UnitInputs) -> tuple[tuple[str, int, str], str, int]:
    return unit_key(unit), unit.unit, unit.year


def _unless_seen(
    seen: dict[tuple[str, int, str], str],
    where: str,
    key: tuple[str, int, str],
    name: str,
    year: int,
) -> UnitResult | None:
    if key not in seen:
        seen[key] = where
        return None
    first = seen[key]
    error = DuplicateUnitError(
        f"the unit '{name}' ({year}) is already in {first}; this one is not scored",
        path=where,
        field="unit",
        hint="keep one file per unit",
    )
    return UnitResult(where, error=error)


def _stage_check(args: argparse.Namespace) -> Build:
    """A unit without the stage asked for fails on its own."""
    return lambda card: card.stage(args.stage)


def _cmd_rank(args: argparse.Namespace, registry: Registry) -> int:
    scored, failed = _load_cards(
        args.units, registry, _stage_check(args), args.strict, args.workers
    )
    cards = [card for card, _ in scored]
    if not cards:
        return EXIT_FAILED
    ranking = rank(cards, stage=args.stage, method=args.method)
    kind = _format(args)
    if kind == "json":
        data = report.ranking_to_dict(ranking, args.lang, depth=args.depth)
        _emit(args, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    elif kind in DOCUMENT_FORMATS and not args.tables:
        doc = report.ranking_report(ranking, args.lang, depth=args.depth)
        _emit(args, report.docx_report(doc) if kind == "docx" else report.html_report([doc]))
    else:
        classes = bool(ranking.ruleset.classification)
        names = _tables_arg(args.tables, RANK_TABLES, RANK_TABLES if classes else ("ranking",))
        if "classes" in names and not classes:
            _error(f"ruleset '{ranking.ruleset.id}' has no classes: there is no 'classes' table")
            return EXIT_USAGE
        built = report.ranking_tables(ranking, args.lang, depth=args.depth)
        tables = dict(zip(RANK_TABLES, built, strict=True))
        _emit(args, _render(args, [tables[name] for name in names], kind))
    return EXIT_FAILED if failed else EXIT_OK


def _cmd_compare(args: argparse.Namespace, registry: Registry) -> int:
    names = _tables_arg(args.tables, COMPARE_TABLES, ("points", "percent"))
    scored, failed = _load_cards(
        [args.before, args.after], registry, _stage_check(args), args.strict
    )
    if failed:
        return EXIT_FAILED
    if len(scored) != 2:
        _error(f"compare needs exactly two units, got {len(scored)}")
        return EXIT_FAILED
    before, after = sorted((card for card, _ in scored), key=lambda c: c.unit.year)
    comparison = compare(before, after, stage=args.stage)
    points, percents = report.comparison_tables(comparison, args.lang, depth=args.depth)
    tables: list[Any] = []
    for name in names:
        if name == "points":
            tables.append(points)
        elif name == "percent":
            tables.append(percents)
        elif name == "trend":
            trends = indicator_trends([before, after], stage=args.stage)
            tables.append(report.trend_table(after.unit.unit, trends, args.lang))
    _emit(args, _render(args, tables, _format(args)))
    labels = [t.label for t in percents.columns[2:4]]
    series = [(labels[0], comparison.before_stage), (labels[1], comparison.after_stage)]
    _chart(args, series, percents.title)
    return EXIT_OK


def _rank_bands(value: str | None) -> list[tuple[int, int]] | None:
    """``1-3,4-10,11-20`` → [(1, 3), (4, 10), (11, 20)]; a single rank is ``5``."""
    if not value:
        return None
    bands = []
    for part in value.split(","):
        first, _, last = part.strip().partition("-")
        try:
            band = (int(first), int(last or first))
        except ValueError:
            _error(f"--rank-bands: '{part.strip()}' is not a band of ranks like 1-3")
            raise Failed from None
        bands.append(band)
    return bands


def _cmd_uncertainty(args: argparse.Namespace, registry: Registry) -> int:
    from .analysis import uncertainty

    names = _tables_arg(args.tables, report.UNCERTAINTY_TABLES, report.UNCERTAINTY_TABLES)
    scored, failed = _load_cards(args.units, registry, _stage_check(args), args.strict)
    if failed or not scored:
        return EXIT_FAILED
    cards = [card for card, _ in scored]
    ruleset = cards[0].ruleset
    alternatives = [load_ruleset(ref, registry=registry) for ref in args.alternative]
    result = uncertainty(
        [card.unit for card in cards],
        ruleset,
        draws=args.draws,
        seed=args.seed,
        stage=args.stage,
        alternatives=alternatives,
        level=args.level,
        rank_bands=_rank_bands(args.rank_bands),
        sensitivity=not args.no_sensitivity,
        workers=args.workers,
    )
    kind = _format(args)
    if kind == "json":
        data = report.uncertainty_to_dict(result, args.lang)
        _emit(args, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    elif kind in DOCUMENT_FORMATS and not args.tables:
        doc = report.uncertainty_report(result, args.lang)
        _emit(args, report.docx_report(doc) if kind == "docx" else report.html_report([doc]))
    else:
        tables = report.uncertainty_tables(result, args.lang, tuple(names))
        _emit(args, _render(args, tables, kind))
    if args.chart:
        chart = Path(args.chart).suffix.lower().lstrip(".")
        if chart not in report.CHART_FORMATS:
            _error(f"--chart {args.chart}: name a .png or .svg file")
            raise Failed
        _write(args.chart, report.rank_chart(result, format=chart, lang=args.lang))
    return EXIT_OK


def _cmd_template(args: argparse.Namespace, registry: Registry) -> int:
    ruleset = load_ruleset(args.ruleset, registry=registry)
    kind = args.format or ("csv" if args.output and args.output.endswith(".csv") else "xlsx")
    ref = args.ruleset if Path(args.ruleset).is_file() else ruleset.id
    _emit(args, template(ruleset, kind, args.lang, ref))
    return EXIT_OK


def _cmd_rules(args: argparse.Namespace, registry: Registry) -> int:
    if _format(args, ("text", "json")) == "json":
        data = [
            {"rule": r.name, "plugin": r.plugin, "params": list(r.params), "computes": r.summary}
            for r in registry.rules.values()
        ]
        _emit(args, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        rows = [[r.name, r.plugin, ", ".join(r.params), r.summary] for r in registry.rules.values()]
        headers = ["rule", "plugin", "params", "computes"]
        _emit(args, tabulate(rows, headers, tablefmt="simple") + "\n")
    for broken in registry.broken:
        _error(f"plugin '{broken.name}' is broken: {broken.error}")
    for duplicate in registry.duplicates:
        _error(duplicate)
    return EXIT_FAILED if registry.broken or registry.duplicates else EXIT_OK


def _cmd_rulesets(args: argparse.Namespace, registry: Registry) -> int:
    """Every installed ruleset by id, each loaded: one that cannot be (a plugin it needs is not
    installed) is marked with the reason, without the path of its file."""
    found: list[tuple[str, str | None]] = []
    twice = shipped_twice(registry)
    for ruleset_id in sorted({*known_ids(registry), *twice}):
        if ruleset_id in twice:
            found.append((ruleset_id, f"{len(twice[ruleset_id])} installed plugins ship it"))
            continue
        try:
            load_ruleset(ruleset_id, registry=registry)
            found.append((ruleset_id, None))
        except ParRulesError as exc:
            reason = getattr(exc, "message", str(exc))
            hint = getattr(exc, "hint", None)
            found.append((ruleset_id, f"{reason} ({hint})" if hint else reason))
    if _format(args, ("text", "json")) == "json":
        data = [{"id": i, "loads": e is None, "error": e} for i, e in found]
        _emit(args, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        width = max((len(i) for i, e in found if e), default=0)
        lines = [i if e is None else f"{i:<{width}}  cannot load: {e}" for i, e in found]
        _emit(args, "".join(f"{line}\n" for line in lines))
    return EXIT_OK


def _cmd_schema(args: argparse.Namespace) -> int:
    _emit(args, schema_text(args.name))
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace, registry: Registry) -> int:
    from ._validate import ERROR, validate

    errors = warnings = uncited = 0
    lines = []
    for ref in args.rulesets:
        for finding in validate(ref, registry=registry, strict=args.strict):
            lines.append(str(finding))
            errors += finding.severity == ERROR
            warnings += finding.severity != ERROR
            uncited += finding.check == "uncited"
    summary = f"{len(args.rulesets)} ruleset(s): {errors} error(s), {warnings} warning(s)"
    lines.append(summary + (f" ({uncited} uncited)" if args.strict else ""))
    _emit(args, "".join(f"{line}\n" for line in lines))
    return EXIT_FAILED if errors or (args.strict and warnings) else EXIT_OK


def _cases_files(refs: Sequence[str], registry: Registry) -> list[tuple[Path, str]]:
    """The cases files to run, each with how it is named: every installed ruleset's when none is
    given; else each path (a ``*.cases.yaml`` file, a directory of them, a ruleset file) or
    ruleset id, the latter two by the cases file beside the ruleset."""
    from ._ruleset import resolve
    from .testing._cases import SUFFIX

    ids = known_ids(registry)
    if not refs:
        return [
            (path.with_suffix(SUFFIX), f"{ruleset_id}{SUFFIX}")
            for ruleset_id, path in sorted(ids.items())
            if path.with_suffix(SUFFIX).is_file()
        ]
    found: list[tuple[Path, str]] = []
    for ref in refs:
        path = Path(ref)
        if path.is_dir():
            found += [(p, str(p)) for p in sorted(path.rglob(f"*{SUFFIX}"))]
        elif path.name.endswith(SUFFIX):
            found.append((path, ref))
        else:
            ruleset = resolve(ref, registry)
            cases = ruleset.with_suffix(SUFFIX)
            if not cases.is_file():
                raise RulesetNotFoundError(
                    f"the ruleset '{ref}' has no cases file",
                    hint=f"write its examples and published figures in {cases.name} beside it",
                )
            found.append((cases, f"{ref}{SUFFIX}" if ref in ids else str(cases)))
    unique: dict[Path, tuple[Path, str]] = {}
    for path, name in found:
        unique.setdefault(path.resolve(), (path, name))
    return list(unique.values())


def _cmd_test(args: argparse.Namespace, registry: Registry) -> int:
    from .testing._cases import FileResult, report_lines, run_cases, summary

    results: list[FileResult] = []
    lines: list[str] = []
    for path, name in _cases_files(args.targets, registry):
        result = run_cases(path, name=name, registry=registry)
        lines += report_lines(result, verbose=args.verbose)
        results.append(result)
    lines.append(summary(results))
    _emit(args, "".join(f"{line}\n" for line in lines))
    return EXIT_OK if results and all(r.ok for r in results) else EXIT_FAILED


PLAN_LABELS = {
    "vi": {
        "steps": "Các bước khôi phục điểm (mỗi con số đã được kiểm chứng bằng cách chấm lại)",
        "indicator": "Chỉ tiêu",
        "now": "Hiện tại",
        "needed": "Cần đạt",
        "change": "Thay đổi",
        "points": "Điểm khôi phục",
        "recoverable": "Tổng điểm có thể khôi phục",
        "check": "Kiểm chứng (cách tính hiện tại → sau thay đổi)",
        "after_change": "Sau thay đổi",
        "assumed_what": "Nội dung giả định",
        "unplanned": "Không tính được",
        "none": "Không có bước nào tính được.",
        "rank": "Xếp hạng hiện tại: {rank}/{units}. Mục tiêu: hạng {goal}",
        "class": "Mục tiêu: xếp loại {goal}",
        "gap": "cần {needed} điểm (thêm {gap})",
        "after": "Sau các bước {codes}: {total} điểm",
        "as_is": "Không có bước nào: vẫn {total} điểm",
        "reached": "đạt mục tiêu",
        "missed": "chưa đạt mục tiêu: các bước tính được không đủ",
        "assumed": "Giả định",
        "assumptions": "Các giả định mà các bước và điểm bị trừ dựa vào (không có trong nguồn)",
    },
    "en": {
        "steps": "Steps to recover points (every figure verified by re-scoring)",
        "indicator": "Indicator",
        "now": "Now",
        "needed": "Needed",
        "change": "Change",
        "points": "Points recovered",
        "recoverable": "Total recoverable",
        "check": "Check (formula now → after the change)",
        "after_change": "After the change",
        "assumed_what": "What is assumed",
        "unplanned": "Not computable",
        "none": "No computable step.",
        "rank": "Current rank: {rank}/{units}. Target: rank {goal}",
        "class": "Target: class {goal}",
        "gap": "needs {needed} points ({gap} more)",
        "after": "After the steps {codes}: {total} points",
        "as_is": "With no step: still {total} points",
        "reached": "target reached",
        "missed": "target not reached: the computable steps are not enough",
        "assumed": "Assumption",
        "assumptions": "Assumptions the steps and lost points rest on (not in the source)",
    },
}


def _formula(explanation: Explanation) -> str:
    return explanation.formula or explanation.reason


def _plan_tables(result: Plan, lang: str) -> list[report.Table | str]:
    """A plan as the tables and lines it is read in: the steps, the check of each, what cannot
    be computed, the target, the assumptions."""
    from .analysis.plan import METHOD

    t, p = LABELS[lang], PLAN_LABELS[lang]
    card = result.card
    band, maximum = card.classification, card.ruleset.max
    parts: list[report.Table | str] = [
        f"{card.unit.unit} — {card.ruleset.title}: "
        f"{fmt(card.total, lang, card.ruleset.display_precision)}"
        + (f"/{fmt(maximum, lang)}" if maximum is not None else "")
        + (f" ({band.get(lang)})" if band else "")
    ]
    notes = result.notes(lang)
    marked = bool(notes)
    if result.steps:
        keys = ("code", "indicator", "now", "needed", "change", "owner", "assumed")
        rows = [
            report.Row(
                tuple(
                    _marked(
                        marked,
                        *(row[k] or None for k in keys[:5]),
                        step.points,
                        *(row[k] or None for k in keys[5:]),
                    )
                )
            )
            for row, step in zip(result.rows(lang), result.steps, strict=True)
        ]
        rows.append(
            report.Row(
                _marked(
                    marked, None, p["recoverable"], None, None, None, result.recoverable, None, None
                ),
                "total",
            )
        )
        columns = _marked(
            marked,
            report.Column(t["code"]),
            report.Column(p["indicator"], wrap=36),
            report.Column(p["now"], wrap=24),
            report.Column(p["needed"], wrap=24),
            report.Column(p["change"], wrap=24),
            report.Column(p["points"], "number"),
            report.Column(t["owner"], wrap=24),
            report.Column(p["assumed"], wrap=24),
        )
        parts.append(report.Table(p["steps"], p["steps"], columns, tuple(rows)))
        checks = tuple(
            report.Row((s.code, *(_formula(r.explain(lang)) for r in (s.before, s.after))))
            for s in result.steps
        )
        columns = (
            report.Column(t["code"]),
            report.Column(p["now"], wrap=50),
            report.Column(p["after_change"], wrap=50),
        )
        parts.append(report.Table(p["check"], p["check"], columns, checks))
    else:
        parts += [p["steps"], p["none"]]
    if result.unplanned:
        rows = [
            report.Row(
                _marked(
                    marked,
                    u.result.code,
                    u.result.node.get_title(lang),
                    u.result.lost,
                    u.reason(lang),
                    assumption_marks(notes, u.result.code, lang),
                )
            )
            for u in result.unplanned
        ]
        columns = _marked(
            marked,
            report.Column(t["code"]),
            report.Column(t["title"], wrap=40),
            report.Column(t["lost"], "number"),
            report.Column(t["reason"], wrap=50),
            report.Column(p["assumed"], wrap=24),
        )
        parts.append(report.Table(p["unplanned"], p["unplanned"], columns, tuple(rows)))
    target = result.target
    if target is not None:
        head = p[target.kind].format(rank=target.rank, units=target.units, goal=target.goal)
        gap = p["gap"].format(needed=fmt(target.needed_total, lang), gap=fmt(target.gap, lang))
        codes = ", ".join(s.code for s in target.steps)
        after = p["after" if codes else "as_is"].format(
            codes=codes, total=fmt(target.total_after, lang)
        )
        if target.rank_after is not None:
            after += f", {target.rank_after}/{target.units}"
        if target.classification_after is not None:
            after += f" ({target.classification_after.get(lang)})"
        verdict = p["reached"] if target.reached else p["missed"]
        parts += [f"{head}: {gap}.", f"{after}: {verdict}.", METHOD.get(lang)]
    if notes:
        rows = [
            report.Row((f"({n.number})", n.code, assumed_items(n.items, lang), n.text))
            for n in notes
        ]
        columns = (
            report.Column(t["no"]),
            report.Column(t["code"]),
            report.Column(p["assumed_what"], wrap=24),
            report.Column(p["assumed"], wrap=60),
        )
        parts.append(report.Table(p["assumptions"], p["assumptions"], columns, tuple(rows)))
    return parts


_T = TypeVar("_T")


def _marked(shown: bool, *cells: _T) -> tuple[_T, ...]:
    """The cells whose last is an assumption's mark, shown only when one is."""
    return cells if shown else cells[:-1]


def _plan_text(result: Plan, lang: str, width: int | None) -> str:
    """The plan's tables, a blank line apart; lines of text in between kept together."""
    out: list[str] = []
    previous: object = None
    for part in _plan_tables(result, lang):
        if isinstance(part, str):
            text = "\n".join(report.wrap_text(part, width))
            if isinstance(previous, str):
                out[-1] += "\n" + text
            else:
                out.append(text)
        else:
            out.append(report.text([part], lang, width).rstrip("\n"))
        previous = part
    return "\n\n".join(out)


def _cmd_plan(args: argparse.Namespace, registry: Registry) -> int:
    from .analysis.plan import plan

    def card_of(path: str) -> ScoreCard:
        unit = load_unit(path, registry=registry)
        return score(load_ruleset(unit.ruleset_path or unit.ruleset, registry=registry), unit)

    card = card_of(args.unit)
    peers = [card_of(path) for path in args.peers]
    try:
        result = plan(
            card, peers=peers, target_rank=args.target_rank, target_class=args.target_class
        )
    except ValueError as exc:
        if isinstance(exc, ParRulesError):
            raise
        print(f"parrules: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if _format(args, ("text", "json")) == "json":
        _emit(args, json.dumps(result.to_dict(args.lang), ensure_ascii=False, indent=2) + "\n")
    else:
        _emit(args, _plan_text(result, args.lang, _width(args)) + "\n")
    return EXIT_OK


def _cmd_diff(args: argparse.Namespace, registry: Registry) -> int:
    from .analysis.diff import diff_rulesets

    a = load_ruleset(args.a, registry=registry)
    b = load_ruleset(args.b, registry=registry)
    result = diff_rulesets(a, b)
    if _format(args, ("text", "json")) == "json":
        _emit(args, json.dumps(result.to_dict(args.lang), ensure_ascii=False, indent=2) + "\n")
        return EXIT_OK
    t = LABELS[args.lang]
    keys = ("code", "kind", "what", "before", "after")
    rows = tuple(report.Row(tuple(row[k] or None for k in keys)) for row in result.rows(args.lang))
    words = {
        "vi": ("Thay đổi", "Nội dung", "Trước", "Sau", "Không có khác biệt."),
        "en": ("Change", "What", "Before", "After", "No difference."),
    }[args.lang]
    title = f"{a.id} → {b.id}"
    if not rows:
        _emit(args, f"{title}\n\n{words[4]}\n")
        return EXIT_OK
    columns = (
        report.Column(t["code"]),
        report.Column(words[0]),
        report.Column(words[1], wrap=30),
        report.Column(words[2], wrap=50),
        report.Column(words[3], wrap=50),
    )
    table = report.Table("diff", title, columns, rows)
    _emit(args, report.text([table], args.lang, _width(args)))
    return EXIT_OK


def _depth(text: str) -> int:
    return _at_least_one(text, "levels")


def _workers(text: str) -> int:
    return _at_least_one(text, "processes")


def _at_least_one(text: str, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of {what} of 1 or more, not {text!r}")
    return value


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="parrules", description="Score administrative-reform indices and explain them."
    )
    parser.add_argument("--version", action="version", version=f"parrules {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks of errors"
    )
    write = argparse.ArgumentParser(add_help=False)
    write.add_argument("--output", "-o", metavar="FILE", help="write here (atomically)")
    output = argparse.ArgumentParser(add_help=False, parents=[write])
    output.add_argument("--lang", choices=("vi", "en"), default="vi", help="labels and numbers")
    output.add_argument(
        "--no-bom",
        dest="bom",
        action="store_false",
        help="CSV without the byte-order mark by which Excel knows the text is UTF-8",
    )
    output.add_argument(
        "--width",
        type=_width_arg,
        metavar="N",
        help="text: lines of at most N columns (0: no limit; default: COLUMNS, else the "
        "terminal's width; no limit in a file or a pipe)",
    )
    sheets = argparse.ArgumentParser(add_help=False)
    sheets.add_argument(
        "--strict",
        action="store_true",
        help="refuse a sheet with columns that are neither an indicator nor a node (default: "
        "warn and leave them)",
    )
    many = argparse.ArgumentParser(add_help=False)
    many.add_argument(
        "--workers",
        type=_workers,
        default=1,
        metavar="N",
        help="score in N processes (default 1; for batches of hundreds of units or more)",
    )
    data_help = "output format (default: from --output's suffix, else text)"
    format_help = (
        "output format (default: from --output's suffix, else text); csv holds one table, zip "
        "one CSV file per table"
    )
    units_help = "unit file (YAML), or a sheet (CSV/XLSX) with one unit per row"
    stage_help = "self, appraisal or final (default: each unit's last)"
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("score", "score units: score card and lost points"),
        ("explain", "score units and explain every lost point: inputs and formula as applied"),
    ):
        parents = [common, output, sheets, many]
        cmd = sub.add_parser(name, help=text, description=text, parents=parents)
        cmd.add_argument("units", nargs="+", metavar="UNIT", help=units_help)
        cmd.add_argument(
            "--format",
            choices=CARD_FORMATS,
            help=f"{format_help}; jsonl: one score card per line, written as each unit is scored",
        )
        cmd.add_argument("--stage", help=stage_help)
        cmd.add_argument(
            "--stages",
            choices=STAGES,
            default="all",
            help="json/jsonl: every stage of each card (default), or the final one only",
        )
        cmd.add_argument(
            "--detail",
            choices=DETAIL,
            default="all",
            help="json/jsonl: every node's points and every lost point explained (default), "
            "the nodes only, or the lost points only",
        )
        cmd.add_argument(
            "--tables", metavar="LIST", help=f"comma-separated, from: {', '.join(CARD_TABLES)}"
        )
        cmd.add_argument(
            "--chart", metavar="FILE", help="bar chart of field percentages (.png/.svg)"
        )
        cmd.add_argument(
            "--previous",
            action="append",
            default=[],
            metavar="UNIT",
            help="html/docx: the unit's card of an earlier year, for the change from it (once "
            "per unit; matched by the unit's name)",
        )
        cmd.add_argument(
            "--peers",
            nargs="+",
            default=[],
            metavar="UNIT",
            help="html/docx: the other units of the ruleset, for each unit's rank among them",
        )
    text = "rank units of one ruleset: ranks, classes, field points, averages"
    cmd = sub.add_parser(
        "rank", help=text, description=text, parents=[common, output, sheets, many]
    )
    cmd.add_argument("units", nargs="+", metavar="UNIT", help=units_help)
    cmd.add_argument("--format", choices=report.FORMATS, help=format_help)
    cmd.add_argument("--stage", help=stage_help)
    cmd.add_argument(
        "--method", choices=("competition", "dense"), help="ties (default: the ruleset's)"
    )
    cmd.add_argument(
        "--depth", type=_depth, default=1, help="levels of nodes shown as columns (1: fields)"
    )
    cmd.add_argument(
        "--tables", metavar="LIST", help=f"comma-separated, from: {', '.join(RANK_TABLES)}"
    )
    text = "compare two units or years, field by field, even across rulesets"
    cmd = sub.add_parser("compare", help=text, description=text, parents=[common, output, sheets])
    cmd.add_argument("before", metavar="UNIT_A", help="unit file (the earlier year)")
    cmd.add_argument("--format", choices=report.FORMATS, help=format_help)
    cmd.add_argument("after", metavar="UNIT_B", help="unit file (the later year)")
    cmd.add_argument("--stage", help=stage_help)
    cmd.add_argument("--depth", type=_depth, default=1, help="levels of nodes shown (1: fields)")
    cmd.add_argument(
        "--tables", metavar="LIST", help=f"comma-separated, from: {', '.join(COMPARE_TABLES)}"
    )
    cmd.add_argument("--chart", metavar="FILE", help="bar chart of field percentages (.png/.svg)")
    text = "how sure is a rank: scores, ranks and classes over random draws of the declared sources"
    cmd = sub.add_parser(
        "uncertainty",
        help=text,
        description=text + " of variation (uncertainty: in the ruleset and unit files), with "
        "the source that moves each rank most and the ranking under each alternative ruleset; "
        "html and docx: the study as a report, with the rank-interval chart",
        parents=[common, output, sheets],
    )
    cmd.add_argument("units", nargs="+", metavar="UNIT", help=units_help)
    cmd.add_argument("--format", choices=report.FORMATS, help=format_help)
    cmd.add_argument("--stage", help=stage_help)
    cmd.add_argument("--draws", type=int, default=1000, metavar="N", help="default: 1000")
    cmd.add_argument("--seed", type=int, default=0, metavar="S", help="default: 0")
    cmd.add_argument(
        "--level", default="0.9", metavar="L", help="central share of the draws in an interval"
    )
    cmd.add_argument(
        "--rank-bands", metavar="LIST", help="bands of ranks, e.g. 1-3,4-10 (default: quarters)"
    )
    cmd.add_argument(
        "--alternative",
        action="append",
        default=[],
        metavar="RULESET",
        help="another ruleset to score the units with (repeatable)",
    )
    cmd.add_argument(
        "--no-sensitivity", action="store_true", help="skip the draws with one source at a time"
    )
    cmd.add_argument(
        "--workers", type=int, metavar="N", help="processes (default: one per CPU; 1: none)"
    )
    cmd.add_argument(
        "--tables",
        metavar="LIST",
        help=f"comma-separated, from: {', '.join(report.UNCERTAINTY_TABLES)}",
    )
    cmd.add_argument("--chart", metavar="FILE", help="rank-interval chart (.png/.svg)")
    text = "write the empty spreadsheet to fill in for a ruleset"
    cmd = sub.add_parser("template", help=text, description=text, parents=[common])
    cmd.add_argument("ruleset", metavar="RULESET", help="ruleset id or file")
    cmd.add_argument("--format", choices=("xlsx", "csv"), help="default: xlsx")
    cmd.add_argument("--lang", choices=("vi", "en"), default="vi")
    cmd.add_argument("--output", "-o", metavar="FILE", help="write here (atomically)")
    text = (
        "for every lost point, the smallest change of the unit's indicators that recovers it, "
        "verified by re-scoring; with peers, the steps to climb a rank"
    )
    cmd = sub.add_parser("plan", help=text, description=text, parents=[common, output])
    cmd.add_argument("unit", metavar="UNIT", help="unit file (YAML)")
    cmd.add_argument("--peers", nargs="+", default=[], metavar="UNIT", help="the other units")
    goal = cmd.add_mutually_exclusive_group()
    goal.add_argument("--target-rank", type=int, metavar="N", help="rank to reach (needs --peers)")
    goal.add_argument("--target-class", metavar="C", help="class to reach, e.g. Tốt")
    cmd.add_argument("--format", choices=("text", "json"), help=data_help)
    text = "what changed between two rulesets: nodes, maxima, rules, params, bands"
    cmd = sub.add_parser("diff", help=text, description=text, parents=[common, output])
    cmd.add_argument("a", metavar="RULESET_A", help="ruleset id or path")
    cmd.add_argument("b", metavar="RULESET_B", help="ruleset id or path")
    cmd.add_argument("--format", choices=("text", "json"), help=data_help)
    text = "list every installed rule with its plugin, params and what it computes"
    cmd = sub.add_parser("rules", help=text, description=text, parents=[common, write])
    cmd.add_argument("--format", choices=("text", "json"), help=data_help)
    text = (
        "list the installed rulesets by id, sorted; one that cannot be loaded (a plugin it "
        "needs is missing) is marked with the reason"
    )
    cmd = sub.add_parser("rulesets", help=text, description=text, parents=[common, write])
    cmd.add_argument("--format", choices=("text", "json"), help=data_help)
    text = "check rulesets statically and list every finding with file:line"
    cmd = sub.add_parser("validate", help=text, description=text, parents=[common, write])
    cmd.add_argument("rulesets", nargs="+", metavar="RULESET", help="ruleset id or file")
    cmd.add_argument(
        "--strict",
        action="store_true",
        help="also list every number a reader sees that cites no source and is not assumed; "
        "fail on warnings too",
    )
    text = (
        "print the JSON Schema of score cards (score --format json), rankings (rank --format "
        "json) or uncertainty results (uncertainty --format json)"
    )
    cmd = sub.add_parser("schema", help=text, description=text, parents=[common, write])
    cmd.add_argument("name", choices=SCHEMAS, help="the document the schema describes")
    text = (
        "run the examples and published figures of cases files: every installed ruleset's, or "
        "those named"
    )
    cmd = sub.add_parser("test", help=text, description=text, parents=[common, write])
    cmd.add_argument(
        "targets",
        nargs="*",
        metavar="PATH|RULESET",
        help="a *.cases.yaml file, a directory of them, or a ruleset (id or file) whose cases "
        "file is beside it (default: every installed ruleset)",
    )
    cmd.add_argument(
        "--verbose", "-v", action="store_true", help="list every published figure checked"
    )
    return parser


_COMMANDS: dict[str, Callable[[argparse.Namespace, Registry], int]] = {
    "score": lambda a, r: _cmd_score(a, r, explain=False),
    "explain": lambda a, r: _cmd_score(a, r, explain=True),
    "rank": _cmd_rank,
    "compare": _cmd_compare,
    "template": _cmd_template,
    "plan": _cmd_plan,
    "diff": _cmd_diff,
    "rules": _cmd_rules,
    "rulesets": _cmd_rulesets,
    "validate": _cmd_validate,
    "schema": lambda a, r: _cmd_schema(a),
    "uncertainty": _cmd_uncertainty,
    "test": _cmd_test,
}


_INPUTS = ("units", "before", "after", "unit", "peers", "ruleset", "rulesets", "a", "b")


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before any work is done, an output that is not a regular file or a new path, or
    that is one of the command's inputs (a typo would replace the sheet with its report)."""
    inputs = []
    for name in _INPUTS:
        value = getattr(args, name, None)
        inputs += value if isinstance(value, list) else [value] if value else []
    for option in ("output", "chart"):
        target = getattr(args, option, None)
        if not target or report.check_output(target) is None:
            continue
        for given in inputs:
            if os.path.isfile(given) and os.path.samefile(given, target):
                _error(f"--{option} {target} is also an input: give another file to write")
                raise Failed


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the command is, so that what it was writing is cleaned up
    as on Ctrl-C (and, like Ctrl-C, never taken for a plugin's failure)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _terminated(signum: int, frame: Any) -> None:
    raise Terminated(signum)


_ENDING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextlib.contextmanager
def _terminate_as_exception() -> Iterator[None]:
    """SIGTERM and SIGHUP raise ``Terminated`` inside the block (unless the process was told to
    ignore them, or this is not the main thread, where no handler can be set)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {
        signum: signal.signal(signum, _terminated)
        for signum in _ENDING
        if signal.getsignal(signum) is signal.SIG_DFL
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = make_parser().parse_args(argv)
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    try:
        with _terminate_as_exception():
            _check_outputs(args)
            return _COMMANDS[args.command](args, default_registry())
    except Terminated as exc:
        _error("terminated")
        return 128 + exc.signum
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except SystemExit as exc:  # only plugin code exits from in here: not a success of ours
        if args.debug:
            raise
        _error(f"internal error: a plugin ended the process (SystemExit: {exc.code})")
        return EXIT_FAILED
    except Failed:
        return EXIT_FAILED
    except ParRulesError as exc:
        if args.debug:
            traceback.print_exc()
        _error(exc)
        return EXIT_FAILED
    except BrokenPipeError:  # the reader (e.g. `head`) stopped reading: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:
        if args.debug:
            traceback.print_exc()
        _error(f"{exc.filename or ''}: {exc.strerror or exc}")
        return EXIT_FAILED
    except Exception as exc:
        if args.debug:
            raise
        _error(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)")
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
