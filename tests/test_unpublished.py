"""Unpublished maxima (a published table of points with no maxima, like the national PAR INDEX's
components) and one default reason per stage in a unit file."""

from __future__ import annotations

import json
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

import parrules
from parrules import cli, report
from parrules.analysis import compare
from parrules.errors import RulesetError, UnitError

# Two fields with no published maximum and one with its criteria; the index has no maximum.
RULESET = """\
id: test/national/2023
title: Chỉ số thử nghiệm không công bố điểm tối đa
year: 2023
legal: Quyết định số 1/QĐ-TTg
max: unpublished
sources:
  bc: {kind: report, title: Báo cáo Chỉ số thử nghiệm}
cite: bc
classification:
  - {label: Tốt, min: 20, cite: bc}
  - {label: Khá, min: 0, cite: bc}
indicators:
  a: {label: Chỉ tiêu A, type: bool}
nodes:
  - {code: "1", title: Lĩnh vực 1, max: unpublished}
  - {code: "2", title: Lĩnh vực 2, max: unpublished}
  - code: "3"
    title: Lĩnh vực 3
    max: 2
    cite: bc
    children:
      - {code: "3.1", title: Tiêu chí 3.1, max: 1, rule: check, params: {all_of: [a]}}
      - {code: "3.2", title: Tiêu chí 3.2, max: 1}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def unit_text(name: str, one: str, two: str, a: str = "false") -> str:
    return f"""\
unit: {name}
year: 2023
ruleset: national.yaml
reason: Điểm thẩm định của Hội đồng
indicators: {{a: {a}}}
points:
  "1": {one}
  "2": {two}
  "3.2": 0.5
"""


@pytest.fixture
def units(tmp_path: Path) -> list[Path]:
    write(tmp_path, "national.yaml", RULESET)
    return [
        write(tmp_path, "a.yaml", unit_text("Tỉnh A", "12.5", "7.25")),
        write(tmp_path, "b.yaml", unit_text("Tỉnh B", "9", "8", a="true")),
    ]


def card_of(path: Path) -> parrules.ScoreCard:
    unit = parrules.load_unit(path)
    return parrules.score(parrules.load_ruleset(unit.ruleset_path or unit.ruleset), unit)


def test_a_node_with_no_published_max_scores_and_loses_nothing(units):
    card = card_of(units[0])
    assert card.ruleset.max is None
    assert card.total == Decimal("20.25")  # 12,5 + 7,25 + 0 + 0,5
    assert card.percent is None
    assert card.classification is not None
    assert card.classification.label == "Tốt"
    one = card.node("1")
    assert (one.points, one.max, one.lost, one.percent) == (Decimal("12.5"), None, 0, None)
    # only the criteria with a maximum lose points: 3.1 (1) and 3.2 (0,5)
    assert [(d.code, d.lost) for d in card.deductions] == [("3.1", 1), ("3.2", Decimal("0.5"))]
    assert card.node("3").percent == 25


def test_the_stage_reason_explains_points_given_without_one(units):
    card = card_of(units[0])
    assert card.deductions[1].reason() == "Điểm thẩm định của Hội đồng"


def test_it_ranks_with_percentages_only_where_a_maximum_exists(units):
    ranking = parrules.rank([card_of(p) for p in units])
    assert [(e.unit, e.rank, e.total, e.percent) for e in ranking] == [
        ("Tỉnh A", 1, Decimal("20.25"), None),
        ("Tỉnh B", 2, Decimal("18.5"), None),
    ]
    assert [f.percent for f in ranking.fields] == [None, None, Decimal("50")]  # 3: (0 + 1)/2 of 2
    assert ranking.average.percent is None
    data = report.ranking_to_dict(ranking)
    assert data["units"][0]["percent"] is None
    assert data["average"]["fields"]["1"] == {"points": "10.75", "percent": None}
    table, _ = report.ranking_tables(ranking)
    text = report.render([table], "text")
    assert "1: Lĩnh vực 1 (điểm tối đa không được công bố)" in text


def test_compare_and_chart_do_not_invent_a_percentage(units, tmp_path):
    comparison = compare(card_of(units[1]), card_of(units[0]))
    row = next(r for r in comparison.rows if r.code == "1")
    assert (comparison.percent(row.before), comparison.percent(row.after)) == (None, None)
    assert comparison.change(row) is None
    assert comparison.change() is None
    pytest.importorskip("matplotlib")
    chart = tmp_path / "chart.svg"
    assert cli.main(["score", str(units[0]), "--chart", str(chart)]) == 0
    assert chart.stat().st_size > 0


def test_every_command_and_format_runs(units, tmp_path, capsys):
    for kind in ("text", "markdown", "html", "latex", "csv", "zip", "json", "xlsx"):
        target = tmp_path / f"card.{kind}"
        tables = ["--tables", "card"] if kind == "csv" else []  # a CSV file holds one table
        assert (
            cli.main(["explain", str(units[0]), "--format", kind, "-o", str(target), *tables]) == 0
        )
    for command in (["rank", *map(str, units)], ["compare", *map(str, units)]):
        assert cli.main(command) == 0
    assert cli.main(["plan", str(units[0])]) == 0
    out = capsys.readouterr().out
    assert "Tỉnh A — Chỉ số thử nghiệm không công bố điểm tối đa: 20,25 (Tốt)" in out
    data = json.loads((tmp_path / "card.json").read_text(encoding="utf-8"))
    stage = data["stages"][0]
    assert (stage["max"], stage["percent"], stage["total"]) == (None, None, "20.25")
    assert stage["nodes"][0] == {
        "code": "1",
        "parent": None,
        "title": "Lĩnh vực 1",
        "max": None,
        "points": "12.5",
        "lost": "0",
    }
    assert [d["code"] for d in stage["deductions"]] == ["3.1", "3.2"]


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("max: 2\n    cite: bc", "max: unpublished\n    cite: bc", 0, ""),
        ("max: unpublished\nsources", "max: 25\nsources", 5, "1, 2 has no published max"),
        (
            '{code: "1", title: Lĩnh vực 1, max: unpublished}',
            '{code: "1", title: L, max: 2}',
            0,
            "",
        ),
        (
            '"3.2", title: Tiêu chí 3.2, max: 1',
            '"3.2", title: Tiêu chí 3.2, max: unpublished',
            19,
            "3.2 has no published max",
        ),
        ('max: unpublished}\n  - {code: "2"', 'max: unpublish}\n  - {code: "2"', 15, "unpublish"),
        (
            '{code: "2", title: Lĩnh vực 2, max: unpublished}',
            '{code: "2", title: Lĩnh vực 2, max: unpublished, rule: check, params: {all_of: [a]}}',
            16,
            "a rule needs a max",
        ),
    ],
)
def test_maxima_that_cannot_be_checked_are_refused(tmp_path, old, new, line, message):
    assert old in RULESET
    text = RULESET.replace(old, new)
    path = write(tmp_path, "national.yaml", text)
    if not line:  # with the index's max unpublished, a field's max is checked against nothing
        parrules.load_ruleset(path)
        return
    with pytest.raises(RulesetError, match=message) as info:
        parrules.load_ruleset(path)
    assert (info.value.path, info.value.line) == (str(path), line)


def test_validate_reports_the_sums_and_no_unpublished_max_as_uncited(tmp_path):
    path = write(tmp_path, "national.yaml", RULESET)
    findings = parrules.validate(path, strict=True)
    assert [(f.check, f.code) for f in findings] == [
        ("uncited", "3.1"),
        ("uncited", "3.2"),
    ]
    broken = write(
        tmp_path, "broken.yaml", RULESET.replace("max: 2\n    cite: bc", "max: 3\n    cite: bc")
    )
    (finding,) = parrules.validate(broken)
    assert (finding.check, finding.line, finding.code) == ("sum", 19, "3")


# One reason for all the appraised points of a stage.
STAGED = """\
unit: Tỉnh C
year: 2023
ruleset: national.yaml
indicators: {a: true}
points:
  "1": 10
  "2": 5
  "3.2": {points: 1}
