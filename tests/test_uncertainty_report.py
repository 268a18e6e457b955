"""The uncertainty study as the Word and HTML reports officials file: read back from the file
written, with the numbers of the study computed through the Python API."""

from __future__ import annotations

import re
from pathlib import Path

import docx
import pytest

import parrules
from parrules import cli, report
from parrules._numbers import HUNDRED, fmt_fixed

from helpers import study_files

DRAWS = ["--draws", "200", "--seed", "3", "--workers", "1"]


def write(tmp_path: Path, units: list[str], name: str, *argv: str) -> Path:
    out = tmp_path / name
    assert cli.main(["uncertainty", *units, *DRAWS, *argv, "-o", str(out)]) == 0
    return out


def study(units: list[str]) -> parrules.UncertaintyResult:
    return parrules.uncertainty(
        [parrules.load_unit(u) for u in units], draws=200, seed=3, workers=1
    )


def rows_of(document: docx.document.Document, *heads: str) -> list[list[str]]:
    """The body rows of the table whose heading row starts with these headings."""
    for table in document.tables:
        rows = [[c.text for c in row.cells] for row in table.rows]
        if rows[0][: len(heads)] == list(heads):
            return rows[1:]
    raise AssertionError(f"no table headed {heads}")


def test_the_word_study_has_the_studys_numbers_and_its_chart(tmp_path: Path) -> None:
    units = study_files(tmp_path)
    result = study(units)
    places = result.ruleset.display_precision
    document = docx.Document(str(write(tmp_path, units, "study.docx")))
    # the administrative document: A4, the national motto, numbered sections, annexes
    first = document.sections[0]
    assert (round(first.page_width.mm), round(first.page_height.mm)) == (210, 297)
    motto = document.tables[0].rows[0].cells[1].text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc" in motto
    texts = [p.text for p in document.paragraphs]
    assert "Độ tin cậy của điểm, hạng và xếp loại theo Chỉ số thử năm 2024" in texts
    assert "PHỤ LỤC I" in texts
    assert "- Số lần rút: 200 (hạt giống 3)" in texts
    # the rank-interval chart, a picture within the text width
    (picture,) = document.inline_shapes
    assert picture.width <= first.page_width - first.left_margin - first.right_margin
    assert any(t.startswith("Hình 1. Khoảng hạng 90%") for t in texts)
    # the score and rank intervals, on landscape pages
    ranks = rows_of(document, "Hạng công bố", "Đơn vị", "Tổng điểm công bố", "Trung vị điểm")
    assert [row[:7] for row in ranks] == [
        [
            str(u.rank),
            u.unit,
            fmt_fixed(u.total, "vi", places),
            fmt_fixed(u.median, "vi", places),
            f"{fmt_fixed(u.low, 'vi', places)}–{fmt_fixed(u.high, 'vi', places)}",
            fmt_fixed(u.median_rank, "vi", 0 if u.median_rank == int(u.median_rank) else 1),
            str(u.rank_low) if u.rank_low == u.rank_high else f"{u.rank_low}–{u.rank_high}",
        ]
        for u in result
    ]
    assert ranks[1][-1] == "Khảo sát"  # the source that moves Huyện Cường most
    assert any(s.page_width > s.page_height for s in document.sections)
    # the probability of each class, each band of ranks, and the sensitivity
    classes = rows_of(document, "Hạng công bố", "Đơn vị", "Tốt", "Khá", "Yếu")
    assert classes == [
        [str(u.rank), u.unit, *(fmt_fixed(p * HUNDRED, "vi", 1) + "%" for _, p in u.classes)]
        for u in result
    ]
    between = "1: giữa tự đánh giá và điểm cuối cùng"
    sensitivity = rows_of(document, "Hạng công bố", "Đơn vị", f"{between}: riêng")
    assert [row[2:] for row in sensitivity] == [
        [
            fmt_fixed(min(max(x, 0), 1) * HUNDRED, "vi", 1) + "%"  # an estimate shown in 0–100%
            for _, *shares in u.drivers
            for x in shares
        ]
        for u in result
    ]
    sources = rows_of(document, "Nguồn", "Mô tả", "Số đơn vị")
    assert sources[1] == ["2. Điều tra xã hội học", "Khảo sát", "5"]


def test_the_same_study_is_the_same_bytes(tmp_path: Path) -> None:
    units = study_files(tmp_path)
    for kind in ("docx", "html"):
        a = write(tmp_path, units, f"a.{kind}").read_bytes()
        assert write(tmp_path, units, f"b.{kind}").read_bytes() == a
        other = write(tmp_path, units, f"c.{kind}", "--seed", "4").read_bytes()
        assert other != a


def test_the_html_study_is_one_inert_file_with_its_chart_inside(tmp_path: Path) -> None:
    units = study_files(tmp_path, first="Huyện <b>An</b> $x^{2$")
    result = study(units)
    page = write(tmp_path, units, "study.html", "--lang", "en").read_text("utf-8")
    assert "<script" not in page.lower()
    sources = re.findall(r"""\b(?:src|href)\s*=\s*["']?([^"' >]*)""", page, re.I)
    assert len(sources) == 1
    assert sources[0].startswith("data:image/png;base64,")  # the chart, nothing to fetch
    assert "img-src data:" in page
    assert "Huyện &lt;b&gt;An&lt;/b&gt; $x^{2$" in page  # a name that matplotlib would read as TeX
    assert "SOCIALIST REPUBLIC OF VIETNAM" in page
    assert "How sure are the scores, ranks and classes" in page
    for u in result:
        low, high = (fmt_fixed(x, "en", 2) for x in (u.low, u.high))
        assert f"<td>{low}–{high}</td>" in page


def test_tables_asked_for_are_a_plain_document(tmp_path: Path) -> None:
    units = study_files(tmp_path)
    document = docx.Document(str(write(tmp_path, units, "t.docx", "--tables", "bands")))
    assert not document.inline_shapes  # the tables asked for, no chart
    assert len(rows_of(document, "Hạng công bố", "Đơn vị")) == 5


def test_long_number_headings_wrap_before_a_word_is_cut() -> None:
    """Six percentage columns headed by a long description (a source of variation) and a
    unit's name on an A4 landscape page: the headings take more lines, the name stays whole."""
    heading = "Điều tra xã hội học, 400 phiếu mỗi huyện: tổng"
    table = report.Table(
        "t",
        "",
        (
            report.Column("Đơn vị", wrap=30),
            *(report.Column(f"{heading} {n}", "percent", 1, wrap=24) for n in range(6)),
        ),
        (report.Row(("Huyện Cường", *(report.Num(HUNDRED, "percent", 1),) * 6)),),
    )
    from parrules.report._html import column_mm

    cells = [["Huyện Cường", *["100,0%"] * 6]]
    widths = column_mm(table, cells, 252, 11)
    assert sum(widths) <= 252 + 1e-9
    assert widths[0] >= 5 * 2.2 + 4  # "Huyện", "Cường": its longest words, 2.2 mm a letter


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_report_from_python(tmp_path: Path, lang: str) -> None:
    result = study(study_files(tmp_path))
    doc = report.uncertainty_report(result, lang)
    assert [a.title for a in doc.annexes] == [
        t.name for t in report.uncertainty_tables(result, lang)
    ]
    assert report.docx_report(doc).startswith(b"PK")
    assert "<figure>" in report.html_report([doc])
