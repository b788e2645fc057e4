"""Exports readable by other systems: LOINC chosen by the unit's property, a generated
narrative on every resource, and the local definitions published and valid R4B."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from clepath.casefile import load_case
from clepath.domain.case import LabResult
from clepath.fhir.definitions import definitions
from clepath.fhir.export import case_to_bundle
from clepath.fhir.validate import r4b_errors
from clepath.knowledge.base import KnowledgeBase
from tests.conftest import SCLE_CASE, SEED_CASE
from tests.fhir.factory import AS_OF, small_case

DEFINITIONS = Path(__file__).resolve().parents[2] / "docs" / "fhir-definitions"
_LOCAL = re.compile(r"https://clepath\.org/fhir/(CodeSystem|StructureDefinition)/[a-z0-9-]+")


def _creatinine_code(kb: KnowledgeBase, value: float, unit: str) -> list[str]:
    case = small_case(labs=(LabResult("creatinine", AS_OF, value=value, unit=unit),))
    bundle = case_to_bundle(case, kb, include_scores=False).bundle
    [obs] = [e["resource"] for e in bundle["entry"]
             if "creatinine" in json.dumps(e["resource"].get("code"))]
    return [c["code"] for c in obs["code"]["coding"] if c["system"] == "http://loinc.org"]


class TestLoincByProperty:
    def test_creatinine_in_umol_per_l_is_substance_concentration(self, kb: KnowledgeBase
                                                                  ) -> None:
        """Creatinine 68 umol/L is sent as LOINC 14682-9 (moles/volume), not 2160-0."""
        assert ["14682-9"] == _creatinine_code(kb, 68.0, "umol/L")

    def test_creatinine_in_mg_per_dl_is_mass_concentration(self, kb: KnowledgeBase) -> None:
        """Creatinine 0.9 mg/dL is sent as LOINC 2160-0 (mass/volume)."""
        assert ["2160-0"] == _creatinine_code(kb, 0.9, "mg/dL")

    def test_import_reads_both_creatinine_codes(self, kb: KnowledgeBase) -> None:
        """An exported 14682-9 creatinine comes back as creatinine 68 umol/L."""
        from clepath.fhir.importer import bundle_to_case_data

        case = small_case(labs=(LabResult("creatinine", AS_OF, value=68.0, unit="umol/L"),))
        bundle = case_to_bundle(case, kb, include_scores=False).bundle
        for entry in bundle["entry"]:  # keep only the LOINC coding, as another system would
            code = entry["resource"].get("code")
            if isinstance(code, dict) and "14682-9" in json.dumps(code):
                code["coding"] = [c for c in code["coding"] if c["code"] == "14682-9"]
        labs = bundle_to_case_data(bundle, kb, as_of=AS_OF).data["labs"]

        assert {"test": "creatinine", "value": 68.0, "unit": "umol/L"}.items() <= next(
            lab for lab in labs if lab["test"] == "creatinine").items()


@pytest.fixture(scope="module")
def bundle(kb: KnowledgeBase) -> dict[str, Any]:
    """Example 2 exported with its scores and plan."""
    return case_to_bundle(load_case(SCLE_CASE, kb), kb).bundle


class TestNarrative:
    def test_every_resource_has_a_generated_narrative(self, bundle: dict[str, Any]) -> None:
        """Every exported resource carries text.status generated and an XHTML div."""
        texts = [e["resource"].get("text") or {} for e in bundle["entry"]]

        assert all(t.get("status") == "generated" for t in texts)
        assert all(t["div"].startswith('<div xmlns="http://www.w3.org/1999/xhtml">')
                   for t in texts)

    def test_narrative_states_the_value_and_unit(self, bundle: dict[str, Any]) -> None:
        """The creatinine narrative reads 'Serum creatinine = 68 µmol/L' (µmol/L, not umol/L)."""
        divs = [e["resource"]["text"]["div"] for e in bundle["entry"]]

        assert any("<p>Observation: Serum creatinine = 68 µmol/L</p>" in d for d in divs)

    def test_export_is_valid_r4b(self, bundle: dict[str, Any]) -> None:
        """The Bundle with narratives passes the fhir.resources R4B models."""
        assert [] == r4b_errors(bundle)


class TestDefinitions:
    def test_definitions_are_valid_r4b(self, kb: KnowledgeBase) -> None:
        """Each CodeSystem and StructureDefinition passes the fhir.resources R4B models."""
        problems = [str(p) for r in definitions(kb) for p in r4b_errors(r)]

        assert [] == problems

    def test_every_local_url_used_is_defined(self, kb: KnowledgeBase) -> None:
        """Every local CodeSystem and extension URL the two examples' exports use is defined."""
        defined = {r["url"] for r in definitions(kb)}
        used: set[str] = set()
        for path in (SCLE_CASE, SEED_CASE):
            text = json.dumps(case_to_bundle(load_case(path, kb), kb).bundle)
            used |= {m.group(0) for m in _LOCAL.finditer(text)}

        assert set() == used - defined
        assert len(used) >= 15

    def test_drug_code_system_lists_hydroxychloroquine(self, kb: KnowledgeBase) -> None:
        """The drug CodeSystem is complete and holds hydroxychloroquine."""
        drug = next(r for r in definitions(kb) if r["id"] == "clepath-drug")

        assert "complete" == drug["content"]
        assert "hydroxychloroquine" in {c["code"] for c in drug["concept"]}

    def test_published_files_match_the_definitions(self, kb: KnowledgeBase) -> None:
        """docs/fhir-definitions holds one file per definition (regenerate with
        `clepath fhir definitions -o docs/fhir-definitions`)."""
        files = {json.loads(p.read_text())["url"] for p in DEFINITIONS.glob("*.json")}

        assert {r["url"] for r in definitions(kb)} == files

    def test_cli_writes_27_definitions(self, tmp_path: Path) -> None:
        """`clepath fhir definitions -o DIR` writes 21 CodeSystems and 6 extensions."""
        run = subprocess.run([sys.executable, "-m", "clepath.cli.main", "fhir", "definitions",
                              "-o", str(tmp_path)], capture_output=True, text=True, check=False)

        assert 0 == run.returncode, run.stderr
        names = sorted(p.name.split("-")[0] for p in tmp_path.glob("*.json"))
        assert (21, 6) == (names.count("CodeSystem"), names.count("StructureDefinition"))


