"""The paths users run, each against code that produces the same output, measured in one run.

    python benchmarks/paths.py            # about ten minutes on 2 busy cores
    python benchmarks/paths.py --large    # adds 100,000 units (about an hour)

Prints a table, writes ``benchmarks/results/paths-<time>.json`` and ``results/paths-latest.md``.
See benchmarks/README.md for what is measured and how.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gc
import inspect
import io
import itertools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "plain"))

import rank_sheet  # noqa: E402
import yaml  # noqa: E402
from handwritten import Hand  # noqa: E402
from workload import UnitFactory, write_synthetic  # noqa: E402

import parrules  # noqa: E402
from parrules import Ruleset, UnitInputs  # noqa: E402
from parrules._numbers import fmt, fmt_percent  # noqa: E402

TN = "thai-nguyen/commune/2023"
TN_UNITS = 3321
FILES = 2000
KEEP_ALL = 20_000
POOL = 10_000
"""Beyond ``KEEP_ALL`` units, rows and units are this many distinct ones, each used again (both
sides alike), and nothing is kept but a count: a hundred thousand of them would not fit."""
REDUCED = {"stages": "final", "detail": "deductions"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also 100,000 units")
    parser.add_argument("--reps", type=int, default=5, help="interleaved repetitions (≥ 3)")
    parser.add_argument("--only", help="comma-separated sections: api,json,workers,memory,cli,rank")
    parser.add_argument("--sizes", help="comma-separated batch sizes instead of 1,000 and 10,000")
    args = parser.parse_args()
    sections = set((args.only or "api,json,workers,memory,cli,rank").split(","))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        synthetic = parrules.load_ruleset(write_synthetic(Path(tmp)))
        tn = parrules.load_ruleset(TN)
        LOADED.extend((synthetic, tn))
        report: dict[str, Any] = {"machine": machine(), "sections": {}}
        run = report["sections"]
        sizes = [int(n) for n in args.sizes.split(",")] if args.sizes else [1_000, 10_000]
        sizes += [100_000] if args.large else []
        if "api" in sections:
            run["api"] = [api_paths(synthetic, "b", n, args.reps) for n in sizes]
            run["api"].append(api_paths(tn, "a", TN_UNITS, args.reps))
            progress("api", run["api"])
        if "json" in sections:
            run["json"] = [json_paths(synthetic, "b", n, args.reps) for n in sizes if n <= KEEP_ALL]
            run["json"].append(json_paths(tn, "a", TN_UNITS, args.reps))
            progress("json", run["json"])
        if "workers" in sections:
            run["workers"] = [workers(synthetic, n, args.reps) for n in sizes if n <= KEEP_ALL]
            progress("workers", run["workers"])
        if "memory" in sections:
            run["memory"] = [memory(synthetic, "b"), memory(tn, "a")]
            progress("memory", run["memory"])
        if "cli" in sections:
            run["cli"] = command_line(tn, Path(tmp), args.reps)
            progress("cli", run["cli"])
        if "rank" in sections:
            run["rank"] = rank_command(tn, Path(tmp), args.reps)
            progress("rank", run["rank"])
    report["machine"]["load_average_after"] = os.getloadavg()
    report["seconds"] = round(time.perf_counter() - started, 1)
    write(report)


def progress(section: str, figures: Any) -> None:
    """A section done: its figures go to stderr at once, so that a run stopped later keeps them."""
    print(f"{section} done, load average {os.getloadavg()[0]:.2f}", file=sys.stderr)
    print(json.dumps(figures, ensure_ascii=False), file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "parrules": parrules.__version__,
        "date": dt.datetime.now().isoformat(timespec="seconds"),
    }


# Timing ---------------------------------------------------------------------------------------


def timed(fn: Callable[[], Any]) -> float:
    """CPU seconds of ``fn()`` in this process; its result is kept until the time is read."""
    gc.collect()
    cpu = time.process_time()
    result = fn()
    cpu = time.process_time() - cpu
    del result
    return cpu


def wall(fn: Callable[[], Any]) -> float:
    gc.collect()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    del result
    return seconds


def interleaved(
    contenders: dict[str, Callable[[], Any]], reps: int, clock: Callable[..., float] = timed
) -> dict[str, list[float]]:
    """Each contender ``reps`` times, the order rotating from one repetition to the next."""
    times: dict[str, list[float]] = {k: [] for k in contenders}
    order = list(contenders)
    for rep in range(reps):
        turn = rep % len(order)
        for key in order[turn:] + order[:turn]:
            forget()
            times[key].append(clock(contenders[key]))
    return times


LOADED: list[Ruleset] = []


def forget() -> None:
    """Each run starts as the first batch of a process does: without the texts a ruleset keeps
    for its cards (lost points' texts by their values, the nodes' JSON), which B does not have."""
    for ruleset in LOADED:
        found = parrules._model.shape(ruleset)
        for kept in (getattr(found, "said", {}), found.json):
            kept.clear()


def ratio(times: dict[str, list[float]], a: str, b: str) -> float:
    """The median over repetitions of ``a``'s time ÷ ``b``'s in the same repetition."""
    return round(statistics.median(x / y for x, y in zip(times[a], times[b], strict=True)), 3)


def med(times: dict[str, list[float]], key: str) -> float:
    return round(statistics.median(times[key]), 4)


# The API paths: from row dicts to every lost point's reason -----------------------------------


def rows_and_units(ruleset: Ruleset, n: int) -> tuple[list[dict[str, Any]], list[UnitInputs]]:
    factory = UnitFactory(ruleset)
    rows = [factory.data(k) for k in range(min(n, POOL))]
    return rows, [parrules.unit_from_mapping(row, ruleset) for row in rows]


def each(items: Sequence[Any], n: int) -> Iterable[Any]:
    """``n`` items: the items, used again as often as needed."""
    return itertools.islice(itertools.cycle(items), n)


def reasons(cards: Iterable[parrules.ScoreCard]) -> list[Any]:
    return [(c, [d.reason("vi") for s in c.stages for d in s.deductions]) for c in cards]


def count(items: Iterable[Any]) -> int:
    return sum(1 for _ in items)


def api_paths(ruleset: Ruleset, name: str, n: int, reps: int) -> dict[str, Any]:
    """B (hand-written, from the row dicts, a dict per lost point with its reason) against the
    engine's paths: scoring alone, then reading every reason, then from the row dicts."""
    rows, units = rows_and_units(ruleset, n)
    check_reasons(ruleset, rows[:200])
    hand = Hand(ruleset)

    def from_rows() -> Iterable[UnitInputs]:
        return (parrules.unit_from_mapping(row, ruleset) for row in each(rows, n))

    keep: Callable[[Iterable[Any]], Any] = list if n <= KEEP_ALL else count
    contenders = {
        "B": lambda: keep(hand.reasons(row) for row in each(rows, n)),
        "score_many": lambda: keep(parrules.score_many(ruleset, each(units, n))),
        "score_many + reasons": lambda: keep(reasons(parrules.score_many(ruleset, each(units, n)))),
        "rows → reasons": lambda: keep(reasons(parrules.score_many(ruleset, from_rows()))),
        "unit_from_mapping": lambda: keep(from_rows()),
    }
    times = interleaved(contenders, reps if n < 100_000 else min(reps, 3))
    sample = parrules.score_many(ruleset, units[:200])
    deductions = sum(len(s.deductions) for c in sample for s in c.stages)
    return {
        "workload": name,
        "units": n,
        "kept": "all" if n <= KEEP_ALL else "count",
        "deductions_per_unit": round(deductions / min(200, len(units)), 1),
        "seconds": {k: med(times, k) for k in times},
        # speed × B: B's time ÷ the path's (above 1, faster than B)
        "score_many_x_b": ratio(times, "B", "score_many"),
        "reasons_x_b": ratio(times, "B", "score_many + reasons"),
        "rows_x_b": ratio(times, "B", "rows → reasons"),
        "unit_from_mapping_per_scoring": ratio(times, "unit_from_mapping", "score_many"),
        "reasons_per_scoring": ratio(times, "score_many + reasons", "score_many"),
    }


