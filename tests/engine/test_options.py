"""Next options: statuses, guideline stances, cautions and the general measures."""

from __future__ import annotations

import dataclasses
import datetime as dt

from clepath.domain.case import Case
from clepath.engine.glucocorticoids import review_glucocorticoids
from clepath.engine.options import (
    Option,
    OptionContext,
    general_measures,
    guideline_stances,
    propose_options,
)
from clepath.engine.refractory import assess_refractory
from clepath.engine.therapy import review_therapies
from clepath.knowledge.base import KnowledgeBase
from tests.engine._factory import context, course, example_1, example_2, with_therapies

SEED_CONTEXT = context(
    leukopenia=True, wbc_10e9_per_l=1.3, anti_ro_positive=True, sle_features=True
)
EXAMPLE2_CONTEXT = context(
    pregnant=False,
    leukopenia=False,
    wbc_10e9_per_l=3.6,
    anti_ro_positive=True,
    smoking="current",
    hcq_mg_per_kg=400 / (176 * 0.45359237),
    subtypes=("SCLE_ANNULAR",),
    sle_features=True,
)


def _options(
    case: Case,
    kb: KnowledgeBase,
    ctx: OptionContext,
    activity: int | None = None,
    baseline: int | None = None,
) -> dict[str, Option]:
    therapy = review_therapies(case, kb)
    refractory = assess_refractory(
        case, kb, therapy, review_glucocorticoids(case, kb), activity,
        case.as_of if activity is not None else None, baseline,
    )
    return {o.agent: o for o in propose_options(case, kb, therapy, refractory, ctx)}


def _codes(option: Option) -> set[str]:
    return {c.code for c in option.cautions}


class TestSeedCase:
    def test_failed_agents_are_never_offered_again(self, kb: KnowledgeBase) -> None:
        """Every agent the seed patient failed has status `failed`."""
        options = _options(example_1(), kb, SEED_CONTEXT)

        failed = {
            "hydroxychloroquine", "methotrexate", "dapsone", "mycophenolate mofetil",
            "azathioprine", "rituximab", "cyclophosphamide", "tacrolimus",
        }
        assert {a: "failed" for a in failed} == {a: options[a].status for a in failed}
        assert "ongoing" == options["apremilast"].status

    def test_ivig_is_not_recommended_with_its_stances(self, kb: KnowledgeBase) -> None:
        """IVIG is off-guideline: Kuhn 2017 (via Singh 2020) does not suggest it for CLE."""
        ivig = _options(example_1(), kb, SEED_CONTEXT)["intravenous immunoglobulin"]

        kuhn = ivig.stances[0]

        assert "not_recommended" == ivig.status
        assert ("not_recommended", "singh2020", "S") == (kuhn.stance, kuhn.source, kuhn.tag)
        assert "flares" in kuhn.wording and "Kuhn" in kuhn.guideline
        assert ["not_recommended", "not_addressed", "not_addressed"] == [
            s.stance for s in ivig.stances
        ]
        assert "Fairley 2020" in ivig.rationale and "conflicting" in ivig.rationale

    def test_ivig_cautions_carry_the_induced_cle_signal_and_flare_rate(
        self, kb: KnowledgeBase
    ) -> None:
        """IVIG's cautions give the IVIG-induced CLE signal and the 3 of 16 (18.8%) flare rate."""
        ivig = _options(example_1(), kb, SEED_CONTEXT)["intravenous immunoglobulin"]

        messages = {c.code: c.message for c in ivig.cautions}

        assert {"ivig_flare", "ivig_induced_cle", "ivig_vasculitis"} <= set(messages)
        assert "3 of 16 (18.8%)" in messages["ivig_flare"]
        assert "6 of 118" in messages["ivig_induced_cle"]

    def test_leukopenia_cautions(self, kb: KnowledgeBase) -> None:
        """Leukopenia (WBC 1.3) is a caution on lenalidomide and mycophenolic acid."""
        options = _options(example_1(), kb, SEED_CONTEXT)

        lenalidomide = options["lenalidomide"]

        assert "leukopenia" in _codes(lenalidomide)
        assert "leukopenia" in _codes(options["mycophenolic acid"])
        assert "leukopenia" not in _codes(options["anifrolumab"])
        assert any("1.3" in c.message for c in lenalidomide.cautions)

    def test_anti_ro_caution_on_rituximab(self, kb: KnowledgeBase) -> None:
        """Anti-Ro positivity is a caution on rituximab."""
        rituximab = _options(example_1(), kb, SEED_CONTEXT)["rituximab"]

        assert "anti_ro_rituximab" in _codes(rituximab)

    def test_refractory_opens_thalidomide_and_lenalidomide(self, kb: KnowledgeBase) -> None:
        """In refractory CLE, thalidomide and lenalidomide are to be considered."""
        options = _options(example_1(), kb, SEED_CONTEXT)

        assert ("consider", "consider") == (
            options["thalidomide"].status, options["lenalidomide"].status
        )

    def test_options_cite_their_sources(self, kb: KnowledgeBase) -> None:
        """Every option's sources carry a citation and the pack they come from."""
        options = _options(example_1(), kb, SEED_CONTEXT)

        assert all(s["citation"] and s["pack"] for o in options.values() for s in o.sources)
        assert "singh2020" in {s["id"] for s in options["intravenous immunoglobulin"].sources}


