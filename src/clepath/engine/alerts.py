"""Alerts: stable codes with a severity and a message filled from the patient's data.

The codes, severities, thresholds and wording live in the `alerts` pack; this module decides
when each fires from the assessment's parts. Codes are documented in docs/alerts.md.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from clepath.domain.display import fmt_number, fmt_plain
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.models.alerts import AlertDefinition

__all__ = ["Alert", "alert_definition", "make_alert"]


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert raised for this patient."""

    code: str
    severity: str  # info | warning | critical
    title: str
    message: str
    sources: tuple[dict[str, str], ...]


def alert_definition(kb: KnowledgeBase, code: str) -> AlertDefinition:
    """The pack row of one alert code."""
    for row in kb.table("alerts", "alerts", AlertDefinition):
        if row.id == code:
            return row
    raise KeyError(code)


_FIXED = re.compile(r"\.(\d+)f")


class _NumberFormatter(string.Formatter):
    """Pack templates say `{x:g}` or `{x:.2f}`; numbers are written by clepath.domain.display
    instead, so `:g` never turns a million into `1e+06` and no significant zero is lost."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            fixed = _FIXED.fullmatch(format_spec)
            if fixed:
                return fmt_number(value, int(fixed.group(1)), grouping=True)
            if format_spec in ("", "g"):
                return fmt_plain(value)
        return super().format_field(value, format_spec)


_FORMATTER = _NumberFormatter()


def make_alert(kb: KnowledgeBase, code: str, values: Mapping[str, Any] | None = None) -> Alert:
    """Fill an alert's template from `values`."""
    row = alert_definition(kb, code)
    return Alert(
        code=row.id,
        severity=row.severity,
        title=row.title,
        message=_FORMATTER.format(row.message, **(values or {})),
        sources=tuple(kb.cite("alerts", row.source)),
    )
