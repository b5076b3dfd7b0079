"""Bad input never gets through, and nothing fails silently (issue 13).

Bad records are refused with an exception naming what was wrong, and the announced version and its
data stay as they were; failures the core cannot raise (a background refresh) are logged; a mistyped
store path fails; record fields are never shadowed by record metadata.
"""

from __future__ import annotations

import dataclasses
import logging
import pathlib
import time
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple, Type

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hollow
from conftest import MOVIE_SCHEMA

GOOD: Dict[str, Any] = {"id": 1, "title": "Alien", "year": 1979, "rating": 8.5, "tags": ["scifi"]}


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.01)


class Published:
    """A store with one announced version of one movie, a producer on it and a consumer following it."""

    def __init__(self) -> None:
        self.store = hollow.InMemoryBlobStore()
        self.producer = hollow.Producer(self.store, schema=MOVIE_SCHEMA)
        self.version = self.producer.run_cycle(lambda ws: ws.add(GOOD, type="Movie"))
        self.consumer = hollow.Consumer(self.store)
        assert self.consumer.refresh() == self.version

    def assert_unchanged(self) -> None:
        """The announced version is the first one, and a new consumer reads its one movie."""
        assert self.store.announced_version == self.version
        assert self.producer.current_version == self.version
        fresh = hollow.Consumer(self.store)
        assert fresh.refresh() == self.version
        assert [hollow.to_dict(m) for m in fresh.read_state.type("Movie")] == [GOOD]
        assert self.consumer.refresh() == self.version


@pytest.fixture
def published() -> Published:
    return Published()


@pytest.mark.parametrize(
    "value, what",
    [(42, "int"), (None, "None"), ("str", "str"), ([1, 2, 3], "list"), (1.5, "float"), (b"x", "bytes"), ((1, 2), "tuple"), ({1, 2}, "set")],
)
def test_a_value_that_is_not_a_record_is_refused(published: Published, value: object, what: str) -> None:
    with pytest.raises(hollow.SchemaMismatchError, match=f"add_all item 1: Movie needs a dict, dataclass or object, got {what}$"):
        published.producer.run_cycle(lambda ws: ws.add_all([GOOD, value], type="Movie"))
    with pytest.raises(hollow.SchemaMismatchError, match=f": Movie needs a dict, dataclass or object, got {what}$"):
        published.producer.run_cycle(lambda ws: ws.add(value, type="Movie"))
    published.assert_unchanged()


def test_a_one_field_type_still_takes_its_value(store: hollow.InMemoryBlobStore) -> None:
    producer = hollow.Producer(store, schema="Integer { int value; }\nString { string value; }")
    producer.run_cycle(lambda ws: [ws.add(5, type="Integer"), ws.add("x", type="String")])
    with pytest.raises(hollow.SchemaMismatchError, match="Integer needs a dict, dataclass or object, got None"):
        producer.run_cycle(lambda ws: ws.add(None, type="Integer"))


@dataclasses.dataclass
class Movie:
    id: Optional[int]
    title: str
    director: str = "Scott"


class MovieTuple(NamedTuple):
    id: Optional[int]
    title: str


def test_a_field_not_in_the_schema_is_refused(published: Published) -> None:
    for record in ({**GOOD, "director": "Scott"}, Movie(2, "Heat")):
        with pytest.raises(hollow.SchemaMismatchError, match="add_all item 0: type Movie has no field director"):
            published.producer.run_cycle(lambda ws: ws.add_all([record], type="Movie"))
    published.assert_unchanged()


def test_a_missing_field_is_null_but_a_missing_primary_key_is_refused(published: Published) -> None:
    cases: List[object] = [{"title": "x"}, {"id": None, "title": "x"}, MovieTuple(None, "x")]
    for record in cases:
        with pytest.raises(hollow.InvalidArgumentError, match="add_all item 0: .*Movie.*primary key"):
            published.producer.run_cycle(lambda ws: ws.add_all([record], type="Movie"))
    published.assert_unchanged()
    # Other fields may be missing: they are null, as in Java.
    version = published.producer.run_cycle(lambda ws: ws.add({"id": 2}, type="Movie"))
    published.consumer.refresh()
    assert published.consumer.current_version == version
    assert hollow.to_dict(published.consumer.read_state.type("Movie")[2]) == {
        "id": 2, "title": None, "year": None, "rating": None, "tags": None,
    }


