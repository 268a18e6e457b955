"""The JSON documents the CLI writes validate against the JSON Schemas shipped in the package
(``parrules.json_schema``, ``parrules schema``), which the docs publish as they are."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import parrules
from parrules import cli

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
COMMUNES = sorted(str(p) for p in (DATA / "reports" / "communes").glob("*-*.yaml"))


def schema(name: str) -> dict[str, Any]:
    data = parrules.json_schema(name.removesuffix(".schema.json"))
    jsonschema.Draft202012Validator.check_schema(data)
    return data


@pytest.mark.parametrize("name", ["scorecard", "ranking", "uncertainty"])
def test_the_command_prints_the_shipped_schema_the_docs_publish(
    capsys: pytest.CaptureFixture[str], name: str
) -> None:
    assert cli.main(["schema", name]) == 0
    printed = capsys.readouterr().out
    published = (ROOT / "docs" / "schema" / f"{name}.schema.json").read_text(encoding="utf-8")
    assert printed == published
    assert json.loads(printed) == schema(name)
    assert json.loads(printed)["properties"]["schema"]["const"].startswith(f"parrules.{name}/")


def test_an_unknown_schema_is_refused() -> None:
    with pytest.raises(ValueError, match="scorecard"):
        parrules.json_schema("score-card")
    with pytest.raises(SystemExit):
        cli.main(["schema", "score-card"])


def output(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert cli.main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    "unit",
    [
        DATA / "mini-unit.yaml",
        DATA / "reports" / "district-2023.yaml",
        DATA / "reports" / "yearly-unit.yaml",
    ],
)
def test_score_cards_validate(capsys: pytest.CaptureFixture[str], unit: Path) -> None:
    document = output(capsys, "score", str(unit), "--format", "json")
    jsonschema.validate(document, schema("scorecard.schema.json"))


def test_the_score_card_schema_rejects_a_float_and_a_missing_key(
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = output(capsys, "score", str(DATA / "mini-unit.yaml"), "--format", "json")
    bad = copy.deepcopy(document)
    bad["stages"][0]["total"] = 7.97
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema("scorecard.schema.json"))
    bad = copy.deepcopy(document)
    del bad["provenance"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema("scorecard.schema.json"))


def test_ranking_validates_and_says_what_the_issue_asks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = output(capsys, "rank", *COMMUNES, "--format", "json")
    jsonschema.validate(document, schema("ranking.schema.json"))
    assert list(document) == [
        "schema",
        "ruleset",
        "stage",
        "units",
        "average",
        "classification_counts",
        "classification_assumed",
    ]
    assert document["units"][1] == {
        "unit": "Xã Ân Phú",
        "total": "78.5",
        "percent": "78.5",
        "rank": 2,
        "classification": "Khá",
        "fields": {"1": "32", "2": "22.5", "3": "24"},
    }
    # (35+30+32+30+25+20)/6 = 28,666… → 28.67, of 40 → 71.67%
    assert document["average"]["fields"]["1"] == {"points": "28.67", "percent": "71.67"}
    assert document["average"]["total"] == "72.67"
    assert document["classification_counts"] == {"Tốt": 1, "Khá": 3, "Trung bình": 2, "Yếu": 0}


def test_the_ranking_schema_rejects_a_number_rank_as_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = output(capsys, "rank", *COMMUNES, "--format", "json")
    document["units"][0]["rank"] = "1"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema("ranking.schema.json"))