stages:
  appraisal:
    reason: Điểm thẩm định của Hội đồng
    points:
      "3.2": 0.75
  final:
    points:
      "3.2": {points: 0.5, reason: Quyết định của Chủ tịch}
"""


def test_a_stage_reason_applies_to_that_stage_only(tmp_path):
    write(tmp_path, "national.yaml", RULESET)
    card = card_of(write(tmp_path, "c.yaml", STAGED))
    appraisal = card.stage("appraisal").node("3.2")
    assert appraisal.explain().reason == "Điểm thẩm định của Hội đồng"
    assert card.node("3.2").explain().reason == "Quyết định của Chủ tịch"


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("    reason: Điểm thẩm định của Hội đồng\n", "", 12, "0.75 of 1 needs a 'reason'"),
        ("reason: Điểm thẩm định của Hội đồng", "reason: 3", 11, "'reason' must be a text"),
        ('"3.2": {points: 0.5, reason', '"3.2": {points: 0.5, reasons', 16, "unknown key"),
        ('"1": 10', '"1": -1', 6, "-1 is below 0"),
    ],
)
def test_reasons_and_points_are_checked(tmp_path, old, new, line, message):
    write(tmp_path, "national.yaml", RULESET)
    assert old in STAGED
    path = write(tmp_path, "c.yaml", STAGED.replace(old, new))
    with pytest.raises(UnitError, match=message) as info:
        parrules.load_unit(path)
    assert info.value.line == line


def test_unit_from_mapping_takes_the_stage_reason(tmp_path):
    ruleset = parrules.load_ruleset(write(tmp_path, "national.yaml", RULESET))
    unit = parrules.unit_from_mapping(
        {
            "unit": "Tỉnh D",
            "indicators": {"a": True},
            "reason": "Điểm thẩm định của Hội đồng",
            "points": {"1": 3, "2": 4, "3.2": 0},
        },
        ruleset,
    )
    assert unit.stage().points["3.2"].reason == "Điểm thẩm định của Hội đồng"


def test_the_json_documents_follow_their_schemas(units, capsys):
    jsonschema = pytest.importorskip("jsonschema")
    schemas = Path(__file__).resolve().parents[1] / "docs" / "schema"
    assert cli.main(["score", str(units[0]), "--format", "json"]) == 0
    card = json.loads(capsys.readouterr().out)
    jsonschema.validate(card, json.loads((schemas / "scorecard.schema.json").read_text()))
    assert cli.main(["rank", *map(str, units), "--format", "json"]) == 0
    ranking = json.loads(capsys.readouterr().out)
    jsonschema.validate(ranking, json.loads((schemas / "ranking.schema.json").read_text()))
    assert ranking["units"][0]["percent"] is None
