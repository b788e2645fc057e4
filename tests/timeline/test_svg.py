"""The timeline SVG: well-formed, accessible, self-contained, deterministic and escaped."""

from __future__ import annotations

import dataclasses
import os
import xml.etree.ElementTree as ET
from pathlib import Path

from clepath.engine.timeline import Timeline, build_timeline
from clepath.knowledge.base import KnowledgeBase
from clepath.report.timeline_svg import PANEL_TITLES, timeline_svg
from tests.timeline._factory import case, course

NS = {"svg": "http://www.w3.org/2000/svg"}
GOLDEN = Path(__file__).parent / "golden"


def _root(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def _texts(root: ET.Element) -> list[str]:
    return [el.text or "" for el in root.iter(f"{{{NS['svg']}}}text")]


def _classed(root: ET.Element, css: str) -> list[ET.Element]:
    return [el for el in root.iter() if css in (el.get("class") or "").split()]


class TestStructure:
    def test_parses_with_title_and_description(self, seed_timeline: Timeline) -> None:
        """The SVG is XML whose aria-labelledby names its own title and description."""
        root = _root(timeline_svg(seed_timeline))

        title = root.find("svg:title", NS)
        desc = root.find("svg:desc", NS)
        assert title is not None and desc is not None
        assert f"{title.get('id')} {desc.get('id')}" == root.get("aria-labelledby")
        assert "Timeline of case idoj-2020-ivig-rescue as of 2019-06-01" == title.text
        assert "img" == root.get("role")

    def test_panel_titles(self, seed_timeline: Timeline) -> None:
        """Every panel title is printed as text."""
        texts = _texts(_root(timeline_svg(seed_timeline)))

        assert [] == [t for t in PANEL_TITLES if t not in texts]

    def test_one_mark_per_infusion(self, seed_timeline: Timeline) -> None:
        """The seed's nine planned infusions give nine hollow IVIG marks, each with a title."""
        root = _root(timeline_svg(seed_timeline))

        marks = _classed(root, "ivig-mark")
        assert 9 == len(marks) == len(_classed(root, "ivig-planned"))
        assert all(m.find("svg:title", NS) is not None for m in marks)
        assert "IVIG planned, maintenance 4 day 1 of 1: 60 g" == marks[-1].get("aria-label")

    def test_undated_courses_are_listed_not_drawn(self, seed_timeline: Timeline) -> None:
        """The eight undated failures appear in the note under the axis, not as bars."""
        root = _root(timeline_svg(seed_timeline))
        note = " ".join(_texts(root))

        assert 2 == len(_classed(root, "therapy-bar"))
        assert "rituximab (failed; dates not recorded)" in note
        assert "hydroxychloroquine (failed; dates not recorded)" in note

    def test_empty_panel_says_not_recorded(self, seed_timeline: Timeline) -> None:
        """The CLASI panel without an examination says nothing is recorded (not zero)."""
        assert "No CLASI-A or CLASI-D recorded" in _texts(_root(timeline_svg(seed_timeline)))

    def test_lower_limits_are_labelled(self, scle_timeline: Timeline) -> None:
        """The C3 and C4 lower limits of the lab are drawn with their values."""
        texts = _texts(_root(timeline_svg(scle_timeline)))

        assert {"C3 lower limit 0.9", "C4 lower limit 0.1"} <= set(texts)


class TestTherapyRows:
    def test_courses_of_one_drug_share_a_row(self, kb: KnowledgeBase) -> None:
        """Two methotrexate courses are two bars on one labelled row."""
        t = build_timeline(case(therapies=[
            course("methotrexate", "intolerant", dose_mg=15, frequency="weekly",
                   start="2022-01-10", stop="2022-03-01"),
            course("methotrexate", "failed", dose_mg=20, frequency="weekly",
                   start="2023-01-10", stop="2023-06-01"),
        ]), kb)

        root = _root(timeline_svg(t))

        assert 2 == len(_classed(root, "therapy-bar"))
        assert 1 == _texts(root).count("methotrexate")
        assert ["outcome-intolerant", "outcome-failed"] == [
            (b.get("class") or "").split()[1] for b in _classed(root, "therapy-bar")
        ]


class TestSelfContained:
    def test_no_script_link_or_external_font(self, scle_timeline: Timeline) -> None:
        """No script, stylesheet, link or font file is referenced."""
        svg = timeline_svg(scle_timeline)

        for banned in ("<script", "href", "@import", "url(", "<style", "@font-face"):
            assert banned not in svg

    def test_deterministic(self, scle_case, kb: KnowledgeBase) -> None:  # type: ignore[no-untyped-def]
        """Two builds of the same case give the same bytes."""
        first = timeline_svg(build_timeline(scle_case, kb))

        assert first == timeline_svg(build_timeline(scle_case, kb))

    def test_width_is_respected(self, seed_timeline: Timeline) -> None:
        """The drawing is as wide as asked."""
        assert "640" == _root(timeline_svg(seed_timeline, width=640)).get("width")

    def test_golden_seed(self, seed_timeline: Timeline) -> None:
        """The seed's SVG matches the reviewed golden file (CLEPATH_REGEN_GOLDEN=1 rewrites it)."""
        path = GOLDEN / "idoj-2020-ivig-rescue.svg"
        svg = timeline_svg(seed_timeline)
        if os.environ.get("CLEPATH_REGEN_GOLDEN"):
            path.parent.mkdir(exist_ok=True)
            path.write_text(svg, encoding="utf-8")

        assert path.read_text(encoding="utf-8") == svg


class TestEscaping:
    def test_case_id_with_markup(self, kb: KnowledgeBase) -> None:
        """A case id `a<b&c` is escaped: the SVG parses and the title reads it back."""
        t = build_timeline(case(case_id="a<b&c"), kb)

        svg = timeline_svg(t)

        assert "a&lt;b&amp;c" in svg
        title = _root(svg).find("svg:title", NS)
        assert title is not None and "Timeline of case a<b&c as of 2024-03-15" == title.text

    def test_note_with_markup(self, seed_timeline: Timeline) -> None:
        """Notes are escaped too."""
        t = dataclasses.replace(seed_timeline, notes=('<script>alert("x")</script> & more',))

        svg = timeline_svg(t)

        assert "<script" not in svg
        assert '<script>alert("x")</script> & more' in _texts(_root(svg))
