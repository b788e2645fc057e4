"""Prototype renderers for the template comparison (docs/research/pdf-templates.md): the very
story `clepath.report.pdf` builds for reportlab, written instead as a Typst document (compiled
by the `typst` wheel) and as HTML + CSS (rendered by WeasyPrint). Same sections, same words,
same tables, the timeline as the SVG `clepath.report.timeline_svg` writes. Kept only to measure;
nothing in clepath imports it.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

from reportlab.graphics.shapes import Drawing
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
)

from clepath.engine.assess import Assessment
from clepath.engine.timeline import Timeline
from clepath.report import pdf as rl
from clepath.report.timeline_svg import timeline_svg

__all__ = ["html_summary", "typst_summary"]

_TAG = re.compile(r"(<b>|</b>|<br/>|<super>|</super>)")


class _Figure:
    """The timeline marker the prototypes put where reportlab draws the chart."""

    def __init__(self, svg: str, desc: str) -> None:
        self.svg, self.desc = svg, desc


def _story(a: Assessment, timeline: Timeline | None) -> tuple[list[Any], list[Any]]:
    """The summary's story as reportlab builds it (timeline swapped for its SVG), and the
    reference list."""
    refs = rl._References()
    story: list[Any] = [rl._p("Treatment summary", "title"), *rl._identity(a), *rl._patient(a)]
    story += rl._alerts([(x.severity, x.title, x.message) for x in a.alerts])
    story += rl._scores(a) + rl._labs(a)
    story += rl._therapies(a) + rl._glucocorticoids(a) + rl._refractory(a)
    if timeline is not None:
        layout = rl.timeline_layout(timeline, width=rl._TIMELINE_WIDTH)
        story += [rl._p("Timeline", "h2"),
                  _Figure(timeline_svg(timeline, width=rl._TIMELINE_WIDTH), layout.desc)]
    story += rl._options(a, refs) + rl._measures(a, refs)
    story += [rl._p(rl.DISCLAIMER, "small"), *refs.flowables()]
    return story, []


def _flat(story: list[Any]) -> Iterator[Any]:
    for item in story:
        if isinstance(item, KeepTogether):
            yield from _flat(item._content)
        elif isinstance(item, (Spacer, CondPageBreak)):
            continue
        else:
            yield item


def _runs(markup: str) -> Iterator[tuple[str, str]]:
    """(kind, text) runs of a reportlab paragraph's markup: text, b, /b, br, super, /super."""
    for part in _TAG.split(markup):
        if not part:
            continue
        if _TAG.fullmatch(part):
            yield part.strip("<>").rstrip("/"), ""
        else:
            yield "text", html.unescape(part)


# --- Typst ---------------------------------------------------------------------------------------

_TYPST_HEAD = """
#set document(title: {title})
#set page(paper: "a4", margin: (x: 18mm, top: 16mm, bottom: 18mm),
  footer: context [#set text(size: 7.5pt, fill: luma(85)); {footer} #h(1fr) page #counter(page).display()])
#set text(font: "DejaVu Sans", size: 9pt, fill: luma(34))
#set par(leading: 0.45em, spacing: 0.6em)
#show heading.where(level: 1): set text(size: 15pt)
#show heading.where(level: 2): set text(size: 11.5pt)
#show heading.where(level: 3): set text(size: 9.5pt)
#set table(stroke: 0.4pt + luma(187), inset: (x: 3pt, y: 2pt),
  fill: (_, y) => if y == 0 {{ luma(238) }})
#show table: set text(size: 8pt)
"""


def _typ_inline(markup: str) -> str:
    out: list[str] = []
    for kind, text in _runs(markup):
        if kind == "text":
            out.append("#" + json.dumps(text, ensure_ascii=False))
        elif kind == "b":
            out.append("#strong[")
        elif kind in ("/b", "/super"):
            out.append("]")
        elif kind == "br":
            out.append("#linebreak()")
        elif kind == "super":
            out.append("#super[")
    return "".join(out)


def _typ_cell(cell: Any) -> str:
    if isinstance(cell, Paragraph):
        return "[" + _typ_inline(cell.text) + "]"
    return "[" + _typ_inline(html.escape(str(cell))) + "]"


def _typ_block(item: Any) -> str:
    if isinstance(item, Paragraph):
        style = item.style.name
        body = _typ_inline(item.text)
        if style in ("title", "h2", "h3"):
            level = {"title": 1, "h2": 2, "h3": 3}[style]
            return "=" * level + " " + body
        if item.bulletText:
            return f"#pad(left: 10pt)[#place(dx: -8pt)[{item.bulletText}]{body}]"
        if style == "small" or style.startswith("small"):
            return f"#text(size: 7.5pt, fill: luma(68))[{body}]"
        return body
    if isinstance(item, Table):
        widths = ", ".join(f"{w:.1f}pt" for w in item._colWidths)
        cells = ", ".join(_typ_cell(c) for row in item._cellvalues for c in row)
        return f"#table(columns: ({widths},), {cells})"
    if isinstance(item, _Figure):
        return (f"#image(bytes({json.dumps(item.svg, ensure_ascii=False)}), format: \"svg\", "
                "width: 100%)\n\n" + f"#text(size: 7.5pt)[{_typ_inline(html.escape(item.desc))}]")
    if isinstance(item, Drawing):
        return ""
    raise TypeError(type(item))


