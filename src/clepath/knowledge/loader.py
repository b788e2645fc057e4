"""Reads the knowledge packs from disk into a KnowledgeBase.

Each pack is a folder under `packs/` with a `manifest.toml` and one YAML file per table. Every
YAML file holds `rows:`, a list of mappings read through the table's pydantic row model
(unknown keys are errors); every row's `source` must name a source of the manifest.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from clepath.errors import KnowledgeError
from clepath.knowledge.base import KnowledgeBase, Manifest, Pack, Row

__all__ = ["PACKS_DIR", "load_knowledge", "load_pack", "pack_dirs"]

PACKS_DIR = Path(__file__).parent / "packs"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's safe loader when built


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
        try:
            data = yaml.load(raw_bytes, Loader=_LOADER)  # noqa: S506 - a safe loader
        except yaml.YAMLError as exc:
            raise KnowledgeError(f"pack {manifest.id}: {spec.file}: {exc}") from exc
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


@functools.cache
def _load_all(root: str) -> tuple[Pack, ...]:
    return tuple(load_pack(folder) for folder in pack_dirs(Path(root)))


def load_knowledge(
    overrides: Mapping[str, Any] | None = None, root: Path = PACKS_DIR
) -> KnowledgeBase:
    """Load every pack (cached per process) and apply parameter overrides."""
    packs = {p.manifest.id: p for p in _load_all(str(root))}
    return KnowledgeBase(packs, overrides)
