"""What every resource mapping of the FHIR import shares: the reader state, small JSON helpers,
and the one place that reports inferences and skips and gives each resource its outcome
(`account`)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from clepath.domain.dates import parse_partial_date
from clepath.domain.units import UnitProblem, normalise_unit
from clepath.fhir import terminology as t
from clepath.fhir.concept import codings as _codings
from clepath.fhir.concept import texts as _texts
from clepath.fhir.issues import MappingReport, Outcome
from clepath.fhir.medication import recogniser
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.classification import CleSubtype, CodedConcept
from clepath.knowledge.models.labs import LabTest
from clepath.knowledge.models.terminology import BodyLoinc, ConditionCode, LoincCode
from clepath.knowledge.models.vocabulary import Frequency

_SECTIONS = ("cle", "findings", "labs", "clasi", "therapies", "measurements")
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


def resource_entries(source: Any, empty: list[str] | None = None,
             path: str = "Bundle") -> list[tuple[dict[str, Any], str | None]]:
    """Every resource with its Bundle fullUrl (nested Bundles flattened); entries without a
    resource are listed in `empty` by path."""
    out: list[tuple[dict[str, Any], str | None]] = []
    if type(source) is dict or isinstance(source, Mapping):
        if source.get("resourceType") == "Bundle":
            for i, entry in enumerate(source.get("entry") or ()):
                if not (isinstance(entry, Mapping) and isinstance(entry.get("resource"), Mapping)):
                    if empty is not None:
                        empty.append(f"{path}.entry[{i}]")
                    continue
                resource = entry["resource"]
                if resource.get("resourceType") == "Bundle":
                    out.extend(resource_entries(resource, empty, f"{path}.entry[{i}].resource"))
                else:
                    url = entry.get("fullUrl")
                    out.append((dict(resource), url if isinstance(url, str) else None))
        elif isinstance(source.get("resourceType"), str):
            out.append((dict(source), None))
    elif isinstance(source, Sequence) and not isinstance(source, (str, bytes)):
        for i, item in enumerate(source):
            out.extend(resource_entries(item, empty, f"{path}[{i}]"))
    return out


def _num(value: float) -> str:
    """A number as short text without losing precision (18.0 -> '18')."""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _local(concept: Any, name: str) -> str | None:
    # `_codings` inlined: called for every code and CLASI component of an import.
    if type(concept) is not dict and not isinstance(concept, Mapping):
        return None
    codings = concept.get("coding")
    if not codings or isinstance(codings, (str, bytes)):
        return None
    system = t.local_system(name)
    for c in codings:
        if (type(c) is dict or isinstance(c, Mapping)) and c.get("system") == system:
            code = c.get("code")
            if isinstance(code, str):
                return str(code)
    return None


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


class _Lookups:
    """The packs' codes as the import reads them, built once per knowledge base."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.condition_codes = {(row.system, row.code): row for row in kb.table(
            "terminology", "conditions", ConditionCode)}
        self.body = {row.code: row for row in kb.table("terminology", "body", BodyLoinc)}
        self.loinc_terms = {row.code: row.test for row in kb.table("terminology", "loinc",
                                                                    LoincCode)}
        tests = kb.table("labs", "tests", LabTest)
        self.tests = {r.id: r for r in tests}
        self.loinc = {code: r.id for r in tests for code in r.loinc}
        self.loinc.update({code: test for code, test in self.loinc_terms.items()
                           if test in self.tests})
        self.frequencies = {f.id: f.doses_per_week
                            for f in kb.table("vocabulary", "frequencies", Frequency)}


class Reader:
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
        self.events: list[Any] = []  # administrations and dispenses, grouped at the end
        self.meds = recogniser(kb)
        # Look-ups made once per loaded knowledge base (shared by every import; not modified).
        look = kb.derived("fhir.reader_lookups", _Lookups)
        self.condition_codes = look.condition_codes
        self.body = look.body
        self.loinc_terms = look.loinc_terms
        self.tests = look.tests
        self.loinc = look.loinc
        self.subtypes = kb.table("classification", "subtypes", CleSubtype)
        self.concepts = kb.table("classification", "concepts", CodedConcept)
        self.frequencies = look.frequencies

    # -- helpers -------------------------------------------------------------------------
    def mark(self) -> tuple[int, ...]:
        """A fingerprint of what has been read so far (to tell whether a resource added data)."""
        return (*map(len, self.sections.values()),
                *map(len, self.vitals.values()), len(self.conditions),
                len(self.requests), len(self.patient), len(self.case_ids),
                len(self.impression_dates), len(self.ivig_plans))

    def resolve_medication(self, reference: str) -> Mapping[str, Any] | None:
        """The Medication a reference names, if it is in the data (fullUrl or Type/id)."""
        found = self.medications.get(reference)
        if found is None and "Medication/" in reference:
            tail = reference.rsplit("Medication/", 1)[1].split("/_history")[0]
            found = self.medications.get(f"Medication/{tail}")
        return found

    def recognise(self, res: Mapping[str, Any], where: str) -> tuple[Any, str]:
        """The drug of a medication resource (its `medicationCodeableConcept`, or the Medication
        its `medicationReference` names, in the data), as the one recogniser reads it, and why
        not when it is not recognised; each Medication used is noted for the report. A bare
        string where the concept should be raises TypeError (the shape check names it)."""
        concept = res.get("medicationCodeableConcept")
        if concept is not None and not isinstance(concept, Mapping):
            raise TypeError("medicationCodeableConcept is not a JSON object")
        used: list[Mapping[str, Any]] = []

        def resolve(reference: str) -> Mapping[str, Any] | None:
            found = self.resolve_medication(reference)
            if found is not None:
                used.append(found)
            return found

        found, why = self.meds.request(res, resolve=resolve)
        for medication in used:
            self.used_medications.setdefault(id(medication), []).append(where)
        return found, why

    def frequency_for(self, per_week: float) -> str | None:
        """The vocabulary frequency given `per_week` times a week (within 3 %, so that 7/30.4
        a week still reads as monthly), or None."""
        for fid, rate in self.frequencies.items():
            if abs(rate - per_week) <= 0.03 * rate:
                return fid
        return None

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


def where_of(resource: Mapping[str, Any], index: int) -> str:
    rid = resource.get("id")
    return f"{resource.get('resourceType')}/{rid if isinstance(rid, str) else f'#{index}'}"


def _attributed(res: Mapping[str, Any]) -> str | None:
    ext = _extension(res, "attributed-to")
    value = ext.get("valueString") if ext else None
    return value if isinstance(value, str) else None


def _notes(res: Mapping[str, Any]) -> str | None:
    texts = [n["text"] for n in res.get("note") or () if isinstance(n, Mapping)
             and isinstance(n.get("text"), str)]
    return "; ".join(texts) if texts else None


def account(r: Reader, where: str, before_mark: tuple[int, ...], before_issues: int) -> None:
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
