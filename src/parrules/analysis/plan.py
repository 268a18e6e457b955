"""Gap to target: the smallest change of each raw indicator that recovers lost points.

For every leaf that lost points the planner searches the indicators its rule declares as levers
(``Params.indicator(..., direction=±1)``, kept in ``Node.levers``), using nothing but the rule's
own ``evaluate`` and the engine's rounding:

- a count, number or ratio is searched exactly on its grid (1 for a count; the finest decimal
  place of the node's inputs, at least 0.01 for a number and 0.0001 for a ratio), by doubling
  then bisecting — exact because the rule declared the points monotone in it. Every lever gets
  the change to the most points it can give (``full``) and, when the points rise in steps (bands),
  the change to the next step (``next``);
- ``bool`` conditions are set (the fewest needed), ``events`` removed (the fewest needed, kind by
  kind), a ``choice`` is tried against every declared choice, dated ``items`` are made on time
  (the fewest needed);
- when the levers give more together than alone (a ``check`` with two thresholds), they are also
  searched together: all at their best, then each brought back as close to its present value as
  the points allow.

Each change is then verified by re-scoring the whole unit with it applied: the points a step
promises are the gain of the unit's total the engine gives, never an estimate. Leaves scored by
an appraisal, with missing data, or whose rule declares no lever are listed as not computable.

With peers, the points needed to reach a rank (by default one rank up) or a class are covered by
steps picked greedily — most points first, each step counting as one, whatever its size; at the
last pick, the smallest step that closes the gap. That is a heuristic, not an optimum of effort.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from .._engine import _score_leaf, score
from .._json import jsonable
from .._model import (
    AssumptionNote,
    Band,
    Indicator,
    Node,
    NodeResult,
    ScoreCard,
    Stage,
    Text,
    assumption_marks,
    assumption_notes,
    format_value,
    show_value,
)
from .._numbers import ONE, ZERO, canonical, fmt, fmt_percent
from ..errors import InputError, ScoringError, UnknownNameError, close_match

SCHEMA = "parrules.plan/1"
NUMERIC = ("count", "number", "ratio")
FULL, NEXT = "full", "next"
_DOUBLINGS = 64

METHOD = Text(
    "Các bước được chọn tham lam: nhiều điểm nhất trước, mỗi bước tính là một (bất kể quy mô); "
    "bước cuối là bước nhỏ nhất đủ bù phần còn thiếu. Đây là cách chọn gần đúng, không bảo đảm "
    "ít công sức nhất.",
    "Steps are picked greedily: most points first, each step counting as one whatever its size; "
    "the last pick is the smallest step that closes the gap. A heuristic, not an optimum of "
    "effort.",
)
WHY_APPRAISED = Text(
    "Điểm do thẩm định chấm trực tiếp: không tính được từ số liệu",
    "Points given directly by the appraisal: not computable from the indicators",
)
WHY_MISSING = Text("Thiếu số liệu: {names}", "Missing data: {names}")
WHY_NO_LEVER = Text(
    "Tính từ {names}, chỉ tiêu đơn vị không tự thay đổi được",
    "Computed from {names}, which the unit cannot change itself",
)
WHY_NO_INPUT = Text(
    "Tiêu chí không tính từ chỉ tiêu nào", "The criterion is computed from no indicator"
)
WHY_NOTHING = Text(
    "Không thay đổi nào của {names} khôi phục được điểm",
    "No change of {names} recovers points",
)


@attrs.frozen
class Change:
    """One indicator as it is and as the plan needs it (whole values, ready to apply)."""

    indicator: Indicator
    now: Any
    needed: Any
    grain: Decimal | None = None
    """The search grid of a numeric value: one grain less in the direction of improvement no
    longer recovers the promised points."""

    @property
    def name(self) -> str:
        return self.indicator.name

    def describe(self, lang: str = "vi") -> str:
        """The change in words: ``+36 thủ tục``, ``khien_trach −1``, ``Báo cáo …: gửi …``."""
        kind, now, needed = self.indicator.type, self.now, self.needed
        if kind in NUMERIC:
            delta = needed - now
            sign = "+" if delta > 0 else "−"
            if kind == "ratio":
                return sign + fmt_percent(abs(delta), lang)
            return f"{sign}{fmt(abs(delta), lang)} {self.indicator.unit}".strip()
        if kind == "bool":
            return Text("thực hiện" if needed else "bỏ", "do it" if needed else "undo").get(lang)
        if kind == "events":
            words = self.indicator.value_label
            return ", ".join(
                f"{words(k).get(lang)} −{fmt(now[k] - needed.get(k, ZERO), lang)}"
                for k in now
                if now[k] != needed.get(k, ZERO)
            )
        if kind == "items":
            pairs = zip(now, needed, strict=True)
            return "; ".join(_item_change(a, b, lang) for a, b in pairs if a != b)
        return f"→ {show_value(needed, self.indicator, lang)}"

    def show(self, value: Any, lang: str = "vi") -> str:
        """``now`` or ``needed`` as shown in a plan: a ratio as a percentage, only the items
        that change."""
        if self.indicator.type == "items":
            pairs = zip(value, self.now, self.needed, strict=True)
            return format_value([v for v, a, b in pairs if a != b], lang)
        return show_value(value, self.indicator, lang)


def _item_change(before: Mapping[str, Any], after: Mapping[str, Any], lang: str) -> str:
    due: dt.date = before["due"]
    dates = [before[k] for k in ("sent", "received") if k in before]
    if dates:
        late = max((d - due).days for d in dates)
        why = Text(f"đang muộn {late} ngày", f"now {late} days late").get(lang)
    else:
        why = Text("chưa gửi", "not sent").get(lang)
    when = format_value(due, lang)
    action = (
        Text(f"nhận trước hạn {when}", f"received by {when}")
        if before.get("received") != after.get("received")
        else Text(f"gửi trước hạn {when}", f"sent by {when}")
    )
    return f"{before['name']}: {action.get(lang)} ({why})"


@attrs.frozen
class Step:
    """A change of one leaf's levers, with the points the engine gives for it (re-scored)."""

    node: Node
    option: str
    """``full``: the most points this lever can give; ``next``: the next step (band) up."""
    changes: tuple[Change, ...]
    points: Decimal
    """The gain of the unit's total once the change is applied, re-scored."""
    before: NodeResult
    after: NodeResult
    total_after: Decimal

    @property
    def code(self) -> str:
        return self.node.code

    @property
    def values(self) -> dict[str, Any]:
        """The changed indicator values, ready to layer over the unit's."""
        return {c.name: c.needed for c in self.changes}


