"""Lai Châu's own scoring rules for parrules.

This distribution is the template for a province that needs a rule the built-in ones do not
offer. It has one rule, ``lai-chau.provincial-index-impact``, and registers it through the
``parrules_rules`` hook; parrules finds it through the ``parrules`` entry point declared in
``pyproject.toml``. A rule is a frozen :class:`parrules.Rule` value: a name, and a ``bind``
function that reads the node's params once, when the ruleset is loaded, and returns the function
that scores one unit.

The rule scores criterion 1.7 of the Lai Châu district set ("Thực hiện công tác CCHC gắn với
Chỉ số CCHC hàng năm của tỉnh"): a unit loses points when something it is responsible for, such
as a leader being disciplined, affected the province's own PAR index. The loss is taken once a
year, for the most serious case, not summed over cases::

    rule: lai-chau.provincial-index-impact
    params:
      events: lanh_dao_bi_ky_luat          # an indicator of type events: kind -> count
      deductions: {lanh_dao_cap_huyen: 2, lanh_dao_cap_phong: 2}
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import NamedTuple

import parrules
from parrules.errors import UnitError, close_match

__all__ = ["PROVINCIAL_INDEX_IMPACT", "parrules_rules"]

REASON = parrules.Text(
    "Trừ {deduction} điểm do ảnh hưởng đến Chỉ số CCHC của tỉnh: {cases}",
    "{deduction} points deducted for affecting the provincial PAR index: {cases}",
)
FORMULA = "{max} − {deduction} = {points}"


class _Times(NamedTuple):
    """``Lãnh đạo cấp phòng × 1`` in a reason, in the reader's language."""

    label: parrules.Text
    count: Decimal

    def get(self, lang: str) -> str:
        return f"{self.label.get(lang)} × {self.count}"


def bind_provincial_index_impact(p: parrules.Params) -> parrules.Evaluate:
    """Read the params of one node; return the function scoring that node for a unit."""
    events = p.indicator("events", ("events",), direction=-1)
    deductions = p.decimals("deductions")  # written 2, 1.5 or "1,5"
    for kind, value in deductions.items():
        if not 0 <= value <= p.max - p.floor:
            msg = f"'{kind}': a deduction is between 0 and {p.max - p.floor}"
            raise p.error("deductions", msg)
    reason = p.reason(REASON)
    maximum = p.max
    labels = {kind: p.value_label(events, kind) for kind in deductions}

    def evaluate(values: parrules.Values) -> parrules.Outcome:
        happened: Mapping[str, Decimal] = values[events]
        for kind in happened:
            if kind not in deductions:
                msg = f"unknown kind of case '{kind}' (known: {', '.join(deductions)})"
                raise UnitError(msg, field=events, hint=close_match(kind, deductions))
        cases = sorted((k for k, n in happened.items() if n), key=lambda k: -deductions[k])
        deduction = deductions[cases[0]] if cases else Decimal(0)
        return parrules.Outcome(
            points=maximum - deduction,
            reason=reason if deduction else None,
            formula=FORMULA,
            values=(
                ("cases", [_Times(labels[k], happened[k]) for k in cases]),
                ("deduction", deduction),
            ),
            inputs=((events, dict(happened)),),
        )

    return evaluate


PROVINCIAL_INDEX_IMPACT = parrules.Rule(
    name="lai-chau.provincial-index-impact",
    bind=bind_provincial_index_impact,
    summary="max − the largest deduction among the cases that occurred (once a year)",
    params=("events", "deductions", "reason"),
    values=("cases", "deduction"),
)


@parrules.hookimpl
def parrules_rules() -> tuple[parrules.Rule, ...]:
    """The rules this plugin provides."""
    return (PROVINCIAL_INDEX_IMPACT,)