def check_reasons(ruleset: Ruleset, rows: Sequence[dict[str, Any]]) -> None:
    """B must give the engine's points, classes and reasons, or the comparison means nothing."""
    hand = Hand(ruleset)
    for row in rows:
        card = parrules.score(ruleset, parrules.unit_from_mapping(row, ruleset))
        engine = [
            {
                "stage": s.stage,
                "total": s.total,
                "classification": s.classification.label if s.classification else None,
                "deductions": [
                    {"code": d.code, "lost": d.lost, "reason": d.reason("vi")} for d in s.deductions
                ],
            }
            for s in card.stages
        ]
        if hand.reasons(row) != engine:
            raise SystemExit(f"B differs from the engine on {row['unit']} ({ruleset.id})")


# JSON -----------------------------------------------------------------------------------------


class Sink(io.TextIOBase):
    """A text stream that counts what is written and keeps nothing."""

    def __init__(self) -> None:
        self.chars = 0

    def write(self, text: str) -> int:
        self.chars += len(text)
        return len(text)


def reduced_supported() -> bool:
    return "stages" in inspect.signature(parrules.write_jsonl).parameters


def write_reduced(cards: Iterable[parrules.ScoreCard], sink: Sink) -> int:
    """The final stage's summary and lost points: through the API where it offers them, else
    as a user gets them today (the whole card, then the rest dropped)."""
    if reduced_supported():
        return int(parrules.write_jsonl(cards, sink, **REDUCED))  # type: ignore[call-arg]
    written = 0
    for card in cards:
        data = card.to_dict()
        final = data["stages"][-1]
        del final["nodes"]
        data["stages"] = [final]
        sink.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")
        written += 1
    return written


