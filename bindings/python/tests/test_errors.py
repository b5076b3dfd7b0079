"""Error paths: every failure is a HollowError subclass that says what went wrong."""

from __future__ import annotations

import dataclasses
import math
import pathlib
from typing import Any, Dict, List

import pytest

import hollow
from conftest import MOVIE_SCHEMA


def test_exception_hierarchy() -> None:
    for cls in (
        hollow.CorruptBlobError,
        hollow.TagMismatchError,
        hollow.SchemaError,
        hollow.SchemaMismatchError,
        hollow.NotFoundError,
        hollow.InvalidArgumentError,
        hollow.ValidationFailedError,
        hollow.IntegrityCheckFailedError,
        hollow.IoError,
        hollow.ConflictError,
    ):
        assert issubclass(cls, hollow.HollowError) and cls.__module__ == "hollow"
    assert issubclass(hollow.HollowError, Exception)
    assert issubclass(hollow.NotFoundError, LookupError)
    assert issubclass(hollow.InvalidArgumentError, ValueError)
    assert issubclass(hollow.SchemaMismatchError, TypeError)
    assert issubclass(hollow.IoError, OSError)


def test_bad_schema_text(store: hollow.InMemoryBlobStore) -> None:
    with pytest.raises(hollow.SchemaError, match="line 1"):
        hollow.Producer(store, schema="Movie { long id }")
    with pytest.raises(hollow.SchemaError):
        hollow.Producer(store, schema="ListOfString List<>;")


def test_values_that_do_not_fit_the_schema(store: hollow.InMemoryBlobStore) -> None:
    producer = hollow.Producer(store, schema=MOVIE_SCHEMA)
    good = {"id": 1, "title": "Alien", "year": 1979, "rating": 8.5, "tags": []}
    cases = [
        ({**good, "year": "1979"}, "at Movie.year: cannot store a string in a INT field"),
        ({**good, "id": True}, "at Movie.id: cannot store a bool in a LONG field"),
        ({**good, "rating": "high"}, "at Movie.rating: cannot store a string in a DOUBLE field"),
        ({**good, "tags": "scifi"}, r"at Movie.tags: cannot write a string as a record of type ListOfString \(a LIST\)"),
        ({**good, "tags": [1]}, r"at Movie.tags\[0\].value: cannot store a value of type i32 in a STRING field"),
        ({**good, "director": "Scott"}, "type Movie has no field director"),
        ({**good, "rating": 1j}, "a complex has no Hollow value"),
    ]
    for record, message in cases:
        with pytest.raises(hollow.SchemaMismatchError, match=message):
            producer.run_cycle(lambda ws: ws.add(record, type="Movie"))
    # Numbers out of range are values Hollow cannot store (ValueErrors), with the path to them.
    out_of_range = [
        ({**good, "year": 1 << 40}, "at Movie.year: 1099511627776 is out of range for an INT field"),
        ({**good, "id": 1 << 70}, "at Movie.id: 1180591620717411303424 does not fit a Hollow number"),
    ]
    for record, message in out_of_range:
        with pytest.raises(hollow.InvalidArgumentError, match=message):
            producer.run_cycle(lambda ws: ws.add(record, type="Movie"))
    with pytest.raises(hollow.InvalidArgumentError, match="needs its type"):
        producer.run_cycle(lambda ws: ws.add(good))
    with pytest.raises(hollow.SchemaError, match="is None"):
        producer.run_cycle(lambda ws: ws.add({"id": None}, type="Other"))
    with pytest.raises(hollow.SchemaError, match="empty collection"):
        producer.run_cycle(lambda ws: ws.add({"tags": []}, type="Other"))
    # None of the failed cycles announced anything.
    assert producer.current_version is None and store.announced_version is None
    version = producer.run_cycle(lambda ws: ws.add(good, type="Movie"))
    assert store.announced_version == version


def test_populate_exceptions_propagate_and_publish_nothing(store: hollow.InMemoryBlobStore) -> None:
    producer = hollow.Producer(store)
    v1 = producer.run_cycle(lambda ws: ws.add("a"))

    class Boom(Exception):
        pass

    def populate(ws: hollow.WriteState) -> None:
        ws.add("b")
        raise Boom("in populate")

    with pytest.raises(Boom, match="in populate"):
        producer.run_cycle(populate)
    assert producer.current_version == v1 == store.announced_version
    assert producer.run_cycle(lambda ws: ws.add("a")) == v1  # rolled back: nothing changed since v1


