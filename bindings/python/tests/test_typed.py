"""Typed records: schemas from the DSL, from dataclasses and from dicts; records, views and indexes."""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Dict, FrozenSet, List, NamedTuple, Optional, Set

import pytest

import hollow
from conftest import MOVIE_SCHEMA

MOVIES: List[Dict[str, Any]] = [
    {"id": 1 << 39, "title": "Alien", "year": 1979, "rating": 8.5, "tags": ["scifi", "horror"]},
    {"id": 2, "title": "Heat", "year": 1995, "rating": 8.3, "tags": []},
    {"id": 3, "title": "Alien", "year": 1986, "rating": 8.4, "tags": ["scifi", "scifi"]},
]


def movies_state(store: hollow.InMemoryBlobStore, consumer: hollow.Consumer) -> hollow.ReadState:
    producer = hollow.Producer(store, schema=MOVIE_SCHEMA)
    producer.run_cycle(lambda ws: ws.add_all(MOVIES, type="Movie"))
    consumer.refresh()
    return consumer.read_state


def test_records_from_the_schema_language(store: hollow.InMemoryBlobStore, consumer: hollow.Consumer) -> None:
    rs = movies_state(store, consumer)
    movies = rs.type("Movie")
    assert movies.name == "Movie" and movies.kind == "OBJECT"
    assert movies.fields == ["id", "title", "year", "rating", "tags"]
    assert movies.primary_key == ["id"]
    assert movies.schema.startswith("Movie @PrimaryKey(id) {")
    assert len(movies) == 3
    alien = movies.get(1 << 39)
    assert alien is not None
    assert (alien.id, alien.title, alien.year, alien.rating, alien.tags) == (1 << 39, "Alien", 1979, 8.5, ["scifi", "horror"])
    assert alien["title"] == "Alien" and hollow.type_name(alien) == "Movie"
    assert hollow.to_dict(alien) == MOVIES[0]
    assert movies[3].tags == ["scifi", "scifi"]
    assert 2 in movies and 4 not in movies
    assert movies.get(4) is None and movies.get(4, "none") == "none"
    with pytest.raises(KeyError):
        movies[4]
    assert movies.get_field(2, "title") == "Heat"
    assert movies.get_field(2, "tags") == []
    assert movies.get_field(99, "title") is None
    # A field name built at run time is not interned: found by value, not by pointer.
    built = "".join(["ti", "tle"])
    assert built == "title" and id(built) != id("title")
    assert movies.get_field(2, built) == "Heat" and getattr(movies.get(2), built) == "Heat"
    assert movies.column(built, [0, 1, 2]) == [m.title for m in map(movies.record, [0, 1, 2])]
    with pytest.raises(hollow.NotFoundError, match="field Movie.director"):
        movies.get_field(2, "".join(["direc", "tor"]))
    assert sorted(hollow.to_dict(m)["id"] for m in movies) == sorted(m["id"] for m in MOVIES)
    assert [hollow.ordinal(m) for m in movies] == movies.ordinals()
    assert list(alien) == movies.fields and len(alien) == 5
    assert repr(movies[2]) == "Movie(id=2, title='Heat', year=1995, rating=8.3, tags=[])"
    # Titles are deduplicated String records: "Alien" is stored once.
    assert len(rs.type("String")) == 4
    assert rs.type("ListOfString").kind == "LIST"


def test_records_from_get_stay_what_they_were_looked_up_as(
    store: hollow.InMemoryBlobStore, consumer: hollow.Consumer
) -> None:
    rs = movies_state(store, consumer)
    movies = rs.type("Movie")
    keys = [1 << 39, 2, 3]
    held = [movies.get(k) for k in keys]
    held.append(movies[2])
    expected = [(1 << 39, "Alien", 1979), (2, "Heat", 1995), (3, "Alien", 1986), (2, "Heat", 1995)]
    assert [(r.id, r.title, r.year) for r in held] == expected
    assert len({id(r) for r in held}) == 4
    # A record the caller dropped is reused by the next lookup (no allocation): it then stands for
    # the new key, and the records still held are unchanged.
    first = id(movies.get(3))
    again = movies.get(1 << 39)
    assert id(again) == first and again.year == 1979 and hollow.ordinal(again) == hollow.ordinal(held[0])
    assert [movies.get(k).year for k in keys * 3] == [1979, 1995, 1986] * 3
    assert [r.year for r in held] == [1979, 1995, 1986, 1995]
    assert held[0] == again and held[1] == held[3] and held[0] != held[2]
    assert len({held[0], held[1], held[2], held[3], again}) == 3


