"""The served app starts building the UCUM registry when it is made, in the background."""

from __future__ import annotations

from clepath.domain import units
from clepath.knowledge.base import KnowledgeBase
from clepath.settings import Settings
from clepath.web import create_app
from tests.store.conftest import FAST_HASHER


def test_the_served_app_starts_the_registry_without_waiting_for_it(
    database_url: str, kb: KnowledgeBase
) -> None:
    """With warm-up (as `clepath serve` runs it) the app is made at once while the registry is
    built beside it; the first unit beyond the precomputed table waits for the build and is
    right: 1 ug/dL is 10 ug/L."""
    units._REGISTRY = None
    units._ucum_unit.cache_clear()
    units._factor.cache_clear()
    settings = Settings(database_url=database_url, secret_key="test-secret-key")
    app = create_app(settings, knowledge=kb, password_hasher=FAST_HASHER, warm_up=True)
    try:
        builder = units._BUILDER
        value = units.convert(1, "ug/dL", "ug/L")
        assert builder is not None
        builder.join(timeout=60)
        assert (False, True, 10.0) == (
            builder.is_alive(),
            units._REGISTRY is not None,
            round(value, 9),
        )
    finally:
        app.state.clepath.close()


def test_the_served_app_loads_the_pdf_compiler_soon_after_its_start(
    database_url: str, kb: KnowledgeBase
) -> None:
    """With warm-up the Typst compiler of the documents is loaded in the background, about a
    second after the app is made (not while it starts), before any request asked for it."""
    from clepath.report import pdf

    if pdf._WARMER is not None:  # an app made by an earlier test
        pdf._WARMER.join(timeout=60)
    pdf._compiler.cache_clear()
    settings = Settings(database_url=database_url, secret_key="test-secret-key")
    app = create_app(settings, knowledge=kb, password_hasher=FAST_HASHER, warm_up=True)
    try:
        at_start = pdf._compiler.cache_info().currsize
        assert pdf._WARMER is not None
        pdf._WARMER.join(timeout=60)
        assert (0, 1) == (at_start, pdf._compiler.cache_info().currsize)
    finally:
        app.state.clepath.close()
def test_warm_up_can_wait_for_the_registry() -> None:
    """`warm_up(wait=True)` returns with the registry built: 1 ug/dL is then 10 ug/L."""
    units._REGISTRY = None
    units._ucum_unit.cache_clear()
    units._factor.cache_clear()

    units.warm_up(wait=True)
    built = units._REGISTRY is not None
    value = units.convert(1, "ug/dL", "ug/L")

    assert (True, 10.0) == (built, round(value, 9))