def typst_source(a: Assessment, timeline: Timeline | None) -> str:
    """The summary as one Typst document."""
    story, _ = _story(a, timeline)
    footer = _typ_inline(html.escape(rl._footer(a, "treatment summary")))
    head = _TYPST_HEAD.format(title=json.dumps(f"clepath treatment summary {a.case_id}"),
                              footer=footer)
    return head + "\n\n".join(_typ_block(x) for x in _flat(story))


def typst_summary(a: Assessment, timeline: Timeline | None, fonts: list[str]) -> bytes:
    """The summary compiled by the Typst wheel (fonts from `fonts` only, fixed timestamp)."""
    import typst

    pdf: bytes = typst.compile(typst_source(a, timeline).encode("utf-8"), font_paths=fonts,
                               ignore_system_fonts=True, timestamp=0)
    return pdf


# --- HTML + WeasyPrint -----------------------------------------------------------------------------

_CSS = """
@page { size: A4; margin: 16mm 18mm 18mm 18mm;
  @bottom-left { content: string(footer); font-size: 7.5pt; color: #555; }
  @bottom-right { content: "page " counter(page); font-size: 7.5pt; color: #555; } }
body { font-family: "DejaVu Sans"; font-size: 9pt; line-height: 11.5pt; color: #222; }
.footer { string-set: footer content(); display: none; }
h1 { font-size: 15pt; margin: 0 0 4pt; } h2 { font-size: 11.5pt; margin: 9pt 0 3pt; }
h3 { font-size: 9.5pt; margin: 5pt 0 2pt; } p { margin: 0 0 2pt; }
.small { font-size: 7.5pt; color: #444; line-height: 9.2pt; }
li { margin: 0; } table { border-collapse: collapse; width: 100%; font-size: 8pt;
  line-height: 9.8pt; margin: 2pt 0; } th { background: #eee; text-align: left; }
th, td { border: 0.4pt solid #bbb; padding: 2pt 3pt; vertical-align: top; }
thead { display: table-header-group; } tr { break-inside: avoid; }
svg { width: 100%; height: auto; }
"""


def _html_inline(markup: str) -> str:
    out: list[str] = []
    for kind, text in _runs(markup):
        out.append(html.escape(text) if kind == "text" else "<br/>" if kind == "br"
                   else f"<{kind}>")
    return "".join(out).replace("<super>", "<sup>").replace("</super>", "</sup>")


def _html_block(item: Any) -> str:
    if isinstance(item, Paragraph):
        style, body = item.style.name, _html_inline(item.text)
        tag = {"title": "h1", "h2": "h2", "h3": "h3"}.get(style)
        if tag:
            return f"<{tag}>{body}</{tag}>"
        if item.bulletText:
            return f"<ul class='{style}'><li>{body}</li></ul>"
        return f"<p class='{style}'>{body}</p>"
    if isinstance(item, Table):
        total = sum(item._colWidths)
        cols = "".join(f"<col style='width:{100 * w / total:.1f}%'>" for w in item._colWidths)
        rows = item._cellvalues
        cell = lambda c: _html_inline(c.text) if isinstance(c, Paragraph) else html.escape(str(c))  # noqa: E731
        head = "".join(f"<th>{cell(c)}</th>" for c in rows[0])
        body = "".join("<tr>" + "".join(f"<td>{cell(c)}</td>" for c in r) + "</tr>"
                       for r in rows[1:])
        return f"<table><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>" \
               f"<tbody>{body}</tbody></table>"
    if isinstance(item, _Figure):
        svg = re.sub(r"^<\?xml[^>]*>", "", item.svg)
        return f"<figure>{svg}<p class='small'>{html.escape(item.desc)}</p></figure>"
    if isinstance(item, Drawing):
        return ""
    raise TypeError(type(item))


def html_source(a: Assessment, timeline: Timeline | None) -> str:
    """The summary as one HTML document with its CSS."""
    story, _ = _story(a, timeline)
    footer = html.escape(rl._footer(a, "treatment summary"))
    body = "\n".join(_html_block(x) for x in _flat(story))
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>clepath treatment "
            f"summary {html.escape(a.case_id)}</title><style>{_CSS}</style></head><body>"
            f"<div class='footer'>{footer}</div>{body}</body></html>")


def html_summary(a: Assessment, timeline: Timeline | None) -> bytes:
    """The summary rendered by WeasyPrint."""
    import weasyprint

    pdf: bytes = weasyprint.HTML(string=html_source(a, timeline)).write_pdf()
    return pdf
