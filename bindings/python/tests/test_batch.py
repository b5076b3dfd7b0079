"""Batch reads: many primary-key lookups in one call, and one field of many records."""

from __future__ import annotations

import array
from typing import Any, Dict, List

import pytest

import hollow
from conftest import MOVIE_SCHEMA

MOVIES: List[Dict[str, Any]] = [
    {"id": 10 * i + 1, "title": f"title {i % 7}", "year": 1950 + i, "rating": i / 4, "tags": [f"t{i % 3}"]}
    for i in range(500)
]


def state(store: hollow.InMemoryBlobStore, consumer: hollow.Consumer) -> hollow.ReadState:
    hollow.Producer(store, schema=MOVIE_SCHEMA).run_cycle(lambda ws: ws.add_all(MOVIES, type="Movie"))
    consumer.refresh()
    return consumer.read_state


def test_get_many_matches_one_lookup_per_key(store: hollow.InMemoryBlobStore, consumer: hollow.Consumer) -> None:
    movies = state(store, consumer).type("Movie")
    keys = [m["id"] for m in MOVIES[::-3]] + [0, 2, 10**12]
    expected = [movies.get(k) for k in keys]
    ordinals = movies.get_many(keys)
    assert len(ordinals) == len(keys)
    assert [None if o is None else movies.record(o) for o in ordinals] == expected
    assert ordinals[-3:] == [None, None, None]
    # A buffer of int64 (array.array or a NumPy int64 array) is read in place, with the same answers.
    assert movies.get_many(array.array("q", keys)) == ordinals
    assert movies.get_many([]) == []


def test_column_reads_one_field_of_many_records(store: hollow.InMemoryBlobStore, consumer: hollow.Consumer) -> None:
    movies = state(store, consumer).type("Movie")
    keys = [m["id"] for m in MOVIES[:50]] + [4]
    ordinals = movies.get_many(keys)
    assert movies.column("title", ordinals) == [m["title"] for m in MOVIES[:50]] + [None]
    assert movies.column("year", ordinals[:3]) == [1950, 1951, 1952]
    assert movies.column("rating", ordinals[:2]) == [0.0, 0.25]
    assert movies.column("tags", ordinals[:2]) == [["t0"], ["t1"]]
    known = [o for o in ordinals if o is not None]
    assert movies.column("year", array.array("q", known)) == [m["year"] for m in MOVIES[:50]]
    assert movies.column("year", [10**9, None]) == [None, None]
    with pytest.raises(hollow.NotFoundError):
        movies.column("nope", ordinals)


def test_bad_keys_are_type_errors(store: hollow.InMemoryBlobStore, consumer: hollow.Consumer) -> None:
    movies = state(store, consumer).type("Movie")
    with pytest.raises(TypeError):
        movies.get_many([1, object()])
    with pytest.raises(TypeError):
        movies.get_many(5)
