"""Hypothesis-generated malformed case files never crash: each ends in a clear CaseError."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from clepath.casefile import parse_case, read_case_data
from clepath.errors import CaseError
from clepath.knowledge.loader import load_knowledge
from tests.conftest import SCLE_CASE, SEED_CASE

KB = load_knowledge()
BASES = [read_case_data(p.read_text()) for p in (SEED_CASE, SCLE_CASE)]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["60 kg", "1:40", "2 g/kg", "2019-13-01", "2009", "4 weeks", "-3 kg", "nan"]),
    st.dates().map(str),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_paths(value, (*prefix, index)))
    return found


def _mutated(base: Any, path: tuple[Any, ...], new: Any) -> Any:
    data = copy.deepcopy(base)
    if not path:
        return new
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = new
    return data


def _parse_or_case_error(data: Any) -> None:
    try:
        parse_case(data, KB)
    except CaseError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.field is not None and problem.message


class TestMalformedCases:
    @given(st.data())
    def test_one_field_replaced_by_anything(self, data: st.DataObject) -> None:
        """Replacing any one field of a valid case with any value parses or raises CaseError."""
        base = data.draw(st.sampled_from(BASES))
        path = data.draw(st.sampled_from(_paths(base)))
        new = data.draw(values)

        _parse_or_case_error(_mutated(base, path, new))

    @given(st.data())
    def test_one_field_removed(self, data: st.DataObject) -> None:
        """Removing any one field parses or raises CaseError."""
        base = copy.deepcopy(data.draw(st.sampled_from(BASES)))
        path = data.draw(st.sampled_from([p for p in _paths(base) if p]))
        node = base
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

        _parse_or_case_error(base)

    @given(values)
    def test_arbitrary_documents(self, document: Any) -> None:
        """Any JSON-like document parses or raises CaseError."""
        _parse_or_case_error(document)

    @given(st.text(max_size=200))
    def test_arbitrary_text(self, text: str) -> None:
        """Any text either reads as data or raises CaseError; never another exception."""
        try:
            data = read_case_data(text)
        except CaseError:
            return
        _parse_or_case_error(data)