def test_write_state_is_only_usable_during_its_cycle(store: hollow.InMemoryBlobStore) -> None:
    producer = hollow.Producer(store)
    kept: list[hollow.WriteState] = []

    def populate(ws: hollow.WriteState) -> None:
        kept.append(ws)
        ws.add("a")

    producer.run_cycle(populate)
    with pytest.raises(hollow.InvalidArgumentError, match="cycle is over"):
        kept[0].add("late")


def test_nested_cycles_are_refused(store: hollow.InMemoryBlobStore) -> None:
    producer = hollow.Producer(store)

    def populate(ws: hollow.WriteState) -> None:
        ws.add("outer")
        assert producer.current_version is None  # readable during a cycle
        producer.run_cycle(lambda inner: inner.add("inner"))

    with pytest.raises(hollow.InvalidArgumentError, match="already running a cycle"):
        producer.run_cycle(populate)


def test_validators_veto(store: hollow.InMemoryBlobStore) -> None:
    def no_bad(rs: hollow.ReadState) -> object:
        return "bad" not in rs or "found bad"

    def at_most_three(rs: hollow.ReadState) -> object:
        if len(rs) > 3:
            raise ValueError(f"{len(rs)} strings")
        return None

    producer = hollow.Producer(store, validators=[no_bad, at_most_three])
    v1 = producer.run_cycle(lambda ws: ws.add_all(["a", "b"]))
    with pytest.raises(hollow.ValidationFailedError, match="no_bad: found bad"):
        producer.run_cycle(lambda ws: ws.add_all(["a", "bad"]))
    with pytest.raises(hollow.ValidationFailedError, match="at_most_three: ValueError: 4 strings"):
        producer.run_cycle(lambda ws: ws.add_all(["a", "b", "c", "d"]))
    assert store.announced_version == v1


def test_missing_store_and_missing_versions(tmp_path: pathlib.Path) -> None:
    with pytest.raises(hollow.NotFoundError, match="blob store directory"):
        hollow.FilesystemBlobStore(tmp_path / "nope", create=False)
    with pytest.raises(hollow.InvalidArgumentError):
        hollow.FilesystemBlobStore(tmp_path, poll_interval=0)
    empty = hollow.FilesystemBlobStore(tmp_path / "empty", create=True)
    consumer = hollow.Consumer(empty)
    assert consumer.refresh() is None and consumer.current_version is None
    with pytest.raises(hollow.NotFoundError, match="no version loaded"):
        consumer.read_state
    with pytest.raises(hollow.NotFoundError):
        consumer.refresh_to(42)
    with pytest.raises(hollow.InvalidArgumentError):
        hollow.InMemoryBlobStore().remove("snapshots", 1)


def test_unknown_types_and_fields(store: hollow.InMemoryBlobStore, consumer: hollow.Consumer) -> None:
    producer = hollow.Producer(store, schema=MOVIE_SCHEMA)
    producer.run_cycle(lambda ws: ws.add({"id": 1, "title": "Alien"}, type="Movie"))
    consumer.refresh()
    rs = consumer.read_state
    with pytest.raises(hollow.NotFoundError, match="type Show"):
        rs.type("Show")
    with pytest.raises(hollow.NotFoundError, match="field Movie.director"):
        rs.type("Movie").get_field(1, "director")
    with pytest.raises(hollow.InvalidArgumentError, match="no primary key"):
        rs.type("String").get("Alien")
    with pytest.raises(TypeError):
        rs.type("Movie").get([1])  # type: ignore[arg-type]
    with pytest.raises(hollow.InvalidArgumentError, match="no field \"director\""):
        rs.hash_index("Movie", ["director"])
    movie = rs.type("Movie")[1]
    assert movie.year is None and movie.tags is None  # unset fields are null


