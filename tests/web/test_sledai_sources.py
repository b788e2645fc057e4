"""The web patient page names what scored each SLEDAI-2K descriptor (issue 9 item 6)."""

from __future__ import annotations

from tests.web._html import score
from tests.web.conftest import Browser, World


class TestSledaiSources:
    def test_clasi_exam_is_named_on_the_patient_page(self, world: World, doc: Browser) -> None:
        """A CLASI exam on 2019-06-01 with a mucosal lesion and alopecia 2 lifts 7 to 11."""
        doc.submit(f"/patients/{world.seed}/clasi", {
            "date": "2019-06-01", "nose_malar.erythema": "3", "mucous_membrane": "1",
            "nonscarring_alopecia": "2", "dyspigmentation_lasts_12_months": "no",
        })

        html = doc.get(f"/patients/{world.seed}").text

        assert "11" == score(html, "sledai_2k")
        assert (
            "Mucosal ulcers 2 (CLASI examination on 2019-06-01: mucous membrane lesions 1"
            in html
        )
        assert "Alopecia 2 (CLASI examination on 2019-06-01: non-scarring alopecia 2)" in html

    def test_upcr_recorded_not_used_on_the_page(self, world: World, doc: Browser) -> None:
        """A spot UPCR on the page reads 'recorded, not used', not 'not recorded'."""
        doc.submit(f"/patients/{world.seed}/labs", {
            "test": "upcr", "date": "2019-05-30", "value": "0.9", "unit": "mg/mg",
        })

        html = doc.get(f"/patients/{world.seed}").text

        assert "recorded, not used (spot UPCR is not a 24-hour collection)" in html
