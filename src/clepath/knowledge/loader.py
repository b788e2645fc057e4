"""Reads the knowledge packs from disk into a KnowledgeBase.

Each pack is a folder under `packs/` with a `manifest.toml` and one YAML file per table. Every
YAML file holds `rows:`, a list of mappings read through the table's pydantic row model
(unknown keys are errors); every row's `source` must name a source of the manifest.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import os
import pickle
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import VERSION as PYDANTIC_VERSION
from pydantic import BaseModel, ValidationError

from clepath.errors import KnowledgeError
from clepath.knowledge.base import KnowledgeBase, Manifest, Pack, Row

__all__ = ["PACKS_DIR", "cache_dir", "load_knowledge", "load_pack", "pack_dirs"]

PACKS_DIR = Path(__file__).parent / "packs"


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
    """Read and check one pack folder, or take it from the checked-pack cache when an entry
    holds a pack of exactly these bytes (see `_cached_pack`)."""
    manifest_bytes = (folder / "manifest.toml").read_bytes()
    on_disk = sorted(p.name for p in folder.glob("*.yaml"))
    entry = _cache_entry(folder.name, manifest_bytes, on_disk)
    cached = _cached_pack(entry, folder, manifest_bytes)
    if cached is not None:
        return cached
    try:
        manifest = tomllib.loads(manifest_bytes.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"pack {folder.name}: manifest.toml: {exc}") from exc
    tables = manifest.get("tables", [])
    names = [t.get("file") if isinstance(t, dict) else None for t in tables]
    if not isinstance(tables, list) or not all(isinstance(n, str) for n in names):
        # Not a manifest's table list: its model check names the problem.
        _check_pack(folder, manifest, {}, "", set(on_disk))
        raise KnowledgeError(f"pack {folder.name}: manifest.toml: `tables` is not a list")
    files = _read_files(folder, names)
    content_hash = _content_hash(manifest_bytes, files)
    pack = _check_pack(folder, manifest, dict(files), content_hash, set(on_disk))
    if entry is not None:
        _store(entry, pack)
    return pack


def _read_files(folder: Path, names: list[str]) -> list[tuple[str, bytes]]:
    """The bytes of each of the pack's data files, in the manifest's order."""
    files: list[tuple[str, bytes]] = []
    for name in names:
        try:
            files.append((name, (folder / name).read_bytes()))
        except OSError as exc:
            raise KnowledgeError(f"pack {folder.name}: {name}: {exc.strerror}") from exc
    return files


def _content_hash(manifest_bytes: bytes, files: list[tuple[str, bytes]]) -> str:
    """The SHA-256 of the manifest and every data file: the hash the lock file records."""
    digest = hashlib.sha256(b"manifest.toml\0" + manifest_bytes)
    for name, raw in files:
        digest.update(name.encode() + b"\0" + raw)
    return digest.hexdigest()


def _check_pack(
    folder: Path, raw_manifest: Any, files: dict[str, bytes], content_hash: str, on_disk: set[str]
) -> Pack:
    """Parse and validate one pack: the manifest, every listed file and every row."""
    import yaml  # only when a pack is not in the cache

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's safe loader when built
    try:
        manifest = Manifest.model_validate(raw_manifest)
    except ValidationError as exc:
        raise KnowledgeError(f"pack {folder.name}: manifest.toml: {exc}") from exc
    if manifest.id != folder.name:
        raise KnowledgeError(f"pack folder {folder.name!r} holds manifest id {manifest.id!r}")
    source_ids = {s.id for s in manifest.sources}
    if len(source_ids) != len(manifest.sources):
        raise KnowledgeError(f"pack {manifest.id}: duplicate source ids")
    listed = {t.file for t in manifest.tables}
    if on_disk - listed:
        raise KnowledgeError(
            f"pack {manifest.id}: files not listed in the manifest: {sorted(on_disk - listed)}"
        )
    tables: dict[str, tuple[Row, ...]] = {}
    for spec in manifest.tables:
        try:
            data = yaml.load(files[spec.file], Loader=loader)  # noqa: S506 - a safe loader
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
    return Pack(manifest=manifest, tables=tables, content_hash=content_hash)


def cache_dir() -> Path | None:
    """Where checked packs are kept: $CLEPATH_CACHE_DIR (empty: no cache), else
    $XDG_CACHE_HOME/clepath or ~/.cache/clepath."""
    configured = os.environ.get("CLEPATH_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "clepath"


@functools.cache
def _code_tag() -> bytes | None:
    """What the checking code is: the cache format, the Python and pydantic versions, the
    installed PyYAML (its files' sizes and times, read without importing it) and the bytes of
    every module that reads or checks a pack (this loader, the base, the row models, the
    errors). None (no cache) when one of them cannot be read."""
    parts = [f"clepath-packs-checked-1/{sys.version}/pydantic-{PYDANTIC_VERSION}".encode()]
    here = Path(__file__).parent
    sources = [
        here.parent / "errors.py",
        *sorted(here.glob("*.py")),
        *sorted(here.glob("models/*.py")),
    ]
    try:
        spec = importlib.util.find_spec("yaml")
        if spec is None or spec.submodule_search_locations is None:
            return None
        for location in spec.submodule_search_locations:
            for installed in sorted(Path(location).iterdir()):
                if installed.suffix not in (".py", ".so", ".pyd"):
                    continue
                stat = installed.stat()
                parts.append(f"{installed.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
        parts.extend(p.name.encode() + b"\0" + p.read_bytes() for p in sources)
    except (OSError, ImportError, ValueError):
        return None
    return hashlib.sha256(b"\0".join(parts)).digest()


def _cache_entry(folder_name: str, manifest_bytes: bytes, on_disk: list[str]) -> Path | None:
    """The cache file of a pack with this manifest and these data files, as checked by this
    code, or None (no cache). The entry is found by the manifest; the data files' bytes are
    compared with the entry's content hash when it is read."""
    folder = cache_dir()
    tag = _code_tag()
    if folder is None or tag is None:
        return None
    packs = folder / "packs"
    if not _private(packs):
        return None
    names = "\0".join([folder_name, *on_disk]).encode()
    key = hashlib.sha256(tag + b"\0" + names + b"\0" + manifest_bytes).hexdigest()
    return packs / f"{folder_name}-{key}.pickle"


def _private(packs: Path) -> bool:
    """True when the cache folder is the user's own and nobody else may write to it (or does
    not exist yet; it is made 0700). A folder of the user's that others may write to (made
    under umask 002) is closed to them first; entries in anyone else's folder are never read
    nor written."""
    try:
        stat = packs.stat()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    if stat.st_uid != (os.getuid() if hasattr(os, "getuid") else stat.st_uid):
        return False
    if stat.st_mode & 0o022:
        try:
            packs.chmod(0o700)
        except OSError:
            return False
    return True


class _PackUnpickler(pickle.Unpickler):
    """Rebuilds only packs: the one class it may name is a pack, a manifest part or a row
    model of `clepath.knowledge`; any other global (a function, `os.system`) is refused, so an
    entry cannot run code."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "clepath.knowledge.base" or module.startswith("clepath.knowledge.models."):
            found = getattr(importlib.import_module(module), name, None)
            if isinstance(found, type) and (issubclass(found, BaseModel) or found is Pack):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not a knowledge class")


def _cached_pack(entry: Path | None, folder: Path, manifest_bytes: bytes) -> Pack | None:
    """The pack kept in `entry` when there is one, it is readable, and its content hash is
    the hash of the manifest and data files on disk now; else None (the pack is re-read)."""
    if entry is None:
        return None
    try:
        with entry.open("rb") as handle:
            pack = _PackUnpickler(handle).load()
        if not isinstance(pack, Pack):
            return None
        files = _read_files(folder, [t.file for t in pack.manifest.tables])
    except Exception:  # noqa: BLE001 - any unreadable entry is ignored and the pack re-read
        return None
    if pack.content_hash != _content_hash(manifest_bytes, files):
        return None
    return pack


_STALE_AFTER_S = 7 * 24 * 3600


def _store(entry: Path, pack: Pack) -> None:
    """Write one cache entry atomically, and remove the pack's entries written more than a week
    ago (older versions of the pack or of the code) and week-old files of the former JSON
    parse cache; failing to write is not an error."""
    import tempfile  # only when an entry is written
    import time

    temp = None
    try:
        data = pickle.dumps(pack, protocol=pickle.HIGHEST_PROTOCOL)
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=entry.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, entry)
        temp = None
        prefix = entry.name.rsplit("-", 1)[0]
        same_pack = [p for p in entry.parent.glob(f"{prefix}-*.pickle") if p != entry]
        former = list(entry.parent.glob("*.json"))  # the JSON parse cache this one replaced
        for other in same_pack + former:
            if other.suffix == ".pickle" and other.name.rsplit("-", 1)[0] != prefix:
                continue  # a pack whose id is this id, a hyphen and more
            if time.time() - other.stat().st_mtime > _STALE_AFTER_S:
                other.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return  # not cached: the pack is checked again next time
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
