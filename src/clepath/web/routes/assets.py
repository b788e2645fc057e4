"""The site icon at the address browsers ask for by themselves (`/favicon.ico`), so no page
load ends in a 404 (issue 12). Pages also link `/static/favicon.svg` directly."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

from clepath.web.render import static_dir

__all__ = ["router"]

router = APIRouter(tags=["assets"])


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    """The SVG icon (modern browsers accept SVG at this address)."""
    content = (Path(static_dir()) / "favicon.svg").read_bytes()
    return Response(content, media_type="image/svg+xml",
                    headers={"cache-control": "public, max-age=86400"})
