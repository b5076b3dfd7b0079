"""ReadState.diff: counts, records, field changes, the change set, and the Java `collections` vectors."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Tuple

import pytest

import hollow
from conftest import MOVIE_SCHEMA, VECTORS
from test_java_vectors import SCENARIO, VERSIONS, Expected, load_expected


def movie(id: int, title: str, year: int = 2000, rating: float = 5.0, tags: Optional[List[str]] = None) -> Dict[str, Any]:
    return {"id": id, "title": title, "year": year, "rating": rating, "tags": tags if tags is not None else []}


V1 = [movie(1, "Heat", 1995, 8.3, ["crime"]), movie(2, "Alien", 1979, 8.5, ["scifi"]), movie(3, "Up", 2009, 8.2)]
V2 = [
    movie(1, "Heat", 1995, 8.3, ["crime", "la"]),  # a tag added
    movie(3, "Up!", 2009, 8.0),  # title and rating changed
    movie(4, "Arrival", 2016, 7.9, ["scifi"]),  # added; Alien (2) removed
]


def publish(producer: hollow.Producer, movies: List[Dict[str, Any]]) -> hollow.ReadState:
    producer.run_cycle(lambda ws: [ws.add(m, type="Movie") for m in movies])
    rs = producer.read_state
    assert rs is not None
    return rs


def records(rs: hollow.ReadState, type_name: str = "Movie") -> List[Any]:
    return sorted((hollow.to_python(r) for r in rs.type(type_name)), key=repr)


@pytest.fixture
def two_versions(store: hollow.InMemoryBlobStore) -> Tuple[hollow.ReadState, hollow.ReadState]:
    producer = hollow.Producer(store, schema=MOVIE_SCHEMA)
    return publish(producer, V1), publish(producer, V2)


def test_counts_records_and_field_changes(two_versions: Tuple[hollow.ReadState, hollow.ReadState]) -> None:
    old, new = two_versions
    d = old.diff(new)
    assert not d.is_empty and d.is_complete and d.method == "one_delta"
    counts = {t.name: (t.added, t.removed, t.modified, t.unchanged) for t in d.types}
    assert counts["Movie"] == (1, 1, 2, 0)
    assert "Movie" in d and "Nope" not in d and len(d) == len(d.types)

    movies = d["Movie"]
    assert movies.name == "Movie" and movies.primary_key == ["id"] and movies.is_complete
    assert [r.key for r in movies.added] == [(4,)]
    assert movies.added[0].value == movie(4, "Arrival", 2016, 7.9, ["scifi"])
    assert [r.key for r in movies.removed] == [(2,)]
    assert movies.removed[0].value == movie(2, "Alien", 1979, 8.5, ["scifi"])

    modified = {m.key: m for m in movies.modified}
    assert sorted(modified) == [(1,), (3,)]
    up = modified[(3,)]
    assert up.old == movie(3, "Up", 2009, 8.2) and up.new == movie(3, "Up!", 2009, 8.0)
    assert [(f.path, f.old, f.new) for f in up.fields] == [("title", "Up", "Up!"), ("rating", 8.2, 8.0)]
    heat = modified[(1,)]
    assert heat.old["tags"] == ["crime"] and heat.new["tags"] == ["crime", "la"]
    assert [f.path for f in heat.fields] and all(f.path.startswith("tags") for f in heat.fields)

    assert d.type("Movie").summary.modified == 2
    assert [t.name for t in d] == [t.name for t in d.types]
    with pytest.raises(hollow.NotFoundError):
        d.type("Nope")


def test_text_json_and_options(two_versions: Tuple[hollow.ReadState, hollow.ReadState]) -> None:
    old, new = two_versions
    d = old.diff(new)
    text = str(d)
    assert "Movie" in text and '"Arrival"' in text and "title: \"Up\" -> \"Up!\"" in text
    data = d.to_json()
    movie_json = next(t for t in data["types"] if t["type"] == "Movie")
    assert (movie_json["added"], movie_json["removed"], movie_json["modified"]) == (1, 1, 2)
    json.dumps(data)  # plain data

    only = old.diff(new, types=["Movie"], limit=1)
    assert [t.name for t in only.types] == ["Movie"] and not only.is_complete
    assert len(only["Movie"].modified) == 1 and only["Movie"].summary.modified == 2
    # The change set is complete even so.
    assert len(only.to_change_lines()) == 4

    assert old.diff(old).is_empty and new.diff(new).changed_types == []
    assert old.diff(new).changed_types == [t.name for t in d.types if (t.added, t.removed, t.modified) != (0, 0, 0)]

    by_title = old.diff(new, primary_keys={"Movie": ["title"]})
    t = by_title["Movie"]
    # Keyed by title: "Up" -> "Up!" is a removal and an addition.
    assert (t.summary.added, t.summary.removed, t.summary.modified) == (2, 2, 1)
    assert sorted(r.key for r in t.removed) == [("Alien",), ("Up",)]
    with pytest.raises(hollow.InvalidArgumentError):
        old.diff(new, primary_keys={"Nope": ["id"]})


def test_change_lines_apply_to_the_old_version_make_the_new_one(
    two_versions: Tuple[hollow.ReadState, hollow.ReadState],
) -> None:
    old, new = two_versions
    lines = old.diff(new).to_change_lines()
    assert [json.loads(line)["op"] for line in lines] == ["delete", "upsert", "upsert", "upsert"]

    # Another producer, holding the old version's records.
    other = hollow.Producer(hollow.InMemoryBlobStore(), schema=MOVIE_SCHEMA)
    publish(other, V1)
    version = other.apply_changes(lines)
    applied = other.read_state
    assert applied is not None and applied.version == version
    assert records(applied) == records(new) == sorted(V2, key=repr)
    assert applied.diff(new).is_empty and new.diff(applied).is_empty
    stats = other.last_incremental_stats
    assert stats is not None and (stats.upserts, stats.deletes) == (3, 1)

    # As one string too; nothing to change then.
    assert other.apply_changes("\n".join(lines)) == version


# ----- the Java `collections` vectors --------------------------------------------------------------


def canon(exp: Expected, name: str, ordinal: int) -> str:
    """A record's value, expanded and order-free where Hollow is (sets, maps), as a string."""
    s = exp.schema(name)
    record = exp.records[name][ordinal]
    if s["kind"] == "OBJECT":
        parts = []
        for f in s["fields"]:
            v = record[f["name"]]
            if v is not None and f["type"] == "REFERENCE":
                parts.append(f"{f['name']}={canon(exp, f['referencedType'], v['ref'])}")
            else:
                parts.append(f"{f['name']}={exp.field(f, v)!r}")
        return "{" + ",".join(parts) + "}"
    if s["kind"] == "LIST":
        return "[" + ",".join(canon(exp, s["elementType"], e) for e in record["elements"]) + "]"
    if s["kind"] == "SET":
        return "set(" + ",".join(sorted(canon(exp, s["elementType"], e) for e in record["elements"])) + ")"
    entries = sorted(f"{canon(exp, s['keyType'], k)}:{canon(exp, s['valueType'], v)}" for k, v in record["entries"])
    return "map(" + ",".join(entries) + ")"


