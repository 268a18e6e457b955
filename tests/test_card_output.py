"""A card's JSON and reasons are written from what scoring kept, in one pass: they must say
exactly what the card's node results and explanations say, and run no rule again."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

import parrules
from parrules import ScoreCard
from parrules._json import jsonable
from parrules._numbers import quantize
from parrules.testing import rulesets, units

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def edges(ruleset: parrules.Ruleset, band: parrules.Band | None, lang: str) -> dict[str, str]:
    """The assumed edges of the class reached and of the class above it."""
    labels = [b.label for b in ruleset.classification]
    here = labels.index(band.label) if band is not None else len(labels)
    return {
        b.get(lang): b.assumed.get(lang)
        for i, b in enumerate(ruleset.classification)
        if b.assumed is not None and here - 1 <= i <= here
    }


def reference(card: ScoreCard, lang: str) -> list[dict[str, Any]]:
    """Each stage as the card's public results, deductions and explanations give it."""
    stages = []
    for stage in card.stages:
        places = card.ruleset.display_precision
        deductions = []
        for d in stage.deductions:
            explanation = d.result.explain(lang)
            entry: dict[str, Any] = {
                "code": d.code,
                "title": d.node.get_title(lang),
                "lost": jsonable(d.lost),
                "reason": explanation.reason,
                "formula": explanation.formula,
                "inputs": {name: jsonable(value) for name, value in explanation.inputs},
                "owner": d.node.owner,
                "source": explanation.source,
                "assumed": dict(explanation.assumed),
            }
            if d.result.appraisal is not None:
                entry["appraisal"] = {
                    "by": explanation.by,
                    "date": jsonable(explanation.date),
                    "evidence": list(explanation.evidence),
                }
            if d.remedy is not None:
                entry["remedy"] = {
                    "remedy": d.remedy.remedy,
                    "person": d.remedy.person,
                    "deadline": d.remedy.deadline,
                }
            deductions.append(entry)
        band = stage.classification
        stages.append(
            {
                "stage": stage.stage,
                "total": jsonable(quantize(stage.total, places)),
                "total_exact": jsonable(stage.total),
                "max": jsonable(stage.max),
                "percent": None
                if stage.percent is None
                else jsonable(quantize(stage.percent, places)),
                "classification": band.get(lang) if band else None,
                "classification_assumed": edges(card.ruleset, band, lang),
                "nodes": [
                    {
                        "code": r.code,
                        "parent": r.node.parent_code,
                        "title": r.node.get_title(lang),
                        "max": jsonable(r.max),
                        "points": jsonable(r.points),
                        "lost": jsonable(r.lost),
                        **({"not_applicable": True} if r.not_applicable else {}),
                        **({"assumed": dict(r.node.assumptions(lang))} if r.node.assumed else {}),
                    }
                    for r in stage.results
                ],
                "deductions": deductions,
            }
        )
    return stages


def same_as_reference(card: ScoreCard) -> None:
    for lang in ("vi", "en"):
        assert card.to_dict(lang)["stages"] == reference(card, lang)
        for stage in card.stages:
            explained = [d.result.explain(lang).reason for d in stage.deductions]
            assert [d.reason(lang) for d in stage.deductions] == explained


@pytest.mark.parametrize(
    "example", sorted(str(p.relative_to(EXAMPLES)) for p in EXAMPLES.rglob("*.yaml"))
)
def test_the_json_of_each_example_is_what_its_results_say(example: str) -> None:
    unit = parrules.load_unit(EXAMPLES / example)
    ruleset = parrules.load_ruleset(unit.ruleset_path or unit.ruleset)
    same_as_reference(parrules.score(ruleset, unit))


@hypothesis.settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_json_of_any_card_is_what_its_results_say(data: st.DataObject) -> None:
    ruleset = data.draw(rulesets())
    unit = data.draw(units(ruleset))
    same_as_reference(parrules.score(ruleset, unit))


def test_cards_scored_in_workers_write_the_same_json(registry: parrules.Registry) -> None:
    """A worker sends back only the points and the outcomes that cannot be computed again;
    the cards it gives explain and write the same."""
    from test_score_many import batch

    ruleset = parrules.load_ruleset(Path(__file__).parent / "data" / "mini.yaml", registry=registry)
    made = batch(ruleset, 300)
    alone = [parrules.score(ruleset, u) for u in made]
    cards = list(parrules.score_many(ruleset, made, workers=2, chunk_size=32))
    assert [c.to_dict("vi") for c in cards] == [c.to_dict("vi") for c in alone]
    assert [[d.reason() for d in c.deductions] for c in cards] == [
        [d.reason() for d in c.deductions] for c in alone
    ]


