"""Records as dataclasses: the classes `hollow codegen --lang python` generated for the Java vectors'
`collections` schemas (checked in at hollow-rs/tests/generated/collections.py), read with
`rs.type("Show", as_=Show)` and compared with dataclasses built from Java's dumps; pickling of
records; `to_pandas()`/`to_arrow()`.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import pickle
import sys
import typing
from types import ModuleType
from typing import Any, Union

import pytest

import hollow
from conftest import REPO
from test_java_vectors import SCENARIO, VERSIONS, load_expected


def load_generated() -> ModuleType:
    path = REPO / "hollow-rs" / "tests" / "generated" / "collections.py"
    spec = importlib.util.spec_from_file_location("hollow_generated_collections", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Dataclasses resolve string annotations through the module, so it must be registered first.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


generated = load_generated()


def build(hint: Any, value: Any) -> Any:
    """A value of Java's dump (as `test_java_vectors.Expected` expands it) as the annotation `hint`."""
    if value is None:
        return None
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Union:
        return build(next(a for a in args if a is not type(None)), value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        hints = typing.get_type_hints(hint)
        return hint(**{f.name: build(hints[f.name], value[f.metadata.get("hollow", f.name)]) for f in dataclasses.fields(hint)})
    if origin is list:
        return [build(args[0], v) for v in value]
    if origin is frozenset:
        return frozenset(build(args[0], v) for v in value)
    if origin is dict:
        pairs = value.items() if isinstance(value, dict) else value
        return {build(args[0], k): build(args[1], v) for k, v in pairs}
    return value


def read_state(version: int) -> hollow.ReadState:
    consumer = hollow.Consumer(hollow.FilesystemBlobStore(SCENARIO / "blobs"))
    assert consumer.refresh_to(version) == version
    return consumer.read_state


@pytest.mark.parametrize("version", VERSIONS)
def test_every_record_reads_into_the_generated_dataclasses(version: int) -> None:
    rs = read_state(version)
    expected = load_expected(version)
    compared = 0
    for name in generated.__all__:
        cls = getattr(generated, name)
        view = rs.type(name, as_=cls)
        records = list(view)
        assert len(records) == len(view) == expected.types[name]["populatedCount"]
        for ordinal, record in zip(view.ordinals(), records):
            assert isinstance(record, cls)
            assert record == build(cls, expected.object(name, ordinal)), (name, ordinal)
            assert view.record(ordinal) == record
            compared += 1
    assert compared > 20


def test_typed_views_look_up_by_primary_key() -> None:
    rs = read_state(VERSIONS[0])
    shows = rs.type("Show", as_=generated.Show)
    show = shows[1]
    assert isinstance(show, generated.Show) and show.id == 1
    assert shows.get(12345) is None and 12345 not in shows and 1 in shows
    with pytest.raises(KeyError):
        shows[12345]
    assert show.studio is not None and show.studio.address is not None
    studios = rs.type("Studio", as_=generated.Studio)
    assert studios[(show.studio.name, show.studio.address.city)] == show.studio
    assert "TypedView Show as Show" in repr(shows)


def test_as_needs_a_dataclass_of_an_object_type() -> None:
    rs = read_state(VERSIONS[0])
    with pytest.raises(TypeError, match="dataclass"):
        rs.type("Show", as_=dict)
    with pytest.raises(TypeError, match="LIST"):
        rs.type("ListOfString", as_=generated.Show)
    with pytest.raises(hollow.NotFoundError):
        rs.type("NoSuchType", as_=generated.Show)


def test_records_pickle_as_plain_values() -> None:
    rs = read_state(VERSIONS[0])
    show = rs.type("Show")[1]
    assert pickle.loads(pickle.dumps(show)) == hollow.to_python(show)
    tags = rs.type("ListOfString").record(0)
    assert pickle.loads(pickle.dumps(tags)) == hollow.to_python(tags)
    assert isinstance(pickle.loads(pickle.dumps(show)), dict)


def test_tables_need_their_optional_dependency(monkeypatch: pytest.MonkeyPatch) -> None:
    view = read_state(VERSIONS[0]).type("Person")
    monkeypatch.setitem(sys.modules, "pandas", None)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        view.to_pandas()
    with pytest.raises(ImportError, match="pip install pyarrow"):
        view.to_arrow()


def test_to_pandas() -> None:
    pandas = pytest.importorskip("pandas")  # not installed in CI (a large wheel); runs where it is
    view = read_state(VERSIONS[0]).type("Person")
    frame = view.to_pandas()
    assert isinstance(frame, pandas.DataFrame) and list(frame.columns) == view.fields
    assert sorted(frame["personId"]) == sorted(p.personId for p in view)


def test_to_arrow() -> None:
    pytest.importorskip("pyarrow")  # not installed in CI (a large wheel); runs where it is
    view = read_state(VERSIONS[0]).type("Person")
    table = view.to_arrow()
    assert table.num_rows == len(view) and table.column_names == view.fields


def test_a_collection_type_is_no_table() -> None:
    view = read_state(VERSIONS[0]).type("ListOfString")
    with pytest.raises(TypeError, match="OBJECT"):
        view.to_pandas()


