"""Stores opened from a URL: `UrlBlobStore`, and `Producer(url, ...)` / `Consumer(url, ...)` with store
options as keyword arguments. `memory://` and directories always; S3 when `HOLLOW_TEST_S3` is set (CI runs
the suite under `.ci/with-s3.sh`, a moto server on loopback: `bash .ci/with-s3.sh bash bindings/python/ci.sh`)."""

from __future__ import annotations

import os
import pathlib
import time
import urllib.request
import uuid
from typing import Any, Callable, Dict, List

import pytest

import hollow

from conftest import MOVIE_SCHEMA

MOVIES: List[Dict[str, Any]] = [
    {"id": 1, "title": "Alien", "year": 1979, "rating": 8.5, "tags": ["scifi", "horror"]},
    {"id": 2, "title": "Heat", "year": 1995, "rating": 8.3, "tags": ["crime"]},
]
SEQUEL: Dict[str, Any] = {"id": 3, "title": "Aliens", "year": 1986, "rating": 8.4, "tags": ["scifi"]}


def movies(consumer: hollow.Consumer) -> List[Dict[str, Any]]:
    return sorted((hollow.to_dict(m) for m in consumer.read_state.type("Movie")), key=lambda m: int(m["id"]))


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.01)


# ----- memory:// -----------------------------------------------------------------------------------


def test_a_memory_url_store_is_shared_by_a_producer_and_a_consumer() -> None:
    # Every memory:// opened is a new store: the producer and the consumer share this one object.
    store = hollow.UrlBlobStore("memory://movies", layout="filesystem", poll_interval_ms=20, poll_jitter=0.1)
    assert isinstance(store, hollow.BlobStore) and store.url == "memory://movies"
    assert repr(store) == "<hollow.UrlBlobStore memory://movies>"
    assert store.announced_version is None
    producer = hollow.Producer(store, schema=MOVIE_SCHEMA, first_version=1)
    v1 = producer.run_cycle(lambda ws: ws.add_all(MOVIES, type="Movie"))
    assert store.announced_version == v1
    with hollow.Consumer(store) as consumer:
        assert consumer.refresh() == v1 and movies(consumer) == MOVIES
        consumer.start_watching()
        v2 = producer.run_cycle(lambda ws: ws.add_all([*MOVIES, SEQUEL], type="Movie"))
        wait_for(lambda: consumer.current_version == v2)
        assert movies(consumer) == [*MOVIES, SEQUEL] and consumer.metrics.deltas_applied == 1
    assert hollow.Consumer(hollow.UrlBlobStore("memory://movies")).refresh() is None  # another store


def test_a_second_producer_on_a_url_store_conflicts() -> None:
    store = hollow.UrlBlobStore("memory://")
    first = hollow.Producer(store, first_version=1)
    v1 = first.run_cycle(lambda ws: ws.add("a"))
    second = hollow.Producer(store)
    with pytest.raises(hollow.ConflictError):
        second.run_cycle(lambda ws: ws.add("b"))
    assert store.announced_version == v1
    v2 = first.run_cycle(lambda ws: ws.add_all(["a", "c"]))
    assert v2 > v1

    # Closing the first producer hands the store over.
    first.close()
    first.close()
    with pytest.raises(hollow.InvalidArgumentError, match="this producer is closed"):
        first.run_cycle(lambda ws: ws.add("d"))
    with second:
        assert second.restore() == v2
        assert second.run_cycle(lambda ws: ws.add_all(["a", "c", "d"])) > v2
    with pytest.raises(hollow.InvalidArgumentError, match="this producer is closed"):
        second.schema_text()
    assert hollow.Producer(store).restore() == store.announced_version


