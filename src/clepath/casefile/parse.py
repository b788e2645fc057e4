"""Checking case-file data field by field and building the domain Case.

Every problem found is collected (not just the first) and raised together as one CaseError;
each names the field, the value and the accepted form, and suggests the closest known terms
for unknown vocabulary. Units are converted, never guessed.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import reprlib
from collections.abc import Mapping
from typing import Any

from clepath.domain.case import (
    Case,
    ClasiExam,
    ClasiRegionScore,
    CleEntry,
    Finding,
    IvigCourseRequest,
    IvigRequest,
    LabResult,
    Measurement,
    Patient,
    TherapyCourse,
)
from clepath.domain.dates import PartialDate, parse_partial_date
from clepath.domain.units import (
    Quantity,
    Titre,
    UnitProblem,
    convert,
    is_convertible,
    normalise_unit,
    parse_quantity_text,
    parse_titre,
)
from clepath.engine.doses import unit_slip
from clepath.engine.therapy import drug_rows, effective_drug
from clepath.errors import CaseError, FieldProblem
from clepath.knowledge.base import KnowledgeBase, normalise_term

__all__ = ["parse_case"]

_TOP_KEYS = (
    "clepath",
    "id",
    "as_of",
    "patient",
    "cle",
    "findings",
    "labs",
    "clasi",
    "therapies",
    "measurements",
    "requests",
)
_PATIENT_KEYS = (
    "sex",
    "age",
    "birth_date",
    "weight",
    "height",
    "pre_pregnancy_weight",
    "smoking",
    "pregnant",
    "blood_group",
    "conditions",
)
_CLE_KEYS = ("subtype", "sites", "since")
_FINDING_KEYS = ("name", "date", "value", "attributed_to", "note")
_LAB_KEYS = ("test", "date", "value", "unit", "result", "lower", "upper", "attributed_to", "note")
_CLASI_KEYS = (
    "date",
    "regions",
    "mucous_membrane",
    "recent_hair_loss",
    "nonscarring_alopecia",
    "scarring_alopecia_scalp",
    "dyspigmentation_lasts_12_months",
    "note",
)
_REGION_KEYS = ("erythema", "scale", "dyspigmentation", "scarring")
_MEASUREMENT_KEYS = ("name", "date", "value")
_THERAPY_KEYS = ("drug", "dose", "frequency", "route", "start", "stop", "outcome", "note")
_REQUEST_KEYS = ("ivig",)
_IVIG_KEYS = ("induction", "maintenance", "product", "policy", "start")
_INDUCTION_KEYS = ("dose", "days")
_MAINTENANCE_KEYS = ("dose", "every", "cycles")
_RESULT_WORDS = ("positive", "negative", "low", "high", "normal")
_BLOOD_GROUPS = ("A", "B", "AB", "O")

_DATE_FORM = "an ISO 8601 date, e.g. 2019-06-01"
_PARTIAL_FORM = "an ISO 8601 date, a year-month (2019-05) or a year (2009)"
_MASS_FORM = "a mass with its unit, e.g. '60 kg', '132 lb' or {value: 60, unit: kg}"
_LENGTH_FORM = "a length with its unit, e.g. '158 cm', '5 ft 3 in' or {value: 158, unit: cm}"
# A dated measurement's unit, accepted form and fallback bounds (as patient.weight / .height).
_MEASUREMENT_UNITS = {
    "weight": ("kg", _MASS_FORM, 0.3, 400.0),
    "height": ("cm", _LENGTH_FORM, 30.0, 250.0),
}


_DATE_LIKE = re.compile(r"^\s*(\d{1,4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?\s*$")
_SEPARATED = re.compile(r"^\s*(\d{1,3})[.,](\d{3})\s*(.*?)\s*$")
_COUNT_UNITS = ("/mm3", "/uL")


class _Problems:
    """Collects problems while the whole file is checked; holds the plausibility bounds."""

    def __init__(self, kb: KnowledgeBase | None = None) -> None:
        self.items: list[FieldProblem] = []
        self.years: tuple[int, int] = (1900, 2200)
        self.ranges: dict[str, Any] = {}
        if kb is not None and "plausibility" in kb.packs:
            from clepath.knowledge.models.plausibility import PlausibleRange

            self.years = (
                int(kb.parameter("plausibility.earliest_year").value),
                int(kb.parameter("plausibility.latest_year").value),
            )
            self.ranges = kb.derived(  # shared by every parse of this base; read only
                "casefile.plausible_ranges",
                lambda k: {r.id: r for r in k.table("plausibility", "ranges", PlausibleRange)},
            )

    def bounds(self, key: str, unit: str, low: float, high: float) -> tuple[float, float]:
        """The plausible range of `key` in `unit` (the pack's, else the given fallback)."""
        row = self.ranges.get(key)
        if row is None:
            return low, high
        if row.unit == unit:
            return row.low, row.high
        return convert(row.low, row.unit, unit), convert(row.high, row.unit, unit)

    def add(
        self,
        field: str,
        value: object,
        message: str,
        accepted: str = "",
        suggestions: tuple[str, ...] = (),
    ) -> None:
        self.items.append(FieldProblem(field, _shown(value), message, accepted, suggestions))


_REPR = reprlib.Repr()
_REPR.maxlevel = 2
_REPR.maxdict = _REPR.maxlist = _REPR.maxtuple = _REPR.maxset = 4
_REPR.maxstring = _REPR.maxother = 80
_REPR.maxlong = 40


def _shown(value: object) -> object:
    """Keep error messages short and printable whatever the input was (bounded work too)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if _is_int(value) and value.bit_length() > 100:  # type: ignore[union-attr]
        digits = int(value.bit_length() * 0.30103) + 1  # type: ignore[union-attr]
        return f"<a number of about {digits} digits>"
    try:
        text = _REPR.repr(value)
    except Exception:  # noqa: BLE001 - a hostile __repr__ must not hide the real problem
        return f"<{type(value).__name__}>"
    if len(text) > 80:
        return text[:77] + "..."
    if isinstance(value, (dict, list, tuple, set)) and "..." in text:
        return text
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _huge(value: Any) -> bool:
    """An integer too long to be a name or a clinical number (str() of it may even fail)."""
    return _is_int(value) and value.bit_length() > 64


def _is_number(value: Any) -> bool:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer beyond the float range
        return False


def _date_problem(value: Any) -> str:
    """Why a date-like value is not a usable date (an impossible day, a year out of bounds)."""
    if isinstance(value, str):
        match = _DATE_LIKE.match(value)
        if match:
            month, day = match.group(2), match.group(3)
            if month is not None and not 1 <= int(month) <= 12:
                return "is not a calendar date (no such month)"
            if day is not None:
                return "is not a calendar date (no such day in that month)"
    return ""


def _year_problem(p: _Problems, field: str, value: Any, year: int, form: str) -> bool:
    low, high = p.years
    if low <= year <= high:
        return False
    p.add(field, value, f"is in year {year}, outside {low}-{high}", f"{form}, in {low}-{high}")
    return True


def _out_of_range(
    p: _Problems, field: str, value: Any, key: str, number: float, unit: str, accepted: str
) -> bool:
    """Refuse a converted value outside its plausibility bounds; True when refused."""
    if not math.isfinite(number):
        p.add(field, value, "is not a finite number", accepted)
        return True
    row = p.ranges.get(key)
    if row is None:
        return False
    low, high = p.bounds(key, unit, row.low, row.high)
    if low <= number <= high:
        return False
    p.add(
        field,
        value,
        f"is {number:.4g} {unit}, outside the plausible {low:g}-{high:g} {unit}",
        accepted,
    )
    return True


def _mapping(p: _Problems, field: str, value: Any, keys: tuple[str, ...]) -> Mapping[str, Any]:
    """A mapping with only known keys (unknown ones are reported with the nearest known key)."""
    if value is None:
        return {}
    if type(value) is not dict and not isinstance(value, Mapping):
        p.add(field, value, "must be a mapping of fields", f"a mapping with keys {', '.join(keys)}")
        return {}
    good: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str) or key not in keys:
            import difflib

            close = tuple(difflib.get_close_matches(str(key), keys, n=2))
            p.add(
                f"{field}.{key}" if field else str(key),
                key,
                "is not a field of this section",
                ", ".join(keys),
                close,
            )
            continue
        good[key] = item
    return good


def _list(p: _Problems, field: str, value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        p.add(field, value, "must be a list", "a YAML/JSON list")
        return []
    return value


def _text(p: _Problems, field: str, value: Any, *, required: bool = False) -> str | None:
    if value is None:
        if required:
            p.add(field, value, "is required", "text")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)) or _huge(value):
        p.add(field, value, "must be text", "text")
        return None
    text = str(value).strip()
    if required and not text:
        p.add(field, value, "must not be empty", "text")
        return None
    return text or None


def _term(
    p: _Problems, kb: KnowledgeBase, vocab: str, field: str, value: Any, what: str
) -> str | None:
    """Resolve a vocabulary term; unknown terms are errors listing the nearest known ones."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)) or _huge(value):
        p.add(field, value, f"must be a {what} name", f"one of the known {what} terms")
        return None
    vocabulary = kb.vocabulary(vocab)
    canonical = vocabulary.resolve(str(value))
    if canonical is None:
        known = vocabulary.known()
        accepted = ", ".join(known) if len(known) <= 16 else f"a known {what} (see docs)"
        p.add(field, value, f"is not a known {what}", accepted, vocabulary.suggest(str(value)))
    return canonical


def _date(p: _Problems, field: str, value: Any, *, required: bool = False) -> dt.date | None:
    if value is None:
        if required:
            p.add(field, value, "is required", _DATE_FORM)
        return None
    parsed = parse_partial_date(value, years=(1, 9999))
    if parsed is None or not parsed.is_exact:
        p.add(field, value, _date_problem(value) or "is not a full date", _DATE_FORM)
        return None
    if _year_problem(p, field, value, parsed.year, _DATE_FORM):
        return None
    return parsed.earliest


def _partial(p: _Problems, field: str, value: Any) -> PartialDate | None:
    if value is None:
        return None
    parsed = parse_partial_date(value, years=(1, 9999))
    if parsed is None:
        p.add(field, value, _date_problem(value) or "is not a date", _PARTIAL_FORM)
    elif _year_problem(p, field, value, parsed.year, _PARTIAL_FORM):
        return None
    return parsed


def _quantity(p: _Problems, field: str, value: Any, accepted: str) -> Quantity | None:
    """A quantity from `'60 kg'` or `{value, unit}`; a bare number is an error (no unit)."""
    if value is None:
        return None
    if _is_number(value):
        p.add(field, value, "is a number without a unit", accepted)
        return None
    if isinstance(value, Mapping):
        extra = set(value) - {"value", "unit"}
        if extra or "value" not in value or "unit" not in value:
            p.add(field, value, "must have exactly `value` and `unit`", accepted)
            return None
        number, unit = value["value"], value["unit"]
        if not _is_number(number):
            p.add(f"{field}.value", number, "must be a number", accepted)
            return None
        if not isinstance(unit, str):
            p.add(f"{field}.unit", unit, "must be a unit", accepted)
            return None
        try:
            return Quantity(float(number), normalise_unit(unit))
        except UnitProblem as exc:
            p.add(f"{field}.unit", unit, str(exc), accepted, exc.suggestions)
            return None
    if isinstance(value, str):
        try:
            return parse_quantity_text(value)
        except UnitProblem as exc:
            p.add(field, value, str(exc), accepted, exc.suggestions)
            return None
    p.add(field, value, "is not a quantity", accepted)
    return None


def _in_unit(
    p: _Problems, field: str, value: Any, unit: str, accepted: str
) -> tuple[float, Quantity] | None:
    quantity = _quantity(p, field, value, accepted)
    if quantity is None:
        return None
    if not is_convertible(quantity.unit, unit):
        p.add(field, value, f"has a unit that is not convertible to {unit}", accepted)
        return None
    number = convert(quantity.value, quantity.unit, unit)
    if not math.isfinite(number):
        p.add(field, value, "is not a finite number", accepted)
        return None
    return number, quantity


def _bounded_int(
    p: _Problems, field: str, value: Any, low: int, high: int, *, default: int = 0
) -> int:
    if value is None:
        return default
    if not _is_int(value) or not low <= value <= high:
        p.add(field, value, "is out of range", f"a whole number from {low} to {high}")
        return default
    return int(value)


def _bool(p: _Problems, field: str, value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("yes", "no"):
        return value.strip().lower() == "yes"
    p.add(field, value, "must be true or false", "true or false")
    return None


def parse_case(data: Any, kb: KnowledgeBase) -> Case:
    """Check case-file data (already parsed from YAML/JSON) and build the Case.

    Raises:
        CaseError: listing every problem found, each with field, value and accepted form.
    """
    p = _Problems(kb)
    if not isinstance(data, Mapping):
        p.add(
            "file", data, "does not hold a case", "a mapping with clepath, id, as_of, patient, ..."
        )
        raise CaseError(p.items)
    top = _mapping(p, "", data, _TOP_KEYS)
    version = top.get("clepath")
    if version is None:
        p.add("clepath", version, "is required (the case format version)", "1")
    elif version != 1 or isinstance(version, bool):
        p.add("clepath", version, "is not a format this version reads", "1")
    case_id = _text(p, "id", top.get("id"), required=True)
    as_of = _date(p, "as_of", top.get("as_of"), required=True)
    reference = as_of or dt.date.today()

    patient = _patient(p, kb, top.get("patient"), reference)
    cle = tuple(_cle(p, kb, i, item) for i, item in enumerate(_list(p, "cle", top.get("cle"))))
    findings = tuple(
        f
        for i, item in enumerate(_list(p, "findings", top.get("findings")))
        if (f := _finding(p, kb, i, item)) is not None
    )
    labs = tuple(
        r
        for i, item in enumerate(_list(p, "labs", top.get("labs")))
        if (r := _lab(p, kb, i, item)) is not None
    )
    clasi = tuple(
        e
        for i, item in enumerate(_list(p, "clasi", top.get("clasi")))
        if (e := _clasi(p, kb, i, item)) is not None
    )
    therapies = tuple(
        t
        for i, item in enumerate(_list(p, "therapies", top.get("therapies")))
        if (t := _therapy(p, kb, i, item)) is not None
    )
    measurements = tuple(
        m
        for i, item in enumerate(_list(p, "measurements", top.get("measurements")))
        if (m := _measurement(p, i, item)) is not None
    )
    requests = _mapping(p, "requests", top.get("requests"), _REQUEST_KEYS)
    ivig = _ivig(p, kb, requests.get("ivig")) if "ivig" in requests else None

    if p.items:
        raise CaseError(p.items)
    assert case_id is not None and as_of is not None
    return Case(
        id=case_id,
        as_of=as_of,
        patient=patient,
        cle=tuple(c for c in cle if c is not None),
        findings=findings,
        labs=labs,
        clasi=tuple(sorted(clasi, key=lambda e: e.date)),
        therapies=therapies,
        measurements=measurements,
        ivig_request=ivig,
    )


def _patient(p: _Problems, kb: KnowledgeBase, raw: Any, as_of: dt.date) -> Patient:
    if raw is None:
        return Patient()
    fields = _mapping(p, "patient", raw, _PATIENT_KEYS)
    sex = _term(p, kb, "sex", "patient.sex", fields.get("sex"), "sex")
    birth_date = _date(p, "patient.birth_date", fields.get("birth_date"))
    age: int | None = None
    if birth_date is not None:
        if birth_date > as_of:
            p.add("patient.birth_date", str(birth_date), "is after as_of", "a date before as_of")
        else:
            age = (
                as_of.year
                - birth_date.year
                - ((as_of.month, as_of.day) < (birth_date.month, birth_date.day))
            )
    low_age, high_age = (int(b) for b in p.bounds("patient.age", "a", 0, 120))
    if age is not None and not low_age <= age <= high_age:
        p.add(
            "patient.birth_date",
            str(birth_date),
            f"gives an age of {age} years at as_of, outside {low_age}-{high_age}",
            "the patient's date of birth",
        )
        age = None
    given_age = fields.get("age")
    if given_age is not None:
        if not _is_int(given_age) or not low_age <= given_age <= high_age:
            p.add(
                "patient.age",
                given_age,
                "is not an age in years",
                f"a whole number {low_age}-{high_age}",
            )
        elif age is not None and abs(age - given_age) > 0:
            p.add(
                "patient.age",
                given_age,
                f"disagrees with birth_date (which gives {age} at as_of)",
                "one of age or birth_date, or both agreeing",
            )
        else:
            age = int(given_age)
    weight = _positive(p, "patient.weight", fields.get("weight"), "kg", _MASS_FORM, 0.3, 400)
    height = _positive(p, "patient.height", fields.get("height"), "cm", _LENGTH_FORM, 30, 250)
    pre_weight = _positive(
        p,
        "patient.pre_pregnancy_weight",
        fields.get("pre_pregnancy_weight"),
        "kg",
        _MASS_FORM,
        0.3,
        400,
    )
    smoking = _term(p, kb, "smoking", "patient.smoking", fields.get("smoking"), "smoking status")
    pregnant = _bool(p, "patient.pregnant", fields.get("pregnant"))
    if pregnant and sex == "male":
        p.add("patient.pregnant", True, "is true for a male patient", "false for a male patient")
    blood_group = _blood_group(p, fields.get("blood_group"))
    conditions: set[str] = set()
    for i, item in enumerate(_list(p, "patient.conditions", fields.get("conditions"))):
        term = _term(p, kb, "condition", f"patient.conditions[{i}]", item, "condition")
        if term:
            conditions.add(term)
    return Patient(
        sex=sex,
        age_years=age,
        birth_date=birth_date,
        weight_kg=weight,
        height_cm=height,
        pre_pregnancy_weight_kg=pre_weight,
        smoking=smoking,
        pregnant=pregnant,
        blood_group=blood_group,
        conditions=frozenset(conditions),
    )


def _measurement(p: _Problems, index: int, raw: Any) -> Measurement | None:
    field = f"measurements[{index}]"
    fields = _mapping(p, field, raw, _MEASUREMENT_KEYS)
    if not fields:
        if isinstance(raw, Mapping) and not raw:
            p.add(field, raw, "is empty", "{name: weight or height, date, value}")
        return None
    raw_name = fields.get("name")
    name = raw_name.strip().lower() if isinstance(raw_name, str) else None
    if name not in _MEASUREMENT_UNITS:
        p.add(f"{field}.name", raw_name, "is required" if raw_name is None else
              "is not a body measurement", "weight or height", ("weight", "height"))
        name = None
    date = _date(p, f"{field}.date", fields.get("date"), required=True)
    value: float | None = None
    raw_value = fields.get("value")
    if raw_value is None:
        p.add(f"{field}.value", None, "is required",
              _MASS_FORM if name != "height" else _LENGTH_FORM)
    elif name is not None:
        unit, form, low, high = _MEASUREMENT_UNITS[name]
        value = _positive(p, f"{field}.value", raw_value, unit, form, low, high,
                          key=f"patient.{name}")
    if name is None or date is None or value is None:
        return None
    original = raw_value.strip() if isinstance(raw_value, str) else None
    return Measurement(name=name, date=date, value=value, original=original)


def _positive(
    p: _Problems,
    field: str,
    value: Any,
    unit: str,
    accepted: str,
    low: float,
    high: float,
    *,
    key: str | None = None,
) -> float | None:
    converted = _in_unit(p, field, value, unit, accepted)
    if converted is None:
        return None
    number, _ = converted
    low, high = p.bounds(key or field, unit, low, high)
    if not low <= number <= high:
        p.add(field, value, f"is {number:.4g} {unit}, outside {low:g}-{high:g} {unit}", accepted)
        return None
    return number


def _blood_group(p: _Problems, value: Any) -> str | None:
    if value is None:
        return None
    if _huge(value):
        p.add("patient.blood_group", value, "is not an ABO blood group", "A, B, AB or O (+/-)")
        return None
    text = str(value).strip().upper().replace(" ", "").replace("RH", "")
    sign = ""
    if text.endswith(("+", "-")):
        text, sign = text[:-1], text[-1]
    for word, mark in (("POS", "+"), ("NEG", "-")):
        if text.endswith(word):
            text, sign = text[: -len(word)], mark
    if isinstance(value, bool) or text not in _BLOOD_GROUPS:
        p.add("patient.blood_group", value, "is not an ABO blood group", "A, B, AB or O (+/-)")
        return None
    return text + sign


def _cle(p: _Problems, kb: KnowledgeBase, index: int, raw: Any) -> CleEntry | None:
    field = f"cle[{index}]"
    fields = _mapping(p, field, raw, _CLE_KEYS)
    subtype = _term(p, kb, "cle_subtype", f"{field}.subtype", fields.get("subtype"), "CLE subtype")
    if fields.get("subtype") is None:
        p.add(f"{field}.subtype", None, "is required", "a CLE subtype or `unspecified`")
    sites: list[str] = []
    for j, site in enumerate(_list(p, f"{field}.sites", fields.get("sites"))):
        region = _term(p, kb, "clasi_region", f"{field}.sites[{j}]", site, "CLASI region")
        if region:
            sites.append(region)
    since = _partial(p, f"{field}.since", fields.get("since"))
    if subtype is None:
        return None
    return CleEntry(subtype=subtype, sites=tuple(sites), since=since)


def _finding(p: _Problems, kb: KnowledgeBase, index: int, raw: Any) -> Finding | None:
    field = f"findings[{index}]"
    fields = _mapping(p, field, raw, _FINDING_KEYS)
    if not fields:
        if isinstance(raw, Mapping) and not raw:
            p.add(field, raw, "is empty", "{name, date, value?, attributed_to?, note?}")
        return None
    name_raw = fields.get("name")
    if name_raw is None:
        p.add(f"{field}.name", None, "is required", "a finding name")
    name = _term(p, kb, "finding", f"{field}.name", name_raw, "finding")
    date = _date(p, f"{field}.date", fields.get("date"), required=True)
    value: Quantity | None = None
    if fields.get("value") is not None and name is not None:
        value = _finding_value(p, kb, f"{field}.value", name, fields["value"])
    elif name is not None and _finding_row(kb, name) is not None:
        row = _finding_row(kb, name)
        if getattr(row, "value_required", False):
            p.add(
                f"{field}.value",
                None,
                f"is required for {name}",
                f"a value in {getattr(row, 'value_unit', '')}, e.g. '38.6 Cel' for a fever",
            )
    attributed = _text(p, f"{field}.attributed_to", fields.get("attributed_to"))
    note = _text(p, f"{field}.note", fields.get("note"))
    if name is None or date is None:
        return None
    return Finding(name=name, date=date, value=value, attributed_to=attributed, note=note)


def _finding_value(
    p: _Problems, kb: KnowledgeBase, field: str, name: str, raw: Any
) -> Quantity | None:
    expected = _finding_unit(kb, name)
    if expected == "1" or expected is None:
        if _is_number(raw):
            return Quantity(float(raw), "1")
        quantity = _quantity(p, field, raw, "a count, e.g. '3 joints'")
        if quantity is not None and expected == "1" and quantity.unit != "1":
            p.add(field, raw, "must be a count", "a count, e.g. '3 joints'")
            return None
        return quantity
    converted = _in_unit(p, field, raw, expected, f"a value in {expected} or convertible to it")
    if converted is None:
        return None
    return Quantity(converted[0], expected)


def _finding_row(kb: KnowledgeBase, name: str) -> Any:
    """The findings-pack row of a finding id, or None."""
    pack = kb.packs.get("findings")
    if pack is None:
        return None
    for rows in pack.tables.values():
        for row in rows:
            if getattr(row, "id", None) == name:
                return row
    return None


def _finding_unit(kb: KnowledgeBase, name: str) -> str | None:
    """The unit the findings pack expects for a finding's value ("1" for counts)."""
    row = _finding_row(kb, name)
    unit = getattr(row, "value_unit", None) if row is not None else None
    if unit is None:
        return None
    return "1" if str(unit).startswith("{") else str(unit)


def _lab(p: _Problems, kb: KnowledgeBase, index: int, raw: Any) -> LabResult | None:
    from clepath.knowledge.models.labs import LabTest

    field = f"labs[{index}]"
    fields = _mapping(p, field, raw, _LAB_KEYS)
    if fields.get("test") is None:
        p.add(f"{field}.test", None, "is required", "a lab test name")
        return None
    test = _term(p, kb, "lab_test", f"{field}.test", fields.get("test"), "lab test")
    date = _date(p, f"{field}.date", fields.get("date"), required=True)
    result_raw = fields.get("result")
    result: str | None = None
    if result_raw is not None:
        word = str(result_raw).strip().lower() if isinstance(result_raw, str) else None
        if word not in _RESULT_WORDS:
            p.add(f"{field}.result", result_raw, "is not a result word", ", ".join(_RESULT_WORDS))
        else:
            result = word
    attributed = _text(p, f"{field}.attributed_to", fields.get("attributed_to"))
    if test is None:
        return None
    info = kb.derived(
        "casefile.lab_tests", lambda k: {r.id: r for r in k.table("labs", "tests", LabTest)}
    ).get(test) or next(r for r in kb.table("labs", "tests", LabTest) if r.id == test)
    value_raw, unit_raw = fields.get("value"), fields.get("unit")
    if value_raw is None and result is None:
        p.add(field, raw, "has neither a value nor a result", "`value` (with a unit) or `result`")
        return None
    value: float | None = None
    unit: str | None = None
    titre: Titre | None = None
    original: str | None = None
    if value_raw is not None:
        if info.kind == "titre":
            titre = parse_titre(str(value_raw)) if isinstance(value_raw, str) else None
            if titre is None:
                p.add(f"{field}.value", value_raw, "is not a titre", "a titre such as 1:160")
            original = str(value_raw) if titre is not None else None
        else:
            parsed = _lab_value(p, f"{field}.value", value_raw, unit_raw, info)
            if parsed is not None:
                value, unit, original = parsed
    elif unit_raw is not None:
        p.add(f"{field}.unit", unit_raw, "is given without a value", "a `value` with the unit")
    lower = _bound(p, f"{field}.lower", fields.get("lower"), unit_raw, value_raw, unit, info)
    upper = _bound(p, f"{field}.upper", fields.get("upper"), unit_raw, value_raw, unit, info)
    if lower is not None and upper is not None and lower > upper:
        p.add(f"{field}.lower", fields.get("lower"), "is above `upper`", "lower <= upper")
    if date is None:
        return None
    return LabResult(
        test=test,
        date=date,
        value=value,
        unit=unit,
        titre=titre,
        result=result,
        lower=lower,
        upper=upper,
        attributed_to=attributed,
        original=original,
    )


def _lab_value(
    p: _Problems, field: str, value_raw: Any, unit_raw: Any, info: Any
) -> tuple[float, str, str] | None:
    accepted = "a number with its unit (e.g. value: 1300, unit: /mm3, or '1300 /mm3')" + (
        f"; canonical unit {info.canonical_unit}" if info.canonical_unit else ""
    )
    if _is_number(value_raw):
        if unit_raw is None:
            p.add(field, value_raw, "is a number without a unit", accepted)
            return None
        if not isinstance(unit_raw, str):
            p.add(field.replace(".value", ".unit"), unit_raw, "must be a unit", accepted)
            return None
        try:
            quantity = Quantity(float(value_raw), normalise_unit(unit_raw))
        except UnitProblem as exc:
            p.add(field.replace(".value", ".unit"), unit_raw, str(exc), accepted, exc.suggestions)
            return None
    else:
        if unit_raw is not None:
            p.add(
                field,
                value_raw,
                "gives its unit twice",
                "a number in `value` and the unit in `unit`",
            )
            return None
        parsed = _quantity(p, field, value_raw, accepted)
        if parsed is None:
            return None
        quantity = parsed
    target = info.canonical_unit or quantity.unit
    converted = _to_lab_unit(quantity, target, info)
    if converted is None:
        written = unit_raw if isinstance(unit_raw, str) else quantity.unit
        p.add(field, value_raw, f"has a unit ({written}) not convertible to {target}", accepted)
        return None
    if converted < 0:
        p.add(field, value_raw, "is negative", accepted)
        return None
    if _implausible_lab(p, field, value_raw, quantity, converted, target, info, accepted):
        return None
    return converted, target, str(quantity)


def _implausible_lab(
    p: _Problems,
    field: str,
    value_raw: Any,
    quantity: Quantity,
    converted: float,
    target: str,
    info: Any,
    accepted: str,
) -> bool:
    """A non-finite or out-of-bounds lab value is refused; a likely thousands separator is
    offered as the reading the clinician probably meant (`1.300 /mm3` -> 1,300 /mm3)."""
    if not math.isfinite(converted):
        p.add(field, value_raw, "is beyond any plausible value (too large to convert)", accepted)
        return True
    key = f"lab.{info.id}"
    row = p.ranges.get(key)
    whole_count = quantity.unit in _COUNT_UNITS and quantity.value != int(quantity.value)
    if row is None and not whole_count:
        return False
    low, high = p.bounds(key, target, row.low, row.high) if row is not None else (0.0, math.inf)
    if not whole_count and low <= converted <= high:
        return False
    suggestions: tuple[str, ...] = ()
    thousand = quantity.value * 1000
    if quantity.unit in _COUNT_UNITS and 0 < quantity.value < 1000 and thousand == round(thousand):
        as_thousands = _to_lab_unit(Quantity(thousand, quantity.unit), target, info)
        if as_thousands is not None and low <= as_thousands <= high:
            suggestions = (f"{thousand:,.0f} {quantity.unit}",)
    if whole_count:
        message = (
            f"is {quantity.value:g} cells per {quantity.unit[1:]}, but a count per "
            f"{quantity.unit[1:]} is a whole number (a thousands separator read as a decimal "
            "point?)"
        )
    else:
        message = f"is {converted:.4g} {target}, outside the plausible {low:g}-{high:g} {target}"
        if suggestions:
            message += " (a thousands separator read as a decimal point?)"
    p.add(field, value_raw, message, accepted, suggestions)
    return True


def _to_lab_unit(quantity: Quantity, target: str, info: Any) -> float | None:
    """Convert to the test's unit; mass and substance concentrations via the molar mass."""
    if is_convertible(quantity.unit, target):
        return convert(quantity.value, quantity.unit, target)
    molar_mass = getattr(info, "molar_mass_g_per_mol", None)
    if molar_mass:
        # mass/volume -> substance/volume: divide by molar mass (g/L -> mol/L) and back.
        if is_convertible(quantity.unit, "g/L") and is_convertible("mol/L", target):
            return convert(
                convert(quantity.value, quantity.unit, "g/L") / molar_mass, "mol/L", target
            )
        if is_convertible(quantity.unit, "mol/L") and is_convertible("g/L", target):
            return convert(
                convert(quantity.value, quantity.unit, "mol/L") * molar_mass, "g/L", target
            )
    return None


def _bound(
    p: _Problems,
    field: str,
    raw: Any,
    unit_raw: Any,
    value_raw: Any,
    unit: str | None,
    info: Any,
) -> float | None:
    """A reference limit: a number in the result's own unit, or a quantity with a unit."""
    if raw is None:
        return None
    if _is_number(raw):
        if unit is None:
            p.add(field, raw, "needs the result's unit", "a number in the same unit as `value`")
            return None
        source_unit = unit_raw if isinstance(unit_raw, str) else None
        if source_unit is None:
            # value given as '12 [iU]/mL': the limit is in that unit
            try:
                source_unit = parse_quantity_text(str(value_raw)).unit
            except UnitProblem:
                return None
        quantity = Quantity(float(raw), normalise_unit(source_unit))
    else:
        parsed = _quantity(p, field, raw, "a number in the result's unit, or a quantity")
        if parsed is None:
            return None
        quantity = parsed
    target = unit or info.canonical_unit or quantity.unit
    converted = _to_lab_unit(quantity, target, info)
    if converted is None:
        p.add(field, raw, f"is not convertible to {target}", "a limit in the result's unit")
    elif not math.isfinite(converted):
        p.add(field, raw, "is not a finite number", "a limit in the result's unit")
        return None
    return converted


def _clasi(p: _Problems, kb: KnowledgeBase, index: int, raw: Any) -> ClasiExam | None:
    field = f"clasi[{index}]"
    fields = _mapping(p, field, raw, _CLASI_KEYS)
    date = _date(p, f"{field}.date", fields.get("date"), required=True)
    regions: list[tuple[str, ClasiRegionScore]] = []
    raw_regions = fields.get("regions")
    if raw_regions is not None and not isinstance(raw_regions, Mapping):
        p.add(
            f"{field}.regions", raw_regions, "must be a mapping", "{REGION: {erythema, scale, ...}}"
        )
        raw_regions = {}
    seen: set[str] = set()
    for name, scores in (raw_regions or {}).items():
        if name is None or isinstance(name, bool):
            p.add(
                f"{field}.regions.{'~' if name is None else name}",
                name,
                "is not a CLASI region name",
                "a CLASI region such as scalp, face or chest",
            )
            continue
        region = _term(p, kb, "clasi_region", f"{field}.regions.{name}", name, "CLASI region")
        item = _mapping(p, f"{field}.regions.{name}", scores, _REGION_KEYS)
        values = {}
        for key in _REGION_KEYS:
            v = item.get(key, 0)
            if not _is_int(v) or v < 0:
                p.add(f"{field}.regions.{name}.{key}", v, "must be a whole number", "0, 1, 2 or 3")
                v = 0
            values[key] = int(v)
        if region is None:
            continue
        if region in seen:
            p.add(f"{field}.regions.{name}", name, "is given twice", "each region once")
            continue
        seen.add(region)
        regions.append((region, ClasiRegionScore(**values)))
    globals_: dict[str, int] = {}
    for key in (
        "mucous_membrane",
        "recent_hair_loss",
        "nonscarring_alopecia",
        "scarring_alopecia_scalp",
    ):
        v = fields.get(key, 0)
        if v is None:
            v = 0
        if not _is_int(v) or v < 0:
            p.add(
                f"{field}.{key}", v, "must be a whole number", "a whole number in the item's range"
            )
            v = 0
        globals_[key] = int(v)
    lasts = _bool(
        p, f"{field}.dyspigmentation_lasts_12_months", fields.get("dyspigmentation_lasts_12_months")
    )
    if date is None:
        return None
    exam = ClasiExam(
        date=date,
        regions=tuple(regions),
        dyspigmentation_lasts_12_months=lasts,
        **globals_,
    )
    from clepath.scores import clasi as clasi_score

    for path, value, accepted in clasi_score.exam_problems(exam, kb):
        p.add(f"{field}.{path}", value, "is out of range", accepted)
    return exam


def _therapy(p: _Problems, kb: KnowledgeBase, index: int, raw: Any) -> TherapyCourse | None:
    field = f"therapies[{index}]"
    fields = _mapping(p, field, raw, _THERAPY_KEYS)
    if fields.get("drug") is None:
        p.add(f"{field}.drug", None, "is required", "a drug name (generic or brand)")
        return None
    drug = _term(p, kb, "drug", f"{field}.drug", fields.get("drug"), "drug")
    dose_raw = fields.get("dose")
    dose_mg: float | None = None
    dose_text: str | None = None
    if dose_raw is not None:
        quantity = _quantity(p, f"{field}.dose", dose_raw, "a dose with its unit, e.g. '18 mg'")
        if quantity is not None:
            dose_text = str(dose_raw) if isinstance(dose_raw, str) else str(quantity)
            if is_convertible(quantity.unit, "mg"):
                dose_mg = convert(quantity.value, quantity.unit, "mg")
                if dose_mg <= 0:
                    p.add(f"{field}.dose", dose_raw, "must be positive", "a dose above zero")
                else:
                    _out_of_range(
                        p,
                        f"{field}.dose",
                        dose_raw,
                        "dose.mass",
                        dose_mg,
                        "mg",
                        "a dose with its unit, e.g. '18 mg'",
                    )
            elif not is_convertible(quantity.unit, "mg/kg"):
                p.add(
                    f"{field}.dose",
                    dose_raw,
                    "is not a mass or a mass per kg",
                    "a dose such as '18 mg', '1 g' or '2 g/kg'",
                )
    frequency = _term(
        p, kb, "frequency", f"{field}.frequency", fields.get("frequency"), "frequency"
    )
    per_week: float | None = None
    if frequency is not None:
        from clepath.knowledge.models.vocabulary import Frequency

        rates = kb.derived(
            "casefile.doses_per_week",
            lambda k: {f.id: f.doses_per_week for f in k.table("vocabulary", "frequencies",
                                                              Frequency)},
        )
        per_week = rates[frequency] if frequency in rates else next(
            f.doses_per_week
            for f in kb.table("vocabulary", "frequencies", Frequency)
            if f.id == frequency
        )
    route = _term(p, kb, "route", f"{field}.route", fields.get("route"), "route")
    start = _partial(p, f"{field}.start", fields.get("start"))
    stop = _partial(p, f"{field}.stop", fields.get("stop"))
    if start is not None and stop is not None and stop.latest < start.earliest:
        p.add(f"{field}.stop", str(stop), f"is before start ({start})", "a date on or after start")
    outcome_raw = fields.get("outcome")
    if outcome_raw is None:
        p.add(
            f"{field}.outcome",
            None,
            "is required",
            "ongoing, responded, partial, failed, intolerant, contraindicated or stopped",
        )
    outcome = _term(p, kb, "outcome", f"{field}.outcome", outcome_raw, "outcome")
    if outcome == "ongoing" and stop is not None:
        p.add(
            f"{field}.outcome",
            outcome_raw,
            "is `ongoing` but the course has a stop date",
            "an outcome other than ongoing, or no stop date",
        )
    note = _text(p, f"{field}.note", fields.get("note"))
    if drug is None or outcome is None:
        return None
    course = TherapyCourse(
        drug=drug,
        dose_mg=dose_mg,
        dose_text=dose_text,
        frequency=frequency,
        doses_per_week=per_week,
        route=route,
        start=start,
        stop=stop,
        outcome=outcome,
        note=note,
    )
    _unit_slip(p, kb, field, dose_raw, course)
    return course


def _unit_slip(
    p: _Problems, kb: KnowledgeBase, field: str, dose_raw: Any, course: TherapyCourse
) -> None:
    """Refuse an obvious unit slip: a dose at least `drugs.unit_slip_factor` times the drug's
    maximum. A smaller excess is accepted; the assessment raises `dose_above_maximum`."""
    if course.dose_mg is None or course.dose_mg <= 0:
        return
    row = drug_rows(kb).get(effective_drug(kb, course))
    factor = float(kb.value("drugs.unit_slip_factor"))
    slip = unit_slip(row, course, factor)
    if slip is None or row is None:
        return
    maximum, unit, meant = slip
    p.add(
        f"{field}.dose",
        dose_raw,
        f"is at least {factor:g} times the maximum {row.label} dose of {maximum:g} {unit}: "
        "an obvious unit slip (mg typed as g?)",
        f"a {row.label} dose in mg within the maximum of {maximum:g} {unit}",
        (meant,),
    )


def _ivig(p: _Problems, kb: KnowledgeBase, raw: Any) -> IvigRequest | None:
    fields = _mapping(p, "requests.ivig", raw, _IVIG_KEYS)
    induction = None
    if "induction" in fields:
        part = _mapping(p, "requests.ivig.induction", fields["induction"], _INDUCTION_KEYS)
        dose = _per_kg(p, "requests.ivig.induction.dose", part.get("dose"))
        days = part.get("days")
        if days is not None and (not _is_int(days) or not 1 <= days <= 10):
            p.add(
                "requests.ivig.induction.days",
                days,
                "is not a number of days",
                "a whole number of days, usually 2-5",
            )
            days = None
        if dose is not None:
            induction = IvigCourseRequest(dose_g_per_kg=dose, days=days)
    maintenance = None
    if "maintenance" in fields:
        part = _mapping(p, "requests.ivig.maintenance", fields["maintenance"], _MAINTENANCE_KEYS)
        dose = _per_kg(p, "requests.ivig.maintenance.dose", part.get("dose"))
        every_days: int | None = None
        if part.get("every") is not None:
            converted = _in_unit(
                p,
                "requests.ivig.maintenance.every",
                part["every"],
                "d",
                "an interval, e.g. '4 weeks' or '28 days'",
            )
            if converted is not None:
                every_days = round(converted[0])
                if not 1 <= every_days <= 366:
                    p.add(
                        "requests.ivig.maintenance.every",
                        part["every"],
                        "is too short" if every_days < 1 else "is longer than a year",
                        "an interval from 1 day to 1 year",
                    )
                    every_days = None
        cycles = part.get("cycles")
        if cycles is not None and (not _is_int(cycles) or not 1 <= cycles <= 60):
            p.add(
                "requests.ivig.maintenance.cycles",
                cycles,
                "is not a number of cycles",
                "a whole number from 1 to 60",
            )
            cycles = None
        if dose is not None:
            maintenance = IvigCourseRequest(
                dose_g_per_kg=dose, every_days=every_days, cycles=cycles
            )
    product = None
    if fields.get("product") is not None:
        product = (
            _term(p, kb, "ivig_product", "requests.ivig.product", fields["product"], "IVIG product")
            if "ivig_product" in kb.vocabularies
            else _text(p, "requests.ivig.product", fields["product"])
        )
    policy = None
    if fields.get("policy") is not None:
        policy = (
            _term(
                p,
                kb,
                "ivig_policy",
                "requests.ivig.policy",
                fields["policy"],
                "dosing-weight policy",
            )
            if "ivig_policy" in kb.vocabularies
            else _text(p, "requests.ivig.policy", fields["policy"])
        )
    start = _date(p, "requests.ivig.start", fields.get("start"))
    return IvigRequest(
        induction=induction, maintenance=maintenance, product=product, policy=policy, start=start
    )


def _per_kg(p: _Problems, field: str, raw: Any) -> float | None:
    if raw is None:
        p.add(field, None, "is required", "a dose per kg, e.g. '2 g/kg'")
        return None
    converted = _in_unit(
        p, field, raw, "g/kg", "a dose per kg of dosing weight, e.g. '2 g/kg' or '400 mg/kg'"
    )
    if converted is None:
        return None
    if not 0 < converted[0] <= 5:
        p.add(field, raw, "is outside 0-5 g/kg", "a dose per kg, e.g. '2 g/kg'")
        return None
    return converted[0]


def normalise(term: str) -> str:
    """Vocabulary normalisation (re-exported for callers that compare terms)."""
    return normalise_term(term)
