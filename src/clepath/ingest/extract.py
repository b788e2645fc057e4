"""From one report's text to draft case files, provenance and cohort records.

Every field the reader emits carries the value, its unit, the span of the original text it came
from, the literal text it matched and the rule that found it. What the text does not state is
listed as unresolved and left out of the draft, never filled in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from clepath.ingest.context import Cue, find_cues, statuses_for
from clepath.ingest.grammar import find_dose, find_lab_value, find_regimen
from clepath.ingest.mentions import _Mention, _vocab_mentions
from clepath.ingest.normalise import Normalised, normalise
from clepath.ingest.segment import Patient, Sentence, clauses, segment
from clepath.knowledge.base import KnowledgeBase

__all__ = ["Extraction", "PatientDraft", "extract"]

# Words for a finding that names a lab result (the test and its direction).
_FINDING_LABS: dict[str, tuple[str, str]] = {
    "leukopenia": ("wbc", "low"),
    "leucopenia": ("wbc", "low"),
    "leukocytosis": ("wbc", "high"),
    "lymphopenia": ("lymphocytes", "low"),
    "lymphocytopenia": ("lymphocytes", "low"),
    "neutropenia": ("neutrophils", "low"),
    "thrombocytopenia": ("platelets", "low"),
    "hypocomplementemia": ("c3", "low"),
    "hypocomplementaemia": ("c3", "low"),
}
_MODIFIER = re.compile(
    r"\b(low|high|elevated|raised|increased|decreased|reduced|positive|negative|normal|"
    r"undetectable|detectable|strongly positive|weakly positive)\b",
    re.IGNORECASE,
)
_RESULT = {
    "low": "low",
    "decreased": "low",
    "reduced": "low",
    "undetectable": "low",
    "high": "high",
    "elevated": "high",
    "raised": "high",
    "increased": "high",
    "positive": "positive",
    "strongly positive": "positive",
    "weakly positive": "positive",
    "detectable": "positive",
    "negative": "negative",
    "normal": "normal",
}
_AGE = re.compile(r"\b(?P<n>\d{1,3})[- ](?P<u>year|month)s?[- ]old\b", re.IGNORECASE)
_SEX = re.compile(r"\b(?:(?P<f>woman|female|girl|lady)|(?P<m>man|male|boy|gentleman))\b", re.I)
_WEIGHT = re.compile(
    r"\b(?:weigh(?:ing|s|ed)?|body ?weight(?: of| was)?|weight(?: of| was)?)\s+(?P<q>\d+(?:\.\d+)?"
    r"\s*(?:kg|lb|lbs|pounds|kilograms))\b",
    re.IGNORECASE,
)
_DURATION = re.compile(
    r"\b(?:(?P<a>\d+)[- ]years?[- ]history\b|for (?:the )?(?:last|past) (?P<b>\d+) years?\b"
    r"|(?:since|for) (?P<c>\d+) years?\b)",
    re.IGNORECASE,
)
_SLE = re.compile(r"\b(?:systemic lupus(?: erythematosus)?|SLE)\b")
_LUPUS = re.compile(
    r"\b(?:muco)?cutaneous lupus(?: erythematosus)?\b|\blupus erythematosus\b"
    r"|\bCLE\b",
    re.IGNORECASE,
)
_LESION = re.compile(r"\b(?:plaques?|lesions?|rash|erythema|papules?|patch(?:es)?)\b", re.I)
_BODY_WORDS = re.compile(r"\b(face|trunk|extremities|limbs|body|neck|palms?|soles?)\b", re.I)
_FOLLOW_UP = re.compile(
    r"\b(?:normali[sz]\w*|improv\w*|after|follow-?up|subsequent\w*|later|since|decreased|"
    r"increased|rose|fell|resolved|stabili[sz]ed|remission|repeat\w*)\b",
    re.IGNORECASE,
)
_GROUP_WORD = re.compile(r"\b(?:SCLE|ACLE|CCLE|DLE|discoid lupus|subacute cutaneous lupus)\b")
_TAPER = re.compile(r"\btaper(?:ed|ing)?\b(?:\s+down)?", re.IGNORECASE)
_IMPROVED = re.compile(r"\b(?:improve\w*|remission|resol\w+|cleared|softening|response)\b", re.I)
_NOT_IMPROVED = re.compile(
    r"\b(?:no|not|without|failed to)\s+(?:\w+\s+){0,2}(?:improve\w*|"
    r"remission|resol\w+|response)\b",
    re.I,
)
_CLASI = re.compile(
    r"\bCLASI(?:-(?P<part>[AD]))?\b(?:\s+(?:score\s+)?(?:increased|decreased|improved|fell|rose|"
    r"went|changed)?\s*from\s+(?P<a>\d+(?:\.\d+)?)\s+to\s+(?P<b>\d+(?:\.\d+)?)|\s*(?:of|was|=|:)?"
    r"\s*(?P<c>\d+(?:\.\d+)?)\b)",
    re.IGNORECASE,
)
_UNITLESS = re.compile(
    r"\b(?:from\s+(?P<a>\d+(?:\.\d+)?)\s+to\s+(?P<b>\d+(?:\.\d+)?)|"
    r"at\s+(?P<c>\d+(?:\.\d+)?)|of\s+(?P<d>\d+(?:\.\d+)?))(?!\s*[a-zA-Z/%])"
)
_COHORT = re.compile(
    r"\b(?P<n>\d+)\s+(?:consecutive\s+|adult\s+|paediatric\s+|pediatric\s+)?"
    r"(?P<w>patients|cases|subjects|women|men|children)\b",
    re.IGNORECASE,
)
_SUGGEST = re.compile(
    r"\b(?:sodium\s+)?[a-z]*(?:mab|nib|limus|pril|sartan|statin|olone|isone|"
    r"amole|thiosulfate|azole|cillin|mycin|quine|parin)\b",
    re.IGNORECASE,
)
_ANTI = re.compile(r"\banti-?\s?(?P<x>[A-Za-z0-9]+)(?:/(?P<y>[A-Za-z0-9]+))?")
_TREATMENT_STATUSES = (
    "failed",
    "partial",
    "responded",
    "ongoing",
    "history",
    "started",
    "stopped",
    "intolerant",
    "taper",
)


@dataclass
class PatientDraft:
    """One patient's draft: case-file data, the provenance of each field, what is unresolved."""

    number: int
    label: str
    case: dict[str, Any]
    fields: list[dict[str, Any]]
    unresolved: list[dict[str, Any]]
    notes: list[dict[str, Any]]  # extracted but not case-file data (scores, durations, follow-up)
    suggestions: list[dict[str, Any]]
    background: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Extraction:
    """What one text yields: a draft per patient and cohort records."""

    name: str
    normalised: Normalised
    patients: list[PatientDraft]
    cohorts: list[dict[str, Any]]
    background: list[dict[str, Any]]


