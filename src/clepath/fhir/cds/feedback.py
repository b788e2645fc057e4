"""CDS Hooks 2.0 feedback (§Feedback): checking what clients send, and accept/override rates.

A feedback body is `{"feedback": [...]}`; each item names the `card` uuid, an `outcome`
(`accepted` or `overridden`: cds-fb-1), the accepted suggestions when accepted (cds-fb-2), an
optional override reason with a `reason` Coding or a `userComment` (cds-fb-3), and the
`outcomeTimestamp` (ISO 8601, UTC). Ignored cards send nothing; the same card may be reported
more than once. Rates are counted over what was stored: per service and per card rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from clepath.fhir.cds.model import RequestProblem

__all__ = ["parse_feedback", "rates"]

_OUTCOMES = ("accepted", "overridden")


def _timestamp(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise RequestProblem(f"{where}.outcomeTimestamp is required")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise RequestProblem(f"{where}.outcomeTimestamp is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise RequestProblem(f"{where}.outcomeTimestamp needs a time zone (UTC)")
    return value


def _item(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise RequestProblem(f"{where} must be an object")
    card = raw.get("card")
    if not isinstance(card, str) or not card:
        raise RequestProblem(f"{where}.card (the card uuid) is required")
    outcome = raw.get("outcome")
    if outcome not in _OUTCOMES:
        raise RequestProblem(f"{where}.outcome must be accepted or overridden (cds-fb-1)")
    item: dict[str, Any] = {"card": card, "outcome": outcome,
                            "outcomeTimestamp": _timestamp(raw.get("outcomeTimestamp"), where)}
    accepted = raw.get("acceptedSuggestions")
    if outcome == "accepted":
        if not isinstance(accepted, list) or not accepted or not all(
                isinstance(s, Mapping) and isinstance(s.get("id"), str) for s in accepted):
            raise RequestProblem(f"{where}: an accepted card lists acceptedSuggestions with "
                                 "their ids (cds-fb-2)")
        item["acceptedSuggestions"] = [{"id": s["id"]} for s in accepted]
    reason = raw.get("overrideReason")
    if reason is not None:
        if not isinstance(reason, Mapping):
            raise RequestProblem(f"{where}.overrideReason must be an object")
        coding = reason.get("reason")
        comment = reason.get("userComment")
        if not (isinstance(coding, Mapping) and coding.get("code")) and not (
                isinstance(comment, str) and comment):
            raise RequestProblem(f"{where}.overrideReason needs a reason or a userComment "
                                 "(cds-fb-3)")
        kept: dict[str, Any] = {}
        if isinstance(coding, Mapping) and coding.get("code"):
            kept["reason"] = {k: coding[k] for k in ("system", "code", "display") if k in coding}
        if isinstance(comment, str) and comment:
            kept["userComment"] = comment
        item["overrideReason"] = kept
    return item


def parse_feedback(body: Any) -> list[dict[str, Any]]:
    """The feedback items of a request body, checked; RequestProblem names the first fault."""
    if not isinstance(body, Mapping) or not isinstance(body.get("feedback"), list):
        raise RequestProblem("the body must be {\"feedback\": [...]}")
    if not body["feedback"]:
        raise RequestProblem("feedback must not be empty")
    return [_item(raw, f"feedback[{i}]") for i, raw in enumerate(body["feedback"])]


def _summary(items: list[Mapping[str, Any]]) -> dict[str, Any]:
    total = len(items)
    accepted = sum(1 for i in items if i.get("outcome") == "accepted")
    overridden = total - accepted
    reasons: dict[str, int] = {}
    comments = 0
    for item in items:
        reason = item.get("overrideReason") or {}
        code = (reason.get("reason") or {}).get("code")
        if code:
            reasons[str(code)] = reasons.get(str(code), 0) + 1
        if reason.get("userComment"):
            comments += 1
    return {
        "total": total,
        "accepted": accepted,
        "overridden": overridden,
        "accept_rate": round(accepted / total, 4) if total else None,
        "override_rate": round(overridden / total, 4) if total else None,
        "override_reasons": dict(sorted(reasons.items())),
        "comments": comments,
        "cards": len({i.get("card") for i in items}),
    }


def rates(records: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """Accept and override rates from stored (service id, feedback item) records.

    Items may carry `rule` (the card rule, added by the service when it knows the card).
    """
    by_service: dict[str, list[Mapping[str, Any]]] = {}
    by_rule: dict[str, list[Mapping[str, Any]]] = {}
    everything: list[Mapping[str, Any]] = []
    for service, item in records:
        everything.append(item)
        by_service.setdefault(service, []).append(item)
        by_rule.setdefault(str(item.get("rule") or "unknown"), []).append(item)
    return {
        "all": _summary(everything),
        "services": {s: _summary(items) for s, items in sorted(by_service.items())},
        "rules": {r: _summary(items) for r, items in sorted(by_rule.items())},
    }
