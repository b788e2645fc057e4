"""Reading lab results: windows, the lab's own range, fixed thresholds, eGFR and cytopenias.

Results dated after the case's `as_of` are never used. A result is judged against the lab's own
reference range (`lower`/`upper`) or the word the file gives (`low`, `positive`, ...); fixed
thresholds come from the `labs` pack. Comparisons are strict where the instruments say so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypeVar

from clepath.domain.case import Case, Finding, LabResult
from clepath.domain.units import UnitProblem, convert
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.labs import EgfrCoefficients, LabTest, LabThreshold

__all__ = [
    "Cytopenia",
    "EgfrResult",
    "above",
    "any_results",
    "below",
    "compare",
    "cytopenias",
    "egfr",
    "egfr_ckd_epi_2021",
    "is_high",
    "is_low",
    "latest",
    "findings_named",
    "results",
    "test_info",
    "threshold",
]

_T = TypeVar("_T")

_LOW_WORDS = frozenset({"low"})
_HIGH_WORDS = frozenset({"high", "positive"})
_NOT_LOW_WORDS = frozenset({"normal", "high", "negative", "positive"})
_NOT_HIGH_WORDS = frozenset({"normal", "low", "negative"})


# Observations grouped by name, in recorded order, for the case whose tuple is the key. The
# tuple itself is kept beside its index, so an id is never matched to another (newer) tuple.
_GROUPED: dict[int, tuple[tuple[object, ...], dict[str, tuple[object, ...]]]] = {}


def _grouped(items: tuple[_T, ...], key: str) -> dict[str, tuple[_T, ...]]:
    """`items` grouped by the attribute `key`, each group in the items' order (memoised)."""
    entry = _GROUPED.get(id(items))
    if entry is not None and entry[0] is items:
        return entry[1]  # type: ignore[return-value]
    groups: dict[str, list[_T]] = {}
    for item in items:
        groups.setdefault(getattr(item, key), []).append(item)
    grouped = {name: tuple(group) for name, group in groups.items()}
    if len(_GROUPED) >= 64:
        _GROUPED.clear()
    _GROUPED[id(items)] = (items, grouped)  # type: ignore[assignment]
    return grouped


def findings_named(case: Case, name: str) -> tuple[Finding, ...]:
    """The case's findings called `name`, in recorded order (any date)."""
    return _grouped(case.findings, "name").get(name, ())


def any_results(case: Case, test: str) -> bool:
    """Whether the case records any result of `test` (at any date)."""
    return test in _grouped(case.labs, "test")


def results(
    case: Case, test: str, *, start: dt.date | None = None, end: dt.date | None = None
) -> list[LabResult]:
    """Results of one test dated no later than as_of (and within [start, end]), oldest first."""
    last = min(end, case.as_of) if end is not None else case.as_of
    picked = [
        r
        for r in _grouped(case.labs, "test").get(test, ())
        if r.date <= last and (start is None or r.date >= start)
    ]
    return sorted(picked, key=lambda r: r.date)


def latest(
    case: Case, test: str, *, start: dt.date | None = None, end: dt.date | None = None
) -> LabResult | None:
    """The most recent result of one test in the window, or None."""
    found = results(case, test, start=start, end=end)
    return found[-1] if found else None


def is_low(result: LabResult) -> bool | None:
    """Below the lab's own lower limit, or reported `low`; None when it cannot be judged."""
    if result.value is not None and result.lower is not None:
        return result.value < result.lower
    if result.result in _LOW_WORDS:
        return True
    if result.result in _NOT_LOW_WORDS:
        return False
    return None


def is_high(result: LabResult) -> bool | None:
    """Above the lab's own upper limit, or reported `high`/`positive`; None when not judgeable."""
    if result.value is not None and result.upper is not None:
        return result.value > result.upper
    if result.titre is not None and result.result is None:
        return None
    if result.result in _HIGH_WORDS:
        return True
    if result.result in _NOT_HIGH_WORDS:
        return False
    return None


def compare(result: LabResult, comparator: str, value: float, unit: str) -> bool | None:
    """Compare a result's number with a fixed threshold given in `unit`; None without a number."""
    if result.value is None or result.unit is None:
        return None
    try:
        limit = convert(value, unit, result.unit)
    except UnitProblem:
        return None
    # Compare in the threshold's own unit scale to keep "exactly 3.0" exact after conversion.
    measured = result.value
    if unit != result.unit:
        measured = round(convert(result.value, result.unit, unit), 9)
        limit = value
    if comparator == "<":
        return measured < limit
    if comparator == "<=":
        return measured <= limit
    if comparator == ">":
        return measured > limit
    if comparator == ">=":
        return measured >= limit
    raise ValueError(f"unknown comparator {comparator!r}")


