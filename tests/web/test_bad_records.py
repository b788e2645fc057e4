"""Input the checks refuse is refused by the API, and a record stored before the checks
existed still opens: its pages say what to correct instead of answering 500."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from clepath.domain.case import LabResult
from clepath.knowledge.base import KnowledgeBase
from tests.store._factory import seed_case
from tests.web.conftest import Browser, World

# Every page and API answer computed from the whole record.
COMPUTED = (
    "/patients/{id}",
    "/api/patients/{id}/assessment",
    "/patients/{id}/ivig",
    "/api/patients/{id}/ivig-plan",
    "/patients/{id}/summary.pdf",
    "/patients/{id}/ivig/letter.pdf",
    "/patients/{id}/timeline.svg",
    "/api/patients/{id}/timeline",
)


def _stored_before_checks(world: World, kb: KnowledgeBase, **changes: object) -> int:
    """Store a record directly, as an older clepath would have, bypassing today's checks."""
    case = seed_case(kb)
    if "creatinine" in changes:
        creatinine = LabResult(test="creatinine", date=case.as_of, value=changes["creatinine"],
                               unit="umol/L", original=f"{changes['creatinine']} umol/L")
        case = dataclasses.replace(case, id="old-creatinine", labs=(*case.labs, creatinine))
    if "as_of" in changes:
        case = dataclasses.replace(case, id="old-as-of", as_of=changes["as_of"])
    with world.app.state.clepath.store() as store:
        patient_id = store.patients.add_case(case)
        store.commit()
    return patient_id


class TestApiRefuses:
    def test_zero_creatinine_is_refused(self, world: World, doc: Browser) -> None:
        """A creatinine of 0 umol/L is a 422 naming the value field, not a stored record."""
        response = doc.api("POST", f"/api/patients/{world.seed}/labs",
                           {"test": "creatinine", "date": "2019-05-28", "value": 0,
                            "unit": "umol/L"})

        assert (422, ["value"]) == (
            response.status_code, [p["field"] for p in response.json()["problems"]]
        )

    def test_as_of_in_year_one_is_refused(self, world: World, doc: Browser) -> None:
        """An as-of date of 0001-01-01 is a 422 naming as_of and the accepted years."""
        response = doc.api("PUT", f"/api/patients/{world.seed}/details",
                           {"as_of": "0001-01-01", "patient": {"sex": "female", "age": 47}})
        problems = response.json()["problems"]

        assert (422, "as_of", True) == (
            response.status_code, problems[0]["field"], "1900-2100" in problems[0]["accepted"]
        )


class TestStoredBeforeTheChecks:
    @pytest.mark.parametrize(
        ("changes", "field"),
        [({"creatinine": 0.0}, "labs["), ({"as_of": dt.date(1, 1, 1)}, "as_of")],
        ids=["creatinine-0", "as-of-year-1"],
    )
    def test_no_page_of_the_patient_answers_500(
        self, world: World, kb: KnowledgeBase, doc: Browser, changes: dict[str, object],
        field: str,
    ) -> None:
        """Every computed page is a 422 naming the stored field to correct; none is a 500."""
        patient_id = _stored_before_checks(world, kb, **changes)
        statuses = {path: doc.get(path.format(id=patient_id)).status_code for path in COMPUTED}
        page = doc.get(f"/patients/{patient_id}").text

        assert ({path: 422 for path in COMPUTED}, True, True) == (
            statuses, field in page, f"/patients/{patient_id}/edit" in page
        )

    def test_the_record_can_still_be_opened_and_corrected(
        self, world: World, kb: KnowledgeBase, doc: Browser
    ) -> None:
        """The edit form and the case-file export open; fixing as_of makes the page 200 again."""
        patient_id = _stored_before_checks(world, kb, as_of=dt.date(1, 1, 1))
        edit = doc.get(f"/patients/{patient_id}/edit").status_code
        export = doc.get(f"/patients/{patient_id}/case.yaml").status_code
        fixed = doc.api("PUT", f"/api/patients/{patient_id}/details",
                        {"as_of": "2019-06-01", "patient": {"sex": "female", "age": 47,
                                                            "weight": "60 kg"}})

        assert (200, 200, 200, 200) == (
            edit, export, fixed.status_code, doc.get(f"/patients/{patient_id}").status_code
        )