def _lab_mentions(kb: KnowledgeBase, text: str, start: int, end: int) -> list[_Mention]:
    vocab = kb.vocabulary("lab_test")
    found = _vocab_mentions(kb, "lab_test", text, start, end, "lab")
    for m in _ANTI.finditer(text, start, end):
        names = [m.group("x")] + ([m.group("y")] if m.group("y") else [])
        for i, name in enumerate(names):
            canonical = vocab.resolve(f"anti-{name}") or vocab.resolve(name)
            if canonical is None:
                continue
            s, e = (m.start(), m.end()) if i else (m.start(), m.start("x") + len(name))
            if i:
                s, e = m.start("y"), m.end("y")
            found.append(_Mention("lab", canonical, s, e, "lab_test vocabulary (anti-X)"))
    for word, (test, result) in _FINDING_LABS.items():
        for m in re.finditer(rf"\b{word}\b", text[start:end], re.IGNORECASE):
            found.append(
                _Mention(
                    "lab",
                    test,
                    start + m.start(),
                    start + m.end(),
                    "finding word naming a lab result",
                    result,
                )
            )
    found.sort(key=lambda x: (x.start, -(x.end - x.start)))
    out: list[_Mention] = []
    for mention in found:  # drop mentions inside a longer one
        if out and mention.start < out[-1].end:
            continue
        out.append(mention)
    return out


