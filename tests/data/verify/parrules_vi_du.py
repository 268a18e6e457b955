"""A province plugin written the way one outside this repository would be: only the documented
API (``parrules.Rule``, ``parrules.Params``, ``parrules.Outcome``, ``parrules.Text``,
``parrules.hookimpl``, ``parrules.errors``).

Its one rule scores the meetings on administrative reform a unit held against those its plan
required: ``points = max × min(held, required) / required``::

    rule: vi-du.hop-dinh-ky
    params: {held: so_cuoc_hop, required: 12}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import parrules

REASON = parrules.Text(
    "Họp {held}/{required} cuộc theo kế hoạch",
    "{held} of the {required} planned meetings held",
)


def bind_meetings(p: parrules.Params) -> Callable[[Mapping[str, Any]], parrules.Outcome]:
    held = p.indicator("held", ("count",), direction=1)
    required = p.decimal("required")
    if required <= 0 or required != required.to_integral_value():
        raise p.error("required", "the number of planned meetings is a whole number above 0")
    maximum = p.max

    def evaluate(values: Mapping[str, Any]) -> parrules.Outcome:
        count: Decimal = values[held]
        points = maximum * min(count, required) / required
        return parrules.Outcome(
            points=points,
            reason=REASON if points < maximum else None,
            formula="{max} × {held}/{required} = {points}",
            values=(("held", count), ("required", required)),
            inputs=((held, count),),
        )

    return evaluate


MEETINGS = parrules.Rule(
    name="vi-du.hop-dinh-ky",
    bind=bind_meetings,
    summary="max × min(held, required) / required",
    params=("held", "required", "reason"),
)


@parrules.hookimpl
def parrules_rules() -> tuple[parrules.Rule, ...]:
    return (MEETINGS,)
