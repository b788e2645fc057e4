"""The pack parse cache (JSON named by the YAML bytes' hash): same rows, never stale, optional."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from clepath.knowledge.loader import PACKS_DIR, load_pack
from clepath.knowledge.models.glucocorticoids import Equivalence


def _ratios(folder: Path) -> dict[str, float | None]:
    rows = load_pack(folder).tables["equivalences"]
    return {r.id: r.ratio for r in rows if isinstance(r, Equivalence)}


@pytest.fixture
def pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CLEPATH_CACHE_DIR", str(tmp_path / "cache"))
    target = tmp_path / "glucocorticoids"
    shutil.copytree(PACKS_DIR / "glucocorticoids", target)
    return target


def test_cached_pack_reads_the_same_rows(pack: Path, tmp_path: Path) -> None:
    """A pack read back from the cache holds the same rows (hydrocortisone 4 mg per mg of
    prednisone) and content hash as the first, parsed read; one JSON entry per YAML file."""
    first = load_pack(pack)
    entries = sorted((tmp_path / "cache" / "packs").glob("*.json"))
    second = load_pack(pack)

    assert len(entries) == len(list(pack.glob("*.yaml")))
    assert second.tables == first.tables
    assert second.content_hash == first.content_hash
    assert _ratios(pack)["hydrocortisone"] == 4.0


def test_edited_file_is_never_read_from_the_old_entry(pack: Path) -> None:
    """After the hydrocortisone ratio is edited from 4.0 to 4.5, the next load reads 4.5."""
    assert _ratios(pack)["hydrocortisone"] == 4.0
    path = pack / "equivalences.yaml"
    path.write_text(path.read_text().replace("ratio: 4.0,", "ratio: 4.5,"))

    assert _ratios(pack)["hydrocortisone"] == 4.5


def test_damaged_entry_is_ignored(pack: Path, tmp_path: Path) -> None:
    """A cut-short cache entry is ignored and the YAML read instead (prednisone ratio 1.0)."""
    load_pack(pack)
    for entry in (tmp_path / "cache" / "packs").glob("*.json"):
        entry.write_bytes(entry.read_bytes()[:10])

    assert _ratios(pack)["prednisone"] == 1.0


def test_empty_setting_turns_the_cache_off(
    pack: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With CLEPATH_CACHE_DIR empty nothing is written and the pack still reads (ratio 0.15)."""
    monkeypatch.setenv("CLEPATH_CACHE_DIR", "")

    assert _ratios(pack)["dexamethasone"] == 0.15
    assert not (tmp_path / "cache").exists()
