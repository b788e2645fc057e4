"""Each card rule of CDS Hooks 2.0 is checked, and the builder keeps them."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from clepath.fhir.cds.cards import card, card_problems, override_reasons, short_summary

GOOD: dict[str, Any] = {
    "uuid": "4e0a3a1e-3283-4575-ab82-028d55fe2719",
    "summary": "Hydroxychloroquine 400 mg/day is 5.01 mg/kg, above the 5 mg/kg/day maximum.",
    "indicator": "warning",
    "source": {"label": "clepath", "url": "https://clepath.org",
               "topic": {"system": "https://clepath.org/fhir/CodeSystem/cds-rule",
                         "code": "hcq_above_max"}},
    "suggestions": [{"label": "Reduce", "uuid": "e56e1945-20b3-4393-8503-a1a20fd73152",
                     "isRecommended": True,
                     "actions": [{"type": "update", "description": "Change the dose",
                                  "resource": {"resourceType": "MedicationRequest"}}]}],
    "selectionBehavior": "at-most-one",
    "overrideReasons": override_reasons("clinical-judgement"),
    "links": [{"label": "Open", "url": "https://clepath.org/p/1", "type": "absolute"}],
}


def _broken(change: Any) -> list[str]:
    c = copy.deepcopy(GOOD)
    change(c)
    return card_problems(c)


class TestRules:
    def test_the_good_card_keeps_every_rule(self) -> None:
        """The reference card breaks no rule."""
        assert [] == card_problems(GOOD)

    @pytest.mark.parametrize(("name", "change", "expected"), [
        ("summary 140 long", lambda c: c.update(summary="x" * 140), "under 140"),
        ("summary missing", lambda c: c.pop("summary"), "summary is required"),
        ("two lines", lambda c: c.update(summary="a\nb"), "one line"),
        ("indicator", lambda c: c.update(indicator="hard-stop"), "indicator"),
        ("no source label", lambda c: c["source"].pop("label"), "source with a label"),
        ("relative source url", lambda c: c["source"].update(url="/about"), "absolute"),
        ("no selectionBehavior", lambda c: c.pop("selectionBehavior"), "cds-resp-6"),
        ("two recommended", lambda c: c["suggestions"].append(
            copy.deepcopy(c["suggestions"][0])), "cds-resp-1"),
        ("no description", lambda c: c["suggestions"][0]["actions"][0].pop("description"),
         "cds-resp-5"),
        ("delete without id", lambda c: c["suggestions"][0]["actions"][0].update(
            type="delete"), "cds-resp-2"),
        ("bad action type", lambda c: c["suggestions"][0]["actions"][0].update(type="patch"),
         "create, update or delete"),
        ("action selection", lambda c: c["suggestions"][0].update(
            actionSelectionBehavior="some"), "cds-resp-7"),
        ("override without display", lambda c: c["overrideReasons"][0].pop("display"),
         "cds-resp-4"),
        ("appContext on absolute", lambda c: c["links"][0].update(appContext="{}"),
         "cds-resp-3"),
        ("link type", lambda c: c["links"][0].update(type="relative"), "absolute or smart"),
        ("empty array", lambda c: c.update(overrideReasons=[]), "null or empty"),
        ("null value", lambda c: c.update(detail=None), "null or empty"),
    ])
    def test_each_rule_is_checked(self, name: str, change: Any, expected: str) -> None:
        """Breaking one rule is reported by that rule."""
        problems = _broken(change)

        assert any(expected in p for p in problems), (name, problems)


class TestBuilder:
    def test_long_summary_is_cut_below_140(self) -> None:
        """A long summary is cut at a word with an ellipsis, 139 characters at most."""
        text = " ".join(["hydroxychloroquine"] * 20)

        cut = short_summary(text)

        assert len(cut) < 140 and cut.endswith("…")

    def test_suggestions_get_a_selection_behavior(self) -> None:
        """A card built with suggestions always has a selectionBehavior."""
        built = card(uuid="u", summary="s", indicator="info", source={"label": "l"},
                     suggestions=GOOD["suggestions"])

        assert "at-most-one" == built["selectionBehavior"]

    def test_builder_refuses_a_broken_card(self) -> None:
        """An override reason without a display is refused at build time."""
        with pytest.raises(ValueError, match="cds-resp-4"):
            card(uuid="u", summary="s", indicator="info", source={"label": "l"},
                 override=[{"code": "x"}])
