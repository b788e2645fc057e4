"""`clepath cds serve --workers 2`: two processes, one database. A token used at one worker is
refused at the other; feedback finds the rule of a card whichever worker made it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from clepath.cli.cds import DEV_ISSUER
from clepath.fhir.cds import harness as h
from clepath.store import make_engine
from clepath.store.tables import CdsFeedbackRow
from tests.cds.conftest import SUMMARY
from tests.conftest import ROOT


@dataclass
class Workers:
    base: str
    signer: h.Signer
    database_url: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workers]:
    """The real command with two workers on a loopback port and a SQLite file."""
    folder = tmp_path_factory.mktemp("cds-workers")
    port = _free_port()
    database_url = f"sqlite:///{folder / 'cds.db'}"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("CLEPATH_DATABASE_URL", None)
    log = (folder / "serve.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
        [sys.executable, "-m", "clepath.cli.main", "cds", "serve", "--port", str(port),
         "--workers", "2", "--dev-keys", str(folder / "keys"), "--database-url", database_url],
        cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("cds serve did not start: "
                                   + (folder / "serve.log").read_text(errors="replace"))
            time.sleep(0.3)
        key = h.load_key((folder / "keys" / "client-key.pem").read_bytes())
        yield Workers(base, h.Signer(DEV_ISSUER, key), database_url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


class TestTwoWorkers:
    def test_a_token_is_accepted_once_across_workers(self, workers: Workers) -> None:
        """The same token on twelve new connections (spread over both workers): one 200."""
        url = f"{workers.base}/cds-services"
        token = workers.signer.token(url)

        codes = []
        for _ in range(12):
            with httpx.Client(timeout=30) as client:  # a new connection each time
                codes.append(client.get(url, headers={"Authorization": f"Bearer {token}"})
                             .status_code)

        assert (1, 11) == (codes.count(200), codes.count(401))

    def test_feedback_finds_the_rule_of_the_card_at_either_worker(
        self, workers: Workers, kb  # type: ignore[no-untyped-def]
    ) -> None:
        """A summary card, then feedback on it over new connections: every stored item
        names the rule cle_summary."""
        from clepath.casefile import load_case
        from clepath.fhir.export import case_to_bundle
        from clepath.fhir.importer import collect_resources
        from tests.conftest import SCLE_CASE

        resources = collect_resources(case_to_bundle(load_case(SCLE_CASE, kb), kb,
                                                     include_ivig=False).bundle)
        context = {"userId": "Practitioner/1", "patientId": "w-1"}
        body = h.request_body("patient-view", patient_id="w-1",
                              prefetch=h.prefetch_for(resources, context))
        url = f"{workers.base}/cds-services/{SUMMARY}"
        with httpx.Client(timeout=60) as client:
            card = client.post(url, json=body, headers=workers.signer.bearer(url)).json()[
                "cards"][0]
        item = {"card": card["uuid"], "outcome": "overridden",
                "outcomeTimestamp": "2026-11-26T10:00:00Z",
                "overrideReason": {"reason": card["overrideReasons"][0]}}
        for _ in range(6):
            with httpx.Client(timeout=30) as client:
                answer = client.post(f"{url}/feedback", json={"feedback": [item]},
                                     headers=workers.signer.bearer(f"{url}/feedback"))
                assert 200 == answer.status_code

        engine = make_engine(workers.database_url)
        try:
            with engine.connect() as connection:
                rules = list(connection.scalars(
                    select(CdsFeedbackRow.rule).where(CdsFeedbackRow.card_id == card["uuid"])))
        finally:
            engine.dispose()
        assert ["cle_summary"] * 6 == rules
