"""Trusting CDS clients: the JWT on every call (CDS Hooks 2.0 §Trusting CDS Clients).

Every call (discovery, service, feedback) carries `Authorization: Bearer <JWT>`. A token is
accepted only when all of these hold (cds-hooks best practices, RFC 7515/7517/7519):

1. the header's `alg` is ES384 or RS384 (`none` and every symmetric HS* algorithm refused), its
   `typ` is JWT when given, and it names a `kid`;
2. `iss` is a configured trusted issuer; a `jku` header, when sent, is one of that issuer's
   allowlisted JWKS URLs (an unlisted jku is never fetched);
3. the key is found by `kid` in the issuer's JWKS (a file, or a URL re-read at most every
   `min_refresh_s` when an unknown kid arrives), matches the algorithm (P-384 EC or RSA of at
   least 2048 bits) and verifies the signature;
4. `aud` (a string or an array) contains the exact URL of the endpoint called;
5. `exp` and `iat` are present; the token has not expired and was not issued in the future
   (a small clock skew allowed); its lifetime is at most `max_lifetime_s`; `nbf`, when sent
   (Epic does), has passed; `sub` is accepted but not required;
6. `jti` is present, at most 255 characters, and not seen before from that issuer (kept until
   the token expires, in this process's memory or, with several server processes, in the
   database they share);
7. the `tenant`, when the issuer lists tenants, is one of them.

Any failure is one AuthFailure whose reason is for the server log only (the client gets a bare
401). Tokens are never logged: reasons name the check, never the token.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from clepath.errors import ClepathError

__all__ = [
    "ALGORITHMS",
    "AuthFailure",
    "JwksSource",
    "ReplayCache",
    "ReplayStore",
    "TokenVerifier",
    "TrustedIssuer",
    "VerifiedToken",
]

ALGORITHMS = ("ES384", "RS384")
_MAX_TOKEN_BYTES = 16_384
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
_MIN_RSA_BITS = 2048
_ES384_SIG_BYTES = 96
MAX_JTI_CHARS = 255


class AuthFailure(ClepathError):
    """A token was refused; the reason goes to the server log, never to the client."""


@dataclass(frozen=True)
class VerifiedToken:
    """What a verified token tells the service (for audit: issuer, jti, tenant)."""

    iss: str
    jti: str
    tenant: str | None
    claims: Mapping[str, Any] = field(repr=False)


class JwksSource:
    """An issuer's public keys: a JWKS file, a JWKS URL, or keys given directly."""

    def __init__(
        self,
        *,
        path: Path | str | None = None,
        url: str | None = None,
        keys: Mapping[str, Any] | None = None,
        timeout_s: float = 2.0,
        min_refresh_s: float = 30.0,
        max_age_s: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if sum(x is not None for x in (path, url, keys)) != 1:
            raise ValueError("give exactly one of path, url or keys")
        self.path = Path(path) if path is not None else None
        self.url = url
        self._timeout = timeout_s
        self._min_refresh = min_refresh_s
        self._max_age = max_age_s
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, dict[str, Any]] = {}
        self._parsed: dict[tuple[str, str], Any] = {}  # (kid, alg) -> public key object
        self._loaded_at: float | None = None
        if keys is not None:
            self._keys = self._index(keys)
            self._loaded_at = float("inf")

    @staticmethod
    def _index(jwks: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
        if not isinstance(keys, list):
            raise AuthFailure("the JWKS has no keys array")
        return {str(k["kid"]): dict(k) for k in keys if isinstance(k, Mapping) and "kid" in k}

    def _load(self) -> dict[str, dict[str, Any]]:
        if self.path is not None:
            return self._index(json.loads(self.path.read_text(encoding="utf-8")))
        import httpx

        assert self.url is not None
        response = httpx.get(self.url, timeout=self._timeout, follow_redirects=False)
        response.raise_for_status()
        return self._index(response.json())

    def key(self, kid: str) -> dict[str, Any] | None:
        """The JWK with this kid (the source is re-read when the kid is unknown or stale)."""
        with self._lock:
            now = self._clock()
            stale = self._loaded_at is None or now - self._loaded_at > self._max_age
            may_refresh = self._loaded_at is None or now - self._loaded_at >= self._min_refresh
            if (stale or kid not in self._keys) and may_refresh and self._loaded_at != float(
                    "inf"):
                try:
                    self._keys = self._load()
                    self._parsed = {}
                    self._loaded_at = now
                except Exception as exc:  # noqa: BLE001 - a broken JWKS refuses, never crashes
                    self._loaded_at = now
                    raise AuthFailure(f"JWKS could not be read ({type(exc).__name__})") from None
            return self._keys.get(kid)

    def public_key(self, kid: str, alg: str) -> Any:
        """The parsed public key of a JWK (parsed once, until the JWKS is re-read)."""
        with self._lock:
            cached = self._parsed.get((kid, alg))
            jwk = self._keys.get(kid)
        if cached is not None or jwk is None:
            return cached
        try:
            key = jwt.PyJWK(dict(jwk), algorithm=alg).key
        except jwt.PyJWTError:
            raise AuthFailure("unusable key") from None
        with self._lock:
            self._parsed[(kid, alg)] = key
        return key


@dataclass(frozen=True)
class TrustedIssuer:
    """A CDS client the service trusts: its `iss`, its keys, allowed jku URLs and tenants."""

    iss: str
    jwks: JwksSource
    allowed_jku: tuple[str, ...] = ()
    tenants: tuple[str, ...] | None = None

    @classmethod
    def from_file(cls, iss: str, path: Path | str, **kwargs: Any) -> TrustedIssuer:
        """An issuer whose JWKS is a local file (exchanged out of band)."""
        return cls(iss, JwksSource(path=path), **kwargs)

    @classmethod
    def from_url(cls, iss: str, url: str, **kwargs: Any) -> TrustedIssuer:
        """An issuer whose JWKS is published at a URL (also the only jku accepted)."""
        allowed = tuple(kwargs.pop("allowed_jku", ())) or (url,)
        return cls(iss, JwksSource(url=url), allowed_jku=allowed, **kwargs)


class ReplayStore(Protocol):
    """Where used token ids are kept: this process's memory (`ReplayCache`) or a database
    shared by every server process (`clepath.store.cdsstate.DatabaseCdsState`)."""

    def use(self, iss: str, jti: str, until: float, now: float) -> bool:
        """Record a token id until `until`; False when it was already used and has not
        expired (a replay), or when the store cannot tell (it fails closed)."""


class ReplayCache:
    """Token ids already used, each kept until its token expires (thread-safe, bounded; one
    process: a server with several worker processes needs a shared ReplayStore)."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._max = max_entries

    def _purge(self, now: float) -> None:
        for key in [k for k, until in self._seen.items() if until < now]:
            del self._seen[key]

    def use(self, iss: str, jti: str, until: float, now: float) -> bool:
        """Record a token id; False when it was already used (a replay) or the cache is full."""
        with self._lock:
            key = (iss, jti)
            if key in self._seen and self._seen[key] >= now:
                return False
            if len(self._seen) >= self._max:
                self._purge(now)
                if len(self._seen) >= self._max:
                    return False  # fail closed rather than forget
            self._seen[key] = until
            return True


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        raise AuthFailure("malformed token") from None


def _segment(text: str) -> dict[str, Any]:
    if not _BASE64URL.fullmatch(text):
        raise AuthFailure("malformed token")
    try:
        value = json.loads(_b64decode(text))
    except ValueError:
        raise AuthFailure("malformed token") from None
    if not isinstance(value, dict):
        raise AuthFailure("malformed token")
    return value


def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of a compact JWS, read only to choose the issuer and key (the
    signature and every claim are checked afterwards)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise AuthFailure("malformed token")
    return _segment(parts[0]), _segment(parts[1])


def _check_key(jwk: Mapping[str, Any], alg: str) -> None:
    if jwk.get("alg") not in (None, alg):
        raise AuthFailure("the key is for another algorithm")
    if jwk.get("use") not in (None, "sig"):
        raise AuthFailure("the key is not a signing key")
    if alg == "ES384" and not (jwk.get("kty") == "EC" and jwk.get("crv") == "P-384"):
        raise AuthFailure("ES384 needs a P-384 EC key")
    if alg == "RS384" and jwk.get("kty") != "RSA":
        raise AuthFailure("RS384 needs an RSA key")


class TokenVerifier:
    """Checks the bearer JWT of each call against the trusted issuers (module docstring)."""

    def __init__(
        self,
        issuers: Iterable[TrustedIssuer],
        *,
        skew_s: float = 60.0,
        max_lifetime_s: float = 3600.0,
        clock: Callable[[], float] = time.time,
        replay: ReplayStore | None = None,
    ) -> None:
        self.issuers = {i.iss: i for i in issuers}
        self.skew = skew_s
        self.max_lifetime = max_lifetime_s
        self.clock = clock
        self.replay: ReplayStore = replay or ReplayCache()

    def verify(self, authorization: str | None, audience: str | Iterable[str]) -> VerifiedToken:
        """The verified token of an `Authorization` header value; AuthFailure otherwise.

        `audience` is the endpoint URL called (or the URLs that count as that endpoint).
        """
        token = self._bearer(authorization)
        header, unverified = _unverified(token)
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise AuthFailure(f"algorithm {str(alg)[:16]!r} refused")
        if header.get("typ") is not None and str(header["typ"]).upper() != "JWT":
            raise AuthFailure("typ is not JWT")
        if "crit" in header or "b64" in header:
            raise AuthFailure("JWS extensions (crit, b64) not supported")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthFailure("no kid")
        iss = unverified.get("iss")
        issuer = self.issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise AuthFailure("untrusted issuer")
        jku = header.get("jku")
        if jku is not None and jku not in issuer.allowed_jku:
            raise AuthFailure("jku not allowlisted for the issuer")
        jwk = issuer.jwks.key(kid)
        if jwk is None:
            raise AuthFailure("unknown kid")
        _check_key(jwk, alg)
        claims = self._decode(token, issuer.jwks.public_key(kid, alg), alg, audience,
                              issuer.iss)
        return self._check_claims(issuer, claims)

    @staticmethod
    def _bearer(authorization: str | None) -> str:
        if not authorization:
            raise AuthFailure("no Authorization header")
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthFailure("not a Bearer token")
        if len(token) > _MAX_TOKEN_BYTES:
            raise AuthFailure("token too large")
        return token.strip()

    @staticmethod
    def _verify_signature(token: str, key: Any, alg: str) -> dict[str, Any]:
        """The claims of a token whose signature `key` verifies for `alg` (checked here with
        `cryptography`, the key object parsed once per JWKS read): ES384 needs the raw 96-byte
        r||s signature of RFC 7518 §3.4 on a P-384 key, RS384 PKCS#1 v1.5 on an RSA key of at
        least 2048 bits. The claims are read from the very bytes that were signed."""
        head, body, signature = token.split(".")
        if not signature or not _BASE64URL.fullmatch(signature):
            raise AuthFailure("malformed signature")
        sig = _b64decode(signature)
        message = f"{head}.{body}".encode("ascii")
        try:
            if alg == "ES384":
                if not (isinstance(key, ec.EllipticCurvePublicKey)
                        and isinstance(key.curve, ec.SECP384R1)):
                    raise AuthFailure("ES384 needs a P-384 EC key")
                if len(sig) != _ES384_SIG_BYTES:
                    raise AuthFailure("ES384 signature is not 96 raw bytes")
                half = _ES384_SIG_BYTES // 2
                der = encode_dss_signature(int.from_bytes(sig[:half], "big"),
                                           int.from_bytes(sig[half:], "big"))
                key.verify(der, message, ec.ECDSA(hashes.SHA384()))
            elif alg == "RS384":
                if not isinstance(key, rsa.RSAPublicKey):
                    raise AuthFailure("RS384 needs an RSA key")
                if key.key_size < _MIN_RSA_BITS:
                    raise AuthFailure("RSA key too small")
                key.verify(sig, message, padding.PKCS1v15(), hashes.SHA384())
            else:  # pragma: no cover - the caller allows only ALGORITHMS
                raise AuthFailure("algorithm refused")
        except InvalidSignature:
            raise AuthFailure("signature invalid") from None
        return _segment(body)

    @staticmethod
    def _check_registered(claims: Mapping[str, Any], audiences: list[str], iss: str) -> None:
        for claim in ("iss", "aud", "exp", "iat", "jti"):
            if claims.get(claim) is None:
                raise AuthFailure(f"claim {claim} missing")
        if claims["iss"] != iss:
            raise AuthFailure("iss is not the issuer")
        aud = claims["aud"]
        given = [aud] if isinstance(aud, str) else aud
        if not isinstance(given, list) or not all(isinstance(a, str) for a in given):
            raise AuthFailure("aud is not a string or an array of strings")
        if not set(given) & set(audiences):
            raise AuthFailure("aud is not this endpoint")

    def _decode(self, token: str, key: Any, alg: str, audience: str | Iterable[str],
                iss: str) -> dict[str, Any]:
        audiences = [audience] if isinstance(audience, str) else list(audience)
        claims = self._verify_signature(token, key, alg)
        self._check_registered(claims, audiences, iss)
        return claims

    def _check_claims(self, issuer: TrustedIssuer, claims: Mapping[str, Any]) -> VerifiedToken:
        now = self.clock()
        exp, iat, nbf = claims.get("exp"), claims.get("iat"), claims.get("nbf")
        if not isinstance(exp, (int, float)) or not isinstance(iat, (int, float)):
            raise AuthFailure("exp and iat must be numbers")
        if now > exp + self.skew:
            raise AuthFailure("expired")
        if iat > now + self.skew:
            raise AuthFailure("issued in the future")
        if exp - iat > self.max_lifetime or exp - now > self.max_lifetime + self.skew:
            raise AuthFailure("lifetime too long")
        if nbf is not None and (not isinstance(nbf, (int, float)) or nbf > now + self.skew):
            raise AuthFailure("not yet valid (nbf)")
        tenant = claims.get("tenant")
        if issuer.tenants is not None and tenant not in issuer.tenants:
            raise AuthFailure("tenant not allowlisted")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise AuthFailure("no jti")
        if len(jti) > MAX_JTI_CHARS:
            raise AuthFailure("jti too long")
        if not self.replay.use(issuer.iss, jti, float(exp) + self.skew, now):
            raise AuthFailure("replayed jti")
        return VerifiedToken(issuer.iss, jti, tenant if isinstance(tenant, str) else None,
                             dict(claims))