class _Builder:
    def __init__(self, n: Normalised) -> None:
        self.n = n
        self.fields: list[dict[str, Any]] = []
        self.unresolved: list[dict[str, Any]] = []
        self.notes: list[dict[str, Any]] = []
        self.suggestions: list[dict[str, Any]] = []

    def prov(
        self, path: str, value: Any, unit: str | None, start: int, end: int, rule: str, **extra: Any
    ) -> dict[str, Any]:
        s, e = self.n.original_span(start, end)
        item = {
            "field": path,
            "value": value,
            "unit": unit,
            "span": [s, e],
            "text": self.n.original[s:e],
            "matched": self.n.text[start:end],
            "rule": rule,
        }
        item.update(extra)
        return item

    def add(
        self, path: str, value: Any, unit: str | None, start: int, end: int, rule: str, **extra: Any
    ) -> dict[str, Any]:
        item = self.prov(path, value, unit, start, end, rule, **extra)
        self.fields.append(item)
        return item

    def note(
        self, kind: str, value: Any, unit: str | None, start: int, end: int, rule: str, **extra: Any
    ) -> None:
        self.notes.append(self.prov(kind, value, unit, start, end, rule, **extra))

    def missing(
        self, path: str, reason: str, start: int | None = None, end: int | None = None, **extra: Any
    ) -> None:
        item: dict[str, Any] = {"field": path, "reason": reason}
        if start is not None and end is not None:
            s, e = self.n.original_span(start, end)
            item.update(span=[s, e], text=self.n.original[s:e])
        item.update(extra)
        self.unresolved.append(item)


def _cue_json(n: Normalised, cue: Cue) -> dict[str, Any]:
    s, e = n.original_span(cue.start, cue.end)
    return {
        "status": cue.status,
        "cue": n.original[s:e],
        "span": [s, e],
        "direction": "forward" if cue.forward else "backward",
    }


