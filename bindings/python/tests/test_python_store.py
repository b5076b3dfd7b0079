"""Stores written in Python: a `hollow.BlobStore` subclass used by producers and consumers."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import pytest

import hollow

BlobKey = Tuple[str, Optional[int], int]


class DictStore(hollow.BlobStore):
    """Blobs in a dict, as a user would write a store for their own storage."""

    def __init__(self) -> None:
        self.blobs: Dict[BlobKey, bytes] = {}
        self.announced: Optional[int] = None
        self.calls: List[str] = []

    def publish(self, kind: str, from_version: Optional[int], to_version: int, data: bytes) -> None:
        self.calls.append(f"publish {kind}")
        if any(k[0] == kind and (k[1], k[2]) == (from_version, to_version) for k in self.blobs):
            raise hollow.ConflictError(f"{kind} {to_version} exists")
        self.blobs[(kind, from_version, to_version)] = bytes(data)

    def retrieve_snapshot(self, desired: int) -> Optional[Tuple[int, bytes]]:
        self.calls.append("retrieve_snapshot")
        versions = [k[2] for k in self.blobs if k[0] == "snapshot" and k[2] <= desired]
        return (max(versions), self.blobs[("snapshot", None, max(versions))]) if versions else None

    def _starting_at(self, kind: str, from_version: int) -> Optional[Tuple[int, bytes]]:
        self.calls.append(f"retrieve_{kind}")
        for (k, f, t), data in self.blobs.items():
            if k == kind and f == from_version:
                return t, data
        return None

    def retrieve_delta(self, from_version: int) -> Optional[Tuple[int, bytes]]:
        return self._starting_at("delta", from_version)

    def retrieve_reverse_delta(self, from_version: int) -> Optional[Tuple[int, bytes]]:
        return self._starting_at("reversedelta", from_version)

    def announce(self, version: int) -> None:
        self.announced = version

    def read_announced(self) -> Optional[int]:
        return self.announced

    def list_blobs(self) -> List[BlobKey]:
        return list(self.blobs)

    def delete(self, kind: str, from_version: Optional[int], to_version: int) -> None:
        self.blobs.pop((kind, from_version, to_version), None)


def test_a_python_store_serves_a_producer_and_a_consumer() -> None:
    store = DictStore()
    assert store.announced_version is None
    producer = hollow.Producer(store)
    v1 = producer.run_cycle(lambda ws: [ws.add(s) for s in ("a", "b", "c")])
    v2 = producer.run_cycle(lambda ws: [ws.add(s) for s in ("a", "d")])
    assert store.announced_version == v2 and store.announced == v2
    kinds = sorted(k[0] for k in store.blobs)
    assert kinds.count("snapshot") >= 1 and "delta" in kinds and "reversedelta" in kinds
    consumer = hollow.Consumer(store)
    assert consumer.refresh_to(v1) == v1
    assert sorted(consumer.read_state) == ["a", "b", "c"]
    assert consumer.refresh() == v2
    assert sorted(consumer.read_state) == ["a", "d"]
    assert "retrieve_delta" in store.calls  # v1 -> v2 followed the delta written through Python


class FailingStore(DictStore):
    def retrieve_snapshot(self, desired: int) -> Optional[Tuple[int, bytes]]:
        raise RuntimeError("disk on fire")


def test_an_exception_in_a_python_store_is_a_hollow_error() -> None:
    store = FailingStore()
    producer = hollow.Producer(store)
    producer.run_cycle(lambda ws: ws.add("a"))
    consumer = hollow.Consumer(store)
    with pytest.raises(hollow.HollowError, match="disk on fire") as raised:
        consumer.refresh()
    assert "retrieve_snapshot" in str(raised.value)


class ConflictingStore(DictStore):
    def publish(self, kind: str, from_version: Optional[int], to_version: int, data: bytes) -> None:
        raise hollow.ConflictError("someone else wrote it")


def test_a_hollow_exception_keeps_its_kind() -> None:
    producer = hollow.Producer(ConflictingStore())
    with pytest.raises(hollow.ConflictError, match="someone else wrote it"):
        producer.run_cycle(lambda ws: ws.add("a"))


class BadShapeStore(DictStore):
    def read_announced(self) -> Optional[int]:
        return "soon"  # type: ignore[return-value]


def test_a_wrong_return_value_is_an_error() -> None:
    with pytest.raises(hollow.HollowError, match="read_announced"):
        BadShapeStore().announced_version


def test_a_missing_method_is_an_error() -> None:
    class Incomplete(hollow.BlobStore):
        pass

    with pytest.raises(hollow.HollowError, match="read_announced"):
        Incomplete().announced_version
