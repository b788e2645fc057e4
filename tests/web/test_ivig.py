"""The IVIG plan page: schedule with grams, vials and minutes, the request form, the .ics."""

from __future__ import annotations

import re

from icalendar import Calendar

from tests.web._html import field_errors
from tests.web.conftest import Browser, World


class TestPlanPage:
    def test_seed_plan_schedule(self, world: World, doc: Browser) -> None:
        """The seed request at 60 kg: 2 g/kg over 5 days, then 4 courses of 1 g/kg: 9 days."""
        html = doc.get(f"/patients/{world.seed}/ivig").text

        days = re.findall(r"\(day (\d) of (\d)\)", html)
        assert (9, "60.00 kg", 'data-blocked="no"') == (
            len(days),
            re.search(r'data-value="dosing_weight_kg">([^<]+)<', html).group(1),  # type: ignore[union-attr]
            re.search(r'data-blocked="(?:yes|no)"', html).group(0),  # type: ignore[union-attr]
        )

    def test_ics_has_one_event_per_infusion_day(self, world: World, doc: Browser) -> None:
        """The calendar holds 9 all-day events starting 2019-06-03."""
        response = doc.get(f"/patients/{world.seed}/ivig.ics")
        calendar = Calendar.from_ical(response.content)
        starts = sorted(e.decoded("dtstart") for e in calendar.walk("VEVENT"))

        assert ("text/calendar", 9, "2019-06-03") == (
            response.headers["content-type"].split(";")[0], len(starts), starts[0].isoformat()
        )

    def test_plan_matches_the_api(self, world: World, doc: Browser) -> None:
        """The API plan's first course gives 120 g over 5 days (2 g/kg x 60 kg)."""
        plan = doc.get(f"/api/patients/{world.seed}/ivig-plan").json()
        first = plan["courses"][0]

        assert (120, 5) == (first["total_grams"], len(first["days"]))


class TestRequestForm:
    def test_set_a_request(self, world: World, doc: Browser) -> None:
        """Induction 2 g/kg over 2 days with Privigen for demo-scle-0001 plans 2 days."""
        response = doc.submit(f"/patients/{world.scle}/ivig", {
            "induction_dose": "2", "induction_dose_unit": "g/kg", "induction_days": "2",
            "product": "privigen", "policy": "UK_DDW", "start": "2024-04-02",
        })
        plan = doc.get(f"/api/patients/{world.scle}/ivig-plan").json()
        html = doc.get(f"/patients/{world.scle}/ivig").text
        day = plan["courses"][0]["days"][0]
        vials = " + ".join(f"{v['count']} × {v['size_g']:g} g" for v in day["vials"])

        assert (303, 2, "privigen", True, True) == (
            response.status_code, len(plan["courses"][0]["days"]), plan["product"]["id"],
            bool(vials) and vials in html, f"<td>{day['minutes']}</td>" in html,
        )

    def test_bad_request_is_refused_at_its_field(self, world: World, doc: Browser) -> None:
        """A dose of 9 g/kg is refused at the induction dose; the seed's request is kept."""
        before = doc.get(f"/api/patients/{world.seed}/ivig-request").json()

        response = doc.submit(f"/patients/{world.seed}/ivig", {
            "induction_dose": "9", "induction_dose_unit": "g/kg", "induction_days": "5",
        })

        assert (422, True, before) == (
            response.status_code,
            "outside 0-5 g/kg" in " ".join(field_errors(response.text, "induction_dose")),
            doc.get(f"/api/patients/{world.seed}/ivig-request").json(),
        )

    def test_no_weight_means_no_plan(self, world: World, doc: Browser) -> None:
        """Without a weight the page says why no plan can be made (the planner's words)."""
        doc.api("PUT", f"/api/patients/{world.seed}/details",
                {"as_of": "2019-06-01", "patient": {"sex": "female", "age": 47}})

        html = doc.get(f"/patients/{world.seed}/ivig").text
        api = doc.get(f"/api/patients/{world.seed}/ivig-plan")

        assert ("No plan can be made yet" in html, 422) == (True, api.status_code)

    def test_no_request(self, world: World, doc: Browser) -> None:
        """After the request is removed, the page offers the form and the API says 404."""
        doc.submit(f"/patients/{world.seed}/ivig/clear")

        assert ("Request a plan" in doc.get(f"/patients/{world.seed}/ivig").text, 404) == (
            True, doc.get(f"/api/patients/{world.seed}/ivig-plan").status_code
        )


