"""The IVIG course planner: pure functions from a patient and a requested regimen to a plan.

Modules, one concept each:

* `weight`     Devine IBW, the dose-determining weight and the dosing-weight policies
* `regimen`    induction and maintenance from presets, the case's request and options; dates
* `vials`      rounding a course total to the step; whole-vial daily amounts
* `infusion`   label titration steps, at-risk caps, mL/h and minutes per day
* `safety`     hard stops, label warnings, CLE signals and the pre-infusion checklist
* `review`     baseline CLASI-A, the re-score before cycle 4, the block beyond cycle 6
* `plan`       the whole plan (`plan_ivig`)
* `catalogue`  typed look-ups into the `ivig` knowledge pack

Every clinical number comes from the `ivig` pack (clinical/ivig.md, ivig-cle-literature.md).
May import: clepath.domain, clepath.knowledge, clepath.errors and the standard library; never
clepath.scores (same layer) or clepath.engine (above): lab-derived facts such as eGFR and the
CLASI-A history are passed in as plain values.
"""

from clepath.dosing.catalogue import PACK
from clepath.dosing.infusion import (
    InfusionDay,
    InfusionProfile,
    InfusionRun,
    RateStep,
    infusion_day,
    infusion_profile,
    ml_per_hour,
)
from clepath.dosing.plan import CoursePlan, InfusionDayPlan, IvigPlan, PlanOptions, plan_ivig
from clepath.dosing.regimen import (
    CoursePart,
    Regimen,
    RegimenOverrides,
    ScheduledCourse,
    build_regimen,
    schedule,
)
from clepath.dosing.review import ClasiPoint, ReviewPlan, review
from clepath.dosing.safety import (
    Alert,
    ChecklistEntry,
    RiskProfile,
    SafetyInputs,
    checklist,
    course_alerts,
    patient_alerts,
    risk_profile,
)
from clepath.dosing.vials import Rounding, VialCount, pack_vials, round_course, split_days
from clepath.dosing.weight import (
    DosingWeight,
    body_mass_index,
    dose_determining_weight,
    dosing_weight,
    height_in_inches,
    ideal_body_weight,
)

__all__ = [
    "Alert",
    "ChecklistEntry",
    "ClasiPoint",
    "CoursePart",
    "CoursePlan",
    "DosingWeight",
    "InfusionDay",
    "InfusionDayPlan",
    "InfusionProfile",
    "InfusionRun",
    "IvigPlan",
    "PACK",
    "PlanOptions",
    "RateStep",
    "Regimen",
    "RegimenOverrides",
    "ReviewPlan",
    "RiskProfile",
    "Rounding",
    "SafetyInputs",
    "ScheduledCourse",
    "VialCount",
    "body_mass_index",
    "build_regimen",
    "checklist",
    "course_alerts",
    "dose_determining_weight",
    "dosing_weight",
    "height_in_inches",
    "ideal_body_weight",
    "infusion_day",
    "infusion_profile",
    "ml_per_hour",
    "pack_vials",
    "patient_alerts",
    "plan_ivig",
    "review",
    "risk_profile",
    "round_course",
    "schedule",
    "split_days",
]