def test_numbers_out_of_range_are_refused(published: Published) -> None:
    cases = [
        ({**GOOD, "year": 1 << 31}, "at Movie.year: 2147483648 is out of range for an INT field"),
        ({**GOOD, "year": -(1 << 31) - 1}, "at Movie.year: -2147483649 is out of range for an INT field"),
        ({**GOOD, "id": 1 << 63}, "at Movie.id: 9223372036854775808 does not fit a LONG"),
        ({**GOOD, "id": 1 << 64}, "at Movie.id: 18446744073709551616 does not fit a Hollow number"),
    ]
    for record, message in cases:
        with pytest.raises(hollow.InvalidArgumentError, match=f"add_all item 0: {message}"):
            published.producer.run_cycle(lambda ws: ws.add_all([record], type="Movie"))
    published.assert_unchanged()


# ----- the property: random bad records are refused --------------------------------------------------

_Bad = Tuple[object, Tuple[Type[BaseException], ...]]
MISMATCH = (hollow.SchemaMismatchError, TypeError)
INVALID = (hollow.InvalidArgumentError, ValueError)


def _with(field: str, values: st.SearchStrategy[Any], expected: Tuple[Type[BaseException], ...]) -> st.SearchStrategy[_Bad]:
    return values.map(lambda v: ({**GOOD, field: v}, expected))


# Integers within 64 bits: a larger one is out of range whatever its field (an InvalidArgumentError).
_int64 = st.integers(min_value=-(1 << 63), max_value=(1 << 64) - 1)
_not_a_string = st.one_of(_int64, st.floats(), st.booleans(), st.binary(max_size=3))
BAD_RECORDS: st.SearchStrategy[_Bad] = st.one_of(
    # not a record at all
    st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=5), st.binary(max_size=5), st.lists(st.integers(), max_size=3)).map(
        lambda v: (v, MISMATCH)
    ),
    # values of the wrong type
    _with("id", st.one_of(st.floats(), st.booleans(), st.text(max_size=3), st.lists(_int64, max_size=2)), MISMATCH),
    _with("title", _not_a_string, MISMATCH),
    _with("year", st.one_of(st.floats(), st.booleans(), st.text(max_size=3)), MISMATCH),
    _with("rating", st.one_of(st.booleans(), st.text(max_size=3), st.binary(max_size=3)), MISMATCH),
    _with("tags", st.one_of(st.text(min_size=1, max_size=3), _int64, st.lists(_not_a_string, min_size=1, max_size=3)), MISMATCH),
    # nulls where none may be
    _with("id", st.none(), INVALID),
    _with("tags", st.lists(st.none(), min_size=1, max_size=3), INVALID),
    # a missing primary key
    st.sampled_from(["title", "year"]).map(lambda f: ({f: GOOD[f]}, INVALID)),
    # fields not in the schema
    st.text(min_size=1, max_size=8).filter(lambda k: k not in GOOD).map(lambda k: ({**GOOD, k: 1}, MISMATCH)),
    # numbers out of range
    _with("year", st.one_of(st.integers(min_value=1 << 31), st.integers(max_value=-(1 << 31) - 1)), INVALID),
    _with("id", st.one_of(st.integers(min_value=1 << 63), st.integers(max_value=-(1 << 63) - 1)), INVALID),
)