class TestPresets:
    def test_preset_fills_the_form_with_the_published_regimen(
        self, world: World, doc: Browser
    ) -> None:
        """The seed preset fills 2 g/kg over 5 days, then 1 g/kg every 4 weeks for 4 courses,
        without saving anything."""
        before = doc.get(f"/api/patients/{world.scle}/ivig-request").status_code
        html = doc.get(f"/patients/{world.scle}/ivig?preset=cle_motivating_case").text

        def value(name: str) -> str:
            found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
            return found.group(1) if found else ""

        assert ("2", "5", "1", "4", "4", True, before) == (
            value("induction_dose"), value("induction_days"), value("maintenance_dose"),
            value("maintenance_every"), value("maintenance_cycles"),
            "Filled in from “Seed protocol (Singh 2020)”" in html,
            doc.get(f"/api/patients/{world.scle}/ivig-request").status_code,
        )

    def test_an_empty_request_is_never_saved(self, world: World, doc: Browser) -> None:
        """A product and a start date without any dose is refused at the induction dose, in
        clinical words (no command-line option), and the stored request is unchanged."""
        before = doc.get(f"/api/patients/{world.seed}/ivig-request").json()

        response = doc.submit(f"/patients/{world.seed}/ivig", {
            "product": "privigen", "start": "2019-06-03", "induction_dose_unit": "g/kg",
        })
        message = " ".join(field_errors(response.text, "induction_dose"))

        assert (422, True, False, before) == (
            response.status_code, "asks for no course" in message, "--" in message,
            doc.get(f"/api/patients/{world.seed}/ivig-request").json(),
        )

    def test_unknown_preset_is_not_found(self, world: World, doc: Browser) -> None:
        """A preset the pack does not hold answers 404."""
        assert 404 == doc.get(f"/patients/{world.seed}/ivig?preset=nonsense").status_code


class TestPresetLabels:
    """Regimens of another disease (e.g. SJS/TEN) are labelled outside CLE and never first."""

    _SJS_TEN = {
        "id": "sjs_ten_example", "label": "SJS/TEN example", "source": ["singh2020"],
        "description": "2 g/kg over 5 days.", "induction": {"dose_g_per_kg": 2.0, "days": 5},
        "indication": "SJS/TEN",
    }

    def test_shipped_presets_put_every_cle_regimen_before_sjs_ten(
        self, world: World, doc: Browser
    ) -> None:
        """The seed's regimen is first, the five CLE presets come before the two SJS/TEN ones,
        and only those two are labelled outside CLE."""
        html = doc.get(f"/patients/{world.scle}/ivig").text
        offered = re.findall(r'data-preset="([^"]+)"', html)
        labelled = re.findall(r'data-preset="([^"]+)">[^<]*</a>\s*<strong class="outside-cle">'
                              r"([^<]+)<", html)

        assert ["cle_motivating_case", "cle_ky_2015", "cle_goodfield_lowdose",
                "cle_highdose_monthly", "dm_label_analog", "sjs_ten_yang_2009",
                "sjs_ten_trent_2003"] == offered
        assert [("sjs_ten_yang_2009", "outside CLE: SJS/TEN — for reference"),
                ("sjs_ten_trent_2003", "outside CLE: TEN — for reference")] == labelled

    def test_outside_cle_presets_name_their_study(self, world: World, doc: Browser) -> None:
        """Each SJS/TEN preset shows its primary study (journal, year, PubMed link) beside it."""
        html = doc.get(f"/patients/{world.scle}/ivig").text
        items = dict(re.findall(r'data-preset="([^"]+)"(.*?)</li>', html, flags=re.S))

        assert "Int J Dermatol 2009;48(10):1122-1128" in items["sjs_ten_yang_2009"]
        assert "methylprednisolone 1-1.5 mg/kg/day" in items["sjs_ten_yang_2009"]
        assert "https://pubmed.ncbi.nlm.nih.gov/12533162/" in items["sjs_ten_trent_2003"]
        assert "Source:" not in items["cle_motivating_case"]

    def test_choosing_the_sjs_ten_preset_fills_2_g_per_kg_over_5_days(
        self, world: World, doc: Browser
    ) -> None:
        """Yang 2009 fills 2 g/kg over 5 days with no maintenance and says it is outside CLE."""
        html = doc.get(f"/patients/{world.scle}/ivig?preset=sjs_ten_yang_2009").text

        def value(name: str) -> str:
            found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
            return found.group(1) if found else ""

        assert ("2", "5", "", "") == (value("induction_dose"), value("induction_days"),
                                      value("maintenance_dose"), value("maintenance_cycles"))
        assert "a regimen reported in SJS/TEN (outside CLE, for reference)" in html

    def test_outside_cle_row_is_labelled_and_listed_last(self) -> None:
        """An SJS/TEN preset renders 'outside CLE: SJS/TEN — for reference' after the CLE one."""
        from clepath.knowledge.models.ivig import RegimenPreset
        from clepath.web.render import make_templates
        from clepath.web.routes.ivig import cle_first

        seed = RegimenPreset.model_validate({
            "id": "cle_motivating_case", "label": "Seed", "source": ["singh2020"],
            "description": "2 g/kg over 5 days.", "induction": {"dose_g_per_kg": 2.0, "days": 5},
        })
        other = RegimenPreset.model_validate(self._SJS_TEN)
        html = make_templates().env.get_template("_ivig_presets.html").render(
            presets=cle_first([other, seed]), patient={"id": 1}, chosen_preset=None)
        label = re.search(r'data-preset="sjs_ten_example">[^<]*</a>\s*<strong[^>]*>([^<]+)<', html)

        expected = "outside CLE: SJS/TEN — for reference"

        assert (["cle_motivating_case", "sjs_ten_example"], expected) == (
            re.findall(r'data-preset="([^"]+)"', html), label.group(1) if label else None)
