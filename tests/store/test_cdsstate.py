"""CDS state shared by server processes: token ids refused everywhere once used, card rules
found by any process; on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import func, select

from clepath.store import lite, make_engine
from clepath.store.cdsstate import CARDS_TABLE, TOKENS_TABLE, DatabaseCdsState
from clepath.store.tables import CdsCardRow, CdsTokenUseRow

ISS = "https://ehr.example.org"
NOW = 1_800_000_000.0


Make = Callable[..., DatabaseCdsState]


@pytest.fixture(params=["engine", "sqlite3"])
def make(database_url: str, request: pytest.FixtureRequest) -> Iterator[Make]:
    """States on connections of their own (what separate worker processes hold), closed
    after: through a SQLAlchemy engine, or through the sqlite3 driver (`on_sqlite`, what
    `clepath cds serve` uses on a SQLite file)."""
    path = lite.plain_sqlite_file(database_url)
    if request.param == "sqlite3" and path is None:
        raise AssertionError("the sqlite3 driver serves SQLite files only (deselected in conftest)")
    made: list[DatabaseCdsState] = []
    engines = []

    def new(**kwargs: object) -> DatabaseCdsState:
        if request.param == "sqlite3" and path is not None:
            state = DatabaseCdsState.on_sqlite(path, **kwargs)
        else:
            engines.append(make_engine(database_url))
            state = DatabaseCdsState(engines[-1], **kwargs)  # type: ignore[arg-type]
        state.url = database_url  # type: ignore[attr-defined]
        made.append(state)
        return state

    yield new
    for state in made:
        state.close()
    for engine in engines:
        engine.dispose()


def _values(state: DatabaseCdsState, column: object) -> set[str]:
    engine = make_engine(state.url)  # type: ignore[attr-defined]
    try:
        with engine.connect() as connection:
            return set(connection.scalars(select(column)))  # type: ignore[call-overload]
    finally:
        engine.dispose()


def test_the_written_out_tables_are_the_store_tables() -> None:
    """The SQL of the state names the tables and columns of the store's table classes."""
    assert (TOKENS_TABLE, ["issuer", "jti", "expires_at"]) == (
        CdsTokenUseRow.__tablename__, [c.name for c in CdsTokenUseRow.__table__.columns])
    assert (CARDS_TABLE, ["uuid", "service_id", "rule", "issued_at"]) == (
        CdsCardRow.__tablename__, [c.name for c in CdsCardRow.__table__.columns])


class TestReplay:
    def test_a_token_id_used_by_one_process_is_refused_by_another(
        self, make: Make
    ) -> None:
        """First use passes; the same iss+jti at the other process (and again) is a replay."""
        one, other = make(), make()

        uses = [one.use(ISS, "jti-1", NOW + 300, NOW), other.use(ISS, "jti-1", NOW + 300, NOW),
                one.use(ISS, "jti-1", NOW + 300, NOW)]

        assert [True, False, False] == uses

    def test_same_jti_from_another_issuer_is_not_a_replay(self, make: Make) -> None:
        """Token ids are unique per issuer, not across issuers."""
        one, other = make(), make()

        assert (True, True) == (one.use(ISS, "x", NOW + 60, NOW),
                                other.use("https://other.example.org", "x", NOW + 60, NOW))

    def test_an_expired_token_id_may_be_used_again(self, make: Make) -> None:
        """After its token expired, an id is free again (once)."""
        one, other = make(), make()
        one.use(ISS, "old", NOW + 60, NOW)

        later = NOW + 61
        assert (True, False) == (other.use(ISS, "old", later + 60, later),
                                 one.use(ISS, "old", later + 60, later))

    def test_concurrent_uses_of_one_token_let_exactly_one_through(self, make: Make) -> None:
        """Sixteen threads over two 'processes' race on one jti: one wins."""
        one, other = make(), make()
        results: list[bool] = []
        lock = threading.Lock()
        start = threading.Barrier(16)

        def attempt(state: DatabaseCdsState) -> None:
            start.wait()
            ok = state.use(ISS, "raced", NOW + 300, NOW)
            with lock:
                results.append(ok)

        threads = [threading.Thread(target=attempt, args=(one if i % 2 else other,))
                   for i in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert (16, 1) == (len(results), results.count(True))

    def test_a_database_that_cannot_answer_refuses_the_token(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        """No table (never migrated): the check fails closed."""
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        state = DatabaseCdsState(engine)

        refused = state.use(ISS, "any", NOW + 60, NOW) is False

        state.close()
        engine.dispose()
        assert refused

    def test_a_sqlite_file_without_the_table_refuses_the_token_too(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        """Through the sqlite3 driver, a never-migrated file also fails closed."""
        state = DatabaseCdsState.on_sqlite(tmp_path / "empty.db")

        refused = state.use(ISS, "any", NOW + 60, NOW) is False

        state.close()
        assert refused

    def test_expired_ids_are_purged(self, make: Make) -> None:
        """With purging due, ids whose tokens expired are deleted; live ones stay."""
        state = make(purge_every_s=0.0, clock=lambda: NOW)
        state.use(ISS, "expired", NOW + 10, NOW)
        state.use(ISS, "live", NOW + 600, NOW)

        state.use(ISS, "trigger", NOW + 600, NOW + 100)

        assert {"live", "trigger"} == _values(state, CdsTokenUseRow.jti)


class TestCardRules:
    def test_a_card_made_by_one_process_is_known_to_another(self, make: Make) -> None:
        """Feedback reaching another worker still finds the card's rule."""
        one, other = make(), make()
        card = str(uuid.uuid4())

        one.remember_cards("clepath-cle-orders", {card: "hcq_above_max"})

        assert ("clepath-cle-orders", "hcq_above_max") == other.card_rule(card)

    def test_the_same_card_twice_is_one_row(self, make: Make) -> None:
        """Deterministic uuids repeat; the second remember changes nothing."""
        one, other = make(), make()
        card = str(uuid.uuid4())

        one.remember_cards("clepath-cle-summary", {card: "cle_summary"})
        other.remember_cards("clepath-cle-summary", {card: "other_rule"})

        engine = make_engine(one.url)  # type: ignore[attr-defined]
        with engine.connect() as connection:
            count = connection.scalar(select(func.count()).select_from(CdsCardRow))
        engine.dispose()
        assert (1, ("clepath-cle-summary", "cle_summary")) == (count, other.card_rule(card))

    def test_unknown_card(self, make: Make) -> None:
        """A uuid the service never made has no rule."""
        assert make().card_rule("not-a-card") is None

    def test_old_cards_are_purged(self, make: Make) -> None:
        """Cards older than the retention are deleted when purging is due."""
        clock = [NOW]
        state = make(purge_every_s=0.0, card_retention_s=3600.0, clock=lambda: clock[0])
        state.remember_cards("clepath-cle-summary", {"old-card": "cle_summary"})
        clock[0] = NOW + 7200
        state.remember_cards("clepath-cle-summary", {"new-card": "cle_summary"})

        state.use(ISS, "trigger", clock[0] + 60, clock[0])

        assert {"new-card"} == _values(state, CdsCardRow.uuid)
