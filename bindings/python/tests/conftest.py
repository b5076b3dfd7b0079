"""Shared fixtures: stores, and a producer/consumer pair over an in-memory store."""

from __future__ import annotations

import pathlib
from typing import Iterator

import pytest

import hollow

REPO = pathlib.Path(__file__).resolve().parents[3]
VECTORS = REPO / "hollow-rs" / "tests" / "vectors"

MOVIE_SCHEMA = """
Movie @PrimaryKey(id) { long id; String title; int year; double rating; ListOfString tags; }
String { string value; }
ListOfString List<String>;
"""


@pytest.fixture
def store() -> hollow.InMemoryBlobStore:
    return hollow.InMemoryBlobStore()


@pytest.fixture
def consumer(store: hollow.InMemoryBlobStore) -> Iterator[hollow.Consumer]:
    with hollow.Consumer(store) as c:
        yield c
