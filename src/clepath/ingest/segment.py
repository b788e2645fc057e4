"""The project's own splitter: paragraphs, sentences, clauses, patients and story vs background.

Works on normalised text (offsets are normalised offsets). Rules, no model:

* a paragraph is a line (case reports store one paragraph per line);
* a sentence ends at `.`, `!` or `?` followed by space and a capital, digit or bracket, except
  after a known abbreviation (`et al.`, `Fig.`, `e.g.`) or a decimal point;
* a patient section starts at "Patient 2", "Case 2", "the second patient/case";
  a background section starts at a heading such as "Discussion", "References", "Figure";
* outside any section, a paragraph is the patient's story when it refers to a patient
  ("47-year-old", "our patient", she/he/her/his); inside a patient section every paragraph is;
* a story sentence citing the literature with no reference to the patient is background;
* a clause ends at `;`, `:`, "but", "and had/was/...", "which", "prompting", "whereas" — the
  scope of assertion cues (ConText-style, but clause-level rather than sentence-level).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Clause", "Patient", "Segmented", "Sentence", "clauses", "segment"]

_ABBREVIATIONS = ("al", "fig", "figs", "e.g", "i.e", "dr", "vs", "approx", "no", "ref", "resp")
_BOUNDARY = re.compile(r"[.!?](?=\s+[A-Z0-9\[(\"'])")
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
}
_MARKER = re.compile(
    r"^\s*(?:(?:in\s+)?(?:patient|case)\s+(?P<num>\d+)\b|(?:in\s+)?the\s+(?P<ord>"
    + "|".join(_ORDINALS)
    + r")\s+(?:patient|case)\b)",
    re.IGNORECASE,
)
_BACKGROUND_HEADING = re.compile(
    r"^\s*(?:discussion|references?\b|conclusions?|introduction|background|declaration of|"
    r"financial support|conflicts? of interest|how to cite|address for correspondence|"
    r"acknowledg|funding)",
    re.IGNORECASE,
)
_NOTE_LINE = re.compile(  # one paragraph of metadata or a caption; the section goes on
    r"^\s*(?:source:|figure\s*\d|fig\.\s*\d|table\s*\d|received:|accepted:|revised:|doi:|"
    r"website:|access this article|quick response|this is an open access|for reprints|"
    r"keywords?:|e-mail:)",
    re.IGNORECASE,
)
_PATIENT_CUE = re.compile(
    r"\b\d+[- ](?:year|month)s?[- ]old\b|\b(?:our|the|this) patient\b|\bpatient\s+\d+\b"
    r"|\b(?:she|he|her|his|hers|him)\b",
    re.IGNORECASE,
)
_LITERATURE_CUE = re.compile(
    r"\^\[|\[\d+(?:[-,]\d+)*\]|\bet al\b|\bhave been used\b|\bsystematic review\b"
    r"|\bstudies\b|\bcase reports\b|\bcase series\b|\bmeta-analysis\b|\bis defined\b"
    r"|\bare divided\b|\bremains? the first-line\b|\bwe discuss\b|\bthis case highlights\b",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(
    r";|:(?!\d)|\bbut\b|\band (?:had|has|have|was|were|is|developed|then|later|subsequently)\b"
    r"|\bwhich\b|\bprompting\b|\bwhereas\b|\bhowever\b|\balthough\b|\bwhile\b|\bafter which\b"
    r"|,\s*(?=(?:she|he|the patient)\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Sentence:
    """One sentence: normalised offsets, its paragraph, section and whether it is the story."""

    start: int
    end: int
    text: str
    paragraph: int
    patient: int | None  # 1-based patient number, None when outside every patient's story
    story: bool
    reason: str  # why it is (not) story


@dataclass(frozen=True)
class Clause:
    """A clause of a sentence: the scope of assertion cues."""

    start: int
    end: int
    text: str


@dataclass
class Patient:
    """One patient of the text: number, label as written, and where it is introduced."""

    number: int
    label: str
    span: tuple[int, int]
    sentences: list[Sentence] = field(default_factory=list)


@dataclass(frozen=True)
class Segmented:
    """A text split into sentences, with its patients."""

    sentences: tuple[Sentence, ...]
    patients: tuple[Patient, ...]


def _sentence_spans(text: str, offset: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        cut = match.end()
        before = text[start : match.start()]
        last_word = re.split(r"[\s(]", before.strip())[-1].lower() if before.strip() else ""
        if last_word.rstrip(".") in _ABBREVIATIONS:
            continue
        if (
            match.group(0) == "."
            and re.search(r"\d$", before)
            and text[cut:].lstrip()[:1].isdigit()
        ):
            continue
        if text[start:cut].strip():
            spans.append((offset + start, offset + cut))
        start = cut
    if text[start:].strip():
        spans.append((offset + start, offset + len(text)))
    out: list[tuple[int, int]] = []
    for s, e in spans:
        while s < e and text[s - offset].isspace():
            s += 1
        while e > s and text[e - offset - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def _marker_number(sentence: str) -> int | None:
    match = _MARKER.match(sentence)
    if not match:
        return None
    if match.group("num"):
        return int(match.group("num"))
    return _ORDINALS[match.group("ord").lower()]


def segment(text: str) -> Segmented:
    """Split normalised text into sentences and patients."""
    sentences: list[Sentence] = []
    patients: dict[int, Patient] = {}
    section: str | int = "open"  # "open", "background" or a patient number
    offset = 0
    for index, line in enumerate(text.split("\n")):
        spans = _sentence_spans(line, offset)
        offset += len(line) + 1
        if not spans:
            continue
        first = text[spans[0][0] : spans[0][1]]
        if _BACKGROUND_HEADING.match(first):
            section = "background"
        note_line = bool(_NOTE_LINE.match(first))
        paragraph_is_story = bool(_PATIENT_CUE.search(line))
        for s, e in spans:
            body = text[s:e]
            number = _marker_number(body)
            if number is not None:
                section = number
                if number not in patients:
                    label = _MARKER.match(body).group(0).strip()  # type: ignore[union-attr]
                    patients[number] = Patient(number, label, (s, e))
            if note_line:
                story, reason, who = False, "metadata or caption line", None
            elif isinstance(section, int):
                story, reason, who = True, f"in the section of patient {section}", section
            elif section == "background":
                story, reason, who = False, "in a background section", None
            elif paragraph_is_story:
                story, reason, who = True, "paragraph refers to the patient", 1
            else:
                story, reason, who = False, "paragraph does not refer to a patient", None
            if story and _LITERATURE_CUE.search(body) and not _PATIENT_CUE.search(body):
                story, reason, who = False, "cites the literature, not the patient", None
            sentences.append(Sentence(s, e, body, index, who, story, reason))
    if not patients and any(s.story for s in sentences):
        first_story = next(s for s in sentences if s.story)
        patients[1] = Patient(1, "the patient", (first_story.start, first_story.end))
    for sentence in sentences:
        if sentence.story and sentence.patient in patients:
            patients[sentence.patient].sentences.append(sentence)
    return Segmented(tuple(sentences), tuple(patients[n] for n in sorted(patients)))


def clauses(text: str, start: int, end: int) -> list[Clause]:
    """The clauses of text[start:end] (normalised offsets)."""
    body = text[start:end]
    cuts = [0] + [m.start() for m in _CLAUSE_BREAK.finditer(body)] + [len(body)]
    out: list[Clause] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        if body[a:b].strip():
            out.append(Clause(start + a, start + b, body[a:b]))
    return out
