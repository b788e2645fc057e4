"""Import of Conditions: CLE subtypes by local, SNOMED CT, ICD-10 and ICD-10-CM codes (the
terminology pack first), SLE reported, risk conditions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from clepath.fhir import terminology as t
from clepath.fhir.reading.base import (
    _STANDARD_CONDITION_SYSTEMS,
    Reader,
    _codings,
    _first_code,
    _local,
    _partial_text,
)
from clepath.knowledge.models.terminology import ConditionCode


def _code_matches(refs: Iterable[Any], code: str) -> bool:
    """True when a confirmed (not U-tagged) code reference has this code."""
    return any(ref.tag != "U" and ref.code == code for ref in refs)


def _standard_subtypes(r: Reader, concept: Any) -> tuple[set[str] | None, bool]:
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


def _condition_term(r: Reader, concept: Any) -> ConditionCode | list[ConditionCode] | None:
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


def _term_subtype(r: Reader, term: ConditionCode | list[ConditionCode], where: str,
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


def read_condition(r: Reader, res: Mapping[str, Any], where: str) -> None:
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
