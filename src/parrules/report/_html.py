"""A document as one self-contained HTML file: inline CSS, no script, nothing fetched.

It reads in a browser at any width (tables take the page's width and wrap their text, numbers
never wrap) and prints on A4 as the administrative document it is: the heading of the issuing
body beside the national motto, sections, the signature, and annexes on new pages (a wide
table in a smaller type). Each lost point expands to its inputs and formula.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence

from ._document import BLANK, Document, Facts, Figure, Paragraph, Register, Section
from ._render import _cells
from ._table import Table, number
from ._text import inert, width

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")

FONTS = '"Times New Roman", Tinos, "Liberation Serif", "DejaVu Serif", "Noto Serif", serif'
"""Times New Roman where it is installed, else a metric-compatible face; each has every
Vietnamese letter, precomposed and with combining marks."""

CSS = f"""
:root {{ color-scheme: light; }}
html {{ font-family: {FONTS}; font-size: 16px; line-height: 1.4; color: #000;
  background: #fff; }}
body {{ margin: 0; }}
main {{ max-width: 62rem; margin: 1.5rem auto; padding: 0 1.5rem; }}
p {{ margin: .3rem 0; }}
.head {{ display: grid; grid-template-columns: 2fr 3fr; gap: 1rem; text-align: center;
  margin-bottom: 1.5rem; }}
.head p {{ margin: 0; }}
.issuer .body, .motto .m1, .motto .m2 {{ font-weight: bold; }}
.motto .m2 {{ display: inline-block; border-bottom: 1px solid #000; padding-bottom: .1rem; }}
.issuer .body {{ display: inline-block; border-bottom: 1px solid #000; padding-bottom: .1rem;
  margin-bottom: .4rem; }}
.date {{ font-style: italic; margin-top: .6rem !important; }}
.number {{ white-space: pre; }}
h1 {{ text-align: center; font-size: 1.15rem; margin: 1rem 0; }}
h1 span {{ display: block; }}
h2 {{ font-size: 1.05rem; margin: 1.2rem 0 .5rem; }}
h3 {{ font-size: 1rem; font-style: italic; margin: .8rem 0 .3rem; }}
.annex h2 {{ text-align: center; }}
.annex .of {{ text-align: center; font-style: italic; }}
.intro {{ text-align: justify; text-indent: 1.27cm; }}
ul.facts {{ margin: .3rem 0 .8rem; padding-left: 1.27cm; }}
table {{ width: 100%; border-collapse: collapse; table-layout: fixed; margin: .4rem 0 1rem;
  font-size: .9rem; }}
th, td {{ border: 1px solid #555; padding: .2rem .35rem; vertical-align: top;
  overflow-wrap: anywhere; }}
thead th {{ background: #eee; text-align: center; }}
td.num {{ text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }}
tr.field td, tr.total td, tr.total th {{ font-weight: bold; }}
tr.group th {{ text-align: left; background: #f3f3f3; }}
tr.detail td {{ border-top: none; background: #fafafa; }}
details summary {{ cursor: pointer; font-style: italic; }}
details dl {{ display: grid; grid-template-columns: minmax(8rem, 1fr) 4fr; gap: .15rem .6rem;
  margin: .3rem 0; }}
details dt {{ font-weight: bold; }}
details dd {{ margin: 0; }}
figure {{ margin: .6rem 0 1rem; text-align: center; break-inside: avoid; }}
figure img {{ max-width: 100%; height: auto; }}
figcaption {{ font-style: italic; font-size: .9rem; }}
.notes p {{ margin: .1rem 0; font-size: .9rem; }}
.sign {{ display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; margin-top: 2rem;
  break-inside: avoid; }}
.sign .recipients p {{ font-size: .85rem; margin: 0; white-space: pre-line; }}
.sign .recipients p:first-child {{ font-weight: bold; font-style: italic; }}
.sign .signer {{ text-align: center; }}
.sign .signer p:first-child, .sign .signer p:last-child {{ font-weight: bold; }}
.sign .signer .space {{ height: 4rem; }}
article + article {{ margin-top: 3rem; border-top: 2px solid #999; padding-top: 1.5rem; }}
@page {{ size: A4; margin: 20mm 15mm 20mm 30mm; }}
@media print {{
  html {{ font-size: 13pt; }}
  main {{ max-width: none; margin: 0; padding: 0; }}
  table {{ font-size: 10.5pt; }}
  thead {{ display: table-header-group; }}
  tr {{ break-inside: avoid; }}
  h2, h3 {{ break-after: avoid; }}
  .annex, article + article {{ break-before: page; border: none; margin: 0; padding: 0; }}
  .wide table {{ font-size: 8.5pt; }}  /* a wide table, on A4 upright: browsers lay out every
    page at the width of the first, so landscape pages would cut it */
  .wide th, .wide td {{ padding: .1rem .2rem; }}
  thead th, tr.group th {{ background: none; }}
  details::details-content {{ content-visibility: visible; display: block; }}
  details summary {{ list-style: none; }}
  figure img {{ max-height: 200mm; }}
}}
"""

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
"""Nothing is fetched and nothing runs, whatever the text of a unit file holds; a chart is
a picture inside the file."""


def _e(text: str) -> str:
    return html.escape(inert(text)).replace("\ufffd", "&#xfffd;")


REGISTER = (9, 18, 21, 10, 19, 12, 11)
"""The register's columns, in parts of its width: code, criterion, cause, points lost,
remedy, person, deadline."""


def column_mm(table: Table, cells: list[list[str]], total: float, size: float) -> list[float]:
    """Column widths in mm on a page ``total`` mm wide at ``size`` pt: a number column as wide
    as its widest number (and the longest word of its heading), never wrapped, its heading on
    two lines unless that leaves the table too wide; the text columns share the rest as their
    text wants, up to their wrap width, each at least its longest word."""
    char = size * 0.2  # mm an average character of a serif face takes, with some room
    pad = 4.0
    fixed: dict[int, float] = {}
    narrow: dict[int, float] = {}
    wants: dict[int, float] = {}
    least: dict[int, float] = {}
    for i, column in enumerate(table.columns):
        content = max((width(row[i]) for row in cells), default=0)
        words = max((width(w) for w in column.label.split()), default=0)
        longest = max((width(w) for row in cells for w in row[i].split()), default=0)
        if column.kind != "text":
            heading = (width(column.label) + 1) // 2
            fixed[i] = max(content, words, heading, 3) * char + pad
            narrow[i] = max(content, words, 3) * char + pad
        else:
            wants[i] = max(min(content, column.wrap or 40), words, 4) * char + pad
            least[i] = max(min(longest, 16), words, 4) * char + pad
    over = sum(fixed.values()) + sum(least.values()) - total
    spare = sum(fixed[i] - narrow[i] for i in fixed)
    if over > 0 and spare:  # long headings of numbers on more lines before a word is cut
        cut = min(1.0, over / spare)
        fixed = {i: w - (w - narrow[i]) * cut for i, w in fixed.items()}
    room = total - sum(fixed.values())
    wanted = sum(wants.values())
    widths = dict(fixed)
    for i, want in wants.items():  # no wider than wanted: a small table stays small
        widths[i] = max(least[i], min(want, room * want / wanted)) if wanted else least[i]
    scale = min(1.0, total / sum(widths.values()))
    return [widths[i] * scale for i in range(len(table.columns))]


PAGE_MM = 160.0


def _widths(table: Table, cells: list[list[str]]) -> tuple[float, list[float]]:
    """The table's share of the page's width and each column's share of the table's, in
    percent, as on a page (see ``column_mm``)."""
    widths = column_mm(table, cells, PAGE_MM, 11)
    total = sum(widths) or 1
    return min(100.0, 100 * total / PAGE_MM), [100 * w / total for w in widths]


def _colgroup(shares: Sequence[float]) -> str:
    return "<colgroup>" + "".join(f'<col style="width:{s:.1f}%">' for s in shares) + "</colgroup>"


def table_html(table: Table, lang: str, caption: bool = True) -> str:
    cells = _cells(table, lang)
    share, columns = _widths(table, cells)
    out = [f'<table style="width:{share:.1f}%">']
    if caption and table.title:
        out.append(f"<caption>{_e(table.title)}</caption>")
    out.append(_colgroup(columns))
    heads = "".join(f'<th scope="col">{_e(c.label)}</th>' for c in table.columns)
    out.append(f"<thead><tr>{heads}</tr></thead><tbody>")
    for row, shown in zip(table.rows, cells, strict=True):
        tds = "".join(
            f"<td{' class=num' if number(cell, column) is not None else ''}>"
            + _e(value).replace("\n", "<br>")
            + "</td>"
            for cell, column, value in zip(row.cells, table.columns, shown, strict=True)
        )
        kind = f' class="{row.kind}"' if row.kind != "normal" else ""
        out.append(f"<tr{kind}>{tds}</tr>")
    out.append("</tbody></table>")
    if table.notes:
        out.append('<div class="notes">' + "".join(f"<p>{_e(n)}</p>" for n in table.notes))
        out.append("</div>")
    return "\n".join(out)


def _register(block: Register, lang: str) -> str:
    from .._numbers import fmt_fixed

    count = len(block.columns)
    shares = [100 * s / sum(REGISTER) for s in REGISTER]
    out = ['<table class="register">', _colgroup(shares[:count])]
    heads = "".join(f'<th scope="col">{_e(c)}</th>' for c in block.columns)
    out.append(f"<thead><tr>{heads}</tr></thead>")
    for group in block.groups:
        out.append("<tbody>")
        out.append(
            f'<tr class="group"><th colspan="{count}" scope="rowgroup">{_e(group.owner)}</th></tr>'
        )
        for e in group.entries:
            lost = fmt_fixed(e.lost, lang, block.places)
            values = (
                e.code,
                e.title,
                e.reason,
                lost,
                e.remedy or "",
                e.person or "",
                e.deadline or "",
            )
            tds = "".join(
                f"<td{' class=num' if i == 3 else ''}>{_e(v)}</td>" for i, v in enumerate(values)
            )
            out.append(f"<tr>{tds}</tr>")
            facts = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in e.details)
            out.append(
                f'<tr class="detail"><td colspan="{count}"><details><summary>'
                f"{_e(block.details_label)} — {_e(e.code)}</summary><dl>{facts}</dl>"
                "</details></td></tr>"
            )
        out.append("</tbody>")
    total = fmt_fixed(block.total, lang, block.places)
    out.append(  # not a tfoot: printed, it would repeat on every page
        f'<tbody><tr class="total"><th colspan="3" scope="row">{_e(block.total_label)}</th>'
        f'<td class="num">{_e(total)}</td><td colspan="{count - 4}"></td></tr></tbody>'
    )
    out.append("</table>")
    return "\n".join(out)


def _blocks(section: Section, lang: str) -> list[str]:
    out = []
    for block in section.blocks:
        if isinstance(block, Paragraph):
            out.append(f'<p class="intro">{_e(block.text)}</p>')
        elif isinstance(block, Facts):
            items = "".join(
                f"<li><b>{_e(k)}:</b> {_e(v)}</li>" if k else f"<li>{_e(v)}</li>"
                for k, v in block.items
            )
            out.append(f'<ul class="facts">{items}</ul>')
        elif isinstance(block, Register):
            out.append(_register(block, lang))
        elif isinstance(block, Figure):
            data = base64.b64encode(block.png).decode("ascii")
            caption = _e(block.caption)
            out.append(
                f'<figure><img src="data:image/png;base64,{data}" alt="{caption}">'
                f"<figcaption>{caption}</figcaption></figure>"
            )
        else:
            if block.title:
                out.append(f"<h3>{_e(block.title)}</h3>")
            out.append(table_html(block, lang, caption=False))
    return out


def _article(doc: Document) -> str:
    t = doc.labels
    superior = t["superior"] if doc.issuer != BLANK else ""
    issuer = doc.issuer if doc.issuer != BLANK else t["superior"]
    out = [
        "<article>",
        '<header class="head">',
        '<div class="issuer">'
        + (f"<p>{_e(superior)}</p>" if superior else "")
        + f'<p class="body">{_e(issuer)}</p><p class="number">{_e(t["number"])}</p></div>',
        f'<div class="motto"><p class="m1">{_e(t["motto_1"])}</p>'
        f'<p class="m2">{_e(t["motto_2"])}</p><p class="date">{_e(t["place_date"])}</p></div>',
        "</header>",
        f"<h1><span>{_e(t['report'])}</span><span>{_e(doc.subject)}</span></h1>",
    ]
    for n, section in enumerate(doc.sections):
        out.append(f"<section{' class=wide' if section.landscape else ''}>")
        out.append(f"<h2>{ROMAN[n % len(ROMAN)]}. {_e(section.title)}</h2>")
        out += _blocks(section, doc.lang)
        out.append("</section>")
    out.append(
        '<footer class="sign"><div class="recipients">'
        f"<p>{_e(t['recipients'])}</p><p>{_e(t['recipients_list'])}</p></div>"
        f'<div class="signer"><p>{_e(t["signer"])}</p><p>{_e(t["signature"])}</p>'
        f'<p class="space"></p><p>{_e(t["signer_name"])}</p></div></footer>'
    )
    for n, section in enumerate(doc.annexes, start=1):
        wide = " wide" if section.landscape else ""
        out.append(f'<section class="annex{wide}">')
        annex = t["annex"].format(n=ROMAN[(n - 1) % len(ROMAN)])
        out.append(f"<h2>{_e(annex)}<br>{_e(section.title)}</h2>")
        out.append(f'<p class="of">{_e(t["annex_of"])}</p>')
        out += _blocks(section, doc.lang)
        out.append("</section>")
    out.append("</article>")
    return "\n".join(out)


def html_report(documents: Sequence[Document]) -> str:
    """The documents as one HTML file, each starting on a new page when printed."""
    lang = documents[0].lang if documents else "vi"
    title = documents[0].subject if documents else ""
    return (
        "\n".join(
            [
                "<!DOCTYPE html>",
                f'<html lang="{"en" if lang == "en" else "vi"}">',
                "<head>",
                '<meta charset="utf-8">',
                f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
                '<meta name="viewport" content="width=device-width, initial-scale=1">',
                f"<title>{_e(title)}</title>",
                f"<style>{CSS}</style>",
                "</head>",
                "<body><main>",
                *(_article(doc) for doc in documents),
                "</main></body></html>",
            ]
        )
        + "\n"
    )
