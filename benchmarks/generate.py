"""A synthetic 10-year record for benchmarks: >= 500 labs, 50 therapy courses, 40 CLASI exams."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

__all__ = ["ten_year_case"]

_REGIONS = ["scalp", "ears", "nose_malar", "rest_of_face", "v_neck", "chest", "arms", "hands"]
_DRUGS = [
    ("hydroxychloroquine", "200 mg", "twice daily"),
    ("methotrexate", "15 mg", "weekly"),
    ("mycophenolate mofetil", "1000 mg", "twice daily"),
    ("dapsone", "100 mg", "daily"),
    ("prednisolone", "10 mg", "daily"),
    ("acitretin", "25 mg", "daily"),
    ("azathioprine", "100 mg", "daily"),
    ("quinacrine", "100 mg", "daily"),
    ("belimumab", "200 mg", "weekly"),
    ("thalidomide", "50 mg", "daily"),
]
_LABS = [
    ("wbc", 2.5, 7.0, "10*9/L"),
    ("platelets", 90, 300, "10*9/L"),
    ("c3", 0.6, 1.4, "g/L"),
    ("c4", 0.05, 0.3, "g/L"),
    ("anti_dsdna", 2, 60, "[iU]/mL"),
    ("creatinine", 50, 110, "umol/L"),
    ("lymphocytes", 0.5, 2.5, "10*9/L"),
    ("haemoglobin", 95, 140, "g/L"),
]


def ten_year_case(seed: int = 7) -> dict[str, Any]:
    """A case-file mapping (format 1) covering ten years of follow-up."""
    rng = random.Random(seed)
    start = dt.date(2014, 1, 1)
    as_of = dt.date(2024, 1, 1)
    days = (as_of - start).days
    labs = []
    for i in range(520):
        test, low, high, unit = _LABS[i % len(_LABS)]
        entry: dict[str, Any] = {
            "test": test,
            "date": start + dt.timedelta(days=rng.randrange(days)),
            "value": round(rng.uniform(low, high), 2),
            "unit": unit,
        }
        if test in ("c3", "c4"):
            entry.update(lower=0.9 if test == "c3" else 0.1, upper=1.8 if test == "c3" else 0.4)
        if test == "anti_dsdna":
            entry["upper"] = 10
        labs.append(entry)
    labs.append({"test": "ana", "date": start, "value": "1:320"})
    clasi = []
    for i in range(40):
        regions = {
            r: {"erythema": rng.randint(0, 3), "scale": rng.randint(0, 2),
                "dyspigmentation": rng.randint(0, 1)}
            for r in rng.sample(_REGIONS, 4)
        }
        clasi.append({
            "date": start + dt.timedelta(days=i * (days // 40)),
            "regions": regions,
            "recent_hair_loss": rng.randint(0, 1),
            "dyspigmentation_lasts_12_months": rng.random() < 0.5,
        })
    therapies = []
    for i in range(50):
        drug, dose, frequency = _DRUGS[i % len(_DRUGS)]
        begin = start + dt.timedelta(days=i * (days // 50))
        course: dict[str, Any] = {"drug": drug, "dose": dose, "frequency": frequency,
                                  "start": begin}
        if i < 48:
            course["stop"] = begin + dt.timedelta(days=days // 50 - 1)
            course["outcome"] = rng.choice(["failed", "intolerant", "partial", "stopped"])
        else:
            course["outcome"] = "ongoing"
        therapies.append(course)
    findings = [
        {"name": rng.choice(["inflammatory_rash", "alopecia_nonscarring", "oral_ulcers"]),
         "date": start + dt.timedelta(days=rng.randrange(days))}
        for _ in range(60)
    ]
    findings.append({"name": "arthritis", "date": as_of - dt.timedelta(days=3),
                     "value": "3 joints"})
    return {
        "clepath": 1,
        "id": "bench-ten-years",
        "as_of": as_of,
        "patient": {"sex": "female", "birth_date": dt.date(1975, 5, 1), "weight": "68 kg",
                    "height": "165 cm", "smoking": "former"},
        "cle": [{"subtype": "SCLE_ANNULAR", "sites": ["chest", "arms"], "since": 2013}],
        "findings": findings,
        "labs": labs,
        "clasi": clasi,
        "therapies": therapies,
    }
