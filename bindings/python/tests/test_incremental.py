"""Incremental cycles: the context manager, run_incremental_cycle, apply_changes, and bad input."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List

import pytest

import hollow
from conftest import MOVIE_SCHEMA


@dataclass
class Movie:
    __hollow_primary_key__ = ("id",)
    id: int
    title: str
    year: int = 2000
    rating: float = 5.0
    tags: List[str] = field(default_factory=list)


def as_dict(m: Movie) -> Dict[str, Any]:
    return {"id": m.id, "title": m.title, "year": m.year, "rating": m.rating, "tags": m.tags}


START = [Movie(1, "Heat"), Movie(2, "Alien"), Movie(3, "Up")]


def titles(consumer: hollow.Consumer) -> Dict[int, str]:
    consumer.refresh()
    return {r.id: r.title for r in consumer.read_state.type("Movie")}


@pytest.fixture
def producer(store: hollow.InMemoryBlobStore) -> hollow.Producer:
    p = hollow.Producer(store, schema=MOVIE_SCHEMA)
    p.run_cycle(lambda ws: ws.add_all(START))
    return p


def test_context_manager_publishes(producer: hollow.Producer, consumer: hollow.Consumer) -> None:
    before = producer.current_version
    with producer.incremental_cycle() as changes:
        changes.add_or_modify(Movie(2, "Aliens", 1986))  # a dataclass
        changes.add_or_modify({"id": 4, "title": "Arrival", "year": 2016, "rating": 7.9, "tags": ["scifi"]}, type="Movie")
        changes.delete("Movie", 3)
        changes.delete("Movie", (99,))  # absent: a no-op
        assert len(changes) == 4 and changes.version is None
        assert producer.current_version == before  # nothing published yet
    assert changes.version is not None and changes.version > (before or 0)
    assert producer.current_version == changes.version
    assert titles(consumer) == {1: "Heat", 2: "Aliens", 4: "Arrival"}
    assert consumer.current_version == changes.version
    rs = consumer.read_state
    assert hollow.to_python(rs.type("Movie")[4]) == {"id": 4, "title": "Arrival", "year": 2016, "rating": 7.9, "tags": ["scifi"]}

    stats = producer.last_incremental_stats
    assert stats is not None
    assert (stats.upserts, stats.deletes, stats.absent_deletes, stats.superseded) == (2, 1, 1, 0)
    assert stats.removed["Movie"] == 2 and stats.added["Movie"] == 2
    assert stats.to_dict()["upserts"] == 2 and "upserts=2" in repr(stats)


def test_an_exception_announces_nothing(
    producer: hollow.Producer, store: hollow.InMemoryBlobStore, consumer: hollow.Consumer
) -> None:
    before = producer.current_version
    with pytest.raises(RuntimeError, match="changed my mind"):
        with producer.incremental_cycle() as changes:
            changes.delete("Movie", 1)
            changes.add_or_modify(Movie(9, "Nope"))
            raise RuntimeError("changed my mind")
    assert changes.version is None
    assert producer.current_version == before and store.announced_version == before
    assert titles(consumer) == {1: "Heat", 2: "Alien", 3: "Up"}
    assert producer.last_incremental_stats is None

    def failing(c: hollow.IncrementalCycle) -> None:
        c.delete("Movie", 2)
        raise ValueError("no")

    with pytest.raises(ValueError):
        producer.run_incremental_cycle(failing)
    assert store.announced_version == before


def test_run_incremental_cycle_and_superseded_changes(producer: hollow.Producer, consumer: hollow.Consumer) -> None:
    def changes(c: hollow.IncrementalCycle) -> None:
        c.add_or_modify(Movie(1, "Heat (1995)"))
        c.add_or_modify(Movie(1, "Heat!"))  # replaces the previous change
        c.delete("Movie", 2)

    version = producer.run_incremental_cycle(changes)
    assert version == producer.current_version
    assert titles(consumer) == {1: "Heat!", 3: "Up"}
    stats = producer.last_incremental_stats
    assert stats is not None and stats.superseded == 1 and stats.upserts == 1 and stats.deletes == 1
    # No change: the current version stays.
    assert producer.run_incremental_cycle(lambda c: None) == version


def test_bad_input_raises_the_mapped_exception(producer: hollow.Producer, store: hollow.InMemoryBlobStore) -> None:
    before = store.announced_version
    with producer.incremental_cycle() as changes:
        with pytest.raises(hollow.NotFoundError, match="Show"):
            changes.delete("Show", 1)
        with pytest.raises(hollow.SchemaMismatchError, match="primary key of Movie"):
            changes.delete("Movie", (1, 2))
        with pytest.raises(hollow.SchemaMismatchError):
            changes.delete("Movie", "not a number")
        with pytest.raises(hollow.NotFoundError):
            changes.add_or_modify({"id": 5}, type="Show")
        with pytest.raises(hollow.SchemaMismatchError, match="nope"):
            changes.add_or_modify({"id": 5, "nope": 1}, type="Movie")
        with pytest.raises(hollow.InvalidArgumentError, match="type="):
            changes.add_or_modify({"id": 5, "title": "x"})
        assert len(changes) == 0
    # Nothing was queued: nothing changed.
    assert changes.version == before and store.announced_version == before
    with pytest.raises(hollow.InvalidArgumentError, match="line 2"):
        producer.apply_changes(['{"op":"delete","type":"Movie","key":[1]}', "not json"])
    with pytest.raises(hollow.NotFoundError):
        producer.apply_changes('{"op":"delete","type":"Show","key":[1]}')
    assert store.announced_version == before


def test_inferred_types_and_the_string_dataset(store: hollow.InMemoryBlobStore, consumer: hollow.Consumer) -> None:
    producer = hollow.Producer(store)  # no schema: inferred from the first cycle's records
    producer.run_cycle(lambda ws: [ws.add_all(START), ws.add("loose")])
    with producer.incremental_cycle() as changes:
        changes.add_or_modify(Movie(2, "Aliens"))
        changes.delete("Movie", 1)
        changes.delete("String", "loose")  # a type without a primary key: the key is the record
        changes.add_or_modify("another")
    assert titles(consumer) == {2: "Aliens", 3: "Up"}
    assert "another" in consumer.read_state and "loose" not in consumer.read_state
    assert as_dict(Movie(2, "Aliens")) == hollow.to_python(consumer.read_state.type("Movie")[2])
