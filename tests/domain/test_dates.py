"""Dates may be partial: a year, a month or a day."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from clepath.domain.dates import PartialDate, parse_partial_date


class TestPartialDate:
    def test_year_only(self) -> None:
        """`2009` spans the whole year."""
        d = parse_partial_date(2009)

        assert d is not None
        assert (dt.date(2009, 1, 1), dt.date(2009, 12, 31)) == (d.earliest, d.latest)

    def test_month(self) -> None:
        """`2021-09` spans September."""
        d = parse_partial_date("2021-09")

        assert d is not None and dt.date(2021, 9, 30) == d.latest and "month" == d.precision

    def test_leap_february(self) -> None:
        """February 2024 ends on the 29th."""
        d = parse_partial_date("2024-02")

        assert d is not None and 29 == d.latest.day

    def test_impossible_dates_are_refused(self) -> None:
        """2023-02-30 and month 13 are not dates."""
        assert [None, None, None] == [
            parse_partial_date(x) for x in ("2023-02-30", "2023-13", "19-05-04")
        ]

    @given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)))
    def test_full_dates_round_trip(self, day: dt.date) -> None:
        """An ISO date reads back as exactly that day."""
        parsed = parse_partial_date(day.isoformat())

        assert parsed == PartialDate.from_date(day) and parsed.earliest == parsed.latest == day


def _reference_parse(text: str, years: tuple[int, int]) -> PartialDate | None:
    """The date reading spelled out with the standard library (what the parser must equal)."""
    import re

    match = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", text.strip())
    if not match:
        return None
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    if not years[0] <= year <= years[1]:
        return None
    if month is None:
        return PartialDate(year)
    if not 1 <= month <= 12:
        return None
    if day is None:
        return PartialDate(year, month)
    try:
        dt.date(year, month, day)
    except ValueError:
        return None
    return PartialDate(year, month, day)


@given(st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32),
       st.sampled_from(["y", "ym", "ymd"]))
def test_parse_matches_the_calendar(year: int, month: int, day: int, form: str) -> None:
    """Every year, year-month and year-month-day text reads as the calendar says: 2024-02-29
    is a day, 2023-02-29 and 2024-04-31 are not."""
    text = {"y": f"{year:04d}", "ym": f"{year:04d}-{month:02d}",
            "ymd": f"{year:04d}-{month:02d}-{day:02d}"}[form]

    assert parse_partial_date(text, years=(1, 9999)) == _reference_parse(text, (1, 9999))
    assert parse_partial_date("2024-02-29") == PartialDate(2024, 2, 29)
    assert parse_partial_date("2023-02-29") is None
    assert parse_partial_date("2024-04-31") is None
