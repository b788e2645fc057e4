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
