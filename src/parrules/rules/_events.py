"""Rules over events and time: ``per_event``, ``deadline`` and ``trend``."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import attrs

from .._model import Evaluate, Outcome, Rule, Text, Values
from .._numbers import ZERO
from .._params import Params
from ..errors import UnitError, close_match

EVENTS_REASON = Text(
    "Trừ {deduction} điểm do: {events}",
    "{deduction} points deducted for: {events}",
)


@attrs.frozen
class _Times:
    """``khiển trách × 2`` in a reason, in the reader's language."""

    label: Text
    count: Decimal

    def get(self, lang: str) -> str:
        return f"{self.label.get(lang)} × {self.count}"


@attrs.frozen
class _Late:
    """``Báo cáo sơ kết (+1)`` in a reason: formatted only when the reason is read."""

    name: str
    days: int

    def get(self, lang: str) -> str:
        return f"{self.name} (+{self.days})"


def _floor(p: Params) -> Decimal:
    floor = p.decimal("floor", p.floor)
    if floor < p.floor:
        raise p.error(
            "floor",
            f"floor {floor} is below the node's floor {p.floor}",
            "set the node's 'floor' too",
        )
    return floor


def bind_per_event(p: Params) -> Evaluate:
    events = p.indicator("events", ("events",), direction=-1)
    severity = p.decimals("severity")
    if any(v < 0 for v in severity.values()):
        raise p.error("severity", "a deduction cannot be negative")
    floor = _floor(p)
    reason = p.reason(EVENTS_REASON)
    maximum = p.max
    kinds = p.declared(events).kinds
    for kind in severity:
        if kinds and kind not in kinds:
            raise p.error(
                "severity",
                f"'{kind}' is not a declared kind of '{events}'",
                close_match(kind, kinds),
            )
    labels = {kind: p.value_label(events, kind) for kind in severity}
    for kind, label in (p.raw("labels") or {}).items():
        if kind not in severity:
            raise p.error("labels", f"'{kind}' has no severity", close_match(kind, severity))
        labels[kind] = (
            Text(str(label), str(label))
            if isinstance(label, str)
            else Text(str(label.get("vi")), str(label.get("en", label.get("vi"))))
        )

    def evaluate(values: Values) -> Outcome:
        happened: Mapping[str, Decimal] = values[events]
        deduction = ZERO
        described = []
        for kind, count in happened.items():
            if kind not in severity:
                msg = f"unknown kind of event '{kind}' (known: {', '.join(severity)})"
                raise UnitError(msg, field=events, hint=close_match(kind, severity))
            if count:
                deduction += severity[kind] * count
                described.append((labels[kind], count))
        points = max(floor, maximum - deduction)
        return Outcome(
            points,
            reason if deduction else None,
            "max({floor}; {max} − {deduction}) = {points}",
            (
                ("events", [_Times(label, n) for label, n in described]),
                ("deduction", deduction),
                ("floor", floor),
            ),
            ((events, dict(happened)),),
        )

    return evaluate


DEADLINE_LATE = Text("Gửi muộn: {late_items}", "Late: {late_items}")
DEADLINE_MISSING = Text("Không gửi: {missing_items}", "Missing: {missing_items}")
DEADLINE_BOTH = Text(
    "Gửi muộn: {late_items}; không gửi: {missing_items}",
    "Late: {late_items}; missing: {missing_items}",
)


def bind_deadline(p: Params) -> Evaluate:
    items = p.indicator("items", ("items",), direction=0, lever=True)
    date_key = p.choice("date", ("sent", "received"), "sent")
    late = p.decimal("late")
    missing = p.decimal("missing", p.max)
    floor = _floor(p)
    custom = p.reason(DEADLINE_BOTH)
    reasons = (
        {
            (True, False): DEADLINE_LATE,
            (False, True): DEADLINE_MISSING,
            (True, True): DEADLINE_BOTH,
        }
        if custom is DEADLINE_BOTH
        else dict.fromkeys(((True, False), (False, True), (True, True)), custom)
    )
    maximum = p.max

    def evaluate(values: Values) -> Outcome:
        late_items: list[_Late] = []
        missing_items: list[str] = []
        for item in values[items]:
            when = item.get(date_key)
            if when is None:
                missing_items.append(item["name"])
            elif when > item["due"]:
                days = (when - item["due"]).days
                late_items.append(_Late(item["name"], days))
        deduction = late * len(late_items) + missing * len(missing_items)
        points = max(floor, maximum - deduction)
        return Outcome(
            points,
            reasons.get((bool(late_items), bool(missing_items))),
            "{max} − {late} × {late_count} − {missing} × {missing_count} = {points}",
            (
                ("late_items", late_items),
                ("missing_items", missing_items),
                ("late", late),
                ("missing", missing),
                ("late_count", len(late_items)),
                ("missing_count", len(missing_items)),
            ),
            ((items, values[items]),),
        )

    return evaluate


TREND_REASON = Text(
    "Năm nay {current}, thấp hơn năm trước ({previous})",
    "This year {current}, worse than last year ({previous})",
)
TREND_REASON_LOWER = Text(
    "Năm nay {current}, cao hơn năm trước ({previous})",
    "This year {current}, worse than last year ({previous})",
)


def bind_trend(p: Params) -> Evaluate:
    lower_is_better = (
        p.choice("direction", ("higher_is_better", "lower_is_better"), "higher_is_better")
        == "lower_is_better"
    )
    sign = -1 if lower_is_better else 1
    current = p.indicator("current", ("count", "number", "ratio"), direction=sign)
    previous = p.indicator("previous", ("count", "number", "ratio"), direction=-sign, lever=False)
    p.same_unit(current, previous)
    deduction = p.decimal("deduction", p.max)
    if not 0 <= deduction <= p.max - p.floor:
        raise p.error("deduction", f"the deduction must be between 0 and {p.max - p.floor}")
    reason = p.reason(TREND_REASON_LOWER if lower_is_better else TREND_REASON)
    maximum = p.max

    def evaluate(values: Values) -> Outcome:
        now, before = values[current], values[previous]
        worse = now > before if lower_is_better else now < before
        return Outcome(
            maximum - deduction if worse else maximum,
            reason if worse else None,
            "{current} / {previous} → {points}",
            (("current", now), ("previous", before)),
            ((current, now), (previous, before)),
        )

    return evaluate


PER_EVENT = Rule(
    "per_event",
    bind_per_event,
    "max − Σ severity × events, floored",
    ("events", "severity", "floor", "reason"),
    values=("events", "deduction", "floor"),
)
DEADLINE = Rule(
    "deadline",
    bind_deadline,
    "max − late × late items − missing × missing items, floored",
    ("items", "date", "late", "missing", "floor", "reason"),
    values=("late_items", "missing_items", "late", "missing", "late_count", "missing_count"),
)
TREND = Rule(
    "trend",
    bind_trend,
    "full points unless worse than last year",
    ("current", "previous", "direction", "deduction", "reason"),
    values=("current", "previous"),
)
