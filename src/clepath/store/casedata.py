"""A stored Case written back as case-file data (format 1): the inverse of `parse_case`.

`parse_case(case_to_data(case), kb)` gives back the same Case: values are written in their
canonical unit with the number as stored (a float written as a float converts by a factor of
exactly 1), vocabulary as canonical ids and partial dates at their own precision. A lab value
is written as the text the file first gave (`1300 /mm3`) when that text converts back to
exactly the stored number, so a re-imported result keeps its display text as well.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from clepath.domain.case import (
    Case,
    ClasiExam,
    CleEntry,
    Finding,
    IvigRequest,
    LabResult,
    Measurement,
    Patient,
    TherapyCourse,
)
from clepath.domain.units import UnitProblem, convert, is_convertible, parse_quantity_text

__all__ = [
    "case_to_data",
    "clasi_entry",
    "cle_entry",
    "finding_entry",
    "ivig_entry",
    "lab_entry",
    "measurement_entry",
    "patient_entry",
    "therapy_entry",
    "with_text_dates",
]


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit}


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def patient_entry(patient: Patient) -> dict[str, Any]:
    """The `patient` section: age only when no birth date gives it; weight and height only when
    undated (a dated one is a `measurements` item)."""
    if patient.weight_date is not None or patient.height_date is not None:
        patient = replace(
            patient,
            weight_kg=None if patient.weight_date is not None else patient.weight_kg,
            height_cm=None if patient.height_date is not None else patient.height_cm,
        )
    return _drop_none(
        {
            "sex": patient.sex,
            "birth_date": patient.birth_date,
            "age": patient.age_years if patient.birth_date is None else None,
            "weight": None if patient.weight_kg is None else _quantity(patient.weight_kg, "kg"),
            "height": None if patient.height_cm is None else _quantity(patient.height_cm, "cm"),
            "pre_pregnancy_weight": None
            if patient.pre_pregnancy_weight_kg is None
            else _quantity(patient.pre_pregnancy_weight_kg, "kg"),
            "smoking": patient.smoking,
            "pregnant": patient.pregnant,
            "blood_group": patient.blood_group,
            "conditions": sorted(patient.conditions) or None,
        }
    )


def cle_entry(entry: CleEntry) -> dict[str, Any]:
    """One item of `cle`."""
    return _drop_none(
        {
            "subtype": entry.subtype,
            "sites": list(entry.sites) or None,
            "since": None if entry.since is None else str(entry.since),
        }
    )


def finding_entry(finding: Finding) -> dict[str, Any]:
    """One item of `findings` (a count is written as a bare number)."""
    value: Any = None
    if finding.value is not None:
        q = finding.value
        value = q.value if q.unit == "1" else _quantity(q.value, q.unit)
    return _drop_none(
        {
            "name": finding.name,
            "date": finding.date,
            "value": value,
            "attributed_to": finding.attributed_to,
            "note": finding.note,
        }
    )


def _original_reproduces(lab: LabResult) -> bool:
    """True when the lab's display text converts back to exactly the stored value."""
    if lab.original is None or lab.value is None or lab.unit is None:
        return False
    try:
        parsed = parse_quantity_text(lab.original)
        return is_convertible(parsed.unit, lab.unit) and (
            convert(parsed.value, parsed.unit, lab.unit) == lab.value
        )
    except UnitProblem:
        return False


def lab_entry(lab: LabResult) -> dict[str, Any]:
    """One item of `labs`; reference limits as quantities in the result's unit."""
    entry: dict[str, Any] = {"test": lab.test, "date": lab.date}
    if lab.titre is not None:
        entry["value"] = lab.original or str(lab.titre)
    elif lab.value is not None and _original_reproduces(lab):
        entry["value"] = lab.original
    elif lab.value is not None:
        entry["value"] = lab.value
        entry["unit"] = lab.unit
    unit = lab.unit
    for key in ("lower", "upper"):
        limit = getattr(lab, key)
        if limit is not None:
            entry[key] = _quantity(limit, unit) if unit else limit
    entry["result"] = lab.result
    entry["attributed_to"] = lab.attributed_to
    return _drop_none(entry)


