"""A document as a Word file laid out per Nghị định 30/2020/NĐ-CP (the State's rules for
administrative documents, Phụ lục I): A4, margins 20 mm top and bottom, 30 mm left, 15 mm right;
Times New Roman, 13 pt text; the issuing body beside the national motto, the number and the
place and date left to fill; page numbers from the second page. Real Word headings and tables,
which the official edits. Needs the ``docx`` extra (python-docx).
"""

from __future__ import annotations

import copy
import io
import zipfile
from collections.abc import Sequence
from typing import Any

from ..errors import ParRulesError
from ._document import BLANK, Document, Facts, Figure, Paragraph, Register, Section
from ._html import REGISTER, ROMAN, column_mm
from ._render import _cells
from ._table import Table, number
from ._text import inert, width

FONT = "Times New Roman"
PORTRAIT = 165.0
"""Text width in mm on A4 portrait: 210 less 30 and 15 mm."""
LANDSCAPE = 252.0
TABLE_PT = 11


def _docx() -> Any:
    try:
        import docx
    except ImportError:  # pragma: no cover - the extra is part of dev
        msg = "the docx format needs python-docx: pip install 'parrules[docx]'"
        raise ParRulesError(msg) from None
    return docx


class _Writer:
    def __init__(self, doc: Document) -> None:
        docx = _docx()
        from docx.enum.section import WD_ORIENT
        from docx.enum.style import WD_STYLE_TYPE
        from docx.enum.table import WD_TABLE_ALIGNMENT
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn
        from docx.shared import Mm, Pt, RGBColor
        from docx.table import _Cell

        self.Mm, self.Pt, self.qn, self.OxmlElement = Mm, Pt, qn, OxmlElement
        self.Cell = _Cell
        self.TCW = f"{qn('w:tcPr')}/{qn('w:tcW')}"
        self.SPAN = f"{qn('w:tcPr')}/{qn('w:gridSpan')}"
        self.TYPE, self.W = qn("w:type"), qn("w:w")
        self.align, self.orient = WD_ALIGN_PARAGRAPH, WD_ORIENT
        self.table_align = WD_TABLE_ALIGNMENT
        self.doc = doc
        self._made: dict[tuple[Any, ...], tuple[Any, Any]] = {}
        """The properties of the paragraphs ``_text`` wrote, by its options (see ``_copied``)."""
        self.t = doc.labels
        self.word = docx.Document()
        self.width = PORTRAIT
        self.grid_style = self.word.part.get_style_id("Table Grid", WD_STYLE_TYPE.TABLE)
        styles = self.word.styles
        normal = styles["Normal"]
        self._font(normal.element, FONT)
        normal.font.size = Pt(13)
        normal.paragraph_format.space_after = Pt(6)
        normal.paragraph_format.line_spacing = 1.0
        for name, size, italic in (("Heading 1", 13, False), ("Heading 2", 13, False)):
            style = styles[name]
            self._font(style.element, FONT)
            style.font.size = Pt(size)
            style.font.bold = True
            style.font.italic = italic
            style.font.color.rgb = RGBColor(0, 0, 0)
            style.paragraph_format.space_before = Pt(12)
            style.paragraph_format.space_after = Pt(6)
            style.paragraph_format.keep_with_next = True
        section = self.word.sections[0]
        self._page(section, landscape=False)
        section.different_first_page_header_footer = True
        self._page_number(section)
        properties = self.word.core_properties
        properties.title = doc.subject
        properties.author = "parrules"
        properties.language = "en-US" if doc.lang == "en" else "vi-VN"

    # -- low-level helpers ------------------------------------------------------------------

    def _font(self, element: Any, name: str) -> None:
        """The font for every script: Word takes Vietnamese letters from the ``hAnsi`` and
        ``cs`` slots, and East Asian settings from ``eastAsia``."""
        rpr = element.get_or_add_rPr()
        fonts = rpr.find(self.qn("w:rFonts"))
        if fonts is None:
            fonts = self.OxmlElement("w:rFonts")
            rpr.insert(0, fonts)
        for slot in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            fonts.set(self.qn(slot), name)
        for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
            fonts.attrib.pop(self.qn(theme), None)  # a theme font would win over the name

    def _page(self, section: Any, landscape: bool) -> None:
        Mm = self.Mm
        section.orientation = self.orient.LANDSCAPE if landscape else self.orient.PORTRAIT
        section.page_width, section.page_height = (
            (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
        )
        section.top_margin = section.bottom_margin = Mm(20)
        section.left_margin, section.right_margin = Mm(30), Mm(15)
        section.header_distance = section.footer_distance = Mm(10)
        self.width = LANDSCAPE if landscape else PORTRAIT

    def _page_number(self, section: Any) -> None:
        """The page number centred at the top, from the second page (the first has none)."""
        paragraph = section.header.paragraphs[0]
        paragraph.alignment = self.align.CENTER
        run = paragraph.add_run()
        for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
            if kind:
                element = self.OxmlElement("w:fldChar")
                element.set(self.qn("w:fldCharType"), kind)
            else:
                element = self.OxmlElement("w:instrText")
                element.set(self.qn("xml:space"), "preserve")
                element.text = text
            run._r.append(element)
        run.font.size = self.Pt(13)

    def _text(
        self,
        container: Any,
        text: str,
        *,
        bold: bool = False,
        italic: bool = False,
        size: float | None = None,
        align: str = "justify",
        indent: bool = False,
        after: float = 6,
        paragraph: Any = None,
    ) -> Any:
        p = paragraph if paragraph is not None else container.add_paragraph()
        lines = inert(text).split("\n")
        key = (bold, italic, size, align, indent, after)
        fresh = p._p.pPr is None
        made = self._made.get(key) if fresh else None
        if made is not None:
            return self._copied(p, lines, *made)
        p.alignment = {
            "justify": self.align.JUSTIFY,
            "center": self.align.CENTER,
            "left": self.align.LEFT,
            "right": self.align.RIGHT,
        }[align]
        fmt = p.paragraph_format
        fmt.space_after = self.Pt(after)
        fmt.space_before = self.Pt(0)
        if indent:
            fmt.first_line_indent = self.Mm(12.7)
        for n, line in enumerate(lines):
            run = p.add_run(line)
            run.bold, run.italic = bold or None, italic or None  # None: as the style says
            if size:
                run.font.size = self.Pt(size)
            if n < len(lines) - 1:
                run.add_break()
        if fresh:
            run = self.OxmlElement("w:r")
            run.append(copy.deepcopy(p._p.r_lst[0].rPr))
            run.append(self.OxmlElement("w:t"))
            self._made[key] = (copy.deepcopy(p._p.pPr), run)
        return p

    def _copied(self, p: Any, lines: Sequence[str], ppr: Any, run: Any) -> Any:
        """``_text`` again with the same options: the paragraph's properties, and a run with
        its properties, copied from the first paragraph written with them, which python-docx
        wrote (setting them one by one took most of the time of a document)."""
        element = p._p
        element.insert(0, copy.deepcopy(ppr))
        for n, line in enumerate(lines):
            made = copy.deepcopy(run)
            t = made[-1]
            if not line:
                made.remove(t)
            else:
                t.text = line
                if len(line.strip()) < len(line):
                    t.set(self.qn("xml:space"), "preserve")
            if n < len(lines) - 1:
                made.append(self.OxmlElement("w:br"))
            element.append(made)
        return p

    def _rule_under(self, container: Any, text_mm: float, cell_mm: float) -> None:
        """A short line, ``text_mm`` long and centred (under the issuing body, the motto and
        the subject): the bottom border of an empty paragraph indented from both sides."""
        paragraph = self._text(container, "", size=2, align="center", after=4)
        paragraph.paragraph_format.line_spacing = self.Pt(2)
        ppr = paragraph._p.get_or_add_pPr()
        borders = self.OxmlElement("w:pBdr")
        bottom = self.OxmlElement("w:bottom")
        for key, value in (
            ("w:val", "single"),
            ("w:sz", "6"),
            ("w:space", "1"),
            ("w:color", "000000"),
        ):
            bottom.set(self.qn(key), value)
        borders.append(bottom)
        ppr.append(borders)
        side = max((cell_mm - text_mm) / 2, 0)
        paragraph.paragraph_format.left_indent = self.Mm(side)
        paragraph.paragraph_format.right_indent = self.Mm(side)

    def _borderless(self, table: Any) -> None:
        tblpr = table._tbl.tblPr
        borders = self.OxmlElement("w:tblBorders")
        for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
            element = self.OxmlElement(f"w:{edge}")
            element.set(self.qn("w:val"), "nil")
            borders.append(element)
        tblpr.append(borders)

    def _fixed(self, table: Any, widths_mm: Sequence[float]) -> None:
        """Column widths that Word and LibreOffice both keep: a fixed layout, the grid and
        every cell set."""
        table.autofit = False
        tblpr = table._tbl.tblPr
        layout = self.OxmlElement("w:tblLayout")
        layout.set(self.qn("w:type"), "fixed")
        tblpr.append(layout)
        margins = self.OxmlElement("w:tblCellMar")
        for side in ("left", "right"):
            element = self.OxmlElement(f"w:{side}")
            element.set(self.qn("w:w"), "57")  # 1 mm
            element.set(self.qn("w:type"), "dxa")
            margins.append(element)
        tblpr.append(margins)
        for column, w in zip(table.columns, widths_mm, strict=True):
            column.width = self.Mm(w)
        for tr in table._tbl.tr_lst:
            for tc, w in zip(tr.tc_lst, widths_mm, strict=True):
                self._width(tc, w)

    def _width(self, tc: Any, mm: float) -> None:
        """``tc.width = Mm(mm)``, written on the ``w:tcW`` the cell has: through python-docx's
        properties it cost more than the cell's text."""
        tcw = tc.find(self.TCW)
        if tcw is None:
            tc.width = self.Mm(mm)
            return
        tcw.set(self.TYPE, "dxa")
        tcw.set(self.W, str(self.Mm(mm).twips))

    def _row_cells(self, tr: Any, table: Any) -> list[Any]:
        """The cells of a row none of which spans columns (``row.cells`` finds the spans)."""
        return [self.Cell(tc, table) for tc in tr.tc_lst]

    def _header_row(self, row: Any) -> None:
        """A heading row Word repeats at the top of every page the table runs onto."""
        trpr = row._tr.get_or_add_trPr()
        element = self.OxmlElement("w:tblHeader")
        element.set(self.qn("w:val"), "true")
        trpr.append(element)

    def _shade(self, cell: Any, fill: str) -> None:
        tcpr = cell._tc.get_or_add_tcPr()
        shading = self.OxmlElement("w:shd")
        for key, value in (("w:val", "clear"), ("w:color", "auto"), ("w:fill", fill)):
            shading.set(self.qn(key), value)
        tcpr.append(shading)

    def _cell(
        self,
        cell: Any,
        text: str,
        *,
        bold: bool = False,
        align: str = "left",
        size: float = TABLE_PT,
    ) -> None:
        paragraph = cell.paragraphs[0]
        self._text(cell, text, bold=bold, size=size, align=align, after=0, paragraph=paragraph)

    # -- blocks -----------------------------------------------------------------------------

    def heading(self) -> None:
        """The issuing body beside the national motto, each with its short line; the number
        under the one, the place and date under the other; then the title and subject."""
        t, w = self.t, self.width
        left, right = w * 0.4, w * 0.6
        table = self.word.add_table(rows=1, cols=2)
        self._borderless(table)
        self._fixed(table, (left, right))
        a, b = table.rows[0].cells
        first_a, first_b = a.paragraphs[0], b.paragraphs[0]
        if self.doc.issuer != BLANK:
            self._text(a, t["superior"], size=12, align="center", after=0, paragraph=first_a)
            self._text(a, self.doc.issuer, bold=True, size=12, align="center", after=0)
        else:
            self._text(
                a, t["superior"], bold=True, size=12, align="center", after=0, paragraph=first_a
            )
        self._rule_under(a, left * 0.35, left)
        self._text(a, t["number"], size=13, align="center", after=0)
        self._text(b, t["motto_1"], bold=True, size=12, align="center", after=0, paragraph=first_b)
        self._text(b, t["motto_2"], bold=True, size=13, align="center", after=0)
        self._rule_under(b, width(t["motto_2"]) * 2.4, right)
        self._text(b, t["place_date"], italic=True, size=13, align="center", after=0)
        self._text(self.word, "", after=6)
        self._text(self.word, t["report"], bold=True, size=14, align="center", after=0)
        self._text(self.word, self.doc.subject, bold=True, size=14, align="center", after=0)
        self._rule_under(self.word, w * 0.3, w)

    def section(self, title: str, blocks: Sequence[Any], level: int = 1) -> None:
        if title:
            paragraph = self.word.add_heading(level=level)
            self._text(self.word, title, align="left", after=6, paragraph=paragraph)
        for block in blocks:
            if isinstance(block, Paragraph):
                self._text(self.word, block.text, indent=True)
            elif isinstance(block, Facts):
                for label, value in block.items:
                    p = self.word.add_paragraph()
                    p.paragraph_format.first_line_indent = self.Mm(12.7)
                    p.paragraph_format.space_after = self.Pt(3)
                    p.alignment = self.align.JUSTIFY
                    if label:
                        run = p.add_run(f"- {inert(label)}: ")
                        run.bold = True
                        p.add_run(inert(value))
                    else:
                        p.add_run(f"- {inert(value)}")
            elif isinstance(block, Register):
                self.register(block)
            elif isinstance(block, Figure):
                self.figure(block)
            else:
                self.table(block)

    def _grid(self, headings: Sequence[str], widths: Sequence[float], rows: int = 0) -> Any:
        """A table of fixed column widths, its heading row repeated on every page."""
        word = self.word.add_table(rows=1 + rows, cols=len(headings))
        word._tbl.tblStyle_val = self.grid_style  # ``word.style = "Table Grid"``, found once
        word.alignment = self.table_align.CENTER
        self._fixed(word, widths)
        head = word.rows[0]
        self._header_row(head)
        for cell, label in zip(head.cells, headings, strict=True):
            self._cell(cell, label, bold=True, align="center")
            self._shade(cell, "EEEEEE")
        return word

    def table(self, table: Table) -> None:
        lang = self.doc.lang
        if table.title:
            title = self._text(
                self.word, table.title, bold=True, italic=True, align="left", after=3
            )
            title.paragraph_format.keep_with_next = True
        cells = _cells(table, lang)
        widths = column_mm(table, cells, self.width, TABLE_PT)
        word = self._grid([c.label for c in table.columns], widths, len(table.rows))
        for row, shown, tr in zip(table.rows, cells, word._tbl.tr_lst[1:], strict=True):
            bold = row.kind != "normal"
            for value, cell, column, target in zip(
                shown, row.cells, table.columns, self._row_cells(tr, word), strict=True
            ):
                right = number(cell, column) is not None
                self._cell(target, value, bold=bold, align="right" if right else "left")
        for note in table.notes:
            self._text(self.word, note, size=11, align="left", after=0)
        self._text(self.word, "", after=0)

    def register(self, block: Register) -> None:
        from .._numbers import fmt_fixed

        lang = self.doc.lang
        widths = [self.width * s / sum(REGISTER) for s in REGISTER]
        word = self._grid(block.columns, widths)
        empty: dict[bool, Any] = {}  # rows as python-docx added them (see ``_add_row``)
        for group in block.groups:
            merged = self.Cell(self._add_row(word, empty, True).tc_lst[0], word)
            self._cell(merged, group.owner, bold=True)
            self._shade(merged, "F3F3F3")
            for e in group.entries:
                tr = self._add_row(word, empty, False)
                values = (
                    e.code,
                    e.title,
                    e.reason,
                    fmt_fixed(e.lost, lang, block.places),
                    e.remedy or "",
                    e.person or "",
                    e.deadline or "",
                )
                for i, (cell, value) in enumerate(
                    zip(self._row_cells(tr, word), values, strict=True)
                ):
                    self._cell(cell, value, align="right" if i == 3 else "left")
        row = word.add_row()
        label = row.cells[0].merge(row.cells[2])
        self._cell(label, block.total_label, bold=True)
        self._cell(
            row.cells[3], fmt_fixed(block.total, lang, block.places), bold=True, align="right"
        )
        for tr in word._tbl.tr_lst:  # widths again: a merged cell spans its columns' widths
            column = 0
            for tc in tr.tc_lst:
                span = tc.grid_span if tc.find(self.SPAN) is not None else 1
                self._width(tc, sum(widths[column : column + span]))
                column += span
        self._text(self.word, "", after=0)

    def _add_row(self, word: Any, empty: dict[bool, Any], across: bool) -> Any:
        """A new row at the end of ``word``, one cell across the table or a cell per column:
        copied from the first such row, which python-docx added (adding and merging cells
        through it cost more than the rest of the register)."""
        made = empty.get(across)
        if made is None:
            row = word.add_row()
            if across:
                cells = row.cells
                cells[0].merge(cells[-1])
            empty[across] = copy.deepcopy(row._tr)
            return row._tr
        tr = copy.deepcopy(made)
        word._tbl.append(tr)
        return tr

    def figure(self, block: Figure) -> None:
        """The picture as wide as the text, or narrower where it would not fit the page's
        height; the caption under it."""
        wide, high = (int.from_bytes(block.png[at : at + 4], "big") for at in (16, 20))  # IHDR
        most = 120.0 if self.width == LANDSCAPE else 200.0  # A4 less margins, heading, caption
        width_mm = min(self.width, most * wide / high) if wide and high else self.width
        paragraph = self._text(self.word, "", align="center", after=3)
        paragraph.paragraph_format.keep_with_next = True
        paragraph.add_run().add_picture(io.BytesIO(block.png), width=self.Mm(width_mm))
        self._text(self.word, block.caption, italic=True, size=12, align="center")

    def signature(self) -> None:
        t = self.t
        table = self.word.add_table(rows=1, cols=2)
        self._borderless(table)
        self._fixed(table, (self.width * 0.45, self.width * 0.55))
        a, b = table.rows[0].cells
        self._text(
            a,
            t["recipients"],
            bold=True,
            italic=True,
            size=12,
            align="left",
            after=0,
            paragraph=a.paragraphs[0],
        )
        self._text(a, t["recipients_list"], size=11, align="left", after=0)
        self._text(
            b, t["signer"], bold=True, size=13, align="center", after=0, paragraph=b.paragraphs[0]
        )
        self._text(b, t["signature"], italic=True, size=13, align="center", after=48)
        self._text(b, t["signer_name"], bold=True, size=13, align="center", after=0)

    def _end_of_page(self) -> None:
        """The spacer after a table that ends a page's content, made 1 pt high: at full height
        it may spill onto a page of its own, left blank."""
        last = self.word.paragraphs[-1]
        if not last.text:
            last.paragraph_format.line_spacing = self.Pt(1)
            last.paragraph_format.space_after = self.Pt(0)

    def annex(self, number_: int, section: Section, landscape: bool) -> bool:
        """An annex on a new page (a new section when its orientation changes). Its heading
        starts the page: an empty paragraph holding a page break would itself fall on a new
        page after a full one, and leave that page blank."""
        from docx.enum.section import WD_SECTION

        self._end_of_page()
        turn = section.landscape != landscape
        if turn:
            new = self.word.add_section(WD_SECTION.NEW_PAGE)
            self._page(new, section.landscape)
        t = self.t
        heading = self._text(
            self.word,
            t["annex"].format(n=ROMAN[(number_ - 1) % len(ROMAN)]),
            bold=True,
            size=13,
            align="center",
            after=0,
        )
        heading.paragraph_format.page_break_before = not turn
        self._text(self.word, section.title, bold=True, size=13, align="center", after=0)
        self._text(self.word, t["annex_of"], italic=True, size=13, align="center", after=12)
        self.section("", section.blocks)
        return section.landscape

    def write(self) -> bytes:
        self.heading()
        for n, section in enumerate(self.doc.sections):
            self.section(f"{ROMAN[n % len(ROMAN)]}. {section.title}", section.blocks)
        self.signature()
        landscape = False
        for n, section in enumerate(self.doc.annexes, start=1):
            landscape = self.annex(n, section, landscape)
        self._end_of_page()
        buffer = io.BytesIO()
        self.word.save(buffer)
        return _stable(buffer.getvalue())


def _stable(data: bytes) -> bytes:
    """The same bytes for the same document: every part of the package with one date."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, (2000, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def docx_report(doc: Document) -> bytes:
    """The document as the bytes of a .docx file."""
    return _Writer(doc).write()
