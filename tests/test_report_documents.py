"""The reports officials file: a Word document laid out per Nghị định 30/2020/NĐ-CP and a
self-contained HTML report, each with the card's numbers, read back from the file written."""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import docx
import pytest
from docx.shared import Mm

import parrules
from parrules import cli, report
from parrules._numbers import fmt, fmt_fixed
from parrules.analysis import compare

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").rglob("*.yaml"))
SOC_TRANG = sorted((ROOT / "examples" / "soc-trang").rglob("*.yaml"))
TAM_DUONG = [ROOT / "examples" / "lai-chau" / f"tam-duong-{y}.yaml" for y in (2022, 2023)]
BINH_THANH = ROOT / "examples" / "thai-nguyen" / "binh-thanh-2023.yaml"


def card_of(path: Path) -> parrules.ScoreCard:
    unit = parrules.load_unit(path)
    return parrules.score(parrules.load_ruleset(unit.ruleset_path or unit.ruleset), unit)


def write(tmp_path: Path, *argv: str, name: str = "r.docx") -> Path:
    out = tmp_path / name
    assert cli.main([*argv, "-o", str(out)]) == 0
    return out


def table_with(document: docx.document.Document, *heads: str) -> list[list[str]]:
    """The rows of the longest table whose heading row starts with these headings."""
    found = [
        [[c.text for c in row.cells] for row in table.rows]
        for table in document.tables
        if [c.text for c in table.rows[0].cells][: len(heads)] == list(heads)
    ]
    assert found, f"no table headed {heads}"
    return max(found, key=len)


def test_the_word_report_is_a4_with_the_decree_margins_font_and_motto(tmp_path: Path) -> None:
    path = write(tmp_path, "explain", str(BINH_THANH), "--format", "docx")
    document = docx.Document(str(path))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert [round(m.mm) for m in (section.top_margin, section.bottom_margin)] == [20, 20]
    assert (round(section.left_margin.mm), round(section.right_margin.mm)) == (30, 15)
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman"
    assert normal.font.size.pt == 13
    heading = document.tables[0]  # issuing body beside the national motto
    issuer, motto = (cell.text for cell in heading.rows[0].cells)
    assert "XÃ BÌNH THÀNH" in issuer
    assert "Số:" in issuer
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc" in motto
    assert "ngày …… tháng …… năm" in motto
    texts = [p.text for p in document.paragraphs]
    assert "BÁO CÁO" in texts
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[0] == "I. KẾT QUẢ CHUNG"
    assert any("MẤT ĐIỂM" in h for h in headings)
    # page numbers from the second page
    assert section.different_first_page_header_footer
    assert "PAGE" in section.header._element.xml


def test_the_word_report_has_the_cards_score_table_and_register(tmp_path: Path) -> None:
    card = card_of(BINH_THANH)
    path = write(tmp_path, "explain", str(BINH_THANH), "--format", "docx")
    document = docx.Document(str(path))
    # the score table by field and criterion, a column per stage (annex I)
    rows = table_with(document, "Mã", "Lĩnh vực, tiêu chí", "Điểm tối đa", "Tự đánh giá")
    assert rows[0][3:6] == ["Tự đánh giá", "Thẩm định", "Điểm cuối cùng"]
    by_code = {r[0]: r for r in rows[1:] if r[0]}
    assert set(by_code) == {n.code for n in card.ruleset.flat}
    for stage_index, stage in enumerate(card.stages):
        for result in stage.results:
            shown = by_code[result.code][3 + stage_index].replace(",", ".")
            assert Decimal(shown) == result.points, (stage.stage, result.code)
    total = next(r for r in rows if r[1] == "Tổng điểm")
    assert total[3:6] == ["97,50", "93,75", "89,75"]
    # the summary prints each number as the tables do (97,50 there, not 97,5)
    summary = "\n".join(p.text for p in document.paragraphs)
    assert "Tự đánh giá: 97,50; Thẩm định: 93,75; Điểm cuối cùng: 89,75" in summary
    assert "Số điểm trừ: 10,25 điểm" in summary
    # the register: every lost point under its department, with cause, remedy and person
    register = table_with(document, "Mã", "Nội dung của chỉ tiêu, tiêu chí", "Nguyên nhân mất điểm")
    assert register[0][3:] == [
        "Số điểm trừ",
        "Giải trình, hướng khắc phục",
        "Người phụ trách",
        "Thời hạn khắc phục",
    ]
    entries = {r[0]: r for r in register[1:] if re.fullmatch(r"[0-9.]+", r[0])}
    assert set(entries) == {d.code for d in card.deductions}
    for d in card.deductions:
        row = entries[d.code]
        assert Decimal(row[3].replace(",", ".")) == d.lost
        assert row[2] == d.reason("vi")
        assert row[5] == (d.remedy.person if d.remedy else "") or ""
    groups = [r[0] for r in register[1:] if len(set(r)) == 1]  # a merged row: a department
    assert "Văn phòng - thống kê xã" in groups
    assert register[-1][0] == "Tổng cộng"
    assert register[-1][3] == "10,25"
    # the lost points written out, in the annex of inputs and formulas
    details = table_with(document, "Mã", "Lý do mất điểm", "Số liệu, cách tính, nguồn")
    text = "\n".join(r[2] for r in details)
    assert "Điểm bị trừ (tối đa − đạt): 0,5 − 0,25 = 0,25" in text


