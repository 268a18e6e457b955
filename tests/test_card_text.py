"""A card's line of JSON is written from text kept per ruleset, and its lost points' texts are
kept by the values their rules read: both must give exactly what the card alone gives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import pytest

import parrules
from parrules import Ruleset, ScoreCard
from parrules._json import DETAIL, STAGES, card_to_line
from parrules._model import shape
from test_score_many import batch, unit_data

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"

NOT_APPLICABLE = """\
id: test/line/2023
title: 'Thử "dòng" JSON \\ </script>'
year: 2023
max: 10
precision: 4
indicators:
  a: {label: A, type: count}
  b: {label: B, type: count}
nodes:
  - code: "1"
    title: 'Lĩnh vực "một" \\ <b>'
    max: 10
    children:
      - {code: "1.1", title: Tiêu chí đo được, max: 7}
      - code: "1.2"
        title: Tiêu chí có thể không phát sinh
        max: 3
        not_applicable: rescale
        rule: ratio
        params: {numerator: a, denominator: b, zero_denominator: not_applicable}
"""


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


def test_a_value_of_another_type_than_declared_is_explained_in_its_card(
    mini_ruleset: Ruleset,
) -> None:
    """Values given through the API are not converted: one that cannot be hashed is still
    explained (by the card alone), as its rule reads it."""
    unit = batch(mini_ruleset, 1)[0]
    stage = unit.stages[0]
    odd = attrs.evolve(stage, indicators={**stage.indicators, "co_ke_hoach": {}})
    card = parrules.score(mini_ruleset, attrs.evolve(unit, stages=(odd,)))
    lost = {d.code: d for d in card.deductions}
    assert lost["1.1"].reason("en") == lost["1.1"].result.explain("en").reason
    assert json.loads(card_to_line(card))["stages"][0]["deductions"][0]["code"] == "1.1"
