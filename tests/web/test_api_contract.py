"""The JSON API keeps its OpenAPI contract: schemathesis sends schema-driven requests to every
operation as a signed-in admin (bounded and derandomised) and checks for no server error, no
undocumented status, content type or response body outside the schema.

Case-file bodies may be refused with 422 although schema-valid (their rules are clinical).
The CDS Hooks endpoints follow their own specification and JWT authentication (tests/cds);
`DELETE /api/session` would sign the test out, so both are left out here."""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.web.conftest import Browser, World

# 8 per operation keeps `make test` short; CLEPATH_CONTRACT_EXAMPLES=200 for a longer run.
_EXAMPLES = int(os.environ.get("CLEPATH_CONTRACT_EXAMPLES", "8"))
_SKIP_PATH = "^/cds-services"
# A case file's validity is clinical (dates, units, codes), beyond what a JSON Schema can say:
# for these bodies a schema-valid case may rightly be refused with 422 problem details.
_SEMANTIC_BODIES = {"/api/cases", "/api/patients/{patient_id}/case"}


def _operations(world: World) -> list[Any]:
    loaded = schemathesis.openapi.from_asgi("/api/openapi.json", world.app)
    kept = loaded.exclude(path_regex=_SKIP_PATH).exclude(method="DELETE", path="/api/session")
    return [result.ok() for result in kept.get_all_operations()]


def test_api_keeps_its_contract(world: World) -> None:
    """Every operation answers schema-valid requests without a server error, with a
    documented status, content type and body (8 derandomised examples per operation)."""
    admin = Browser(world.app).sign_in("admin")
    cookies = dict(admin.client.cookies)
    headers = {"X-CSRF-Token": admin.csrf}
    failures: list[str] = []
    operations = _operations(world)
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=_EXAMPLES, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.generate])
        def check(case: Any) -> None:
            excluded = [positive_data_acceptance] if case.path in _SEMANTIC_BODIES else []
            case.call_and_validate(cookies=cookies, headers=headers, excluded_checks=excluded)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every failure
            failures.append(f"{operation.label}: {str(exc)[:600]}")

    assert len(operations) > 30
    assert not failures, "\n\n".join(failures)


class TestEdges:
    def test_huge_ids_and_paging_are_refused_as_problems(self, world: World) -> None:
        """Integers of 2**31 (PostgreSQL INTEGER) and beyond in a path id, or huge
        `limit`/`offset`, get 422 problem details naming the parameter, never a 500."""
        admin = Browser(world.app).sign_in("admin")
        answers = [admin.get(path) for path in (
            f"/api/patients/{2**63}", f"/api/patients/{2**31}", f"/api/patients/{10**40}/labs",
            f"/api/patients?limit={2**63}", f"/api/audit?offset={2**64}",
        )]

        assert [422] * 5 == [a.status_code for a in answers]
        assert {"application/problem+json"} == {a.headers["content-type"] for a in answers}
        assert "patient_id" == answers[0].json()["problems"][0]["field"]

    def test_wrong_method_names_the_allowed_ones(self, world: World) -> None:
        """A PATCH on the health check is 405 with an `Allow` header listing GET."""
        answer = Browser(world.app).client.patch("/api/health")

        assert (405, "GET") == (answer.status_code, answer.headers.get("allow"))
        assert 405 == answer.json()["status"]

    def test_anonymous_large_body_is_refused_before_reading(self, world: World) -> None:
        """An anonymous 50 MB sign-in is refused with 413 from its Content-Length alone."""
        anonymous = Browser(world.app).client
        answer = anonymous.post("/api/session", content=b"x" * (50 * 1024 * 1024),
                                headers={"content-type": "application/json"})

        assert (413, "Content Too Large") == (answer.status_code, answer.json()["title"])

    def test_limits_grow_with_trust(self) -> None:
        """Anonymous 16 KiB < signed-in 2 MiB < case-file import 16 MiB."""
        from clepath.web.limits import limit_for

        cookie = [(b"cookie", b"clepath_session=abc")]

        assert [16 * 1024, 2 * 1024 * 1024, 16 * 1024 * 1024] == [
            limit_for({"path": "/api/patients", "headers": []}),
            limit_for({"path": "/api/patients/1/labs", "headers": cookie}),
            limit_for({"path": "/api/cases", "headers": cookie}),
        ]

    def test_openapi_declares_security_and_the_problem_shape(self, world: World) -> None:
        """The document declares the session cookie and CSRF header schemes; sign-in needs
        neither; every operation documents problem details as its default response."""
        document = Browser(world.app).client.get("/api/openapi.json").json()
        schemes = document["components"]["securitySchemes"]
        operations = [op for path in document["paths"].values() for op in path.values()]

        assert ("cookie", "header") == (schemes["session"]["in"], schemes["csrf"]["in"])
        assert [] == document["paths"]["/api/session"]["post"]["security"]
        assert all("default" in op["responses"] for op in operations)