def test_the_word_report_compares_with_last_year_and_ranks_among_peers(tmp_path: Path) -> None:
    before, after = map(str, TAM_DUONG)
    path = write(tmp_path, "explain", after, "--format", "docx", "--previous", before)
    document = docx.Document(str(path))
    texts = "\n".join(p.text for p in document.paragraphs)
    assert "So với năm 2022: +6,05 điểm phần trăm (72,07 → 78,12 điểm)" in texts  # seed 001
    percents = table_with(document, "Mã", "Lĩnh vực, tiêu chí", "Năm 2022", "Năm 2023")
    assert percents[1][2:] == ["60,52%", "70,52%", "+10,00"]
    unit = str(SOC_TRANG[3])
    path = write(tmp_path, "explain", unit, "--format", "docx", "--peers", *map(str, SOC_TRANG))
    texts = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert re.search(r"Xếp hạng: \d+/10", texts)


def test_a_deadline_given_by_the_unit_goes_into_the_register(tmp_path: Path) -> None:
    old = (
        '"5.3": {remedy: "Nguyên nhân khách quan: tình hình thực tế tại đơn vị", '
        "person: Mạc Thị Lan}"
    )
    text = BINH_THANH.read_text(encoding="utf-8")
    assert old in text
    unit = tmp_path / "unit.yaml"
    unit.write_text(
        text.replace(old, '"5.3": {remedy: Cử đi học, person: Mạc Thị Lan, deadline: 2024-12-31}'),
        encoding="utf-8",
    )
    card = card_of(unit)
    assert card.unit.remedies["5.3"].deadline == "31/12/2024"
    (entry,) = (d for d in card.to_dict()["stages"][-1]["deductions"] if d["code"] == "5.3")
    assert entry["remedy"] == {
        "remedy": "Cử đi học",
        "person": "Mạc Thị Lan",
        "deadline": "31/12/2024",
    }
    document = docx.Document(str(write(tmp_path, "explain", str(unit), "--format", "docx")))
    register = table_with(document, "Mã", "Nội dung của chỉ tiêu, tiêu chí", "Nguyên nhân mất điểm")
    (row,) = (r for r in register if r[0] == "5.3")
    assert row[4:] == ["Cử đi học", "Mạc Thị Lan", "31/12/2024"]


