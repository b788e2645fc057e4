"""The durability proof: write through the API while the server is killed with SIGKILL at
random moments, restart it, and check that every acknowledged write is there, that valid
writes are accepted again, and that the database passes its integrity check.

`make soak` runs 20 rounds per database (`python -m tests.ops.kill9 --rounds 20`); the test
suite runs a bounded, seeded slice (tests/ops/test_durability.py). Loopback only.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

PASSWORD = "kill nine harness password"  # noqa: S105 - a throwaway user in a test database
WRITERS = 4
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Tally:
    """What the rounds produced."""

    acknowledged: int = 0
    lost: list[str] = field(default_factory=list)
    refused_after_restart: int = 0
    rounds: int = 0
    integrity: str = "not checked"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def prepare(url: str) -> int:
    """Migrate, add the writer and one patient; the patient's id."""
    from clepath.casefile import load_case
    from clepath.cli.common import demo_path
    from clepath.knowledge.loader import load_knowledge
    from clepath.store import Store, make_engine, session_factory, upgrade

    upgrade(url)
    kb = load_knowledge()
    engine = make_engine(url)
    try:
        with Store.open(session_factory(engine), kb) as store:
            if store.users.by_name("kill9") is None:
                store.users.add("kill9", PASSWORD, "clinician")
            case = load_case(demo_path("seed"), kb)
            # A case id of its own: a shared test database may already hold the seed case.
            case = dataclasses.replace(case, id=f"kill9-{uuid.uuid4().hex[:12]}")
            patient_id = store.patients.add_case(case)
            store.commit()
    finally:
        engine.dispose()
    return patient_id


class Server:
    """`clepath serve` as a child process on a random loopback port."""

    def __init__(self, url: str, folder: Path) -> None:
        self.url, self.folder = url, folder
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start and wait (up to 60 s) until `/readyz` answers."""
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "CLEPATH_LOG_LEVEL": "warning",
               "CLEPATH_SECRET_KEY": "kill9-harness"}
        log = (self.folder / "serve.log").open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
            [sys.executable, "-m", "clepath.cli.main", "serve", "--no-demo", "--port",
             str(self.port), "--database-url", self.url], env=env, stdout=log,
            stderr=subprocess.STDOUT, cwd=self.folder)
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError("serve exited during start-up")
            time.sleep(0.1)
        raise RuntimeError("serve did not start within 60 s")

    def kill(self) -> None:
        """SIGKILL: no clean-up, no flush."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        """A normal stop."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _client(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=10)
    answer = client.post("/api/session", json={"username": "kill9", "password": PASSWORD})
    answer.raise_for_status()
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return client


def _write(client: httpx.Client, patient_id: int, note: str) -> bool:
    answer = client.post(f"/api/patients/{patient_id}/findings",
                         json={"name": "joint_pain", "date": "2019-05-30", "note": note})
    return answer.status_code == 201


def _notes(client: httpx.Client, patient_id: int) -> set[str]:
    answer = client.get(f"/api/patients/{patient_id}/findings")
    answer.raise_for_status()
    return {str(item["entry"].get("note")) for item in answer.json()}


def run(url: str, folder: Path, rounds: int, seed: int = 11) -> Tally:
    """Kill the server `rounds` times while four clients write; check after each restart."""
    rng = random.Random(seed)
    patient_id = prepare(url)
    tally = Tally()
    server = Server(url, folder)
    for number in range(rounds):
        server.start()
        acked: list[str] = []
        stop = threading.Event()

        # Sign in first (argon2 takes a while on a busy machine), then write until killed.
        clients = [_client(server.base) for _ in range(WRITERS)]

        def writer(
            index: int, round_number: int = number, stop: threading.Event = stop,
            acked: list[str] = acked, clients: list[httpx.Client] = clients,
        ) -> None:
            client = clients[index]
            count = 0
            while not stop.is_set():
                note = f"r{round_number}-w{index}-{count}"
                try:
                    if _write(client, patient_id, note):
                        acked.append(note)  # list.append is atomic
                except httpx.HTTPError:
                    return
                count += 1

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
        for thread in threads:
            thread.start()
        waited = time.monotonic()
        while not acked and time.monotonic() - waited < 20:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.1, 1.5))
        server.kill()
        stop.set()
        for thread in threads:
            thread.join(15)
        for old in clients:
            old.close()
        server.start()
        client = _client(server.base)
        present = _notes(client, patient_id)
        tally.acknowledged += len(acked)
        tally.lost += [note for note in acked if note not in present]
        tally.refused_after_restart += sum(
            not _write(client, patient_id, f"r{number}-after-{i}") for i in range(3))
        client.close()
        server.stop()
        tally.rounds += 1
    from clepath.store.database import sqlite_path

    path = sqlite_path(url)
    if path is not None:
        with sqlite3.connect(path) as db:
            tally.integrity = str(db.execute("PRAGMA integrity_check").fetchone()[0])
        db.close()
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--database-url", default=None,
                        help="default: a new SQLite file; then $CLEPATH_TEST_POSTGRES_URL too")
    args = parser.parse_args()
    import tempfile

    failed = 0
    with tempfile.TemporaryDirectory(prefix="clepath-kill9-") as name:
        folder = Path(name)
        urls = [args.database_url] if args.database_url else [f"sqlite:///{folder / 'k.db'}"]
        if not args.database_url and os.environ.get("CLEPATH_TEST_POSTGRES_URL"):
            urls.append(os.environ["CLEPATH_TEST_POSTGRES_URL"])
        for url in urls:
            tally = run(url, folder, max(1, min(args.rounds, 200)))
            shown = url.split("@")[-1]
            sys.stdout.write(
                f"{shown}: {tally.rounds} rounds, {tally.acknowledged} acknowledged writes, "
                f"{len(tally.lost)} lost, {tally.refused_after_restart} valid writes refused "
                f"after restart, integrity {tally.integrity}\n")
            failed += bool(tally.lost or tally.refused_after_restart)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
