"""Row models of the `alerts` pack: stable alert codes, their severity and wording."""

from __future__ import annotations

from typing import Literal

from clepath.knowledge.base import Row

__all__ = ["AlertDefinition"]


class AlertDefinition(Row):
    """One alert code: stable identifier, severity, title and message template."""

    id: str  # the stable alert code
    severity: Literal["info", "warning", "critical"]
    title: str
    message: str  # str.format template; placeholders documented in docs/alerts.md
    threshold: float | None = None
    unit: str | None = None
