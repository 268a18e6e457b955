"""Benchmark of the exact vectorised path and of uncertainty studies, against baselines measured
in the same run.

1. Points only, at 100,000 units of the synthetic workload (``workload.py``): every node's
   points by ``parrules.vector.score_columns`` (integer fixed point, equal to the engine's) and by
   hand-written numpy float code for the same ruleset (``float_baseline.py``), both from the same
   arrays in memory; the ratio of their CPU times (float ÷ vectorised: ≥ 0.5 means at least half
   the speed of the float code), median of interleaved repetitions. Before timing, the
   vectorised points are checked equal to the engine's on 2,000 units; the float code's results
   that differ from the exact ones are counted.
2. An uncertainty study of the Thái Nguyên commune ruleset, 3,321 units × 1,000 draws, in one
   process (``workers=1``), with and without sensitivity.

    python benchmarks/bench_vector.py               # about five minutes
    python benchmarks/bench_vector.py --units 20000 # a quick run
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from float_baseline import FloatBaseline, FloatInputs
from workload import UnitFactory, write_synthetic

import parrules
from parrules import Variation
from parrules.vector import Columns, score_columns

HERE = Path(__file__).resolve().parent
TN = "thai-nguyen/commune/2023"
TN_UNITS = 3_321
TARGETS = {"points_ratio": 0.5, "study_seconds": 60}


def cpu(fn: Callable[[], Any]) -> float:
    gc.collect()
    start = time.process_time()
    result = fn()
    spent = time.process_time() - start
    del result
    return spent


def done(section: str, clock: list[float]) -> None:
    print(f"{section}: {time.perf_counter() - clock[0]:.1f} s", file=sys.stderr)
    clock[0] = time.perf_counter()


def points_only(units: int, reps: int, clock: list[float]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        ruleset = parrules.load_ruleset(write_synthetic(Path(tmp)))
    made = UnitFactory(ruleset).units(units)
    done(f"{units:,} synthetic units", clock)
    columns = Columns.from_units(ruleset, made)
    floats = FloatInputs(columns, ruleset)
    baseline = FloatBaseline(ruleset)
    done("columns", clock)
    sample = made[:2_000]
    exact = score_columns(Columns.from_units(ruleset, sample))
    for row, unit in enumerate(sample):
        result = parrules.score(ruleset, unit).final
        for node in ruleset.flat:
            expected = None if (r := result.get(node.code)) is None else r.points
            if exact.node(row, node.code) != expected:
                raise SystemExit(f"the vectorised path differs from the engine on {unit.unit}")
    scores = score_columns(columns)
    plain = baseline.score(floats)
    differ = sum(
        int((np.abs(plain[node.code] - scores.nodes[i] / 10.0**scores.scale) > 1e-9).sum())
        for i, node in enumerate(ruleset.flat)
        if scores.nodes is not None
    )
    totals = int((np.abs(plain[""] - scores.total / 10.0**scores.scale) > 1e-9).sum())
    done("checks", clock)
    contenders = {"vector": lambda: score_columns(columns), "float": lambda: baseline.score(floats)}
    times: dict[str, list[float]] = {k: [] for k in contenders}
    order = list(contenders)
    for rep in range(reps):
        turn = rep % len(order)
        for key in order[turn:] + order[:turn]:
            times[key].append(cpu(contenders[key]))
    ratio = statistics.median(f / v for f, v in zip(times["float"], times["vector"], strict=True))
    engine_units = made[:10_000]
    engine = cpu(lambda: [c.total for c in parrules.score_many(ruleset, engine_units)])
    done("timing", clock)
    vector_s = statistics.median(times["vector"])
    return {
        "units": units,
        "nodes": len(ruleset.flat),
        "leaves": len(ruleset.leaves),
        "vector_s": round(vector_s, 3),
        "float_s": round(statistics.median(times["float"]), 3),
        "ratio": round(ratio, 2),
        "vector_units_per_s": round(units / vector_s),
        "engine_units_per_s": round(len(engine_units) / engine),
        "scalar_rows": dict(scores.scalar),
        "float_node_results_differ": differ,
        "float_totals_differ": totals,
        "node_results": units * len(ruleset.flat),
    }


def sources(ruleset: parrules.Ruleset) -> list[Variation]:
    """What a province could declare: the five largest criteria the appraisal scores within 20%
    of their max, and the digitisation rate within 75%–100%."""
    appraised = sorted(
        (n for n in ruleset.leaves if n.evaluate is None and n.max),
        key=lambda n: (-(n.max or 0), n.code),
    )[:5]
    found = [
        Variation("range", node=n.code, low=(n.max or Decimal(0)) * Decimal("0.8"), high=n.max)
        for n in appraised
    ]
    found.append(
        Variation("range", indicator="ty_le_so_hoa_ho_so", low=Decimal("0.75"), high=Decimal(1))
    )
    return found


def study(draws: int, clock: list[float]) -> dict[str, Any]:
    ruleset = parrules.load_ruleset(TN)
    units = UnitFactory(ruleset).units(TN_UNITS)
    declared = sources(ruleset)
    done(f"{TN_UNITS:,} Thái Nguyên units", clock)
    found: dict[str, Any] = {"units": TN_UNITS, "draws": draws, "sources": len(declared)}
    for sensitivity in (False, True):
        wall = time.perf_counter()
        spent = cpu(
            lambda s=sensitivity: parrules.uncertainty(
                units, ruleset, draws=draws, sources=declared, sensitivity=s, workers=1
            )
        )
        key = "with_sensitivity" if sensitivity else "uncertainty"
        found[key] = {"cpu_s": round(spent, 1), "wall_s": round(time.perf_counter() - wall, 1)}
        done(f"study, sensitivity {sensitivity}", clock)
    return found


def markdown(report: dict[str, Any]) -> str:
    m, p, s = report["machine"], report["points"], report["study"]
    lines = [
        f"Run {m['date']}, Python {m['python']}, numpy {m['numpy']}, {m['cpus']} CPUs, load "
        f"average before {m['load_average'][0]:.2f}; the whole run took {report['seconds']} s.",
        "",
        "| measure | value | target |",
        "|---|--:|--:|",
        f"| points only, {p['units']:,} synthetic units × {p['nodes']} nodes: float code CPU ÷ "
        f"vectorised CPU | **{p['ratio']:.2f}** ({p['float_s']} s ÷ {p['vector_s']} s) | ≥ 0.5 |",
        f"| vectorised units/s (every node, exact) | {p['vector_units_per_s']:,} | |",
        f"| engine units/s (`score_many`, one process, 3 stages) | {p['engine_units_per_s']:,} | |",
        f"| rows left to the scalar form (rounding ties after a division) | "
        f"{sum(p['scalar_rows'].values()):,} of {p['units'] * p['leaves']:,} leaf results | |",
        f"| float code's node results that differ from the exact ones | "
        f"{p['float_node_results_differ']:,} of {p['node_results']:,} "
        f"(totals: {p['float_totals_differ']:,} of {p['units']:,}) | |",
        f"| study, {s['units']:,} units × {s['draws']:,} draws, {s['sources']} sources, one "
        f"process (CPU s) | **{s['uncertainty']['cpu_s']} s** (wall {s['uncertainty']['wall_s']} "
        "s) | < 60 s |",
        f"| the same with sensitivity ({s['sources'] + 2} runs of the draws) | "
        f"{s['with_sensitivity']['cpu_s']} s (wall {s['with_sensitivity']['wall_s']} s) | |",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000, help="synthetic units")
    parser.add_argument("--reps", type=int, default=7, help="interleaved repetitions")
    parser.add_argument("--draws", type=int, default=1_000, help="draws of the study")
    args = parser.parse_args()
    started = time.perf_counter()
    clock = [started]
    report: dict[str, Any] = {
        "machine": {
            "date": dt.datetime.now().isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
        },
        "targets": TARGETS,
    }
    report["points"] = points_only(args.units, max(args.reps, 5), clock)
    report["study"] = study(args.draws, clock)
    report["seconds"] = round(time.perf_counter() - started, 1)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    (results / f"vector-{stamp}.json").write_text(text, encoding="utf-8")
    table = markdown(report)
    (results / "vector-latest.md").write_text(table, encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
