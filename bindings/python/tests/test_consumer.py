"""Consumers: watching for announcements, refresh callbacks, filesystem stores, and threads."""

from __future__ import annotations

import pathlib
import sys
import threading
import time
from typing import Any, List, Optional, Tuple

import pytest

import hollow


def wait_for(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.01)


def test_watching_follows_announcements(store: hollow.InMemoryBlobStore) -> None:
    producer = hollow.Producer(store, first_version=1)
    producer.run_cycle(lambda ws: ws.add("a"))
    seen: List[Tuple[Optional[int], int]] = []
    with hollow.Consumer(store) as consumer:

        @consumer.on_refresh
        def refreshed(from_version: Optional[int], to_version: int) -> None:
            seen.append((from_version, to_version))

        assert not consumer.watching
        consumer.start_watching()
        assert consumer.watching
        with pytest.raises(hollow.InvalidArgumentError, match="already watching"):
            consumer.start_watching()
        wait_for(lambda: consumer.current_version == 1)
        producer.run_cycle(lambda ws: ws.add_all(["a", "b"]))
        wait_for(lambda: consumer.current_version == 2)
        assert sorted(consumer.read_state) == ["a", "b"]
        consumer.stop_watching()
        assert not consumer.watching
        producer.run_cycle(lambda ws: ws.add("c"))
        time.sleep(0.3)
        assert consumer.current_version == 2
    assert seen == [(None, 1), (1, 2)]


def test_failure_callbacks_and_callback_errors(store: hollow.InMemoryBlobStore, monkeypatch: pytest.MonkeyPatch) -> None:
    hollow.Producer(store, first_version=1).run_cycle(lambda ws: ws.add("a"))
    consumer = hollow.Consumer(store)
    failures: List[Tuple[Optional[int], int, BaseException]] = []
    consumer.on_refresh_failed(lambda f, t, e: failures.append((f, t, e)))
    unraisable: List[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)

    @consumer.on_refresh
    def broken(from_version: Optional[int], to_version: int) -> None:
        raise RuntimeError("callback bug")

    assert consumer.refresh() == 1  # the callback's error does not fail the refresh
    assert len(unraisable) == 1 and isinstance(unraisable[0].exc_value, RuntimeError)
    with pytest.raises(hollow.NotFoundError):
        consumer.refresh_to(5)
    assert len(failures) == 1
    from_version, to_version, error = failures[0]
    assert (from_version, to_version) == (1, 5) and isinstance(error, hollow.NotFoundError)
    assert consumer.current_version == 1


def test_filesystem_store_between_producer_and_consumer(tmp_path: pathlib.Path) -> None:
    producer = hollow.Producer(hollow.FilesystemBlobStore(tmp_path), first_version=20250101000000001)
    v1 = producer.run_cycle(lambda ws: ws.add_all(["x", "y"]))
    v2 = producer.run_cycle(lambda ws: ws.add_all(["x", "z"]))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "announced.version" in names and f"delta-{v1}-{v2}" in names and f"reversedelta-{v2}-{v1}" in names
    assert (tmp_path / "announced.version").read_text().strip() == str(v2)
    store = hollow.FilesystemBlobStore(tmp_path, poll_interval=0.02)
    assert store.path == tmp_path and store.announced_version == v2
    consumer = hollow.Consumer(store)
    assert consumer.refresh() == v2 and sorted(consumer.read_state) == ["x", "z"]
    consumer.start_watching()
    try:
        v3 = producer.run_cycle(lambda ws: ws.add_all(["x", "z", "w"]))
        wait_for(lambda: consumer.current_version == v3)
    finally:
        consumer.stop_watching()
    assert "w" in consumer.read_state