def test_one_report_per_unit_in_a_zip_and_one_ranking_report(tmp_path: Path) -> None:
    units = list(map(str, SOC_TRANG))
    assert cli.main(["explain", *units, "--format", "docx", "-o", str(tmp_path / "r.docx")]) == 1
    path = write(tmp_path, "explain", *units, "--format", "docx", name="all.zip")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert len(names) == 10
        assert names[0] == "01 Thị trấn Hưng Lợi.docx"
        first = docx.Document(io.BytesIO(archive.read(names[0])))
    assert "THỊ TRẤN HƯNG LỢI" in first.tables[0].rows[0].cells[0].text
    path = write(tmp_path, "rank", *units, name="rank.docx")
    document = docx.Document(str(path))
    ranking = table_with(document, "Hạng", "Đơn vị")
    expected = parrules.rank([card_of(Path(u)) for u in units])
    assert [r[1] for r in ranking[1:11]] == [e.unit for e in expected]
    first = expected.entries[0]
    assert ranking[1][0] == "1"
    assert Decimal(ranking[1][-3].replace(",", ".")) == first.total
    assert ranking[1][-1] == (first.classification.get("vi") if first.classification else "")
    wide = document.sections[-1]  # the ranking table on landscape pages
    assert wide.page_width > wide.page_height
    assert round(wide.page_width.mm) == 297


DAK_PO = ROOT / "examples" / "gia-lai" / "dak-po-2020.yaml"


@pytest.mark.parametrize("example", [BINH_THANH, TAM_DUONG[1], DAK_PO], ids=lambda p: p.stem)
def test_each_annex_starts_a_page_without_an_empty_page_break(
    tmp_path: Path, example: Path
) -> None:
    """An empty paragraph holding a page break falls on a page of its own after a full page,
    leaving that page blank: the annex's heading starts the page instead. The spacer after the
    table that ends a page's content (before an annex, at the end) is 1 pt high, for the same
    reason (Đak Pơ's last table ended its page and the spacer made a blank last page)."""
    document = docx.Document(str(write(tmp_path, "explain", str(example), "--format", "docx")))
    ends = [document.paragraphs[-1]]
    ends += [
        docx.text.paragraph.Paragraph(p._p.getprevious(), p._parent)
        for p in document.paragraphs
        if p.text.startswith("PHỤ LỤC") and p._p.getprevious().tag.endswith("}p")
    ]
    for spacer in (e for e in ends if not e.text):
        assert spacer.paragraph_format.line_spacing == docx.shared.Pt(1)
    body = document.element.body
    breaks = body.xpath(".//w:br[@w:type='page']")
    assert breaks == []
    annexes = [p for p in document.paragraphs if p.text.startswith("PHỤ LỤC")]
    assert len(annexes) >= 2
    for paragraph in annexes:
        # a new page: from its own format, or from a section that starts on a new page
        before = paragraph.paragraph_format.page_break_before
        previous = paragraph._p.getprevious()
        assert before or previous.xpath("./w:pPr/w:sectPr"), paragraph.text


def test_the_same_report_is_the_same_bytes(tmp_path: Path) -> None:
    a = write(tmp_path, "explain", str(BINH_THANH), "--format", "docx", name="a.docx")
    b = write(tmp_path, "explain", str(BINH_THANH), "--format", "docx", name="b.docx")
    assert a.read_bytes() == b.read_bytes()