def test_writing_cards_as_they_are_scored_runs_no_rule_again(
    registry: parrules.Registry,
) -> None:
    """Cards written at once keep the outcomes of their lost points: writing every reason and
    formula costs no rule call beyond those scoring made. A card held for later keeps only its
    points, and runs a lost point's rule again when it is first explained."""
    from test_score_many import batch

    ruleset = parrules.load_ruleset(Path(__file__).parent / "data" / "mini.yaml", registry=registry)
    made = batch(ruleset, 60)
    calls = [0]
    rules = {node: node.evaluate for node in ruleset.leaves if node.evaluate is not None}

    def counted(evaluate: Any) -> Any:
        def run(values: Any) -> Any:
            calls[0] += 1
            return evaluate(values)

        return run

    def count(work: Any) -> int:
        calls[0] = 0
        work()
        return calls[0]

    try:
        for node, evaluate in rules.items():
            object.__setattr__(node, "evaluate", counted(evaluate))
        object.__setattr__(ruleset, "_plan", None)  # the scoring plan binds them anew
        scoring = count(lambda: list(parrules.score_many(ruleset, made)))
        writing = count(
            lambda: parrules.write_jsonl(parrules.score_many(ruleset, made), io.StringIO())
        )
        held = list(parrules.score_many(ruleset, made))
        explaining = count(
            lambda: [d.reason() for c in held for s in c.stages for d in s.deductions]
        )
    finally:
        for node, evaluate in rules.items():
            object.__setattr__(node, "evaluate", evaluate)
        object.__setattr__(ruleset, "_plan", None)
    assert scoring > 0
    assert writing == scoring
    assert explaining > 0


def test_stages_and_detail_shape_the_card(registry: parrules.Registry) -> None:
    from test_score_many import batch

    ruleset = parrules.load_ruleset(Path(__file__).parent / "data" / "mini.yaml", registry=registry)
    card = parrules.score(ruleset, batch(ruleset, 1)[0])
    whole = card.to_dict()
    assert len(whole["stages"]) == 3
    final = card.to_dict(stages="final")
    assert final["stages"] == whole["stages"][-1:]
    lost = card.to_dict(stages="final", detail="deductions")["stages"][0]
    assert "nodes" not in lost
    assert lost["deductions"] == whole["stages"][-1]["deductions"]
    nodes = card.to_dict(detail="nodes")["stages"]
    assert [s["nodes"] for s in nodes] == [s["nodes"] for s in whole["stages"]]
    assert all("deductions" not in s for s in nodes)
    stream = io.StringIO()
    parrules.write_jsonl([card], stream, stages="final", detail="deductions")
    assert json.loads(stream.getvalue())["stages"] == [lost]
    with pytest.raises(ValueError, match="stages must be one of all, final"):
        card.to_dict(stages="last")
    with pytest.raises(ValueError, match="detail must be one of all, nodes, deductions"):
        parrules.write_jsonl([card], stream, detail="reasons")


def test_a_kept_outcome_is_the_rules_own(registry: parrules.Registry) -> None:
    """What scoring kept for a leaf below its max is what its rule gives for the stage."""
    from test_score_many import batch

    ruleset = parrules.load_ruleset(Path(__file__).parent / "data" / "mini.yaml", registry=registry)
    checked = 0
    for card in (parrules.score(ruleset, u) for u in batch(ruleset, 40)):
        for stage, inputs in zip(card.stages, card.unit.stages, strict=True):
            for d in stage.deductions:
                if d.result.appraisal is None:
                    assert d.result.outcome == d.node.evaluate(inputs.indicators)  # type: ignore[misc]
                    checked += 1
    assert checked > 40


def test_the_command_line_writes_shorter_cards_that_keep_to_the_schema(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import jsonschema

    from parrules import cli

    units = sorted(str(p) for p in (EXAMPLES / "soc-trang" / "thanh-tri-2018").glob("*.yaml"))
    argv = ["score", *units, "--format", "jsonl"]
    assert cli.main([*argv, "--stages", "final", "--detail", "deductions"]) == 0
    short = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert cli.main(argv) == 0
    whole = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(short) == len(whole) == len(units)
    for a, b in zip(short, whole, strict=True):
        (stage,) = a["stages"]
        assert stage == {k: v for k, v in b["stages"][-1].items() if k != "nodes"}
        jsonschema.validate(a, parrules.json_schema("scorecard"))
    assert any(s["stages"][0]["deductions"] for s in short)
    assert cli.main([*argv[:-2], "--detail", "nodes"]) == 1
    assert "give --format json or jsonl" in capsys.readouterr().err


def test_ranking_reads_the_totals_and_field_points_scoring_kept(
    registry: parrules.Registry,
) -> None:
    """Ranking many units makes no node result (and so runs no rule) for any of them."""
    from test_score_many import batch

    ruleset = parrules.load_ruleset(Path(__file__).parent / "data" / "mini.yaml", registry=registry)
    cards = [parrules.score(ruleset, u) for u in batch(ruleset, 50)]
    ranking = parrules.rank(cards)
    assert all(c.final._made is None for c in cards)
    fields = [n.code for n in ruleset.nodes]
    for entry in ranking:
        assert [entry.field(code) for code in fields] == [
            entry.result.node(code).points for code in fields
        ]


@pytest.mark.parametrize(("stages", "detail"), [("all", "all"), ("final", "deductions")])
def test_lines_written_by_workers_are_those_of_one_process(
    registry: parrules.Registry, stages: str, detail: str
) -> None:
    from test_score_many import batch

    ruleset = parrules.load_ruleset(Path(__file__).parent / "data" / "mini.yaml", registry=registry)
    made = batch(ruleset, 200)
    here, there = io.StringIO(), io.StringIO()
    shape = {"stages": stages, "detail": detail}
    assert parrules.write_jsonl(parrules.score_many(ruleset, made), here, "en", **shape) == 200
    many = parrules.score_many(ruleset, made, workers=2, chunk_size=16)
    assert parrules.write_jsonl(many, there, "en", **shape) == 200
    assert there.getvalue() == here.getvalue()