def key_of(exp: Expected, name: str, ordinal: int, path: str) -> str:
    t, record = name, exp.records[name][ordinal]
    segments = path.split(".")
    for i, seg in enumerate(segments):
        f = next(f for f in exp.schema(t)["fields"] if f["name"] == seg)
        v = record[seg]
        if v is None:
            return "null"
        if f["type"] != "REFERENCE":
            return repr(exp.field(f, v))
        t = f["referencedType"]
        if i == len(segments) - 1:
            return canon(exp, t, v["ref"])
        record = exp.records[t][v["ref"]]
    raise AssertionError(path)


def expected_counts(a: Expected, b: Expected) -> Dict[str, Tuple[int, int, int, int]]:
    counts = {}
    for name in sorted(set(a.types) | set(b.types)):
        schema = (a.types.get(name) or b.types[name])["schema"]

        def keyed(exp: Expected) -> Dict[Any, str]:
            if name not in exp.types:
                return {}
            out = {}
            for o in exp.types[name]["populatedOrdinals"]:
                value = canon(exp, name, o)
                key = tuple(key_of(exp, name, o, p) for p in schema["primaryKey"]) if schema.get("primaryKey") else value
                assert key not in out, (name, key)
                out[key] = value
            return out

        old, new = keyed(a), keyed(b)
        common = old.keys() & new.keys()
        modified = sum(1 for k in common if old[k] != new[k])
        counts[name] = (len(new.keys() - old.keys()), len(old.keys() - new.keys()), modified, len(common) - modified)
    return counts


@pytest.mark.parametrize("pair", [(0, 1), (1, 2), (0, 2), (2, 0)])
def test_java_vectors_counts_match_the_expected_states(pair: Tuple[int, int]) -> None:
    v_old, v_new = VERSIONS[pair[0]], VERSIONS[pair[1]]
    # The old state by snapshot, the new one by deltas from it (or by snapshot, by a second consumer).
    walker = hollow.Consumer(hollow.FilesystemBlobStore(SCENARIO / "blobs"))
    walker.refresh_to(v_old)
    old = walker.read_state
    walker.refresh_to(v_new)
    by_delta = walker.read_state
    loader = hollow.Consumer(hollow.FilesystemBlobStore(SCENARIO / "blobs"))
    loader.refresh_to(v_new)
    by_snapshot = loader.read_state

    expected = expected_counts(load_expected(v_old), load_expected(v_new))
    assert any(a or r or m for a, r, m, _ in expected.values())  # the vectors do change
    for new in (by_delta, by_snapshot):
        d = old.diff(new)
        got = {t.name: (t.added, t.removed, t.modified, t.unchanged) for t in d.types}
        assert got == expected
        assert d.is_complete and not d.is_empty
    assert VECTORS.exists()
