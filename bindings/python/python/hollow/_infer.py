"""Schema inference: Hollow schemas (in Hollow's schema language) for dataclasses and dicts.

The rules follow Java's ``HollowObjectMapper``, with Python's types in place of Java's:

========================  ===========================================================
Python                    Hollow
========================  ===========================================================
``int``                   ``long`` (``hollow.Int32``: ``int``)
``float``                 ``double`` (``hollow.Float32``: ``float``)
``bool``                  ``boolean``
``bytes``                 ``bytes``
``str``                   a reference to ``String { string value; }``
                          (``hollow.InlineStr``: an inline ``string``)
a dataclass               a reference to the type named after the class
``list[T]``/``tuple``     a reference to ``ListOfT`` (``List<T>``)
``set[T]``/``frozenset``  a reference to ``SetOfT`` (``Set<T>``)
``dict[K, V]``            a reference to ``MapOfKToV`` (``Map<K,V>``)
``Optional[T]``           as ``T`` (every field may be null)
========================  ===========================================================

Collection elements, keys and values are records: ``str`` is ``String``, ``int`` ``Long``, ``float``
``Double``, ``bool`` ``Boolean`` (``Integer``/``Float`` for the 32-bit markers), each with one field
called ``value``. Sets and maps get Java's default hash key: ``value`` for those, the primary key for
a dataclass element that has one.

A type's primary key comes from the producer's ``primary_keys`` or the class attribute
``__hollow_primary_key__``; a class may rename its type with ``__hollow_type__``.
"""

from __future__ import annotations

import dataclasses
import sys
import typing
from typing import Annotated, Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from hollow._hollow import SchemaError

__all__ = ["Int32", "Float32", "InlineStr", "schema_for_class", "schema_for_value"]


