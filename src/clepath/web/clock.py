"""Today's date for the web app, as a dependency (issue 9 item 5).

The clinical core never reads the clock: routes declare `Today` and pass it on, so the
future-date warnings and the `future_date` alert see the real date, and tests override
`today` with a fixed one (`app.dependency_overrides[today] = lambda: FIXED`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends

__all__ = ["Today", "today"]


def today() -> dt.date:
    """The server's local date."""
    return dt.date.today()


Today = Annotated[dt.date, Depends(today)]
