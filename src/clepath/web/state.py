"""What the app holds for its lifetime: settings, knowledge, the session factory, templates."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from clepath.knowledge.base import KnowledgeBase
from clepath.settings import Settings
from clepath.store import Store
from clepath.web.throttle import LoginThrottle

__all__ = ["AppState"]


@dataclass(frozen=True)
class AppState:
    """Everything `create_app` builds once; reached by the dependencies in `clepath.web.deps`."""

    settings: Settings
    knowledge: KnowledgeBase
    engine: Engine
    sessions: sessionmaker[Session]
    hasher: PasswordHasher
    throttle: LoginThrottle
    templates: Jinja2Templates

    def store(self) -> Store:
        """A new unit of work (the caller closes it)."""
        return Store.open(self.sessions, self.knowledge, self.hasher)