@attrs.frozen
class Unplanned:
    """A leaf that lost points the planner cannot compute a change for, and why."""

    result: NodeResult
    why: Text
    names: tuple[Indicator, ...] = ()
    """The indicators the reason names, shown by their labels."""

    def reason(self, lang: str = "vi") -> str:
        names = ", ".join(i.get_label(lang) for i in self.names)
        return self.why.get(lang).format(names=names)


@attrs.frozen
class Target:
    """The points needed to reach a rank among peers or a class, and the steps that get there."""

    kind: str
    """``rank`` or ``class``."""
    goal: str
    needed_total: Decimal
    gap: Decimal
    steps: tuple[Step, ...]
    total_after: Decimal
    reached: bool
    classification_after: Band | None
    rank: int | None = None
    rank_after: int | None = None
    units: int = 1


@attrs.frozen
class Plan:
    """Every recoverable step of one unit, sorted by points recovered, and what is not
    computable."""

    card: ScoreCard
    steps: tuple[Step, ...]
    unplanned: tuple[Unplanned, ...]
    recoverable: Decimal
    """The gain, re-scored, of the best step of every leaf applied together."""
    target: Target | None = None

    def notes(self, lang: str = "vi") -> tuple[AssumptionNote, ...]:
        """The assumptions the steps and the points not computable rest on, numbered."""
        nodes = [s.node for s in self.steps] + [u.result.node for u in self.unplanned]
        return assumption_notes(nodes, lang)

    def rows(self, lang: str = "vi") -> list[dict[str, str]]:
        """One row of display texts per step (a step changing several indicators joins them);
        ``assumed`` marks a step resting on an assumption (numbered as in ``notes``)."""
        rows = []
        notes = self.notes(lang)
        for step in self.steps:
            label = "; ".join(c.indicator.get_label(lang) for c in step.changes)
            if step.option == NEXT:
                label += Text(" (mức kế tiếp)", " (next level)").get(lang)
            rows.append(
                {
                    "code": step.code,
                    "indicator": label,
                    "now": "; ".join(c.show(c.now, lang) for c in step.changes),
                    "needed": "; ".join(c.show(c.needed, lang) for c in step.changes),
                    "change": "; ".join(c.describe(lang) for c in step.changes),
                    "points": fmt(step.points, lang),
                    "owner": step.node.owner or "",
                    "assumed": assumption_marks(notes, step.code, lang) or "",
                }
            )
        return rows

    def to_dict(self, lang: str = "vi") -> dict[str, Any]:
        card = self.card
        return {
            "schema": SCHEMA,
            "unit": card.unit.unit,
            "year": card.unit.year,
            "ruleset": card.ruleset.id,
            "stage": card.final.stage,
            "total": jsonable(card.total),
            "max": jsonable(card.ruleset.max),
            "steps": [_step_dict(s, lang) for s in self.steps],
            "recoverable": jsonable(self.recoverable),
            "not_computable": [
                {
                    "code": u.result.code,
                    "title": u.result.node.get_title(lang),
                    "lost": jsonable(u.result.lost),
                    "why": u.reason(lang),
                    "owner": u.result.node.owner,
                    "source": u.result.node.source,
                    "assumed": dict(u.result.node.assumptions(lang)),
                }
                for u in self.unplanned
            ],
            "target": None if self.target is None else _target_dict(self.target, lang),
        }