def json_paths(ruleset: Ruleset, name: str, n: int, reps: int) -> dict[str, Any]:
    """``write_jsonl(score_many(...))`` against hand-written code building the same document
    (checked byte for byte) and dumping it, from the same units."""
    _, units = rows_and_units(ruleset, n)
    hand = Hand(ruleset)
    for unit in units[:200]:
        engine = io.StringIO()
        parrules.write_jsonl([parrules.score(ruleset, unit)], engine)
        if engine.getvalue() != hand.json_line(unit) + "\n":
            raise SystemExit(f"the hand-built JSON differs from the engine's on {unit.unit}")

    def by_hand() -> int:
        sink = Sink()
        for unit in units:
            sink.write(hand.json_line(unit) + "\n")
        return sink.chars

    contenders = {
        "hand-built dict + json.dumps": by_hand,
        "write_jsonl": lambda: parrules.write_jsonl(parrules.score_many(ruleset, units), Sink()),
        "write_jsonl final, deductions": lambda: write_reduced(
            parrules.score_many(ruleset, units), Sink()
        ),
        "score_many": lambda: list(parrules.score_many(ruleset, units)),
    }
    times = interleaved(contenders, reps)
    return {
        "workload": name,
        "units": n,
        "reduced_api": reduced_supported(),
        "seconds": {k: med(times, k) for k in times},
        "jsonl_per_hand": ratio(times, "write_jsonl", "hand-built dict + json.dumps"),
        "jsonl_per_scoring": ratio(times, "write_jsonl", "score_many"),
        "hand_per_scoring": ratio(times, "hand-built dict + json.dumps", "score_many"),
        "reduced_per_scoring": ratio(times, "write_jsonl final, deductions", "score_many"),
    }


# Workers --------------------------------------------------------------------------------------


def workers(ruleset: Ruleset, n: int, reps: int) -> dict[str, Any]:
    """Wall time of one process against two, scoring alone and writing JSON Lines."""
    _, units = rows_and_units(ruleset, n)
    contenders = {
        "score_many workers=1": lambda: list(parrules.score_many(ruleset, units, workers=1)),
        "score_many workers=2": lambda: list(parrules.score_many(ruleset, units, workers=2)),
        "write_jsonl workers=1": lambda: parrules.write_jsonl(
            parrules.score_many(ruleset, units, workers=1), Sink()
        ),
        "write_jsonl workers=2": lambda: parrules.write_jsonl(
            parrules.score_many(ruleset, units, workers=2), Sink()
        ),
    }
    times = interleaved(contenders, reps, clock=wall)
    return {
        "workload": "b",
        "units": n,
        "seconds": {k: med(times, k) for k in times},
        "score_speedup": ratio(times, "score_many workers=1", "score_many workers=2"),
        "jsonl_speedup": ratio(times, "write_jsonl workers=1", "write_jsonl workers=2"),
    }


# Memory ---------------------------------------------------------------------------------------


