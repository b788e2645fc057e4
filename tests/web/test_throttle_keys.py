"""Sign-in throttling is keyed on the real client: `X-Forwarded-For` counts only from a
trusted proxy, and failures elsewhere cannot lock a user out at their own address."""

from __future__ import annotations

import httpx
from starlette.requests import Request

from clepath.web.routes.auth import client_address
from tests.web._async import run_async
from tests.web.conftest import PASSWORD, World


def _attempts(world: World, address: str, tries: list[tuple[str, str, str | None]]) -> list[int]:
    """Statuses of `POST /api/session` sent from `address` (name, password, X-Forwarded-For)."""

    async def run() -> list[int]:
        transport = httpx.ASGITransport(app=world.app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            codes = []
            for name, password, forwarded in tries:
                headers = {"X-Forwarded-For": forwarded} if forwarded else {}
                answer = await c.post("/api/session", headers=headers,
                                      json={"username": name, "password": password})
                codes.append(answer.status_code)
            return codes

    return run_async(run)


def _request(peer: str, forwarded: str | None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (peer, 1), "headers": headers})


class TestThrottleKeys:
    def test_a_stranger_cannot_lock_a_user_out(self, world: World) -> None:
        """Five wrong passwords for `doc` from 10.0.0.9 pause 10.0.0.9 (429) while `doc`
        still signs in from 10.0.0.1 (200)."""
        wrong = [("doc", "wrong password!", None)] * 5
        attacker = _attempts(world, "10.0.0.9", [*wrong, ("doc", PASSWORD, None)])
        owner = _attempts(world, "10.0.0.1", [("doc", PASSWORD, None)])

        assert ([401] * 5 + [429], [200]) == (attacker, owner)

    def test_forwarded_for_is_ignored_without_a_trusted_proxy(self, world: World) -> None:
        """Changing X-Forwarded-For on every try does not escape the pause."""
        tries = [("doc", "wrong password!", f"192.0.2.{n}") for n in range(5)]
        codes = _attempts(world, "10.0.0.7", [*tries, ("doc", PASSWORD, "192.0.2.99")])

        assert [401] * 5 + [429] == codes

    def test_behind_a_trusted_proxy_the_right_most_untrusted_hop_counts(self) -> None:
        """Behind proxy 10.0.0.254 the client is the last hop the proxy appended; a spoofed
        left-most entry is ignored, and a direct peer's header is ignored entirely."""
        proxies = ("10.0.0.254",)

        assert ("198.51.100.7", "198.51.100.7", "10.0.0.5", "10.0.0.254") == (
            client_address(_request("10.0.0.254", "198.51.100.7"), proxies),
            client_address(_request("10.0.0.254", "203.0.113.1, 198.51.100.7"), proxies),
            client_address(_request("10.0.0.5", "198.51.100.7"), proxies),
            client_address(_request("10.0.0.254", None), proxies),
        )
