"""A FHIR Bulk Data export directory: its files by resource type, deletions and bad lines.

Accepts a `manifest.json` (Bulk Data STU2-STU4: `error` or the STU4 name `outcome`), else a
`log.ndjson` or no index at all (then every `*.ndjson` / `*.ndjson.gz` is read, its type taken
from the file name). A `deleted/` folder (or the manifest's `deleted` list) holds Bundles whose
DELETE entries name the resources to remove. Bad lines are found only when DuckDB's typed read
of a file fails: the file is then read line by line, each bad line is recorded with its file and
line number, and the good lines are read from a clean copy.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import orjson

from clepath.cohort.schema import RESOURCES
from clepath.errors import CaseError, FieldProblem

__all__ = ["BadLine", "Export", "find_bad_lines", "open_text", "read_export", "scan_lines"]

_NAME = re.compile(r"^([A-Z][A-Za-z]+)")


@dataclass(frozen=True)
class BadLine:
    """One line that could not be read, and why."""

    file: str
    line: int
    reason: str


@dataclass
class Export:
    """The files of one export, by resource type."""

    root: Path
    files: dict[str, list[Path]] = field(default_factory=dict)
    deleted_files: list[Path] = field(default_factory=list)
    outcome_files: list[Path] = field(default_factory=list)
    transaction_time: str | None = None
    ignored: list[str] = field(default_factory=list)  # types clepath does not read


def open_text(path: Path) -> Any:
    """A binary line reader for .ndjson and .ndjson.gz."""
    return gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb")


def _local(root: Path, url: str) -> Path:
    name = Path(urlparse(url).path).name if "://" in url else url
    path = root / name
    if not path.exists():
        path = root / Path(urlparse(url).path).name
    return path


def read_export(root: Path) -> Export:
    """Index an export directory (nothing is read yet but the manifest)."""
    if not root.is_dir():
        raise CaseError(FieldProblem("EXPORT_DIR", str(root), "is not a directory",
                                     "a folder holding a Bulk Data export (NDJSON files)"))
    export = Export(root)
    manifest_path = root / "manifest.json"
    entries: list[tuple[str, Path]] = []
    if manifest_path.exists():
        try:
            manifest = orjson.loads(manifest_path.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise CaseError(FieldProblem("manifest.json", str(manifest_path),
                                         f"is not JSON ({exc})", "a Bulk Data manifest")) from exc
        export.transaction_time = manifest.get("transactionTime")
        for item in manifest.get("output") or ():
            entries.append((str(item.get("type")), _local(root, str(item.get("url")))))
        for key in ("error", "outcome"):
            for item in manifest.get(key) or ():
                export.outcome_files.append(_local(root, str(item.get("url"))))
        for item in manifest.get("deleted") or ():
            export.deleted_files.append(_local(root, str(item.get("url"))))
    else:
        for path in sorted(root.glob("*.ndjson")) + sorted(root.glob("*.ndjson.gz")):
            if path.name == "log.ndjson":
                continue
            m = _NAME.match(path.name)
            if m:
                entries.append((m.group(1), path))
    deleted_dir = root / "deleted"
    if deleted_dir.is_dir():
        for path in sorted(deleted_dir.glob("*.ndjson*")):
            if path not in export.deleted_files:
                export.deleted_files.append(path)
    missing = [str(p) for _, p in entries if not p.exists()]
    if missing:
        raise CaseError(*(FieldProblem("manifest.json output", m, "file not found",
                                       "files named by the manifest, in the export folder")
                          for m in missing))
    for kind, path in entries:
        if kind in RESOURCES:
            export.files.setdefault(kind, []).append(path)
        elif kind not in export.ignored:
            export.ignored.append(kind)
    return export


def _line_problem(line: bytes, kind: str) -> str | None:
    """Why one NDJSON line is not a readable resource of `kind` (None when it is)."""
    try:
        res = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return f"not JSON: {exc}"
    if not isinstance(res, dict) or res.get("resourceType") != kind:
        got = res.get("resourceType") if isinstance(res, dict) else type(res).__name__
        return f"not a {kind} (got {got})"
    if not isinstance(res.get("id"), str):
        return "resource without an id"
    return None


def scan_lines(path: Path, kind: str, clean: Path,
               kept: list[int] | None = None) -> tuple[list[BadLine], int]:
    """Read a file line by line: record bad lines, write the good ones to `clean` (and their
    line numbers in the original file to `kept`)."""
    bad: list[BadLine] = []
    good = 0
    with open_text(path) as src, clean.open("wb") as dst:
        for number, line in enumerate(src, start=1):
            if not line.strip():
                continue
            problem = _line_problem(line, kind)
            if problem is not None:
                bad.append(BadLine(path.name, number, problem))
                continue
            dst.write(line if line.endswith(b"\n") else line + b"\n")
            if kept is not None:
                kept.append(number)
            good += 1
    return bad, good


def find_bad_lines(path: Path, kind: str, refused: set[str]) -> list[BadLine]:
    """The bad lines of a file another reader found bad, by line number: lines that are not a
    resource of `kind`, and lines whose text is in `refused` (records the reader's typed schema
    refused, such as a string where a number belongs)."""
    bad: list[BadLine] = []
    with open_text(path) as src:
        for number, line in enumerate(src, start=1):
            text = line.strip()
            if not text:
                continue
            problem = _line_problem(text, kind)
            if problem is None and text.decode("utf-8", "replace") in refused:
                problem = "refused by the typed read: an element of the wrong JSON type"
            if problem is not None:
                bad.append(BadLine(path.name, number, problem))
    return bad


def deleted_keys(export: Export) -> tuple[set[tuple[str, str]], list[BadLine]]:
    """(type, id) of every resource the export's deletion Bundles remove."""
    out: set[tuple[str, str]] = set()
    bad: list[BadLine] = []
    for path in export.deleted_files:
        with open_text(path) as src:
            for number, line in enumerate(src, start=1):
                if not line.strip():
                    continue
                try:
                    bundle = orjson.loads(line)
                    for entry in bundle.get("entry") or ():
                        request = entry.get("request") or {}
                        kind, _, rid = str(request.get("url", "")).partition("/")
                        if request.get("method") == "DELETE" and rid:
                            out.add((kind, rid))
                except (orjson.JSONDecodeError, AttributeError) as exc:
                    bad.append(BadLine(f"deleted/{path.name}", number, f"unreadable: {exc}"))
    return out, bad