def memory(ruleset: Ruleset, name: str, n: int = 500) -> dict[str, Any]:
    """Bytes per unit: the row dicts as given, and the ``UnitInputs`` made from them."""
    factory = UnitFactory(ruleset)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    rows = [factory.data(k) for k in range(n)]
    gc.collect()
    plain = tracemalloc.get_traced_memory()[0] - base
    units = [parrules.unit_from_mapping(row, ruleset) for row in rows]
    gc.collect()
    made = tracemalloc.get_traced_memory()[0] - base - plain
    tracemalloc.stop()
    del units, rows
    return {
        "workload": name,
        "row_kb": round(plain / n / 1024, 2),
        "unit_kb": round(made / n / 1024, 2),
        "unit_per_row": round(made / plain, 2),
    }


# The command line: whole processes ------------------------------------------------------------


def run_interleaved(
    commands: dict[str, list[str]], reps: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and CPU seconds of each command, ``reps`` times, the order rotating."""
    walls: dict[str, list[float]] = {k: [] for k in commands}
    cpus: dict[str, list[float]] = {k: [] for k in commands}
    order = list(commands)
    for rep in range(reps):
        turn = rep % len(order)
        for key in order[turn:] + order[:turn]:
            seconds, cpu = run_command(commands[key])
            walls[key].append(seconds)
            cpus[key].append(cpu)
    return walls, cpus


def run_command(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, of the process and what it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    checked(command)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return seconds, cpu


def checked(command: list[str]) -> None:
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode:
        shown = " ".join(command[:3])
        raise SystemExit(f"{shown} … failed ({done.returncode}):\n{done.stderr[-3000:]}")


def command_line(ruleset: Ruleset, tmp: Path, reps: int) -> dict[str, Any]:
    """``parrules score FILES --format jsonl`` against the 20-line script on 2,000 unit files,
    and ``parrules rank SHEET.csv`` against the plain script on 3,321 rows, whole processes."""
    files = unit_files(ruleset, tmp / "units", FILES)
    exe = str(Path(sys.executable).parent / "parrules")
    out = str(tmp / "out.jsonl")
    commands = {
        "script": [
            *(sys.executable, str(HERE / "plain" / "score_jsonl.py")),
            *(ruleset.id, out + ".script", *files),
        ],
        "parrules score --format jsonl": [exe, "score", *files, "--format", "jsonl", "-o", out],
        "parrules score --workers 2": [
            *(exe, "score", *files, "--format", "jsonl"),
            *("--workers", "2", "-o", out + ".2"),
        ],
    }
    if reduced_supported():
        commands["parrules score --stages final --detail deductions"] = [
            *(exe, "score", *files, "--format", "jsonl"),
            *("--stages", "final", "--detail", "deductions", "-o", out + ".r"),
        ]
    for command in commands.values():  # once, to check the outputs and warm the caches
        checked(command)
    for written in (out, out + ".2"):
        if Path(written).read_text("utf-8") != Path(out + ".script").read_text("utf-8"):
            raise SystemExit("parrules score --format jsonl writes other lines than the script")
    walls, cpus = run_interleaved(commands, reps)
    result: dict[str, Any] = {
        "files": FILES,
        "wall": {k: med(walls, k) for k in walls},
        "cpu": {k: med(cpus, k) for k in cpus},
        "score_x_script": ratio(walls, "script", "parrules score --format jsonl"),
        "units_per_s": round(FILES / statistics.median(walls["parrules score --format jsonl"])),
        "workers_speedup": ratio(
            walls, "parrules score --format jsonl", "parrules score --workers 2"
        ),
        "units_per_s_workers": round(
            FILES / statistics.median(walls["parrules score --workers 2"])
        ),
    }
    if reduced_supported():
        key = "parrules score --stages final --detail deductions"
        result["reduced_x_script"] = ratio(walls, "script", key)
    return result


def rank_command(ruleset: Ruleset, tmp: Path, reps: int) -> dict[str, Any]:
    """``parrules rank SHEET.csv`` against the plain script on 3,321 rows, whole processes, and
    the sheet reader against ``csv.DictReader`` + ``unit_from_mapping``."""
    sheet = sheet_file(ruleset, tmp / "units.csv", TN_UNITS)
    exe = str(Path(sys.executable).parent / "parrules")
    commands = {
        "rank script": [sys.executable, str(HERE / "plain" / "rank_sheet.py"), sheet],
        "parrules rank": [exe, "rank", sheet],
    }
    for command in commands.values():  # once, to check they run and warm the caches
        checked(command)
    check_sheet(sheet)
    walls, cpus = run_interleaved(commands, reps)
    _, units = rank_sheet.read(sheet)
    reader = interleaved(
        {
            "read_sheet": lambda: parrules._sheets.read_sheet(sheet),
            "csv.DictReader + unit_from_mapping": lambda: rank_sheet.read(sheet),
            "score": lambda: [parrules.score(ruleset, u) for u in units],
        },
        reps,
    )
    return {
        "rows": TN_UNITS,
        "wall": {k: med(walls, k) for k in walls},
        "cpu": {k: med(cpus, k) for k in cpus},
        "rank_per_script": ratio(walls, "parrules rank", "rank script"),
        "rank_cpu_per_script": ratio(cpus, "parrules rank", "rank script"),
        "reader_per_plain": ratio(reader, "read_sheet", "csv.DictReader + unit_from_mapping"),
        "reader_seconds": {k: med(reader, k) for k in reader},
    }


def _number(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def unit_files(ruleset: Ruleset, folder: Path, n: int) -> list[str]:
    """Unit files as a person writes them: numbers plain, dates as dates."""
    folder.mkdir()

    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    def number(dumper: yaml.SafeDumper, value: Decimal) -> yaml.Node:
        text = format(value, "f")
        kind = "int" if value == value.to_integral_value() and "." not in text else "float"
        return dumper.represent_scalar(f"tag:yaml.org,2002:{kind}", text)

    Dumper.add_representer(Decimal, number)
    factory = UnitFactory(ruleset)
    paths = []
    for k in range(n):
        path = folder / f"unit-{k:05d}.yaml"
        text = yaml.dump(factory.data(k), Dumper=Dumper, allow_unicode=True, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    return paths


def sheet_file(ruleset: Ruleset, path: Path, n: int) -> str:
    """A sheet with the template's headings, one unit per row (its own stage), the cells as a
    person types them."""
    from parrules._sheets import template_columns

    columns = [c for c in template_columns(ruleset, "vi") if c.kind != "items"]
    factory = UnitFactory(ruleset)
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([c.header for c in columns])
        for k in range(n):
            data = factory.data(k)
            values, points = data["indicators"], data["points"]
            row = []
            for column in columns:
                if column.key == "unit":
                    row.append(data["unit"])
                elif column.key == "year":
                    row.append(str(data["year"]))
                elif column.key == "ruleset":
                    row.append(ruleset.id)
                elif column.kind == "points":
                    entry = points.get(column.key)
                    given = entry["points"] if isinstance(entry, dict) else entry
                    row.append("" if given is None else fmt(Decimal(given)))
                elif column.kind == "reason":
                    entry = points.get(column.key.split(" ", 1)[1])
                    row.append(entry["reason"] if isinstance(entry, dict) else "")
                else:
                    row.append(_cell(column.kind, values.get(column.key)))
            writer.writerow(row)
    return str(path)


def _cell(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if kind == "bool":
        return "có" if value else "không"
    if kind == "ratio":
        return fmt_percent(Decimal(value))
    return fmt(Decimal(value))


def check_sheet(sheet: str) -> None:
    """The sheet reader and the plain script must read the same units."""
    read = parrules._sheets.read_sheet(sheet)
    _, plain = rank_sheet.read(sheet)
    units = [row.unit for row in read.rows]
    if len(units) != len(plain) or any(
        a is None
        or a.stages[-1].indicators != b.stages[-1].indicators
        or {c: p.points for c, p in a.stages[-1].points.items()}
        != {c: p.points for c, p in b.stages[-1].points.items()}
        for a, b in zip(units, plain, strict=True)
    ):
        raise SystemExit("the sheet reader and the plain script read different units")


# Output ---------------------------------------------------------------------------------------


def write(report: dict[str, Any]) -> None:
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = json.dumps(report, indent=2, ensure_ascii=False)
    (results / f"paths-{stamp}.json").write_text(text + "\n", encoding="utf-8")
    (results / "paths-latest.json").write_text(text + "\n", encoding="utf-8")
    table = markdown(report)
    (results / "paths-latest.md").write_text(table, encoding="utf-8")
    print(table)


def _x(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def markdown(r: dict[str, Any]) -> str:
    m, s = r["machine"], r["sections"]
    out = [
        f"Run {m['date']}, Python {m['python']}, {m['cpus']} CPUs, load average "
        f"{m['load_average'][0]:.2f} before, {m['load_average_after'][0]:.2f} after; the whole "
        f"run took {r['seconds']} s.",
        "",
        "| path | workload, units | measured | target |",
        "|---|---|--:|--:|",
    ]
    for row in s.get("api", []):
        where = f"{row['workload']}, {row['units']:,}"
        out += [
            f"| `score_many` alone | {where} | **{_x(row['score_many_x_b'])} × B** | ≥ 1.5 × B |",
            f"| `score_many` + every deduction's `reason('vi')` | {where} | "
            f"**{_x(row['reasons_x_b'])} × B** | |",
            f"| from B's row dicts (`unit_from_mapping`) to every reason | {where} | "
            f"**{_x(row['rows_x_b'])} × B** | ≥ 1.0 × B |",
            f"| `unit_from_mapping` ÷ scoring | {where} | "
            f"**{_x(row['unit_from_mapping_per_scoring'])}** | ≤ 0.5 |",
        ]
    for row in s.get("json", []):
        where = f"{row['workload']}, {row['units']:,}"
        reduced = "" if row["reduced_api"] else " (today: `to_dict`, then the rest dropped)"
        out += [
            f"| `write_jsonl(score_many(...))` ÷ hand-built dict + `json.dumps` | {where} | "
            f"**{_x(row['jsonl_per_hand'])}** (engine {_x(row['jsonl_per_scoring'])}× the "
            f"scoring, hand-built {_x(row['hand_per_scoring'])}×) | ≤ 1.0 |",
            f"| final stage, deductions only ÷ scoring{reduced} | {where} | "
            f"**{_x(row['reduced_per_scoring'])}** | ≤ 2 |",
        ]
    for row in s.get("workers", []):
        where = f"b, {row['units']:,}"
        out += [
            f"| `score_many` workers=2 speed-up (wall) | {where} | "
            f"**×{_x(row['score_speedup'])}** | ≥ ×1.0 |",
            f"| `write_jsonl(score_many(..., workers=2))` speed-up (wall) | {where} | "
            f"**×{_x(row['jsonl_speedup'])}** | ≥ ×1.0 |",
        ]
    for row in s.get("memory", []):
        out.append(
            f"| `UnitInputs` ÷ the row dict's memory | {row['workload']}, 500 | "
            f"**{_x(row['unit_per_row'])}** ({row['unit_kb']:.1f} KB ÷ {row['row_kb']:.1f} KB) "
            "| ≤ 1.5 |"
        )
    c = s.get("cli")
    if c:
        w = c["wall"]
        out += [
            f"| `parrules score FILES --format jsonl`, speed × the 20-line script (whole "
            f"process, wall) | a, {c['files']:,} files | **{_x(c['score_x_script'])}** "
            f"({w['script']:.2f} s ÷ {w['parrules score --format jsonl']:.2f} s) | ≥ 1.0 |",
            f"| the same, units/s | a, {c['files']:,} files | **{c['units_per_s']:,}** | ≥ 1,000 |",
            f"| the same with `--workers 2`, speed-up | a, {c['files']:,} files | "
            f"**×{_x(c['workers_speedup'])}** ({c.get('units_per_s_workers', '–')} units/s) "
            "| ≥ ×1.0 |",
        ]
        if "reduced_x_script" in c:
            out.append(
                f"| `--stages final --detail deductions`, speed × the script | a, "
                f"{c['files']:,} files | **{_x(c['reduced_x_script'])}** | |"
            )
    k = s.get("rank")
    if k:
        w = k["wall"]
        out += [
            f"| `parrules rank SHEET.csv` ÷ the plain script (whole process, wall) | a, "
            f"{k['rows']:,} rows | **{_x(k['rank_per_script'])}** ({w['parrules rank']:.2f} s "
            f"÷ {w['rank script']:.2f} s; CPU {_x(k['rank_cpu_per_script'])}) | ≤ 1.0 |",
            f"| sheet reader ÷ `csv.DictReader` + `unit_from_mapping` | a, {k['rows']:,} rows | "
            f"**{_x(k['reader_per_plain'])}** | |",
        ]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
