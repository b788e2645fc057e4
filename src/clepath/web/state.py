"""What the app holds for its lifetime: settings, knowledge, the session factory, templates."""

from __future__ import annotations

from dataclasses import dataclass, field

from argon2 import PasswordHasher
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
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
    cds_state: DatabaseCdsState = field(init=False)

    def __post_init__(self) -> None:
        # CDS token ids and card rules, in the database every worker process shares.
        object.__setattr__(self, "cds_state", DatabaseCdsState(self.engine))

    def store(self) -> Store:
        """A new unit of work (the caller closes it)."""
        return Store.open(self.sessions, self.knowledge, self.hasher)

    def close(self) -> None:
        """Release the database: the CDS state's connections, then the engine's pool."""
        self.cds_state.close()
        self.engine.dispose()