def _step_dict(step: Step, lang: str) -> dict[str, Any]:
    return {
        "code": step.code,
        "title": step.node.get_title(lang),
        "option": step.option,
        "owner": step.node.owner,
        "source": step.node.source,
        "assumed": dict(step.node.assumptions(lang)),
        "points": jsonable(step.points),
        "total_after": jsonable(step.total_after),
        "changes": [
            {
                "indicator": c.name,
                "label": c.indicator.label,
                "unit": c.indicator.unit,
                "now": jsonable(c.now),
                "needed": jsonable(c.needed),
                "change": c.describe(lang),
            }
            for c in step.changes
        ],
        "formula_now": step.before.explain(lang).formula,
        "formula_after": step.after.explain(lang).formula,
    }


def _target_dict(target: Target, lang: str) -> dict[str, Any]:
    band = target.classification_after
    return {
        "kind": target.kind,
        "goal": target.goal,
        "rank": target.rank,
        "units": target.units,
        "needed_total": jsonable(target.needed_total),
        "gap": jsonable(target.gap),
        "steps": [{"code": s.code, "option": s.option} for s in target.steps],
        "total_after": jsonable(target.total_after),
        "rank_after": target.rank_after,
        "classification_after": band.get(lang) if band else None,
        "reached": target.reached,
        "method": METHOD.get(lang),
    }


def plan(
    card: ScoreCard,
    *,
    peers: Sequence[ScoreCard] = (),
    target_rank: int | None = None,
    target_class: str | None = None,
) -> Plan:
    """What the unit of ``card`` can change to recover its lost points, verified by re-scoring.

    With ``peers`` (score cards of the other units under the same ruleset), also the steps to
    climb to ``target_rank`` (default: one rank up); with ``target_class``, to reach that class.
    """
    if target_rank is not None and target_class is not None:
        msg = "give target_rank or target_class, not both"
        raise ValueError(msg)
    for peer in peers:
        if peer.ruleset.id != card.ruleset.id:
            msg = (
                f"peer '{peer.unit.unit}' is scored with '{peer.ruleset.id}', "
                f"not '{card.ruleset.id}'"
            )
            raise ScoringError(msg, unit=peer.unit.unit)
    steps: list[Step] = []
    unplanned: list[Unplanned] = []
    for deduction in card.final.deductions:
        found, why = _plan_leaf(card, deduction.result)
        steps.extend(found)
        if why is not None:
            unplanned.append(why)
    steps.sort(key=lambda s: (-s.points, _code_key(s.code), s.option != FULL))
    best: dict[str, Step] = {}
    for step in steps:
        best.setdefault(step.code, step)
    recoverable = canonical(_combine(card, list(best.values()))[0].total - card.total)
    others = [p.total for p in peers if p is not card and p.unit != card.unit]
    target = _target(card, steps, others, bool(peers), target_rank, target_class)
    return Plan(card, tuple(steps), tuple(unplanned), recoverable, target)


