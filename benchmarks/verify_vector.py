"""Verify the vectorised path against the engine at scale: ``--units`` random units (100,000 by
default) of every shipped ruleset, and as many spread over random rulesets, every stage of every
unit, every node: the points must be the engine's to the digit, and a unit the engine refuses
must be refused. Prints one line per ruleset and exits 1 on the first difference.

Units are drawn with the constraints and edges ``parrules.testing`` reads from the rules' params
(a part never above its whole; band edges, targets and thresholds tried exactly and one step
either side), from a seeded generator: unit *k* of a ruleset is always the same.

    python benchmarks/verify_vector.py                 # about half an hour on one core
    python benchmarks/verify_vector.py --units 5000    # a quick run
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import sys
import time
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings

import parrules
from parrules import Registry, Ruleset, UnitInputs
from parrules.errors import ParRulesError
from parrules.testing import rulesets
from parrules.testing._strategies import KINDS, NUMERIC, Needs, Reader, _order, bounds
from parrules.vector import score_vector

STEPS = {"count": Decimal(1), "number": Decimal("0.01"), "ratio": Decimal("0.0001")}
LIMITS = {"count": Decimal(10**6), "number": Decimal(10**4), "ratio": Decimal(1)}


class RandomUnits:
    """Seeded random units of a ruleset, drawn as ``parrules.testing.units`` draws them."""

    def __init__(self, ruleset: Ruleset, seed: str) -> None:
        self.ruleset = ruleset
        self.seed = seed
        self.needs = Needs.of(
            (Reader.of(n) for n in ruleset.leaves if n.evaluate), ruleset.indicators
        )
        self.order = _order(ruleset.indicators, self.needs)
        self.appraised = [n for n in ruleset.leaves if n.evaluate is None]
        self.scorable = [n for n in ruleset.flat if n.evaluate is not None or n.children]

    def unit(self, k: int) -> UnitInputs:
        rng = random.Random(f"{self.seed}:{k}")
        indicators = self.values(rng, self.order, omit=True)
        body: dict[str, Any] = {
            "unit": f"Đơn vị {k}",
            "indicators": indicators,
            "points": {n.code: self.points(rng, n) for n in self.appraised},
            "reason": "Điểm thẩm định",
        }
        if rng.random() < 0.5:
            names = [n for n in indicators if rng.random() < 0.3]
            chosen = [n for n in self.scorable if rng.random() < 0.1]
            whole = [n for n in chosen if not any(n.code.startswith(o.code + ".") for o in chosen)]
            body["stages"] = {
                "appraisal": {
                    "indicators": self.values(rng, names, given=indicators),
                    "points": {n.code: self.points(rng, n) for n in whole},
                    "reason": "Thẩm định",
                },
                "final": {},
            }
        return parrules.unit_from_mapping(body, self.ruleset)

    def values(
        self,
        rng: random.Random,
        names: Sequence[str],
        *,
        omit: bool = False,
        given: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        found: dict[str, Any] = {}
        known = dict(given or {})
        for name in [n for n in self.order if n in set(names)]:
            if omit and name in self.needs.optional and rng.random() < 0.1:
                continue
            indicator = self.ruleset.indicators[name]
            limits = bounds(name, {**known, **found}, self.needs, self.ruleset.indicators)
            found[name] = self.value(rng, indicator.type, indicator.choices, limits)
        return found

    def value(
        self, rng: random.Random, kind: str, choices: Sequence[str], limits: dict[str, Any]
    ) -> Any:
        if kind in NUMERIC:
            return self.number(rng, kind, limits)
        if kind == "bool":
            return rng.random() < 0.7
        if kind == "choice":
            return rng.choice(list(choices))
        if kind in ("events", "answers"):
            kinds = list(limits.get("kinds") or KINDS[kind])
            picked = {k: rng.randint(0, 3 if kind == "events" else 100) for k in kinds}
            picked = {k: v for k, v in picked.items() if rng.random() < 0.6}
            if kind == "answers" and sum(picked.values()) == 0:
                picked[kinds[0]] = rng.randint(1, 100)
            return picked
        if kind == "items":
            items = []
            for i in range(rng.randint(0, 4)):
                due = dt.date(2023, 1, 1) + dt.timedelta(rng.randint(0, 360))
                item: dict[str, Any] = {"name": f"Báo cáo {i + 1}", "due": due}
                if rng.random() < 0.85:
                    item["sent"] = due + dt.timedelta(rng.randint(-10, 10))
                    if rng.random() < 0.7:
                        item["received"] = item["sent"] + dt.timedelta(rng.randint(0, 5))
                items.append(item)
            return items
        if kind == "date":
            return dt.date(2023, 1, 1) + dt.timedelta(rng.randint(0, 360))
        return "ghi chú"

    def number(self, rng: random.Random, kind: str, limits: dict[str, Any]) -> Decimal:
        step = STEPS[kind]
        low = Decimal(limits.get("low", 0))
        high = min(Decimal(limits.get("high", LIMITS[kind])), LIMITS[kind])
        if kind == "count":
            low, high = Decimal(math.ceil(low)), Decimal(math.floor(high))
        if high < low:
            return low
        whole = limits.get("whole")
        near = []
        for edge in limits.get("edges", ()):
            centres = [edge] + ([edge * whole] if whole is not None and 0 <= edge <= 1 else [])
            for centre in centres:
                for value in (centre - step, centre, centre + step):
                    value = Decimal(math.floor(value)) if kind == "count" else value.quantize(step)
                    if low <= value <= high:
                        near.append(value)
        draw = rng.random()
        if near and draw < 0.4:
            return rng.choice(near)
        top = min(high, low + 20) if draw < 0.7 else high
        span = int((top - low) / step)
        return (
            (low + step * rng.randint(0, span)).quantize(step)
            if kind != "count"
            else (low + rng.randint(0, span))
        )

    def points(self, rng: random.Random, node: Any) -> Any:
        if node.max is None:
            return Decimal(rng.randint(0, 1000)) / 100
        if rng.random() < 0.5:
            return node.max
        span = int((node.max - node.floor) * 100)
        return node.floor + Decimal(rng.randint(0, span)) / 100


def verify(ruleset: Ruleset, units: Sequence[UnitInputs]) -> tuple[int, int, int]:
    """(units compared, node results compared, units both refused); exits on a difference."""
    compared = nodes = refused = 0
    for stage in (None, "self", "appraisal", "final"):
        batch: list[UnitInputs] = []
        expected: list[list[Decimal | None]] = []
        for unit in units:
            if stage is not None and stage not in {s.name for s in unit.stages}:
                continue
            try:
                result = parrules.score(ruleset, unit).stage(stage)
            except ParRulesError as exc:
                try:
                    score_vector(ruleset, [unit], stage=stage)
                except ParRulesError:
                    refused += 1
                    continue
                sys.exit(f"{ruleset.id}: {unit.unit}: the engine refuses ({exc}), the vector not")
            batch.append(unit)
            expected.append(
                [None if (r := result.get(n.code)) is None else r.points for n in ruleset.flat]
            )
        if not batch:
            continue
        scores = score_vector(ruleset, batch, stage=stage)
        for row, (unit, want) in enumerate(zip(batch, expected, strict=True)):
            got = [scores.node(row, n.code) for n in ruleset.flat]
            if got != want:
                diff = [
                    (n.code, g, w)
                    for n, g, w in zip(ruleset.flat, got, want, strict=True)
                    if g != w
                ]
                sys.exit(f"{ruleset.id}: {unit.unit}, stage {stage}: {diff[:5]}")
        compared += len(batch)
        nodes += len(batch) * len(ruleset.flat)
    return compared, nodes, refused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000, help="units per ruleset")
    parser.add_argument("--random-rulesets", type=int, default=200)
    parser.add_argument("--seed", default="2024")
    args = parser.parse_args()
    started = time.perf_counter()
    chunk = 5_000
    for ruleset_id in sorted(parrules.known_ids(Registry.create())):
        ruleset = parrules.load_ruleset(ruleset_id)
        maker = RandomUnits(ruleset, args.seed)
        totals = np.zeros(3, dtype=np.int64)
        clock = time.perf_counter()
        for start in range(0, args.units, chunk):
            batch = [maker.unit(k) for k in range(start, min(args.units, start + chunk))]
            totals += verify(ruleset, batch)
        print(
            f"{ruleset_id}: {args.units:,} units, {totals[0]:,} unit-stages and {totals[1]:,} "
            f"node results equal, {totals[2]:,} refused by both "
            f"({time.perf_counter() - clock:.0f} s)",
            flush=True,
        )
    per = max(1, args.units // args.random_rulesets)
    counted = np.zeros(3, dtype=np.int64)
    seen = [0]

    @settings(
        max_examples=args.random_rulesets,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(rulesets())
    def random_rulesets(ruleset: Ruleset) -> None:
        maker = RandomUnits(ruleset, f"{args.seed}:{seen[0]}")
        seen[0] += 1
        counted[:] += verify(ruleset, [maker.unit(k) for k in range(per)])

    clock = time.perf_counter()
    random_rulesets()
    print(
        f"{seen[0]} random rulesets: {seen[0] * per:,} units, {counted[0]:,} unit-stages and "
        f"{counted[1]:,} node results equal, {counted[2]:,} refused by both "
        f"({time.perf_counter() - clock:.0f} s)"
    )
    print(f"all equal ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
