"""What the app holds for its lifetime: settings, knowledge, the session factory, templates."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from clepath.knowledge.base import KnowledgeBase
from clepath.settings import Settings
from clepath.store import Store
from clepath.store.cdsstate import DatabaseCdsState
from clepath.store.throttle import DatabaseLoginThrottle

__all__ = ["AppState"]


@dataclass(frozen=True)
class AppState:
    """Everything `create_app` builds once; reached by the dependencies in `clepath.web.deps`."""

    settings: Settings
    knowledge: KnowledgeBase
    engine: Engine
    sessions: sessionmaker[Session]
    hasher: PasswordHasher
    throttle: DatabaseLoginThrottle
    templates: Jinja2Templates
    probe_engine: Engine | None = None
    cds_state: DatabaseCdsState = field(init=False)
    _probe: dict[str, object] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        # CDS token ids and card rules, in the database every worker process shares.
        object.__setattr__(self, "cds_state", DatabaseCdsState(self.engine))
        # The readiness check has its own thread, so busy requests never delay it.
        self._probe["executor"] = ThreadPoolExecutor(1, thread_name_prefix="clepath-readyz")

    def _query_database(self) -> None:
        engine = self.probe_engine or self.engine
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def probe_database(self) -> asyncio.Future[None]:
        """A check that the database answers; concurrent callers share one check."""
        running = self._probe.get("future")
        if isinstance(running, asyncio.Future) and not running.done():
            return running
        loop = asyncio.get_running_loop()
        executor = self._probe["executor"]
        assert isinstance(executor, ThreadPoolExecutor)
        future = loop.run_in_executor(executor, self._query_database)
        self._probe["future"] = future
        return future

    def store(self) -> Store:
        """A new unit of work (the caller closes it)."""
        return Store.open(self.sessions, self.knowledge, self.hasher)

    def close(self) -> None:
        """Release the database: the CDS state's connections, then the engine's pool."""
        self.cds_state.close()
        executor = self._probe["executor"]
        assert isinstance(executor, ThreadPoolExecutor)
        executor.shutdown(wait=False)
        if self.probe_engine is not None:
            self.probe_engine.dispose()
        self.engine.dispose()
