"""End-to-end fixtures: the real server and a headless Chromium.

The server is `clepath serve`, started as `make run` starts it, in a subprocess on 127.0.0.1
on a free port, over a fresh SQLite database in a temporary folder. The database is prepared
and seeded before the server starts by the same functions `serve` calls (`prepare_database`,
`seed_demo`), so the demo patient is the published seed case and the demo user's password is
known to the tests. The server's own output goes to a log file, shown if it fails to start.

Chromium is Debian's `chromium` (or `$CLEPATH_TEST_CHROMIUM`), driven by Playwright's Python
package with `executable_path`; Playwright's own browser downloads are never used. Without a
Chromium (or without Playwright) the tests skip with the reason, except under `CI=true`, where
they fail: CI must never pass without its browser tests.

Screenshots go to `test-artefacts/` at the repository root (git-ignored); a failing test leaves
`test-artefacts/failed-<test>.png` there too.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from clepath.cli.web import DEMO_USER, prepare_database, seed_demo
from clepath.settings import Settings

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

__all__ = ["ARTEFACTS", "CHROMIUM_ARGS", "CHROMIUM_ENV", "Server", "sign_in"]

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "test-artefacts"
CHROMIUM_ENV = "CLEPATH_TEST_CHROMIUM"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT_S = 30.0
TIMEOUT_MS = 15_000


def _unavailable(reason: str) -> None:
    """Fail under CI=true, skip elsewhere."""
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"CI=true but the browser tests cannot run: {reason}")
    pytest.skip(reason)


def _chromium() -> str:
    """The Chromium executable: $CLEPATH_TEST_CHROMIUM, else `chromium` on the PATH."""
    given = os.environ.get(CHROMIUM_ENV, "").strip()
    path = given or shutil.which("chromium")
    if not path or not Path(path).is_file():
        _unavailable(
            f"no Chromium found (${CHROMIUM_ENV} or `chromium` on the PATH; on Debian: "
            "apt-get install chromium)"
        )
    assert path is not None
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Server:
    """The running app: its address and the demo user's sign-in."""

    url: str
    username: str
    password: str
    log: Path
    database_url: str = ""  # the server's SQLite database, for fixtures that add users


def _wait_until_up(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(f"{url}/api/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    output = log.read_text(encoding="utf-8", errors="replace")[-4000:]
    raise RuntimeError(f"clepath serve did not start at {url}:\n{output}")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`clepath serve` on a free loopback port over a fresh SQLite database with the demo."""
    folder = tmp_path_factory.mktemp("e2e")
    port = _free_port()
    settings = Settings(database_url=f"sqlite:///{folder / 'clepath.db'}", port=port)
    prepare_database(settings)
    password = seed_demo(settings)
    assert password is not None, "the fresh database was not seeded with the demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLEPATH_")}
    env.update({"CLEPATH_LOG_LEVEL": "warning", "PYTHONUNBUFFERED": "1"})
    log = folder / "server.log"
    command = [
        sys.executable, "-m", "clepath.cli.main", "serve", "--host", "127.0.0.1",
        "--port", str(port), "--database-url", settings.database_url,
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env,
                                   cwd=folder)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, url, log)
        yield Server(url, DEMO_USER, password, log, settings.database_url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium (Debian's), launched by Playwright."""
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


def new_context(browser: Browser, server: Server) -> BrowserContext:
    """A fresh browser profile on the server: no cookies, downloads accepted, laptop-sized."""
    context = browser.new_context(
        base_url=server.url, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


def sign_in(page: Page, server: Server, next_path: str = "/patients") -> None:
    """Open a page, get sent to the sign-in form, fill it in and submit it, as a person would."""
    page.goto(next_path)
    page.get_by_label("Username").fill(server.username)
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{next_path}")


@pytest.fixture(scope="module")
def page(browser: Browser, server: Server) -> Iterator[Page]:
    """One signed-in tab shared by a module's tests (they run in file order)."""
    context = new_context(browser, server)
    tab = context.new_page()
    sign_in(tab, server)
    try:
        yield tab
    finally:
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    """Keep each phase's report on the test item, for the failure screenshot."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def screenshot_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a failing test that used the shared tab, save what the browser showed."""
    yield
    report = getattr(request.node, "report_call", None)
    if report is None or not report.failed or "page" not in request.fixturenames:
        return
    tab: Page = request.getfixturevalue("page")
    ARTEFACTS.mkdir(exist_ok=True)
    try:
        tab.screenshot(path=str(ARTEFACTS / f"failed-{request.node.name}.png"), full_page=True)
    except Exception as exc:  # noqa: BLE001 - a failed screenshot must not hide the failure
        sys.stderr.write(f"no failure screenshot: {type(exc).__name__}\n")