class _Kind:
    """An ``Annotated`` marker that picks the Hollow field kind of a field."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __repr__(self) -> str:
        return f"hollow field kind {self.kind}"


Int32 = Annotated[int, _Kind("int")]
"""An ``int`` stored as a 32-bit Hollow ``int`` (a ``long`` otherwise)."""
Float32 = Annotated[float, _Kind("float")]
"""A ``float`` stored as a 32-bit Hollow ``float`` (a ``double`` otherwise)."""
InlineStr = Annotated[str, _Kind("string")]
"""A ``str`` stored inline in the record (a reference to ``String`` otherwise)."""

_FIELD_KINDS: Dict[type, str] = {bool: "boolean", int: "long", float: "double", bytes: "bytes"}
_BOXED: Dict[str, Tuple[str, str]] = {
    # Hollow field kind -> (wrapper type name, its field kind)
    "long": ("Long", "long"),
    "int": ("Integer", "int"),
    "double": ("Double", "double"),
    "float": ("Float", "float"),
    "boolean": ("Boolean", "boolean"),
    "string": ("String", "string"),
}


InferenceError = SchemaError
"""Raised when a schema cannot be inferred (a ``None`` value, an empty collection, an unsupported type)."""


class _Schemas:
    """Schemas being inferred, dependencies before the types that use them."""

    def __init__(self, primary_keys: Mapping[str, Sequence[str]]) -> None:
        self.primary_keys = primary_keys
        self.texts: Dict[str, str] = {}
        self.keys: Dict[str, Optional[Tuple[str, ...]]] = {}
        self.in_progress: Set[str] = set()

    def text(self) -> str:
        return "\n".join(self.texts.values())

    # ----- named types -------------------------------------------------------------------------

    def boxed(self, kind: str) -> str:
        name, field_kind = _BOXED[kind]
        if name not in self.texts:
            self.texts[name] = f"{name} {{ {field_kind} value; }}"
            self.keys[name] = ("value",)
        return name

    def collection(self, kind: str, elements: List[str]) -> str:
        if kind == "List":
            name = "ListOf" + elements[0]
            decl = f"{name} List<{elements[0]}>;"
        elif kind == "Set":
            name = "SetOf" + elements[0]
            decl = f"{name} Set<{elements[0]}>{self.hash_key(elements[0])};"
        else:
            name = f"MapOf{elements[0]}To{elements[1]}"
            decl = f"{name} Map<{elements[0]},{elements[1]}>{self.hash_key(elements[0])};"
        self.texts.setdefault(name, decl)
        return name

    def hash_key(self, element: str) -> str:
        key = self.keys.get(element)
        return f" @HashKey({', '.join(key)})" if key else ""

    def object(self, name: str, fields: List[Tuple[str, str]], primary_key: Optional[Sequence[str]]) -> str:
        key = self.primary_keys.get(name, primary_key)
        self.keys[name] = tuple(key) if key else None
        header = f"{name} @PrimaryKey({', '.join(key)})" if key else name
        body = "".join(f" {kind} {field};" for field, kind in fields)
        self.texts[name] = f"{header} {{{body} }}"
        return name

    # ----- from classes ------------------------------------------------------------------------

    def of_class(self, cls: type, name: Optional[str] = None) -> str:
        name = name or _type_name(cls)
        if name in self.texts or name in self.in_progress:
            return name
        class_fields = _class_fields(cls)
        if class_fields is None:
            raise InferenceError(f"{cls!r} is not a dataclass or typed named tuple")
        self.in_progress.add(name)
        try:
            fields = [(f, self.field_of_hint(hint, f"{name}.{f}")) for f, hint in class_fields]
        finally:
            self.in_progress.discard(name)
        return self.object(name, fields, getattr(cls, "__hollow_primary_key__", None))

    def field_of_hint(self, hint: Any, where: str) -> str:
        hint, kind = _unwrap(hint)
        if kind is not None:
            return kind
        if hint in _FIELD_KINDS:
            return _FIELD_KINDS[hint]
        return self.record_of_hint(hint, where)

    def record_of_hint(self, hint: Any, where: str) -> str:
        """The name of the type whose records hold values of `hint`."""
        hint, kind = _unwrap(hint)
        if kind is not None:
            if kind == "bytes":
                raise InferenceError(f"{where}: bytes cannot be a collection element")
            return self.boxed(kind)
        if hint is str:
            return self.boxed("string")
        if hint in _FIELD_KINDS:
            if hint is bytes:
                raise InferenceError(f"{where}: bytes cannot be a collection element")
            return self.boxed(_FIELD_KINDS[hint])
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if origin in (list, tuple, typing.get_origin(Sequence[int])):
            if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
                raise InferenceError(f"{where}: only tuple[T, ...] maps to a list")
            return self.collection("List", [self.record_of_hint(args[0], where)]) if args else _bare(where)
        if origin in (set, frozenset, typing.get_origin(typing.AbstractSet[int])):
            return self.collection("Set", [self.record_of_hint(args[0], where)]) if args else _bare(where)
        if origin in (dict, typing.get_origin(Mapping[int, int])):
            if not args:
                return _bare(where)
            return self.collection("Map", [self.record_of_hint(args[0], where), self.record_of_hint(args[1], where)])
        if isinstance(hint, type) and _class_fields(hint) is not None:
            return self.of_class(hint)
        raise InferenceError(f"{where}: no Hollow type for {hint!r}")

    # ----- from values -------------------------------------------------------------------------

    def of_value(self, value: Any, name: str) -> str:
        if not isinstance(value, Mapping) and _class_fields(type(value)) is not None:
            return self.of_class(type(value), name)
        items = value.items() if isinstance(value, Mapping) else vars(value).items()
        fields = [(str(f), self.field_of_value(v, f"{name}.{f}")) for f, v in items]
        return self.object(name, fields, None)

    def field_of_value(self, value: Any, where: str) -> str:
        if value is None:
            raise InferenceError(f"{where} is None: its type cannot be inferred; give a schema")
        if type(value) in _FIELD_KINDS:
            return _FIELD_KINDS[type(value)]
        return self.record_of_value(value, where)

    def record_of_value(self, value: Any, where: str) -> str:
        if _class_fields(type(value)) is not None:
            return self.of_class(type(value))
        if isinstance(value, str):
            return self.boxed("string")
        if isinstance(value, bool):
            return self.boxed("boolean")
        if isinstance(value, int):
            return self.boxed("long")
        if isinstance(value, float):
            return self.boxed("double")
        if isinstance(value, Mapping):
            first = _first(value.items(), where)
            return self.collection(
                "Map", [self.record_of_value(first[0], where), self.record_of_value(first[1], where)]
            )
        if isinstance(value, (set, frozenset)):
            return self.collection("Set", [self.record_of_value(_first(value, where), where)])
        if isinstance(value, (list, tuple)):
            return self.collection("List", [self.record_of_value(_first(value, where), where)])
        raise InferenceError(f"{where}: no Hollow type for a {type(value).__name__}")


def _bare(where: str) -> str:
    raise InferenceError(f"{where}: a collection type needs its element types (list[str], not list)")


def _first(values: Any, where: str) -> Any:
    for v in values:
        if v is not None and not (isinstance(v, tuple) and len(v) == 2 and (v[0] is None or v[1] is None)):
            return v
    raise InferenceError(f"{where}: the element type of an empty collection cannot be inferred; give a schema")


def _unwrap(hint: Any) -> Tuple[Any, Optional[str]]:
    """Strip ``Optional`` and ``Annotated``; the Hollow kind an ``Annotated`` marker names, if any."""
    kind = None
    while True:
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if origin is Annotated:
            kind = next((m.kind for m in args[1:] if isinstance(m, _Kind)), kind)
            hint = args[0]
        elif origin is typing.Union or (sys.version_info >= (3, 10) and _is_union_type(hint)):
            rest = [a for a in args if a is not type(None)]
            if len(rest) != 1:
                raise InferenceError(f"no Hollow type for the union {hint!r}")
            hint = rest[0]
        else:
            return hint, kind


def _is_union_type(hint: Any) -> bool:
    import types

    return isinstance(hint, getattr(types, "UnionType", ()))


def _type_name(cls: type) -> str:
    return str(getattr(cls, "__hollow_type__", cls.__name__))


def _class_fields(cls: type) -> Optional[List[Tuple[str, Any]]]:
    """Field names and type hints of a dataclass or typed named tuple, in order; None for other types."""
    if dataclasses.is_dataclass(cls):
        hints = typing.get_type_hints(cls, include_extras=True)
        return [(f.name, hints.get(f.name, f.type)) for f in dataclasses.fields(cls)]
    if issubclass(cls, tuple) and hasattr(cls, "_fields") and hasattr(cls, "__annotations__"):
        hints = typing.get_type_hints(cls, include_extras=True)
        return [(f, hints[f]) for f in cls._fields]
    return None


def schema_for_class(cls: type, primary_keys: Mapping[str, Sequence[str]]) -> str:
    """Schema text for the dataclass `cls` and every type it refers to, dependencies first."""
    if _class_fields(cls) is None:
        raise InferenceError(f"{cls!r} is not a dataclass or typed named tuple")
    schemas = _Schemas(primary_keys)
    schemas.of_class(cls)
    return schemas.text()


def schema_for_value(value: Any, type_name: str, primary_keys: Mapping[str, Sequence[str]]) -> str:
    """Schema text for a record of `type_name` like `value` (a dict, a dataclass instance, or an object
    with attributes), dependencies first."""
    schemas = _Schemas(primary_keys)
    if _class_fields(type(value)) is not None:
        schemas.of_class(type(value), type_name)
        return schemas.text()
    if isinstance(value, (str, bytes, int, float)) or value is None:
        raise InferenceError(f"a {type(value).__name__} is not a record of {type_name}; give a schema")
    if isinstance(value, (list, tuple, set, frozenset)):
        raise InferenceError(f"type {type_name}: inferring collection types at the top level is not supported")
    schemas.of_value(value, type_name)
    return schemas.text()
