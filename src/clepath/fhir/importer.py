"""FHIR R4 resources -> case-file data -> `clepath.casefile.parse_case`, nothing dropped silently.

Reads a Bundle (any type: a clepath export, a searchset, a transaction) or a plain list of
resources (a CDS Hooks prefetch). Codes are matched in this order: clepath's local CodeSystems,
then the standard codes the knowledge packs hold (LOINC for lab tests, ICD-10 and SNOMED CT for
CLE subtypes, the vital-signs LOINC codes for weight and height), then, for names only, the packs'
vocabularies (reported as `inferred`). Everything else is listed in the mapping report with its
system, code and the reason it was not read. Scores and IVIG course plans are never read back:
clepath recomputes them from the facts (reported as `derived`).

The result is case-file data (format 1), so the case parser applies the same validation as to a
file. In lenient mode an item the parser refuses is dropped and reported instead of failing the
whole import (a pipeline keeps going on bad records); strict mode raises the CaseError.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from clepath.casefile.parse import parse_case
from clepath.domain.case import Case
from clepath.domain.dates import parse_partial_date
from clepath.domain.units import UnitProblem, convert, is_convertible, normalise_unit
from clepath.errors import CaseError, FieldProblem
from clepath.fhir import terminology as t
from clepath.fhir.issues import MappingReport, Outcome
from clepath.fhir.medication import Recognised, derive_dose, recogniser
from clepath.fhir.shape import bundle_problems, resource_problems
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.classification import CleSubtype, CodedConcept
from clepath.knowledge.models.labs import LabTest
from clepath.knowledge.models.terminology import ConditionCode, LoincCode
from clepath.knowledge.models.vocabulary import Frequency

__all__ = ["ImportResult", "bundle_to_case_data", "collect_resources", "import_bundle"]

_SECTIONS = ("cle", "findings", "labs", "clasi", "therapies")
_REGION_ITEMS = ("erythema", "scale", "dyspigmentation", "scarring")
_CLASI_GLOBALS = ("mucous_membrane", "recent_hair_loss", "nonscarring_alopecia",
                  "scarring_alopecia_scalp")
_STANDARD_CONDITION_SYSTEMS = (t.ICD10, t.ICD10_CM, t.SNOMED)
_IDENTIFYING = ("name", "telecom", "address", "photo", "contact")
_MS_OUTCOME = {"active": "ongoing", "completed": "stopped", "stopped": "stopped",
               "on-hold": "stopped"}
_MR_OUTCOME = {"active": "ongoing", "completed": "stopped", "stopped": "stopped",
               "on-hold": "stopped"}
_PERIOD_DAYS = {"s": 1 / 86400, "min": 1 / 1440, "h": 1 / 24, "d": 1.0, "wk": 7.0,
                "mo": 30.436875, "a": 365.2425}
_LEADING_NAME = re.compile(r"^\s*([^\d(,;]+)")
_FIELD = re.compile(r"^(cle|findings|labs|clasi|therapies)\[(\d+)\]")
_PATIENT_FIELD = re.compile(r"^patient\.(\w+)(?:\[(\d+)\])?")


@dataclass(frozen=True)
class ImportResult:
    """Case-file data read from FHIR, where each item came from, and the mapping report."""

    data: dict[str, Any]
    report: MappingReport
    origins: dict[str, list[str]] = field(default_factory=dict)  # section -> resource per item


def _entries(source: Any, empty: list[str] | None = None,
             path: str = "Bundle") -> list[tuple[dict[str, Any], str | None]]:
    """Every resource with its Bundle fullUrl (nested Bundles flattened); entries without a
    resource are listed in `empty` by path."""
    out: list[tuple[dict[str, Any], str | None]] = []
    if isinstance(source, Mapping):
        if source.get("resourceType") == "Bundle":
            for i, entry in enumerate(source.get("entry") or ()):
                if not (isinstance(entry, Mapping) and isinstance(entry.get("resource"), Mapping)):
                    if empty is not None:
                        empty.append(f"{path}.entry[{i}]")
                    continue
                resource = entry["resource"]
                if resource.get("resourceType") == "Bundle":
                    out.extend(_entries(resource, empty, f"{path}.entry[{i}].resource"))
                else:
                    url = entry.get("fullUrl")
                    out.append((dict(resource), url if isinstance(url, str) else None))
        elif isinstance(source.get("resourceType"), str):
            out.append((dict(source), None))
    elif isinstance(source, Sequence) and not isinstance(source, (str, bytes)):
        for i, item in enumerate(source):
            out.extend(_entries(item, empty, f"{path}[{i}]"))
    return out


def collect_resources(source: Any) -> list[dict[str, Any]]:
    """Every resource in a Bundle (nested Bundles flattened) or in a list of resources/Bundles."""
    return [resource for resource, _ in _entries(source)]


def _num(value: float) -> str:
    """A number as short text without losing precision (18.0 -> '18')."""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _codings(concept: Any) -> list[Mapping[str, Any]]:
    if not isinstance(concept, Mapping):
        return []
    return [c for c in concept.get("coding") or () if isinstance(c, Mapping)]


def _local(concept: Any, name: str) -> str | None:
    system = t.local_system(name)
    for c in _codings(concept):
        if c.get("system") == system and isinstance(c.get("code"), str):
            return str(c["code"])
    return None


def _texts(concept: Any) -> list[str]:
    out: list[str] = []
    if isinstance(concept, Mapping):
        if isinstance(concept.get("text"), str):
            out.append(concept["text"])
        out += [str(c["display"]) for c in _codings(concept) if isinstance(c.get("display"), str)]
    return out


def _first_code(concept: Any) -> tuple[str | None, str | None, str | None]:
    codings = _codings(concept)
    if codings:
        c = codings[0]
        return c.get("system"), c.get("code"), c.get("display")
    texts = _texts(concept)
    return None, None, texts[0] if texts else None


def _day(value: Any) -> dt.date | None:
    """The calendar day of a FHIR date or dateTime (None when not a full day)."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _partial_text(value: Any) -> str | None:
    """A FHIR date/dateTime as a case-file partial date (`2009`, `2019-05`, `2019-05-04`)."""
    if not isinstance(value, str):
        return None
    text = value[:10]
    return text if parse_partial_date(text) is not None else None


