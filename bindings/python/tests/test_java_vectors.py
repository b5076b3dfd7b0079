"""Reading blobs written by Java Hollow: the `collections` reference vector, read-only, from the repo.

For every version, every type's populated ordinals and every record's value must be what a Java
consumer read (`expected/state-<v>.json`). Expected values are expanded from the dump (references
followed) with the conversion rules of `hollow.to_python(record)`, so the whole reading path is checked.
"""

from __future__ import annotations

import json
import struct
from typing import Any, Dict, List

import pytest

import hollow
from conftest import VECTORS

SCENARIO = VECTORS / "collections"
VERSIONS = [20250101000000001, 20250101000000002, 20250101000000003]


class Expected:
    """The records of one version, as Java dumped them, expanded to Python values."""

    def __init__(self, dump: Dict[str, Any]) -> None:
        self.types = {t["schema"]["name"]: t for t in dump["types"]}
        self.records = {
            name: {r["ordinal"]: r["value"] for r in t["records"]} for name, t in self.types.items()
        }

    def schema(self, name: str) -> Dict[str, Any]:
        schema: Dict[str, Any] = self.types[name]["schema"]
        return schema

    def is_wrapper(self, name: str) -> bool:
        s = self.schema(name)
        if s["kind"] != "OBJECT" or len(s["fields"]) != 1:
            return False
        f = s["fields"][0]
        return f["type"] != "REFERENCE" or self.is_wrapper(f["referencedType"])

    def field(self, f: Dict[str, Any], value: Any) -> Any:
        if value is None:
            return None
        kind = f["type"]
        if kind == "REFERENCE":
            return self.value(f["referencedType"], value["ref"])
        if kind in ("FLOAT", "DOUBLE"):
            bits = int(value["bits"], 16)
            return struct.unpack(">f", bits.to_bytes(4, "big"))[0] if kind == "FLOAT" else struct.unpack(">d", bits.to_bytes(8, "big"))[0]
        if kind == "BYTES":
            return bytes.fromhex(value["hex"])
        return value

    def object(self, name: str, ordinal: int) -> Dict[str, Any]:
        record = self.records[name][ordinal]
        return {f["name"]: self.field(f, record[f["name"]]) for f in self.schema(name)["fields"]}

    def value(self, name: str, ordinal: int) -> Any:
        s = self.schema(name)
        record = self.records[name][ordinal]
        if s["kind"] == "OBJECT":
            if self.is_wrapper(name):
                f = s["fields"][0]
                return self.field(f, record[f["name"]])
            return self.object(name, ordinal)
        if s["kind"] in ("LIST", "SET"):
            return [self.value(s["elementType"], e) for e in record["elements"]]
        entries = [(self.value(s["keyType"], k), self.value(s["valueType"], v)) for k, v in record["entries"]]
        try:
            return dict(entries)
        except TypeError:
            return entries

    def top_level(self, name: str, ordinal: int) -> Any:
        return self.object(name, ordinal) if self.schema(name)["kind"] == "OBJECT" else self.value(name, ordinal)


def load_expected(version: int) -> Expected:
    return Expected(json.loads((SCENARIO / "expected" / f"state-{version}.json").read_text()))


@pytest.fixture(scope="module")
def consumer() -> hollow.Consumer:
    store = hollow.FilesystemBlobStore(SCENARIO / "blobs")
    return hollow.Consumer(store)


def check_state(rs: hollow.ReadState, version: int) -> int:
    expected = load_expected(version)
    assert rs.version == version
    assert rs.type_names == sorted(expected.types)
    checked = 0
    for name, t in expected.types.items():
        view = rs.type(name)
        assert view.kind == t["schema"]["kind"]
        assert view.schema == t["schema"]["hollowSchemaText"]
        assert view.ordinals() == t["populatedOrdinals"], name
        assert len(view) == t["populatedCount"]
        for ordinal in t["populatedOrdinals"]:
            assert hollow.to_python(view.record(ordinal)) == expected.top_level(name, ordinal), (name, ordinal)
            checked += 1
    return checked


@pytest.mark.parametrize("version", VERSIONS)
def test_each_snapshot_reads_as_java_read_it(version: int) -> None:
    consumer = hollow.Consumer(hollow.FilesystemBlobStore(SCENARIO / "blobs"))
    assert consumer.refresh_to(version) == version
    assert consumer.metrics.snapshots_applied == 1
    records = sum(len(t["records"]) for t in load_expected(version).types.values())
    assert records > 80 and check_state(consumer.read_state, version) == records


def test_walking_deltas_forward_and_back(consumer: hollow.Consumer) -> None:
    assert consumer.refresh() == VERSIONS[-1]  # the announced version
    for version in [VERSIONS[1], VERSIONS[0], VERSIONS[1], VERSIONS[2]]:
        consumer.refresh_to(version)
        check_state(consumer.read_state, version)
    assert consumer.metrics.deltas_applied == 4


def test_attribute_access_and_keys_on_java_records(consumer: hollow.Consumer) -> None:
    consumer.refresh_to(VERSIONS[0])
    rs = consumer.read_state
    expected = load_expected(VERSIONS[0])
    shows = rs.type("Show")
    assert shows.primary_key == ["id"]
    for ordinal in shows.ordinals():
        plain = expected.object("Show", ordinal)
        show = shows[plain["id"]]
        assert hollow.ordinal(show) == ordinal and show.title == plain["title"]
        assert show.tags == plain["tags"]
        assert (show.seasons is None) == (plain["seasons"] is None)
        if show.seasons is not None:
            assert show.seasons == frozenset(plain["seasons"])
        if show.studio is not None:
            studio = rs.type("Studio")[(show.studio.name, show.studio.address.city)]
            assert studio == show.studio
        if show.roles is not None:
            for person, role in show.roles.items():
                assert isinstance(person, hollow.Record) and hollow.type_name(person) == "Person"
                assert rs.type("Person")[person.personId] == person
                assert hollow.type_name(role) == "Role" and isinstance(role.lead, bool)
    people = rs.hash_index("Person", ["name"])
    for ordinal in rs.type("Person").ordinals():
        person = rs.type("Person").record(ordinal)
        assert person in people.find(person.name)
