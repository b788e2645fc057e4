"""Sign-in throttling shared by every server process, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clepath.store import make_engine
from clepath.store.throttle import DatabaseLoginThrottle

WINDOW = 900.0
T0 = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def two(database_url: str) -> Iterator[tuple[DatabaseLoginThrottle, DatabaseLoginThrottle,
                                             Clock]]:
    """Two throttles on engines of their own (two worker processes), one clock."""
    clock = Clock()
    engines = [make_engine(database_url), make_engine(database_url)]
    yield (DatabaseLoginThrottle(engines[0], 5, WINDOW, clock),
           DatabaseLoginThrottle(engines[1], 5, WINDOW, clock), clock)
    for engine in engines:
        engine.dispose()


class TestSharedThrottle:
    def test_failures_at_two_processes_add_up(self, two) -> None:  # type: ignore[no-untyped-def]
        """Three failures at one worker and two at the other: the name must wait the whole
        window from the first failure."""
        one, other, clock = two
        for throttle in (one, one, one, other, other):
            throttle.failed(["user:doc", "address:10.0.0.1"])
            clock.now += 10

        assert (WINDOW - 50, WINDOW - 50) == (one.wait_seconds(["user:doc"]),
                                              other.wait_seconds(["user:doc"]))

    def test_below_the_limit_nobody_waits(self, two) -> None:  # type: ignore[no-untyped-def]
        """Four failures allow a fifth try."""
        one, other, _clock = two
        for _ in range(4):
            one.failed(["user:doc"])

        assert 0.0 == other.wait_seconds(["user:doc", "address:10.0.0.1"])

    def test_the_window_passes(self, two) -> None:  # type: ignore[no-untyped-def]
        """After the window, the failures no longer count."""
        one, other, clock = two
        for _ in range(5):
            one.failed(["user:doc"])
        clock.now += WINDOW + 1

        assert 0.0 == other.wait_seconds(["user:doc"])

    def test_success_clears_the_name_not_the_address(self, two) -> None:  # type: ignore[no-untyped-def]
        """A good password forgets the name's failures; the address keeps its own."""
        one, other, _clock = two
        for _ in range(5):
            one.failed(["user:doc", "address:10.0.0.1"])

        other.succeeded("user:doc")

        assert (0.0, WINDOW) == (one.wait_seconds(["user:doc"]),
                                 one.wait_seconds(["address:10.0.0.1"]))


@settings(max_examples=40, deadline=None)
@given(gaps=st.lists(st.floats(min_value=0, max_value=400), min_size=1, max_size=12))
def test_wait_matches_a_count_of_the_window(gaps: list[float], tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    """For any timing of failures, the wait is positive exactly when at least five fall in the
    window, and then it ends when the oldest of them leaves it."""
    from clepath.store import upgrade

    path = tmp_path_factory.mktemp("throttle") / "t.db"
    upgrade(f"sqlite:///{path}")
    engine = make_engine(f"sqlite:///{path}")
    clock = Clock()
    throttle = DatabaseLoginThrottle(engine, 5, WINDOW, clock)
    times = []
    for gap in gaps:
        clock.now += gap
        throttle.failed(["user:x"])
        times.append(clock.now)

    wait = throttle.wait_seconds(["user:x"])
    engine.dispose()

    recent = [t for t in times if t > clock.now - WINDOW]
    expected = WINDOW - (clock.now - min(recent)) if len(recent) >= 5 else 0.0
    assert expected == pytest.approx(wait)
