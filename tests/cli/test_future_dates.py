"""`clepath validate` and `clepath assess` warn about dates after today (issue 9 item 5).

The CLI passes the real date, so these cases are dated a few years after the day the test runs.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from tests.cli.test_cli import _run
from tests.conftest import SEED_CASE

FUTURE = dt.date.today().replace(month=1, day=1) + dt.timedelta(days=3 * 366)


def _future_case(tmp_path: Path) -> Path:
    text = SEED_CASE.read_text(encoding="utf-8")
    text = text.replace(
        "{name: joint_pain, date: 2019-06-01}", f"{{name: joint_pain, date: {FUTURE}}}"
    )
    text = text.replace(
        "{drug: rituximab, outcome: failed}",
        f"{{drug: rituximab, start: {FUTURE:%Y-%m}, outcome: failed}}",
    )
    path = tmp_path / "future.yaml"
    path.write_text(text, encoding="utf-8")
    return path


class TestValidate:
    def test_warning_line_per_future_date(self, tmp_path: Path) -> None:
        """validate stays valid (exit 0) and prints one warning line per date after today."""
        result = _run("validate", str(_future_case(tmp_path)))
        today = dt.date.today().isoformat()
        lines = [line for line in result.stderr.splitlines() if line.startswith("warning:")]

        assert 0 == result.returncode, result.stderr
        assert "valid case" in result.stdout
        assert [
            f"warning: findings[1].date = {FUTURE} (finding joint_pain) is after today "
            f"({today}): check the date",
            f"warning: therapies[7].start = {FUTURE:%Y-%m} (rituximab start) is after today "
            f"({today}): check the date",
        ] == lines

    def test_no_warning_for_the_seed_case(self) -> None:
        """The published case has no date after today: no warning line."""
        result = _run("validate", str(SEED_CASE))

        assert "warning:" not in result.stderr


class TestAssess:
    def test_assess_json_warns_on_stderr_and_raises_the_alert(self, tmp_path: Path) -> None:
        """assess --json keeps stdout one JSON object; stderr warns; two future_date alerts."""
        result = _run("assess", str(_future_case(tmp_path)), "--json")
        document = json.loads(result.stdout)
        alerts = [a for a in document["alerts"] if a["code"] == "future_date"]

        assert 0 == result.returncode, result.stderr
        assert 2 == result.stderr.count("warning:")
        assert [f"Finding joint_pain: {FUTURE} (findings[1].date)",
                f"Rituximab start: {FUTURE:%Y-%m} (therapies[7].start)"] == [
            a["message"].split(" is after today")[0] for a in alerts
        ]


def test_summary_pdf_carries_the_future_date_alert(tmp_path: Path) -> None:
    """The printed treatment summary shows the same `future_date` alert as the page and the
    terminal, naming the finding dated after today."""
    from tests.surfaces._surfaces import pdf_text

    out = tmp_path / "summary.pdf"
    result = _run("report", "summary", str(_future_case(tmp_path)), "--pdf", str(out))
    text = " ".join(pdf_text(out.read_bytes()).split())

    assert 0 == result.returncode, result.stderr
    assert "Date after today" in text
    assert FUTURE.isoformat() in text
