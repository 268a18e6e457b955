"""Provenance in rulesets: sources, citations and assumptions, through ``extends``, with errors
that name the file and line where the offending text is."""

from __future__ import annotations

import csv
import io
import json
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

import parrules
from parrules import cli
from parrules._model import Text, assumed_items
from parrules.errors import RulesetError

BASE = """\
id: test/p/2023
title: Thử
year: 2023
max: 2
cite: {source: qd-1, at: Điều 2}
sources:
  qd-1:
    kind: legal
    title: Quyết định số 1/QĐ-UBND
    number: 1/QĐ-UBND
    date: 2023-01-04
    issuer: UBND tỉnh
  bc-1: {kind: report, title: Báo cáo số 1/BC-UBND}
classification:
  - {label: Tốt, min: 1.5, cite: qd-1}
  - {label: Khá, min: 1, assumed: Ngưỡng do nhóm biên soạn chọn}
  - {label: Yếu, min: 0}
indicators:
  a: {label: Chỉ tiêu A, type: count}
  b: {label: Chỉ tiêu B, type: count}
assumptions:
  - text: Cấu trúc theo báo cáo.
    cite: [bc-1]
nodes:
  - code: "1"
    title: Lĩnh vực
    max: 2
    cite: {source: qd-1, at: "Phụ lục, mục 1"}
    children:
      - code: "1.1"
        title: Tiêu chí 1
        max: 1
        cite: [qd-1, {source: bc-1, at: mục 2}]
        assumed: {params.bands: {vi: Ngưỡng 80% là giả định, en: The 80% edge is assumed}}
        rule: bands
        params:
          numerator: a
          denominator: b
          zero_denominator: full
          bands:
            - {gte: "80%", points: 1}
            - {lt: "80%", points: 0}
      - code: "1.2"
        title: Tiêu chí 2
        max: 1
        assumed: Điểm tối đa do nhóm biên soạn chọn
"""


