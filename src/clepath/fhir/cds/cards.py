"""CDS Hooks 2.0 cards: builders that keep the spec's rules, and a checker for those rules.

Rules (2.0 §Card Attributes and the invariants of the HL7 logical model, cds-resp-1..7):

* `summary` is required, one sentence, under 140 characters;
* `indicator` is `info`, `warning` or `critical`;
* `source` is required with a `label`; its `url` and `icon` are absolute; `topic` is a Coding;
* `selectionBehavior` (`at-most-one` or `any`) is present whenever suggestions are (cds-resp-6);
  with `at-most-one`, at most one suggestion is recommended (cds-resp-1);
* every suggestion has a `label`; every action a `type` of create/update/delete and a
  `description` (cds-resp-5); create/update carry a `resource`, delete a `resourceId`
  (cds-resp-2); `actionSelectionBehavior`, when present, is all/any/at-most-one (cds-resp-7);
* every override reason is a Coding with a `display` (cds-resp-4);
* links have a label, an absolute url and a type `absolute` or `smart`; `appContext` only on
  smart links (cds-resp-3);
* no JSON element is null or empty (2.0 §Use of JSON).

Card and suggestion ids are name-based UUIDs of what the card is about, so the same advice for
the same patient and order keeps its uuid across calls (feedback can be counted per card).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Final

from clepath.fhir import terminology as t

__all__ = [
    "INDICATORS",
    "OVERRIDE_REASONS",
    "card",
    "card_problems",
    "card_uuid",
    "override_reasons",
    "response_problems",
    "short_summary",
    "suggestion",
]

INDICATORS: Final = ("info", "warning", "critical")
_SELECTION: Final = ("at-most-one", "any")
_ACTION_SELECTION: Final = ("all", "any", "at-most-one")
_ACTIONS: Final = ("create", "update", "delete")
_NAMESPACE: Final = uuid.UUID("b3d5f8e4-8f0e-5a4b-9a53-5b4f6c2e7d10")
_OVERRIDE_SYSTEM: Final = t.local_system("override-reason")

# Why a clinician may override clepath's advice (shown when the card is dismissed).
OVERRIDE_REASONS: Final[dict[str, str]] = {
    "clinical-judgement": "Clinical judgement: the dose is intended for this patient",
    "data-outdated": "The weight or results in the record are out of date",
    "specialist-agreed": "Agreed with the specialist or multidisciplinary team",
    "short-course": "A short course with a taper already planned",
    "risk-accepted": "Benefit outweighs the risk; monitoring arranged",
}


def card_uuid(*parts: str) -> str:
    """A stable uuid for a card about these things (rule, patient, order, date)."""
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


def override_reasons(*codes: str) -> list[dict[str, str]]:
    """Override reasons as Codings with their display (cds-resp-4)."""
    return [t.coding(_OVERRIDE_SYSTEM, code, OVERRIDE_REASONS[code]) for code in codes]


def short_summary(text: str, limit: int = 139) -> str:
    """`text` as one line under 140 characters, cut at a word with an ellipsis if needed."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def suggestion(
    label: str,
    actions: Sequence[Mapping[str, Any]],
    *,
    card_id: str,
    key: str,
    recommended: bool | None = None,
) -> dict[str, Any]:
    """A suggestion with a stable uuid derived from its card."""
    out: dict[str, Any] = {"label": label, "uuid": card_uuid(card_id, key),
                           "actions": [dict(a) for a in actions]}
    if recommended is not None:
        out["isRecommended"] = recommended
    return out


