"""The clinician web app: `create_app(settings)`, routes, templates, static assets.

May import: anything below it. Nothing imports clepath.web except the CLI.
`create_app` is loaded on first use, so the stand-alone CDS server (`clepath.web.cds_serve`)
starts without loading the pages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clepath.web.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from clepath.web.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
