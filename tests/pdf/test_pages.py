"""Both documents of both examples as page images (pdftoppm), kept in test-artefacts/pdf/ to be
looked at: every page is A4 and has ink on it."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from clepath.casefile import load_case
from clepath.engine.assess import assess
from clepath.engine.ivig import plan_for_case
from clepath.engine.timeline import build_timeline
from clepath.knowledge.base import KnowledgeBase
from clepath.report.pdf import ivig_prior_auth_pdf, treatment_summary_pdf
from tests.conftest import ROOT, SCLE_CASE, SEED_CASE

OUT = ROOT / "test-artefacts" / "pdf"
PDFTOPPM = shutil.which("pdftoppm")


def _size(png: Path) -> tuple[int, int]:
    """Width and height of a PNG, from its IHDR chunk."""
    width, height = struct.unpack(">II", png.read_bytes()[16:24])
    return width, height


@pytest.mark.skipif(PDFTOPPM is None, reason="pdftoppm (poppler-utils) is not installed")
@pytest.mark.parametrize("example", [SEED_CASE, SCLE_CASE], ids=["seed", "scle"])
def test_pages_are_a4_with_content(example: Path, kb: KnowledgeBase) -> None:
    """Each page of the summary and the letter renders as an A4 image (210 × 297 mm, so
    about 827 × 1169 px at 100 dpi) that is not blank."""
    case = load_case(example, kb)
    a = assess(case, kb)
    documents = {
        "summary": treatment_summary_pdf(a, timeline=build_timeline(case, kb), kb=kb),
        "letter": ivig_prior_auth_pdf(a, plan_for_case(case, kb), kb=kb),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    name = "seed" if example == SEED_CASE else "scle"
    problems = []
    for kind, pdf in documents.items():
        stem = OUT / f"{name}-{kind}"
        for old in OUT.glob(f"{name}-{kind}-*.png"):
            old.unlink()
        assert PDFTOPPM is not None
        subprocess.run([PDFTOPPM, "-r", "100", "-png", "-", str(stem)],  # noqa: S603
                       input=pdf, check=True, capture_output=True, timeout=120)
        pages = sorted(OUT.glob(f"{name}-{kind}-*.png"))
        problems += [f"{p.name}: {_size(p)}" for p in pages
                     if abs(_size(p)[0] - 827) > 1 or abs(_size(p)[1] - 1169) > 1]
        problems += [f"{p.name}: blank" for p in pages if p.stat().st_size < 8000]
        problems += [f"{kind}: no page"] if not pages else []

    assert [] == problems