def test_threads_read_while_the_consumer_refreshes(store: hollow.InMemoryBlobStore) -> None:
    """Readers on other threads keep reading consistent states while refreshes (GIL released) run."""
    n = 100_000
    producer = hollow.Producer(store, first_version=1)

    def cycle(i: int) -> int:
        return producer.run_cycle(lambda ws: ws.add_all(f"{i}:{j}" for j in range(n)))

    versions = [cycle(i) for i in range(3)]
    consumer = hollow.Consumer(store)
    consumer.refresh_to(versions[0])
    stop = threading.Event()
    refreshing = threading.Event()
    errors: List[BaseException] = []
    reads = [0, 0]  # all reads, reads while a refresh was running

    def reader() -> None:
        try:
            while not stop.is_set():
                during = refreshing.is_set()
                rs = consumer.read_state
                i = versions.index(rs.version)
                assert len(rs) == n and f"{i}:0" in rs and f"{i}:{n - 1}" in rs and f"{(i + 1) % 3}:0" not in rs
                reads[0] += 1
                reads[1] += during and refreshing.is_set()
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for target in [versions[1], versions[2], versions[0], versions[2], versions[1]]:
            refreshing.set()
            consumer.refresh_to(target)
            refreshing.clear()
            time.sleep(0.01)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors
    assert reads[0] > 0
    assert reads[1] > 0, "no reader ran while a refresh was in progress: was the GIL held?"


def test_concurrent_reads_of_one_state(store: hollow.InMemoryBlobStore) -> None:
    schema = "Item @PrimaryKey(id) { long id; string name; }"
    producer = hollow.Producer(store, schema=schema)
    producer.run_cycle(lambda ws: ws.add_all(({"id": i, "name": f"item{i}"} for i in range(5000)), type="Item"))
    consumer = hollow.Consumer(store, primary_key_indexes=["Item"])
    consumer.refresh()
    rs = consumer.read_state
    errors: List[BaseException] = []

    def reader(offset: int) -> None:
        try:
            items = rs.type("Item")
            for i in range(offset, 5000, 7):
                assert items.get(i).name == f"item{i}"
                assert items.get_field(i, "name") == f"item{i}"
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=reader, args=(k,)) for k in range(7)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_interpreter_exit_while_watching() -> None:
    """A consumer still watching at exit is stopped before the interpreter finalizes."""
    import subprocess
    import textwrap

    script = textwrap.dedent(
        """
        import time, hollow
        store = hollow.InMemoryBlobStore()
        producer = hollow.Producer(store)
        producer.run_cycle(lambda ws: ws.add("a"))
        consumer = hollow.Consumer(store)
        consumer.on_refresh(lambda f, t: None)
        consumer.start_watching()
        time.sleep(0.2)
        for i in range(5):
            producer.run_cycle(lambda ws: ws.add(f"b{i}"))
        print("done")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == "done", result
    assert "panic" not in result.stderr, result.stderr


def test_threads_add_records_in_one_cycle(store: hollow.InMemoryBlobStore, consumer: hollow.Consumer) -> None:
    producer = hollow.Producer(store)

    def populate(ws: hollow.WriteState) -> None:
        def add(t: int) -> None:
            for i in range(2000):
                ws.add(f"t{t}-{i}")

        threads = [threading.Thread(target=add, args=(t,)) for t in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    producer.run_cycle(populate)
    consumer.refresh()
    assert len(consumer.read_state) == 8000 and "t3-1999" in consumer.read_state


def test_a_restarted_producer_continues_the_delta_chain(tmp_path: pathlib.Path) -> None:
    first = hollow.Producer(hollow.FilesystemBlobStore(tmp_path), first_version=1)
    v1 = first.run_cycle(lambda ws: ws.add_all(["a", "b"]))
    consumer = hollow.Consumer(hollow.FilesystemBlobStore(tmp_path))
    consumer.refresh()
    del first

    restarted = hollow.Producer(hollow.FilesystemBlobStore(tmp_path), schema="String { string value; }")
    with pytest.raises(hollow.InvalidArgumentError, match="version 99 was never announced"):
        restarted.restore(99)
    assert restarted.restore() == v1 and restarted.current_version == v1
    v2 = restarted.run_cycle(lambda ws: ws.add_all(["a", "c"]))
    assert v2 > v1 and (tmp_path / f"delta-{v1}-{v2}").exists()
    assert consumer.refresh() == v2
    assert consumer.metrics.deltas_applied == 1 and sorted(consumer.read_state) == ["a", "c"]
