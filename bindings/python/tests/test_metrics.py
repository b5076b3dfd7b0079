"""Typed metrics after a scripted sequence of cycles and refreshes."""

from __future__ import annotations

import pytest

import hollow


def test_producer_and_consumer_metrics(store: hollow.InMemoryBlobStore, consumer: hollow.Consumer) -> None:
    producer = hollow.Producer(store)
    m = producer.metrics
    assert isinstance(m, hollow.ProducerMetrics)
    assert (m.cycles_succeeded, m.cycles_failed, m.cycles_no_change, m.current_version) == (0, 0, 0, None)

    v1 = producer.run_cycle(lambda ws: ws.add_all(["a", "b"]))
    assert consumer.refresh() == v1
    v2 = producer.run_cycle(lambda ws: ws.add_all(["a", "c"]))
    assert producer.run_cycle(lambda ws: ws.add_all(["a", "c"])) == v2  # no change

    def boom(ws: hollow.WriteState) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        producer.run_cycle(boom)
    assert consumer.refresh() == v2

    m = producer.metrics
    assert (m.cycles_succeeded, m.cycles_failed, m.cycles_no_change) == (2, 1, 1)
    assert m.current_version == v2 and m.retention_failures == 0
    assert isinstance(m.last_cycle_duration, float) and 0.0 <= m.last_cycle_duration < 60.0
    d = m.to_dict()
    assert d["cycles_succeeded"] == 2 and d["current_version"] == v2 and set(d) == {
        "cycles_succeeded", "cycles_failed", "cycles_no_change", "last_cycle_duration", "current_version", "retention_failures"
    }
    assert "cycles_failed=1" in repr(m) and repr(m).startswith("hollow.ProducerMetrics(")

    c = consumer.metrics
    assert isinstance(c, hollow.ConsumerMetrics)
    assert (c.refreshes_succeeded, c.refreshes_failed, c.consecutive_failures) == (2, 0, 0)
    assert (c.snapshots_applied, c.deltas_applied, c.watch_failures, c.index_build_failures) == (1, 1, 0, 0)
    assert c.bytes_applied > 0 and isinstance(c.last_refresh_duration, float) and c.last_refresh_duration >= 0.0
    assert c.to_dict()["deltas_applied"] == 1 and "deltas_applied=1" in repr(c)
    assert consumer.metrics == c  # a snapshot, equal while nothing happens

    # A failed refresh is counted.
    with pytest.raises(hollow.NotFoundError):
        consumer.refresh_to(v2 + 1000)
    c2 = consumer.metrics
    assert (c2.refreshes_failed, c2.consecutive_failures) == (1, 1) and c2 != c
