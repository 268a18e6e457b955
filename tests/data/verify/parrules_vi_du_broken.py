"""The same plugin with the bug a hurried author makes: no cap at the max, so a unit that held
more meetings than planned scores more than the criterion is worth."""

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
    maximum = p.max

    def evaluate(values: Mapping[str, Any]) -> parrules.Outcome:
        count: Decimal = values[held]
        points = maximum * count / required  # the bug: min(count, required) forgotten
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
    summary="max × held / required",
    params=("held", "required", "reason"),
)


@parrules.hookimpl
def parrules_rules() -> tuple[parrules.Rule, ...]:
    return (MEETINGS,)
