"""The clinician web app: `create_app(settings)`, routes, templates, static assets.

May import: anything below it. Nothing imports clepath.web except the CLI.
"""

from clepath.web.app import create_app

__all__ = ["create_app"]
