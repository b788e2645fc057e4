"""Reading from a FHIR server when the CDS client did not prefetch (CDS Hooks 2.0 §FHIR Resource
Access): the service's own query with the client's bearer token, pages followed up to a limit.

Only the server the request named is contacted, and only when it is allowed (an https URL, or a
configured prefix); `next` links are followed only when they stay on that server. The token is
sent in the Authorization header and never logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clepath.errors import ClepathError

if TYPE_CHECKING:
    import httpx

__all__ = ["FetchFailed", "FhirReader", "server_allowed"]


class FetchFailed(ClepathError):
    """A FHIR read failed (network error, timeout, non-2xx status, not FHIR JSON)."""


def server_allowed(url: str, allowed_prefixes: tuple[str, ...], allow_http: bool) -> bool:
    """True when the service may read from this FHIR base URL."""
    if allowed_prefixes:
        return any(url.rstrip("/").startswith(p.rstrip("/")) for p in allowed_prefixes)
    if url.startswith("https://"):
        return True
    return allow_http and url.startswith("http://")


@dataclass(frozen=True)
class FhirReader:
    """Reads relative FHIR queries from one server with one bearer token."""

    client: httpx.AsyncClient
    base_url: str
    token: str | None
    max_pages: int = 5

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/fhir+json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    async def _get(self, url: str) -> Any:
        import httpx  # loaded with the first read (a served app preloads it after its start)

        try:
            response = await self.client.get(url, headers=self._headers())
        except httpx.HTTPError as exc:
            raise FetchFailed(f"{type(exc).__name__} reading the FHIR server") from None
        if response.status_code == 404:
            return None
        if response.status_code >= 300:
            raise FetchFailed(f"the FHIR server answered {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise FetchFailed("the FHIR server did not answer JSON") from None
        if not isinstance(data, Mapping) or not isinstance(data.get("resourceType"), str):
            raise FetchFailed("the FHIR server did not answer a FHIR resource")
        if data["resourceType"] == "OperationOutcome":
            raise FetchFailed("the FHIR server answered an OperationOutcome")
        return data

    async def read(self, query: str) -> Any:
        """The resource or Bundle a relative query returns (None: not found), all pages."""
        base = self.base_url.rstrip("/")
        data = await self._get(f"{base}/{query.lstrip('/')}")
        if not isinstance(data, Mapping) or data.get("resourceType") != "Bundle":
            return data
        return await self.follow(dict(data))

    async def follow(self, bundle: dict[str, Any]) -> dict[str, Any]:
        """A Bundle with the entries of its `next` pages appended (up to `max_pages` pages)."""
        base = self.base_url.rstrip("/")
        entries = list(bundle.get("entry") or ())
        page = bundle
        for _ in range(self.max_pages):
            url = next((link.get("url") for link in page.get("link") or ()
                        if isinstance(link, Mapping) and link.get("relation") == "next"), None)
            if not isinstance(url, str):
                break
            if not url.startswith(base + "/") and not url.startswith(base + "?"):
                raise FetchFailed("a next link leaves the FHIR server")
            page = await self._get(url)
            if not isinstance(page, Mapping):
                break
            entries += list(page.get("entry") or ())
        else:
            if any(isinstance(link, Mapping) and link.get("relation") == "next"
                   for link in page.get("link") or ()):
                raise FetchFailed(f"more than {self.max_pages} pages")
        out = {k: v for k, v in bundle.items() if k != "link"}
        out["entry"] = entries
        return out
