"""Offline dependency audit: installed distributions against an OSV advisory snapshot.

Run: python scripts/audit_deps.py [--advisories DIR]   (or CLEPATH_ADVISORIES=DIR)

DIR holds OSV JSON files (for example the unzipped `PyPI/all.zip` of osv.dev, fetched on a
machine with network access). Every installed distribution is listed; each is matched against
the PyPI advisories of the snapshot (explicit `versions` and `ECOSYSTEM` ranges). The report
states how many distributions were checked and how many could not be: without a snapshot
nothing is checked, and the script says so instead of claiming "no known vulnerabilities".

Exit codes: 0 checked and nothing found; 1 an advisory matches; 2 nothing could be checked.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version


def installed() -> dict[str, str]:
    """Installed distributions: canonical name -> version."""
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found[canonicalize_name(name)] = dist.version
    return found


def _in_ranges(version: Version, ranges: Iterable[dict]) -> bool:  # type: ignore[type-arg]
    for entry in ranges:
        if entry.get("type") != "ECOSYSTEM":
            continue
        events = entry.get("events", [])
        introduced: Version | None = None
        for event in events:
            try:
                if "introduced" in event:
                    introduced = Version("0") if event["introduced"] == "0" else Version(
                        event["introduced"])
                elif "fixed" in event and introduced is not None:
                    if introduced <= version < Version(event["fixed"]):
                        return True
                    introduced = None
                elif "last_affected" in event and introduced is not None:
                    if introduced <= version <= Version(event["last_affected"]):
                        return True
                    introduced = None
            except InvalidVersion:
                continue
        if introduced is not None and version >= introduced:
            return True
    return False


def matches(advisory: dict, packages: dict[str, str]) -> list[str]:  # type: ignore[type-arg]
    """Installed `name==version` strings the advisory affects."""
    hits = []
    for affected in advisory.get("affected", []):
        package = affected.get("package", {})
        if package.get("ecosystem") != "PyPI":
            continue
        name = canonicalize_name(package.get("name", ""))
        if name not in packages:
            continue
        text = packages[name]
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if text in affected.get("versions", []) or _in_ranges(version, affected.get("ranges", [])):
            hits.append(f"{name}=={text}")
    return hits


def audit(packages: dict[str, str], folder: Path | None) -> tuple[list[str], int, list[str]]:
    """(findings, advisories read, report lines)."""
    lines = [f"{len(packages)} installed distributions"]
    if folder is None or not folder.is_dir():
        lines.append("NOT CHECKED: no advisory snapshot (give --advisories DIR or "
                     "CLEPATH_ADVISORIES); 0 distributions were checked against advisories.")
        return [], 0, lines
    findings: list[str] = []
    read = 0
    covered: set[str] = set()
    for path in sorted(folder.rglob("*.json")):
        try:
            advisory = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            lines.append(f"unreadable advisory file: {path.name}")
            continue
        read += 1
        for affected in advisory.get("affected", []):
            covered.add(canonicalize_name(affected.get("package", {}).get("name", "")))
        findings += [f"{hit}: {advisory.get('id', path.stem)} {advisory.get('summary', '')}"
                     for hit in matches(advisory, packages)]
    lines.append(f"{read} advisories read from {folder}; {len(packages)} distributions "
                 f"checked ({len(set(packages) & covered)} have advisories of some version)")
    return findings, read, lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--advisories", type=Path,
                        default=os.environ.get("CLEPATH_ADVISORIES") or None)
    args = parser.parse_args()
    findings, read, lines = audit(installed(), args.advisories)
    print(*lines, sep="\n")
    print(*(f"VULNERABLE {f}" for f in findings), sep="\n") if findings else None
    if findings:
        return 1
    return 0 if read else 2


if __name__ == "__main__":
    sys.exit(main())
