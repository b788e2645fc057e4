"""One medication recogniser for FHIR import and every CDS hook.

A medication is named in EHR data in many ways: clepath's local drug code; an RxNorm code (the
ingredient, or a clinical or branded drug with strength and dose form) among the codings of a
`medicationCodeableConcept`; a `medicationReference` to a Medication that is contained, in the
Bundle, in the CDS prefetch or on the FHIR server; or only text ("Hydroxychloroquine Sulfate
200 MG Oral Tablet [Plaquenil]", "Gammagard Liquid 10 %"). The recogniser tries codes first
(the terminology pack), then normalised text (brands in brackets, salts, strengths, dose forms,
the drug vocabulary and the terminology pack's names), and returns the drugs-pack drug, the route
the dose form or route element implies (a hydrocortisone cream is a topical corticosteroid, not
a systemic glucocorticoid course) and the strength per unit, so that a dose given as a count of
tablets becomes a dose in mg.

Pure: reads only its arguments and the knowledge base; fetching a referenced Medication from a
server is the caller's callable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from clepath.domain.units import UnitProblem, convert, is_convertible, normalise_unit
from clepath.fhir import terminology as t
from clepath.fhir.concept import codings as _codings
from clepath.fhir.concept import texts as _texts
from clepath.knowledge.base import KnowledgeBase, normalise_term
from clepath.knowledge.models.drugs import Drug
from clepath.knowledge.models.terminology import (
    DoseForm,
    DrugName,
    RxNormConcept,
    TopicalEquivalent,
)

__all__ = [
    "RXNORM",
    "MedicationRecogniser",
    "Recognised",
    "derive_dose",
    "recogniser",
]

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
_RXNORM_SYSTEMS = (RXNORM, "urn:oid:2.16.840.1.113883.6.88", "RxNorm", "RXNORM")
_BRACKET = re.compile(r"\[([^\]]+)\]")
_PAREN = re.compile(r"\(([^)]*)\)")
_FDA_SUFFIX = re.compile(r"(?<=[a-z])-[a-z]{4}$")
_STRENGTH = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(mg/ml|mg/g|mg/actuat|mcg/ml|mg|mcg|g|%)(?![a-z])", re.IGNORECASE)
_LEADING = re.compile(r"^\s*([^\d\[;,]+)")
_SALTS = ("sulfate", "sulphate", "sodium", "phosphate", "hydrochloride", "acetate",
          "succinate", "sodium succinate", "propionate", "dipropionate", "valerate",
          "butyrate", "monohydrate", "anhydrous", "modified", "human")
_COUNT_UNITS = {"", "1", "{tbl}", "{tablet}", "{tablets}", "tablet", "tablets", "tab", "tabs",
                "{capsule}", "{capsules}", "capsule", "capsules", "cap", "caps", "{each}",
                "each", "ea", "{dose}", "{unit}", "unit", "units"}
_TO_ROUTE_WORD = {"topical": "topical", "oral": "oral", "intravenous": "intravenous",
                  "subcutaneous": "subcutaneous", "intramuscular": "intramuscular"}


@dataclass(frozen=True)
class Recognised:
    """What a medication element names: drug, route, strength, and how it was read."""

    drug: str  # drugs-pack id
    how: str  # "local code", "RxNorm <code>", "name"
    route: str | None = None  # route vocabulary word (oral, topical, intravenous, ...)
    route_from: str | None = None  # "dose form", "route element"
    strength: float | None = None  # per unit of the dose form
    strength_unit: str | None = None  # UCUM: mg, g, mg/mL
    system: str | None = None
    code: str | None = None
    display: str | None = None
    notes: tuple[str, ...] = ()  # inferences stated in the import report

    @property
    def by_name(self) -> bool:
        """True when the drug was read from text, not from a code."""
        return self.how == "name"


def _clean(text: str) -> str:
    text = text.replace("®", " ").replace("™", " ").replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text).strip().lower()


class MedicationRecogniser:
    """Indexes of the terminology and drugs packs, built once per knowledge base."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.rxnorm = {r.code: r for r in kb.table("terminology", "rxnorm", RxNormConcept)}
        self.names = {normalise_term(r.name): r for r in kb.table("terminology", "names",
                                                                   DrugName)}
        forms = kb.table("terminology", "dose_forms", DoseForm)
        self.forms = sorted(((f.form.lower(), f.route) for f in forms),
                            key=lambda f: -len(f[0]))
        self.form_route = dict(self.forms)
        self.form_pattern = re.compile(
            r"(?<![a-z])(" + "|".join(re.escape(f) for f, _ in self.forms) + r")(?![a-z])")
        self._form_cache: dict[str, tuple[str, str] | None] = {}
        self.topical = {r.drug: r.topical for r in kb.table("terminology",
                                                            "topical_equivalents",
                                                            TopicalEquivalent)}
        self.drug_rows = {d.id: d for d in kb.table("drugs", "drugs", Drug)}
        self.vocab = kb.vocabulary("drug")
        self.routes = kb.vocabulary("route")
        self.local_drug = t.local_system("drug")
        self.local_route = t.local_system("route")

    # -- text -------------------------------------------------------------------------------
    def _name(self, text: str, route: str | None) -> str | None:
        key = normalise_term(text)
        if not key:
            return None
        row = self.names.get(key)
        if row is not None and (row.route is None or route in (None, row.route)):
            return row.drug
        return self.vocab.resolve(text)

    def dose_form(self, text: str) -> tuple[str, str] | None:
        """The (dose form, route word) a product text names, longest form first."""
        if text in self._form_cache:
            return self._form_cache[text]
        found = [m.group(1) for m in self.form_pattern.finditer(_clean(text))]
        form = max(found, key=len) if found else None
        result = (form, self.form_route[form]) if form else None
        if len(self._form_cache) > 4096:
            self._form_cache.clear()
        self._form_cache[text] = result
        return result

    def strength(self, text: str) -> tuple[float, str] | None:
        """The first strength in a product text, in UCUM (`10 %` is read as 100 mg/mL)."""
        match = _STRENGTH.search(text)
        if match is None:
            return None
        value = float(match.group(1).replace(",", "."))
        unit = match.group(2).lower()
        if unit == "%":
            return value * 10.0, "mg/mL"
        return value, {"mg/ml": "mg/mL", "mcg/ml": "ug/mL", "mcg": "ug"}.get(unit, unit)

    def _from_text(self, text: str, route: str | None) -> str | None:
        low = _clean(text)
        candidates: list[str] = [low]
        candidates += [b.strip() for b in _BRACKET.findall(low)]
        lead_match = _LEADING.match(_BRACKET.sub(" ", low))
        if lead_match:
            lead = lead_match.group(1).strip(" -")
            bare = _PAREN.sub(" ", lead).strip()
            candidates += [lead, bare, f"{bare} {' '.join(_PAREN.findall(lead))}".strip()]
            words = bare.split()
            while words and words[-1] in _SALTS:
                words.pop()
                candidates.append(" ".join(words))
            stripped = [w for w in bare.split() if w not in _SALTS]
            candidates.append(" ".join(stripped))
            if form := self.dose_form(bare):
                candidates.append(bare.replace(form[0], " ").strip())
            # a biologic's FDA four-letter suffix ("anifrolumab-fnia"), and a brand in
            # parentheses as EHR order names write it ("... (SAPHNELO) 300 mg")
            candidates += [_FDA_SUFFIX.sub("", w) for w in bare.split() if _FDA_SUFFIX.search(w)]
            candidates += [p.strip() for p in _PAREN.findall(lead)]
        for candidate in candidates:
            if candidate and (drug := self._name(candidate, route)) is not None:
                return drug
        return None

    # -- concepts ---------------------------------------------------------------------------
    def route_of(self, dosage_route: Any) -> str | None:
        """A route vocabulary word from a FHIR route CodeableConcept (local code or text)."""
        for c in _codings(dosage_route):
            if c.get("system") == self.local_route and isinstance(c.get("code"), str):
                return str(c["code"])
        for text in _texts(dosage_route):
            found = self.routes.resolve(text)
            if found is None:
                low = _clean(text)
                found = next((w for w in _TO_ROUTE_WORD if w in low), None)
                if found is None and ("cutaneous" in low or "skin" in low):
                    found = "topical"
                if found is None and "mouth" in low:
                    found = "oral"
            if found is not None:
                return found
        return None

    def concept(self, concept: Any, *, route: str | None = None, form: Any = None,
                ingredients: Any = None) -> Recognised | None:
        """The drug a CodeableConcept names (with a Medication's form and ingredients)."""
        for c in _codings(concept):
            if c.get("system") == self.local_drug and isinstance(c.get("code"), str):
                return self._finish(str(c["code"]), "local code", concept, route, form,
                                    ingredients, None)
        for c in _codings(concept):
            code = c.get("code")
            if c.get("system") in _RXNORM_SYSTEMS and isinstance(code, str) and (
                    row := self.rxnorm.get(code.strip())):
                return self._finish(row.drug, f"RxNorm {row.code} ({row.tty})", concept, route,
                                    form, ingredients, row)
        route_hint = route
        for text in _texts(concept):
            if (found := self.dose_form(text)) is not None:
                route_hint = route_hint or found[1]
                break
        for text in _texts(concept):
            drug = self._from_text(text, route_hint)
            if drug is not None:
                return self._finish(drug, "name", concept, route, form, ingredients, None)
        return None

    def _finish(self, drug: str, how: str, concept: Any, route: str | None, form: Any,
                ingredients: Any, row: RxNormConcept | None) -> Recognised:
        notes: list[str] = []
        texts = _texts(concept) + _texts(form)
        form_route = None
        if row is not None and row.dose_form:
            form_route = next((r for f, r in self.forms if f == row.dose_form), None)
        if form_route is None:
            for text in texts:
                if (found := self.dose_form(text)) is not None:
                    form_route = found[1]
                    break
        chosen, route_from = route, "route element" if route else None
        if form_route == "topical" and route not in (None, "topical"):
            notes.append(f"route {route!r} contradicts a topical dose form: topical kept")
            chosen, route_from = "topical", "dose form"
        elif chosen is None and form_route is not None:
            chosen, route_from = form_route, "dose form"
        strength: tuple[float, str] | None = None
        if row is not None and row.strength is not None and row.strength_unit is not None:
            strength = (row.strength, row.strength_unit)
        if strength is None:
            strength = _ingredient_strength(ingredients)
        if strength is None:
            for text in texts:
                if (strength := self.strength(text)) is not None:
                    break
        if chosen == "topical" and drug in self.topical:
            topical = self.topical[drug]
            notes.append(f"{drug} in a topical dose form: recorded as {topical!r}")
            drug = topical
        system = code = display = None
        codings = _codings(concept)
        if row is not None:
            system, code, display = RXNORM, row.code, row.name
        elif codings:
            system, code = codings[0].get("system"), codings[0].get("code")
            display = codings[0].get("display")
        elif texts:
            display = texts[0]
        return Recognised(drug=drug, how=how, route=chosen, route_from=route_from,
                          strength=strength[0] if strength else None,
                          strength_unit=strength[1] if strength else None, system=system,
                          code=code if isinstance(code, str) else None,
                          display=display if isinstance(display, str) else None,
                          notes=tuple(notes))

    def medication(self, medication: Mapping[str, Any], *, route: str | None = None
                   ) -> Recognised | None:
        """The drug a Medication resource names (its code, form and ingredient strengths)."""
        found = self.concept(medication.get("code"), route=route, form=medication.get("form"),
                             ingredients=medication.get("ingredient"))
        if found is None:
            for ing in medication.get("ingredient") or ():
                if isinstance(ing, Mapping):
                    found = self.concept(ing.get("itemCodeableConcept"), route=route,
                                         form=medication.get("form"),
                                         ingredients=medication.get("ingredient"))
                    if found is not None:
                        break
        return found

    def request(
        self,
        resource: Mapping[str, Any],
        *,
        resolve: Callable[[str], Mapping[str, Any] | None] | None = None,
    ) -> tuple[Recognised | None, str | None]:
        """The drug of a MedicationRequest/Statement/Administration, and why not when None.

        `resolve` finds a referenced Medication (in the Bundle, the prefetch, or on the server).
        """
        dosages = resource.get("dosageInstruction") or resource.get("dosage") or ()
        if isinstance(dosages, Mapping):
            dosages = [dosages]
        first = next((d for d in dosages if isinstance(d, Mapping)), {})
        route = self.route_of(first.get("route")) if first.get("route") else None
        concept = resource.get("medicationCodeableConcept")
        if concept is not None and not isinstance(concept, Mapping):
            return None, ("medicationCodeableConcept is not a CodeableConcept (a JSON object "
                          "with coding and text): not read")
        if concept is not None:
            found = self.concept(concept, route=route)
            return found, None if found else "drug not recognised by code or name"
        ref = resource.get("medicationReference")
        if not isinstance(ref, Mapping):
            return None, "no medication given"
        target = ref.get("reference")
        medication: Mapping[str, Any] | None = None
        if isinstance(target, str) and target.startswith("#"):
            medication = next((c for c in resource.get("contained") or ()
                               if isinstance(c, Mapping) and c.get("resourceType") == "Medication"
                               and c.get("id") == target[1:]), None)
            if medication is None:
                return None, f"contained Medication {target} not found"
        elif isinstance(target, str) and resolve is not None:
            medication = resolve(target)
        if medication is not None:
            found = self.medication(medication, route=route)
            if found is not None:
                return found, None
            return None, f"the Medication {target} names no drug clepath knows"
        if isinstance(ref.get("display"), str):
            found = self.concept({"text": ref["display"]}, route=route)
            if found is not None:
                return Recognised(**{**found.__dict__, "notes": (
                    *found.notes, f"Medication {target} not available: drug read from the "
                    "reference's display")}), None
        return None, f"Medication {target} is neither contained, in the data, nor readable"


