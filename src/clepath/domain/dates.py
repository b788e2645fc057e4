"""Dates that may be partial: a year (2009), a month (2019-05) or a full ISO date."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

__all__ = ["PartialDate", "parse_partial_date"]

_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True, slots=True, order=True)
class PartialDate:
    """A date known to the year, the month or the day."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> str:
        """`year`, `month` or `day`."""
        if self.month is None:
            return "year"
        return "month" if self.day is None else "day"

    @property
    def earliest(self) -> dt.date:
        """The first calendar day this partial date can mean."""
        return dt.date(self.year, self.month or 1, self.day or 1)

    @property
    def latest(self) -> dt.date:
        """The last calendar day this partial date can mean."""
        month = self.month or 12
        day = self.day or calendar.monthrange(self.year, month)[1]
        return dt.date(self.year, month, day)

    @property
    def is_exact(self) -> bool:
        """True when the day is known."""
        return self.day is not None

    def __str__(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    @classmethod
    def from_date(cls, value: dt.date) -> PartialDate:
        """Wrap a full date."""
        return cls(value.year, value.month, value.day)


def parse_partial_date(
    raw: object, *, years: tuple[int, int] = (1900, 2200)
) -> PartialDate | None:
    """Read `2009`, `2019-05`, `2019-05-04` or a date object; None if it is none of these.

    Text with a year outside `years` is None (date objects are returned as they are).
    """
    if isinstance(raw, dt.datetime):
        return PartialDate.from_date(raw.date())
    if isinstance(raw, dt.date):
        return PartialDate.from_date(raw)
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        raw = str(raw)
    if not isinstance(raw, str):
        return None
    match = _PATTERN.match(raw.strip())
    if not match:
        return None
    year_text, month_text, day_text = match.groups()
    year = int(year_text)
    if not years[0] <= year <= years[1]:
        return None
    if month_text is None:
        return PartialDate(year)
    month = int(month_text)
    if not 1 <= month <= 12:
        return None
    if day_text is None:
        return PartialDate(year, month)
    day = int(day_text)
    last = _MONTH_DAYS[month] if month != 2 else 29 if calendar.isleap(year) else 28
    if not 1 <= day <= last:
        return None
    return PartialDate(year, month, day)


_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # February: by leap year