def write(tmp_path: Path, body: str, name: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def load(path: Path, registry) -> parrules.Ruleset:
    return parrules.load_ruleset(path, registry=registry)


def test_sources_citations_and_assumptions_are_read(tmp_path, registry):
    rs = load(write(tmp_path, BASE, "base.yaml"), registry)
    qd = rs.sources["qd-1"]
    assert (qd.kind, qd.title, qd.number, qd.date, qd.issuer) == (
        "legal",
        "Quyết định số 1/QĐ-UBND",
        "1/QĐ-UBND",
        "04/01/2023",
        "UBND tỉnh",
    )
    assert [str(c) for c in rs.cite] == ["Quyết định số 1/QĐ-UBND, Điều 2"]
    assert [str(c) for c in rs.node("1.1").cite] == [
        "Quyết định số 1/QĐ-UBND",
        "Báo cáo số 1/BC-UBND, mục 2",
    ]
    leaf = rs.node("1.1")
    assert leaf.assumption("params.bands") == Text(
        "Ngưỡng 80% là giả định", "The 80% edge is assumed"
    )
    assert leaf.assumption("max") is None
    assert leaf.assumption("params.numerator") is None
    appraised = rs.node("1.2")
    assert appraised.cite == ()
    assert appraised.assumption("max") == Text(
        "Điểm tối đa do nhóm biên soạn chọn", "Điểm tối đa do nhóm biên soạn chọn"
    )
    good, fair, weak = rs.classification
    assert ([str(c) for c in good.cite], good.assumed, good.line) == (
        ["Quyết định số 1/QĐ-UBND"],
        None,
        15,
    )
    assert fair.assumed is not None
    assert fair.assumed.vi == "Ngưỡng do nhóm biên soạn chọn"
    assert (weak.cite, weak.assumed) == ((), None)
    assert [(a.text, [c.source.id for c in a.cite]) for a in rs.assumptions] == [
        ("Cấu trúc theo báo cáo.", ["bc-1"])
    ]


def test_a_whole_node_assumed_covers_its_max_and_every_param(tmp_path, registry):
    body = BASE.replace(
        "assumed: {params.bands: {vi: Ngưỡng 80% là giả định, en: The 80% edge is assumed}}",
        "assumed: Cả tiêu chí là giả định",
    )
    leaf = load(write(tmp_path, body, "r.yaml"), registry).node("1.1")
    assert {leaf.assumption(i).vi for i in ("max", "params.bands", "params.numerator")} == {  # type: ignore[union-attr]
        "Cả tiêu chí là giả định"
    }


def test_citations_and_sources_are_inherited_through_extends(tmp_path, registry):
    write(tmp_path, BASE, "base.yaml")
    child = write(
        tmp_path,
        """\
        extends: base.yaml
        id: test/p/2024
        year: 2024
        sources:
          bc-1: {kind: report, title: Báo cáo số 1/BC-UBND (bản sửa đổi)}
          bc-2: {kind: report, title: Báo cáo số 2/BC-UBND}
        add:
          - {parent: "1", code: "1.3", title: Tiêu chí 3, max: 0, cite: {source: bc-2, at: mục 3}}
        """,
        "child.yaml",
    )
    rs = load(child, registry)
    assert sorted(rs.sources) == ["bc-1", "bc-2", "qd-1"]
    assert [str(c) for c in rs.cite] == ["Quyết định số 1/QĐ-UBND, Điều 2"]
    # the parent's node cites the source as the child replaced it
    assert [str(c) for c in rs.node("1.1").cite][1] == "Báo cáo số 1/BC-UBND (bản sửa đổi), mục 2"
    assert rs.node("1.1").assumption("params.bands") is not None
    assert [str(c) for c in rs.node("1.3").cite] == ["Báo cáo số 2/BC-UBND, mục 3"]
    assert rs.classification[0].cite[0].source.id == "qd-1"


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "message"),
    [
        ("cite: [qd-1, {source: bc-1", "cite: [qd-1, {source: bc-9", 33, "source", "'bc-9'"),
        ('{source: qd-1, at: "Phụ lục', '{source: qd-2, at: "Phụ lục', 28, "source", "'qd-2'"),
        ("cite: {source: qd-1, at: Điều 2}", "cite: qd-7", 5, "cite", "'qd-7'"),
        (
            "- {label: Tốt, min: 1.5, cite: qd-1}",
            "- {label: Tốt, min: 1.5, cite: q}",
            15,
            "cite",
            "'q'",
        ),
        ("cite: [bc-1]", "cite: [bc-3]", 23, "cite", "'bc-3'"),
        ("kind: legal", "kind: law", 8, "kind", "kind 'law'"),
        ("    issuer: UBND tỉnh", "    issuer: UBND tỉnh\n    url: x", 13, "url", "unknown key"),
        ("{params.bands: {vi", "{params.band: {vi", 34, "assumed", "'params.band' is not"),
        (
            "assumed: Điểm tối đa do nhóm biên soạn chọn",
            "assumed: {params: x}",
            46,
            "assumed",
            "'params' is not",
        ),
    ],
)
def test_provenance_errors_name_file_and_line(tmp_path, registry, old, new, line, field, message):
    assert old in BASE
    body = BASE.replace(old, new)
    path = write(tmp_path, body, "r.yaml")
    with pytest.raises(RulesetError, match=message) as info:
        load(path, registry)
    assert (info.value.path, info.value.line, info.value.field) == (str(path), line, field)


def test_an_unknown_source_in_a_child_is_named_in_the_child(tmp_path, registry):
    write(tmp_path, BASE, "base.yaml")
    child = write(
        tmp_path,
        """\
        extends: base.yaml
        id: test/p/2024
        year: 2024
        add:
          - parent: "1"
            code: "1.3"
            title: Tiêu chí 3
            max: 0
            cite: bc-2
        """,
        "child.yaml",
    )
    with pytest.raises(RulesetError, match="unknown source 'bc-2'") as info:
        load(child, registry)
    assert (info.value.path, info.value.line, info.value.code) == (str(child), 9, "1.3")


@pytest.mark.parametrize(
    ("entry", "hint"),
    [
        ('{code: "1.1", text: Ngưỡng 80%}', "move it to the node as 'assumed:'"),
        ("{text: Ngưỡng 80%, reference: Báo cáo}", "write where it is written as 'cite:'"),
    ],
)
def test_the_old_spellings_are_refused_with_the_new_one(tmp_path, registry, entry, hint):
    body = BASE.replace("  - text: Cấu trúc theo báo cáo.\n    cite: [bc-1]", f"  - {entry}")
    path = write(tmp_path, body, "r.yaml")
    with pytest.raises(RulesetError) as info:
        load(path, registry)
    assert hint in (info.value.hint or "")
    assert info.value.line == 22


def test_a_node_reference_is_refused_with_cite_as_the_hint(tmp_path, registry):
    body = BASE.replace("        assumed: Điểm", "        reference: x\n        assumed: Điểm")
    path = write(tmp_path, body, "r.yaml")
    with pytest.raises(RulesetError, match="unknown key 'reference'") as info:
        load(path, registry)
    assert "cite:" in (info.value.hint or "")