class TestExample2:
    def test_hcq_cautions(self, kb: KnowledgeBase) -> None:
        """Ongoing HCQ at 5.01 mg/kg in a smoker: above-maximum and smoking cautions."""
        hcq = _options(example_2(), kb, EXAMPLE2_CONTEXT, 12, 15)["hydroxychloroquine"]

        assert "ongoing" == hcq.status
        assert {"hcq_above_max", "smoking_antimalarial"} <= _codes(hcq)
        assert any("5.01 mg/kg" in c.message for c in hcq.cautions)

    def test_methotrexate_failed_and_chloroquine_not_combined(self, kb: KnowledgeBase) -> None:
        """MTX failed; chloroquine warns against combining with the current HCQ."""
        options = _options(example_2(), kb, EXAMPLE2_CONTEXT, 12, 15)

        assert "failed" == options["methotrexate"].status
        assert "no_combined_antimalarials" in _codes(options["chloroquine"])

    def test_scle_caution_on_rituximab(self, kb: KnowledgeBase) -> None:
        """In SCLE, rituximab carries the poor-response caution."""
        options = _options(example_2(), kb, EXAMPLE2_CONTEXT, 12, 15)

        assert "rituximab_chronic_cle" in _codes(options["rituximab"])


class TestPregnancy:
    def test_teratogens_are_contraindicated(self, kb: KnowledgeBase) -> None:
        """Pregnant: MTX, MMF, thalidomide, lenalidomide and acitretin are contraindicated."""
        case = with_therapies(example_2(), example_2().therapies[:2], pregnant=True)
        ctx = dataclasses.replace(EXAMPLE2_CONTEXT, pregnant=True)

        options = _options(case, kb, ctx, 12, 15)

        teratogens = [
            "methotrexate", "mycophenolate mofetil", "thalidomide", "lenalidomide", "acitretin"
        ]
        assert ["contraindicated"] * 5 == [options[a].status for a in teratogens]
        assert all("pregnancy_teratogen" in _codes(options[a]) for a in teratogens)
        assert "ongoing" == options["hydroxychloroquine"].status

    def test_pregnancy_not_recorded_is_an_info_caution(self, kb: KnowledgeBase) -> None:
        """With pregnancy status unknown, a teratogen keeps its status with an info caution."""
        options = _options(example_1(), kb, SEED_CONTEXT)

        caution = next(c for c in options["acitretin"].cautions if c.code ==
                       "pregnancy_not_recorded")

        assert ("consider", "info") == (options["acitretin"].status, caution.severity)


