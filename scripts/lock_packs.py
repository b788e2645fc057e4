"""Record each knowledge pack's content hash under its version in tests/golden/packs.lock.json.

Run after changing a pack AND bumping its version. A changed pack whose version was not bumped
is refused (and the test suite fails on it), so a released pack@version never changes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from clepath.knowledge.loader import load_pack, pack_dirs  # noqa: E402

LOCK = ROOT / "tests" / "golden" / "packs.lock.json"


def main() -> int:
    lock: dict[str, dict[str, str]] = json.loads(LOCK.read_text()) if LOCK.exists() else {}
    status = 0
    for folder in pack_dirs():
        pack = load_pack(folder)
        versions = lock.setdefault(pack.manifest.id, {})
        known = versions.get(pack.manifest.version)
        if known is None:
            versions[pack.manifest.version] = pack.content_hash
            print(f"locked {pack.ref}")
        elif known != pack.content_hash:
            print(f"REFUSED {pack.ref}: content changed; bump its version first", file=sys.stderr)
            status = 1
    LOCK.write_text(json.dumps(lock, indent=2, sort_keys=True) + "\n")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