def clasi_entry(exam: ClasiExam) -> dict[str, Any]:
    """One item of `clasi`: every recorded region with its four scores, and the global items."""
    return _drop_none(
        {
            "date": exam.date,
            "regions": {
                region: {
                    "erythema": score.erythema,
                    "scale": score.scale,
                    "dyspigmentation": score.dyspigmentation,
                    "scarring": score.scarring,
                }
                for region, score in exam.regions
            },
            "mucous_membrane": exam.mucous_membrane,
            "recent_hair_loss": exam.recent_hair_loss,
            "nonscarring_alopecia": exam.nonscarring_alopecia,
            "scarring_alopecia_scalp": exam.scarring_alopecia_scalp,
            "dyspigmentation_lasts_12_months": exam.dyspigmentation_lasts_12_months,
        }
    )


def therapy_entry(course: TherapyCourse) -> dict[str, Any]:
    """One item of `therapies` (the dose as it was given, e.g. `18 mg`)."""
    dose: Any = course.dose_text
    if dose is None and course.dose_mg is not None:
        dose = _quantity(course.dose_mg, "mg")
    return _drop_none(
        {
            "drug": course.drug,
            "dose": dose,
            "frequency": course.frequency,
            "route": course.route,
            "start": None if course.start is None else str(course.start),
            "stop": None if course.stop is None else str(course.stop),
            "outcome": course.outcome,
            "note": course.note,
        }
    )


def measurement_entry(measurement: Measurement) -> dict[str, Any]:
    """One item of `measurements`: the value in kg or cm as stored."""
    unit = "kg" if measurement.name == "weight" else "cm"
    return {
        "name": measurement.name,
        "date": measurement.date,
        "value": _quantity(measurement.value, unit),
    }


def ivig_entry(request: IvigRequest) -> dict[str, Any]:
    """`requests.ivig`: doses per kg of dosing weight, the interval in days."""
    out: dict[str, Any] = {}
    if request.induction is not None:
        out["induction"] = _drop_none(
            {
                "dose": _quantity(request.induction.dose_g_per_kg, "g/kg"),
                "days": request.induction.days,
            }
        )
    if request.maintenance is not None:
        m = request.maintenance
        out["maintenance"] = _drop_none(
            {
                "dose": _quantity(m.dose_g_per_kg, "g/kg"),
                "every": None if m.every_days is None else _quantity(m.every_days, "d"),
                "cycles": m.cycles,
            }
        )
    out.update(_drop_none({"product": request.product, "policy": request.policy}))
    if request.start is not None:
        out["start"] = request.start
    return out


def case_to_data(case: Case, *, dates_as_text: bool = False) -> dict[str, Any]:
    """The whole case as case-file data, ready for YAML (or JSON with `dates_as_text`)."""
    data: dict[str, Any] = {
        "clepath": case.format_version,
        "id": case.id,
        "as_of": case.as_of,
        "patient": patient_entry(case.patient),
    }
    sections: tuple[tuple[str, tuple[Any, ...], Callable[[Any], dict[str, Any]]], ...] = (
        ("cle", case.cle, cle_entry),
        ("findings", case.findings, finding_entry),
        ("labs", case.labs, lab_entry),
        ("clasi", case.clasi, clasi_entry),
        ("therapies", case.therapies, therapy_entry),
        ("measurements", case.measurements, measurement_entry),
    )
    for key, items, write in sections:
        if items:
            data[key] = [write(item) for item in items]
    if case.ivig_request is not None:
        data["requests"] = {"ivig": ivig_entry(case.ivig_request)}
    return with_text_dates(data) if dates_as_text else data


def with_text_dates(value: Any) -> Any:
    """A copy with dates as ISO text, everything else unchanged (ready for JSON)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: with_text_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [with_text_dates(v) for v in value]
    return value
