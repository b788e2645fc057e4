"""The JSON API's request bodies, documented for OpenAPI and checked by the case-file parser.

Each body is a case-file entry (see docs/case-format.md): fields are declared so the OpenAPI
document lists them, but typed loosely (`Any`) and open to unknown keys, because the judge of
every value is the same parser that reads case files. Its problems come back as 422 with the
field, the value's problem, the accepted form and suggestions; a form and the API never
disagree about what is valid.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ClasiIn",
    "CleIn",
    "Entry",
    "FindingIn",
    "IvigRequestIn",
    "LabIn",
    "LoginIn",
    "PatientDetailsIn",
    "TherapyIn",
    "UserIn",
    "UserPatch",
]


class Entry(BaseModel):
    """A case-file entry: unknown keys pass through to the parser, which names them."""

    model_config = ConfigDict(extra="allow")

    def entry(self) -> dict[str, Any]:
        """The entry as the case-file parser reads it (only the fields that were sent)."""
        return self.model_dump(exclude_unset=True)


class LabIn(Entry):
    """One lab result, e.g. `{"test": "wbc", "date": "2019-05-28", "value": "1300 /mm3"}`."""

    test: Any = Field(None, description="Lab test name or synonym (vocabulary `lab_test`).")
    date: Any = Field(None, description="ISO date of the sample.")
    value: Any = Field(None, description="Number (with `unit`), quantity text, or titre 1:N.")
    unit: Any = Field(None, description="UCUM unit or common spelling, e.g. `/mm3`, `g/L`.")
    result: Any = Field(None, description="positive, negative, low, high or normal.")
    lower: Any = Field(None, description="The lab's lower reference limit.")
    upper: Any = Field(None, description="The lab's upper reference limit.")
    attributed_to: Any = Field(None, description="Another cause the result is attributed to.")


class FindingIn(Entry):
    """One dated clinical finding, e.g. `{"name": "arthritis", "value": "3 joints", ...}`."""

    name: Any = Field(None, description="Finding name (vocabulary `finding`).")
    date: Any = Field(None, description="ISO date.")
    value: Any = Field(None, description="Value with unit where the finding has one.")
    attributed_to: Any = None
    note: Any = None


class MeasurementIn(Entry):
    """One dated weight or height, e.g. `{"name": "weight", "date": "2019-05-28",
    "value": "176 lb"}` (pounds are converted, never read as kilograms)."""

    name: Any = Field(None, description="`weight` or `height`.")
    date: Any = Field(None, description="ISO date the measurement was taken.")
    value: Any = Field(None, description="With its unit: `60 kg`, `132 lb`, `158 cm`, `5 ft 2 in`.")


class TherapyIn(Entry):
    """One drug course, e.g. `{"drug": "HCQ", "dose": "200 mg", "frequency": "twice daily"}`."""

    drug: Any = Field(None, description="Generic or brand name (vocabulary `drug`).")
    dose: Any = Field(None, description="Dose with unit per administration, e.g. `18 mg`.")
    frequency: Any = Field(None, description="e.g. daily, twice daily, weekly.")
    route: Any = None
    start: Any = Field(None, description="Date, year-month or year.")
    stop: Any = None
    outcome: Any = Field(
        None,
        description="ongoing, responded, partial, failed, intolerant, contraindicated, stopped.",
    )
    note: Any = None


class ClasiIn(Entry):
    """One CLASI examination: `{"date": ..., "regions": {"chest": {"erythema": 2}}, ...}`."""

    date: Any = None
    regions: Any = Field(None, description="{region: {erythema, scale, dyspigmentation, scarring}}")
    mucous_membrane: Any = None
    recent_hair_loss: Any = None
    nonscarring_alopecia: Any = None
    scarring_alopecia_scalp: Any = None
    dyspigmentation_lasts_12_months: Any = None


class CleIn(Entry):
    """One CLE diagnosis: `{"subtype": "SCLE_ANNULAR", "sites": ["chest"], "since": "2021-09"}`."""

    subtype: Any = None
    sites: Any = None
    since: Any = None


class IvigRequestIn(Entry):
    """`requests.ivig`: `{"induction": {"dose": "2 g/kg", "days": 5}, "product": "privigen"}`."""

    induction: Any = None
    maintenance: Any = None
    product: Any = None
    policy: Any = None
    start: Any = None


class PatientDetailsIn(BaseModel):
    """The assessment date and the case file's `patient` section (replaced as a whole)."""

    as_of: Any = Field(None, description="ISO date the assessment is made for.")
    patient: Any = Field(default_factory=dict, description="The `patient` section of a case file.")


class LoginIn(BaseModel):
    """Sign-in credentials."""

    model_config = ConfigDict(extra="forbid")

    username: str
    password: str


_USERNAME = r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$"
Role = Literal["viewer", "clinician", "admin"]


class UserIn(BaseModel):
    """A new user."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=_USERNAME, description="Stored in lower case.")
    password: str = Field(min_length=10, max_length=256)
    role: Role = Field(description="viewer, clinician or admin.")


class UserPatch(BaseModel):
    """Changes to a user (only the fields sent)."""

    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    active: bool | None = None
    password: str | None = Field(default=None, min_length=10, max_length=256)
