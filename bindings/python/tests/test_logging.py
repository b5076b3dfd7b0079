"""The core's INFO events reach Python's `logging` under the `hollow` logger."""

from __future__ import annotations

import logging

import pytest

import hollow


def test_cycle_and_refresh_are_logged_at_info(
    store: hollow.InMemoryBlobStore, consumer: hollow.Consumer, caplog: pytest.LogCaptureFixture
) -> None:
    producer = hollow.Producer(store)
    with caplog.at_level(logging.INFO, logger="hollow"):
        version = producer.run_cycle(lambda ws: ws.add("a"))
        assert consumer.refresh() == version

    announced = [r for r in caplog.records if r.name == "hollow.producer" and f"announced version {version}" in r.getMessage()]
    refreshed = [r for r in caplog.records if r.name == "hollow.consumer" and f"refreshed to version {version}" in r.getMessage()]
    assert len(announced) == 1 and announced[0].levelno == logging.INFO
    assert len(refreshed) == 1 and refreshed[0].levelno == logging.INFO
    assert caplog.records.index(announced[0]) < caplog.records.index(refreshed[0])


def test_below_the_logger_level_nothing_is_recorded(
    store: hollow.InMemoryBlobStore, caplog: pytest.LogCaptureFixture
) -> None:
    producer = hollow.Producer(store)
    with caplog.at_level(logging.WARNING, logger="hollow"):
        producer.run_cycle(lambda ws: ws.add("a"))
    assert not [r for r in caplog.records if r.name.startswith("hollow") and r.levelno < logging.WARNING]
