"""The observation kinds' routes come from one factory (issue 12 item 7): each kind keeps its
URLs, handler names (the OpenAPI operation ids), audit rows and confirmations."""

from __future__ import annotations

from pathlib import Path

from clepath.web.routes import _observations as obs
from clepath.web.routes import clasi, diagnoses, findings, labs, therapies
from tests.web.conftest import Browser, World


def _shape(router: object) -> dict[str, str]:
    """Each route of a router as 'METHOD path' -> handler name."""
    return {f"{sorted(r.methods)[0]} {r.path}": r.name for r in router.routes}  # type: ignore[attr-defined]


class TestTheFactory:
    def test_findings_get_their_six_routes_by_name(self) -> None:
        """The findings router holds exactly the six routes, with the handler names the
        OpenAPI operation ids are made from."""
        assert {
            "GET /patients/{patient_id}/findings": "findings_page",
            "POST /patients/{patient_id}/findings": "add_finding",
            "POST /patients/{patient_id}/findings/{finding_id}/delete": "delete_finding",
            "GET /api/patients/{patient_id}/findings": "api_findings",
            "POST /api/patients/{patient_id}/findings": "api_add_finding",
            "DELETE /api/patients/{patient_id}/findings/{finding_id}": "api_delete_finding",
        } == _shape(findings.router)

    def test_diagnoses_keep_the_cle_api_path_and_entry_id(self) -> None:
        """Diagnoses' pages live under /diagnoses and their API under /cle, with the path
        parameter entry_id as before."""
        shape = _shape(diagnoses.router)

        assert ("api_delete_diagnosis", "delete_diagnosis") == (
            shape["DELETE /api/patients/{patient_id}/cle/{entry_id}"],
            shape["POST /patients/{patient_id}/diagnoses/{entry_id}/delete"],
        )

    def test_therapies_and_clasi_add_only_their_extra_routes(self) -> None:
        """Therapies add the edit form and PUT; CLASI adds its sheet; labs add nothing."""
        extra = {  # the factory's six come first
            name: sorted(r.name for r in m.router.routes[6:])
            for name, m in (("labs", labs), ("therapies", therapies), ("clasi", clasi))
        }

        assert {
            "labs": [],
            "therapies": ["api_replace_therapy", "edit_therapy", "edit_therapy_form"],
            "clasi": ["clasi_form"],
        } == extra

    def test_summaries_come_from_the_words(self) -> None:
        """A kind's API summaries read "List …", "Add a …" and "Remove a …"."""
        summaries = sorted(r.summary for r in labs.router.routes if r.include_in_schema)

        assert ["Add a lab result", "List lab results", "Remove a lab result"] == summaries

    def test_the_old_functions_are_still_there(self) -> None:
        """Modules written by hand can still call show, add_from_form, remove and the API
        functions."""
        assert all(callable(getattr(obs, f)) for f in (
            "show", "add_from_form", "remove", "api_list", "api_add", "api_remove"))


class TestRemovedDiagnosisIsNamed:
    def test_removing_a_cle_subtype_names_the_diagnosis(self, world: World, doc: Browser) -> (
        None
    ):
        """Removing the SCLE patient's subtype through the page says "Removed: the diagnosis
        subacute CLE, annular …" by the classification pack's label (it read "the item" when the
        kind was named by its case-file section, `cle`, and then the raw id "SCLE ANNULAR")."""
        listed = doc.get(f"/api/patients/{world.scle}/cle").json()
        entry_id, subtype = listed[0]["id"], listed[0]["entry"]["subtype"]
        removed = doc.submit(f"/patients/{world.scle}/diagnoses/{entry_id}/delete")
        after = doc.get(removed.headers["location"]).text

        assert (303, "SCLE_ANNULAR", True) == (
            removed.status_code, subtype,
            "Removed: the diagnosis subacute CLE, annular" in after,
        )


class TestTheDocsExample:
    def test_the_guide_shows_the_findings_module_as_it_is(self) -> None:
        """docs/observation-kinds.md quotes findings.py whole, so the example of adding a kind
        is code that runs."""
        root = Path(__file__).resolve().parents[2]
        guide = (root / "docs" / "observation-kinds.md").read_text(encoding="utf-8")
        quoted = guide.split("```python\n", 1)[1].split("```", 1)[0]
        module = (root / "src" / "clepath" / "web" / "routes" / "findings.py").read_text(
            encoding="utf-8")

        assert module == quoted
