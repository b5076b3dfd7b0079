"""Memory-mapped consumers (``memory_mapping="shared"``) and snapshot files loaded as read states."""

from __future__ import annotations

import pathlib
from typing import Any, Dict, List

import pytest

import hollow

from conftest import MOVIE_SCHEMA


def movies(version: int) -> List[Dict[str, Any]]:
    """Version 1: movies 0..49; each later version retitles some, drops one and adds one."""
    out = []
    for i in range(version - 1, 50 + version - 1):
        title = f"Movie {i} v{version}" if i % 7 == 0 else f"Movie {i}"
        out.append({"id": 1000 + i, "title": title, "year": 1990 + i % 30, "rating": i / 10, "tags": [f"t{i % 3}"]})
    return out


def contents(rs: hollow.ReadState) -> Dict[int, Dict[str, Any]]:
    return {r.id: hollow.to_dict(r) for r in rs.type("Movie")}


@pytest.fixture
def published(tmp_path: pathlib.Path) -> pathlib.Path:
    """A filesystem store holding versions 1, 2 and 3 (a snapshot and deltas)."""
    store = hollow.FilesystemBlobStore(tmp_path / "blobs", create=True)
    producer = hollow.Producer(store, schema=MOVIE_SCHEMA, first_version=1)
    for v in (1, 2, 3):
        data = movies(v)
        assert producer.run_cycle(lambda ws: ws.add_all(data, type="Movie")) == v
    return tmp_path / "blobs"


def test_shared_consumer_reads_what_a_copying_one_reads_across_deltas(published: pathlib.Path) -> None:
    shared = hollow.Consumer(hollow.FilesystemBlobStore(published), memory_mapping="shared")
    copying = hollow.Consumer(hollow.FilesystemBlobStore(published), memory_mapping="copy")
    for v in (1, 2, 3):
        assert shared.refresh_to(v) == v and copying.refresh_to(v) == v
        a, b = shared.read_state, copying.read_state
        assert a.version == b.version == v
        expected = {m["id"]: m for m in movies(v)}
        assert contents(a) == contents(b) == expected
        assert a.type("Movie")[1000 + v].title == expected[1000 + v]["title"]
        # The shared state reads the snapshot file in place: the shards no delta rebuilt stay mapped.
        assert a.mapped_shards > 0
        assert b.mapped_shards == 0
    assert shared.metrics.snapshots_applied == 1 and shared.metrics.deltas_applied == 2
    assert copying.metrics.deltas_applied == 2


def test_a_state_keeps_reading_its_mapping_after_the_consumer_moves_on(published: pathlib.Path) -> None:
    consumer = hollow.Consumer(hollow.FilesystemBlobStore(published), memory_mapping="shared")
    consumer.refresh_to(1)
    first = consumer.read_state
    consumer.refresh_to(3)
    assert consumer.read_state.version == 3
    assert first.version == 1 and contents(first) == {m["id"]: m for m in movies(1)}


def test_a_store_without_local_files_loads_into_memory(store: hollow.InMemoryBlobStore) -> None:
    hollow.Producer(store, schema=MOVIE_SCHEMA, first_version=1).run_cycle(
        lambda ws: ws.add_all(movies(1), type="Movie")
    )
    consumer = hollow.Consumer(store, memory_mapping="shared")
    assert consumer.refresh() == 1
    assert consumer.read_state.mapped_shards == 0
    assert contents(consumer.read_state) == {m["id"]: m for m in movies(1)}


@pytest.mark.parametrize("mode", ["copy", "shared"])
def test_a_snapshot_file_loads_as_a_read_state(published: pathlib.Path, mode: Any) -> None:
    rs = hollow.ReadState.from_snapshot_file(published / "snapshot-1", memory_mapping=mode)
    assert rs.version == 1  # from the blob's hollow.blob.to.version tag
    assert contents(rs) == {m["id"]: m for m in movies(1)}
    assert (rs.mapped_shards > 0) == (mode == "shared")
    assert hollow.ReadState.from_snapshot_file(str(published / "snapshot-1"), version=7).version == 7


def test_bad_mapping_arguments_raise(published: pathlib.Path) -> None:
    with pytest.raises(ValueError, match="memory_mapping must be"):
        hollow.Consumer(hollow.FilesystemBlobStore(published), memory_mapping="mmap")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="memory_mapping must be"):
        hollow.ReadState.from_snapshot_file(published / "snapshot-1", memory_mapping="Shared")  # type: ignore[arg-type]
    with pytest.raises(hollow.IoError):
        hollow.ReadState.from_snapshot_file(published / "no-such-file", memory_mapping="shared")
    with pytest.raises(hollow.CorruptBlobError):
        hollow.ReadState.from_snapshot_file(published / "announced.version")