def test_corrupt_blob(tmp_path: pathlib.Path) -> None:
    store = hollow.FilesystemBlobStore(tmp_path)
    producer = hollow.Producer(store, first_version=1)
    producer.run_cycle(lambda ws: ws.add_all(["a", "b", "c"]))
    snapshot = tmp_path / "snapshot-1"
    data = bytearray(snapshot.read_bytes())
    snapshot.write_bytes(bytes(data[: len(data) // 2]))  # truncated
    consumer = hollow.Consumer(hollow.FilesystemBlobStore(tmp_path))
    with pytest.raises(hollow.CorruptBlobError, match="snapshot-1") as info:
        consumer.refresh()
    assert info.value.offset > 0
    assert consumer.current_version is None and consumer.metrics.refreshes_failed == 1
    snapshot.write_bytes(b"\x00\x00\x04\x07" + bytes(data[4:]))  # format version 1031
    with pytest.raises(hollow.CorruptBlobError, match="unsupported blob format version"):
        consumer.refresh()


def test_delta_on_the_wrong_state_is_a_tag_mismatch(tmp_path: pathlib.Path) -> None:
    store = hollow.FilesystemBlobStore(tmp_path)
    producer = hollow.Producer(store, first_version=1)
    producer.run_cycle(lambda ws: ws.add("a"))
    producer.run_cycle(lambda ws: ws.add("b"))
    # Replace the first snapshot by one of another lineage: the delta 1->2 does not apply to it.
    other = tmp_path / "other"
    hollow.Producer(hollow.FilesystemBlobStore(other, create=True), first_version=1).run_cycle(lambda ws: ws.add("a"))
    # (Its header too: a consumer checks that a snapshot makes the state its header names.)
    for blob in ("snapshot-1", "header-1"):
        (tmp_path / blob).write_bytes((other / blob).read_bytes())
    consumer = hollow.Consumer(store, double_snapshot=False)
    consumer.refresh_to(1)
    with pytest.raises(hollow.TagMismatchError) as info:
        consumer.refresh_to(2)
    assert info.value.origin_tag != info.value.current_tag
    assert consumer.current_version == 1


def test_adding_from_inside_a_conversion_is_refused(store: hollow.InMemoryBlobStore) -> None:
    holder: list[hollow.WriteState] = []

    class Sneaky:
        __hollow_type__ = "String"

        @property
        def value(self) -> str:
            holder[0].add("nested")
            return "outer"

    def populate(ws: hollow.WriteState) -> None:
        holder.append(ws)
        ws.add(Sneaky(), type="String")

    producer = hollow.Producer(store, schema="String { string value; }")
    with pytest.raises(hollow.InvalidArgumentError, match="being converted"):
        producer.run_cycle(populate)


def test_wrong_field_types_in_dataclasses_and_nested_records(store: hollow.InMemoryBlobStore) -> None:
    @dataclasses.dataclass
    class Movie:
        id: int
        title: str
        year: int
        rating: float
        tags: List[str]

    producer = hollow.Producer(store, schema=MOVIE_SCHEMA)
    with pytest.raises(hollow.SchemaMismatchError, match="at Movie.title.value: cannot store a value of type i32"):
        producer.run_cycle(lambda ws: ws.add(Movie(1, 5, 1979, 8.5, []), type="Movie"))  # type: ignore[arg-type]
    with pytest.raises(hollow.SchemaMismatchError, match=r"at Movie.tags\[1\].value: cannot store a bool"):
        producer.run_cycle(lambda ws: ws.add(Movie(1, "Alien", 1979, 8.5, ["a", True]), type="Movie"))  # type: ignore[list-item]
    # Numbers convert as Python's do: an int is a fine DOUBLE, NaN stays NaN, a float fits a FLOAT.
    version = producer.run_cycle(lambda ws: ws.add_all([Movie(1, "Alien", 1979, 8, []), Movie(2, "Heat", 1995, math.nan, [])]))
    consumer = hollow.Consumer(store)
    consumer.refresh_to(version)
    movies = consumer.read_state.type("Movie")
    assert movies.get(1).rating == 8.0 and math.isnan(movies.get(2).rating)


def test_cyclic_values_are_refused(store: hollow.InMemoryBlobStore) -> None:
    producer = hollow.Producer(store, schema="Node { Node next; }")
    node: Dict[str, Any] = {}
    node["next"] = node
    with pytest.raises(hollow.InvalidArgumentError, match="nest"):
        producer.run_cycle(lambda ws: ws.add(node, type="Node"))
