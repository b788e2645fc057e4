"""Reads the knowledge packs from disk into a KnowledgeBase.

Each pack is a folder under `packs/` with a `manifest.toml` and one YAML file per table. Every
YAML file holds `rows:`, a list of mappings read through the table's pydantic row model
(unknown keys are errors); every row's `source` must name a source of the manifest.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import os
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
import yaml
from pydantic import ValidationError

from clepath.errors import KnowledgeError
from clepath.knowledge.base import KnowledgeBase, Manifest, Pack, Row

__all__ = ["PACKS_DIR", "cache_dir", "load_knowledge", "load_pack", "pack_dirs"]

PACKS_DIR = Path(__file__).parent / "packs"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's safe loader when built
# The parse cache's file names hash the YAML bytes with this tag: a new PyYAML or cache format
# never reads an older entry.
_CACHE_TAG = f"clepath-packs-json-1/pyyaml-{yaml.__version__}/{_LOADER.__name__}\0".encode()


def pack_dirs(root: Path = PACKS_DIR) -> list[Path]:
    """Every pack folder under `root`, sorted."""
    return sorted(p for p in root.iterdir() if (p / "manifest.toml").is_file())


def _model(spec: str) -> type[Row]:
    module_name, _, class_name = spec.partition(":")
    try:
        module = importlib.import_module(f"clepath.knowledge.models.{module_name}")
        model = getattr(module, class_name)
    except (ImportError, AttributeError) as exc:
        raise KnowledgeError(f"row model {spec!r} not found") from exc
    if not (isinstance(model, type) and issubclass(model, Row)):
        raise KnowledgeError(f"row model {spec!r} is not a knowledge Row")
    return model


def load_pack(folder: Path) -> Pack:
    """Read and check one pack folder."""
    digest = hashlib.sha256()
    manifest_bytes = (folder / "manifest.toml").read_bytes()
    digest.update(b"manifest.toml\0" + manifest_bytes)
    try:
        manifest = Manifest.model_validate(tomllib.loads(manifest_bytes.decode("utf-8")))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise KnowledgeError(f"pack {folder.name}: manifest.toml: {exc}") from exc
    if manifest.id != folder.name:
        raise KnowledgeError(f"pack folder {folder.name!r} holds manifest id {manifest.id!r}")
    source_ids = {s.id for s in manifest.sources}
    if len(source_ids) != len(manifest.sources):
        raise KnowledgeError(f"pack {manifest.id}: duplicate source ids")
    listed = {t.file for t in manifest.tables}
    on_disk = {p.name for p in folder.glob("*.yaml")}
    if on_disk - listed:
        raise KnowledgeError(
            f"pack {manifest.id}: files not listed in the manifest: {sorted(on_disk - listed)}"
        )
    tables: dict[str, tuple[Row, ...]] = {}
    for spec in manifest.tables:
        path = folder / spec.file
        try:
            raw_bytes = path.read_bytes()
        except OSError as exc:
            raise KnowledgeError(f"pack {manifest.id}: {spec.file}: {exc.strerror}") from exc
        digest.update(spec.file.encode() + b"\0" + raw_bytes)
        data = _parse_yaml(raw_bytes, f"pack {manifest.id}: {spec.file}")
        if (
            not isinstance(data, dict)
            or set(data) != {"rows"}
            or not isinstance(data["rows"], list)
        ):
            raise KnowledgeError(f"pack {manifest.id}: {spec.file} must hold exactly `rows: [...]`")
        model = _model(spec.model)
        rows: list[Row] = []
        ids: set[str] = set()
        for index, item in enumerate(data["rows"]):
            where = f"pack {manifest.id}: {spec.file} row {index + 1}"
            try:
                row = model.model_validate(item)
            except ValidationError as exc:
                raise KnowledgeError(f"{where}: {exc}") from exc
            missing = [s for s in row.source if s not in source_ids]
            if missing:
                raise KnowledgeError(f"{where}: source {missing} is not in the manifest")
            row_id = getattr(row, "id", None)
            if isinstance(row_id, str):
                if row_id in ids:
                    raise KnowledgeError(f"{where}: duplicate id {row_id!r}")
                ids.add(row_id)
            rows.append(row)
        tables[spec.name] = tuple(rows)
    return Pack(manifest=manifest, tables=tables, content_hash=digest.hexdigest())


def cache_dir() -> Path | None:
    """Where parsed pack files are kept: $CLEPATH_CACHE_DIR (empty: no cache), else
    $XDG_CACHE_HOME/clepath or ~/.cache/clepath."""
    configured = os.environ.get("CLEPATH_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "clepath"


def _parse_yaml(raw: bytes, where: str) -> Any:
    """The data of one pack file: from the parse cache when an entry for exactly these bytes
    exists, else parsed by PyYAML's safe loader (and cached as JSON when it round-trips).

    The cache holds JSON only (never pickle), is named by the SHA-256 of the file's bytes, so
    it can never be stale, and is written atomically; any unreadable entry is ignored. The
    rows read from it are still checked by their pydantic models like freshly parsed ones.
    """
    folder = cache_dir()
    entry = None
    if folder is not None:
        entry = folder / "packs" / f"{hashlib.sha256(_CACHE_TAG + raw).hexdigest()}.json"
        try:
            return orjson.loads(entry.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            pass
    try:
        data = yaml.load(raw, Loader=_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{where}: {exc}") from exc
    if entry is not None:
        _store(entry, data)
    return data


def _store(entry: Path, data: Any) -> None:
    """Write one cache entry if the data survives JSON unchanged (no dates, only string
    keys); failing to write is not an error."""
    try:
        text = orjson.dumps(data)
    except TypeError:
        return
    if orjson.loads(text) != data:
        return
    temp = None
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=entry.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(text)
        os.replace(temp, entry)
        temp = None
    except OSError:
        return
    finally:
        if temp is not None:
            Path(temp).unlink(missing_ok=True)


@functools.cache
def _load_all(root: str) -> tuple[Pack, ...]:
    return tuple(load_pack(folder) for folder in pack_dirs(Path(root)))


def load_knowledge(
    overrides: Mapping[str, Any] | None = None, root: Path = PACKS_DIR
) -> KnowledgeBase:
    """Load every pack (cached per process) and apply parameter overrides."""
    packs = {p.manifest.id: p for p in _load_all(str(root))}
    return KnowledgeBase(packs, overrides)
