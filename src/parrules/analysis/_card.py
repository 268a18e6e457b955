"""Analyses of one score card: stage diff, achieved / not achieved by department, goal verdicts."""

from __future__ import annotations

from typing import Literal

import attrs

from .._model import Deduction, Node, NodeResult, ScoreCard, StageResult


@attrs.frozen
class StageChange:
    """A node whose points changed between stages: its result at every stage (None where it was
    not scored on its own), and the stages (by index) where it differs from the stage before."""

    node: Node
    results: tuple[NodeResult | None, ...]
    changed_at: tuple[int, ...]


def stage_diff(card: ScoreCard) -> tuple[StageChange, ...]:
    """Every node whose points differ between self-assessment, appraisal and final, in ruleset
    order; a card with one stage has none."""
    changes = []
    for node in card.ruleset.flat:
        results = tuple(stage.get(node.code) for stage in card.stages)
        points = [None if r is None else r.points for r in results]
        changed = tuple(i for i in range(1, len(points)) if points[i] != points[i - 1])
        if changed:
            changes.append(StageChange(node, results, changed))
    return tuple(changes)


def criteria(stage: StageResult, depth: int = 2) -> tuple[NodeResult, ...]:
    """The nodes a report lists as criteria: those at ``depth`` (``1.6``), and above it those
    scored directly (leaves, and nodes the appraisal scored as a whole)."""
    return tuple(
        r
        for r in stage.results
        if r.code.count(".") + 1 == depth or (r.scored_directly and r.code.count(".") + 1 < depth)
    )


def deductions_under(stage: StageResult, code: str) -> tuple[Deduction, ...]:
    """The lost points of a node and of every node nested under it."""
    return tuple(d for d in stage.deductions if d.code == code or d.code.startswith(code + "."))


@attrs.frozen
class DepartmentStatus:
    """The criteria a responsible department (``owner``) achieved in full, and those it did not,
    each with the lost points that explain it."""

    owner: str | None
    achieved: tuple[NodeResult, ...]
    not_achieved: tuple[tuple[NodeResult, tuple[Deduction, ...]], ...]


def by_department(
    card: ScoreCard, *, stage: str | None = None, depth: int = 2
) -> tuple[DepartmentStatus, ...]:
    """Criteria grouped by responsible department, in the order departments first appear."""
    result = card.stage(stage)
    owners: dict[
        str | None, tuple[list[NodeResult], list[tuple[NodeResult, tuple[Deduction, ...]]]]
    ]
    owners = {}
    for node_result in criteria(result, depth):
        if node_result.node.bonus:
            continue
        achieved, missed = owners.setdefault(node_result.node.owner, ([], []))
        if node_result.lost > 0:
            missed.append((node_result, deductions_under(result, node_result.code)))
        else:
            achieved.append(node_result)
    return tuple(DepartmentStatus(o, tuple(a), tuple(m)) for o, (a, m) in owners.items())


Verdict = Literal["met", "not_met", "no_data"]


@attrs.frozen
class GoalVerdict:
    """Whether a goal (a node) is met: in full (``met``), not (``not_met``: a condition with
    data failed, whatever the others), or not known because a condition had no data and none
    failed (``no_data``)."""

    result: NodeResult
    verdict: Verdict
    deductions: tuple[Deduction, ...]


def goal_verdicts(
    card: ScoreCard, *, stage: str | None = None, depth: int = 1
) -> tuple[GoalVerdict, ...]:
    """A verdict for every node at ``depth`` (the fields, by default)."""
    result = card.stage(stage)
    verdicts = []
    for node_result in criteria(result, depth):
        lost = deductions_under(result, node_result.code)
        verdict: Verdict = "met"
        if any(not d.result.not_applicable for d in lost):
            verdict = "not_met"
        elif lost:
            verdict = "no_data"
        verdicts.append(GoalVerdict(node_result, verdict, lost))
    return tuple(verdicts)