# Errors in a ruleset that extends another name the file where the offending text is.
CHILD_REMOVES_A_FIELD = """\
extends: base.yaml
id: test/p/2024
title: Thử 2024
year: 2024
remove: ["1"]
add:
  - {parent: null, code: "2", title: Lĩnh vực 2, max: 1}
"""


def test_a_wrong_fields_total_is_reported_where_max_is_written(tmp_path, registry):
    base = write(tmp_path, BASE, "base.yaml")
    child = write(tmp_path, CHILD_REMOVES_A_FIELD, "child.yaml")
    with pytest.raises(RulesetError, match="add up to 1, not 2") as info:
        load(child, registry)
    assert (info.value.path, info.value.line) == (str(base), 4)
    (finding,) = [f for f in parrules.validate(child, registry=registry) if f.check == "sum"]
    assert (finding.path, finding.line) == (str(base), 4)


def test_a_wrong_max_in_the_child_is_reported_in_the_child(tmp_path, registry):
    write(tmp_path, BASE, "base.yaml")
    child = write(tmp_path, CHILD_REMOVES_A_FIELD + "max: 3\n", "child.yaml")
    with pytest.raises(RulesetError, match="add up to 1, not 3") as info:
        load(child, registry)
    assert (info.value.path, info.value.line) == (str(child), 8)


def test_an_inherited_indicator_is_reported_in_the_parent(tmp_path, registry):
    bad = BASE.replace("  b: {label: Chỉ tiêu B", "  B: {label: Chỉ tiêu B")
    base = write(tmp_path, bad, "base.yaml")
    child = write(
        tmp_path,
        """\
        extends: base.yaml
        id: test/p/2024
        year: 2024
        indicators:
          c: {label: Chỉ tiêu C, type: count}
        """,
        "child.yaml",
    )
    with pytest.raises(RulesetError, match="'B' must be lower_snake_case") as info:
        load(child, registry)
    assert (info.value.path, info.value.line) == (str(base), 20)
    findings = [f for f in parrules.validate(child, registry=registry) if f.check == "indicator"]
    assert [(f.path, f.line) for f in findings] == [(str(base), 20)]


def test_the_shipped_child_ruleset_keeps_its_parents_citations(registry):
    rs = parrules.load_ruleset("lai-chau/district/2023")
    assert rs.chain == ("lai-chau/district/2022", "lai-chau/district/2023")
    assert rs.node("1.1").origin == "lai-chau/district/2022"
    assert rs.node("8.9").origin == "lai-chau/district/2023"
    assert rs.node("8.9").cite[0].source.id == "bc-tam-duong-2023"
    assert rs.max == Decimal(100)


# validate --strict: every number a reader sees cites a source or is assumed.
UNCITED = """\
id: test/u/2023
title: Thử
legal: Quyết định số 1/QĐ-UBND
year: 2023
max: 5
sources:
  qd-1: {kind: legal, title: Quyết định số 1/QĐ-UBND}
classification:
  - {label: Tốt, min: 4}
  - {label: Khá, min: 2, cite: qd-1}
  - {label: Yếu, min: 0, assumed: Mọi tổng điểm}
indicators:
  a: {label: A, type: count}
  b: {label: B, type: count}
  c: {label: C, type: bool}
  r: {label: R, type: ratio}
nodes:
  - code: "1"
    title: Lĩnh vực 1
    max: 5
    assumed: {max: Tổng của các tiêu chí}
    children:
      - code: "1.1"
        title: Tỷ lệ
        max: 1
        rule: ratio
        params: {numerator: a, denominator: b, target: "80%", zero_denominator: full}
      - code: "1.2"
        title: Ngưỡng
        max: 1
        cite: qd-1
        assumed: {params.all_of: Ngưỡng 50% là giả định}
        rule: check
        params:
          all_of: [c, {indicator: r, gte: "50%"}]
          otherwise: 0.5
      - code: "1.3"
        title: Điều kiện
        max: 1
        rule: check
        params:
          all_of: [c]
      - code: "1.4"
        title: Khoảng
        max: 1
        assumed: {max: Điểm do nhóm chọn}
        rule: bands
        params:
          value: r
          direction: higher_is_better
          bands:
            - {gte: "90%", points: 1}
            - {lt: "90%", points: 0}
      - code: "1.5"
        title: Thẩm định
        max: 1
"""


