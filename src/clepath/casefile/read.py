"""Reading a case file's text into plain data (YAML 1.2-style scalars, or JSON), defensively.

Hostile or broken input never crashes the reader and is never misread:

* files above `MAX_CASE_BYTES` are refused before parsing;
* YAML aliases are refused (an alias bomb costs nothing), and so are explicit tags other than
  the core scalar ones, merge keys and complex keys;
* a key given twice in one mapping (YAML or JSON) is refused, naming the key;
* nesting deeper than `MAX_DEPTH` levels is refused (no RecursionError, no deep C recursion);
* integers longer than `MAX_DIGITS` digits are refused (no OverflowError, no int-string limit);
* an unquoted impossible date (`2020-02-30`) stays text, so the field check names it.

YAML is read from libyaml's event stream (PyYAML's C parser when built, its pure-Python one
otherwise) and built iteratively here, so the depth check happens while reading.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import yaml

from clepath.domain.case import Case
from clepath.errors import CaseError, FieldProblem
from clepath.knowledge.base import KnowledgeBase

__all__ = [
    "MAX_CASE_BYTES",
    "MAX_DEPTH",
    "MAX_DIGITS",
    "CaseLoader",
    "TooLongNumber",
    "load_case",
    "read_case_data",
]

MAX_CASE_BYTES = 5 * 1024 * 1024
"""A case file above this size (5 MiB, the web import's limit) is refused before parsing."""
MAX_DEPTH = 32
"""Deepest nesting of lists and mappings accepted (format 1 needs 5)."""
MAX_DIGITS = 30
"""Longest integer accepted, in digits (no clinical value needs more than a few)."""

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CaseLoader(_BaseLoader):  # type: ignore[misc]
    """A safe YAML loader without YAML 1.1's surprises (libyaml's C parser when present).

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

_TAG = "tag:yaml.org,2002:"
_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
_NUMBER_FORM = f"a number of at most {MAX_DIGITS} digits"


class TooLongNumber:
    """Stands for an integer with too many digits (never converted, never printed whole)."""

    __slots__ = ("digits",)

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"<a number of {self.digits} digits>"


def _child(path: str, key: object) -> str:
    if isinstance(key, int) and not isinstance(key, bool):
        return f"{path}[{key}]"
    shown = "~" if key is None else str(key)[:40]
    return f"{path}.{shown}" if path else shown


def _integer(text: str) -> int | TooLongNumber:
    digits = len(text.lstrip("+-"))
    if digits > MAX_DIGITS:
        return TooLongNumber(digits)
    return int(text)


def _scalar(loader: Any, event: Any, path: str, problems: list[FieldProblem]) -> Any:
    """Construct one scalar: the core YAML types only, dates kept as text when impossible."""
    value: str = event.value
    tag = event.tag
    if tag is None or tag == "!":
        tag = loader.resolve(yaml.ScalarNode, value, event.implicit)
    if not tag.startswith(_TAG):
        problems.append(
            FieldProblem(path or "file", tag[:40], "uses a YAML tag", "plain values, no tags")
        )
        return None
    kind = tag[len(_TAG) :]
    if kind == "str":
        return value
    if kind == "null":
        return None
    if kind == "bool":
        return value.lower() == "true"
    if kind == "int":
        try:
            return _integer(value)
        except ValueError:
            return value
    if kind == "float":
        try:
            return float(value)
        except ValueError:
            return value
    if kind == "timestamp":
        if _DATE.match(value):
            try:
                return dt.date.fromisoformat("-".join(part.zfill(2) for part in value.split("-")))
            except ValueError:
                return value  # 2020-02-30: text, refused by the field check with its name
        try:
            return dt.datetime.fromisoformat(value.replace(" ", "T", 1))
        except ValueError:
            return value
    problems.append(
        FieldProblem(path or "file", value[:40], f"uses YAML type {kind!r}", "plain values")
    )
    return None


class _Frame:
    __slots__ = ("container", "key", "keys", "path", "waiting_key")

    def __init__(self, container: Any, path: str) -> None:
        self.container = container
        self.path = path
        self.key: Any = None
        self.keys: set[Any] = set()
        self.waiting_key = True


def _load_yaml(text: str, name: str) -> Any:
    """Build plain data from the YAML event stream, checking as it goes."""
    loader = CaseLoader(text)
    problems: list[FieldProblem] = []
    stack: list[_Frame] = []
    root: Any = None
    documents = 0
    try:
        while True:
            event = loader.get_event()
            if isinstance(event, yaml.StreamEndEvent):
                break
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise CaseError(
                        FieldProblem(name, "---", "holds more than one document", "one case")
                    )
                continue
            if isinstance(event, (yaml.StreamStartEvent, yaml.DocumentEndEvent)):
                continue
            top = stack[-1] if stack else None
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                done = stack.pop()
                value = done.container
            else:
                if top is None:
                    path = ""
                elif isinstance(top.container, list):
                    path = _child(top.path, len(top.container))
                elif top.waiting_key:
                    path = top.path
                else:
                    path = _child(top.path, top.key)
                if isinstance(event, yaml.AliasEvent):
                    raise CaseError(
                        FieldProblem(
                            path or "file",
                            f"*{str(event.anchor)[:40]}",
                            "is a YAML alias; aliases are not accepted",
                            "each value written out in full",
                        )
                    )
                if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                    if top is not None and isinstance(top.container, dict) and top.waiting_key:
                        raise CaseError(
                            FieldProblem(path or "file", "?", "has a complex key", "text keys")
                        )
                    tag = event.tag
                    if tag not in (None, "!", f"{_TAG}map", f"{_TAG}seq"):
                        raise CaseError(
                            FieldProblem(
                                path or "file", str(tag)[:40], "uses a YAML tag", "no tags"
                            )
                        )
                    if len(stack) >= MAX_DEPTH:
                        raise CaseError(
                            FieldProblem(
                                path or "file",
                                f"level {len(stack) + 1}",
                                f"is nested deeper than {MAX_DEPTH} levels",
                                "case format 1 (at most a few levels)",
                            )
                        )
                    is_map = isinstance(event, yaml.MappingStartEvent)
                    stack.append(_Frame({} if is_map else [], path))
                    continue
                value = _scalar(loader, event, path, problems)
                if top is not None and isinstance(top.container, dict) and top.waiting_key:
                    if isinstance(value, str) and value == "<<" and event.tag is None:
                        problems.append(
                            FieldProblem(path or "file", "<<", "is a YAML merge key", "plain keys")
                        )
                    if _hashable(value):
                        key_path = _child(top.path, value)
                        if value in top.keys:
                            problems.append(
                                FieldProblem(
                                    key_path,
                                    value if not isinstance(value, str) else value[:40],
                                    "is given twice in the same mapping",
                                    "each key once",
                                )
                            )
                        top.keys.add(value)
                    top.key = value
                    top.waiting_key = False
                    continue
            top = stack[-1] if stack else None
            if top is None:
                root = value
            elif isinstance(top.container, list):
                top.container.append(value)
            else:
                if top.key not in top.container:
                    top.container[top.key] = value
                top.waiting_key = True
    finally:
        dispose = getattr(loader, "dispose", None)
        if dispose is not None:
            dispose()
    if problems:
        raise CaseError(problems)
    return root


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _load_json(text: str) -> Any:
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in items:
            if key in result:
                duplicates.append(key)
                continue
            result[key] = value
        return result

    def constant(word: str) -> float:
        return float(word.lower().replace("infinity", "inf"))

    data = json.loads(text, object_pairs_hook=pairs, parse_int=_integer, parse_constant=constant)
    if duplicates:
        raise CaseError(
            [
                FieldProblem(
                    key[:40], key[:40], "is given twice in the same object", "each key once"
                )
                for key in dict.fromkeys(duplicates)
            ]
        )
    return data


def _check_tree(data: Any) -> None:
    """Walk the data without recursion: depth limit and over-long numbers, with their paths."""
    problems: list[FieldProblem] = []
    pending: list[tuple[Any, str, int]] = [(data, "", 0)]
    while pending:
        node, path, depth = pending.pop()
        if isinstance(node, TooLongNumber):
            problems.append(
                FieldProblem(
                    path or "file", node, f"is a number of {node.digits} digits", _NUMBER_FORM
                )
            )
        elif isinstance(node, (dict, list)):
            if depth >= MAX_DEPTH:
                raise CaseError(
                    FieldProblem(
                        path or "file",
                        f"level {depth + 1}",
                        f"is nested deeper than {MAX_DEPTH} levels",
                        "case format 1 (at most a few levels)",
                    )
                )
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, child in items:
                pending.append((child, _child(path, key), depth + 1))
    if problems:
        problems.sort(key=lambda p: p.field)
        raise CaseError(problems)


def _too_big(name: str, size: int) -> CaseError:
    return CaseError(
        FieldProblem(
            name,
            f"{size:,} bytes",
            f"is larger than the {MAX_CASE_BYTES // (1024 * 1024)} MiB limit",
            "a case file under 5 MiB",
        )
    )


def read_case_data(text: str, *, name: str = "case") -> Any:
    """Parse case text: JSON when it starts with `{`, YAML otherwise; CaseError if unreadable."""
    if len(text) > MAX_CASE_BYTES or len(text.encode("utf-8", "replace")) > MAX_CASE_BYTES:
        raise _too_big(name, len(text.encode("utf-8", "replace")))
    stripped = text.lstrip()
    try:
        if stripped.startswith("{"):
            data = _load_json(text)
        else:
            data = _load_yaml(text, name)
    except json.JSONDecodeError as exc:
        raise CaseError(
            FieldProblem(name, f"line {exc.lineno}", f"not valid JSON: {exc.msg}", "a JSON object")
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "?"
        problem = getattr(exc, "problem", None) or str(exc)[:200]
        raise CaseError(
            FieldProblem(name, where, f"not valid YAML: {problem}", "a YAML mapping")
        ) from None
    except RecursionError:
        raise CaseError(
            FieldProblem(
                name,
                "?",
                f"is nested deeper than {MAX_DEPTH} levels",
                "case format 1 (at most a few levels)",
            )
        ) from None
    _check_tree(data)
    return data


def load_case(path: Path, kb: KnowledgeBase) -> Case:
    """Read, check and build the case in `path` (YAML or JSON)."""
    from clepath.casefile.parse import parse_case

    try:
        size = path.stat().st_size
        if size > MAX_CASE_BYTES and path.is_file():
            raise _too_big(path.name, size)
        with path.open("rb") as handle:  # at most the limit, even from a pipe or /dev/zero
            raw = handle.read(MAX_CASE_BYTES + 1)
    except OSError as exc:
        raise CaseError(
            FieldProblem("file", str(path), f"cannot be read ({exc.strerror})", "a readable file")
        ) from None
    if len(raw) > MAX_CASE_BYTES:
        raise _too_big(path.name, len(raw))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CaseError(
            FieldProblem("file", str(path), "is not UTF-8 text", "a UTF-8 YAML or JSON file")
        ) from None
    return parse_case(read_case_data(text, name=path.name), kb)