def _patient_draft(n: Normalised, patient: Patient, kb: KnowledgeBase, name: str) -> PatientDraft:
    text = n.text
    b = _Builder(n)
    sentences = patient.sentences
    case: dict[str, Any] = {"clepath": 1, "id": f"{name}-{patient.number}", "as_of": None}
    b.missing("as_of", "a published report gives no calendar dates; set the assessment date")
    demographics: dict[str, Any] = {}

    # ---- demographics
    for s in sentences:
        if "age" not in demographics and (m := _AGE.search(text, s.start, s.end)):
            if m.group("u").lower() == "year":
                demographics["age"] = int(m.group("n"))
                b.add("patient.age", int(m.group("n")), "a", m.start(), m.end(), "age: N-year-old")
                sx = _SEX.search(text, m.end(), min(s.end, m.end() + 20))
                if sx:
                    demographics["sex"] = "female" if sx.group("f") else "male"
                    b.add(
                        "patient.sex",
                        demographics["sex"],
                        None,
                        sx.start(),
                        sx.end(),
                        "sex word after the age",
                    )
        if "weight" not in demographics and (m := _WEIGHT.search(text, s.start, s.end)):
            q = re.sub(r"\s+", " ", m.group("q"))
            demographics["weight"] = q
            b.add("patient.weight", q, None, m.start("q"), m.end("q"), "weight phrase")
    for key in ("age", "sex", "weight"):
        if key not in demographics:
            b.missing(f"patient.{key}", "not stated in the text")
    case["patient"] = demographics

    # ---- disease: SLE, duration, subtypes, sites
    for s in sentences:
        if m := _SLE.search(text, s.start, s.end):
            b.note("disease.sle", True, None, m.start(), m.end(), "SLE named in the story")
            break
    for s in sentences:
        if m := _DURATION.search(text, s.start, s.end):
            years = int(m.group("a") or m.group("b") or m.group("c"))
            b.note("disease.duration", years, "a", m.start(), m.end(), "disease duration phrase")
            b.missing(
                "cle[0].since",
                "the text gives a duration, not a date; set the year of onset",
                m.start(),
                m.end(),
            )
            break
    subtypes: list[_Mention] = []
    for s in sentences:
        for mention in _vocab_mentions(kb, "cle_subtype", text, s.start, s.end, "subtype"):
            if mention.value != "unspecified" and all(x.value != mention.value for x in subtypes):
                subtypes.append(mention)
    first_treatment = _first_treatment_sentence(text, sentences)
    sites: list[_Mention] = []
    for s in sentences[: first_treatment + 1] if first_treatment is not None else sentences:
        if not _LESION.search(text, s.start, s.end):
            continue
        for mention in _vocab_mentions(kb, "clasi_region", text, s.start, s.end, "site"):
            if all(x.value != mention.value for x in sites):
                sites.append(mention)
        for m in _BODY_WORDS.finditer(text, s.start, s.end):
            if kb.vocabulary("clasi_region").resolve(m.group(1)) is None:
                b.missing(
                    "cle[0].sites",
                    f"'{m.group(1)}' spans several CLASI regions; choose them",
                    m.start(),
                    m.end(),
                )
    cle: list[dict[str, Any]] = []
    if subtypes:
        for i, mention in enumerate(subtypes):
            cle.append({"subtype": mention.value})
            b.add(
                f"cle[{i}].subtype", mention.value, None, mention.start, mention.end, mention.rule
            )
    else:
        lupus = next((m for s in sentences if (m := _LUPUS.search(text, s.start, s.end))), None)
        group = next(
            (m for s in sentences if (m := _GROUP_WORD.search(text, s.start, s.end))), None
        )
        if group is not None:
            lupus = lupus or group
            b.missing(
                "cle[0].subtype",
                f"'{group.group(0)}' names a group of subtypes; choose one",
                group.start(),
                group.end(),
            )
        if lupus is not None:
            cle.append({"subtype": "unspecified"})
            b.add(
                "cle[0].subtype",
                "unspecified",
                None,
                lupus.start(),
                lupus.end(),
                "lupus named without a CLE subtype",
            )
        else:
            b.missing("cle", "no cutaneous lupus subtype is named")
    if cle and sites:
        cle[0]["sites"] = [m.value for m in sites]
        for j, m in enumerate(sites):
            b.add(f"cle[0].sites[{j}]", m.value, None, m.start, m.end, m.rule)
    if cle:
        case["cle"] = cle

    # ---- drugs, labs, scores, sentence by sentence
    drugs: dict[str, dict[str, Any]] = {}
    labs: list[dict[str, Any]] = []
    for index, s in enumerate(sentences):
        after_treatment = (
            first_treatment is not None
            and index > first_treatment
            and bool(_FOLLOW_UP.search(text, s.start, s.end))
        )
        sentence_drugs = _vocab_mentions(kb, "drug", text, s.start, s.end, "drug")
        sentence_labs = _lab_mentions(kb, text, s.start, s.end)
        for clause in clauses(text, s.start, s.end):
            cues = find_cues(text, clause.start, clause.end)
            for m in _TAPER.finditer(text, clause.start, clause.end):
                cues.append(Cue(m.start(), m.end(), "taper", True, m.group(0)))
            in_clause = [d for d in sentence_drugs if clause.start <= d.start < clause.end]
            for i, mention in enumerate(in_clause):
                nxt = next(
                    (d.start for d in in_clause[i + 1 :] if d.value != mention.value), clause.end
                )
                _drug_mention(b, drugs, mention, cues, clause.end, nxt, index, s)
            in_clause_labs = [x for x in sentence_labs if clause.start <= x.start < clause.end]
            _labs_in_clause(
                b, labs, in_clause_labs, cues, clause.start, clause.end, kb, after_treatment
            )
        for m in _CLASI.finditer(text, s.start, s.end):
            part = f"CLASI-{m.group('part').upper()}" if m.group("part") else "CLASI"
            values = [v for v in (m.group("a"), m.group("b"), m.group("c")) if v is not None]
            for v in values:
                b.note(
                    "reported_score",
                    float(v),
                    None,
                    m.start(),
                    m.end(),
                    "score named with its value",
                    instrument=part,
                )
        for m in _SUGGEST.finditer(text, s.start, s.end):
            if kb.vocabulary("drug").resolve(m.group(0)) is None and not any(
                d.start <= m.start() < d.end for d in sentence_drugs
            ):
                s0, e0 = n.original_span(m.start(), m.end())
                b.suggestions.append(
                    {
                        "text": n.original[s0:e0],
                        "span": [s0, e0],
                        "kind": "drug name not in the drug vocabulary",
                    }
                )
    therapies, ivig = _therapies(b, drugs, sentences, text)
    if labs:
        case["labs"] = labs
    if therapies:
        case["therapies"] = therapies
    if ivig:
        case["requests"] = {"ivig": ivig}
    return PatientDraft(
        patient.number, patient.label, case, b.fields, b.unresolved, b.notes, b.suggestions
    )