def test_strict_validation_lists_every_uncited_number_at_its_line(tmp_path, registry):
    path = write(tmp_path, UNCITED, "u.yaml")
    assert parrules.validate(path, registry=registry) == ()
    found = [
        (f.line, f.code, f.message)
        for f in parrules.validate(path, registry=registry, strict=True)
        if f.check == "uncited"
    ]
    assert found == [
        (5, None, "the ruleset's 'max' cites no source and is not assumed"),
        (9, None, "the 'min' of the band 'Tốt' cites no source and is not assumed"),
        (25, "1.1", "'max' cites no source and is not assumed"),
        (27, "1.1", "'params.target' cites no source and is not assumed"),
        (39, "1.3", "'max' cites no source and is not assumed"),
        (51, "1.4", "'params.bands' cites no source and is not assumed"),
        (56, "1.5", "'max' cites no source and is not assumed"),
    ]


def test_params_record_which_hold_numbers(tmp_path, registry):
    rs = load(write(tmp_path, UNCITED, "u.yaml"), registry)
    assert rs.node("1.1").numbers == ("target",)  # not numerator, denominator, zero_denominator
    assert rs.node("1.2").numbers == ("all_of", "otherwise")  # a threshold in a condition
    assert rs.node("1.3").numbers == ()  # only a bool indicator's name
    assert rs.node("1.4").numbers == ("bands",)  # not value, direction


