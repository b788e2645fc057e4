"""CLE classification: classes and codes of every subtype (instruments.md section 5)."""

from __future__ import annotations

import pytest

from clepath.errors import CaseError
from clepath.knowledge.loader import load_knowledge
from clepath.knowledge.models.classification import CleSubtype, CodedConcept
from clepath.scores import classification
from tests.scores._factory_clasi import case

KB = load_knowledge()

# id: (Gilliam group, Duesseldorf class, ICD-10 codes, SNOMED CT codes)
EXPECTED: dict[str, tuple[str, str | None, tuple[str, ...], tuple[str, ...]]] = {
    "ACLE_LOCALIZED": ("ACLE", "ACLE", ("M32.9",), ("95332009",)),
    "ACLE_GENERALIZED": ("ACLE", "ACLE", ("M32.9",), ("95332009",)),
    "SCLE_ANNULAR": ("SCLE", "SCLE", ("L93.1",), ("239891002",)),
    "SCLE_PAPULOSQUAMOUS": ("SCLE", "SCLE", ("L93.1",), ("239891002",)),
    "SCLE_DRUG_INDUCED": ("SCLE", "SCLE", ("L93.1",), ("239891002",)),
    "DLE_LOCALIZED": ("CCLE", "CCLE", ("L93.0",), ("200938002", "238927000")),
    "DLE_GENERALIZED": ("CCLE", "CCLE", ("L93.0",), ("403502003", "200938002")),
    "DLE_HYPERTROPHIC_VERRUCOUS": ("CCLE", "CCLE", ("L93.0",), ("200938002",)),
    "LUPUS_PANNICULITIS_PROFUNDUS": ("CCLE", "CCLE", ("L93.2",), ("15084002", "239888002")),
    "DLE_MUCOSAL": ("CCLE", "CCLE", ("L93.0",), ("200938002",)),
    "LE_TUMIDUS": ("CCLE", "ICLE", ("L93.2",), ("200941006",)),
    "CHILBLAIN_LE": ("CCLE", "CCLE", ("L93.2",), ("238928005",)),
    "LICHENOID_DLE_LP_OVERLAP": ("CCLE", None, ("L93.0",), ("200938002",)),
    "unspecified": ("unspecified", None, ("L93",), ("7119001",)),
}

# Codes that are coding conventions ([U] in instruments.md 5.2), by subtype.
UNCONFIRMED: dict[str, set[str]] = {
    "ACLE_LOCALIZED": {"M32.9"},
    "ACLE_GENERALIZED": {"M32.9"},
    "SCLE_DRUG_INDUCED": {"L93.1", "239891002"},
    "DLE_HYPERTROPHIC_VERRUCOUS": {"L93.0", "200938002"},
    "DLE_MUCOSAL": {"L93.0", "200938002"},
    "LE_TUMIDUS": {"L93.2"},
    "CHILBLAIN_LE": {"L93.2"},
    "LICHENOID_DLE_LP_OVERLAP": {"L93.0", "200938002"},
}

DISPLAYS = {
    "L93": "Lupus erythematosus",
    "L93.0": "Discoid lupus erythematosus",
    "L93.1": "Subacute cutaneous lupus erythematosus",
    "L93.2": "Other local lupus erythematosus",
    "M32.9": "Systemic lupus erythematosus, unspecified",
    "7119001": "Cutaneous lupus erythematosus (disorder)",
    "95332009": "Rash of systemic lupus erythematosus (disorder)",
    "200938002": "Discoid lupus erythematosus (disorder)",
    "238927000": "Chronic discoid lupus erythematosus (disorder)",
    "403502003": "Disseminated discoid lupus erythematosus (disorder)",
    "239891002": "Subacute cutaneous lupus erythematosus (disorder)",
    "15084002": "Lupus erythematosus profundus (disorder)",
    "239888002": "Lupus panniculitis (disorder)",
    "200941006": "Lupus erythematosus tumidus (disorder)",
    "238928005": "Chilblain lupus erythematosus (disorder)",
}


class TestSubtypes:
    """Every subtype of instruments.md 5.1 with its classes and codes."""

    def test_exactly_the_program_enum(self) -> None:
        """The pack holds the 13 program enum ids of 5.1 plus `unspecified`, nothing else."""
        ids = {row.id for row in KB.table("classification", "subtypes", CleSubtype)}

        assert set(EXPECTED) == ids

    @pytest.mark.parametrize("subtype_id", sorted(EXPECTED))
    def test_classes_and_codes(self, subtype_id: str) -> None:
        """The subtype's Gilliam group, Duesseldorf class, ICD-10 and SNOMED CT codes are as 5.2."""
        info = classification.subtype(KB, subtype_id)

        assert EXPECTED[subtype_id] == (
            info.gilliam_group,
            info.dusseldorf_class,
            tuple(c.code for c in info.icd10),
            tuple(c.code for c in info.snomed_ct),
        )

    @pytest.mark.parametrize("subtype_id", sorted(EXPECTED))
    def test_unconfirmed_codes_are_flagged(self, subtype_id: str) -> None:
        """Exactly the conventional codes of the subtype come back `unconfirmed`."""
        info = classification.subtype(KB, subtype_id)

        flagged = {c.code for c in (*info.icd10, *info.snomed_ct) if c.unconfirmed}

        assert UNCONFIRMED.get(subtype_id, set()) == flagged

    @pytest.mark.parametrize("subtype_id", sorted(EXPECTED))
    def test_displays(self, subtype_id: str) -> None:
        """Each code carries its official title (ICD-10) or fully specified name (SNOMED CT)."""
        info = classification.subtype(KB, subtype_id)

        for code in (*info.icd10, *info.snomed_ct):
            assert DISPLAYS[code.code] == code.display

    def test_systems(self) -> None:
        """ICD-10 and SNOMED CT codes are labelled with their coding system."""
        info = classification.subtype(KB, "DLE_LOCALIZED")

        assert ({"ICD-10"}, {"SNOMED CT"}) == (
            {c.system for c in info.icd10},
            {c.system for c in info.snomed_ct},
        )

    def test_tumidus_is_its_own_dusseldorf_class(self) -> None:
        """LE tumidus is CCLE for Gilliam but intermittent CLE (ICLE) in Duesseldorf."""
        info = classification.subtype(KB, "LE_TUMIDUS")

        assert ("CCLE", "ICLE") == (info.gilliam_group, info.dusseldorf_class)

    def test_output_names_its_pack_and_sources(self) -> None:
        """A subtype names the pack version and sources it came from, and they resolve."""
        info = classification.subtype(KB, "SCLE_ANNULAR")

        cited = KB.cite("classification", info.sources)

        assert info.pack == "classification@1.0.0"
        assert {"klein2010", "kuhn2014"} <= {c["id"] for c in cited}


