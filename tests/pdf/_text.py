"""Reading the text of a PDF as a reader would copy it: pdftotext -raw (poppler-utils), else
pypdf."""

from __future__ import annotations

import io
import shutil
import subprocess

__all__ = ["pdf_text"]


def pdf_text(pdf: bytes) -> str:
    """The PDF's text in content order, whitespace collapsed to single spaces."""
    tool = shutil.which("pdftotext")
    if tool is not None:
        done = subprocess.run([tool, "-raw", "-enc", "UTF-8", "-", "-"], input=pdf,
                              capture_output=True, check=True, timeout=60)
        text = done.stdout.decode("utf-8")
    else:
        from pypdf import PdfReader

        text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.split())
