"""Typed value objects of a patient's record: the case, its quantities and its dates.

May import: the standard library, pint/ucumvert (units), clepath.errors. Nothing else.
"""

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
from clepath.domain.dates import PartialDate
from clepath.domain.units import Quantity, Titre

__all__ = [
    "Case",
    "ClasiExam",
    "ClasiRegionScore",
    "CleEntry",
    "Finding",
    "IvigCourseRequest",
    "IvigRequest",
    "LabResult",
    "Measurement",
    "PartialDate",
    "Patient",
    "Quantity",
    "TherapyCourse",
    "Titre",
]
