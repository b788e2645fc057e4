"""What a cold command loads: only what it runs (issue 10 item 5), with the same output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

# Run a command in a fresh interpreter, then list which of these modules it loaded.
_PROBE = """
import contextlib, io, json, sys
from clepath.cli.main import main
watched = json.loads(sys.argv[2])
sys.argv = ["clepath", *json.loads(sys.argv[1])]
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        main()
    except SystemExit:
        pass
print(json.dumps({"out": out.getvalue(), "loaded": sorted(m for m in watched if m in sys.modules)}))
"""
_HEAVY = [
    "clepath.cli.care", "clepath.cli.cds", "clepath.cli.fhir", "clepath.cli.ingest",
    "clepath.cli.ivig", "clepath.cli.report", "clepath.cli.screen", "clepath.cli.web",
    "clepath.ingest.draft", "clepath.ingest.extract", "clepath.web", "reportlab", "alembic",
    "fastapi", "sqlalchemy",
]  # fmt: skip


def _probe(args: list[str], watched: list[str]) -> dict[str, object]:
    run = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", _PROBE, json.dumps(args), json.dumps(watched)],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return json.loads(run.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def test_assess_loads_no_other_command_nor_the_web_stack() -> None:
    """`clepath assess --demo scle --json` reports CLASI-A 12 with its knowledge versions and
    loads none of the other commands, the report reader, the web app, reportlab or Alembic."""
    found = _probe(["assess", "--demo", "scle", "--json"], _HEAVY)
    document = json.loads(str(found["out"]))

    assert {"drugs", "ivig", "clasi"} <= set(document["knowledge"])
    assert document["scores"]["clasi"]["activity"] == 12
    assert found["loaded"] == []


def test_help_still_lists_every_command() -> None:
    """`clepath --help` loads every command module and lists ivig, cds, serve and screen."""
    found = _probe(["--help"], ["clepath.cli.ivig", "clepath.cli.web"])
    listed = str(found["out"])

    assert all(f" {name} " in listed for name in ("ivig", "cds", "serve", "screen"))
    assert found["loaded"] == ["clepath.cli.ivig", "clepath.cli.web"]


def test_cds_server_app_module_loads_no_web_pages() -> None:
    """The CDS server's app module loads neither the web pages' routes nor reportlab."""
    code = (
        "import sys, clepath.web.cds_serve; "
        "print(sorted(m for m in ('clepath.web.routes', 'clepath.web.app', 'reportlab') "
        "if m in sys.modules))"
    )
    run = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )

    assert run.stdout.strip() == "[]"


def test_cds_server_on_sqlite_starts_without_fastapi_or_sqlalchemy(tmp_path: Path) -> None:
    """`clepath cds serve`'s app on a SQLite file is made (warm-up included) without importing
    FastAPI, SQLAlchemy, uvloop, rich or httpx; it keeps the trusted client and answers an
    unknown path as FastAPI does ({"detail": "Not Found"})."""
    jwks = tmp_path / "jwks.json"
    jwks.write_text('{"keys": []}', encoding="utf-8")
    code = (
        "import json, os, sys\n"
        "from clepath.web.cds_serve import ENV, serve_spec, app_from_env\n"
        f"os.environ[ENV] = serve_spec(base_url='http://testserver', issuers=[{{'iss': "
        f"'https://ehr.example.org', 'jwks_file': {str(jwks)!r}}}], "
        f"database_url={'sqlite:///' + str(tmp_path / 'cds.db')!r})\n"
        "app = app_from_env()\n"
        "loaded = sorted(m for m in ('fastapi', 'sqlalchemy', 'uvloop', 'rich', 'httpx') "
        "if m in sys.modules)\n"
        "from starlette.testclient import TestClient\n"
        "client = TestClient(app)\n"
        "missing = client.get('/nothing-here')\n"
        "print(json.dumps({'loaded': loaded, 'health': client.get('/healthz').json(),"
        " 'missing': [missing.status_code, missing.json()],"
        " 'discovery': client.get('/cds-services').status_code}))\n"
    )
    run = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-W", "ignore", "-c", code], cwd=ROOT, capture_output=True, text=True,
        check=True, timeout=120,
    )  # fmt: skip
    found = json.loads(run.stdout.splitlines()[-1])

    assert found == {"loaded": [], "health": {"ok": True},
                     "missing": [404, {"detail": "Not Found"}], "discovery": 401}