def test_a_restarted_producer_restores_the_announced_version() -> None:
    store = hollow.UrlBlobStore("memory://p", lease_ttl_ms=60_000)
    empty = hollow.Producer(store)
    with pytest.raises(hollow.NotFoundError, match="no version is announced"):
        empty.restore()
    del empty  # releases the producer lock
    first = hollow.Producer(store, first_version=1)
    v1 = first.run_cycle(lambda ws: ws.add_all(["a", "b"]))
    consumer = hollow.Consumer(store)
    consumer.refresh()
    del first

    restarted = hollow.Producer(store, schema="String { string value; }")
    assert restarted.restore() == v1 and restarted.current_version == v1
    v2 = restarted.run_cycle(lambda ws: ws.add_all(["a", "c"]))
    assert consumer.refresh() == v2 and consumer.metrics.deltas_applied == 1
    assert sorted(consumer.read_state) == ["a", "c"]
    assert restarted.restore(v1) == v1  # an explicit version still works


# ----- directories ---------------------------------------------------------------------------------


def test_a_producer_creates_a_directory_a_consumer_does_not(tmp_path: pathlib.Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(hollow.NotFoundError, match=f"blob store directory {missing} does not exist"):
        hollow.Consumer(missing)
    with pytest.raises(hollow.NotFoundError):
        hollow.UrlBlobStore(f"file://{missing}")
    assert not missing.exists()

    target = tmp_path / "new"
    producer = hollow.Producer(str(target), schema=MOVIE_SCHEMA, first_version=1)
    v1 = producer.run_cycle(lambda ws: ws.add_all(MOVIES, type="Movie"))
    assert (target / f"snapshot-{v1}").exists()  # Java's directory layout
    for store in (target, str(target), f"file://{target}", hollow.FilesystemBlobStore(target)):
        consumer = hollow.Consumer(store)
        assert consumer.refresh() == v1 and movies(consumer) == MOVIES
    assert hollow.Consumer(tmp_path / "made", create=True).refresh() is None
    assert (tmp_path / "made").is_dir()
    not_created = tmp_path / "not-created"
    with pytest.raises(hollow.NotFoundError):
        hollow.Producer(not_created, create=False)
    assert not not_created.exists()


# ----- options -------------------------------------------------------------------------------------


def test_store_options_are_checked(tmp_path: pathlib.Path) -> None:
    with pytest.raises(hollow.InvalidArgumentError, match='unknown store option "bogus"'):
        hollow.UrlBlobStore("memory://", bogus=1)
    with pytest.raises(hollow.InvalidArgumentError, match='unknown store option "aws_region"'):
        hollow.Consumer(str(tmp_path), aws_region="eu-west-1")
    # A mistyped producer argument is not silently taken for a store option.
    with pytest.raises(hollow.InvalidArgumentError, match='unknown store option "primary_key"'):
        hollow.Producer("memory://", primary_key={"Movie": ["id"]})  # type: ignore[arg-type]
    with pytest.raises(hollow.InvalidArgumentError, match="expected reference or filesystem"):
        hollow.UrlBlobStore("memory://", layout="s3")
    with pytest.raises(hollow.InvalidArgumentError, match="is not a number"):
        hollow.UrlBlobStore("memory://", poll_interval_ms="soon")
    with pytest.raises(hollow.InvalidArgumentError, match="poll_jitter"):
        hollow.UrlBlobStore("memory://", poll_jitter=2.0)
    with pytest.raises(hollow.InvalidArgumentError, match="expected a str, int, float, bool or path"):
        hollow.UrlBlobStore("memory://", cache_dir=[str(tmp_path)])  # type: ignore[arg-type]
    with pytest.raises(hollow.InvalidArgumentError, match="not key=value"):
        hollow.UrlBlobStore("memory://?layout")
    with pytest.raises(hollow.InvalidArgumentError, match="apply only to a store given as a URL"):
        hollow.Consumer(hollow.InMemoryBlobStore(), poll_interval_ms=10)
    with pytest.raises(TypeError, match="store must be a BlobStore, a URL or a path"):
        hollow.Consumer(42)  # type: ignore[arg-type]
    with pytest.raises(hollow.InvalidArgumentError, match="store URL"):
        hollow.UrlBlobStore("nosuchscheme://x")
    # Accepted: paths, None (unset), bools, query options.
    store = hollow.UrlBlobStore("memory://q?layout=filesystem", cache_dir=tmp_path / "cache", max_retries=None)
    assert store.url == "memory://q?layout=filesystem" and repr(store) == "<hollow.UrlBlobStore memory://q>"
    hollow.UrlBlobStore(str(tmp_path), create=True, poll_interval_ms=10)


# ----- S3 (a moto server, under .ci/with-s3.sh) ----------------------------------------------------

s3 = pytest.mark.skipif(
    not os.environ.get("HOLLOW_TEST_S3"),
    reason="needs an S3 server: set HOLLOW_TEST_S3 (run under .ci/with-s3.sh)",
)


@pytest.fixture
def bucket() -> str:
    """A fresh bucket on the test server (an unsigned PUT, which moto accepts)."""
    name = f"hollow-py-{uuid.uuid4().hex[:12]}"
    endpoint = os.environ["AWS_ENDPOINT_URL"].rstrip("/")
    request = urllib.request.Request(f"{endpoint}/{name}", method="PUT", data=b"")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    return name


@s3
def test_s3_producer_and_consumer_by_url(bucket: str) -> None:
    url = f"s3://{bucket}/movies"
    producer = hollow.Producer(url, schema=MOVIE_SCHEMA, first_version=1)
    v1 = producer.run_cycle(lambda ws: ws.add_all(MOVIES, type="Movie"))
    # The consumer follows by URL alone (credentials and endpoint from the environment) ...
    with hollow.Consumer(url, poll_interval_ms=50) as consumer:
        assert consumer.refresh() == v1 and movies(consumer) == MOVIES
        consumer.start_watching()
        v2 = producer.run_cycle(lambda ws: ws.add_all([*MOVIES, SEQUEL], type="Movie"))
        wait_for(lambda: consumer.current_version == v2)
        assert movies(consumer) == [*MOVIES, SEQUEL] and consumer.metrics.deltas_applied == 1
    # ... or with them as options, and a disk cache.
    explicit = hollow.Consumer(
        url,
        aws_endpoint_url=os.environ["AWS_ENDPOINT_URL"],
        aws_region="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        aws_allow_http=True,
        cache_dir=None,
    )
    assert explicit.refresh() == v2 and movies(explicit) == [*MOVIES, SEQUEL]

    # The producer holds the store's lock: a second one on the same URL conflicts.
    with hollow.Producer(url, schema=MOVIE_SCHEMA) as second:
        with pytest.raises(hollow.ConflictError):
            second.run_cycle(lambda ws: ws.add_all(MOVIES, type="Movie"))
    assert hollow.UrlBlobStore(url).announced_version == v2

    # Unknown options are refused, by hollow or by the S3 builder.
    with pytest.raises(hollow.InvalidArgumentError):
        hollow.Consumer(url, bogus_option=1)
    with pytest.raises(hollow.InvalidArgumentError):
        hollow.UrlBlobStore(url, google_service_account="x")

    # A restarted producer continues the delta chain.
    del producer
    restarted = hollow.Producer(url, schema=MOVIE_SCHEMA)
    assert restarted.restore() == v2
    v3 = restarted.run_cycle(lambda ws: ws.add_all([SEQUEL], type="Movie"))
    assert explicit.refresh() == v3 and movies(explicit) == [SEQUEL]
    assert explicit.metrics.deltas_applied == 1


@s3
def test_s3_filesystem_layout_and_disk_cache(bucket: str, tmp_path: pathlib.Path) -> None:
    url = f"s3://{bucket}/java?layout=filesystem"
    store = hollow.UrlBlobStore(url, cache_dir=tmp_path / "cache")
    v1 = hollow.Producer(store, first_version=1).run_cycle(lambda ws: ws.add_all(["a", "b"]))
    consumer = hollow.Consumer(url, cache_dir=tmp_path / "cache")
    assert consumer.refresh() == v1 and sorted(consumer.read_state) == ["a", "b"]
    assert any((tmp_path / "cache").rglob("*"))