def test_records_are_values(store: hollow.InMemoryBlobStore, consumer: hollow.Consumer) -> None:
    rs = movies_state(store, consumer)
    movies = rs.type("Movie")
    a, b = movies[2], movies.get(2)
    assert a == b and hash(a) == hash(b) and a is not b
    assert a != movies[3] and a != "Movie"
    assert {a, b, movies[3]} == {movies[2], movies[3]}
    assert movies.record(hollow.ordinal(a)) == a
    assert hollow.read_state(a).version == rs.version
    with pytest.raises(KeyError):
        movies.record(1000)
    with pytest.raises(AttributeError):
        a.no_such_field
    with pytest.raises(KeyError):
        a["no_such_field"]


def test_indexes(store: hollow.InMemoryBlobStore, consumer: hollow.Consumer) -> None:
    rs = movies_state(store, consumer)
    pk = rs.primary_key_index("Movie")
    assert pk.type_name == "Movie" and pk.fields == ["id"]
    found = pk.get(3)
    assert found is not None and found.year == 1986
    assert pk.get(12345) is None
    by_title = rs.hash_index("Movie", ["title.value"])
    assert sorted(m.id for m in by_title.find("Alien")) == [3, 1 << 39]
    assert by_title.find("Nope") == []
    by_tag = rs.hash_index("Movie", ["tags.element.value"])
    assert sorted(m.id for m in by_tag.find("scifi")) == [3, 1 << 39]
    by_year_title = rs.primary_key_index("Movie", ["year", "title"])
    record = by_year_title.get(1995, "Heat")
    assert record is not None and record.id == 2
    with pytest.raises(hollow.InvalidArgumentError):
        rs.hash_index("Movie", [])


@dataclasses.dataclass(frozen=True)
class Studio:
    __hollow_primary_key__ = ("name",)
    name: hollow.InlineStr
    city: str


@dataclasses.dataclass
class Film:
    id: int
    title: str
    year: hollow.Int32
    score: hollow.Float32
    rating: float
    released: bool
    poster: bytes
    studio: Optional[Studio]
    tags: List[str]
    seasons: Set[int]
    counters: Dict[str, int]
    cast: FrozenSet[Studio]


class Point(NamedTuple):
    x: int
    y: int


def test_schemas_inferred_from_dataclasses(store: hollow.InMemoryBlobStore, consumer: hollow.Consumer) -> None:
    producer = hollow.Producer(store, types=[Film], primary_keys={"Film": ["id"]})
    text = producer.schema_text()
    assert "Film @PrimaryKey(id) {" in text
    assert "\tint year;" in text and "\tfloat score;" in text and "\tbytes poster;" in text
    assert "\tString title;" in text and "\tStudio studio;" in text
    assert "Studio @PrimaryKey(name) {\n\tstring name;\n\tString city;\n}" in text
    assert "SetOfLong Set<Long> @HashKey(value);" in text
    assert "MapOfStringToLong Map<String,Long> @HashKey(value);" in text
    assert "SetOfStudio Set<Studio> @HashKey(name);" in text

    a24 = Studio("A24", "New York")
    films = [
        Film(1, "Moonlight", 2016, 7.4, 7.4, True, b"\x00\x01", a24, ["drama"], {1, 2}, {"views": 10}, frozenset({a24})),
        Film(2, "Unknown", 2020, 0.5, math.inf, False, b"", None, [], set(), {}, frozenset()),
    ]
    producer.run_cycle(lambda ws: ws.add_all(films))
    consumer.refresh()
    view = consumer.read_state.type("Film")
    moonlight = view[1]
    assert (moonlight.title, moonlight.year, moonlight.score, moonlight.released) == ("Moonlight", 2016, 7.400000095367432, True)
    assert moonlight.poster == b"\x00\x01"
    assert moonlight.studio.name == "A24" and moonlight.studio.city == "New York"
    assert moonlight.seasons == frozenset({1, 2}) and moonlight.counters == {"views": 10}
    assert moonlight.cast == frozenset({moonlight.studio})
    plain = hollow.to_dict(moonlight)
    assert plain["studio"] == {"name": "A24", "city": "New York"}
    assert sorted(plain["seasons"]) == [1, 2] and plain["cast"] == [{"name": "A24", "city": "New York"}]
    unknown = view.get(2)
    assert unknown.studio is None and unknown.rating == math.inf and unknown.tags == [] and unknown.counters == {}
    assert consumer.read_state.type("Studio")["A24"].city == "New York"


