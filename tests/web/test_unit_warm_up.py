"""The served app builds the UCUM registry once, before its first request."""

from __future__ import annotations

from clepath.domain import units
from clepath.knowledge.base import KnowledgeBase
from clepath.settings import Settings
from clepath.web import create_app
from tests.store.conftest import FAST_HASHER


def test_the_served_app_builds_the_registry_before_serving(
    database_url: str, kb: KnowledgeBase
) -> None:
    """With warm-up (as `clepath serve` runs it) the registry exists before any request: 1 ug/dL
    (a unit beyond the precomputed table) is 10 ug/L."""
    units._REGISTRY = None
    units._ucum_unit.cache_clear()
    units._factor.cache_clear()
    settings = Settings(database_url=database_url, secret_key="test-secret-key")
    app = create_app(settings, knowledge=kb, password_hasher=FAST_HASHER, warm_up=True)
    try:
        built = units._REGISTRY is not None
        assert (True, 10.0) == (built, round(units.convert(1, "ug/dL", "ug/L"), 9))
    finally:
        app.state.clepath.close()


def test_the_served_app_loads_the_pdf_compiler_before_serving(
    database_url: str, kb: KnowledgeBase
) -> None:
    """With warm-up the Typst compiler of the documents exists before any request."""
    from clepath.report import pdf

    pdf._compiler.cache_clear()
    settings = Settings(database_url=database_url, secret_key="test-secret-key")
    app = create_app(settings, knowledge=kb, password_hasher=FAST_HASHER, warm_up=True)
    try:
        assert 1 == pdf._compiler.cache_info().currsize
    finally:
        app.state.clepath.close()
