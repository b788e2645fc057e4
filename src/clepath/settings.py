"""The web app's settings: one frozen object read from `CLEPATH_*` environment variables.

Imported only by `clepath.cli` and `clepath.web`; nothing is read at import time. The defaults
suit a laptop: SQLite in the working directory, the server on loopback port 8000.

| variable | field | default |
| --- | --- | --- |
| `CLEPATH_DATABASE_URL` | `database_url` | `sqlite:///clepath.db` |
| `CLEPATH_SECRET_KEY` | `secret_key` | random per process (sign-in forms reload on restart) |
| `CLEPATH_HOST` | `host` | `127.0.0.1` |
| `CLEPATH_PORT` | `port` | `8000` |
| `CLEPATH_COOKIE_SECURE` | `cookie_secure` | automatic: Secure unless plain HTTP on loopback |
| `CLEPATH_SESSION_HOURS` | `session_hours` | `12` |
| `CLEPATH_LOGIN_ATTEMPTS` | `login_attempts` | `5` failures per window before sign-in pauses |
| `CLEPATH_LOGIN_WINDOW_MINUTES` | `login_window_minutes` | `15` |
| `CLEPATH_LOG_LEVEL` | `log_level` | `info` |
| `CLEPATH_LOG_FORMAT` | `log_format` | `json` (one JSON object a line) or `text` |
| `CLEPATH_MAX_CONCURRENCY` | `max_concurrency` | `4` requests running at once per worker |
| `CLEPATH_MAX_QUEUE` | `max_queue` | `16` more may wait; beyond that a fast 503 + Retry-After |
| `CLEPATH_QUEUE_SECONDS` | `queue_seconds` | `1` s longest wait for a turn (then 503) |
| `CLEPATH_REQUEST_TIMEOUT_SECONDS` | `request_timeout_seconds` | `30` s deadline per request |
| `CLEPATH_TRUSTED_PROXIES` | `trusted_proxies` | none (`X-Forwarded-For` ignored) |
| `CLEPATH_CDS_BASE_URL` | `cds_base_url` | `http://HOST:PORT` (token `aud` must match) |
| `CLEPATH_CDS_ISSUERS_FILE` | `cds_issuers_file` | none: every CDS call is refused (401) |
| `CLEPATH_CDS_CORS_ORIGINS` | `cds_cors_origins` | none (comma-separated browser origins) |
| `CLEPATH_CDS_FHIR_SERVERS` | `cds_fhir_servers` | any https server (comma-separated) |
| `CLEPATH_CDS_ALLOW_HTTP_FHIR` | `cds_allow_http_fhir` | `false` |
| `CLEPATH_PUBLIC_URL` | `public_url` | none: CDS cards link to the web app at `http://HOST:PORT` |

The issuers file is JSON: `[{"iss": "https://ehr.example/cds", "jwks_file": "ehr-jwks.json"}]`
or with `"jwks_url"` instead of `"jwks_file"`; relative paths are read from the file's folder.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from clepath.errors import CaseError, FieldProblem

__all__ = ["DEFAULT_DATABASE_URL", "LOOPBACK_HOSTS", "Settings"]

DEFAULT_DATABASE_URL = "sqlite:///clepath.db"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
_PREFIX = "CLEPATH_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _random_key() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Settings:
    """Everything the web app and `clepath serve` need to know about their environment."""

    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = field(default_factory=_random_key, repr=False)
    host: str = "127.0.0.1"
    port: int = 8000
    cookie_secure: bool | None = None  # None: decided per request (see `secure_cookies_for`)
    session_hours: float = 12.0
    login_attempts: int = 5
    login_window_minutes: float = 15.0
    log_level: str = "info"
    log_format: str = "json"
    max_concurrency: int = 4
    max_queue: int = 16
    queue_seconds: float = 1.0
    request_timeout_seconds: float = 30.0
    trusted_proxies: tuple[str, ...] = ()
    cds_base_url: str | None = None
    cds_issuers_file: str | None = None
    cds_cors_origins: tuple[str, ...] = ()
    cds_fhir_servers: tuple[str, ...] = ()
    cds_allow_http_fhir: bool = False
    public_url: str | None = None  # where users reach the web app (CDS card links)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from `CLEPATH_*` variables; keyword overrides (from CLI options) win.

        Raises:
            CaseError: naming the variable when a value cannot be read.
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        problems: list[FieldProblem] = []
        for name, reader in _READERS.items():
            raw = env.get(_PREFIX + name.upper())
            if raw is None or raw.strip() == "":
                continue
            try:
                values[name] = reader(raw.strip())
            except ValueError as exc:
                problems.append(FieldProblem(_PREFIX + name.upper(), raw, str(exc)))
        if problems:
            raise CaseError(problems)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    @property
    def is_sqlite(self) -> bool:
        """True when the database is a SQLite file (the default)."""
        return self.database_url.startswith("sqlite")

    @property
    def public_base_url(self) -> str:
        """The URL the CDS endpoints hang from (`aud` of EHR tokens is checked against it)."""
        if self.cds_base_url:
            return self.cds_base_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def on_loopback(self) -> bool:
        """True when the server listens on this machine only."""
        return self.host in LOOPBACK_HOSTS

    def secure_cookies_for(self, scheme: str, hostname: str | None) -> bool:
        """Whether a cookie set on this request must be marked Secure.

        An explicit `cookie_secure` wins; otherwise cookies are Secure unless the request came
        over plain HTTP to a loopback address (a clinician's own laptop).
        """
        if self.cookie_secure is not None:
            return self.cookie_secure
        return not (scheme == "http" and (hostname or "") in LOOPBACK_HOSTS)


def _bool(raw: str) -> bool:
    word = raw.lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError("must be true or false")


def _port(raw: str) -> int:
    value = int(raw)
    if not 0 < value < 65536:
        raise ValueError("must be a port number from 1 to 65535")
    return value


def _positive(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise ValueError("must be a positive number")
    return value


def _count(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError("must be a whole number of at least 1")
    return value


def _log_format(raw: str) -> str:
    if raw.lower() not in ("json", "text"):
        raise ValueError("must be json or text")
    return raw.lower()


def _text(raw: str) -> str:
    return raw


def _list(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


_READERS = {
    "database_url": _text,
    "secret_key": _text,
    "host": _text,
    "port": _port,
    "cookie_secure": _bool,
    "session_hours": _positive,
    "login_attempts": _count,
    "login_window_minutes": _positive,
    "log_level": _text,
    "log_format": _log_format,
    "max_concurrency": _count,
    "max_queue": _count,
    "queue_seconds": _positive,
    "request_timeout_seconds": _positive,
    "trusted_proxies": _list,
    "cds_base_url": _text,
    "public_url": _text,
    "cds_issuers_file": _text,
    "cds_cors_origins": _list,
    "cds_fhir_servers": _list,
    "cds_allow_http_fhir": _bool,
}
