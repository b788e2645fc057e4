"""clepath's CDS services, their prefetch templates and the discovery document.

Two service ids (CDS Hooks 2.0 §Discovery):

* `clepath-cle-summary` on `patient-view`: one card with disease activity, refractory status and
  the next treatment options, linking to the patient's page in clepath.
* `clepath-cle-orders` on both `order-select` and `order-sign` (the same id listed once per hook,
  so a client replaces the order-select cards when order-sign fires: "update stale guidance"):
  dose checks of draft IVIG, hydroxychloroquine and systemic glucocorticoid orders.

Prefetch templates use only 2.0 tokens (`{{context.patientId}}`) and R4 search syntax
(`_sort=-date`); a key the client leaves out is fetched from `fhirServer` with the given token.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ORDERS",
    "ORDER_HOOKS",
    "PATIENT_VIEW",
    "PREFETCH",
    "SERVICES",
    "ServiceDefinition",
    "discovery",
    "hooks_of",
    "required_keys",
]

PATIENT_VIEW = "clepath-cle-summary"
ORDERS = "clepath-cle-orders"
ORDER_HOOKS = ("order-select", "order-sign")

PREFETCH: Mapping[str, str] = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}&clinical-status=active",
    "labs": "Observation?patient={{context.patientId}}&category=laboratory&_sort=-date"
            "&_count=200",
    "vitals": "Observation?patient={{context.patientId}}"
              "&code=http://loinc.org|29463-7,http://loinc.org|8302-2&_sort=-date&_count=20",
    "assessments": "Observation?patient={{context.patientId}}"
                   "&category=survey,exam,social-history&_sort=-date&_count=200",
    "medications": "MedicationStatement?patient={{context.patientId}}",
    "orders": "MedicationRequest?patient={{context.patientId}}&status=active",
}


@dataclass(frozen=True)
class ServiceDefinition:
    """One entry of the discovery document."""

    id: str
    hook: str
    title: str
    description: str
    prefetch: Mapping[str, str] = field(default_factory=lambda: dict(PREFETCH))
    usage_requirements: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The discovery JSON of this entry (empty optional fields left out)."""
        out: dict[str, Any] = {"hook": self.hook, "title": self.title,
                               "description": self.description, "id": self.id}
        if self.prefetch:
            out["prefetch"] = dict(self.prefetch)
        if self.usage_requirements:
            out["usageRequirements"] = self.usage_requirements
        return out


_USAGE = ("Needs the patient, active conditions and, for dose checks, body weight; keys left "
          "out of the prefetch are read from fhirServer with the given token, else 412.")
SERVICES: tuple[ServiceDefinition, ...] = (
    ServiceDefinition(
        id=PATIENT_VIEW,
        hook="patient-view",
        title="Cutaneous lupus: activity, refractoriness and next options",
        description=("For a patient with cutaneous lupus erythematosus: the latest CLASI "
                     "activity and its trend, SLEDAI-2K, whether the disease is refractory to "
                     "antimalarials and immunosuppressants, and the next treatment options of "
                     "the clepath pathway, each with its sources."),
        usage_requirements=_USAGE,
    ),
    *(
        ServiceDefinition(
            id=ORDERS,
            hook=hook,
            title="Cutaneous lupus: IVIG, hydroxychloroquine and glucocorticoid order checks",
            description=("Checks draft orders: IVIG grams against the dosing weight and the "
                         "regimen, with the IVIG hard stops and pre-infusion checks; "
                         "hydroxychloroquine mg/kg of actual body weight; the systemic "
                         "glucocorticoid dose against the maintenance targets."),
            usage_requirements=_USAGE,
        )
        for hook in ORDER_HOOKS
    ),
)


def discovery(services: tuple[ServiceDefinition, ...] = SERVICES) -> dict[str, Any]:
    """The `GET /cds-services` document."""
    return {"services": [s.to_json() for s in services]}


def hooks_of(service_id: str, services: tuple[ServiceDefinition, ...] = SERVICES) -> set[str]:
    """The hooks one service id answers (empty: no such service)."""
    return {s.hook for s in services if s.id == service_id}


def required_keys(hook: str, order_kinds: set[str]) -> tuple[str, ...]:
    """Prefetch keys without which the hook cannot judge (else 412).

    patient-view needs the patient and the conditions (is there cutaneous lupus at all?). The
    order hooks need the patient; body weight for a hydroxychloroquine or IVIG order; for IVIG
    also the labs and conditions its hard stops read (IgA, anti-IgA, fructose intolerance, ...).
    """
    if hook == "patient-view":
        return ("patient", "conditions")
    keys = ["patient"]
    if order_kinds & {"hcq", "ivig"}:
        keys.append("vitals")
    if "ivig" in order_kinds:
        keys += ["labs", "conditions"]
    return tuple(keys)