def _ingredient_strength(ingredients: Any) -> tuple[float, str] | None:
    """Strength per unit from a single Medication.ingredient strength Ratio (mg per 1 unit)."""
    items = [i for i in ingredients or () if isinstance(i, Mapping)] if isinstance(
        ingredients, list) else []
    if len(items) != 1 or not isinstance(items[0].get("strength"), Mapping):
        return None
    num = items[0]["strength"].get("numerator") or {}
    den = items[0]["strength"].get("denominator") or {}
    if not isinstance(num.get("value"), (int, float)):
        return None
    unit = str(num.get("code") or num.get("unit") or "")
    try:
        unit = normalise_unit(unit)
    except UnitProblem:
        return None
    if not is_convertible(unit, "mg"):
        return None
    den_value = den.get("value", 1) if isinstance(den, Mapping) else 1
    den_unit = str((den.get("code") or den.get("unit") or "") if isinstance(den, Mapping)
                   else "").lower()
    if den_value != 1:
        return None
    if den_unit in ("ml", "mL".lower()):
        return convert(float(num["value"]), unit, "mg"), "mg/mL"
    if den_unit in _COUNT_UNITS:
        return convert(float(num["value"]), unit, "mg"), "mg"
    return None


def derive_dose(q: Any, found: Recognised | None, unit: str = "mg") -> tuple[
        float | None, str | None]:
    """A dose per administration in `unit` from a doseQuantity, and how it was derived.

    A mass is converted; a count with no unit (or tablets) is multiplied by the strength per
    tablet; millilitres by a mg/mL concentration. Returns (None, reason) when no dose follows.
    """
    if not isinstance(q, Mapping) or not isinstance(q.get("value"), (int, float)):
        return None, "no dose quantity"
    value = float(q["value"])
    text = next((str(q[k]) for k in ("code", "unit") if isinstance(q.get(k), str)
                 and str(q[k]).strip()), "")
    if q.get("system") not in (None, t.UCUM) and text == q.get("code"):
        text = str(q.get("unit") or "")
    code: str | None = None
    if text.strip().lower() not in _COUNT_UNITS:
        try:
            code = normalise_unit(text)
        except UnitProblem:
            code = None
        if code is not None and is_convertible(code, unit):
            return convert(value, code, unit), None
    strength = (found.strength, found.strength_unit) if found else (None, None)
    if text.strip().lower() in _COUNT_UNITS:
        if strength[0] is not None and strength[1] in ("mg", "g", "ug"):
            per = convert(strength[0], str(strength[1]), unit)
            count = _num(value)
            return value * per, (f"{count} unit(s) x {_num(strength[0])} {strength[1]} "
                                 f"({found.display or found.drug if found else ''})").strip()
        return None, (f"dose {_num(value)} without a unit and no strength per unit is known "
                      "for the product")
    if code == "mL" and strength[0] is not None and strength[1] == "mg/mL":
        per_ml = convert(strength[0], "mg", unit)
        return value * per_ml, f"{_num(value)} mL x {_num(strength[0])} mg/mL"
    return None, f"dose unit {text!r} cannot be turned into {unit}"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


_CACHE: dict[tuple[int, int], tuple[Any, Any, MedicationRecogniser]] = {}


def recogniser(kb: KnowledgeBase) -> MedicationRecogniser:
    """The recogniser of these packs (built once; shared by the knowledge base's sessions)."""
    terms, drugs = kb.pack("terminology"), kb.pack("drugs")
    key = (id(terms), id(drugs))
    found = _CACHE.get(key)
    if found is None or found[0] is not terms or found[1] is not drugs:
        if len(_CACHE) > 16:
            _CACHE.clear()
        found = (terms, drugs, MedicationRecogniser(kb))
        _CACHE[key] = found
    return found[2]
