"""The simple string dataset: strings added on their own, read back as a mapping."""

from __future__ import annotations

from collections.abc import Mapping

import hollow


def test_strings_round_trip_and_mapping_protocol(store: hollow.InMemoryBlobStore, consumer: hollow.Consumer) -> None:
    producer = hollow.Producer(store, first_version=100)
    v1 = producer.run_cycle(lambda ws: [ws.add(s) for s in ("user1", "user2", "user3")])
    assert v1 == 100
    assert consumer.refresh() == v1
    rs = consumer.read_state
    assert isinstance(rs, Mapping)
    assert rs.version == v1
    assert len(rs) == 3
    assert rs["user1"] == "user1"
    assert "user2" in rs and "user9" not in rs and 42 not in rs
    assert sorted(rs) == ["user1", "user2", "user3"]
    assert sorted(rs.keys()) == sorted(rs.values()) == ["user1", "user2", "user3"]
    assert sorted(rs.items()) == [("user1", "user1"), ("user2", "user2"), ("user3", "user3")]
    assert rs.get("nope") is None and rs.get("nope", "x") == "x" and rs.get("user3") == "user3"
    try:
        rs["nope"]
    except KeyError as e:
        assert e.args == ("nope",)
    else:
        raise AssertionError("KeyError expected")


def test_deltas_forward_and_back(store: hollow.InMemoryBlobStore, consumer: hollow.Consumer) -> None:
    producer = hollow.Producer(store, first_version=1)
    v1 = producer.run_cycle(lambda ws: ws.add_all(["user1", "user2", "user3"]))
    v2 = producer.run_cycle(lambda ws: ws.add_all(["user1", "user3", "user4"]))
    v3 = producer.run_cycle(lambda ws: ws.add_all(["user1", "user3", "user4"] + [f"user{i}" for i in range(5, 1005)]))
    assert (v1, v2, v3) == (1, 2, 3)
    assert store.announced_version == v3
    assert store.snapshot_versions() == [1, 2, 3]

    assert consumer.refresh_to(v1) == v1
    old = consumer.read_state
    assert sorted(old) == ["user1", "user2", "user3"]
    assert consumer.refresh() == v3
    assert len(consumer.read_state) == 1003 and "user1004" in consumer.read_state
    # The old state is pinned: it still reads version 1.
    assert old.version == v1 and sorted(old) == ["user1", "user2", "user3"]
    assert consumer.refresh_to(v2) == v2
    assert sorted(consumer.read_state) == ["user1", "user3", "user4"]
    assert consumer.metrics.deltas_applied >= 2
    assert consumer.metrics.refreshes_succeeded == 3


def test_unchanged_cycle_publishes_nothing(store: hollow.InMemoryBlobStore) -> None:
    producer = hollow.Producer(store, first_version=7)
    v1 = producer.run_cycle(lambda ws: ws.add_all(["a", "b"]))
    assert producer.run_cycle(lambda ws: ws.add_all(["b", "a"])) == v1
    assert store.snapshot_versions() == [v1]
    assert producer.current_version == v1


def test_read_state_object_is_reused_until_the_version_changes(
    store: hollow.InMemoryBlobStore, consumer: hollow.Consumer
) -> None:
    producer = hollow.Producer(store)
    producer.run_cycle(lambda ws: ws.add("x"))
    consumer.refresh()
    assert consumer.read_state is consumer.read_state
    first = consumer.read_state
    producer.run_cycle(lambda ws: ws.add("y"))
    consumer.refresh()
    assert consumer.read_state is not first and list(consumer.read_state) == ["y"]


def test_producer_read_state(store: hollow.InMemoryBlobStore) -> None:
    producer = hollow.Producer(store)
    assert producer.read_state is None and producer.current_version is None
    v = producer.run_cycle(lambda ws: ws.add("only"))
    rs = producer.read_state
    assert rs is not None and rs.version == v and list(rs) == ["only"]


def test_package_docstring_example() -> None:
    import doctest

    result = doctest.testmod(hollow)
    assert result.attempted >= 5 and result.failed == 0
