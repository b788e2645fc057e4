"""Domain objects to table columns and back, one pair of functions per observation kind.

Values pass through unchanged (canonical units, vocabulary ids); partial dates are written as
their own text (`2019-05`) and read back with `parse_partial_date`, so every domain object
survives a round trip through the database exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from clepath.domain.case import (
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
from clepath.domain.units import Quantity, Titre
from clepath.store.tables import (
    ClasiExamRow,
    ClasiRegionRow,
    CleEntryRow,
    FindingRow,
    IvigRequestRow,
    LabRow,
    MeasurementRow,
    PatientRow,
    TherapyRow,
)

__all__ = [
    "clasi_columns",
    "clasi_from_row",
    "cle_columns",
    "cle_from_row",
    "finding_columns",
    "finding_from_row",
    "ivig_columns",
    "ivig_from_row",
    "lab_columns",
    "lab_from_row",
    "patient_columns",
    "patient_from_row",
    "region_rows",
    "therapy_columns",
    "therapy_from_row",
]


def _partial_text(value: PartialDate | None) -> str | None:
    return None if value is None else str(value)


def _partial(value: str | None) -> PartialDate | None:
    return None if value is None else parse_partial_date(value)


def patient_columns(patient: Patient) -> dict[str, Any]:
    """The patient's columns of the `patients` table."""
    return {
        "sex": patient.sex,
        "age_years": patient.age_years,
        "birth_date": patient.birth_date,
        "weight_kg": patient.weight_kg,
        "height_cm": patient.height_cm,
        "pre_pregnancy_weight_kg": patient.pre_pregnancy_weight_kg,
        "smoking": patient.smoking,
        "pregnant": patient.pregnant,
        "blood_group": patient.blood_group,
        "conditions": sorted(patient.conditions),
    }


def patient_from_row(row: PatientRow) -> Patient:
    """The domain Patient of a `patients` row."""
    return Patient(
        sex=row.sex,
        age_years=row.age_years,
        birth_date=row.birth_date,
        weight_kg=row.weight_kg,
        height_cm=row.height_cm,
        pre_pregnancy_weight_kg=row.pre_pregnancy_weight_kg,
        smoking=row.smoking,
        pregnant=row.pregnant,
        blood_group=row.blood_group,
        conditions=frozenset(row.conditions or ()),
    )


def cle_columns(entry: CleEntry) -> dict[str, Any]:
    """Columns of `cle_entries`."""
    return {
        "subtype": entry.subtype,
        "sites": list(entry.sites),
        "since": _partial_text(entry.since),
    }


def cle_from_row(row: CleEntryRow) -> CleEntry:
    """The CleEntry of a row."""
    return CleEntry(subtype=row.subtype, sites=tuple(row.sites or ()), since=_partial(row.since))


def measurement_columns(measurement: Measurement) -> dict[str, Any]:
    """Columns of `measurements`."""
    return {"name": measurement.name, "date": measurement.date, "value": measurement.value}


def measurement_from_row(row: MeasurementRow) -> Measurement:
    """The Measurement of a row."""
    return Measurement(name=row.name, date=row.date, value=row.value)


def finding_columns(finding: Finding) -> dict[str, Any]:
    """Columns of `findings`."""
    return {
        "name": finding.name,
        "date": finding.date,
        "value": None if finding.value is None else finding.value.value,
        "value_unit": None if finding.value is None else finding.value.unit,
        "attributed_to": finding.attributed_to,
        "note": finding.note,
    }


def finding_from_row(row: FindingRow) -> Finding:
    """The Finding of a row."""
    value = None
    if row.value is not None:
        value = Quantity(row.value, row.value_unit or "1")
    return Finding(
        name=row.name,
        date=row.date,
        value=value,
        attributed_to=row.attributed_to,
        note=row.note,
    )


def lab_columns(lab: LabResult) -> dict[str, Any]:
    """Columns of `labs`."""
    return {
        "test": lab.test,
        "date": lab.date,
        "value": lab.value,
        "unit": lab.unit,
        "titre": None if lab.titre is None else lab.titre.denominator,
        "result": lab.result,
        "lower": lab.lower,
        "upper": lab.upper,
        "attributed_to": lab.attributed_to,
        "original": lab.original,
    }


