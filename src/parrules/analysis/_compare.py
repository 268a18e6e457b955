"""Year over year: two score cards side by side, node by node, even across rulesets."""

from __future__ import annotations

from decimal import Decimal

import attrs

from .._model import Node, NodeResult, ScoreCard, StageResult
from .._numbers import quantize


@attrs.frozen
class NodeComparison:
    """One code of either ruleset. ``before_node`` or ``after_node`` is None where the code exists
    in one ruleset only; ``before`` or ``after`` is also None where the node exists but was not
    scored on its own (its parent was appraised as a whole)."""

    code: str
    before_node: Node | None
    after_node: Node | None
    before: NodeResult | None
    after: NodeResult | None

    @property
    def node(self) -> Node:
        node = self.after_node or self.before_node
        assert node is not None
        return node

    @property
    def only_in(self) -> str | None:
        """``before`` or ``after`` for a code of one ruleset only, else None."""
        if self.after_node is None:
            return "before"
        return "after" if self.before_node is None else None

    @property
    def depth(self) -> int:
        return self.code.count(".") + 1


@attrs.frozen
class Comparison:
    """Two units (usually one unit in two years) compared at one stage.

    Percentages are rounded to the later ruleset's ``display_precision``, and a change is the
    difference of the two rounded percentages, so the table a reader checks adds up.
    """

    before: ScoreCard
    after: ScoreCard
    before_stage: StageResult
    after_stage: StageResult
    rows: tuple[NodeComparison, ...]

    @property
    def places(self) -> int:
        return self.after.ruleset.display_precision

    def percent(self, result: NodeResult | StageResult | None) -> Decimal | None:
        if result is None:
            return None
        share = result.percent  # None where no maximum is published: nothing to compare
        return None if share is None else quantize(share, self.places)

    def change(self, row: NodeComparison | None = None) -> Decimal | None:
        """Change in percentage points of a row, or of the total when no row is given."""
        if row is None:
            a, b = self.percent(self.before_stage), self.percent(self.after_stage)
        else:
            a, b = self.percent(row.before), self.percent(row.after)
        return None if a is None or b is None else b - a


def compare(before: ScoreCard, after: ScoreCard, *, stage: str | None = None) -> Comparison:
    """Compare two score cards node by node (by code), in the later ruleset's order; a code of
    the earlier ruleset only is placed after the code it follows there."""
    old, new = before.stage(stage), after.stage(stage)
    old_codes = [n.code for n in before.ruleset.flat]
    merged = [n.code for n in after.ruleset.flat]
    for index, code in enumerate(old_codes):
        if code in merged:
            continue
        previous = next((c for c in reversed(old_codes[:index]) if c in merged), None)
        if previous is None:
            merged.insert(0, code)
        elif code.startswith(previous + "."):  # its parent: first under it
            merged.insert(merged.index(previous) + 1, code)
        else:  # its previous sibling, or a node before it: after that node's subtree
            merged.insert(_after_subtree(merged, previous), code)
    old_nodes = {n.code: n for n in before.ruleset.flat}
    new_nodes = {n.code: n for n in after.ruleset.flat}
    rows = tuple(
        NodeComparison(code, old_nodes.get(code), new_nodes.get(code), old.get(code), new.get(code))
        for code in merged
    )
    return Comparison(before, after, old, new, rows)


def _after_subtree(codes: list[str], code: str) -> int:
    """The position just after ``code`` and every code nested under it."""
    index = codes.index(code) + 1
    while index < len(codes) and codes[index].startswith(code + "."):
        index += 1
    return index
