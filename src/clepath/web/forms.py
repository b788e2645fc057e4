"""HTML forms to case-file entries and back, and the parser's problems as field-level messages.

Parsing only: a form's text becomes the entry a case file would hold (`"3.6"` a number,
`"2 g/kg"` a quantity), and the case-file parser (through the store) judges it. Its problems
come back next to the form field they concern, in plain words ("This is a number without a
unit. Expected: ..."). Nothing here knows a clinical rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from clepath.domain.body import case_on
from clepath.domain.case import Case, TherapyCourse
from clepath.domain.display import unit_label
from clepath.errors import FieldProblem

__all__ = [
    "FormErrors",
    "clasi_entry",
    "cle_entry",
    "clinical_words",
    "decimal_point",
    "finding_entry",
    "form_errors",
    "ivig_entry",
    "ivig_form",
    "ivig_preset_form",
    "lab_entry",
    "new_patient_data",
    "number_or_text",
    "partial_date",
    "patient_entry",
    "patient_form",
    "plain",
    "date_picker",
    "dose_confirmed",
    "therapy_entry",
    "therapy_form",
    "LAB_ROWS",
    "RowSection",
    "THERAPY_ROWS",
]

_INT = re.compile(r"^[-+]?\d+$")
_HAS_UNIT = re.compile(r"[A-Za-z/\[\]'\"%°µ]")
_FLOAT = re.compile(r"^[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?$")


@dataclass
class FormErrors:
    """Messages by form field, and those that belong to no one field."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def count(self) -> int:
        """How many messages there are in all."""
        return len(self.general) + sum(len(v) for v in self.fields.values())


def plain(problem: FieldProblem, *, subject: str = "This") -> str:
    """One problem in plain words: what is wrong, what is expected, what was perhaps meant."""
    text = f"{subject} {clinical_words(problem.message)}."
    if problem.accepted:
        text += f" Expected: {clinical_words(problem.accepted)}."
    if problem.suggestions:
        *rest, last = problem.suggestions
        text += f" Did you mean {', '.join(rest) + ' or ' if rest else ''}{last}?"
    return text


# Case-file syntax and unit codes that a form's reader should never see (issue 12): the
# mapping form of a quantity, the word UCUM, and codes such as Cel, 10*9/L or {1.73_m2}.
_MAPPING_EXAMPLE = re.compile(r",?\s*(?:or\s+)?\{value: [^}]*\}")
_VALUE_UNIT_EXAMPLE = re.compile(r"value: ([^,]+), unit: ([^,)]+),? or ")
_UNIT_CODE = re.compile(r"(?<![\w*])(?:10\*\d+/[A-Za-z]+|[A-Za-z/]*\{[^}\s]*\}|Cel|\[[A-Za-z_]+\])")


def clinical_words(text: str) -> str:
    """A parser's message for a person: `{value: 60, unit: kg}` examples dropped, "UCUM unit"
    said as "unit", unit codes written as people read them (`Cel` -> `°C`).

    >>> clinical_words("'x' is not a UCUM unit; e.g. '60 kg' or {value: 60, unit: kg}")
    "'x' is not a unit clepath recognises; e.g. '60 kg'"
    >>> clinical_words("not convertible to 10*9/L or mL/min/{1.73_m2} or Cel")
    'not convertible to ×10⁹/L or mL/min/1.73 m² or °C'
    """
    text = _MAPPING_EXAMPLE.sub("", text)
    text = _VALUE_UNIT_EXAMPLE.sub("", text)
    text = text.replace("a UCUM unit", "a unit clepath recognises").replace("UCUM ", "")
    return _UNIT_CODE.sub(lambda m: unit_label(m.group(0)), text)


def _candidates(name: str) -> list[str]:
    """`cle[0].sites[1]`, `cle[0].sites`, `cle[0]`, `cle`: the name and its shorter prefixes."""
    out = [name]
    while True:
        cut = max(name.rfind("."), name.rfind("["))
        if cut <= 0:
            return out
        name = name[:cut]
        out.append(name)


def form_errors(
    problems: Iterable[FieldProblem],
    mapping: Mapping[str, str],
    *,
    strip: str = "",
) -> FormErrors:
    """Place each problem next to its form field.

    Args:
        problems: the CaseError's problems (field names relative to the entry).
        mapping: entry field (or a prefix of it) -> form field name.
        strip: a prefix to remove from entry field names first (`regions.`).
    """
    out = FormErrors()
    for problem in problems:
        name = problem.field
        if strip and name.startswith(strip):
            name = name[len(strip) :]
        target = next((mapping[c] for c in _candidates(name) if c in mapping), None)
        if target is None:
            subject = f"“{problem.field}”" if problem.field else "The entry"
            out.general.append(plain(problem, subject=subject))
        else:
            out.fields.setdefault(target, []).append(plain(problem))
    return out


