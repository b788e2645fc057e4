"""The clinical facts the assessment must state for the two case-format examples."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

from clepath.casefile import load_case
from clepath.engine.assess import Assessment, assess
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.loader import load_knowledge
from clepath.report.assessment_json import assessment_to_json
from tests.conftest import SCLE_CASE, SEED_CASE

SCHEMA = json.loads(
    resources.files("clepath.schemas").joinpath("assessment.schema.json").read_text()
)


@pytest.fixture(scope="module")
def seed(kb: KnowledgeBase) -> Assessment:
    return assess(load_case(SEED_CASE, kb), kb)


@pytest.fixture(scope="module")
def scle(kb: KnowledgeBase) -> Assessment:
    return assess(load_case(SCLE_CASE, kb), kb)


def _option(a: Assessment, agent: str):  # type: ignore[no-untyped-def]
    return next(o for o in a.options if o.agent == agent)


class TestSeedCase:
    def test_sledai_2k_is_7(self, seed: Assessment) -> None:
        """Rash 2 + low C4 2 + anti-dsDNA 2 + leukopenia 1 = 7 (joint pain does not score)."""
        assert (7, 10) == (seed.sledai.score, seed.sledai.window_days)

    def test_prednisone_equivalent_is_15(self, seed: Assessment) -> None:
        """Deflazacort 18 mg at 1.2:1 is prednisone 15 mg/day, above both targets."""
        g = seed.glucocorticoids

        assert pytest.approx(15.0) == g.prednisone_equivalent_mg_per_day
        assert g.above_target is True

    def test_eular_acr_entry_unknown_with_points(self, seed: Assessment) -> None:
        """No ANA: entry criterion unknown, classification unknown, 12 points would count."""
        e = seed.eular_acr

        assert (None, None, 12) == (e.entry_criterion, e.classified, e.total)

    def test_refractory_with_adequacy_undocumented(self, seed: Assessment) -> None:
        """Refractory; the undated failures count as reported, adequacy undocumented."""
        hcq = next(c for c in seed.therapy.courses if c.drug == "hydroxychloroquine")

        assert seed.refractory.status is True
        assert "undocumented" == hcq.adequacy

    def test_ivig_shown_off_guideline_with_its_stance(self, seed: Assessment) -> None:
        """IVIG is not recommended by the S2k guideline, with sources."""
        ivig = _option(seed, "intravenous immunoglobulin")

        assert "not_recommended" == ivig.status
        assert ivig.stances and ivig.sources

    def test_failed_agents_are_not_offered_again(self, seed: Assessment) -> None:
        """Every drug the seed patient failed is listed as failed."""
        failed = {o.agent for o in seed.options if o.status == "failed"}

        assert {
            "hydroxychloroquine", "azathioprine", "methotrexate", "dapsone",
            "cyclophosphamide", "mycophenolate mofetil", "rituximab",
        } <= failed

    def test_leukopenia_alert(self, seed: Assessment) -> None:
        """1.3 x10^9/L raises the leukopenia and steroid alerts."""
        codes = {a.code for a in seed.alerts}

        assert {"leukopenia", "glucocorticoid_above_target"} <= codes

    def test_general_measures_in_every_assessment(self, seed: Assessment) -> None:
        """Sun protection, smoking cessation and drug triggers are always part of it."""
        text = " ".join(f"{m.id} {m.label}".lower() for m in seed.measures)

        assert "sun" in text and "smok" in text and "trigger" in text


class TestScleCase:
    def test_clasi_change(self, scle: Assessment) -> None:
        """CLASI-A 12 vs 15: >=20 % yes, >=4 points no, CLASI-50 no; CLASI-D 1."""
        assert scle.clasi is not None and scle.clasi.change is not None
        c = scle.clasi.change

        assert (12, 1) == (scle.clasi.latest.activity, scle.clasi.latest.damage)
        assert (15, 3) == (c.baseline_activity, c.points)
        assert (False, True, False) == (c.meaningful_4_points, c.meaningful_20_percent, c.clasi_50)

    def test_sledai_and_eular(self, scle: Assessment) -> None:
        """SLEDAI-2K 12; EULAR/ACR 22 and classified."""
        assert 12 == scle.sledai.score
        assert (True, 22, True) == (
            scle.eular_acr.entry_criterion,
            scle.eular_acr.total,
            scle.eular_acr.classified,
        )

    def test_refractory(self, scle: Assessment) -> None:
        """Refractory: CLASI-A 12 after more than 12 weeks of hydroxychloroquine."""
        assert scle.refractory.status is True

    def test_hcq_and_smoking_flagged(self, scle: Assessment) -> None:
        """400 mg of HCQ at 79.83 kg is 5.01 mg/kg; the patient smokes."""
        codes = {a.code for a in scle.alerts}

        assert {"hcq_dose_above_5_mg_per_kg", "smoking", "glucocorticoid_above_target"} <= codes

    def test_egfr_from_creatinine(self, scle: Assessment) -> None:
        """Creatinine 68 umol/L, woman of 42: CKD-EPI 2021 eGFR about 99."""
        assert scle.egfr is not None
        assert pytest.approx(98.8, abs=0.5) == scle.egfr.value


class TestJson:
    @pytest.mark.parametrize("path", [SEED_CASE, SCLE_CASE], ids=["seed", "scle"])
    def test_json_matches_the_schema(self, kb: KnowledgeBase, path) -> None:  # type: ignore[no-untyped-def]
        """The --json object validates against the published JSON Schema."""
        document = assessment_to_json(assess(load_case(path, kb), kb))

        jsonschema.validate(document, SCHEMA)

    def test_json_states_knowledge_versions(self, kb: KnowledgeBase) -> None:
        """Every output states the pack versions that produced it."""
        document = assessment_to_json(assess(load_case(SEED_CASE, kb), kb))

        assert kb.versions() == document["knowledge"]

    def test_seed_json_facts(self, kb: KnowledgeBase) -> None:
        """The JSON carries the seed's facts in the documented places."""
        d = assessment_to_json(assess(load_case(SEED_CASE, kb), kb))

        assert 7 == d["scores"]["sledai_2k"]["score"]
        assert d["scores"]["clasi"] is None
        assert d["scores"]["eular_acr_2019"]["entry_criterion"] is None
        assert 15 == d["glucocorticoids"]["prednisone_equivalent_mg_per_day"]
        assert d["refractory"]["status"] is True

    def test_deflazacort_ratio_is_configurable(self) -> None:
        """At 1.5:1 the seed's 18 mg deflazacort is 12 mg prednisone."""
        kb = load_knowledge({"glucocorticoids.deflazacort_ratio": 1.5})

        a = assess(load_case(SEED_CASE, kb), kb)

        assert pytest.approx(12.0) == a.glucocorticoids.prednisone_equivalent_mg_per_day


