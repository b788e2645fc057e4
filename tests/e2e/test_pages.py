"""The browser sweep of issue 12 item 6: every page a clinician works on, at 1366×900 and
390×844, has no axe-core violation, no sideways scroll and shows a clinical fact of the seed
patient; a screenshot of each is kept as test-artefacts/sweep-<page>-<size>.png.

The pages: sign-in, patient list and search, patient page, CLASI sheet, IVIG page from the
published preset, the letter details, therapies (list with its add form, and the edit form),
labs, findings, diagnoses and the audit log (as an admin). The seed patient is only read here,
except for the letter details (saved twice with the same values) and what viewing audits.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from tests.e2e.conftest import ARTEFACTS, Server, new_context, sign_in
from tests.e2e.test_browser import SEED_ID, open_seed_patient
from tests.e2e.test_workflow import AXE_ENV, AXE_FILE, LAPTOP, PHONE, axe_violations

if TYPE_CHECKING:  # imported by the `browser` fixture, which skips (or fails in CI) without it
    from playwright.sync_api import Browser, Page

SIZES = {"1366x900": LAPTOP, "390x844": PHONE}
ERYTHEMA_CELLS = 'select[name$=".erythema"]'
# Words of table cells drawn over more than one line ("de|mo", "20|09"): a cell squeezed below
# its longest word, or a date split at its hyphens ("2019-|05-04"). Other hyphens, slashes and
# dashes may break; hidden text is left out.
BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll('td, th')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('.visually-hidden')) continue;
      for (const m of node.data.matchAll(/\\d{4}-\\d{2}(?:-\\d{2})?|[^\\s\\-\\/\u2013]+/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (tops.size > 1) broken.push(m[0]);
      }
    }
  }
  return [...new Set(broken)];
}"""


@dataclass(frozen=True)
class Visit:
    """What a page step needs: the seed's path (`/patients/N`) and the server."""

    patient: str
    server: Server


@dataclass(frozen=True)
class Flow:
    """Open a page (acting on it as a user would), then read a clinical fact off it; `fact` may
    act further, after the page itself was checked."""

    open: Callable[[Page, Visit], None]
    fact: Callable[[Page, Visit], str]
    shows: str  # a regular expression the fact must match
    who: str = "clinician"  # or "admin", or "nobody" (not signed in)


def _row(page: Page, text: str) -> str:
    """The text of the first table row holding `text`."""
    return page.locator("tr", has_text=text).first.inner_text()


def _seed_row(page: Page) -> str:
    return page.locator(
        "tr", has=page.get_by_role("link", name=SEED_ID, exact=True)
    ).first.inner_text()


def _goto(path: Callable[[Visit], str]) -> Callable[[Page, Visit], None]:
    def open_(page: Page, visit: Visit) -> None:
        page.goto(path(visit))

    return open_


