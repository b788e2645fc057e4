"""Reading facts out of rendered pages (by the data attributes the templates set)."""

from __future__ import annotations

import re

__all__ = ["field_errors", "score", "status"]


def score(html: str, name: str) -> str | None:
    """The text of the first `data-score="<name>"` element."""
    match = re.search(rf'data-score="{name}">([^<]+)<', html)
    return match.group(1).strip() if match else None


def status(html: str) -> str | None:
    """The refractory verdict's `data-status`."""
    match = re.search(r'data-status="([a-z-]+)"', html)
    return match.group(1) if match else None


def field_errors(html: str, name: str) -> list[str]:
    """The messages shown next to one form field."""
    match = re.search(rf'<ul class="field-errors" id="{re.escape(name)}-errors">(.*?)</ul>',
                      html, re.S)
    if not match:
        return []
    return [re.sub(r"\s+", " ", m).strip() for m in re.findall(r"<li>(.*?)</li>", match.group(1),
                                                                re.S)]
