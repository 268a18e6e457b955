"""The input side of the paths users run, each against plain code doing the same work, in one run.

    python benchmarks/bench_inputs.py                 # about five minutes on 2 busy cores
    python benchmarks/bench_inputs.py --only mapping,yaml

Sections (ratios are medians over interleaved repetitions of one side's time ÷ the other's in
the same repetition):

- ``mapping``: ``unit_from_mapping`` over row dicts ÷ ``score_many`` over the same units
  (CPU); bytes a unit holds once its row dict is gone ÷ bytes the row dict holds (tracemalloc).
- ``yaml``: unit files read by ``load_file`` as it runs here (libyaml where present) ÷ the pure
  Python loader; ÷ PyYAML's own ``CSafeLoader`` (which checks nothing) for scale.
- ``sheet``: ``read_sheet`` of 3,321 rows (CSV) ÷ ``csv.DictReader`` + ``unit_from_mapping``
  (``plain/rank_sheet.py``'s reader), CPU.
- ``cli``: whole processes, their CPU time (user + system; steadier than wall time on a shared
  machine): ``parrules score FILES --format jsonl`` of 2,000 unit
  files against ``plain/score_jsonl.py`` (the 20-line public-API script), and units/s;
  ``parrules rank sheet.csv`` against ``plain/rank_sheet.py``.
"""

from __future__ import annotations

import argparse
import csv
import gc
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "plain"))

import rank_sheet  # noqa: E402
from workload import UnitFactory, write_synthetic  # noqa: E402

import parrules  # noqa: E402
from parrules import Ruleset  # noqa: E402
from parrules._sheets import read_sheet, template_columns  # noqa: E402