def lab_from_row(row: LabRow) -> LabResult:
    """The LabResult of a row."""
    return LabResult(
        test=row.test,
        date=row.date,
        value=row.value,
        unit=row.unit,
        titre=None if row.titre is None else Titre(row.titre),
        result=row.result,
        lower=row.lower,
        upper=row.upper,
        attributed_to=row.attributed_to,
        original=row.original,
    )


def clasi_columns(exam: ClasiExam) -> dict[str, Any]:
    """Columns of `clasi_exams` (the region scores are `region_rows`)."""
    return {
        "date": exam.date,
        "mucous_membrane": exam.mucous_membrane,
        "recent_hair_loss": exam.recent_hair_loss,
        "nonscarring_alopecia": exam.nonscarring_alopecia,
        "scarring_alopecia_scalp": exam.scarring_alopecia_scalp,
        "dyspigmentation_lasts_12_months": exam.dyspigmentation_lasts_12_months,
    }


def region_rows(exam: ClasiExam) -> list[ClasiRegionRow]:
    """One `clasi_region_scores` row per recorded region, in the exam's order."""
    return [
        ClasiRegionRow(
            position=position,
            region=region,
            erythema=score.erythema,
            scale=score.scale,
            dyspigmentation=score.dyspigmentation,
            scarring=score.scarring,
        )
        for position, (region, score) in enumerate(exam.regions)
    ]


def clasi_from_row(row: ClasiExamRow, regions: Iterable[Any] | None = None) -> ClasiExam:
    """The ClasiExam of a row and its region rows (the row's own, unless given)."""
    return ClasiExam(
        date=row.date,
        regions=tuple(
            (
                r.region,
                ClasiRegionScore(
                    erythema=r.erythema,
                    scale=r.scale,
                    dyspigmentation=r.dyspigmentation,
                    scarring=r.scarring,
                ),
            )
            for r in (row.regions if regions is None else regions)
        ),
        mucous_membrane=row.mucous_membrane,
        recent_hair_loss=row.recent_hair_loss,
        nonscarring_alopecia=row.nonscarring_alopecia,
        scarring_alopecia_scalp=row.scarring_alopecia_scalp,
        dyspigmentation_lasts_12_months=row.dyspigmentation_lasts_12_months,
    )


def therapy_columns(course: TherapyCourse) -> dict[str, Any]:
    """Columns of `therapy_courses`."""
    return {
        "drug": course.drug,
        "dose_mg": course.dose_mg,
        "dose_text": course.dose_text,
        "frequency": course.frequency,
        "doses_per_week": course.doses_per_week,
        "route": course.route,
        "start": _partial_text(course.start),
        "stop": _partial_text(course.stop),
        "outcome": course.outcome,
        "note": course.note,
    }


def therapy_from_row(row: TherapyRow) -> TherapyCourse:
    """The TherapyCourse of a row."""
    return TherapyCourse(
        drug=row.drug,
        dose_mg=row.dose_mg,
        dose_text=row.dose_text,
        frequency=row.frequency,
        doses_per_week=row.doses_per_week,
        route=row.route,
        start=_partial(row.start),
        stop=_partial(row.stop),
        outcome=row.outcome,
        note=row.note,
    )


def ivig_columns(request: IvigRequest) -> dict[str, Any]:
    """Columns of `ivig_requests`."""
    induction, maintenance = request.induction, request.maintenance
    return {
        "induction_dose_g_per_kg": None if induction is None else induction.dose_g_per_kg,
        "induction_days": None if induction is None else induction.days,
        "maintenance_dose_g_per_kg": None if maintenance is None else maintenance.dose_g_per_kg,
        "maintenance_every_days": None if maintenance is None else maintenance.every_days,
        "maintenance_cycles": None if maintenance is None else maintenance.cycles,
        "product": request.product,
        "policy": request.policy,
        "start": request.start,
    }


def ivig_from_row(row: IvigRequestRow) -> IvigRequest:
    """The IvigRequest of a row."""
    induction = None
    if row.induction_dose_g_per_kg is not None:
        induction = IvigCourseRequest(
            dose_g_per_kg=row.induction_dose_g_per_kg, days=row.induction_days
        )
    maintenance = None
    if row.maintenance_dose_g_per_kg is not None:
        maintenance = IvigCourseRequest(
            dose_g_per_kg=row.maintenance_dose_g_per_kg,
            every_days=row.maintenance_every_days,
            cycles=row.maintenance_cycles,
        )
    return IvigRequest(
        induction=induction,
        maintenance=maintenance,
        product=row.product,
        policy=row.policy,
        start=row.start,
    )