def _first_treatment_sentence(text: str, sentences: list[Sentence]) -> int | None:
    pattern = re.compile(
        r"\b(?:was|were) (?:then )?(?:started|introduced|initiated)\b|"
        r"\binitiation\b|\bwas treated with\b",
        re.I,
    )
    for i, s in enumerate(sentences):
        if pattern.search(text, s.start, s.end):
            return i
    return None


def _drug_mention(
    b: _Builder,
    drugs: dict[str, dict[str, Any]],
    mention: _Mention,
    cues: list[Cue],
    clause_end: int,
    window_end: int,
    index: int,
    sentence: Sentence,
) -> None:
    text = b.n.text
    entry = drugs.setdefault(mention.value, {"mentions": [], "courses": []})
    governing = statuses_for(cues, mention.start, mention.end)
    stop = next((c for c in governing if c.status == "stopped" and not c.forward), None)
    if stop is not None:
        # "X was discontinued and the lesions resolved": improvement after withdrawal, which
        # speaks for X as a cause, not for X as a treatment
        governing = [
            Cue(c.start, c.end, "improved_after_withdrawal", c.forward, c.text)
            if c.status == "responded" and c.start > stop.start
            else c
            for c in governing
        ]
    statuses = [c.status for c in governing]
    entry["mentions"].append(
        {"mention": mention, "statuses": statuses, "cues": governing, "sentence": index}
    )
    doses = []
    cursor = mention.end
    while (dose := find_dose(text, cursor, window_end)) is not None:
        if not doses and dose.start - mention.end > 40:
            break
        doses.append(dose)
        cursor = dose.end
    taper = "taper" in statuses and any(
        c.status == "taper" and c.end <= mention.start for c in governing
    )
    for i, dose in enumerate(doses):
        regimen_end = doses[i + 1].start if i + 1 < len(doses) else clause_end
        regimen = find_regimen(text, dose.end, regimen_end)
        entry["courses"].append(
            {
                "mention": mention,
                "dose": dose,
                "regimen": regimen,
                "statuses": statuses,
                "cues": governing,
                "taper": taper,
                "sentence": index,
            }
        )


