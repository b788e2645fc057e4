"""A JWT on every call: each attack gets a bare 401; a well-formed client gets in."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from clepath.fhir.cds import harness as h
from clepath.fhir.cds.auth import AuthFailure, JwksSource, TokenVerifier, TrustedIssuer
from tests.cds.conftest import ISSUER, SUMMARY, Harness


def _claims(aud: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISSUER, "aud": aud, "iat": now, "exp": now + 300, "jti": str(now),
            **changes}


def _bare_401(response: Any) -> bool:
    return response.status_code == 401 and response.content == b""


class TestAttacks:
    def test_alg_none(self, cds: Harness) -> None:
        """An unsigned token (alg none) is refused with a bare 401."""
        token = h.unsigned_token(_claims(cds.url()), cds.signer.key.kid)

        assert _bare_401(cds.discovery(token))

    def test_hs256_signed_with_the_public_key(self, cds: Harness) -> None:
        """HS256 keyed with the issuer's public key (algorithm confusion) is refused."""
        token = h.hmac_token(_claims(cds.url()), cds.signer.key)

        assert _bare_401(cds.discovery(token))

    def test_expired(self, cds: Harness) -> None:
        """A token that expired ten minutes ago is refused (skew is one minute)."""
        past = time.time() - 900
        token = cds.signer.token(cds.url(), now=past)

        assert _bare_401(cds.discovery(token))

    def test_wrong_aud(self, cds: Harness) -> None:
        """A token for the discovery URL cannot call a service."""
        token = cds.signer.token(cds.url())

        assert _bare_401(cds.post(SUMMARY, cds.body("patient-view"), token=token))

    def test_overlong_jti(self, cds: Harness) -> None:
        """A jti longer than 255 characters is refused (it could not be kept for replay)."""
        token = cds.signer.token(cds.url(), jti="j" * 256)

        assert _bare_401(cds.discovery(token))

    def test_replayed_jti(self, cds: Harness) -> None:
        """The same token twice: the first call passes, the replay is refused."""
        token = cds.signer.token(cds.url())

        first, second = cds.discovery(token), cds.discovery(token)

        assert (200, 401) == (first.status_code, second.status_code)

    def test_unknown_issuer(self, cds: Harness) -> None:
        """A well-signed token from an issuer nobody trusts is refused."""
        stranger = h.Signer("https://evil.example.org", cds.keys["stranger"])

        assert _bare_401(cds.discovery(stranger.token(cds.url())))

    def test_trusted_issuer_with_a_foreign_key(self, cds: Harness) -> None:
        """A trusted iss signed with another key (its kid unknown to the JWKS) is refused."""
        forger = h.Signer(ISSUER, cds.keys["stranger"])

        assert _bare_401(cds.discovery(forger.token(cds.url())))

    def test_jku_not_allowlisted(self, cds: Harness) -> None:
        """A jku pointing elsewhere is refused, never fetched."""
        token = cds.signer.token(cds.url(), headers={"jku": "https://evil.example.org/jwks"})

        assert _bare_401(cds.discovery(token))
        assert all(r["path"] == "/jwks.json" for r in cds.server.requests)

    def test_no_token_on_discovery(self, cds: Harness) -> None:
        """Discovery needs a token too."""
        assert _bare_401(cds.client.get(cds.url()))

    def test_missing_jti(self, cds: Harness) -> None:
        """A token without jti is refused (it could be replayed)."""
        assert _bare_401(cds.discovery(cds.signer.token(cds.url(), jti=None)))


class TestAccepted:
    def test_rs384_issuer(self, cds: Harness) -> None:
        """An RS384 client with its JWKS configured directly is accepted."""
        assert 200 == cds.discovery(cds.rs_signer.token(cds.url())).status_code

    def test_epic_style_sub_and_nbf(self, cds: Harness) -> None:
        """`sub` and `nbf` (sent by Epic) are accepted but not required."""
        now = time.time()
        token = cds.signer.token(cds.url(), sub="epic-client-id", nbf=int(now) - 300)

        assert 200 == cds.discovery(token).status_code

    def test_aud_as_array(self, cds: Harness) -> None:
        """aud may be an array holding the endpoint URL."""
        assert 200 == cds.discovery(cds.signer.token([cds.url()])).status_code

    def test_tokens_never_logged(self, cds: Harness, caplog: pytest.LogCaptureFixture) -> None:
        """Neither the JWT nor the fhirAuthorization token appears in any log record."""
        url = cds.url(SUMMARY)
        token = cds.signer.token(url)
        body = cds.body("patient-view", fallback=True, drop=["labs"])
        caplog.set_level(logging.DEBUG)

        cds.post(SUMMARY, body, token=token)
        cds.post(SUMMARY, body, token=token)  # replayed: refused and logged

        text = "\n".join(r.getMessage() for r in caplog.records)
        assert token not in text and "fhir-access-token-do-not-log" not in text
        assert "replayed jti" in text


class TestVerifier:
    def _verifier(self, key: h.TestKey, **kwargs: Any) -> TokenVerifier:
        return TokenVerifier([TrustedIssuer(ISSUER, JwksSource(keys=h.jwks(key)))], **kwargs)

    def test_issued_in_the_future(self, keys: dict[str, h.TestKey]) -> None:
        """iat ten minutes ahead is refused."""
        signer = h.Signer(ISSUER, keys["es"])
        token = signer.token("https://svc", now=time.time() + 600)

        with pytest.raises(AuthFailure, match="future"):
            self._verifier(keys["es"]).verify(f"Bearer {token}", "https://svc")

    def test_lifetime_over_an_hour(self, keys: dict[str, h.TestKey]) -> None:
        """A token valid for two hours is refused (the replay store keeps one hour)."""
        signer = h.Signer(ISSUER, keys["es"], lifetime_s=7200)

        with pytest.raises(AuthFailure, match="lifetime"):
            self._verifier(keys["es"]).verify(f"Bearer {signer.token('https://svc')}",
                                              "https://svc")

    def test_key_of_the_wrong_type(self, keys: dict[str, h.TestKey]) -> None:
        """An ES384 header naming an RSA key is refused."""
        rsa = keys["rs"]
        jwk = {**rsa.public_jwk, "kid": "k", "alg": "ES384"}
        verifier = TokenVerifier([TrustedIssuer(ISSUER, JwksSource(keys={"keys": [jwk]}))])
        token = h.Signer(ISSUER, h.TestKey("k", "ES384", keys["es"].private_key)).token("a")

        with pytest.raises(AuthFailure):
            verifier.verify(f"Bearer {token}", "a")

    def test_tenant_allowlist(self, keys: dict[str, h.TestKey]) -> None:
        """With tenants listed, a token for another tenant is refused."""
        verifier = TokenVerifier([TrustedIssuer(ISSUER, JwksSource(keys=h.jwks(keys["es"])),
                                                tenants=("t1",))])
        signer = h.Signer(ISSUER, keys["es"])

        assert "t1" == verifier.verify(f"Bearer {signer.token('a', tenant='t1')}", "a").tenant
        with pytest.raises(AuthFailure, match="tenant"):
            verifier.verify(f"Bearer {signer.token('a', tenant='t2')}", "a")