def _code_key(code: str) -> tuple[int | str, ...]:
    return tuple(int(p) if p.isdigit() else p for p in code.split("."))


# --- searching one leaf -------------------------------------------------------------------------

Changes = dict[str, Any]
Ok = Callable[[Changes], bool]


class _Probe:
    """Scores one leaf of the final stage with some indicators changed, as the engine does."""

    def __init__(self, card: ScoreCard, result: NodeResult) -> None:
        self.card = card
        self.node = result.node
        self.now = result
        self.stage = card.unit.stages[-1]
        self.values = self.stage.indicators

    def indicator(self, name: str) -> Indicator:
        return self.card.ruleset.indicators[name]

    def result(self, changes: Changes) -> NodeResult | None:
        """The leaf's result, or None when the changed values are not valid input."""
        stage = Stage(self.stage.name, {**self.values, **changes}, self.stage.points)
        try:
            return _score_leaf(self.card.ruleset, self.card.unit, stage, self.node)
        except InputError:
            return None

    def points(self, changes: Changes) -> Decimal | None:
        result = self.result(changes)
        return None if result is None else result.points


class _Lever:
    """Indicators searched together. ``extreme`` is the change that gives the most points on
    its own; ``nearest(ok)`` the change closest to the present values that still satisfies
    ``ok``, given that ``extreme`` does."""

    names: tuple[str, ...]
    extreme: Changes

    def nearest(self, ok: Ok) -> Changes:
        raise NotImplementedError