def _labs_in_clause(
    b: _Builder,
    labs: list[dict[str, Any]],
    mentions: list[_Mention],
    cues: list[Cue],
    start: int,
    end: int,
    kb: KnowledgeBase,
    after_treatment: bool,
) -> None:
    text = b.n.text
    previous_result: tuple[str, int, int] | None = None
    previous_end = start
    for i, mention in enumerate(mentions):
        nxt = mentions[i + 1].start if i + 1 < len(mentions) else end
        negated = any(c.status == "negated" for c in statuses_for(cues, mention.start, mention.end))
        result: tuple[str, int, int] | None = None
        if mention.result:
            result = (mention.result, mention.start, mention.end)
        gap = text[previous_end : mention.start]
        mods = list(_MODIFIER.finditer(text, previous_end, mention.start))
        if mods and result is None:
            m = mods[-1]
            result = (_RESULT[m.group(1).lower()], m.start(), m.end())
        after = _MODIFIER.search(text, mention.end, min(nxt, mention.end + 25))
        if (
            result is None
            and after
            and re.match(r"^[\s\w-]*?(?:was|were|is|are)?\s*$", text[mention.end : after.start()])
        ):
            result = (_RESULT[after.group(1).lower()], after.start(), after.end())
        if result is None and previous_result and re.fullmatch(r"\s*(?:,|and|or|, and)\s*", gap):
            result = previous_result  # "positive anti-dsDNA and anti-Ro": the modifier is shared
        value = find_lab_value(text, mention.end, min(nxt, mention.end + 30))
        if value is not None and value.start - mention.end > 12:
            value = None
        previous_end = mention.end
        previous_result = result
        path = f"labs[{len(labs)}]"
        row: dict[str, Any] = {"test": mention.value, "date": None}
        if negated and result is None:
            result = ("negative", mention.start, mention.end)
        if after_treatment:
            unitless = _UNITLESS.search(text, mention.end, min(end, mention.end + 60))
            b.note(
                "follow_up_lab",
                mention.value,
                None,
                mention.start,
                mention.end,
                "lab named after treatment began (not a baseline result)",
                result=result[0] if result else None,
                values_without_unit=[v for v in unitless.groups() if v] if unitless else [],
            )
            continue
        lab_kind = _lab_kind(kb, mention.value)
        if value is not None and value.quantity is not None:
            row["value"] = value.quantity.value
            row["unit"] = value.quantity.unit
            b.add(
                f"{path}.value",
                value.quantity.value,
                value.quantity.unit,
                value.start,
                value.end,
                "lab value with a unit after the test",
            )
        elif value is not None and value.titre is not None:
            row["value"] = f"1:{value.titre}"
            b.add(
                f"{path}.value",
                f"1:{value.titre}",
                None,
                value.start,
                value.end,
                "titre after the test",
            )
        elif result is not None:
            row["result"] = result[0]
            b.add(
                f"{path}.result",
                result[0],
                None,
                result[1],
                result[2],
                "result word governing the test" if result[1] != mention.start else mention.rule,
            )
        elif lab_kind in ("qualitative", "numeric") and mention.value.startswith("anti"):
            row["result"] = "positive"
            b.add(
                f"{path}.result",
                "positive",
                None,
                mention.start,
                mention.end,
                "antibody named as present (no result word)",
            )
        else:
            unitless = _UNITLESS.search(text, mention.end, min(end, mention.end + 60))
            if unitless:
                numbers = [v for v in unitless.groups() if v is not None]
                b.missing(
                    f"{path}.value",
                    "a number without a unit; the unit is not stated",
                    unitless.start(),
                    unitless.end(),
                    test=mention.value,
                    values=numbers,
                )
            else:
                b.missing(
                    f"{path}",
                    "test named without a value or result",
                    mention.start,
                    mention.end,
                    test=mention.value,
                )
            continue
        b.add(f"{path}.test", mention.value, None, mention.start, mention.end, mention.rule)
        b.missing(f"{path}.date", "no date in the text")
        labs.append(row)


def _lab_kind(kb: KnowledgeBase, test: str) -> str | None:
    for row in kb.pack("labs").tables["tests"]:
        if getattr(row, "id", None) == test:
            return getattr(row, "kind", None)
    return None


def _outcome(statuses: set[str]) -> str | None:
    for status, outcome in (
        ("failed", "failed"),
        ("intolerant", "intolerant"),
        ("partial", "partial"),
        ("responded", "responded"),
        ("ongoing", "ongoing"),
    ):
        if status in statuses:
            return outcome
    return None


def _look_ahead_outcome(
    text: str, sentences: list[Sentence], index: int, start: int
) -> tuple[str, int, int] | None:
    for s in sentences[index : index + 3]:
        lo = max(s.start, start) if s is sentences[index] else s.start
        for m in _IMPROVED.finditer(text, lo, s.end):
            window = text[max(s.start, m.start() - 30) : m.end()]
            if _NOT_IMPROVED.search(window):
                continue
            partial = re.search(r"partial\w*\s*$", text[max(s.start, m.start() - 12) : m.start()])
            return ("partial" if partial else "responded", m.start(), m.end())
    return None