def _sign_in_fact(page: Page, visit: Visit) -> str:
    """Sign in from the form; the patient list then shows the seed."""
    page.get_by_label("Username").fill(visit.server.username)
    page.get_by_label("Password").fill(visit.server.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/patients")
    return _seed_row(page)


def _search(page: Page, visit: Visit) -> None:
    page.goto("/patients")
    page.get_by_label("Search by case id, name, date of birth or record number").fill("IVIG")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/patients\?q=IVIG"))


def _preset(page: Page, visit: Visit) -> None:
    page.goto(f"{visit.patient}/ivig")
    page.get_by_role("link", name="Seed protocol (Singh 2020)").click()
    page.wait_for_url(re.compile(r"preset="))


def _preset_fact(page: Page, visit: Visit) -> str:
    value = page.input_value
    return (
        f"induction {value('#f-induction_dose')} {value('#f-induction_dose_unit')} over "
        f"{value('#f-induction_days')} days; maintenance {value('#f-maintenance_dose')} "
        f"{value('#f-maintenance_dose_unit')} every {value('#f-maintenance_every')} "
        f"{value('#f-maintenance_every_unit')} × {value('#f-maintenance_cycles')}"
    )


def _letter(page: Page, visit: Visit) -> None:
    page.goto(f"{visit.patient}/ivig#letter")
    page.get_by_label("Insurer or payer").fill("Example Health Insurance")
    page.get_by_label("Member or policy number").fill("EH-0001")
    page.get_by_label("Prescriber", exact=True).fill("Dr A. Example")
    page.get_by_role("button", name="Save the letter details").click()
    page.wait_for_url(re.compile(r"letter=saved"))


def _letter_fact(page: Page, visit: Visit) -> str:
    saved = page.get_by_role("status").filter(has_text="letter details").inner_text()
    weight = page.locator('[data-value="dosing_weight_kg"]').inner_text()
    return f"{saved} Dosing weight {weight}."


def _edit_course(page: Page, visit: Visit) -> None:
    page.goto(f"{visit.patient}/therapies")
    page.locator("tr", has_text="eflazacort").get_by_role("link", name="Change").click()
    page.wait_for_url(re.compile(r"/therapies/\d+/edit$"))


def _edit_fact(page: Page, visit: Visit) -> str:
    value = page.input_value
    return (f"{value('#f-drug')} {value('#f-dose_value')} {value('#f-dose_unit')} "
            f"{value('#f-frequency')} from {value('#f-start')}")


def _audit(page: Page, visit: Visit) -> None:
    page.goto(f"/audit?patient_id={visit.patient.rsplit('/', 1)[1]}")


FLOWS: dict[str, Flow] = {
    "sign-in": Flow(_goto(lambda v: "/login?next=/patients"), _sign_in_fact,
                    r"2019-06-01\s+female\s+47", who="nobody"),
    "patient-search": Flow(
        _search, lambda p, v: p.locator("caption").inner_text() + " " + _seed_row(p),
        r"Patients matching “IVIG”.*2019-06-01\s+female\s+47",
    ),
    "patient-page": Flow(
        _goto(lambda v: v.patient),
        lambda p, v: "SLEDAI-2K " + p.locator('[data-score="sledai_2k"]').first.inner_text()
        + "; " + p.inner_text('[data-summary="refractory"]'),
        r"SLEDAI-2K 7; Refractory",
    ),
    "clasi-sheet": Flow(
        _goto(lambda v: f"{v.patient}/clasi/new"),
        lambda p, v: f"{p.locator(ERYTHEMA_CELLS).count()} regions; "
        f"CLASI-A {p.inner_text('#clasi-a-total')}, CLASI-D {p.inner_text('#clasi-d-total')}",
        r"13 regions; CLASI-A 0, CLASI-D 0",
    ),
    "ivig-preset": Flow(
        _preset, _preset_fact,
        r"induction 2 g/kg over 5 days; maintenance 1 g/kg every 4 weeks × 4",
    ),
    "letter-details": Flow(
        _letter, _letter_fact,
        r"The letter details were saved: 3 fields filled in\. Dosing weight 60\.00 kg\.",
    ),
    "therapies": Flow(
        _goto(lambda v: f"{v.patient}/therapies"), lambda p, v: _row(p, "eflazacort"),
        r"deflazacort\s+18 mg daily\s+2019-05-04\s+ongoing",
    ),
    "therapy-edit": Flow(_edit_course, _edit_fact, r"deflazacort 18 mg daily from 2019-05-04"),
    "labs": Flow(
        _goto(lambda v: f"{v.patient}/labs"), lambda p, v: _row(p, "1300"),
        r"2019-05-28\s+.*1\.3\d* ×10⁹/L",
    ),
    "findings": Flow(
        _goto(lambda v: f"{v.patient}/findings"), lambda p, v: _row(p, "scaly"),
        r"2019-06-01\s+Inflammatory rash",
    ),
    "diagnoses": Flow(
        _goto(lambda v: f"{v.patient}/diagnoses"), lambda p, v: _row(p, "2009"),
        r"Cutaneous LE, subtype not specified\s+.*Chest.*\s2009",
    ),
    "audit-log": Flow(_audit, lambda p, v: _row(p, "import"),
                      r"demo\s+import\s+idoj-2020-ivig-rescue", who="admin"),
}


@pytest.fixture(scope="module")
def admin(browser: Browser, server: Server) -> Iterator[Page]:
    """A tab signed in as an admin added to the server's database for this module."""
    from clepath.knowledge.loader import load_knowledge
    from clepath.store import Store, make_engine, session_factory

    password = secrets.token_urlsafe(16)
    engine = make_engine(server.database_url)
    try:
        with Store.open(session_factory(engine), load_knowledge()) as store:
            store.users.add("sweep-admin", password, "admin")
            store.commit()
    finally:
        engine.dispose()
    context = new_context(browser, server)
    tab = context.new_page()
    sign_in(tab, dataclasses.replace(server, username="sweep-admin", password=password))
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def nobody(browser: Browser, server: Server) -> Iterator[Page]:
    """A tab in a fresh browser profile, not signed in."""
    context = new_context(browser, server)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("name", list(FLOWS))
def test_page_fits_shows_its_fact_and_passes_axe(
    name: str, size: str, request: pytest.FixtureRequest, page: Page, server: Server
) -> None:
    """The page is no wider than the window (390 px on the phone), no table cell breaks a word
    over two lines, axe-core finds no violation on it, and it shows its clinical fact of the
    seed (SLEDAI-2K 7, deflazacort 18 mg daily, WBC 1.3 ×10⁹/L, the Singh 2020 preset as
    2 g/kg over 5 days, …)."""
    flow = FLOWS[name]
    patient = open_seed_patient(page)
    tab = page if flow.who == "clinician" else request.getfixturevalue(flow.who)
    tab.set_viewport_size(SIZES[size])
    visit = Visit(patient, server)
    flow.open(tab, visit)
    width = tab.evaluate("document.documentElement.scrollWidth")
    broken = tab.evaluate(BROKEN_WORDS)
    ARTEFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTEFACTS / f"sweep-{name}-{size}.png"), full_page=True)
    violations = axe_violations(tab) if AXE_FILE else None
    fact = flow.fact(tab, visit)
    tab.set_viewport_size(LAPTOP)

    assert (True, [], [], True) == (
        width <= SIZES[size]["width"], broken, violations if violations is not None else [],
        re.search(flow.shows, fact, re.DOTALL) is not None,
    ), (width, broken, violations, fact)
    if violations is None:
        pytest.skip(f"axe-core not run: ${AXE_ENV} unset and tests/node not installed")
