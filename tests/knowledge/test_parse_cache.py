"""The checked-pack cache (one pickled pack per manifest, its content hash compared with the
files on disk): same rows, never stale, never trusted to run code, optional."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import pytest

from clepath.errors import KnowledgeError
from clepath.knowledge.loader import PACKS_DIR, load_pack
from clepath.knowledge.models.glucocorticoids import Equivalence


def _ratios(folder: Path) -> dict[str, float | None]:
    rows = load_pack(folder).tables["equivalences"]
    return {r.id: r.ratio for r in rows if isinstance(r, Equivalence)}


def _entries(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache" / "packs").glob("*.pickle"))


@pytest.fixture
def pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CLEPATH_CACHE_DIR", str(tmp_path / "cache"))
    target = tmp_path / "glucocorticoids"
    shutil.copytree(PACKS_DIR / "glucocorticoids", target)
    return target


def test_cached_pack_reads_the_same_rows(pack: Path, tmp_path: Path) -> None:
    """A pack read back from the cache holds the same rows (hydrocortisone 4 mg per mg of
    prednisone), manifest and content hash as the first, checked read; one entry per pack."""
    first = load_pack(pack)
    entries = _entries(tmp_path)
    second = load_pack(pack)

    assert len(entries) == 1
    assert second.tables == first.tables
    assert second.manifest == first.manifest
    assert second.content_hash == first.content_hash
    assert _ratios(pack)["hydrocortisone"] == 4.0


def test_cached_read_does_not_parse_yaml(pack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once cached, a pack loads without its YAML being parsed again (the ratio stays 4.0)."""
    load_pack(pack)
    import yaml

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("YAML parsed although the pack is cached")

    monkeypatch.setattr(yaml, "load", refuse)

    assert _ratios(pack)["hydrocortisone"] == 4.0


def test_edited_file_is_never_read_from_the_old_entry(pack: Path) -> None:
    """After the hydrocortisone ratio is edited from 4.0 to 4.5, the next load reads 4.5."""
    assert _ratios(pack)["hydrocortisone"] == 4.0
    path = pack / "equivalences.yaml"
    path.write_text(path.read_text().replace("ratio: 4.0,", "ratio: 4.5,"))

    assert _ratios(pack)["hydrocortisone"] == 4.5


def test_tampered_pack_is_refused_although_cached(pack: Path) -> None:
    """A row given a key its model does not know, after the pack was cached, is refused with
    the file and row named (the cached, valid pack is not served instead)."""
    load_pack(pack)
    path = pack / "equivalences.yaml"
    path.write_text(path.read_text().replace("ratio: 4.0,", "ratio: 4.0, potency: 9,", 1))

    with pytest.raises(KnowledgeError, match=r"equivalences\.yaml row \d+"):
        load_pack(pack)


def test_damaged_entry_is_ignored(pack: Path, tmp_path: Path) -> None:
    """A cut-short cache entry is ignored and the YAML read instead (prednisone ratio 1.0)."""
    load_pack(pack)
    for entry in _entries(tmp_path):
        entry.write_bytes(entry.read_bytes()[:10])

    assert _ratios(pack)["prednisone"] == 1.0


class _RunsCode:
    """Pickles as a call of os.system: what a planted entry would try."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("touch pwned",))


def test_entry_naming_other_code_is_never_run(
    pack: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry replaced by a pickle that calls os.system is refused without running it, and
    the pack is read from its files (prednisone ratio 1.0)."""
    load_pack(pack)
    monkeypatch.chdir(tmp_path)
    for entry in _entries(tmp_path):
        entry.write_bytes(pickle.dumps(_RunsCode()))

    ratios = _ratios(pack)

    assert not (tmp_path / "pwned").exists()
    assert ratios["prednisone"] == 1.0


def test_entry_of_another_pack_is_not_served(pack: Path, tmp_path: Path) -> None:
    """An entry holding a different pack (the labs pack) under this pack's name is not served:
    its content hash is not the hash of these files."""
    load_pack(pack)
    labs = load_pack(PACKS_DIR / "labs")
    for entry in _entries(tmp_path):
        entry.write_bytes(pickle.dumps(labs))

    assert load_pack(pack).manifest.id == "glucocorticoids"


def test_week_old_entries_of_the_pack_are_removed(pack: Path, tmp_path: Path) -> None:
    """When a pack's new entry is written, its entries older than a week and week-old files of
    the former JSON parse cache go; a recent entry of another version and another pack's old
    entry stay (the new read has ratio 4.5)."""
    folder = tmp_path / "cache" / "packs"
    folder.mkdir(mode=0o700, parents=True)
    old_here, recent_here, old_other, old_json = (
        folder / "glucocorticoids-aaaa.pickle",
        folder / "glucocorticoids-bbbb.pickle",
        folder / "labs-cccc.pickle",
        folder / "dddd.json",
    )
    for made in (old_here, recent_here, old_other, old_json):
        made.write_bytes(b"x")
    for made in (old_here, old_other, old_json):
        os.utime(made, (made.stat().st_atime, made.stat().st_mtime - 8 * 24 * 3600))
    path = pack / "equivalences.yaml"
    path.write_text(path.read_text().replace("ratio: 4.0,", "ratio: 4.5,"))

    assert _ratios(pack)["hydrocortisone"] == 4.5
    assert (False, True, True, False) == (
        old_here.exists(),
        recent_here.exists(),
        old_other.exists(),
        old_json.exists(),
    )


def test_folder_others_can_write_is_closed_first(pack: Path, tmp_path: Path) -> None:
    """The user's own cache folder left writable by others is made 0700 before use (the pack
    still reads ratio 4.0 and its entry is written)."""
    folder = tmp_path / "cache" / "packs"
    folder.mkdir(parents=True)
    folder.chmod(0o777)

    assert _ratios(pack)["hydrocortisone"] == 4.0
    assert (0o700, 1) == (folder.stat().st_mode & 0o777, len(_entries(tmp_path)))


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give a folder away"
)
def test_folder_of_another_user_is_not_used(pack: Path, tmp_path: Path) -> None:
    """A cache folder owned by another user is neither read nor written (ratio still 4.0)."""
    folder = tmp_path / "cache" / "packs"
    folder.mkdir(mode=0o700, parents=True)
    os.chown(folder, 65534, 65534)

    assert _ratios(pack)["hydrocortisone"] == 4.0
    assert _entries(tmp_path) == []


def test_empty_setting_turns_the_cache_off(
    pack: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With CLEPATH_CACHE_DIR empty nothing is written and the pack still reads (ratio 0.15)."""
    monkeypatch.setenv("CLEPATH_CACHE_DIR", "")

    assert _ratios(pack)["dexamethasone"] == 0.15
    assert not (tmp_path / "cache").exists()
