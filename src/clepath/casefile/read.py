"""Reading a case file's text into plain data (YAML 1.2-style scalars, or JSON)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from clepath.domain.case import Case
from clepath.errors import CaseError, FieldProblem
from clepath.knowledge.base import KnowledgeBase

__all__ = ["CaseLoader", "load_case", "read_case_data"]


class CaseLoader(yaml.SafeLoader):
    """A safe YAML loader without YAML 1.1's surprises.

    YAML 1.1 reads `1:40` as the sexagesimal number 100 and `no` as false; a titre of 1:40 or
    a smoking status of `no` must stay text. Only true/false are booleans here, and integers and
    floats are plain decimal.
    """


_DROP = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool"}
CaseLoader.yaml_implicit_resolvers = {
    key: [r for r in resolvers if r[0] not in _DROP]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
CaseLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
CaseLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)
CaseLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$|^[-+]?[0-9]+[eE][-+]?[0-9]+$"
    ),
    list("-+0123456789."),
)


def read_case_data(text: str, *, name: str = "case") -> Any:
    """Parse case text: JSON when it starts with `{`, YAML otherwise."""
    stripped = text.lstrip()
    try:
        if stripped.startswith("{"):
            return json.loads(text)
        return yaml.load(text, Loader=CaseLoader)  # noqa: S506 - CaseLoader is a SafeLoader
    except json.JSONDecodeError as exc:
        raise CaseError(
            FieldProblem(name, f"line {exc.lineno}", f"not valid JSON: {exc.msg}", "a JSON object")
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "?"
        problem = getattr(exc, "problem", None) or str(exc)
        raise CaseError(
            FieldProblem(name, where, f"not valid YAML: {problem}", "a YAML mapping")
        ) from None


def load_case(path: Path, kb: KnowledgeBase) -> Case:
    """Read, check and build the case in `path` (YAML or JSON)."""
    from clepath.casefile.parse import parse_case

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CaseError(
            FieldProblem("file", str(path), f"cannot be read ({exc.strerror})", "a readable file")
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CaseError(
            FieldProblem("file", str(path), "is not UTF-8 text", "a UTF-8 YAML or JSON file")
        ) from None
    return parse_case(read_case_data(text, name=path.name), kb)