def below(result: LabResult, threshold_value: float, unit: str) -> bool | None:
    """Strictly below a fixed threshold (`unit` is the threshold's UCUM unit)."""
    return compare(result, "<", threshold_value, unit)


def above(result: LabResult, threshold_value: float, unit: str) -> bool | None:
    """Strictly above a fixed threshold (`unit` is the threshold's UCUM unit)."""
    return compare(result, ">", threshold_value, unit)


def test_info(kb: KnowledgeBase, test: str) -> LabTest:
    """The `labs` pack row of a test."""
    for row in kb.table("labs", "tests", LabTest):
        if row.id == test:
            return row
    raise KeyError(test)


def threshold(kb: KnowledgeBase, threshold_id: str) -> LabThreshold:
    """A fixed threshold of the `labs` pack by id."""
    for row in kb.table("labs", "thresholds", LabThreshold):
        if row.id == threshold_id:
            return row
    raise KeyError(threshold_id)


@dataclass(frozen=True, slots=True)
class EgfrResult:
    """An eGFR (mL/min/1.73 m2) computed from a creatinine, or reported by the lab."""

    value: float
    date: dt.date
    method: str  # "CKD-EPI 2021" or "reported"
    creatinine_umol_l: float | None
    creatinine_mg_dl: float | None
    age_years: int | None
    sex: str | None
    source: str


def egfr_ckd_epi_2021(
    creatinine_mg_dl: float, age_years: float, sex: str, kb: KnowledgeBase
) -> float:
    """CKD-EPI 2021 creatinine equation (Inker 2021), coefficients from the `labs` pack."""
    if creatinine_mg_dl <= 0:
        raise ValueError("creatinine must be positive")
    rows = {r.sex: r for r in kb.table("labs", "egfr", EgfrCoefficients)}
    c = rows[sex]
    ratio = creatinine_mg_dl / c.kappa_mg_dl
    return (
        c.constant
        * min(ratio, 1.0) ** c.alpha
        * max(ratio, 1.0) ** c.upper_exponent
        * c.age_base**age_years
        * c.sex_factor
    )


def egfr(case: Case, kb: KnowledgeBase) -> EgfrResult | None:
    """The latest eGFR: computed from the latest creatinine when age and sex are known (adults),
    else the lab-reported eGFR, else None."""
    creat = latest(case, "creatinine")
    reported = latest(case, "egfr")
    patient = case.patient
    if (
        creat is not None
        and creat.value is not None
        and patient.age_years is not None
        and patient.age_years >= 18
        and patient.sex in ("female", "male")
        and (reported is None or creat.date >= reported.date)
    ):
        molar_mass = test_info(kb, "creatinine").molar_mass_g_per_mol
        assert molar_mass is not None
        umol = convert(creat.value, creat.unit or "umol/L", "umol/L")
        mg_dl = umol * molar_mass / 10_000.0  # umol/L x g/mol -> ug/L; /10 000 -> mg/dL
        value = egfr_ckd_epi_2021(mg_dl, patient.age_years, patient.sex, kb)
        return EgfrResult(
            value=value,
            date=creat.date,
            method="CKD-EPI 2021",
            creatinine_umol_l=umol,
            creatinine_mg_dl=mg_dl,
            age_years=patient.age_years,
            sex=patient.sex,
            source="labs.inker2021",
        )
    if reported is not None and reported.value is not None:
        return EgfrResult(
            value=reported.value,
            date=reported.date,
            method="reported",
            creatinine_umol_l=None,
            creatinine_mg_dl=None,
            age_years=patient.age_years,
            sex=patient.sex,
            source="laboratory",
        )
    return None


@dataclass(frozen=True, slots=True)
class Cytopenia:
    """A cytopenia found by one instrument's fixed threshold in the latest result."""

    condition: str  # leukopenia, lymphopenia, neutropenia, thrombocytopenia
    threshold_id: str
    used_by: str
    label: str
    test: str
    value: float
    unit: str
    date: dt.date
    present: bool
    attributed_to: str | None


def cytopenias(case: Case, kb: KnowledgeBase) -> tuple[Cytopenia, ...]:
    """Every fixed cytopenia threshold judged on the latest result of its test (present or not)."""
    found: list[Cytopenia] = []
    for row in kb.table("labs", "thresholds", LabThreshold):
        result = latest(case, row.test)
        if result is None or result.value is None or result.unit is None:
            continue
        present = compare(result, row.comparator, row.value, row.unit)
        if present is None:
            continue
        found.append(
            Cytopenia(
                condition=row.condition,
                threshold_id=row.id,
                used_by=row.used_by,
                label=row.label,
                test=row.test,
                value=result.value,
                unit=result.unit,
                date=result.date,
                present=present,
                attributed_to=result.attributed_to,
            )
        )
    return tuple(found)
