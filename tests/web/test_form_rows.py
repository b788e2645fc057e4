"""Property tests of the new-patient form's parsing (issue 12): partial-date pickers and
repeated rows."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from clepath.domain.dates import parse_partial_date
from clepath.web import forms


@given(st.dates(dt.date(1900, 1, 1), dt.date(2200, 12, 31)),
       st.sampled_from(["day", "month", "year"]))
def test_picked_date_cut_to_precision(day: dt.date, precision: str) -> None:
    """A date picked with a precision is read as a partial date of that precision that contains
    the day picked."""
    value = forms.partial_date({"d": day.isoformat(), "d_precision": precision}, "d")
    parsed = parse_partial_date(value)

    assert parsed is not None
    assert (precision, True) == (parsed.precision, parsed.earliest <= day <= parsed.latest)


@given(st.lists(st.booleans(), min_size=1, max_size=12))
def test_row_problems_reach_the_row_they_came_from(filled: list[bool]) -> None:
    """With any rows left empty, the case file's k-th therapy's dose problem is placed at the
    dose box of the k-th filled form row."""
    form = {}
    for row, used in enumerate(filled):
        form[f"therapies[{row}].dose_unit"] = "mg"
        if used:
            form[f"therapies[{row}].drug"] = f"drug{row}"
    rows = [row for row, _ in forms.THERAPY_ROWS.entries(form)]
    mapping = forms.THERAPY_ROWS.error_fields(rows, {"dose": "dose_value"})

    assert [r for r, used in enumerate(filled) if used] == rows
    assert {f"therapies[{k}].dose": f"therapies[{r}].dose_value"
            for k, r in enumerate(rows)} == mapping
