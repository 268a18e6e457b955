"""The failure every check of ``parrules.testing`` raises, importable without hypothesis or pytest
(the cases runner behind ``parrules test`` needs neither)."""

from __future__ import annotations

PROPERTIES = {
    "params": "the rule accepts valid params",
    "exceptions": "on well-typed input nothing escapes but ParRulesError",
    "accepts": "input where every relation the rule declares holds is scored, never refused",
    "outcome": "the rule returns a parrules.Outcome with finite Decimal points",
    "deterministic": "the same input gives the same outcome, bound once or twice",
    "bounds": "floor ≤ points ≤ max",
    "explained": "lost points have a non-empty reason and the inputs used",
    "monotone": "points move in the direction the rule declares for each indicator",
    "refuses": "input that breaks a relation the rule declares is refused with a UnitError",
    "reconciled": "each parent scores the exact sum of its children; the register adds up",
    "json": "the score card survives a JSON round trip exactly",
    "case": "the unit of a cases file gets the points it expects",
    "vector": "the vectorised form gives the scalar form's points to the digit",
    "published": "the figures a source publishes are reproduced, at the source's rounding",
}
"""Every property the checks assert, by the name their failures report."""


class CheckFailed(AssertionError):
    """A conformance property does not hold; the message names it and gives the example."""

    def __init__(self, subject: str, prop: str, message: str, example: str = "") -> None:
        self.subject = subject
        self.property = prop
        self.example = example
        text = f"{subject} fails property '{prop}' ({PROPERTIES.get(prop, prop)}): {message}"
        super().__init__(text + (f"\n  minimal example: {example}" if example else ""))
