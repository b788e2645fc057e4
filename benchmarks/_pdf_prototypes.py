"""The two engines clepath's PDFs were weighed against (docs/research/pdf-templates.md), kept
so `bench_pdf.py` can measure them again:

- HTML + CSS rendered by WeasyPrint: the very blocks `clepath.report.pdf` hands to its Typst
  template, written as HTML with a print stylesheet of the same look;
- the hand-placed reportlab code the documents used before the move (commit 3296165), read
  from git and imported as a module of its own.

Nothing in clepath imports this file.
"""

from __future__ import annotations

import html
import importlib.util
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

from clepath.report import pdf

__all__ = ["REPORTLAB_COMMIT", "html_document", "reportlab_module", "weasyprint_pdf"]

REPORTLAB_COMMIT = "3296165"
ROOT = Path(__file__).resolve().parents[1]

_CSS = """
@page { size: A4; margin: 16mm 18mm 18mm 18mm;
  @bottom-left { content: string(footer); font-size: 7.5pt; color: #555; }
  @bottom-right { content: "page " counter(page); font-size: 7.5pt; color: #555; } }
body { font-family: "DejaVu Sans"; font-size: 9pt; line-height: 1.3; color: #222; }
.footer { string-set: footer content(); height: 0; overflow: hidden; }
h1 { font-size: 15pt; margin: 0 0 8pt; } h2 { font-size: 11.5pt; margin: 11pt 0 5pt; }
h3 { font-size: 9.5pt; margin: 7pt 0 4pt; } h1, h2, h3 { break-after: avoid; }
p { margin: 0 0 4pt; } .small { font-size: 7.5pt; color: #444; }
ul { margin: 0 0 4pt; padding-left: 10pt; } li { margin: 0; }
table { border-collapse: collapse; width: 100%; font-size: 8pt; line-height: 1.25;
  margin: 2pt 0 4pt; } th { background: #eee; text-align: left; }
th, td { border: 0.4pt solid #bbb; padding: 2.5pt 3pt; vertical-align: top; }
thead { display: table-header-group; } tr { break-inside: avoid; }
.keep { break-inside: avoid; } .refs td { border: none; padding: 0 3pt 2pt 0; }
.signature td { border: none; height: 9mm; vertical-align: bottom; }
figure { margin: 0; } figure svg { width: 100%; height: auto; max-height: 600pt; }
"""


def _cell(c: dict[str, Any]) -> str:
    lines = [html.escape(x) for x in c["lines"]]
    if c.get("bold") and lines:
        lines[0] = f"<b>{lines[0]}</b>"
    return "<br>".join(lines)


def _block(b: dict[str, Any]) -> str:
    kind = b["kind"]
    if kind == "p":
        label = f"<b>{html.escape(b['label'])}</b> " if "label" in b else ""
        body = label + html.escape(b["text"])
        tag = {"title": "h1", "h2": "h2", "h3": "h3"}.get(b["style"])
        return f"<{tag}>{body}</{tag}>" if tag else f"<p class='{b['style']}'>{body}</p>"
    if kind == "list":
        items = "".join(f"<li>{html.escape(i)}</li>" for i in b["items"])
        return f"<ul class='{b['style']}'>{items}</ul>"
    if kind == "table":
        cols = "".join(f"<col style='width:{100 * w:.1f}%'>" for w in b["widths"])
        head = "".join(f"<th>{html.escape(h)}</th>" for h in b["header"])
        rows = "".join("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in r) + "</tr>"
                       for r in b["rows"])
        return (f"<table><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>"
                f"<tbody>{rows}</tbody></table>")
    if kind == "figure":
        return f"<figure>{b['svg']}</figure>"
    if kind == "references":
        rows = "".join(f"<tr><td>{html.escape(r['mark'])}</td><td>{html.escape(r['text'])}</td>"
                       "</tr>" for r in b["items"])
        return f"<table class='refs small'>{rows}</table>"
    if kind == "signature":
        rows = "".join(f"<tr><td>{html.escape(x['label'])}</td><td>{html.escape(x['value'])}"
                       "</td></tr>" for x in b["lines"])
        return f"<table class='signature'>{rows}</table>"
    if kind == "space":
        return f"<div style='height:{b['points']}pt'></div>"
    if kind == "keep":
        return "<div class='keep'>" + "".join(_block(x) for x in b["blocks"]) + "</div>"
    raise ValueError(kind)


def html_document(document: dict[str, Any]) -> str:
    """The blocks `clepath.report.pdf` prepares, as one HTML page with its print CSS."""
    body = "\n".join(_block(b) for b in document["blocks"])
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(document['title'])}</title><style>{_CSS}</style></head>"
            f"<body><div class='footer'>{html.escape(document['footer'])}</div>{body}"
            "</body></html>")


def weasyprint_pdf(document: dict[str, Any]) -> bytes:
    """The document rendered by WeasyPrint (fonts from fontconfig: DejaVu Sans here)."""
    import weasyprint

    out: bytes = weasyprint.HTML(string=html_document(document)).write_pdf()
    return out


def capture(build: Any) -> dict[str, Any]:
    """The document `build()` would hand to Typst (title, footer, blocks), without compiling."""
    seen: dict[str, Any] = {}
    real = pdf._build

    def grab(story: list[Any], title: str, footer: str) -> bytes:
        seen.update(title=title, footer=footer, blocks=story)
        return b""

    pdf._build = grab  # type: ignore[assignment]
    try:
        build()
    finally:
        pdf._build = real  # type: ignore[assignment]
    return seen


def reportlab_module() -> ModuleType | None:
    """The reportlab document code of commit 3296165 as a module, or None when reportlab or
    that commit is not available."""
    if importlib.util.find_spec("reportlab") is None:
        return None
    git = shutil.which("git")
    if git is None:
        return None
    done = subprocess.run([git, "-C", str(ROOT), "show",  # noqa: S603 - a fixed commit and path
                           f"{REPORTLAB_COMMIT}:src/clepath/report/pdf.py"],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return None
    folder = Path(tempfile.mkdtemp(prefix="clepath-rl-"))
    path = folder / "clepath_reportlab_pdf.py"
    path.write_text(done.stdout)
    spec = importlib.util.spec_from_file_location("clepath_reportlab_pdf", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["clepath_reportlab_pdf"] = module
    spec.loader.exec_module(module)
    return module