def _text(form: Mapping[str, Any], key: str) -> str | None:
    value = form.get(key)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


# A decimal comma ("70,5") is read as a decimal point. Exactly three digits after the comma
# ("1,000") could be a thousands separator, so that is left as written and refused by the parser.
_DECIMAL_COMMA = re.compile(r"^([-+]?\d+),(\d{1,2}|\d{4,})(?=$|\s)")


def decimal_point(text: str) -> str:
    """`70,5` -> `70.5`, `70,5 kg` -> `70.5 kg`; `1,000` and everything else unchanged."""
    return _DECIMAL_COMMA.sub(r"\1.\2", text.strip(), count=1)


def number_or_text(raw: str | None) -> int | float | str | None:
    """`3` an integer, `3.6` (or `3,6`) a float, anything else the text itself (None when
    empty)."""
    if raw is None:
        return None
    text = decimal_point(raw)
    if not text:
        return None
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def _quantity(form: Mapping[str, Any], value_key: str, unit_key: str) -> int | float | str | None:
    """A value box and a unit box as the case file's `'60 kg'`; a bare number stays a number.

    A value box that already holds its unit (`5 ft 3 in`, `132 lb`) is taken as written.
    """
    value, unit = _text(form, value_key), _text(form, unit_key)
    if value is None:
        return None
    if unit is None or _HAS_UNIT.search(value):
        return number_or_text(value)
    return f"{decimal_point(value)} {unit}"


