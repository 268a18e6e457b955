"""A card's line of JSON is written from text kept per ruleset, and its lost points' texts are
kept by the values their rules read: both must give exactly what the card alone gives."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import attrs
import pytest

import parrules
from parrules import Appraisal, Outcome, Registry, Rule, Ruleset, ScoreCard, Text
from parrules._json import DETAIL, STAGES, card_to_line
from parrules._model import shape
from test_engine import RESCALE
from test_score_many import batch, unit_data

from helpers import ruleset_text

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"

NOT_APPLICABLE = RESCALE.replace(
    "title: Thử quy đổi", """title: 'Thử "dòng" JSON \\ </script>'"""
).replace("title: Lĩnh vực", """title: 'Lĩnh vực "một" \\ <b>'""")
"""A node rescaled when not applicable, under titles JSON must escape."""


def dumped(card: ScoreCard, lang: str, stages: str, detail: str) -> str:
    data = card.to_dict(lang, stages=stages, detail=detail)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def cards(registry: parrules.Registry, tmp_path: Path) -> list[ScoreCard]:
    """Real units of every shipped example, a varied batch with remedies and appraised points,
    and units with a rescaled node (not applicable) under titles JSON must escape."""
    found = []
    for path in sorted((ROOT / "examples").rglob("*.yaml")):
        unit = parrules.load_unit(path)  # the plugins installed, as a user scores them
        found.append(parrules.score(parrules.load_ruleset(unit.ruleset), unit))
    mini = parrules.load_ruleset(DATA / "mini.yaml", registry=registry)
    remedy = {"2.3": {"remedy": "Bổ sung", "person": "Chủ tịch", "deadline": "30/06/2024"}}
    for k in range(30):
        data = {**unit_data(k), "remedies": remedy} if k % 3 == 0 else unit_data(k)
        found.append(parrules.score(mini, parrules.unit_from_mapping(data, mini)))
    path = tmp_path / "line.yaml"
    path.write_text(NOT_APPLICABLE, encoding="utf-8")
    line = parrules.load_ruleset(path, registry=registry)
    for a, b, given in [(0, 0, "5.6"), (3, 4, "7"), (0, 0, "0")]:
        data: dict[str, Any] = {
            "indicators": {"a": a, "b": b},
            "points": {"1.1": {"points": given, "reason": 'lý do "x" \\ &'}},
        }
        found.append(parrules.score(line, parrules.unit_from_mapping(data, line)))
    return found


def test_a_line_is_the_json_of_the_cards_data(registry: parrules.Registry, tmp_path: Path) -> None:
    every = cards(registry, tmp_path)
    assert any(n.get("not_applicable") for c in every for n in c.to_dict()["stages"][-1]["nodes"])
    for _ in range(2):  # written, then from the texts kept
        for card in every:
            for lang in ("vi", "en"):
                for stages in STAGES:
                    for detail in DETAIL:
                        line = card_to_line(card, lang, stages, detail)
                        assert line == dumped(card, lang, stages, detail), card.unit.unit


def test_a_line_of_one_stage_holds_that_stage_alone(mini_ruleset: Ruleset) -> None:
    card = parrules.score(mini_ruleset, batch(mini_ruleset, 1)[0])
    line = json.loads(card_to_line(card, "en", "all", "all", only="appraisal"))
    assert [s["stage"] for s in line["stages"]] == ["appraisal"]
    assert line["stages"][0] == card.to_dict("en")["stages"][1]


def test_an_appraised_lost_point_is_written_as_its_own_appraisal_says(
    mini_ruleset: Ruleset,
) -> None:
    """The text of an appraised lost point is kept by what the appraisal says: appraisals that
    differ in any of it, or say it in values of other types (given through the API), are each
    written as their own."""
    unit = batch(mini_ruleset, 1)[0]
    said = Appraisal(Decimal(3), "Chưa cập nhật", "Sở Nội vụ", dt.date(2024, 1, 5), ("QĐ 1",))
    appraisals = [
        said,
        attrs.evolve(said, reason="Chưa cập nhật đủ"),
        attrs.evolve(said, reason=None),
        attrs.evolve(said, by="Tổ thẩm định"),
        attrs.evolve(said, by=None),
        attrs.evolve(said, date=dt.date(2024, 1, 6)),
        attrs.evolve(said, date=dt.datetime(2024, 1, 5)),
        attrs.evolve(said, evidence=("QĐ 2",)),
        attrs.evolve(said, evidence=("QĐ 1", "QĐ 2")),
        attrs.evolve(said, evidence=()),
        attrs.evolve(said, points=Decimal(2)),
        attrs.evolve(said, by=1),
        attrs.evolve(said, by=True),
        attrs.evolve(said, evidence=(1,)),
        attrs.evolve(said, evidence=(True,)),
        attrs.evolve(said, date=1),
        attrs.evolve(said, date=True),
        attrs.evolve(said, line=99),
    ]
    lines = []
    for _ in range(2):  # written, then from the texts kept
        for appraisal in appraisals:
            final = attrs.evolve(unit.stages[-1], points={"2.3": appraisal})
            card = parrules.score(mini_ruleset, attrs.evolve(unit, stages=(final,)))
            line = card_to_line(card, "en", "final", "deductions")
            assert line == dumped(card, "en", "final", "deductions")
            lines.append(line)
    assert len(set(lines)) == len(appraisals) - 1  # the line of the file is not written


@pytest.fixture
def mini_ruleset(registry: parrules.Registry) -> Ruleset:
    return parrules.load_ruleset(DATA / "mini.yaml", registry=registry)


def texts(card: ScoreCard) -> list[tuple[str, str, str, str | None]]:
    return [
        (d.code, d.reason("vi"), d.reason("en"), d.result.explain("en").formula)
        for s in card.stages
        for d in s.deductions
    ]


def test_texts_kept_by_value_are_those_of_the_card_alone(
    mini_ruleset: Ruleset, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each card's reasons are those it gives when nothing was kept before it, and the texts
    a ruleset keeps stay within their bound."""
    said = shape(mini_ruleset).said
    units = batch(mini_ruleset, 120)
    alone = []
    for unit in units:
        said.clear()
        alone.append(texts(parrules.score(mini_ruleset, unit)))
    for bound in (5, 100_000):
        monkeypatch.setattr(parrules._model, "SAID", bound)
        said.clear()
        assert [texts(c) for c in parrules.score_many(mini_ruleset, units)] == alone
        assert 0 < len(said) <= bound
    assert len({t for card in alone for t in card}) > 20  # varied reasons


