"""Builders for CLASI and classification tests: examinations, cases and Hypothesis strategies.

The allowed values below are written out from instruments.md 1.2-1.4 on purpose, independently
of the `clasi` pack, so that the tests check the pack against the specification.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from hypothesis import strategies as st

from clepath.domain.case import Case, ClasiExam, ClasiRegionScore, CleEntry, Patient

__all__ = [
    "GLOBAL_VALUES",
    "REGIONS",
    "REGION_VALUES",
    "case",
    "exam",
    "valid_exams",
]

REGIONS: tuple[str, ...] = (
    "scalp",
    "ears",
    "nose_malar",
    "rest_of_face",
    "v_neck",
    "post_neck_shoulders",
    "chest",
    "abdomen",
    "back_buttocks",
    "arms",
    "hands",
    "legs",
    "feet",
)
REGION_VALUES: dict[str, tuple[int, ...]] = {
    "erythema": (0, 1, 2, 3),
    "scale": (0, 1, 2),
    "dyspigmentation": (0, 1),
    "scarring": (0, 1, 2),  # never on the scalp
}
GLOBAL_VALUES: dict[str, tuple[int, ...]] = {
    "mucous_membrane": (0, 1),
    "recent_hair_loss": (0, 1),
    "nonscarring_alopecia": (0, 1, 2, 3),
    "scarring_alopecia_scalp": (0, 3, 4, 5, 6),
}


def exam(
    date: dt.date = dt.date(2024, 1, 1),
    regions: Mapping[str, Mapping[str, int]] | None = None,
    *,
    lasts_12_months: bool | None = None,
    **global_items: int,
) -> ClasiExam:
    """A ClasiExam from plain dicts: `regions={"scalp": {"erythema": 2}}`, globals as keywords."""
    region_scores = tuple(
        (region_id, ClasiRegionScore(**dict(items))) for region_id, items in (regions or {}).items()
    )
    return ClasiExam(
        date=date,
        regions=region_scores,
        dyspigmentation_lasts_12_months=lasts_12_months,
        **global_items,
    )


def case(
    *exams: ClasiExam,
    as_of: dt.date = dt.date(2024, 12, 31),
    subtypes: tuple[str, ...] = (),
) -> Case:
    """A case holding only CLASI examinations and CLE subtypes."""
    return Case(
        id="test-case",
        as_of=as_of,
        patient=Patient(sex="female", age_years=40),
        cle=tuple(CleEntry(subtype=s) for s in subtypes),
        clasi=exams,
    )


@st.composite
def valid_exams(draw: st.DrawFn) -> ClasiExam:
    """Any examination the published form allows (scalp scarring always 0)."""
    regions: dict[str, dict[str, int]] = {}
    for region_id in REGIONS:
        items = {name: draw(st.sampled_from(values)) for name, values in REGION_VALUES.items()}
        if region_id == "scalp":
            items["scarring"] = 0
        regions[region_id] = items
    global_items = {name: draw(st.sampled_from(values)) for name, values in GLOBAL_VALUES.items()}
    lasts = draw(st.sampled_from((True, False, None)))
    return exam(dt.date(2024, 1, 1), regions, lasts_12_months=lasts, **global_items)