class _Numeric(_Lever):
    """A count, number or ratio, searched on its grid: doubling out, then bisecting."""

    def __init__(self, probe: _Probe, name: str, direction: int) -> None:
        self.probe, self.name, self.direction = probe, name, direction
        self.names = (name,)
        kind = probe.indicator(name).type
        self.now: Decimal = probe.values[name]
        self.grain = _grain(probe, kind)
        limit: int | None = None
        if direction < 0 and self.now >= 0:
            limit = int(self.now // self.grain)
        elif direction > 0 and kind == "ratio":
            limit = int((ONE - self.now) // self.grain)
        self.cache: dict[int, NodeResult | None] = {}
        # Walk out until full points, an invalid value, the type's bound or the cap.
        lo, k, self.edge = 0, 1, 0
        for _ in range(_DOUBLINGS):
            if limit is not None:
                k = min(k, limit)
            if k <= lo:
                break
            p = self.points(k)
            if p is None:
                self.edge = _last(lo, k, lambda j: self.points(j) is not None)
                break
            self.edge = k
            if p >= probe.node.full:
                break
            lo, k = k, k * 2
        self.extreme = {name: self.at(self.edge)}

    def at(self, k: int) -> Decimal:
        return self.now + self.direction * k * self.grain

    def result(self, k: int) -> NodeResult | None:
        if k not in self.cache:
            self.cache[k] = self.probe.result({self.name: self.at(k)})
        return self.cache[k]

    def points(self, k: int) -> Decimal | None:
        r = self.result(k)
        return None if r is None else r.points

    def nearest(self, ok: Ok) -> Changes:
        if ok({}):
            return {}
        return {self.name: self.at(_first(0, self.edge, lambda j: ok({self.name: self.at(j)})))}

    def next_level(self, full: Decimal) -> Changes | None:
        """When the points rise in steps (bands) and ``full`` lies beyond the next one: the
        change that reaches the next step."""
        p0 = self.probe.now.points
        k_full = int(abs(full - self.now) / self.grain)
        top = self.points(k_full)
        step = _first(0, k_full, lambda j: (p := self.points(j)) is not None and p > p0)
        reached, beyond = self.result(step), self.result(step + 1)
        if (
            step < k_full
            and top is not None
            and reached is not None
            and beyond is not None
            and reached.points < top
            and _raw(reached) == _raw(beyond)  # a plateau: a band, not a proportion
        ):
            return {self.name: self.at(step)}
        return None


def _raw(result: NodeResult) -> Decimal:
    """The rule's points before rounding, to tell a band from a proportion."""
    return result.outcome.points if result.outcome is not None else result.points


class _Flags(_Lever):
    """``bool`` conditions: set the fewest needed."""

    def __init__(self, probe: _Probe, flags: list[tuple[str, int]]) -> None:
        self.names = tuple(n for n, _ in flags)
        self.extreme = {n: d > 0 for n, d in flags if probe.values[n] != (d > 0)}

    def nearest(self, ok: Ok) -> Changes:
        chosen = dict(self.extreme)
        for name in reversed(list(self.extreme)):  # with any_of, the first condition stays
            trial = {k: v for k, v in chosen.items() if k != name}
            if ok(trial):
                chosen = trial
        return chosen


class _Events(_Lever):
    """Events by kind: remove the fewest needed, kind by kind."""

    def __init__(self, probe: _Probe, name: str) -> None:
        self.name, self.names = name, (name,)
        self.now: Mapping[str, Decimal] = probe.values[name]
        self.extreme = {name: dict.fromkeys(self.now, ZERO)}

    def nearest(self, ok: Ok) -> Changes:
        needed = dict.fromkeys(self.now, ZERO)
        for kind, count in self.now.items():

            def fits(n: int, kind: str = kind) -> bool:
                return ok({self.name: {**needed, kind: Decimal(n)}})

            needed[kind] = Decimal(_largest(int(count), fits))
        return {self.name: needed}


class _Choice(_Lever):
    """A choice (or an unordered ``bool``): every value is tried."""

    def __init__(self, probe: _Probe, name: str) -> None:
        indicator = probe.indicator(name)
        self.name, self.names = name, (name,)
        self.now = probe.values[name]
        self.domain: tuple[Any, ...] = (
            indicator.choices if indicator.type == "choice" else (True, False)
        )
        scored = [(p, v) for v in self.domain if (p := probe.points({name: v})) is not None]
        best = max((p for p, _ in scored), default=None)
        self.extreme = {name: next((v for p, v in scored if p == best), self.now)}
        self.scored = scored

    def nearest(self, ok: Ok) -> Changes:
        if ok({}):
            return {}
        return next(({self.name: v} for v in self.domain if ok({self.name: v})), self.extreme)


class _Items(_Lever):
    """Dated items: make the fewest on time (sent, and if need be received, by the due date)."""

    def __init__(self, probe: _Probe, name: str) -> None:
        self.name, self.names = name, (name,)
        self.now: tuple[Mapping[str, Any], ...] = probe.values[name]
        self.extreme = {name: tuple(_on_time(item, 2) for item in self.now)}

    def nearest(self, ok: Ok) -> Changes:
        current = list(self.extreme[self.name])
        for i, item in enumerate(self.now):
            for lighter in (dict(item), _on_time(item, 0), _on_time(item, 1)):
                trial = (*current[:i], lighter, *current[i + 1 :])
                if ok({self.name: trial}):
                    current[i] = lighter
                    break
        return {self.name: tuple(current)}


def _on_time(item: Mapping[str, Any], add: int) -> dict[str, Any]:
    """The item's dates after its due date moved to it (order kept); with ``add`` ≥ 1 a missing
    sending date, with 2 also a missing receipt, set to the due date."""
    due: dt.date = item["due"]
    fixed = dict(item)
    for key in ("dated", "sent", "received"):
        if key in fixed and fixed[key] > due:
            fixed[key] = due
    if add >= 1 and "sent" not in fixed:
        fixed["sent"] = min(due, fixed.get("received", due))
    if add >= 2 and "received" not in fixed:
        fixed["received"] = due
    return fixed


def _search(probe: _Probe, levers: Sequence[_Lever]) -> Changes | None:
    """The change of ``levers`` nearest to the present values among those giving the most
    points the levers can give together; None when they cannot give more than now."""
    chosen: Changes = {}
    for lever in levers:
        chosen.update(lever.extreme)
    best = probe.points(chosen)
    if best is None or best <= probe.now.points:
        return None
    for lever in levers:
        rest = {k: v for k, v in chosen.items() if k not in lever.names}

        def ok(change: Changes, rest: Changes = rest) -> bool:
            p = probe.points({**rest, **change})
            return p is not None and p >= best

        chosen = {**rest, **lever.nearest(ok)}
    return {k: v for k, v in chosen.items() if v != probe.values[k]}


def _plan_leaf(card: ScoreCard, result: NodeResult) -> tuple[list[Step], Unplanned | None]:
    node = result.node
    if result.appraisal is not None or node.evaluate is None:
        return [], Unplanned(result, WHY_APPRAISED)
    values = card.unit.stages[-1].indicators
    missing = tuple(card.ruleset.indicators[n] for n in node.reads if n not in values)
    if missing:
        return [], Unplanned(result, WHY_MISSING, missing)
    if not node.levers:
        read = tuple(card.ruleset.indicators[n] for n in node.reads)
        return [], Unplanned(result, WHY_NO_LEVER if read else WHY_NO_INPUT, read)
    probe = _Probe(card, result)
    levers: list[_Lever] = []
    flags: list[tuple[str, int]] = []
    for name, direction in node.levers:
        kind = probe.indicator(name).type
        if kind in NUMERIC and direction:
            levers.append(_Numeric(probe, name, direction))
        elif kind == "bool" and direction:
            flags.append((name, direction))
        elif kind == "events" and direction < 0:
            levers.append(_Events(probe, name))
        elif kind in ("choice", "bool"):
            levers.append(_Choice(probe, name))
        elif kind == "items":
            levers.append(_Items(probe, name))
    if flags:
        levers.append(_Flags(probe, flags))
    options: list[tuple[str, Changes]] = []
    for lever in levers:
        full = _search(probe, [lever])
        if full is None:
            continue
        options.append((FULL, full))
        if isinstance(lever, _Numeric):
            step = lever.next_level(full[lever.name])
            if step is not None:
                options.append((NEXT, step))
        if isinstance(lever, _Choice):
            gains = [(p, v) for p, v in lever.scored if p > probe.now.points]
            least = min(gains, key=lambda pv: pv[0])
            if least[1] != full[lever.name]:
                options.append((NEXT, {lever.name: least[1]}))
    if len(levers) > 1:
        together = _search(probe, levers)
        if together is not None and all(together != changes for _, changes in options):
            options.append((FULL, together))
    steps = [s for option in options if (s := _verified(card, probe, *option)) is not None]
    if not steps:
        names = tuple(probe.indicator(n) for n, _ in node.levers)
        return [], Unplanned(result, WHY_NOTHING, names)
    return steps, None


def _first(lo: int, hi: int, ok: Callable[[int], bool]) -> int:
    """The smallest k in (lo, hi] with ok(k), given ok(hi) and ok monotone."""
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _last(lo: int, hi: int, ok: Callable[[int], bool]) -> int:
    """The largest k in [lo, hi) with ok(k), given ok(lo), not ok(hi) and ok monotone."""
    return _first(lo, hi, lambda k: not ok(k)) - 1


def _largest(hi: int, ok: Callable[[int], bool]) -> int:
    """The largest k in [0, hi] with ok(k), given ok(0) and ok monotone."""
    return hi if ok(hi) else _last(0, hi, ok)


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _grain(probe: _Probe, kind: str) -> Decimal:
    """1 for a count; else the finest decimal place of the node's inputs, at least 0.01 for a
    number and 0.0001 for a ratio."""
    if kind == "count":
        return ONE
    places = [2 if kind == "number" else 4]
    places += [_places(v) for n in probe.node.reads if isinstance(v := probe.values[n], Decimal)]
    return ONE.scaleb(-max(places))


# --- verifying by re-scoring --------------------------------------------------------------------


def _rescore(card: ScoreCard, changes: Mapping[str, Any]) -> ScoreCard:
    """The card of the unit's final stage with ``changes`` layered over its indicators."""
    final = card.unit.stages[-1]
    stage = attrs.evolve(final, indicators={**final.indicators, **changes})
    return score(card.ruleset, attrs.evolve(card.unit, stages=(stage,)))


def _verified(card: ScoreCard, probe: _Probe, kind: str, values: Changes) -> Step | None:
    """The step with the gain of the unit's total the engine gives for it; None if none."""
    after = _rescore(card, values)
    gain = canonical(after.total - card.total)
    if gain <= 0:
        return None
    changes = []
    for name, _ in probe.node.levers:
        if name in values:
            indicator = probe.indicator(name)
            grain = _grain(probe, indicator.type) if indicator.type in NUMERIC else None
            changes.append(Change(indicator, probe.values[name], values[name], grain))
    result = probe.now
    return Step(
        result.node, kind, tuple(changes), gain, result, after.node(result.code), after.total
    )


def _combine(card: ScoreCard, steps: Sequence[Step]) -> tuple[ScoreCard, list[Step]]:
    """The unit re-scored with every step applied; a step that would set an indicator another
    step already set to a different value is left out."""
    values: dict[str, Any] = {}
    used = []
    for step in steps:
        if any(n in values and values[n] != v for n, v in step.values.items()):
            continue
        values.update(step.values)
        used.append(step)
    return _rescore(card, values), used


# --- targets among peers ------------------------------------------------------------------------


def _rank(total: Decimal, others: Sequence[Decimal], method: str) -> int:
    above = (
        {t for t in others if t > total} if method == "dense" else [t for t in others if t > total]
    )
    return 1 + len(above)


def _threshold(others: Sequence[Decimal], rank: int, method: str) -> Decimal | None:
    """The lowest total that ranks ``rank`` or better among ``others`` (ties share a rank)."""
    ordered = sorted(set(others) if method == "dense" else others, reverse=True)
    return ordered[rank - 1] if len(ordered) >= rank else None


def _class_band(card: ScoreCard, label: str) -> Band:
    bands = card.ruleset.classification
    for band in bands:
        if label.casefold() in (band.label.casefold(), (band.label_en or "").casefold()):
            return band
    names = [b.label for b in bands] + [b.label_en for b in bands if b.label_en]
    raise UnknownNameError(
        f"ruleset '{card.ruleset.id}' has no class '{label}' (it has: {', '.join(names) or '—'})",
        hint=close_match(label, names),
    )


def _target(
    card: ScoreCard,
    steps: Sequence[Step],
    others: Sequence[Decimal],
    with_peers: bool,
    target_rank: int | None,
    target_class: str | None,
) -> Target | None:
    method = card.ruleset.ranking
    rank = _rank(card.total, others, method) if with_peers else None
    if target_class is not None:
        kind, goal = "class", target_class
        needed = max(card.total, _class_band(card, target_class).min)
    else:
        if rank is None:
            if target_rank is not None:
                msg = "a target rank needs peers to rank against"
                raise ValueError(msg)
            return None
        if target_rank is None:
            target_rank = max(1, rank - 1)
        if not 1 <= target_rank <= len(others) + 1:
            msg = f"the target rank must be between 1 and {len(others) + 1}"
            raise ValueError(msg)
        kind, goal = "rank", str(target_rank)
        needed = max(card.total, _threshold(others, target_rank, method) or card.total)
    gap = needed - card.total
    after, chosen = _combine(card, _greedy(steps, gap))
    return Target(
        kind=kind,
        goal=goal,
        needed_total=needed,
        gap=gap,
        steps=tuple(chosen),
        total_after=after.total,
        reached=after.total >= needed,
        classification_after=after.classification,
        rank=rank,
        rank_after=None if rank is None else _rank(after.total, others, method),
        units=len(others) + 1,
    )


def _greedy(steps: Sequence[Step], gap: Decimal) -> list[Step]:
    """Most points first, one step per leaf, no two steps on the same indicator; the last pick
    is the smallest step that closes what is left."""
    chosen: list[Step] = []
    left = gap
    while left > 0:
        taken = {n for s in chosen for n in s.values}
        free = [
            s for s in steps if all(s.code != c.code for c in chosen) and not taken & set(s.values)
        ]
        if not free:
            break
        closing = [s for s in free if s.points >= left]
        pick = min(closing, key=lambda s: s.points) if closing else free[0]
        chosen.append(pick)
        left -= pick.points
    return chosen