def card(
    *,
    uuid: str,
    summary: str,
    indicator: str,
    source: Mapping[str, Any],
    detail: str | None = None,
    suggestions: Sequence[Mapping[str, Any]] = (),
    selection_behavior: str | None = None,
    override: Sequence[Mapping[str, str]] = (),
    links: Sequence[Mapping[str, Any]] = (),
    extension: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A card; raises ValueError if it would break one of the rules above. `extension` is the
    card's CDS Hooks extension object (keys named after their owner, e.g. `org.clepath.…`)."""
    out: dict[str, Any] = {"uuid": uuid, "summary": short_summary(summary),
                           "indicator": indicator, "source": dict(source)}
    if detail:
        out["detail"] = detail
    if suggestions:
        out["suggestions"] = [dict(s) for s in suggestions]
        out["selectionBehavior"] = selection_behavior or "at-most-one"
    if override:
        out["overrideReasons"] = [dict(o) for o in override]
    if links:
        out["links"] = [dict(link) for link in links]
    if extension:
        out["extension"] = dict(extension)
    problems = card_problems(out)
    if problems:
        raise ValueError("; ".join(problems))
    return out


def _absolute(url: Any) -> bool:
    return isinstance(url, str) and url.startswith(("https://", "http://"))


def _empty_paths(value: Any, path: str) -> list[str]:
    if value is None or value == "" or value == [] or value == {}:
        return [path]
    out: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "resource":
                continue  # FHIR content has its own rules
            out += _empty_paths(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _empty_paths(item, f"{path}[{i}]")
    return out


def _action_problems(action: Mapping[str, Any], where: str) -> list[str]:
    problems = []
    kind = action.get("type")
    if kind not in _ACTIONS:
        problems.append(f"{where}.type {kind!r} is not create, update or delete")
    if not action.get("description"):
        problems.append(f"{where} has no description (cds-resp-5)")
    if kind == "delete" and not action.get("resourceId"):
        problems.append(f"{where}: a delete names its resourceId (cds-resp-2)")
    if kind in ("create", "update") and not isinstance(action.get("resource"), Mapping):
        problems.append(f"{where}: a {kind} carries the resource")
    return problems


def _suggestion_problems(c: Mapping[str, Any]) -> list[str]:
    problems = []
    suggestions = c.get("suggestions") or []
    if suggestions and c.get("selectionBehavior") not in _SELECTION:
        problems.append("suggestions without a selectionBehavior of at-most-one or any "
                        "(cds-resp-6)")
    if c.get("selectionBehavior") is not None and c.get("selectionBehavior") not in _SELECTION:
        problems.append(f"selectionBehavior {c.get('selectionBehavior')!r} is not allowed")
    if c.get("selectionBehavior") == "at-most-one" and sum(
            1 for s in suggestions if s.get("isRecommended")) > 1:
        problems.append("more than one recommended suggestion with at-most-one (cds-resp-1)")
    for i, s in enumerate(suggestions):
        if not s.get("label"):
            problems.append(f"suggestions[{i}] has no label")
        behaviour = s.get("actionSelectionBehavior")
        if behaviour is not None and behaviour not in _ACTION_SELECTION:
            problems.append(f"suggestions[{i}].actionSelectionBehavior {behaviour!r} is not "
                            "all, any or at-most-one (cds-resp-7)")
        for j, action in enumerate(s.get("actions") or ()):
            problems += _action_problems(action, f"suggestions[{i}].actions[{j}]")
    return problems


def card_problems(c: Mapping[str, Any]) -> list[str]:
    """Every rule of the module docstring that the card breaks (empty: a valid card)."""
    problems = []
    summary = c.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        problems.append("summary is required")
    elif len(summary) >= 140 or "\n" in summary:
        problems.append(f"summary must be one line under 140 characters ({len(summary)})")
    if c.get("indicator") not in INDICATORS:
        problems.append(f"indicator {c.get('indicator')!r} is not info, warning or critical")
    source = c.get("source")
    if not isinstance(source, Mapping) or not source.get("label"):
        problems.append("source with a label is required")
    else:
        for name in ("url", "icon"):
            if name in source and not _absolute(source[name]):
                problems.append(f"source.{name} must be an absolute URL")
        topic = source.get("topic")
        if topic is not None and not (isinstance(topic, Mapping) and topic.get("code")):
            problems.append("source.topic must be a Coding")
    problems += _suggestion_problems(c)
    for i, reason in enumerate(c.get("overrideReasons") or ()):
        if not (isinstance(reason, Mapping) and reason.get("code") and reason.get("display")):
            problems.append(f"overrideReasons[{i}] needs a code and a display (cds-resp-4)")
    for i, link in enumerate(c.get("links") or ()):
        if not link.get("label") or not _absolute(link.get("url")):
            problems.append(f"links[{i}] needs a label and an absolute url")
        if link.get("type") not in ("absolute", "smart"):
            problems.append(f"links[{i}].type must be absolute or smart")
        if "appContext" in link and link.get("type") != "smart":
            problems.append(f"links[{i}]: appContext only on smart links (cds-resp-3)")
    problems += [f"{p} is null or empty" for p in _empty_paths(c, "card")]
    return problems


def response_problems(response: Mapping[str, Any]) -> list[str]:
    """Every rule broken by a whole response (`cards` required; each card checked)."""
    cards = response.get("cards")
    if not isinstance(cards, list):
        return ["cards (an array) is required"]
    problems = []
    for i, c in enumerate(cards):
        problems += [f"cards[{i}]: {p}" for p in card_problems(c)]
    return problems