class TestGates:
    def test_not_refractory_reserves_thalidomide(self, kb: KnowledgeBase) -> None:
        """Without refractory disease, thalidomide and lenalidomide are not recommended."""
        case = with_therapies(
            example_2(), [course("hydroxychloroquine", dose_mg=200, frequency="daily",
                                 start="2023-10-27")]
        )

        options = _options(case, kb, EXAMPLE2_CONTEXT, 4, 12)

        assert ("not_recommended", "not_recommended") == (
            options["thalidomide"].status, options["lenalidomide"].status
        )
        assert "recommended" == options["topical corticosteroid"].status

    def test_biologics_need_sle_features(self, kb: KnowledgeBase) -> None:
        """Without SLE features, anifrolumab and belimumab are off-label (not recommended)."""
        ctx = dataclasses.replace(EXAMPLE2_CONTEXT, sle_features=False)

        options = _options(example_2(), kb, ctx, 12, 15)

        assert "not_recommended" == options["anifrolumab"].status
        assert "biologic_without_sle" in _codes(options["belimumab"])

    def test_low_egfr(self, kb: KnowledgeBase) -> None:
        """eGFR 25: methotrexate contraindicated, HCQ dose reduction advised."""
        case = with_therapies(example_2(), example_2().therapies[:2])
        ctx = dataclasses.replace(EXAMPLE2_CONTEXT, egfr=25.0)

        options = _options(case, kb, ctx, 12, 15)

        assert "contraindicated" == options["methotrexate"].status
        assert {"hcq_renal_dose", "antimalarial_retina_renal"} <= _codes(
            options["hydroxychloroquine"]
        )

    def test_profundus_caution_on_lenalidomide(self, kb: KnowledgeBase) -> None:
        """Lupus profundus did not respond to lenalidomide: an info caution."""
        ctx = dataclasses.replace(EXAMPLE2_CONTEXT, subtypes=("LUPUS_PANNICULITIS_PROFUNDUS",))

        options = _options(example_2(), kb, ctx, 12, 15)

        assert "profundus_nonresponse" in _codes(options["lenalidomide"])


class TestGuidelineStances:
    def test_hcq_stances(self, kb: KnowledgeBase) -> None:
        """HCQ is first line and recommended by Kuhn 2017, EULAR 2023 (1a/A) and ACR 2025."""
        stances = guideline_stances(kb, "hydroxychloroquine")

        assert [("recommended", "first")] * 4 == [(s.stance, s.line) for s in stances]
        assert stances[0].wording.startswith("We recommend antimalarials")

    def test_unknown_agent_has_no_stances(self, kb: KnowledgeBase) -> None:
        """An agent without a drug row has no stances."""
        assert () == guideline_stances(kb, "omeprazole")


class TestGeneralMeasures:
    def test_three_measures_every_time(self, kb: KnowledgeBase) -> None:
        """Sun protection, smoking cessation and the drug-trigger review are always given."""
        case = example_1()

        measures = general_measures(case, kb, review_therapies(case, kb))

        assert ["sun_protection", "smoking_cessation", "drug_trigger_review"] == [
            m.id for m in measures
        ]
        assert measures[1].text.startswith("Smoking status not recorded")
        assert measures[2].text.startswith("No recorded current drug")

    def test_current_smoker(self, kb: KnowledgeBase) -> None:
        """A current smoker is advised to stop, citing the OR 0.53 for antimalarial response."""
        case = example_2()

        smoking = general_measures(case, kb, review_therapies(case, kb))[1]

        assert "Current smoker" in smoking.text and "0.53" in smoking.text
        assert {"chasset2015"} <= {s["id"] for s in smoking.sources}

    def test_current_trigger_drug_is_flagged(self, kb: KnowledgeBase) -> None:
        """Current omeprazole and IVIG are named as CLE triggers; a stopped thiazide is not."""
        case = with_therapies(
            example_2(),
            [
                course("omeprazole", start="2023-01-01"),
                course("intravenous immunoglobulin", start="2024-02-01"),
                course("hydrochlorothiazide", "stopped", start="2020-01-01", stop="2021-01-01"),
            ],
        )

        review = general_measures(case, kb, review_therapies(case, kb))[2]

        assert "omeprazole (proton-pump inhibitors)" in review.text
        assert "intravenous immunoglobulin" in review.text.lower()
        assert "hydrochlorothiazide" not in review.text
        assert {"michaelis2017", "adrichem2017"} <= {s["id"] for s in review.sources}

    def test_case_date_independent(self, kb: KnowledgeBase) -> None:
        """A trigger drug started after as_of is not flagged."""
        case = with_therapies(example_2(), [course("terbinafine", start="2024-04-01")])
        case = dataclasses.replace(case, as_of=dt.date(2024, 3, 15))

        review = general_measures(case, kb, review_therapies(case, kb))[2]

        assert review.text.startswith("No recorded current drug")


class TestStanceTypes:
    def test_stance_is_returned_for_planner(self, kb: KnowledgeBase) -> None:
        """The IVIG planner gets the three IVIG stances: Kuhn 2017, EULAR 2023, ACR 2025."""
        stances = guideline_stances(kb, "intravenous immunoglobulin")

        assert ["singh2020", "eular2023", "acr2025"] == [s.source for s in stances]