def _entry(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    return {k: v for k, v in pairs if v is not None and v != []}


def lab_entry(form: Mapping[str, Any]) -> dict[str, Any]:
    """A `labs` item from the lab form."""
    return _entry(
        [
            ("test", _text(form, "test")),
            ("date", _text(form, "date")),
            ("value", number_or_text(_text(form, "value"))),
            ("unit", _text(form, "unit")),
            ("result", _text(form, "result")),
            ("lower", number_or_text(_text(form, "lower"))),
            ("upper", number_or_text(_text(form, "upper"))),
            ("attributed_to", _text(form, "attributed_to")),
        ]
    )


def finding_entry(form: Mapping[str, Any]) -> dict[str, Any]:
    """A `findings` item from the finding form."""
    return _entry(
        [
            ("name", _text(form, "name")),
            ("date", _text(form, "date")),
            ("value", number_or_text(_text(form, "value"))),
            ("attributed_to", _text(form, "attributed_to")),
            ("note", _text(form, "note")),
        ]
    )


# A date picker that allows a partial date (issue 12): the date box `<key>` and a precision
# select `<key>_precision` ("day", "month" or "year"). The precision only ever shortens what
# was entered (a full date picked with "year only" is kept as its year); it never adds to it.
_FULL_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def partial_date(form: Mapping[str, Any], key: str) -> int | str | None:
    """The date box `key` cut to the precision chosen beside it: `2019-05-04` with "month only"
    is `2019-05`, with "year only" `2019` (a number, as a case file writes a year).

    >>> partial_date({"start": "2019-05-04", "start_precision": "month"}, "start")
    '2019-05'
    >>> partial_date({"start": "2019-05", "start_precision": "year"}, "start")
    2019
    >>> partial_date({"start": "2019", "start_precision": "day"}, "start")
    2019
    """
    raw = _text(form, key)
    if raw is None:
        return None
    precision = _text(form, f"{key}_precision")
    if precision in ("month", "year") and _FULL_DATE.match(raw):
        raw = raw[:7] if precision == "month" else raw[:4]
    elif precision == "year" and _YEAR_MONTH.match(raw):
        raw = raw[:4]
    value = number_or_text(raw)
    return value if isinstance(value, int | str) else raw


_KINDS = {"day": ("date", re.compile(r"^\d{4}-\d{2}-\d{2}$")), "month": ("month", _YEAR_MONTH),
          "year": ("text", re.compile(r"^\d{4}$"))}


def date_picker(value: Any, precision: Any = None) -> tuple[str, str]:
    """(precision, input type) for a partial-date picker showing `value`: the precision chosen
    (else the one the value is written in) and `date`, `month` or `text` (a year). A value that
    is not a date of that precision is shown in a text box, so what was typed is kept.

    >>> date_picker("2019"), date_picker("2019-05"), date_picker(""), date_picker("May 2019")
    (('year', 'text'), ('month', 'month'), ('day', 'date'), ('day', 'text'))
    """
    text = str(value or "").strip()
    if precision not in _KINDS:
        precision = "year" if len(text) == 4 else "month" if len(text) == 7 else "day"
    kind, pattern = _KINDS[precision]
    return precision, kind if not text or pattern.match(text) else "text"


def measurement_entry(form: Mapping[str, Any]) -> dict[str, Any]:
    """A `measurements` item from the weight-and-height form (value box + unit box)."""
    return _entry(
        [
            ("name", _text(form, "name")),
            ("date", _text(form, "date")),
            ("value", _quantity(form, "value_value", "value_unit")),
        ]
    )


def therapy_entry(form: Mapping[str, Any]) -> dict[str, Any]:
    """A `therapies` item from the therapy form (dose = value box + unit box; start and stop
    are partial-date pickers)."""
    return _entry(
        [
            ("drug", _text(form, "drug")),
            ("dose", _quantity(form, "dose_value", "dose_unit")),
            ("frequency", _text(form, "frequency")),
            ("route", _text(form, "route")),
            ("start", partial_date(form, "start")),
            ("stop", partial_date(form, "stop")),
            ("outcome", _text(form, "outcome")),
            ("note", _text(form, "note")),
        ]
    )


# Repeated rows of the new-patient form (issue 12): fields named `<section>[<row>].<field>`,
# each row the same fields as the section's own form. A row whose only values are those a
# field always holds (a unit, a precision) is empty and left out.
_ROW_NAME = re.compile(r"^(\w+)\[(\d{1,3})\]\.\w+$")


@dataclass(frozen=True)
class RowSection:
    """One repeated section of the new-patient form."""

    section: str  # the case-file section and the fields' prefix: `therapies`, `labs`
    fields: tuple[str, ...]  # the form fields of one row
    always_set: tuple[str, ...]  # fields that always hold a value
    to_entry: Any  # the section's form -> case-file item function

    def row(self, form: Mapping[str, Any], row: int) -> dict[str, Any]:
        """Row `row` as the section's own form fields."""
        return {name: form.get(f"{self.section}[{row}].{name}") for name in self.fields}

    def count(self, form: Mapping[str, Any]) -> int:
        """How many rows the form sent (the highest row number + 1; 0 when none)."""
        found = [int(m.group(2)) for key in form.keys()
                 if (m := _ROW_NAME.match(str(key))) and m.group(1) == self.section]
        return max(found) + 1 if found else 0

    def entries(self, form: Mapping[str, Any]) -> list[tuple[int, dict[str, Any]]]:
        """(row number, case-file item) for each filled row, in row order."""
        out = []
        for row in range(self.count(form)):
            fields = self.row(form, row)
            if any(_text(fields, k) for k in self.fields if k not in self.always_set):
                out.append((row, self.to_entry(fields)))
        return out

    def error_fields(self, rows: Iterable[int], fields: Mapping[str, str]) -> dict[str, str]:
        """Case-file field -> form field: `therapies[1].dose` goes to the dose box of the form
        row that became the case file's second therapy."""
        out = {}
        for index, row in enumerate(rows):
            for entry_field, form_field in fields.items():
                name = f"{self.section}[{index}]" + (f".{entry_field}" if entry_field else "")
                out[name] = f"{self.section}[{row}].{form_field}"
        return out


THERAPY_ROWS = RowSection(
    "therapies",
    ("drug", "outcome", "dose_value", "dose_unit", "frequency", "route", "start",
     "start_precision", "stop", "stop_precision", "note"),
    ("dose_unit", "start_precision", "stop_precision"),
    therapy_entry,
)


LAB_ROWS = RowSection(
    "labs", ("test", "date", "value", "unit", "result"), (), lab_entry
)


def dose_confirmed(form: Mapping[str, Any]) -> bool:
    """True when the form's "save this dose anyway" box is ticked."""
    return str(form.get("confirm_dose", "")).strip().lower() in ("1", "on", "yes", "true")


def therapy_form(course: TherapyCourse) -> dict[str, str]:
    """The therapy form filled in from a stored course."""
    value, unit = "", ""
    if course.dose_text:
        value, _, unit = course.dose_text.partition(" ")
    return {
        "drug": course.drug,
        "dose_value": value,
        "dose_unit": unit.strip(),
        "frequency": course.frequency or "",
        "route": course.route or "",
        "start": "" if course.start is None else str(course.start),
        "start_precision": "day" if course.start is None else course.start.precision,
        "stop": "" if course.stop is None else str(course.stop),
        "stop_precision": "day" if course.stop is None else course.stop.precision,
        "outcome": course.outcome,
        "note": course.note or "",
    }


def cle_entry(form: FormData) -> dict[str, Any]:
    """A `cle` item from the diagnosis form."""
    sites = [s for s in form.getlist("sites") if isinstance(s, str) and s.strip()]
    return _entry(
        [
            ("subtype", _text(form, "subtype")),
            ("sites", sites),
            ("since", partial_date(form, "since")),
        ]
    )


def _yes_no(raw: str | None) -> bool | str | None:
    if raw is None:
        return None
    return {"yes": True, "no": False}.get(raw.lower(), raw)


def clasi_entry(
    form: Mapping[str, Any], regions: Iterable[str], region_items: Iterable[str],
    global_items: Iterable[str],
) -> dict[str, Any]:
    """A `clasi` item from the CLASI form (fields `<region>.<item>` and the global items)."""
    items = tuple(region_items)
    scored: dict[str, dict[str, Any]] = {}
    for region in regions:
        values = {item: number_or_text(_text(form, f"{region}.{item}")) for item in items}
        kept = {k: v for k, v in values.items() if v not in (None, 0)}
        if kept:
            scored[region] = kept
    entry: dict[str, Any] = {"date": _text(form, "date"), "regions": scored}
    for item in global_items:
        entry[item] = number_or_text(_text(form, item))
    entry["dyspigmentation_lasts_12_months"] = _yes_no(
        _text(form, "dyspigmentation_lasts_12_months")
    )
    return _entry(entry.items())


def patient_entry(form: FormData) -> tuple[str | None, dict[str, Any]]:
    """The assessment date and the `patient` section from the patient form."""
    conditions = [c for c in form.getlist("conditions") if isinstance(c, str) and c.strip()]
    patient = _entry(
        [
            ("sex", _text(form, "sex")),
            ("age", number_or_text(_text(form, "age"))),
            ("birth_date", _text(form, "birth_date")),
            (
                "pre_pregnancy_weight",
                _quantity(form, "pre_pregnancy_weight_value", "pre_pregnancy_weight_unit"),
            ),
            ("smoking", _text(form, "smoking")),
            ("pregnant", _yes_no(_text(form, "pregnant"))),
            ("blood_group", _text(form, "blood_group")),
            ("conditions", conditions),
        ]
    )
    return _text(form, "as_of"), patient


BODY = ("weight", "height")


def body_entries(form: Mapping[str, Any], default_date: str | None) -> list[dict[str, Any]]:
    """The weight and height boxes as dated `measurements` items (the date box empty: the
    `default_date`, the assessment date); a box left empty gives none."""
    out: list[dict[str, Any]] = []
    for name in BODY:
        value = _quantity(form, f"{name}_value", f"{name}_unit")
        if value is not None:
            out.append(_entry([("name", name), ("date", _text(form, f"{name}_date") or
                                                 default_date), ("value", value)]))
    return out


def body_fields(entries: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Where the problems of `body_entries` items go on the form (`measurements[0].value` ->
    `weight_value`)."""
    out: dict[str, str] = {}
    for index, entry in enumerate(entries):
        name = entry.get("name")
        out[f"measurements[{index}].value"] = f"{name}_value"
        out[f"measurements[{index}].date"] = f"{name}_date"
        out[f"measurements[{index}]"] = f"{name}_value"
    return out


def new_patient_data(form: FormData) -> dict[str, Any]:
    """A whole case file from the new-patient form: details, if given one diagnosis, and the
    filled therapy and lab rows (`RowSection.entries` says which row became which item)."""
    as_of, patient = patient_entry(form)
    data: dict[str, Any] = {"clepath": 1, "id": _text(form, "case_id"), "as_of": as_of}
    data["patient"] = patient
    measurements = body_entries(form, as_of)
    if measurements:
        data["measurements"] = measurements
    cle = cle_entry(form)
    if cle:
        data["cle"] = [cle]
    therapies = [entry for _, entry in THERAPY_ROWS.entries(form)]
    if therapies:
        data["therapies"] = therapies
    labs = [entry for _, entry in LAB_ROWS.entries(form)]
    if labs:
        data["labs"] = labs
    return data


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.10g}"


def patient_form(case: Case) -> dict[str, Any]:
    """The patient form filled in from a stored case: weight and height are the latest on or
    before the assessment date, with the day measured (empty for an undated value)."""
    p = case_on(case, case.as_of).patient
    return {
        "as_of": case.as_of.isoformat(),
        "sex": p.sex or "",
        "age": "" if p.age_years is None or p.birth_date else str(p.age_years),
        "birth_date": "" if p.birth_date is None else p.birth_date.isoformat(),
        "weight_value": _number(p.weight_kg),
        "weight_unit": "kg",
        "weight_date": "" if p.weight_date is None else p.weight_date.isoformat(),
        "height_value": _number(p.height_cm),
        "height_unit": "cm",
        "height_date": "" if p.height_date is None else p.height_date.isoformat(),
        "pre_pregnancy_weight_value": _number(p.pre_pregnancy_weight_kg),
        "pre_pregnancy_weight_unit": "kg",
        "smoking": p.smoking or "",
        "pregnant": "" if p.pregnant is None else ("yes" if p.pregnant else "no"),
        "blood_group": p.blood_group or "",
        "conditions": sorted(p.conditions),
    }


def ivig_entry(form: Mapping[str, Any]) -> dict[str, Any]:
    """`requests.ivig` from the IVIG form (each part only when its dose or timing is given)."""
    induction = _entry(
        [
            ("dose", _quantity(form, "induction_dose", "induction_dose_unit")),
            ("days", number_or_text(_text(form, "induction_days"))),
        ]
    )
    maintenance = _entry(
        [
            ("dose", _quantity(form, "maintenance_dose", "maintenance_dose_unit")),
            ("every", _quantity(form, "maintenance_every", "maintenance_every_unit")),
            ("cycles", number_or_text(_text(form, "maintenance_cycles"))),
        ]
    )
    return _entry(
        [
            ("induction", induction or None),
            ("maintenance", maintenance or None),
            ("product", _text(form, "product")),
            ("policy", _text(form, "policy")),
            ("start", _text(form, "start")),
        ]
    )


def ivig_form(case: Case) -> dict[str, str]:
    """The IVIG form filled in from the stored request (empty when there is none)."""
    r = case.ivig_request
    if r is None:
        return {"induction_dose_unit": "g/kg", "maintenance_dose_unit": "g/kg",
                "maintenance_every_unit": "weeks"}
    i, m = r.induction, r.maintenance
    every = None if m is None else m.every_days
    weeks = every is not None and every % 7 == 0
    return {
        "induction_dose": "" if i is None else _number(i.dose_g_per_kg),
        "induction_dose_unit": "g/kg",
        "induction_days": "" if i is None or i.days is None else str(i.days),
        "maintenance_dose": "" if m is None else _number(m.dose_g_per_kg),
        "maintenance_dose_unit": "g/kg",
        "maintenance_every": "" if every is None else str(every // 7 if weeks else every),
        "maintenance_every_unit": "weeks" if weeks or every is None else "days",
        "maintenance_cycles": "" if m is None or m.cycles is None else str(m.cycles),
        "product": r.product or "",
        "policy": r.policy or "",
        "start": "" if r.start is None else r.start.isoformat(),
    }


def ivig_preset_form(preset: Any, form: Mapping[str, str]) -> dict[str, str]:
    """The IVIG form with a regimen preset's doses and timing in place of the form's own
    (product, policy and start are kept); every field stays editable before saving."""
    filled = dict(form)
    for key in ("induction_dose", "induction_days", "maintenance_dose", "maintenance_every",
                "maintenance_cycles"):
        filled[key] = ""
    filled.update({"induction_dose_unit": "g/kg", "maintenance_dose_unit": "g/kg",
                   "maintenance_every_unit": "weeks"})
    if preset.induction is not None:
        filled["induction_dose"] = _number(preset.induction.dose_g_per_kg)
        if preset.induction.days is not None:
            filled["induction_days"] = str(preset.induction.days)
    m = preset.maintenance
    if m is not None:
        filled["maintenance_dose"] = _number(m.dose_g_per_kg)
        weeks = m.every_days % 7 == 0
        filled["maintenance_every"] = str(m.every_days // 7 if weeks else m.every_days)
        filled["maintenance_every_unit"] = "weeks" if weeks else "days"
        filled["maintenance_cycles"] = str(m.cycles)
    return filled