TN = "thai-nguyen/commune/2023"
TN_UNITS = 3321
FILES = 2000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5, help="interleaved repetitions")
    parser.add_argument("--only", help="comma-separated sections: mapping,yaml,sheet,cli")
    args = parser.parse_args()
    sections = (args.only or "mapping,yaml,sheet,cli").split(",")
    print(f"load average {os.getloadavg()[0]:.2f}, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        tn = parrules.load_ruleset(TN)
        files = write_unit_files(tn, tmp / "units", FILES)
        sheet = write_sheet(tn, tmp / "sheet.csv", TN_UNITS)
        for section in sections:
            started = time.perf_counter()
            if section == "mapping":
                mapping(parrules.load_ruleset(write_synthetic(tmp)), "b", 1000, args.reps)
                mapping(tn, "a", TN_UNITS, args.reps)
            elif section == "yaml":
                yaml_files(files, args.reps)
            elif section == "sheet":
                sheet_reader(sheet, args.reps)
            elif section == "cli":
                command_line(tn, files, sheet, tmp, args.reps)
            took = time.perf_counter() - started
            print(f"  ({section}: {took:.0f} s, load average {os.getloadavg()[0]:.2f})")


# Timing ---------------------------------------------------------------------------------------


def cpu(fn: Callable[[], Any]) -> float:
    gc.collect()
    start = time.process_time()
    result = fn()
    seconds = time.process_time() - start
    del result
    return seconds


def child_cpu(fn: Callable[[], Any]) -> float:
    """CPU seconds (user + system) of the processes ``fn`` runs: on a machine shared with other
    work, steadier than their wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    fn()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def interleaved(
    contenders: dict[str, Callable[[], Any]], reps: int, clock: Callable[..., float] = cpu
) -> dict[str, list[float]]:
    """Each contender ``reps`` times, the order rotating from one repetition to the next."""
    times: dict[str, list[float]] = {k: [] for k in contenders}
    order = list(contenders)
    for rep in range(reps):
        turn = rep % len(order)
        for key in order[turn:] + order[:turn]:
            times[key].append(clock(contenders[key]))
    return times


def ratio(times: dict[str, list[float]], a: str, b: str) -> float:
    """The median over repetitions of ``a``'s time ÷ ``b``'s in the same repetition."""
    return statistics.median(x / y for x, y in zip(times[a], times[b], strict=True))


def med(times: dict[str, list[float]], key: str) -> float:
    return statistics.median(times[key])


# Workloads ------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    text = format(value, "f")
    kind = "float" if "." in text else "int"
    return dumper.represent_scalar(f"tag:yaml.org,2002:{kind}", text)


_Dumper.add_representer(Decimal, _decimal)


def write_unit_files(ruleset: Ruleset, directory: Path, n: int) -> list[str]:
    """``n`` unit files of three stages, as a district writes them."""
    directory.mkdir()
    factory = UnitFactory(ruleset)
    paths = []
    for k in range(n):
        path = directory / f"unit-{k:05d}.yaml"
        text = yaml.dump(factory.data(k), Dumper=_Dumper, allow_unicode=True, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    return paths


def write_sheet(ruleset: Ruleset, path: Path, n: int) -> Path:
    """A CSV batch sheet with the template's headings, one row per unit (its first stage)."""
    columns = template_columns(ruleset)
    factory = UnitFactory(ruleset)
    with path.open("w", encoding="utf-8", newline="") as file:
        out = csv.writer(file)
        out.writerow([c.header for c in columns])
        for k in range(n):
            data = factory.data(k)
            values, points = data["indicators"], data["points"]
            row = []
            for column in columns:
                if column.key in ("unit", "year", "ruleset"):
                    row.append(str(data[column.key]))
                elif column.kind == "points":
                    entry = points.get(column.key)
                    entry = entry["points"] if isinstance(entry, dict) else entry
                    row.append("" if entry is None else format(entry, "f"))
                elif column.kind == "reason":
                    entry = points.get(column.key.split(" ", 1)[1])
                    row.append(entry["reason"] if isinstance(entry, dict) else "")
                else:
                    row.append(_cell(values.get(column.key)))
            out.writerow(row)
    return path


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "có" if value else "không"
    return format(value, "f") if isinstance(value, Decimal) else str(value)


# Sections -------------------------------------------------------------------------------------


def mapping(ruleset: Ruleset, name: str, n: int, reps: int) -> None:
    factory = UnitFactory(ruleset)
    rows = [factory.data(k) for k in range(n)]
    units = [parrules.unit_from_mapping(row, ruleset) for row in rows]
    values = sum(_values(row) for row in rows) / n
    times = interleaved(
        {
            "unit_from_mapping": lambda: [parrules.unit_from_mapping(r, ruleset) for r in rows],
            "score_many": lambda: list(parrules.score_many(ruleset, units)),
        },
        reps,
    )
    per = med(times, "unit_from_mapping") / n * 1e6
    print(
        f"mapping {name} ({n:,} units, {values:.0f} values each): unit_from_mapping "
        f"{per:.0f} µs/unit, score_many {med(times, 'score_many') / n * 1e6:.0f} µs/unit; "
        f"unit_from_mapping ÷ scoring **{ratio(times, 'unit_from_mapping', 'score_many'):.2f}**"
        " (target ≤ 0.5)"
    )
    plain, inputs = memory(factory, ruleset, min(n, 500))
    print(
        f"  memory per unit: UnitInputs {inputs / 1024:.1f} KB, row dict {plain / 1024:.1f} KB; "
        f"ratio **{inputs / plain:.2f}** (target ≤ 1.5)"
    )


def _values(value: Any) -> int:
    """Scalar values in a row dict (its size as the issue counts it)."""
    if isinstance(value, dict):
        return sum(_values(v) for v in value.values())
    if isinstance(value, list):
        return sum(_values(v) for v in value)
    return 1


def memory(factory: UnitFactory, ruleset: Ruleset, n: int) -> tuple[float, float]:
    """Bytes per unit held by its row dicts alone, and by its ``UnitInputs`` once the row
    dicts are gone."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    rows = [factory.data(k) for k in range(n)]
    plain = tracemalloc.get_traced_memory()[0] - base
    del rows
    gc.collect()
    base = tracemalloc.get_traced_memory()[0]
    units = [parrules.unit_from_mapping(factory.data(k), ruleset) for k in range(n)]
    gc.collect()
    inputs = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    del units
    return plain / n, inputs / n


def yaml_files(files: list[str], reps: int) -> None:
    from parrules import _yaml

    texts = [Path(f).read_text(encoding="utf-8") for f in files[:500]]
    pure = getattr(_yaml, "load_text_pure", None)

    def python_composed() -> Any:
        if pure is not None:
            return [pure(t, "unit.yaml") for t in texts]
        loader, _yaml._Loader = _yaml._Loader, _yaml._PyLoader  # before the C composer existed
        try:
            return [_yaml.load_text(t, "unit.yaml") for t in texts]
        finally:
            _yaml._Loader = loader

    times = interleaved(
        {
            "load_text": lambda: [_yaml.load_text(t, "unit.yaml") for t in texts],
            "pure": python_composed,
            "CSafeLoader": lambda: [yaml.load(t, Loader=yaml.CSafeLoader) for t in texts],
        },
        reps,
    )
    n = len(texts)
    print(
        f"yaml ({n} unit files, {sum(map(len, texts)) / n / 1024:.1f} KB each): load_text "
        f"{med(times, 'load_text') / n * 1e6:.0f} µs/file, pure Python "
        f"{med(times, 'pure') / n * 1e6:.0f} µs, CSafeLoader (no checks) "
        f"{med(times, 'CSafeLoader') / n * 1e6:.0f} µs; load_text ÷ pure "
        f"**{ratio(times, 'load_text', 'pure'):.2f}**, ÷ CSafeLoader "
        f"**{ratio(times, 'load_text', 'CSafeLoader'):.2f}**"
    )


def sheet_reader(sheet: Path, reps: int) -> None:
    def plain() -> Any:
        return rank_sheet.read(str(sheet))

    plain()  # the ruleset loaded and cached once, as for read_sheet
    times = interleaved({"read_sheet": lambda: read_sheet(sheet), "plain": plain}, reps)
    rows = read_sheet(sheet).rows
    assert all(r.unit is not None for r in rows), [r.errors for r in rows if r.errors][:3]
    read = [attrs.evolve(r.unit, path=None) for r in rows if r.unit is not None]
    assert read == plain()[1], "the plain reader reads other units"
    print(
        f"sheet ({len(rows):,} rows, CSV): read_sheet {med(times, 'read_sheet'):.2f} s, "
        f"csv.DictReader + unit_from_mapping {med(times, 'plain'):.2f} s; ratio "
        f"**{ratio(times, 'read_sheet', 'plain'):.2f}** (target ≤ 1.0)"
    )


def command_line(ruleset: Ruleset, files: list[str], sheet: Path, tmp: Path, reps: int) -> None:
    python = sys.executable
    cli = [str(Path(python).parent / "parrules")]
    out = tmp / "out.jsonl"
    plain_out = tmp / "plain.jsonl"
    scripts = HERE / "plain"

    def run(argv: list[str]) -> Callable[[], None]:
        def go() -> None:
            done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if done.returncode:
                raise SystemExit(f"{Path(argv[1]).name} {argv[2]}: {done.stderr[-2000:]!r}")

        return go

    contenders = {
        "cli": run([*cli, "score", *files, "--format", "jsonl", "--output", str(out)]),
        "plain": run([python, str(scripts / "score_jsonl.py"), TN, str(plain_out), *files]),
    }
    times = interleaved(contenders, reps, child_cpu)
    with out.open() as a, plain_out.open() as b:
        assert sum(1 for _ in a) == sum(1 for _ in b) == len(files)
    print(
        f"score FILES --format jsonl ({len(files):,} files): parrules {med(times, 'cli'):.2f} s "
        f"(**{len(files) / med(times, 'cli'):.0f} units per CPU second**, target ≥ 1,000), "
        f"20-line script {med(times, 'plain'):.2f} s; speed × script "
        f"**{ratio(times, 'plain', 'cli'):.2f}** (target ≥ 1.0)"
    )
    contenders = {
        "cli": run([*cli, "rank", str(sheet)]),
        "plain": run([python, str(scripts / "rank_sheet.py"), str(sheet)]),
    }
    times = interleaved(contenders, reps, child_cpu)
    print(
        f"rank sheet.csv ({TN_UNITS:,} rows): parrules {med(times, 'cli'):.2f} s, plain script "
        f"{med(times, 'plain'):.2f} s; ratio **{ratio(times, 'cli', 'plain'):.2f}** "
        "(target ≤ 1.0)"
    )


if __name__ == "__main__":
    main()