class TestSafetyAlerts:
    def test_methotrexate_in_pregnancy_is_critical(self, kb: KnowledgeBase) -> None:
        """A pregnant patient on methotrexate gets the critical teratogen alert."""
        import dataclasses

        case = load_case(SCLE_CASE, kb)
        patient = dataclasses.replace(case.patient, pregnant=True)
        therapies = tuple(
            dataclasses.replace(t, outcome="ongoing", stop=None)
            if t.drug == "methotrexate"
            else t
            for t in case.therapies
        )

        a = assess(dataclasses.replace(case, patient=patient, therapies=therapies), kb)

        critical = [x for x in a.alerts if x.code == "teratogen_in_pregnancy"]
        assert critical and "critical" == critical[0].severity and a.alerts[0] == critical[0]

    def test_current_trigger_drug_is_flagged(self, kb: KnowledgeBase) -> None:
        """A current PPI is flagged as a reported CLE trigger."""
        import dataclasses

        from clepath.domain.case import TherapyCourse
        from clepath.domain.dates import PartialDate

        case = load_case(SCLE_CASE, kb)
        ppi = kb.vocabulary("drug").resolve("omeprazole")
        assert ppi is not None
        course = TherapyCourse(drug=ppi, start=PartialDate(2023, 1, 1), outcome="ongoing")

        a = assess(dataclasses.replace(case, therapies=(*case.therapies, course)), kb)

        assert "drug_trigger_current" in {x.code for x in a.alerts}


class TestSingleClasiExam:
    def test_one_exam_is_no_baseline_for_the_composite(self, kb: KnowledgeBase) -> None:
        """With one CLASI-A of 4 and no earlier exam, composite (c) cannot be met."""
        import dataclasses
        import datetime as dt

        from clepath.domain.case import ClasiExam, ClasiRegionScore

        case = load_case(SEED_CASE, kb)
        exam = ClasiExam(
            date=dt.date(2019, 6, 1),
            regions=(("hands", ClasiRegionScore(erythema=2, scale=2)),),
        )

        a = assess(dataclasses.replace(case, clasi=(exam,)), kb)

        composite = next(d for d in a.refractory.definitions if "composite" in d.id)
        assert composite.met is not True
        assert not any("0% fall" in r for r in composite.reasons)