class TestLupusProfundusCode:
    """SNOMED CT 77753005 is 'Lupus disease of the lung', not LE profundus."""

    def test_not_used_for_profundus(self) -> None:
        """LE profundus is coded 15084002 / 239888002, never 77753005."""
        info = classification.subtype(KB, "LUPUS_PANNICULITIS_PROFUNDUS")

        assert "77753005" not in {c.code for c in info.snomed_ct}

    def test_not_used_by_any_subtype(self) -> None:
        """No CLE subtype is coded with the lung concept."""
        for subtype_id in EXPECTED:
            info = classification.subtype(KB, subtype_id)
            assert "77753005" not in {c.code for c in info.snomed_ct}

    def test_warning_is_a_note(self) -> None:
        """The profundus subtype carries the mix-up warning as a note."""
        notes = " ".join(classification.subtype(KB, "LUPUS_PANNICULITIS_PROFUNDUS").notes)

        assert "77753005" in notes and "lung" in notes

    def test_listed_as_a_mix_up(self) -> None:
        """The pack lists 77753005 as a code to avoid for profundus, titled as lung disease."""
        rows = {r.id: r for r in KB.table("classification", "subtypes", CleSubtype)}

        avoided = {r.code: r.display for r in rows["LUPUS_PANNICULITIS_PROFUNDUS"].avoid_snomed_ct}

        assert {"77753005": "Lupus disease of the lung (disorder)"} == avoided

    def test_drug_induced_sle_is_m32_0(self) -> None:
        """M32.0 is drug-induced SLE, the concept with SNOMED CT 201436003."""
        rows = {r.id: r for r in KB.table("classification", "concepts", CodedConcept)}

        concept = rows["drug_induced_sle"]

        assert (("M32.0",), ("201436003",)) == (
            tuple(c.code for c in concept.icd10),
            tuple(c.code for c in concept.snomed_ct),
        )


class TestVocabulary:
    """Subtype names a clinician writes resolve only when they are unambiguous."""

    @pytest.mark.parametrize(
        ("term", "subtype_id"),
        [
            ("annular SCLE", "SCLE_ANNULAR"),
            ("lupus profundus", "LUPUS_PANNICULITIS_PROFUNDUS"),
            ("Lupus panniculitis", "LUPUS_PANNICULITIS_PROFUNDUS"),
            ("LE tumidus", "LE_TUMIDUS"),
            ("ICLE", "LE_TUMIDUS"),
            ("generalized DLE", "DLE_GENERALIZED"),
            ("drug-induced SCLE", "SCLE_DRUG_INDUCED"),
            ("scle_annular", "SCLE_ANNULAR"),
            ("CLE", "unspecified"),
        ],
    )
    def test_resolves(self, term: str, subtype_id: str) -> None:
        """A specific name resolves to its subtype, whatever its case and separators."""
        assert subtype_id == KB.vocabulary("cle_subtype").resolve(term)

    @pytest.mark.parametrize(
        "term", ["SCLE", "DLE", "discoid lupus", "ACLE", "CCLE", "lupus pernio"]
    )
    def test_ambiguous_or_wrong_names_do_not_resolve(self, term: str) -> None:
        """A name covering several subtypes, or another disease, is not guessed."""
        assert KB.vocabulary("cle_subtype").resolve(term) is None

    def test_lookup_by_synonym(self) -> None:
        """`subtype` accepts a synonym as well as the canonical id."""
        assert "LE_TUMIDUS" == classification.subtype(KB, "tumid lupus").id


class TestClassify:
    """Classification of a whole case."""

    def test_one_result_per_entry_in_order(self) -> None:
        """Each CLE entry of the case gets its subtype's information, in the case's order."""
        infos = classification.classify(
            case(subtypes=("DLE_LOCALIZED", "SCLE_ANNULAR", "unspecified")), KB
        )

        assert ("DLE_LOCALIZED", "SCLE_ANNULAR", "unspecified") == tuple(i.id for i in infos)

    def test_no_entries(self) -> None:
        """A case without CLE entries classifies to nothing."""
        assert () == classification.classify(case(), KB)

    def test_unknown_subtype_names_the_entry(self) -> None:
        """An unknown subtype raises a CaseError naming the entry and listing known subtypes."""
        with pytest.raises(CaseError) as caught:
            classification.classify(case(subtypes=("SCLE_ANNULAR", "ROSACEA")), KB)

        problem = caught.value.problems[0]
        assert ("cle[1].subtype", "ROSACEA") == (problem.field, problem.value)
        assert "SCLE_ANNULAR" in problem.accepted