def test_validate_strict_on_the_command_line(tmp_path, capsys):
    path = write(tmp_path, UNCITED, "u.yaml")
    assert cli.main(["validate", str(path)]) == 0
    assert cli.main(["validate", "--strict", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:27: warning [uncited] node 1.1: 'params.target' cites no source" in out
    assert out.endswith("1 ruleset(s): 0 error(s), 7 warning(s) (7 uncited)\n")


def _assumed_texts(ruleset: parrules.Ruleset) -> list[tuple[str, Text]]:
    """Every reason a ruleset gives for an assumed number: per node item, per band, top level."""
    found: list[tuple[str, Text]] = []

    def walk(nodes: tuple[parrules.Node, ...]) -> None:
        for node in nodes:
            found.extend((f"{node.code} {item}", text) for item, text in node.assumed.items())
            walk(node.children)

    walk(ruleset.nodes)
    found += [(f"band {b.label}", b.assumed) for b in ruleset.classification if b.assumed]
    return found + ([("ruleset", ruleset.assumed)] if ruleset.assumed else [])


SHIPPED = sorted(parrules.known_ids(parrules.Registry.create()))


@pytest.mark.parametrize("ruleset_id", SHIPPED)
def test_every_assumption_of_a_shipped_ruleset_has_an_english_reason(ruleset_id: str) -> None:
    """A reason written as one text is printed as is by ``--lang en``: each shipped reason is
    given as ``{vi: …, en: …}``."""
    texts = _assumed_texts(parrules.load_ruleset(ruleset_id))
    assert texts
    assert [where for where, text in texts if text.en == text.vi] == []


EXAMPLES = sorted((Path(__file__).parents[1] / "examples").rglob("*.yaml"))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_explain_in_english_gives_the_assumptions_in_english(example: Path, capsys) -> None:
    assert cli.main(["explain", str(example), "--lang", "en", "--tables", "assumptions"]) == 0
    out = capsys.readouterr().out
    assert "giả định" not in out
    assert "Báo cáo" not in out


def _csv_rows(capsys, *args: str) -> list[list[str]]:
    assert cli.main([*args, "--format", "csv"]) == 0
    text = capsys.readouterr().out.removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_the_card_marks_every_assumed_number_it_shows(example: Path, capsys) -> None:
    """Each criterion whose maximum or parameters no source states is marked on the score card,
    and so is the class when an edge is assumed; the JSON card gives the reasons."""
    ruleset = parrules.load_ruleset(parrules.load_unit(example).ruleset)
    assumed = {n.code: n for n in ruleset.flat if n.assumed}
    bands = {b.label: b.assumed.vi for b in ruleset.classification if b.assumed}
    head, *rows = _csv_rows(capsys, "explain", str(example), "--tables", "card")
    if not assumed and not bands:
        assert "Giả định" not in head
        return
    assert head[-1] == "Giả định"
    marks = {row[1]: row[-1] for row in rows if row[1]}
    assert {code for code, mark in marks.items() if mark} == set(assumed)
    for code, node in assumed.items():
        assert marks[code] == "giả định: " + assumed_items(node.assumed)
    (klass,) = [row for row in rows if row[2] == "Xếp loại"] or [None]
    if klass is not None:
        assert (klass[-1] == "giả định: mốc xếp loại") == bool(bands)
    assert cli.main(["explain", str(example), "--format", "json"]) == 0
    card = json.loads(capsys.readouterr().out)
    for stage in card["stages"]:
        nodes = {n["code"]: n.get("assumed", {}) for n in stage["nodes"]}
        assert {c: a for c, a in nodes.items() if a} == {
            c: dict(n.assumptions()) for c, n in assumed.items() if c in nodes
        }
        edges = stage["classification_assumed"]
        assert set(edges) <= set(bands)
        assert bool(edges) == bool(bands and stage["classification"] is not None)


def test_a_class_on_assumed_edges_is_marked_in_the_ranking(capsys) -> None:
    units = sorted(str(p) for p in (EXAMPLES[0].parents[1] / "soc-trang").rglob("*.yaml"))
    assert len(units) == 10
    assert cli.main(["rank", *units]) == 0
    assert "\nXếp loại (giả định: mốc xếp loại)\n" in capsys.readouterr().out


def test_a_programme_review_names_its_stages_for_what_they_hold(capsys) -> None:
    """Đak Pơ's top level is what the report's data give and its appraisal stage the report's
    own verdicts: neither is shown as a self-assessment or an appraisal."""
    example = str(EXAMPLES[0].parents[1] / "gia-lai" / "dak-po-2020.yaml")
    for lang, computed, verdict, usual in (
        ("vi", "Kiểm tra theo số liệu của báo cáo", "Kết luận của báo cáo", "Tự đánh giá"),
        ("en", "Check from the report's data", "The report's verdict", "Self-assessment"),
    ):
        assert cli.main(["explain", example, "--lang", lang, "--width", "0"]) == 0
        out = capsys.readouterr().out
        assert f"({computed})" in out
        assert f"({verdict}, Phụ lục 8)" in out
        assert usual not in out


@pytest.mark.parametrize(
    ("labels", "line", "message"),
    [
        ("{selff: Kiểm tra}", 1, "unknown stage 'selff' (did you mean 'self'?)"),
        ("{self: ''}", 1, "'stage_labels.self' needs"),
        ("[self]", 1, "'stage_labels' maps a stage"),
    ],
)
def test_stage_labels_are_checked(tmp_path, registry, labels, line, message) -> None:
    with pytest.raises(RulesetError) as caught:
        load(write(tmp_path, f"stage_labels: {labels}\n" + BASE, "r.yaml"), registry)
    assert caught.value.line == line
    assert message in str(caught.value)


@pytest.mark.parametrize("ruleset_id", SHIPPED)
def test_every_general_assumption_of_a_shipped_ruleset_is_in_both_languages(ruleset_id) -> None:
    assumptions = parrules.load_ruleset(ruleset_id).assumptions
    assert assumptions
    assert [a.text for a in assumptions if a.get("en") == a.get("vi")] == []


def test_a_general_assumption_is_written_in_one_text_or_in_both_languages(tmp_path, registry):
    both = "{vi: Cấu trúc theo báo cáo., en: The structure follows the report.}"
    body = BASE.replace("  - text: Cấu trúc theo báo cáo.", f"  - text: {both}")
    rs = load(write(tmp_path, body, "r.yaml"), registry)
    (general,) = rs.assumptions
    assert (general.get("vi"), general.get("en")) == (
        "Cấu trúc theo báo cáo.",
        "The structure follows the report.",
    )
    (one,) = load(write(tmp_path, BASE, "base.yaml"), registry).assumptions
    assert one.get("en") == one.get("vi") == "Cấu trúc theo báo cáo."


def test_the_report_gives_the_general_assumptions_in_its_language(tmp_path) -> None:
    example = str(EXAMPLES[0].parents[1] / "lai-chau" / "tam-duong-2023.yaml")
    for lang, own, other in (
        ("vi", "Báo cáo không nêu bộ chỉ số", "The report names no criteria set"),
        ("en", "The report names no criteria set", "Báo cáo không nêu bộ chỉ số"),
    ):
        target = tmp_path / f"{lang}.html"
        assert cli.main(["explain", example, "--lang", lang, "-o", str(target)]) == 0
        text = target.read_text(encoding="utf-8")
        assert own in text
        assert other not in text


def test_the_ranking_json_gives_the_assumed_class_edges(capsys) -> None:
    units = sorted(str(p) for p in (EXAMPLES[0].parents[1] / "soc-trang").rglob("*.yaml"))
    assert cli.main(["rank", *units, "--format", "json"]) == 0
    edges = json.loads(capsys.readouterr().out)["classification_assumed"]
    assert list(edges) == ["Rất tốt", "Tốt", "Khá"]
    assert all("không được báo cáo nêu" in why for why in edges.values())