def _extension(resource: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    url = t.extension_url(name)
    for ext in resource.get("extension") or ():
        if isinstance(ext, Mapping) and ext.get("url") == url:
            return ext
    return None


def _listify(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


class _Reader:
    """The state of one import: knowledge lookups, the data being built, the report."""

    def __init__(self, kb: KnowledgeBase, as_of: dt.date | None) -> None:
        self.kb = kb
        self.as_of = as_of
        self.report = MappingReport()
        self.patient: dict[str, Any] = {}
        self.sections: dict[str, list[dict[str, Any]]] = {s: [] for s in _SECTIONS}
        self.origins: dict[str, list[str]] = {s: [] for s in _SECTIONS}
        self.conditions: list[str] = []
        self.requests: dict[str, Any] = {}
        self.case_ids: list[str] = []
        self.impression_dates: list[dt.date] = []
        self.vitals: dict[str, list[tuple[dt.date, float, str]]] = {"weight": [], "height": []}
        self.ivig_plans: set[str] = set()
        self.medications: dict[str, Mapping[str, Any]] = {}  # reference -> Medication
        self.used_medications: dict[int, list[str]] = {}  # id(Medication) -> courses using it
        self.meds = recogniser(kb)
        self.condition_codes = {(row.system, row.code): row for row in kb.table(
            "terminology", "conditions", ConditionCode)}
        self.loinc_terms = {row.code: row.test for row in kb.table("terminology", "loinc",
                                                                    LoincCode)}
        tests = kb.table("labs", "tests", LabTest)
        self.tests = {r.id: r for r in tests}
        self.loinc = {code: r.id for r in tests for code in r.loinc}
        self.loinc.update({code: test for code, test in self.loinc_terms.items()
                           if test in self.tests})
        self.subtypes = kb.table("classification", "subtypes", CleSubtype)
        self.concepts = kb.table("classification", "concepts", CodedConcept)
        self.frequencies = {f.id: f.doses_per_week
                            for f in kb.table("vocabulary", "frequencies", Frequency)}

    # -- helpers -------------------------------------------------------------------------
    def mark(self) -> tuple[int, ...]:
        """A fingerprint of what has been read so far (to tell whether a resource added data)."""
        return (*(len(v) for v in self.sections.values()),
                *(len(v) for v in self.vitals.values()), len(self.conditions),
                len(self.requests), len(self.patient), len(self.case_ids),
                len(self.impression_dates), len(self.ivig_plans))

    def resolve_medication(self, reference: str) -> Mapping[str, Any] | None:
        """The Medication a reference names, if it is in the data (fullUrl or Type/id)."""
        found = self.medications.get(reference)
        if found is None and "Medication/" in reference:
            tail = reference.rsplit("Medication/", 1)[1].split("/_history")[0]
            found = self.medications.get(f"Medication/{tail}")
        return found

    def add(self, section: str, item: dict[str, Any], where: str) -> None:
        self.sections[section].append(item)
        self.origins[section].append(where)

    def unmapped(self, where: str, concept: Any, reason: str) -> None:
        system, code, display = _first_code(concept)
        self.report.add("unmapped", where, reason, system=system, code=code, display=display)

    def by_name(self, vocabulary: str, concept: Any) -> str | None:
        vocab = self.kb.vocabulary(vocabulary)
        for text in _texts(concept):
            found = vocab.resolve(text)
            if found is None:
                leading = _LEADING_NAME.match(text)
                found = vocab.resolve(leading.group(1)) if leading else None
            if found is not None:
                return found
        return None

    def quantity_unit(self, q: Mapping[str, Any]) -> str | None:
        """The UCUM code of a FHIR Quantity (its `code`, else its `unit` text)."""
        for key in ("code", "unit"):
            text = q.get(key)
            if isinstance(text, str) and text.strip():
                if key == "code" and q.get("system") not in (None, t.UCUM):
                    continue
                try:
                    return normalise_unit(text)
                except UnitProblem:
                    continue
        return None

    def quantity_text(self, q: Any) -> str | None:
        if not isinstance(q, Mapping) or not isinstance(q.get("value"), (int, float)):
            return None
        unit = self.quantity_unit(q)
        if unit is None or q.get("comparator"):
            return None
        return f"{_num(q['value'])} {unit}"


def _effective(resource: Mapping[str, Any]) -> dt.date | None:
    for key in ("effectiveDateTime", "effectiveInstant", "issued"):
        day = _day(resource.get(key))
        if day is not None:
            return day
    period = resource.get("effectivePeriod")
    if isinstance(period, Mapping):
        return _day(period.get("start")) or _day(period.get("end"))
    return None


def _where(resource: Mapping[str, Any], index: int) -> str:
    rid = resource.get("id")
    return f"{resource.get('resourceType')}/{rid if isinstance(rid, str) else f'#{index}'}"


# -- Patient ------------------------------------------------------------------------------
def _patient(r: _Reader, res: Mapping[str, Any], where: str) -> None:
    for ident in res.get("identifier") or ():
        if isinstance(ident, Mapping) and ident.get("system") == t.CASE_ID_SYSTEM:
            r.case_ids.insert(0, str(ident.get("value")))
    if isinstance(res.get("id"), str):
        r.case_ids.append(res["id"])
    gender = res.get("gender")
    if gender in ("female", "male"):
        r.patient["sex"] = gender
    elif gender is not None:
        r.report.add("unmapped", f"{where}.gender", "clepath records sex as female or male",
                     code=str(gender))
    birth = res.get("birthDate")
    if isinstance(birth, str):
        if _day(birth) is not None:
            r.patient["birth_date"] = birth[:10]
        else:
            r.report.add("skipped", f"{where}.birthDate",
                         f"{birth!r} is not a full date; age not derived from it")
    age = _extension(res, "age-at-assessment")
    if age is not None and isinstance((age.get("valueAge") or {}).get("value"), (int, float)):
        r.patient["age"] = int(age["valueAge"]["value"])
    present = [k for k in _IDENTIFYING if res.get(k)]
    if present:
        r.report.add("skipped", where, "identifying details are never read: "
                     + ", ".join(present))


# -- Observation ---------------------------------------------------------------------------
def _observation(r: _Reader, res: Mapping[str, Any], where: str) -> None:
    code = res.get("code")
    status = res.get("status")
    if status in ("entered-in-error", "cancelled"):
        system, value, display = _first_code(code)
        r.report.add("skipped", where, f"status {status}", system=system, code=value,
                     display=display)
        return
    instrument = _local(code, "instrument")
    if instrument == "clasi":
        _clasi(r, res, where)
        return
    if instrument is not None:
        r.report.add("derived", where, "a score: clepath recomputes it from the facts",
                     system=t.local_system("instrument"), code=instrument)
        return
    loinc = {c.get("code") for c in _codings(code) if c.get("system") == t.LOINC}
    if t.BODY_WEIGHT_LOINC[0] in loinc:
        _vital(r, res, where, "weight", "kg")
        return
    if t.BODY_HEIGHT_LOINC[0] in loinc:
        _vital(r, res, where, "height", "cm")
        return
    fact = _local(code, "patient-fact")
    if fact is not None:
        _patient_fact(r, res, where, fact)
        return
    finding = _local(code, "finding")
    if finding is not None:
        _finding(r, res, where, finding)
        return
    test = _local(code, "lab-test") or next((r.loinc[c] for c in loinc if c in r.loinc), None)
    how = None
    if test is None:
        test = r.by_name("lab_test", code)
        how = "lab test matched by name"
    if test is not None:
        _lab(r, res, where, test, how)
        return
    name = r.by_name("finding", code) if _category(res, "exam") else None
    if name is not None:
        r.report.add("inferred", where, "finding matched by name")
        _finding(r, res, where, name)
        return
    r.unmapped(where, code, "no clepath concept for this code")


def _category(res: Mapping[str, Any], wanted: str) -> bool:
    return any(c.get("code") == wanted for cat in res.get("category") or ()
               for c in _codings(cat))


def _vital(r: _Reader, res: Mapping[str, Any], where: str, kind: str, unit: str) -> None:
    q = res.get("valueQuantity")
    day = _effective(res)
    source_unit = r.quantity_unit(q) if isinstance(q, Mapping) else None
    if (not isinstance(q, Mapping) or not isinstance(q.get("value"), (int, float))
            or source_unit is None or not is_convertible(source_unit, unit)):
        r.unmapped(where, res.get("code"), f"{kind} without a value in a convertible unit")
        return
    value = convert(float(q["value"]), source_unit, unit)
    r.vitals[kind].append((day or dt.date.min, value, where))


def _patient_fact(r: _Reader, res: Mapping[str, Any], where: str, fact: str) -> None:
    if fact == "smoking":
        status = _local(res.get("valueCodeableConcept"), "smoking") or r.by_name(
            "smoking", res.get("valueCodeableConcept"))
        if status is not None:
            r.patient["smoking"] = status
            return
    elif fact == "pregnant" and isinstance(res.get("valueBoolean"), bool):
        r.patient["pregnant"] = res["valueBoolean"]
        return
    elif fact == "blood-group" and isinstance(res.get("valueString"), str):
        r.patient["blood_group"] = res["valueString"]
        return
    elif fact == "pre-pregnancy-weight":
        text = r.quantity_text(res.get("valueQuantity"))
        if text is not None:
            r.patient["pre_pregnancy_weight"] = text
            return
    r.unmapped(where, res.get("code"), f"patient fact {fact!r} without a readable value")


def _attributed(res: Mapping[str, Any]) -> str | None:
    ext = _extension(res, "attributed-to")
    value = ext.get("valueString") if ext else None
    return value if isinstance(value, str) else None


def _notes(res: Mapping[str, Any]) -> str | None:
    texts = [n["text"] for n in res.get("note") or () if isinstance(n, Mapping)
             and isinstance(n.get("text"), str)]
    return "; ".join(texts) if texts else None


def _finding(r: _Reader, res: Mapping[str, Any], where: str, name: str) -> None:
    day = _effective(res)
    if day is None:
        r.report.add("skipped", where, "finding without a full date", code=name)
        return
    if res.get("valueBoolean") is False:
        r.report.add("skipped", where, "recorded as absent: clepath records findings present",
                     code=name)
        return
    item: dict[str, Any] = {"name": name, "date": day.isoformat()}
    q = res.get("valueQuantity")
    if isinstance(q, Mapping):
        unit = r.quantity_unit(q)
        if unit == "1" and isinstance(q.get("value"), (int, float)):
            item["value"] = q["value"]
        elif (text := r.quantity_text(q)) is not None:
            item["value"] = text
        else:
            r.report.add("skipped", f"{where}.valueQuantity", "value without a readable unit",
                         code=name)
    if (cause := _attributed(res)) is not None:
        item["attributed_to"] = cause
    if (note := _notes(res)) is not None:
        item["note"] = note
    r.add("findings", item, where)


def _result_word(r: _Reader, res: Mapping[str, Any]) -> str | None:
    for concept in _listify(res.get("interpretation")):
        for c in _codings(concept):
            if c.get("system") == t.INTERPRETATION and c.get("code") in t.RESULT_BY_INTERPRETATION:
                return t.RESULT_BY_INTERPRETATION[c["code"]]
        for text in _texts(concept):
            if text.strip().lower() in t.INTERPRETATION_BY_RESULT:
                return text.strip().lower()
    value = res.get("valueCodeableConcept")
    for text in [*_texts(value), res.get("valueString")]:
        if isinstance(text, str) and text.strip().lower() in t.INTERPRETATION_BY_RESULT:
            return text.strip().lower()
    for c in _codings(value):
        if c.get("system") == t.INTERPRETATION and c.get("code") in t.RESULT_BY_INTERPRETATION:
            return t.RESULT_BY_INTERPRETATION[c["code"]]
    return None


def _titre(res: Mapping[str, Any]) -> str | None:
    ratio = res.get("valueRatio")
    if isinstance(ratio, Mapping):
        num = (ratio.get("numerator") or {}).get("value")
        den = (ratio.get("denominator") or {}).get("value")
        if num == 1 and isinstance(den, (int, float)) and den > 0 and float(den).is_integer():
            return f"1:{int(den)}"
    text = res.get("valueString")
    if isinstance(text, str) and re.fullmatch(r"\s*1\s*:\s*\d+\s*", text):
        return text.replace(" ", "")
    return None


def _bounds(r: _Reader, res: Mapping[str, Any], unit: str | None, item: dict[str, Any],
            where: str) -> None:
    ranges = [x for x in res.get("referenceRange") or () if isinstance(x, Mapping)]
    if not ranges or unit is None:
        return
    for key, name in (("low", "lower"), ("high", "upper")):
        q = ranges[0].get(key)
        if not isinstance(q, Mapping) or not isinstance(q.get("value"), (int, float)):
            continue
        source = r.quantity_unit(q) or unit
        if is_convertible(source, unit):
            item[name] = convert(float(q["value"]), source, unit)
        else:
            r.report.add("skipped", f"{where}.referenceRange.{key}",
                         f"unit {source} is not convertible to {unit}")


def _lab(r: _Reader, res: Mapping[str, Any], where: str, test: str, how: str | None) -> None:
    info = r.tests[test]
    day = _effective(res)
    if day is None:
        r.report.add("skipped", where, "lab result without a full date", code=test)
        return
    item: dict[str, Any] = {"test": test, "date": day.isoformat()}
    unit: str | None = None
    if info.kind == "titre":
        titre = _titre(res)
        if titre is not None:
            item["value"] = titre
    elif info.kind == "numeric":
        q = res.get("valueQuantity")
        if isinstance(q, Mapping) and isinstance(q.get("value"), (int, float)):
            unit = r.quantity_unit(q)
            if q.get("comparator"):
                r.report.add("skipped", f"{where}.valueQuantity",
                             f"censored value ({q['comparator']}{q['value']}) not read as a "
                             "number", code=test)
            elif unit is not None:
                item["value"], item["unit"] = q["value"], unit
    result = _result_word(r, res)
    if result is not None:
        item["result"] = result
    if "value" not in item and "result" not in item:
        r.unmapped(where, res.get("code"), f"{test}: no value or result clepath can read")
        return
    _bounds(r, res, item.get("unit"), item, where)
    if (cause := _attributed(res)) is not None:
        item["attributed_to"] = cause
    if how:
        r.report.add("inferred", where, how, code=test)
    r.add("labs", item, where)


def _clasi(r: _Reader, res: Mapping[str, Any], where: str) -> None:
    day = _effective(res)
    if day is None:
        r.report.add("skipped", where, "CLASI examination without a full date")
        return
    exam: dict[str, Any] = {"date": day.isoformat()}
    regions: dict[str, dict[str, int]] = {}
    for comp in res.get("component") or ():
        if not isinstance(comp, Mapping):
            continue
        code = _local(comp.get("code"), "clasi-item")
        value = comp.get("valueInteger", comp.get("valueBoolean"))
        if code in ("activity", "damage"):
            continue  # totals: recomputed
        if code == "dyspigmentation_lasts_12_months" and isinstance(value, bool):
            exam[code] = value
        elif code in _CLASI_GLOBALS and isinstance(value, int):
            exam[code] = value
        elif code and "." in code and isinstance(value, int):
            region, _, item = code.partition(".")
            if item in _REGION_ITEMS:
                regions.setdefault(region, {})[item] = value
            else:
                r.unmapped(f"{where}.component", comp.get("code"), "unknown CLASI item")
        else:
            r.unmapped(f"{where}.component", comp.get("code"), "unknown CLASI item")
    exam["regions"] = {region: {k: v for k, v in items.items()} for region, items in
                       regions.items()}
    r.report.add("derived", where, "CLASI-A and CLASI-D are recomputed from the items",
                 system=t.local_system("instrument"), code="clasi")
    r.add("clasi", exam, where)


# -- Condition -----------------------------------------------------------------------------
def _code_matches(refs: Iterable[Any], code: str) -> bool:
    """True when a confirmed (not U-tagged) code reference has this code."""
    return any(ref.tag != "U" and ref.code == code for ref in refs)


def _standard_subtypes(r: _Reader, concept: Any) -> tuple[set[str] | None, bool]:
    """Subtype ids all standard codings agree on (None: no standard coding matched a subtype),
    and whether a coding named a non-CLE lupus concept (SLE and relatives)."""
    agreed: set[str] | None = None
    other = False
    for c in _codings(concept):
        system, code = c.get("system"), c.get("code")
        if system not in _STANDARD_CONDITION_SYSTEMS or not isinstance(code, str):
            continue
        refs = "snomed_ct" if system == t.SNOMED else "icd10"
        ids = {s.id for s in r.subtypes if _code_matches(getattr(s, refs), code)}
        if ids:
            agreed = ids if agreed is None else agreed & ids
        elif any(_code_matches(getattr(x, refs), code) for x in r.concepts):
            other = True
    return agreed, other


_TERM_SYSTEMS = {t.SNOMED: "snomed", t.ICD10: "icd10", t.ICD10_CM: "icd10cm",
                 "urn:oid:2.16.840.1.113883.6.96": "snomed",
                 "urn:oid:2.16.840.1.113883.6.90": "icd10cm", "urn:oid:2.16.840.1.113883.6.3":
                 "icd10"}


def _condition_term(r: _Reader, concept: Any) -> ConditionCode | list[ConditionCode] | None:
    """The terminology-pack rows the standard codings name (one row, or several that
    disagree)."""
    rows: list[ConditionCode] = []
    for c in _codings(concept):
        system, code = _TERM_SYSTEMS.get(str(c.get("system"))), c.get("code")
        if system is None or not isinstance(code, str):
            continue
        code = code.strip().upper()
        if system != "snomed" and len(code) > 3 and "." not in code:
            code = f"{code[:3]}.{code[3:]}"
        row = r.condition_codes.get((system, code))
        if row is None and system == "icd10":  # a WHO/CM mix-up of the system URI
            row = r.condition_codes.get(("icd10cm", code))
        if row is None and system == "icd10cm":
            row = r.condition_codes.get(("icd10", code))
        if row is not None:
            rows.append(row)
    if not rows:
        return None
    for kind in ("cle_subtype", "cle_ambiguous", "lupus_any", "sle"):
        of_kind = [row for row in rows if row.kind == kind]
        if of_kind:
            concepts = {row.concept for row in of_kind}
            return of_kind[0] if len(concepts) == 1 else of_kind
    return rows[0]


def _term_subtype(r: _Reader, term: ConditionCode | list[ConditionCode], where: str,
                  first: tuple[Any, Any, Any]) -> str | None:
    """The CLE subtype a coded diagnosis gives (reported), or None when it is not read."""
    system, value, display = first
    if isinstance(term, list):
        concepts = sorted({row.concept for row in term})
        r.report.add("ambiguous", where, "the codes name different CLE subtypes ("
                     + ", ".join(concepts) + "); recorded as unspecified",
                     system=system, code=value, display=display)
        return "unspecified"
    name = {"snomed": "SNOMED CT", "icd10": "ICD-10", "icd10cm": "ICD-10-CM"}[term.system]
    coded = f"{name} {term.code} ({term.display})"
    if term.kind == "cle_subtype":
        reason = f"CLE subtype {term.concept} read from {coded}"
        if term.inference:
            reason += f"; {term.inference}"
        if term.tag == "U":
            reason += " [unconfirmed mapping: configurable]"
        r.report.add("inferred", where, reason, system=system, code=value, display=display)
        return term.concept
    if term.kind == "cle_ambiguous":
        note = f" ({term.note})" if term.note else ""
        r.report.add("ambiguous", where, f"{coded} names several CLE subtypes ("
                     + ", ".join(term.candidates) + f"): recorded as unspecified{note}; record "
                     "the subtype", system=system, code=value, display=display)
        return "unspecified"
    if term.kind == "lupus_any":
        r.report.add("ambiguous", where, f"{coded} does not say cutaneous or systemic: recorded "
                     "as CLE of unspecified subtype; record the subtype", system=system,
                     code=value, display=display)
        return "unspecified"
    r.report.add("unmapped", where, f"{coded} is a systemic lupus diagnosis: clepath classifies "
                 "SLE itself (EULAR/ACR 2019, SLICC 2012)", system=system, code=value,
                 display=display)
    return None


def _condition(r: _Reader, res: Mapping[str, Any], where: str) -> None:
    code = res.get("code")
    verification = {c.get("code") for c in _codings(res.get("verificationStatus"))}
    clinical = {c.get("code") for c in _codings(res.get("clinicalStatus"))}
    system, value, display = _first_code(code)
    if verification & {"refuted", "entered-in-error"}:
        r.report.add("skipped", where, f"verification status {sorted(verification)[0]}",
                     system=system, code=value, display=display)
        return
    if clinical & {"inactive", "resolved", "remission"}:
        r.report.add("skipped", where, f"clinical status {sorted(clinical)[0]}: not present now",
                     system=system, code=value, display=display)
        return
    risk = _local(code, "condition")
    if risk is not None:
        r.conditions.append(risk)
        return
    subtype = _local(code, "cle-subtype")
    if subtype is None:
        term = _condition_term(r, code)
        if term is not None:
            subtype = _term_subtype(r, term, where, (system, value, display))
            if subtype is None:
                return
    if subtype is None:
        agreed, other = _standard_subtypes(r, code)
        if agreed is not None and len(agreed) == 1:
            subtype = next(iter(agreed))
            r.report.add("inferred", where, f"CLE subtype {subtype} read from its standard code",
                         system=system, code=value, display=display)
        elif agreed is not None:
            subtype = "unspecified"
            r.report.add("ambiguous", where, "the code names several CLE subtypes ("
                         + ", ".join(sorted(agreed)) + "); recorded as unspecified",
                         system=system, code=value, display=display)
        elif other:
            r.report.add("unmapped", where, "a systemic lupus diagnosis is not read: clepath "
                         "classifies SLE itself (EULAR/ACR 2019, SLICC 2012)",
                         system=system, code=value, display=display)
            return
    if subtype is None:
        subtype = r.by_name("cle_subtype", code)
        if subtype is not None:
            r.report.add("inferred", where, f"CLE subtype {subtype} matched by name")
    if subtype is None:
        risk = r.by_name("condition", code)
        if risk is not None:
            r.report.add("inferred", where, f"condition {risk} matched by name")
            r.conditions.append(risk)
            return
        r.unmapped(where, code, "no clepath concept for this code")
        return
    item: dict[str, Any] = {"subtype": subtype}
    sites = []
    for i, site in enumerate(res.get("bodySite") or ()):
        region = _local(site, "clasi-region") or r.by_name("clasi_region", site)
        if region is None:
            r.unmapped(f"{where}.bodySite[{i}]", site, "not a CLASI region")
        elif region not in sites:
            sites.append(region)
    if sites:
        item["sites"] = sites
    onset = res.get("onsetDateTime")
    if onset is None and isinstance(res.get("onsetPeriod"), Mapping):
        onset = res["onsetPeriod"].get("start")
    since = _partial_text(onset)
    if since is not None:
        item["since"] = since
    r.add("cle", item, where)


# -- Medication history --------------------------------------------------------------------
def _dosage(res: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    dosages = [d for d in _listify(res.get(key)) if isinstance(d, Mapping)]
    return dosages[0] if dosages else {}


def _per_week(repeat: Mapping[str, Any]) -> float | None:
    frequency = repeat.get("frequency", 1)
    period, unit = repeat.get("period"), repeat.get("periodUnit")
    if not isinstance(frequency, (int, float)) or not isinstance(period, (int, float)):
        return None
    if unit not in _PERIOD_DAYS or period <= 0:
        return None
    return float(frequency) * 7.0 / (float(period) * _PERIOD_DAYS[unit])


def _frequency(r: _Reader, dosage: Mapping[str, Any], where: str) -> str | None:
    timing = dosage.get("timing")
    if not isinstance(timing, Mapping):
        return None
    local = _local(timing.get("code"), "frequency")
    if local is not None:
        return local
    repeat = timing.get("repeat")
    per_week = _per_week(repeat) if isinstance(repeat, Mapping) else None
    if per_week is None:
        return None
    for fid, rate in r.frequencies.items():
        if abs(rate - per_week) <= 0.03 * rate:
            return fid
    r.report.add("skipped", f"{where}.timing", f"{per_week:.3g} doses a week matches no "
                 "frequency in the vocabulary; left out")
    return None


def _medication(r: _Reader, res: Mapping[str, Any], where: str) -> None:
    kind = res["resourceType"]
    if kind == "MedicationRequest":
        if any(isinstance(b, Mapping) and b.get("reference") in r.ivig_plans
               for b in res.get("basedOn") or ()):
            r.report.add("derived", where, "an IVIG course planned by clepath: recomputed from "
                         "the request")
            return
        if res.get("status") == "draft":
            r.report.add("skipped", where, "a draft order is not therapy history")
            return
    used: list[Mapping[str, Any]] = []

    def resolve(reference: str) -> Mapping[str, Any] | None:
        found = r.resolve_medication(reference)
        if found is not None:
            used.append(found)
        return found

    found, why = r.meds.request(res, resolve=resolve)
    for medication in used:
        r.used_medications.setdefault(id(medication), []).append(where)
    if found is None:
        concept = res.get("medicationCodeableConcept") or res.get("medicationReference")
        r.unmapped(where, concept, f"{why}: not in the drug pack or the terminology pack")
        return
    drug = found.drug
    status = res.get("status")
    outcome = _local((res.get("statusReason") or [None])[0] if isinstance(
        res.get("statusReason"), list) else res.get("statusReason"), "therapy-outcome")
    if outcome is None:
        table = _MS_OUTCOME if kind == "MedicationStatement" else _MR_OUTCOME
        outcome = table.get(str(status))
        if outcome is None:
            r.report.add("skipped", where, f"status {status!r} is not a course taken",
                         code=drug)
            return
        r.report.add("inferred", where, f"outcome {outcome!r} inferred from status {status!r}",
                     code=drug)
    if found.by_name:
        r.report.add("inferred", where, f"drug {drug!r} matched by name",
                     system=found.system, code=found.code, display=found.display)
    elif found.how.startswith("RxNorm"):
        r.report.add("inferred", where, f"drug {drug!r} read from {found.how}",
                     system=found.system, code=found.code, display=found.display)
    for note in found.notes:
        r.report.add("inferred", where, note, code=drug)
    dosage = _dosage(res, "dosage" if kind == "MedicationStatement" else "dosageInstruction")
    item: dict[str, Any] = {"drug": drug}
    _course_dose(r, found, dosage, item, where)
    frequency = _frequency(r, dosage, where)
    if frequency is not None:
        item["frequency"] = frequency
    if found.route is not None:
        item["route"] = found.route
        if found.route_from == "dose form":
            r.report.add("inferred", where, f"route {found.route!r} from the dose form",
                         code=drug)
    start, stop = _course_dates(res, dosage)
    if start:
        item["start"] = start
    if stop:
        if outcome == "ongoing":
            stop_day = parse_partial_date(stop)
            if r.as_of is not None and stop_day is not None and stop_day.latest > r.as_of:
                stop = None  # a planned end after the assessment date: still ongoing
            else:
                outcome = "stopped"
                r.report.add("inferred", where, "active but ended: outcome 'stopped'",
                             code=drug)
        if stop:
            item["stop"] = stop
    item["outcome"] = outcome
    if (note := _notes(res)) is not None:
        item["note"] = note
    r.add("therapies", item, where)


def _course_dose(r: _Reader, found: Recognised, dosage: Mapping[str, Any],
                 item: dict[str, Any], where: str) -> None:
    """The dose per administration: a mass as given, or tablets x strength; else reported."""
    dose_and_rate = [d for d in _listify(dosage.get("doseAndRate")) if isinstance(d, Mapping)]
    q = dose_and_rate[0].get("doseQuantity") if dose_and_rate else None
    if q is None:
        if found.route != "topical":
            r.report.add("skipped", f"{where}.dose", "no dose given: the course is recorded "
                         "without a dose", code=found.drug)
        return
    unit = "g" if found.drug == "intravenous immunoglobulin" else "mg"
    text = r.quantity_text(q) if isinstance(q, Mapping) and (q.get("code") or q.get(
        "unit")) else None
    if text is not None:
        code = text.split(" ", 1)[1]
        if is_convertible(code, unit) or found.route == "topical":
            item["dose"] = text
            return
    amount, how = derive_dose(q, found, unit)
    if amount is not None:
        item["dose"] = f"{_num(round(amount, 6))} {unit}"
        if how:
            r.report.add("inferred", f"{where}.dose", f"dose {item['dose']} = {how}",
                         code=found.drug)
        return
    if text is not None:
        item["dose"] = text
        return
    r.report.add("skipped", f"{where}.dose", f"no dose derived: {how}", code=found.drug)


def _course_dates(res: Mapping[str, Any], dosage: Mapping[str, Any]) -> tuple[str | None,
                                                                                str | None]:
    period = res.get("effectivePeriod")
    if not isinstance(period, Mapping):
        period = (res.get("dispenseRequest") or {}).get("validityPeriod")
    if not isinstance(period, Mapping):
        repeat = (dosage.get("timing") or {}).get("repeat") or {}
        period = repeat.get("boundsPeriod") if isinstance(repeat, Mapping) else None
    start = stop = None
    if isinstance(period, Mapping):
        start, stop = _partial_text(period.get("start")), _partial_text(period.get("end"))
    if start is None:
        start = _partial_text(res.get("effectiveDateTime")) or _partial_text(
            res.get("authoredOn"))
    return start, stop


# -- CarePlan and ClinicalImpression --------------------------------------------------------
def _care_plan(r: _Reader, res: Mapping[str, Any], where: str, full_url: str | None) -> None:
    ext = _extension(res, "ivig-request")
    if ext is None:
        r.unmapped(where, res.get("category"), "a care plan clepath did not write")
        return
    for ref in (full_url, f"CarePlan/{res.get('id')}"):
        if ref:
            r.ivig_plans.add(ref)
    parts = {p.get("url"): p for p in ext.get("extension") or () if isinstance(p, Mapping)}
    request: dict[str, Any] = {}

    def dose(name: str) -> str | None:
        q = (parts.get(name) or {}).get("valueQuantity")
        return r.quantity_text(q)

    if (induction := dose("induction-dose")) is not None:
        request["induction"] = {"dose": induction}
        if isinstance((parts.get("induction-days") or {}).get("valueInteger"), int):
            request["induction"]["days"] = parts["induction-days"]["valueInteger"]
    if (maintenance := dose("maintenance-dose")) is not None:
        request["maintenance"] = {"dose": maintenance}
        every = r.quantity_text((parts.get("maintenance-every") or {}).get("valueDuration"))
        if every is not None:
            request["maintenance"]["every"] = every
        if isinstance((parts.get("maintenance-cycles") or {}).get("valueInteger"), int):
            request["maintenance"]["cycles"] = parts["maintenance-cycles"]["valueInteger"]
    for name, system in (("product", "ivig-product"), ("policy", "ivig-policy")):
        coding = (parts.get(name) or {}).get("valueCoding")
        if isinstance(coding, Mapping) and coding.get("system") == t.local_system(system):
            request[name] = coding.get("code")
    start = (parts.get("start") or {}).get("valueDate")
    if isinstance(start, str):
        request["start"] = start
    if "ivig" in r.requests:
        r.report.add("skipped", where, "a second IVIG request: the first one is kept")
        return
    r.requests["ivig"] = request


def _impression(r: _Reader, res: Mapping[str, Any], where: str) -> None:
    if _local(res.get("code"), "instrument") != "clepath-assessment":
        r.unmapped(where, res.get("code"), "a clinical impression clepath did not write")
        return
    day = _day(res.get("effectiveDateTime")) or _day(res.get("date"))
    if day is not None:
        r.impression_dates.append(day)
    for ident in res.get("identifier") or ():
        if isinstance(ident, Mapping) and ident.get("system") == t.CASE_ID_SYSTEM:
            r.case_ids.append(str(ident.get("value")))


# -- assembling ----------------------------------------------------------------------------
def _latest_vital(r: _Reader, kind: str, as_of: dt.date | None) -> float | None:
    usable = [v for v in r.vitals[kind] if as_of is None or v[0] <= as_of]
    late = len(r.vitals[kind]) - len(usable)
    if late:
        r.report.add("skipped", f"patient.{kind}", f"{late} {kind} value(s) dated after as_of")
    if not usable:
        return None
    usable.sort(key=lambda v: v[0])
    if len(usable) > 1:
        r.report.add("skipped", f"patient.{kind}",
                     f"{len(usable) - 1} earlier {kind} value(s): the latest is used")
    return usable[-1][1]


def _account(r: _Reader, where: str, before_mark: tuple[int, ...], before_issues: int) -> None:
    """Give the resource just read its one outcome, from what it added and what it reported."""
    issues = [i for i in r.report.issues[before_issues:]
              if i.where == where or i.where.startswith((where + ".", where + "["))]
    added = r.mark() != before_mark
    resource_level = [i for i in issues if i.where == where]
    outcome: Outcome
    if added:
        inferred = [i for i in issues if i.kind in ("inferred", "ambiguous")]
        derived = [i for i in issues if i.kind == "derived"]
        outcome = "inferred" if inferred else "derived" if derived else "imported"
        reason = "; ".join(i.reason for i in (inferred or derived)[:3])
    elif resource_level:
        kinds = {i.kind for i in resource_level}
        chosen = next(k for k in ("derived", "skipped", "unmapped", "ambiguous", "inferred",
                                  "dropped") if k in kinds)
        outcome = {"ambiguous": "unmapped", "dropped": "skipped", "inferred": "skipped"}.get(
            chosen, chosen)  # type: ignore[assignment]
        reason = next(i.reason for i in resource_level if i.kind == chosen)
    else:
        outcome, reason = "skipped", "nothing clepath reads was found in it"
        r.report.add("skipped", where, reason)
    r.report.account(where, outcome, reason)


_HANDLERS = {
    "Patient": _patient,
    "Observation": _observation,
    "Condition": _condition,
    "MedicationStatement": _medication,
    "MedicationRequest": _medication,
    "ClinicalImpression": _impression,
}


def bundle_to_case_data(
    source: Any,
    kb: KnowledgeBase,
    *,
    as_of: dt.date | None = None,
    case_id: str | None = None,
    strict: bool = False,
) -> ImportResult:
    """Case-file data (format 1) from a Bundle or a list of resources, with the mapping report.

    `as_of` overrides the assessment date the Bundle carries (a clepath ClinicalImpression);
    `case_id` overrides the case id (the Patient's clepath identifier, else its id). Every input
    resource gets one outcome in `report.resources` (imported, inferred, derived, skipped or
    unmapped, with the reason).

    Raises:
        CaseError: the Bundle's structure cannot be read (an entry that is not an object, a
            resource without a resourceType), naming the path, the value and the accepted
            form; in strict mode also a resource with an element of the wrong JSON type.
    """
    problems = bundle_problems(source)
    if problems:
        raise CaseError(problems)
    empty: list[str] = []
    entries = _entries(source, empty)
    r = _Reader(kb, as_of)
    for path in empty:
        r.report.add("skipped", path, "a Bundle entry without a resource")
        r.report.account(path, "skipped", "a Bundle entry without a resource")
    patients = [res for res, _ in entries if res.get("resourceType") == "Patient"]
    if len(patients) > 1:
        raise CaseError(FieldProblem("Bundle", f"{len(patients)} patients",
                                     "holds more than one patient", "one patient per case"))
    # care plans and the assessment first: the course requests based on the plans are
    # recognised, and the assessment date is known before therapy end dates are judged
    first = ("CarePlan", "ClinicalImpression")
    ordered = sorted(enumerate(entries), key=lambda x: x[1][0].get("resourceType") not in first)
    medications: list[tuple[str, Mapping[str, Any]]] = []
    malformed: list[FieldProblem] = []
    for index, (res, url) in enumerate(entries):
        if res.get("resourceType") == "Medication":
            where = _where(res, index)
            medications.append((where, res))
            if isinstance(res.get("id"), str):
                r.medications[f"Medication/{res['id']}"] = res
            if url:
                r.medications[url] = res
    for index, (res, url) in ordered:
        kind = res.get("resourceType")
        where = _where(res, index)
        if kind == "Medication":
            continue
        shape = resource_problems(res, where)
        if shape:
            malformed += shape
            reason = "malformed: " + "; ".join(str(p) for p in shape[:3])
            r.report.add("skipped", where, reason)
            r.report.account(where, "skipped", "malformed resource (an element of the wrong "
                             "JSON type)")
            continue
        if r.as_of is None and kind not in first and r.impression_dates:
            r.as_of = max(r.impression_dates)
        before_mark, before_issues = r.mark(), len(r.report.issues)
        try:
            if kind == "CarePlan":
                _care_plan(r, res, where, url)
            elif kind in _HANDLERS:
                _HANDLERS[kind](r, res, where)
            elif kind == "OperationOutcome":
                r.report.add("skipped", where, "an OperationOutcome (an error report), not data")
            else:
                r.report.add("unmapped", where, f"resource type {kind} is not read by clepath")
        except (TypeError, AttributeError, KeyError, ValueError, IndexError) as exc:
            problem = FieldProblem(where, kind, f"could not be read ({type(exc).__name__}: "
                                   f"{exc})", f"a FHIR R4 {kind} resource")
            malformed.append(problem)
            r.report.add("skipped", where, str(problem))
            r.report.account(where, "skipped", "malformed resource (could not be read)")
            continue
        _account(r, where, before_mark, before_issues)
    for where, res in medications:
        users = r.used_medications.get(id(res))
        if users:
            r.report.account(where, "imported", "the drug of " + ", ".join(sorted(set(users))))
        else:
            r.report.add("skipped", where, "a Medication no medication course refers to")
            r.report.account(where, "skipped", "a Medication no medication course refers to")
    if strict and malformed:
        raise CaseError(malformed)
    chosen_as_of = as_of or (max(r.impression_dates) if r.impression_dates else None)
    r.as_of = chosen_as_of
    weight = _latest_vital(r, "weight", chosen_as_of)
    height = _latest_vital(r, "height", chosen_as_of)
    if weight is not None:
        r.patient["weight"] = {"value": weight, "unit": "kg"}
    if height is not None:
        r.patient["height"] = {"value": height, "unit": "cm"}
    if r.conditions:
        r.patient["conditions"] = sorted(set(r.conditions))
    data: dict[str, Any] = {
        "clepath": 1,
        "id": case_id or (r.case_ids[0] if r.case_ids else _bundle_case_id(source)),
        "as_of": chosen_as_of.isoformat() if chosen_as_of else None,
        "patient": r.patient,
    }
    for section in _SECTIONS:
        if r.sections[section]:
            data[section] = r.sections[section]
    if r.requests:
        data["requests"] = r.requests
    return ImportResult(data=data, report=r.report, origins=r.origins)


def _bundle_case_id(source: Any) -> str | None:
    if isinstance(source, Mapping):
        ident = source.get("identifier")
        if isinstance(ident, Mapping) and ident.get("system") == t.CASE_ID_SYSTEM:
            return str(ident.get("value"))
    return None


def _drop(result: ImportResult, problems: list[FieldProblem]) -> bool:
    """Remove the items a CaseError names (lenient import); False if one cannot be removed."""
    data, report = result.data, result.report
    doomed: dict[str, set[int]] = {}
    for problem in problems:
        match = _FIELD.match(problem.field)
        if match:
            doomed.setdefault(match.group(1), set()).add(int(match.group(2)))
            continue
        patient = _PATIENT_FIELD.match(problem.field)
        if patient and isinstance(data.get("patient"), dict):
            key, index = patient.group(1), patient.group(2)
            if key == "conditions" and index is not None:
                conditions = data["patient"].get("conditions") or []
                if int(index) < len(conditions):
                    conditions[int(index)] = None
            else:
                data["patient"].pop(key, None)
            report.add("dropped", problem.field, str(problem))
            continue
        if problem.field.startswith("requests"):
            data.pop("requests", None)
            report.add("dropped", problem.field, str(problem))
            continue
        return False
    if isinstance(data.get("patient"), dict) and "conditions" in data["patient"]:
        data["patient"]["conditions"] = [c for c in data["patient"]["conditions"] if c]
    for section, indexes in doomed.items():
        items, origins = data.get(section, []), result.origins.get(section, [])
        for index in sorted(indexes, reverse=True):
            if index < len(items):
                why = "; ".join(str(p) for p in problems if p.field.startswith(
                    f"{section}[{index}]"))
                origin = origins[index] if index < len(origins) else f"{section}[{index}]"
                report.add("dropped", origin, why)
                report.reaccount(origin, "skipped", "refused by the case validation")
                del items[index]
                if index < len(origins):
                    del origins[index]
        if not items:
            data.pop(section, None)
    return True


def import_bundle(
    source: Any,
    kb: KnowledgeBase,
    *,
    as_of: dt.date | None = None,
    case_id: str | None = None,
    strict: bool = True,
) -> tuple[Case, ImportResult]:
    """Read FHIR resources into a checked Case (through `parse_case`) and the mapping report.

    Raises:
        CaseError: in strict mode, every problem the case parser found; in lenient mode only
            problems that no single item can be blamed for (no date, no id).
    """
    result = bundle_to_case_data(source, kb, as_of=as_of, case_id=case_id, strict=strict)
    for _ in range(4):
        try:
            return parse_case(result.data, kb), result
        except CaseError as exc:
            if strict or not _drop(result, exc.problems):
                raise
    return parse_case(result.data, kb), result
