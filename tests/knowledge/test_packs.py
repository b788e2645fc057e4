"""Knowledge packs: strict schema, a source on every row, versions that move with content."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from clepath.errors import KnowledgeError
from clepath.knowledge.base import KnowledgeBase
from clepath.knowledge.loader import PACKS_DIR, load_knowledge, load_pack, pack_dirs
from tests.conftest import ROOT

LOCK = ROOT / "tests" / "golden" / "packs.lock.json"


def _copy_pack(tmp_path: Path, pack_id: str) -> Path:
    target = tmp_path / pack_id
    shutil.copytree(PACKS_DIR / pack_id, target)
    return target


class TestEveryPack:
    @pytest.mark.parametrize("folder", pack_dirs(), ids=lambda p: p.name)
    def test_pack_loads_and_every_row_has_a_source(self, folder: Path) -> None:
        """Every row of every pack cites at least one source of its manifest."""
        pack = load_pack(folder)

        source_ids = {s.id for s in pack.manifest.sources}
        for rows in pack.tables.values():
            for row in rows:
                assert row.source and set(row.source) <= source_ids

    @pytest.mark.parametrize("folder", pack_dirs(), ids=lambda p: p.name)
    def test_changed_pack_has_a_new_version(self, folder: Path) -> None:
        """A pack's content hash matches the one locked for its version (bump, then relock)."""
        pack = load_pack(folder)
        lock = json.loads(LOCK.read_text())

        locked = lock.get(pack.manifest.id, {}).get(pack.manifest.version)

        assert locked is not None, f"{pack.ref} is not locked: run scripts/lock_packs.py"
        assert locked == pack.content_hash, (
            f"{pack.ref} changed without a version bump: bump it, then run scripts/lock_packs.py"
        )

    def test_versions_are_reported(self, kb: KnowledgeBase) -> None:
        """Every loaded pack reports a semantic version."""
        versions = kb.versions()

        assert {"labs", "vocabulary", "alerts"} <= set(versions)
        assert all(v.count(".") == 2 for v in versions.values())


class TestStrictness:
    def test_unknown_key_is_an_error(self, tmp_path: Path) -> None:
        """A row with a key its model does not define is refused."""
        folder = _copy_pack(tmp_path, "labs")
        text = (folder / "egfr.yaml").read_text().replace("tag: V", "tag: V\n    typo_key: 1", 1)
        (folder / "egfr.yaml").write_text(text)

        with pytest.raises(KnowledgeError, match="typo_key"):
            load_pack(folder)

    def test_row_without_source_is_an_error(self, tmp_path: Path) -> None:
        """A row with no source is refused."""
        folder = _copy_pack(tmp_path, "labs")
        text = (folder / "egfr.yaml").read_text().replace("source: inker2021", "", 1)
        (folder / "egfr.yaml").write_text(text)

        with pytest.raises(KnowledgeError, match="source"):
            load_pack(folder)

    def test_source_missing_from_manifest_is_an_error(self, tmp_path: Path) -> None:
        """A row citing a source the manifest does not list is refused."""
        folder = _copy_pack(tmp_path, "labs")
        text = (folder / "egfr.yaml").read_text().replace("source: inker2021", "source: nobody", 1)
        (folder / "egfr.yaml").write_text(text)

        with pytest.raises(KnowledgeError, match="nobody"):
            load_pack(folder)

    def test_unlisted_file_is_an_error(self, tmp_path: Path) -> None:
        """A data file the manifest does not list is refused (it would be silently ignored)."""
        folder = _copy_pack(tmp_path, "labs")
        (folder / "extra.yaml").write_text("rows: []\n")

        with pytest.raises(KnowledgeError, match="extra.yaml"):
            load_pack(folder)


class TestParameters:
    def test_unknown_override_is_refused_with_a_suggestion(self) -> None:
        """Overriding a parameter that does not exist is an error."""
        with pytest.raises(KnowledgeError, match="unknown parameter"):
            load_knowledge({"labs.no_such_thing": 1})

    def test_every_parameter_has_a_description(self, kb: KnowledgeBase) -> None:
        """Parameters explain themselves."""
        assert all(p.description.strip() for p in kb.parameters().values())

    def test_unconfirmed_parameters_are_flagged(self, kb: KnowledgeBase) -> None:
        """Each [U] parameter reports itself as an unconfirmed default."""
        unconfirmed = [k for k, p in kb.parameters().items() if p.unconfirmed]

        assert all(kb.is_default_unconfirmed(k) for k in unconfirmed)


def test_ivig_regimens_carry_a_source_and_two_outside_cle(kb: KnowledgeBase) -> None:
    """Every IVIG regimen names a source; the two SJS/TEN rows name their disease and study."""
    from clepath.knowledge.models.ivig import RegimenPreset

    rows = kb.table("ivig", "regimens", RegimenPreset)
    outside = {r.id: (r.indication, r.source, r.tag) for r in rows if r.outside_cle}

    assert (7, True) == (len(rows), all(r.source for r in rows))
    assert {
        "sjs_ten_yang_2009": ("SJS/TEN", ("yang2009", "yang2009_cjd"), "V"),
        "sjs_ten_trent_2003": ("TEN", ("trent2003",), "V"),
    } == outside
