"""The signature check done directly with `cryptography`: every forged or altered token is
refused, well-formed ES384 and RS384 tokens pass, and the registered claims are enforced."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from clepath.fhir.cds import harness as h
from clepath.fhir.cds.auth import AuthFailure, JwksSource, TokenVerifier, TrustedIssuer
from tests.cds.conftest import ISSUER

AUD = "https://svc.example.org/cds-services"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _verifier(*keys: h.TestKey) -> TokenVerifier:
    return TokenVerifier([TrustedIssuer(ISSUER, JwksSource(keys=h.jwks(*keys)))])


def _es384_token(key: h.TestKey, header: dict[str, Any], claims: dict[str, Any],
                 *, der: bool = False) -> str:
    """A token signed by hand (raw r||s, or DER when `der`)."""
    signing_input = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())
    signature = key.private_key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA384()))
    if not der:
        r, s = decode_dss_signature(signature)
        signature = r.to_bytes(48, "big") + s.to_bytes(48, "big")
    return signing_input + "." + _b64(signature)


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISSUER, "aud": AUD, "iat": now, "exp": now + 300,
            "jti": f"j-{time.perf_counter_ns()}", **changes}


class TestAccepted:
    def test_es384_signed_by_hand(self, keys: dict[str, h.TestKey]) -> None:
        """A raw r||s ES384 signature made outside PyJWT verifies and gives the claims."""
        key = keys["es"]
        token = _es384_token(key, {"alg": "ES384", "typ": "JWT", "kid": key.kid}, _claims())

        assert ISSUER == _verifier(key).verify(f"Bearer {token}", AUD).iss

    def test_rs384(self, keys: dict[str, h.TestKey]) -> None:
        """An RS384 token of a 2048-bit key verifies."""
        token = h.Signer(ISSUER, keys["rs"]).token(AUD)

        assert ISSUER == _verifier(keys["rs"]).verify(f"Bearer {token}", AUD).iss


class TestRefused:
    def test_tampered_payload(self, keys: dict[str, h.TestKey]) -> None:
        """Changing one claim after signing (another aud) breaks the signature."""
        token = h.Signer(ISSUER, keys["es"]).token("https://elsewhere.example.org")
        head, _, sig = token.split(".")
        forged = f"{head}.{_b64(json.dumps(_claims()).encode())}.{sig}"

        with pytest.raises(AuthFailure, match="signature invalid"):
            _verifier(keys["es"]).verify(f"Bearer {forged}", AUD)

    def test_tampered_header(self, keys: dict[str, h.TestKey]) -> None:
        """Re-encoding the header (same fields, other bytes) breaks the signature."""
        token = h.Signer(ISSUER, keys["es"]).token(AUD)
        _, body, sig = token.split(".")
        header = {"typ": "JWT", "kid": keys["es"].kid, "alg": "ES384"}
        forged = f"{_b64(json.dumps(header, indent=1).encode())}.{body}.{sig}"

        with pytest.raises(AuthFailure, match="signature invalid"):
            _verifier(keys["es"]).verify(f"Bearer {forged}", AUD)

    def test_flipped_signature_bit(self, keys: dict[str, h.TestKey]) -> None:
        """One bit of the signature flipped: refused."""
        token = h.Signer(ISSUER, keys["es"]).token(AUD)
        head, body, sig = token.split(".")
        raw = bytearray(_unb64(sig))
        raw[10] ^= 1

        with pytest.raises(AuthFailure, match="signature invalid"):
            _verifier(keys["es"]).verify(f"Bearer {head}.{body}.{_b64(bytes(raw))}", AUD)

    def test_der_signature_refused(self, keys: dict[str, h.TestKey]) -> None:
        """ES384 with a DER signature (not the 96 raw bytes of RFC 7518) is refused."""
        key = keys["es"]
        token = _es384_token(key, {"alg": "ES384", "kid": key.kid}, _claims(), der=True)

        with pytest.raises(AuthFailure, match="96 raw bytes"):
            _verifier(key).verify(f"Bearer {token}", AUD)

    def test_empty_signature(self, keys: dict[str, h.TestKey]) -> None:
        """A token with the signature cut off is refused."""
        head, body, _ = h.Signer(ISSUER, keys["es"]).token(AUD).split(".")

        with pytest.raises(AuthFailure):
            _verifier(keys["es"]).verify(f"Bearer {head}.{body}.", AUD)

    def test_wrong_kid(self, keys: dict[str, h.TestKey]) -> None:
        """A kid the issuer's JWKS does not hold is refused."""
        token = h.Signer(ISSUER, keys["es"]).token(AUD, headers={"kid": "not-a-key"})

        with pytest.raises(AuthFailure, match="unknown kid"):
            _verifier(keys["es"]).verify(f"Bearer {token}", AUD)

    def test_kid_of_another_key(self, keys: dict[str, h.TestKey]) -> None:
        """Signed with one P-384 key but naming another trusted key's kid: refused."""
        other = h.generate_key("ES384")
        token = h.Signer(ISSUER, keys["es"]).token(AUD, headers={"kid": other.kid})

        with pytest.raises(AuthFailure, match="signature invalid"):
            _verifier(keys["es"], other).verify(f"Bearer {token}", AUD)

    def test_alg_none_and_hs256(self, keys: dict[str, h.TestKey]) -> None:
        """alg none and HS256 keyed with the public key are refused before any key is used."""
        verifier = _verifier(keys["es"])
        for token in (h.unsigned_token(_claims(), keys["es"].kid),
                      h.hmac_token(_claims(), keys["es"])):
            with pytest.raises(AuthFailure, match="refused"):
                verifier.verify(f"Bearer {token}", AUD)

    def test_rs384_header_on_an_ec_key(self, keys: dict[str, h.TestKey]) -> None:
        """An RS384 header naming the issuer's EC key is refused."""
        key = keys["es"]
        token = _es384_token(key, {"alg": "RS384", "kid": key.kid}, _claims())

        with pytest.raises(AuthFailure, match="another algorithm|RSA"):
            _verifier(keys["es"]).verify(f"Bearer {token}", AUD)

    def test_crit_header(self, keys: dict[str, h.TestKey]) -> None:
        """A token demanding a JWS extension (crit) is refused."""
        token = h.Signer(ISSUER, keys["es"]).token(AUD, headers={"crit": ["exp"]})

        with pytest.raises(AuthFailure, match="crit"):
            _verifier(keys["es"]).verify(f"Bearer {token}", AUD)

    @pytest.mark.parametrize("claim", ["iss", "aud", "exp", "iat", "jti"])
    def test_required_claim_missing(self, keys: dict[str, h.TestKey], claim: str) -> None:
        """Each of iss, aud, exp, iat and jti is required."""
        key = keys["es"]
        claims = {k: v for k, v in _claims().items() if k != claim}
        token = _es384_token(key, {"alg": "ES384", "kid": key.kid}, claims)

        with pytest.raises(AuthFailure):
            _verifier(keys["es"]).verify(f"Bearer {token}", AUD)

    @pytest.mark.parametrize("aud", ["https://svc.example.org/cds-services/x", ["a", "b"], 7,
                                     [AUD, 7]])
    def test_aud_not_this_endpoint(self, keys: dict[str, h.TestKey], aud: Any) -> None:
        """aud must contain the exact endpoint URL and hold only strings."""
        token = h.Signer(ISSUER, keys["es"]).token(aud)

        with pytest.raises(AuthFailure, match="aud"):
            _verifier(keys["es"]).verify(f"Bearer {token}", AUD)

    def test_expired_and_replayed(self, keys: dict[str, h.TestKey]) -> None:
        """An expired token is refused; a valid one passes once, then its replay is refused."""
        verifier = _verifier(keys["es"])
        signer = h.Signer(ISSUER, keys["es"])
        with pytest.raises(AuthFailure, match="expired"):
            verifier.verify(f"Bearer {signer.token(AUD, now=time.time() - 900)}", AUD)
        token = signer.token(AUD)
        verifier.verify(f"Bearer {token}", AUD)

        with pytest.raises(AuthFailure, match="replayed"):
            verifier.verify(f"Bearer {token}", AUD)

    def test_untrusted_issuer(self, keys: dict[str, h.TestKey]) -> None:
        """A well-signed token from an issuer not configured is refused."""
        token = h.Signer("https://rogue.example.org", keys["es"]).token(AUD)

        with pytest.raises(AuthFailure, match="untrusted"):
            _verifier(keys["es"]).verify(f"Bearer {token}", AUD)
