"""The lab form's unit box offers the units the labs pack's test accepts (issue 12 item 3)."""

from __future__ import annotations

import html as html_lib
import re

from tests.web.conftest import Browser, World


def _offered(page: str, test: str) -> list[str]:
    block = re.search(rf'<datalist id="units-{test}">(.*?)</datalist>', page, re.S)
    assert block is not None, test
    return [html_lib.unescape(v) for v in re.findall(r'<option value="([^"]*)"', block.group(1))]


class TestUnitLists:
    def test_each_test_offers_its_units(self, world: World, doc: Browser) -> None:
        """WBC offers ×10⁹/L first, then /mm³ and /uL (never IU/mL); creatinine offers µmol/L
        first and mg/dL through its molar mass; anti-dsDNA only IU/mL."""
        page = doc.get(f"/patients/{world.seed}/labs").text

        assert ["×10⁹/L", "/mm³", "/uL"] == _offered(page, "wbc")
        assert ("µmol/L", True) == (
            _offered(page, "creatinine")[0], "mg/dL" in _offered(page, "creatinine"))
        assert ["IU/mL"] == _offered(page, "anti_dsdna")

    def test_a_unit_as_offered_is_accepted(self, world: World, doc: Browser) -> None:
        """WBC 1.3 with the offered '×10⁹/L' is saved as 1.3 ×10⁹/L; creatinine 1.0 mg/dL as
        88.4 µmol/L (molar mass 113.12 g/mol)."""
        for entry in ({"test": "wbc", "value": "1.3", "unit": "×10⁹/L"},
                      {"test": "creatinine", "value": "1.0", "unit": "mg/dL"}):
            response = doc.submit(f"/patients/{world.seed}/labs",
                                  {**entry, "date": "2019-05-30"})
            assert 303 == response.status_code
        stored = [r["stored"] for r in doc.get(f"/api/patients/{world.seed}/labs").json()]

        assert (1.3, "10*9/L") == (stored[-2]["value"], stored[-2]["unit"])
        assert (88.4, "umol/L") == (round(stored[-1]["value"], 1), stored[-1]["unit"])

    def test_refused_form_keeps_the_tests_list(self, world: World, doc: Browser) -> None:
        """A refused creatinine entry is shown again with the unit box tied to creatinine's
        list."""
        response = doc.submit(f"/patients/{world.seed}/labs",
                              {"test": "creatinine", "date": "2019-05-30", "value": "abc"})

        assert 422 == response.status_code
        assert 'name="unit" type="text" value="" size="12" list="units-creatinine"' in (
            response.text)
