"""The JSON API: sign-in, problem format, every observation kind, and its OpenAPI document."""

from __future__ import annotations

from tests.web.conftest import PASSWORD, Browser, World
from tests.web.test_security import api_routes


class TestSession:
    def test_sign_in_by_api(self, world: World) -> None:
        """POST /api/session returns the role and a CSRF token, and sets the cookie."""
        browser = Browser(world.app)

        response = browser.client.post("/api/session",
                                       json={"username": "doc", "password": PASSWORD})

        assert (200, "clinician", True, True) == (
            response.status_code, response.json()["role"], bool(response.json()["csrf_token"]),
            "clepath_session" in response.headers["set-cookie"],
        )

    def test_wrong_password_is_401(self, world: World) -> None:
        """A wrong password gets 401 and no cookie."""
        response = Browser(world.app).client.post(
            "/api/session", json={"username": "doc", "password": "nope nope nope"})

        assert (401, None) == (response.status_code, response.headers.get("set-cookie"))

    def test_form_encoded_sign_in_is_not_accepted(self, world: World) -> None:
        """The API sign-in takes JSON only (a cross-site form cannot send it)."""
        response = Browser(world.app).client.post(
            "/api/session", data={"username": "doc", "password": PASSWORD})

        assert 422 == response.status_code

    def test_sign_out_by_api(self, doc: Browser) -> None:
        """DELETE /api/session with the token ends the session."""
        response = doc.api("DELETE", "/api/session")

        assert (204, 401) == (response.status_code, doc.get("/api/session").status_code)


class TestObservations:
    def test_each_kind_round_trips(self, world: World, doc: Browser) -> None:
        """A lab, finding, therapy, CLASI exam and diagnosis added by API come back listed."""
        base = f"/api/patients/{world.seed}"
        bodies = {
            "labs": {"test": "c3", "date": "2019-05-28", "value": 0.55, "unit": "g/L"},
            "findings": {"name": "oral_ulcers", "date": "2019-05-30"},
            "therapies": {"drug": "thalidomide", "dose": "50 mg", "frequency": "daily",
                          "start": "2019-06", "outcome": "ongoing"},
            "clasi": {"date": "2019-06-01", "regions": {"hands": {"erythema": 1}}},
            "cle": {"subtype": "SCLE_ANNULAR", "sites": ["chest"]},
        }
        statuses, found = [], []
        for kind, body in bodies.items():
            response = doc.api("POST", f"{base}/{kind}", body)
            statuses.append(response.status_code)
            listed = doc.get(f"{base}/{kind}").json()
            found.append(any(item["id"] == response.json()["id"] for item in listed))

        assert ([201] * 5, [True] * 5) == (statuses, found)

    def test_problems_are_listed_with_fields(self, world: World, doc: Browser) -> None:
        """An unknown key, a bad date and the fever's missing value are reported together."""
        response = doc.api("POST", f"/api/patients/{world.seed}/findings",
                           {"name": "fever", "date": "yesterday", "vaule": "38 Cel"})
        problems = {p["field"]: p for p in response.json()["problems"]}

        assert (422, {"date", "vaule", "value"}, ["value"]) == (
            response.status_code, set(problems), problems["vaule"]["suggestions"]
        )

    def test_clasi_list_carries_scores(self, world: World, doc: Browser) -> None:
        """GET .../clasi gives each exam's CLASI-A and band: 15 then 12 for demo-scle-0001."""
        exams = doc.get(f"/api/patients/{world.scle}/clasi").json()

        assert [(15, "moderate"), (12, "moderate")] == [
            (e["scores"]["activity"], e["scores"]["severity"]) for e in exams
        ]

    def test_replace_and_delete_a_course(self, world: World, doc: Browser) -> None:
        """PUT changes a course's outcome; DELETE removes it; a second DELETE is 404."""
        course = doc.get(f"/api/patients/{world.seed}/therapies").json()[0]
        path = f"/api/patients/{world.seed}/therapies/{course['id']}"

        put = doc.api("PUT", path, {**course["entry"], "outcome": "intolerant"})
        first, second = doc.api("DELETE", path), doc.api("DELETE", path)

        assert (200, "intolerant", 204, 404) == (
            put.status_code, put.json()["stored"]["outcome"], first.status_code,
            second.status_code,
        )

    def test_details_by_api(self, world: World, doc: Browser) -> None:
        """PUT .../details with 132 lb stores 59.87 kg."""
        response = doc.api("PUT", f"/api/patients/{world.seed}/details",
                           {"as_of": "2019-06-01", "patient": {"sex": "female", "age": 47,
                                                               "weight": "132 lb"}})

        assert 59.87 == round(response.json()["patient"]["weight_kg"], 2)


class TestOpenApi:
    def test_every_api_route_is_documented(self, world: World, anonymous: Browser) -> None:
        """Each /api/ route but the document itself appears in /api/openapi.json."""
        document = anonymous.get("/api/openapi.json").json()
        routes = {p for p, _ in api_routes(world.app.routes) if p.startswith("/api/")}

        assert set() == routes - set(document["paths"]) - {"/api/openapi.json"}

    def test_resources_of_the_issue_are_in_the_api(self, anonymous: Browser) -> None:
        """Patients, case import/export, assessments, CLASI, therapies, labs and IVIG plans."""
        paths = set(anonymous.get("/api/openapi.json").json()["paths"])

        assert {
            "/api/patients", "/api/cases", "/api/patients/{patient_id}/case",
            "/api/patients/{patient_id}/assessment", "/api/patients/{patient_id}/clasi",
            "/api/patients/{patient_id}/therapies", "/api/patients/{patient_id}/labs",
            "/api/patients/{patient_id}/ivig-plan",
        } <= paths