def test_what_the_word_writer_copies_is_what_python_docx_writes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The writer sets a paragraph's properties, a cell's width and a register's row through
    python-docx once, and copies them after: the documents are those written through python-docx
    every time, byte for byte."""
    from parrules.report import _docx

    documents = [
        report.unit_report(card_of(BINH_THANH), "vi", explain=True),
        report.unit_report(
            card_of(TAM_DUONG[1]), "en", comparison=compare(*map(card_of, TAM_DUONG))
        ),
        report.ranking_report(parrules.rank([card_of(p) for p in SOC_TRANG]), "vi"),
        report.tables_document(
            [
                report.Table(
                    "t",
                    "Bảng",
                    (report.Column("Mục"), report.Column("Ghi chú")),
                    tuple(
                        report.Row((f"{i}.", text))
                        for i, text in enumerate((" lề trái", "lề phải ", "", "hai\n dòng", "x"))
                    ),
                    notes=("ghi chú ", "ghi chú "),
                )
            ],
            "vi",
        ),
    ]
    copied = [report.docx_report(d) for d in documents]
    text = _docx._Writer._text

    def each_through_python_docx(self: _docx._Writer, *args: object, **kwargs: object) -> object:
        self._made.clear()
        return text(self, *args, **kwargs)

    def width(self: _docx._Writer, tc: object, mm: float) -> None:
        tc.width = self.Mm(mm)  # type: ignore[attr-defined]

    def add_row(self: _docx._Writer, word: object, empty: object, across: bool) -> object:
        row = word.add_row()  # type: ignore[attr-defined]
        if across:
            row.cells[0].merge(row.cells[-1])
        return row._tr

    monkeypatch.setattr(_docx._Writer, "_text", each_through_python_docx)
    monkeypatch.setattr(_docx._Writer, "_width", width)
    monkeypatch.setattr(_docx._Writer, "_add_row", add_row)
    assert [report.docx_report(d) for d in documents] == copied


def identifiers(card: parrules.ScoreCard) -> set[str]:
    """The raw identifiers of a ruleset: indicator names, choices and kinds of event."""
    names = set()
    for indicator in card.ruleset.indicators.values():
        names.add(indicator.name)
        names.update(indicator.choices)
        names.update(indicator.kinds)
    return {n for n in names if "_" in n}  # a plain word ("A") may be a word of the text


def document_text(path: Path) -> str:
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    parts += [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join(parts)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_no_raw_identifier_in_any_explanation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], example: Path
) -> None:
    card = card_of(example)
    names = identifiers(card)
    # an assumed param of a rule is named in words, not by its key in quotes
    keys = {
        item.partition(".")[2]
        for node in card.ruleset.flat
        for item in node.assumed
        if item.startswith("params.")
    }
    texts = {}
    for command in ("explain", "plan"):
        for lang in ("vi", "en"):
            assert cli.main([command, str(example), "--lang", lang]) == 0
            texts[f"{command} {lang}"] = capsys.readouterr().out
    texts["html"] = write(tmp_path, "explain", str(example), name="r.html").read_text("utf-8")
    texts["docx"] = document_text(write(tmp_path, "explain", str(example), "--format", "docx"))
    for kind, text in texts.items():
        found = {n for n in names if re.search(rf"(?<![\w/-]){re.escape(n)}(?![\w-])", text)}
        assert not found, (kind, found)
        quoted = {k for k in keys if f"'{k}'" in text or f"&#x27;{k}&#x27;" in text}
        assert not quoted, (kind, quoted)
    if example.stem.startswith("tam-duong-2023"):
        assert "Lãnh đạo cấp phòng" in texts["docx"]  # the kind of event, by its label


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_the_html_report_is_one_inert_file(tmp_path: Path, example: Path) -> None:
    page = write(tmp_path, "explain", str(example), name="r.html").read_text("utf-8")
    assert "<script" not in page.lower()
    assert not re.search(r"(src|href)\s*=", page, re.I)  # nothing to fetch
    assert "url(" not in page
    assert "@import" not in page
    assert "default-src 'none'" in page
    assert "<details>" in page or "Đơn vị không bị mất điểm" in page
    card = card_of(example)
    assert fmt(card.total, "vi", card.ruleset.display_precision) in page


def test_html_escapes_unit_text(tmp_path: Path) -> None:
    text = BINH_THANH.read_text(encoding="utf-8").replace(
        "unit: Xã Bình Thành", 'unit: "Xã <script>alert(1)</script> <img src=x>"', 1
    )
    unit = tmp_path / "unit.yaml"
    unit.write_text(text, encoding="utf-8")
    page = write(tmp_path, "explain", str(unit), name="r.html").read_text("utf-8")
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "<img" not in page


def test_lost_points_show_at_the_precision_of_their_column() -> None:
    card = card_of(TAM_DUONG[1])
    entries = report.register(card)
    assert entries.places == 4
    assert fmt_fixed(entries.total, "vi", entries.places) == "21,8809"
    details = dict(entries.groups[0].entries[0].details)
    assert details["Điểm bị trừ (tối đa − đạt)"] == "1 − 0,5 = 0,5"


def test_mm_widths_fit_the_page(tmp_path: Path) -> None:
    card = card_of(BINH_THANH)
    doc = report.unit_report(card, explain=True)
    data = report.docx_report(doc)
    document = docx.Document(io.BytesIO(data))
    for table in document.tables:
        total = sum(column.width for column in table.columns if column.width)
        assert total <= Mm(252) + 10, total  # within the text width (landscape at most)