def test_schemas_inferred_from_dicts_and_named_tuples(store: hollow.InMemoryBlobStore, consumer: hollow.Consumer) -> None:
    producer = hollow.Producer(store, primary_keys={"User": ["login"]})

    def populate(ws: hollow.WriteState) -> None:
        ws.add({"login": "ann", "age": 41, "admin": True, "groups": ["a", "b"], "home": Point(1, 2)}, type="User")
        ws.add({"login": "bob", "age": 12, "admin": False, "groups": ["b"], "home": Point(3, 4)}, type="User")
        ws.add(Point(5, 6))

    producer.run_cycle(populate)
    text = producer.schema_text()
    assert "User @PrimaryKey(login) {\n\tString login;\n\tlong age;\n\tboolean admin;\n\tListOfString groups;\n\tPoint home;\n}" in text
    assert "Point {\n\tlong x;\n\tlong y;\n}" in text
    consumer.refresh()
    rs = consumer.read_state
    ann = rs.type("User")["ann"]
    assert ann.groups == ["a", "b"] and ann.home.x == 1 and hollow.to_dict(ann)["home"] == {"x": 1, "y": 2}
    assert len(rs.type("Point")) == 3


def test_cycle_context_manager(store: hollow.InMemoryBlobStore, consumer: hollow.Consumer) -> None:
    producer = hollow.Producer(store, schema=MOVIE_SCHEMA, first_version=10)
    with producer.cycle() as cycle:
        for m in MOVIES:
            cycle.add(m, type="Movie")
        assert cycle.version is None
    assert cycle.version == 10 == producer.current_version
    # A block that raises publishes nothing.
    with pytest.raises(RuntimeError):
        with producer.cycle() as cycle:
            cycle.add(MOVIES[0], type="Movie")
            raise RuntimeError("stop")
    assert producer.current_version == 10 and cycle.version is None
    consumer.refresh()
    assert len(consumer.read_state.type("Movie")) == 3


def test_maps_with_record_keys_and_nested_collections(store: hollow.InMemoryBlobStore, consumer: hollow.Consumer) -> None:
    schema = """
    Person @PrimaryKey(id) { int id; string name; }
    Role { string name; }
    MapOfPersonToRole Map<Person,Role> @HashKey(id);
    String { string value; }
    ListOfString List<String>;
    ListOfListOfString List<ListOfString>;
    SetOfListOfString Set<ListOfString>;
    Show @PrimaryKey(id) { long id; MapOfPersonToRole roles; ListOfListOfString nested; SetOfListOfString groups; }
    """
    producer = hollow.Producer(store, schema=schema)
    show = {
        "id": 1,
        "roles": [({"id": 1, "name": "Ann"}, {"name": "lead"})],  # pairs: a dict cannot be a dict key
        "nested": [["a", "b"], []],
        "groups": [["x"], ["y", "z"]],
    }
    producer.run_cycle(lambda ws: ws.add(show, type="Show"))
    consumer.refresh()
    record = consumer.read_state.type("Show")[1]
    ((person, role),) = record.roles.items()
    # Role has one field: it stands for its value, as String and the boxed types do.
    assert (person.id, person.name, role) == (1, "Ann", "lead")
    assert record.nested == [["a", "b"], []]
    assert record.groups == frozenset({("x",), ("y", "z")})
    plain = hollow.to_python(record)
    assert plain["roles"] == [({"id": 1, "name": "Ann"}, "lead")]
    assert sorted(plain["groups"]) == [["x"], ["y", "z"]]
    roles_type = consumer.read_state.type("MapOfPersonToRole")
    assert len(roles_type) == 1 and hollow.to_python(next(iter(roles_type))) == plain["roles"]


def test_old_states_are_freed(store: hollow.InMemoryBlobStore, consumer: hollow.Consumer) -> None:
    """Views and records keep their version alive, and nothing else does (no reference cycles)."""
    import gc
    import weakref

    producer = hollow.Producer(store, schema=MOVIE_SCHEMA)
    producer.run_cycle(lambda ws: ws.add_all(MOVIES, type="Movie"))
    consumer.refresh()
    view = consumer.read_state.type("Movie")
    record = view[2]
    ref = weakref.ref(view)
    producer.run_cycle(lambda ws: ws.add_all(MOVIES[:2], type="Movie"))
    consumer.refresh()
    del view
    gc.collect()
    assert ref() is None
    assert record.title == "Heat" and len(hollow.read_state(record).type("Movie")) == 3  # the record pins its version
