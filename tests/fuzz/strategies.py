"""Hypothesis strategies for case files (format 1) and hostile text, plus the oracle.

The strategies follow docs/case-format.md: each section is drawn from valid values most of the
time and from hostile ones (impossible dates, years out of bounds, huge or non-finite numbers,
unit case slips, thousands separators, null keys) the rest. The oracle says whether clepath's
answer is acceptable: a Case whose every value is plausible, or a CaseError naming fields;
anything else (another exception, an out-of-range value read silently) is a finding.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import yaml
from hypothesis import strategies as st

from clepath.casefile import parse_case, read_case_data
from clepath.domain.units import convert
from clepath.engine.assess import assess
from clepath.errors import CaseError, ClepathError
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.loader import load_knowledge

__all__ = ["case_documents", "case_texts", "check_document", "check_text"]

KB = load_knowledge()


def _terms(name: str) -> list[str]:
    return list(KB.vocabulary(name).known())


# --- scalars ---------------------------------------------------------------------------------

valid_dates = st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2030, 12, 31))
hostile_dates = st.one_of(
    st.sampled_from(["2020-02-30", "2019-13-01", "2021-04-31", "0001-01-01", "9999-12-31",
                     "1899-12-31", "2101-01-01", "20-01-01", "2020-1-1", "yesterday", ""]),
    st.dates().map(str),
    st.dates(),
    st.integers(min_value=-10**6, max_value=10**6),
)
# Valid values most of the time, so that generated cases also reach the assessment and plan.
dates = st.one_of(valid_dates.map(str), valid_dates, valid_dates.map(str), valid_dates,
                  hostile_dates)

huge_numbers = st.one_of(
    st.integers(min_value=10**30, max_value=10**4000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 1e-320, float("inf"), float("nan"), 0, -0.0, -1]),
)
numbers = st.one_of(
    st.floats(min_value=0.01, max_value=500, allow_nan=False),
    st.integers(1, 5000),
    st.integers(1, 200),
    huge_numbers,
)
_CLINICAL_UNITS = st.sampled_from(
    ["kg", "g", "mg", "lb", "cm", "m", "in", "ft", "/mm3", "/uL", "10*9/L", "umol/L", "mg/dL",
     "mg/dl", "g/L", "g/kg", "mg/kg", "Cel", "wk", "d"]
)
units = st.one_of(
    _CLINICAL_UNITS,
    _CLINICAL_UNITS,
    _CLINICAL_UNITS,
    st.sampled_from(["Mg", "MG", "KG", "Kg", "ML", "MG/DL", "G", "L/MIN", "mg/DL", "UMOL/L"]),
    st.text(max_size=6),
)
quantity_texts = st.one_of(
    st.builds(lambda n, u: f"{n} {u}", numbers, units),
    st.builds(lambda a, b, u: f"{a}.{b:03d} {u}", st.integers(1, 999), st.integers(0, 999),
              st.sampled_from(["/mm3", "/uL"])),
    st.builds(lambda a, b: f"{a} ft {b} in", st.integers(-1, 9), st.integers(-3, 40)),
)
quantities = st.one_of(
    quantity_texts,
    st.fixed_dictionaries({"value": numbers, "unit": units}),
    numbers,
)
any_scalar = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=12), dates)


# --- sections --------------------------------------------------------------------------------

patients = st.fixed_dictionaries(
    {},
    optional={
        "sex": st.one_of(st.sampled_from(_terms("sex")), any_scalar),
        "age": st.one_of(st.integers(0, 130), huge_numbers),
        "birth_date": dates,
        "weight": quantities,
        "height": quantities,
        "pregnant": st.one_of(st.booleans(), any_scalar),
    },
)
labs = st.fixed_dictionaries(
    {"test": st.sampled_from(["wbc", "creatinine", "platelets", "haemoglobin", "c3",
                              "lymphocytes", "neutrophils", "anti_dsdna", "ana"]),
     "date": dates},
    optional={"value": st.one_of(numbers, quantity_texts, st.text(max_size=8)),
              "unit": units, "result": st.sampled_from(["positive", "low", "weird"])},
)
clasi_regions = st.dictionaries(
    st.one_of(st.sampled_from(["scalp", "chest", "face", "hands", "arms"]), st.none(),
              st.integers(0, 3), st.text(max_size=5)),
    st.fixed_dictionaries({}, optional={k: st.integers(-1, 5) for k in ("erythema", "scale")}),
    max_size=3,
)
clasi = st.fixed_dictionaries({"date": dates}, optional={"regions": clasi_regions})
therapies = st.fixed_dictionaries(
    {"drug": st.sampled_from(["hydroxychloroquine", "prednisone", "methotrexate", "IVIG"]),
     "outcome": st.sampled_from(["ongoing", "failed", "responded"])},
    optional={"dose": quantities, "start": dates, "stop": dates,
              "frequency": st.sampled_from(["daily", "weekly", "twice daily"])},
)
ivig = st.fixed_dictionaries(
    {},
    optional={
        "induction": st.fixed_dictionaries({"dose": quantities},
                                           optional={"days": st.one_of(st.integers(-1, 12),
                                                                       huge_numbers)}),
        "maintenance": st.fixed_dictionaries(
            {"dose": quantities},
            optional={"every": quantities, "cycles": st.one_of(st.integers(-1, 80), huge_numbers)},
        ),
        "start": dates,
    },
)
case_documents = st.fixed_dictionaries(
    {"clepath": st.just(1), "id": st.just("fuzz"),
     "as_of": st.one_of(valid_dates, valid_dates.map(str), valid_dates, dates)},
    optional={
        "patient": patients,
        "labs": st.lists(labs, max_size=3),
        "clasi": st.lists(clasi, max_size=2),
        "therapies": st.lists(therapies, max_size=2),
        "requests": st.fixed_dictionaries({"ivig": ivig}),
    },
)


def _dump(document: Any, as_json: bool) -> str:
    def default(value: Any) -> Any:
        return value.isoformat() if isinstance(value, dt.date) else str(value)

    if as_json:
        return json.dumps(document, default=default)
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def _hostile_text(base: str, kind: str, n: int) -> str:
    if kind == "duplicate":
        return base + "\nas_of: 2020-01-01\n" if not base.lstrip().startswith("{") else base
    if kind == "alias":
        return base + "\nx: &a [1, 2]\ny: [*a, *a]\n"
    if kind == "deep":
        return base + "\nz: " + "[" * n + "]" * n + "\n"
    if kind == "truncate":
        return base[: max(1, n % max(len(base), 1))]
    return base


case_texts = st.builds(
    _hostile_text,
    st.builds(_dump, case_documents, st.booleans()),
    st.sampled_from(["none", "duplicate", "alias", "deep", "truncate"]),
    st.integers(1, 3000),
)


# --- the oracle ------------------------------------------------------------------------------


def _plausible(case: Any, kb: KnowledgeBase) -> str | None:
    """A silent misreading: a value clepath accepted although it is outside its bounds."""
    from clepath.knowledge.models.plausibility import PlausibleRange

    ranges = {r.id: r for r in kb.table("plausibility", "ranges", PlausibleRange)}
    low_year = int(kb.parameter("plausibility.earliest_year").value)
    high_year = int(kb.parameter("plausibility.latest_year").value)
    dates_seen = [case.as_of, case.patient.birth_date]
    dates_seen += [lab.date for lab in case.labs] + [exam.date for exam in case.clasi]
    if case.ivig_request is not None:
        dates_seen.append(case.ivig_request.start)
    for therapy in case.therapies:
        dates_seen += [d.earliest for d in (therapy.start, therapy.stop) if d is not None]
    for value in dates_seen:
        if value is not None and not low_year <= value.year <= high_year:
            return f"date {value} accepted outside {low_year}-{high_year}"
    checks = [("patient.weight", case.patient.weight_kg, "kg"),
              ("patient.height", case.patient.height_cm, "cm"),
              ("patient.age", case.patient.age_years, "a")]
    checks += [(f"lab.{lab.test}", lab.value, lab.unit) for lab in case.labs]
    checks += [("dose.mass", t.dose_mg, "mg") for t in case.therapies]
    for key, value, unit in checks:
        if value is None:
            continue
        if not math.isfinite(value):
            return f"{key} accepted as {value}"
        row = ranges.get(key)
        if row is None or unit is None:
            continue
        low, high = convert(row.low, row.unit, unit), convert(row.high, row.unit, unit)
        if not low - 1e-9 <= value <= high * (1 + 1e-9):
            return f"{key} accepted as {value} {unit}, outside {low:g}-{high:g}"
    for region in (r for exam in case.clasi for r in exam.regions):
        if region[0] is None:
            return "a CLASI region without a name was accepted"
    return None


def _outputs(case: Any, kb: KnowledgeBase) -> None:
    """What the user sees: the assessment (JSON and terminal) and, when asked, the IVIG plan."""
    import io

    from rich.console import Console

    from clepath.report.assessment_json import assessment_to_json
    from clepath.report.assessment_terminal import render_assessment
    from clepath.report.similar import assessment_similar

    result = assess(case, kb)
    similar = assessment_similar(case, kb)
    json.dumps(assessment_to_json(result, similar))
    render_assessment(result, Console(file=io.StringIO(), width=100), similar)
    if case.ivig_request is not None:
        from clepath.engine.ivig import plan_for_case
        from clepath.report.ivig import ivig_to_ics, ivig_to_json

        report = plan_for_case(case, kb)
        json.dumps(ivig_to_json(report))
        ivig_to_ics(report)


def check_document(document: Any, kb: KnowledgeBase = KB) -> str | None:
    """None when clepath's answer to this data is acceptable, else what went wrong."""
    try:
        case = parse_case(document, kb)
    except CaseError as exc:
        if not exc.problems or any(not p.message for p in exc.problems):
            return "CaseError without problems"
        for problem in exc.problems:
            str(problem)  # the message must be printable
        return None
    except Exception as exc:  # noqa: BLE001 - any other exception is a finding
        return f"crash in parse_case: {type(exc).__name__}: {str(exc)[:200]}"
    wrong = _plausible(case, kb)
    if wrong:
        return f"silent misreading: {wrong}"
    try:
        _outputs(case, kb)
    except ClepathError:
        return None
    except Exception as exc:  # noqa: BLE001 - any other exception is a finding
        return f"crash after parsing: {type(exc).__name__}: {str(exc)[:200]}"
    return None


def check_text(text: str, kb: KnowledgeBase = KB) -> str | None:
    """None when reading this text (then checking it) is acceptable, else what went wrong."""
    try:
        data = read_case_data(text)
    except CaseError as exc:
        return None if exc.problems else "CaseError without problems"
    except Exception as exc:  # noqa: BLE001 - any other exception is a finding
        return f"crash in read_case_data: {type(exc).__name__}: {str(exc)[:200]}"
    return check_document(data, kb)