def test_random_bad_records_are_refused_and_change_nothing() -> None:
    published = Published()

    @settings(max_examples=100, deadline=None)
    @given(BAD_RECORDS, st.sampled_from(["add", "add_all", "cycle"]))
    def check(bad: _Bad, how: str) -> None:
        record, expected = bad
        with pytest.raises(hollow.HollowError) as info:
            if how == "add":
                published.producer.run_cycle(lambda ws: ws.add(record, type="Movie"))
            elif how == "add_all":
                published.producer.run_cycle(lambda ws: ws.add_all([{**GOOD, "id": 7}, record], type="Movie"))
            else:
                with published.producer.cycle() as c:
                    c.add(record, type="Movie")
        assert isinstance(info.value, expected), (record, info.value)
        published.assert_unchanged()

    check()


# ----- nothing fails silently ----------------------------------------------------------------------


def test_a_watcher_that_fails_logs_and_counts(tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="hollow")
    producer = hollow.Producer(hollow.FilesystemBlobStore(tmp_path), first_version=1)
    producer.run_cycle(lambda ws: ws.add_all(["a", "b", "c"]))
    snapshot = tmp_path / "snapshot-1"
    snapshot.write_bytes(snapshot.read_bytes()[:10])  # truncated
    # No on_refresh_failed callback: the failure must still be reported somewhere.
    with hollow.Consumer(hollow.FilesystemBlobStore(tmp_path, poll_interval=0.02)) as consumer:
        consumer.start_watching()
        wait_for(lambda: consumer.metrics.refreshes_failed >= 1)
    assert consumer.current_version is None and consumer.metrics.watch_failures == 0
    failures = [r for r in caplog.records if r.name == "hollow.consumer" and "refresh failed" in r.getMessage()]
    assert failures, caplog.records
    assert failures[0].levelno == logging.WARNING
    assert "corrupt blob" in failures[0].getMessage() and "snapshot-1" in failures[0].getMessage()


def test_a_failed_cycle_is_logged(store: hollow.InMemoryBlobStore, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="hollow")
    producer = hollow.Producer(store, schema=MOVIE_SCHEMA)
    with pytest.raises(hollow.SchemaMismatchError):
        producer.run_cycle(lambda ws: ws.add_all([42], type="Movie"))
    logged = [r for r in caplog.records if r.name == "hollow.producer"]
    assert logged and logged[0].levelno == logging.WARNING
    assert "cycle failed" in logged[0].getMessage() and "Movie needs a dict" in logged[0].getMessage()


def test_a_missing_store_directory_is_an_error_unless_created(tmp_path: pathlib.Path) -> None:
    missing = tmp_path / "mistyped"
    with pytest.raises(hollow.NotFoundError, match=f"blob store directory {missing} does not exist"):
        hollow.FilesystemBlobStore(missing)
    assert not missing.exists()
    store = hollow.FilesystemBlobStore(missing, create=True)
    assert missing.is_dir() and store.path == missing
    assert hollow.FilesystemBlobStore(missing).announced_version is None


# ----- record fields are never shadowed ------------------------------------------------------------


def test_fields_named_like_record_metadata_read_back(store: hollow.InMemoryBlobStore) -> None:
    schema = "Odd @PrimaryKey(ordinal) { int ordinal; string type_name; string to_dict; string read_state; string to_python; }"
    producer = hollow.Producer(store, schema=schema)
    values = {"ordinal": 41, "type_name": "t", "to_dict": "d", "read_state": "r", "to_python": "p"}
    producer.run_cycle(lambda ws: ws.add_all([{**values, "ordinal": 40}, values], type="Odd"))
    consumer = hollow.Consumer(store)
    consumer.refresh()
    record = consumer.read_state.type("Odd")[41]
    assert (record.ordinal, record.type_name, record.to_dict, record.read_state, record.to_python) == (41, "t", "d", "r", "p")
    assert record["ordinal"] == 41
    assert sorted(values) == sorted(dir(record))
    # Metadata comes from the module functions.
    assert hollow.ordinal(record) == 1 and hollow.type_name(record) == "Odd"
    assert hollow.read_state(record).version == consumer.current_version
    assert hollow.to_dict(record) == values == hollow.to_python(record)
    with pytest.raises(AttributeError):
        record.nope