def _therapies(
    b: _Builder, drugs: dict[str, dict[str, Any]], sentences: list[Sentence], text: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    therapies: list[dict[str, Any]] = []
    ivig: dict[str, Any] = {}
    for drug, entry in drugs.items():
        mentions = entry["mentions"]
        statuses = {st for m in mentions for st in m["statuses"]}
        first = mentions[0]["mention"]
        cue_json = [_cue_json(b.n, c) for m in mentions for c in m["cues"]]
        explicit = statuses & {"failed", "partial", "responded", "ongoing", "intolerant"}
        outcome = _outcome(statuses - {"taper"})
        outcome_span: tuple[int, int] | None = None
        if (
            "started" in statuses
            and outcome in (None, "ongoing")
            and "improved_after_withdrawal" not in statuses
        ):
            last = mentions[-1]
            found = _look_ahead_outcome(text, sentences, last["sentence"], last["mention"].end)
            if found:
                outcome, outcome_span = found[0], (found[1], found[2])
        if "cause" in statuses and not explicit and outcome_span is None:
            # named as the cause of the rash or flare: not a treatment of the disease
            b.note(
                "cause_of_disease",
                drug,
                None,
                first.start,
                first.end,
                "drug named as a cause, not a treatment",
                cues=cue_json,
            )
            continue
        if "negated" in statuses and not explicit:
            b.note(
                "negated_drug", drug, None, first.start, first.end, "drug negated", cues=cue_json
            )
            continue
        courses = [c for c in entry["courses"] if not c["taper"]]
        taper_courses = [c for c in entry["courses"] if c["taper"]]
        if drug == "intravenous immunoglobulin":
            ivig = _ivig_request(b, courses)
        base = len(therapies)
        row: dict[str, Any] = {"drug": drug}
        b.add(
            f"therapies[{base}].drug",
            drug,
            None,
            first.start,
            first.end,
            first.rule,
            status=sorted(statuses),
            cues=cue_json,
        )
        course = next((c for c in courses if not c["dose"].per_kg), None)
        if course is None and drug != "intravenous immunoglobulin" and courses:
            course = courses[0]
        if course is not None:
            _dose_fields(b, row, f"therapies[{base}]", course)
        if outcome is not None:
            row["outcome"] = outcome
            span = outcome_span or next(
                (
                    (c.start, c.end)
                    for m in mentions
                    for c in m["cues"]
                    if c.status == _status_of(outcome)
                ),
                (first.start, first.end),
            )
            b.add(
                f"therapies[{base}].outcome",
                outcome,
                None,
                span[0],
                span[1],
                "assertion cue in the clause"
                if outcome_span is None
                else "improvement named after the last mention",
            )
        else:
            row["outcome"] = None
            b.missing(
                f"therapies[{base}].outcome",
                "the text gives no outcome for this drug"
                + (" (named as previous treatment)" if "history" in statuses else ""),
                first.start,
                first.end,
                drug=drug,
            )
        therapies.append(row)
        for course in taper_courses:
            index = len(therapies)
            tapered: dict[str, Any] = {"drug": drug}
            b.add(
                f"therapies[{index}].drug",
                drug,
                None,
                course["mention"].start,
                course["mention"].end,
                "tapered to a new dose",
            )
            _dose_fields(b, tapered, f"therapies[{index}]", course)
            tapered["outcome"] = "ongoing"
            tapered["note"] = "dose after a taper"
            taper_cue = next(c for c in course["cues"] if c.status == "taper")
            b.add(
                f"therapies[{index}].outcome",
                "ongoing",
                None,
                taper_cue.start,
                course["dose"].end,
                "taper to a new dose (the course goes on)",
            )
            therapies.append(tapered)
    return therapies, ivig


def _status_of(outcome: str) -> str:
    return outcome


def _dose_fields(b: _Builder, row: dict[str, Any], path: str, course: dict[str, Any]) -> None:
    dose = course["dose"]
    if dose.high is not None:
        b.missing(
            f"{path}.dose",
            "a dose range; choose the dose given",
            dose.start,
            dose.end,
            low=dose.value,
            high=dose.high,
            unit=dose.unit,
        )
        return
    unit = dose.unit
    value = dose.value
    if dose.per_day:
        unit = unit[: -len("/d")]
    shown = f"{value:g} {unit}"
    row["dose"] = shown
    b.add(f"{path}.dose", value, unit, dose.start, dose.end, "dose grammar")
    regimen = course["regimen"]
    if dose.per_day:
        row["frequency"] = "daily"
        b.add(f"{path}.frequency", "daily", None, dose.start, dose.end, "per-day dose unit")
    elif regimen.frequency is not None:
        word, s, e = regimen.frequency
        row["frequency"] = word
        b.add(f"{path}.frequency", word, None, s, e, "frequency words after the dose")
    if regimen.duration is not None:
        duration, s, e = regimen.duration
        b.notes.append(
            b.prov(
                f"{path}.duration",
                duration.split()[0],
                duration.split()[1],
                s,
                e,
                "duration phrase after the dose",
            )
        )


def _ivig_request(b: _Builder, courses: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for course in courses:
        dose, regimen = course["dose"], course["regimen"]
        if not dose.per_kg or dose.high is not None:
            continue
        if regimen.days is not None and "induction" not in out:
            days, ds, de = regimen.days
            if dose.per_day:
                per_day_g = dose.value / 1000 if dose.unit.startswith("mg") else dose.value
                total = round(per_day_g * days, 6)
                out["induction"] = {"dose": f"{total:g} g/kg", "days": days}
                b.add(
                    "requests.ivig.induction.dose",
                    total,
                    "g/kg",
                    dose.start,
                    de,
                    "per-day dose x days (derived)",
                    derived=True,
                    components={"per_day": dose.value, "unit": dose.unit, "days": days},
                )
            else:
                out["induction"] = {"dose": f"{dose.value:g} {dose.unit}", "days": days}
                b.add(
                    "requests.ivig.induction.dose",
                    dose.value,
                    dose.unit,
                    dose.start,
                    dose.end,
                    "course dose followed by 'over N days'",
                )
            b.add("requests.ivig.induction.days", days, "d", ds, de, "over/x N days")
            if regimen.every is not None:
                every, es, ee = regimen.every
                b.missing(
                    "requests.ivig.maintenance",
                    f"the course repeats every {every}"
                    + (f" for {regimen.cycles[0]} cycles" if regimen.cycles else "")
                    + "; enter the repeat courses as maintenance if that is meant",
                    es,
                    (regimen.cycles[2] if regimen.cycles else ee),
                )
        elif regimen.every is not None and "maintenance" not in out:
            every, es, ee = regimen.every
            out["maintenance"] = {"dose": f"{dose.value:g} {dose.unit}", "every": every}
            b.add(
                "requests.ivig.maintenance.dose",
                dose.value,
                dose.unit,
                dose.start,
                dose.end,
                "dose followed by an interval",
            )
            b.add(
                "requests.ivig.maintenance.every",
                float(every.split()[0]),
                every.split()[1],
                es,
                ee,
                "interval words (monthly = 1 mo)",
                word=b.n.text[es:ee],
            )
            if regimen.cycles is not None:
                cycles, cs, ce = regimen.cycles
                out["maintenance"]["cycles"] = cycles
                b.add(
                    "requests.ivig.maintenance.cycles",
                    cycles,
                    None,
                    cs,
                    ce,
                    "for N months of a monthly dose = N cycles",
                )
            else:
                b.missing("requests.ivig.maintenance.cycles", "the number of cycles is not stated")
    return out


def _cohorts(n: Normalised, sentences: tuple[Sentence, ...], patients: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for s in sentences:
        for m in _COHORT.finditer(n.text, s.start, s.end):
            count = int(m.group("n"))
            if count < 2 or count <= patients or any(c["n"] == count for c in out):
                continue
            a, e = n.original_span(m.start(), m.end())
            out.append(
                {
                    "kind": "cohort",
                    "n": count,
                    "unit": m.group("w").lower(),
                    "span": [a, e],
                    "text": n.original[a:e],
                    "matched": m.group(0),
                    "sentence": n.original_text(s.start, s.end),
                    "rule": "a count of patients: a cohort summary, never a case file",
                }
            )
    return out


def extract(text: str, kb: KnowledgeBase, name: str = "report") -> Extraction:
    """Read one report's text into per-patient drafts and cohort records."""
    n = normalise(text)
    seg = segment(n.text)
    individual = [p for p in seg.patients if _is_individual(n.text, p)]
    cohorts = _cohorts(n, seg.sentences, len(individual))
    if cohorts and not any(
        _AGE.search(n.text, s.start, s.end) for p in individual for s in p.sentences
    ):
        individual = []  # a cohort summary with no individual patient story
    drafts = [_patient_draft(n, p, kb, name) for p in individual]
    background: list[dict[str, Any]] = []
    for s in seg.sentences:
        if s.story:
            continue
        for mention in _vocab_mentions(kb, "drug", n.text, s.start, s.end, "drug"):
            a, e = n.original_span(mention.start, mention.end)
            background.append(
                {
                    "drug": mention.value,
                    "span": [a, e],
                    "text": n.original[a:e],
                    "why_not_story": s.reason,
                }
            )
    return Extraction(name, n, drafts, cohorts, background)


def _is_individual(text: str, patient: Patient) -> bool:
    return bool(patient.sentences)