@pytest.mark.parametrize(("before", "odd"), [(False, 0), (False, {})])
def test_a_value_of_another_type_than_declared_is_explained_as_itself(
    mini_ruleset: Ruleset, before: Any, odd: Any
) -> None:
    """Values given through the API are not converted: one of another type than declared is
    explained as its rule reads it, not as an equal value of the declared type was before it;
    one that cannot be hashed is explained too."""
    unit = batch(mini_ruleset, 1)[0]
    stage = unit.stages[0]

    def scored(value: Any) -> ScoreCard:
        given = attrs.evolve(stage, indicators={**stage.indicators, "co_ke_hoach": value})
        return parrules.score(mini_ruleset, attrs.evolve(unit, stages=(given,)))

    said = shape(mini_ruleset).said
    said.clear()
    alone = texts(scored(odd))
    said.clear()
    texts(scored(before))
    assert texts(scored(odd)) == alone
    assert json.loads(card_to_line(scored(odd)))["unit"] == unit.unit


def bind_shown(p: parrules.Params) -> Any:
    """No points, and a reason that shows the value as the rule reads it."""
    name = p.indicator("value", ("bool",))

    def evaluate(values: Any) -> Outcome:
        return Outcome(Decimal(0), Text("Giá trị {v}", "Value {v}"), None, (("v", values[name]),))

    return evaluate


SHOWN = SimpleNamespace(
    __name__="plugin_shown",
    parrules_rules=parrules.hookimpl(lambda: [Rule("shown", bind_shown, "0", ("value",))]),
)


def test_equal_values_of_other_types_are_explained_each_as_itself(tmp_path: Path) -> None:
    """1 == True, but a rule may show them differently: a text kept for one is not the
    other's."""
    path = tmp_path / "shown.yaml"
    path.write_text(
        ruleset_text("shown", {"value": "co"}, {"co": {"label": "Có", "type": "bool"}}), "utf-8"
    )
    registry = Registry.create(plugins=[SHOWN], entry_points=False)
    ruleset = parrules.load_ruleset(path, registry=registry)
    unit = parrules.unit_from_mapping({"indicators": {"co": True}}, ruleset)
    one = attrs.evolve(unit.stages[0], indicators={"co": 1})
    assert parrules.score(ruleset, unit).deductions[0].reason("en") == "Value true"
    card = parrules.score(ruleset, attrs.evolve(unit, stages=(one,)))
    assert card.deductions[0].reason("en") == "Value 1"
