"""Records read into dataclasses (``rs.type("Show", as_=Show)``) and types as data frames.

Conversion follows the dataclass's annotations (``hollow codegen --lang python`` writes such classes
from a schema): a dataclass field takes the record field of the same name (or the name in the field's
``metadata["hollow"]``, for Hollow names that are Python keywords), ``List``/``FrozenSet``/``Dict``
convert their elements, ``Optional`` lets nulls through, and anything else is taken as the bindings
read it (numbers, strings, bytes; single-field records such as ``String`` are their value already).
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, Dict, Generic, Iterator, List, Optional, Tuple, Type, TypeVar, Union

T = TypeVar("T")

_HINTS: Dict[type, Dict[str, Any]] = {}


def _hints(cls: type) -> Dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = typing.get_type_hints(cls)
        _HINTS[cls] = hints
    return hints


def convert(hint: Any, value: Any) -> Any:
    """``value`` (as the bindings read it: a record, list, frozenset, dict or plain value) converted to
    the annotation ``hint``."""
    if value is None:
        return None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is Union:
        inner = [a for a in args if a is not type(None)]
        return convert(inner[0], value) if len(inner) == 1 else value
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        hints = _hints(hint)
        kwargs = {}
        for field in dataclasses.fields(hint):
            kwargs[field.name] = convert(hints[field.name], value[field.metadata.get("hollow", field.name)])
        return hint(**kwargs)
    if origin in (list, List):
        return [convert(args[0], v) for v in value]
    if origin in (frozenset, typing.FrozenSet):
        return frozenset(convert(args[0], v) for v in value)
    if origin in (set, typing.Set):
        return {convert(args[0], v) for v in value}
    if origin in (dict, Dict):
        return {convert(args[0], k): convert(args[1], v) for k, v in value.items()}
    return value


class TypedView(Generic[T]):
    """The records of one OBJECT type read as instances of a dataclass: ``rs.type("Show", as_=Show)``.

    The same lookups as ``TypeView`` (``len``, iteration, ``get``/``[]``/``in`` by primary key,
    ``record(ordinal)``), each record converted to the dataclass, references followed.
    """

    def __init__(self, view: Any, cls: Type[T]) -> None:
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            raise TypeError(f"as_ must be a dataclass type, not {cls!r}")
        if view.kind != "OBJECT":
            raise TypeError(f"{view.name} is a {view.kind}; as_= reads OBJECT types")
        _hints(cls)  # resolve the annotations now, so that a bad class fails here, not on a record
        self._view = view
        self._cls = cls

    @property
    def view(self) -> Any:
        """The underlying ``TypeView``."""
        return self._view

    @property
    def name(self) -> str:
        """The type's name."""
        return str(self._view.name)

    def _convert(self, record: Any) -> T:
        return typing.cast(T, convert(self._cls, record))

    def __len__(self) -> int:
        return len(self._view)

    def __iter__(self) -> Iterator[T]:
        return (self._convert(r) for r in self._view)

    def ordinals(self) -> List[int]:
        """The ordinals of the records, ascending."""
        return list(self._view.ordinals())

    def record(self, ordinal: int) -> T:
        """The record with ordinal ``ordinal``; ``KeyError`` if no record of this version has it."""
        return self._convert(self._view.record(ordinal))

    def get(self, key: Any, default: Optional[T] = None) -> Optional[T]:
        """The record whose primary key is ``key`` (a tuple for a key of several fields), or ``default``."""
        record = self._view.get(key)
        return default if record is None else self._convert(record)

    def __getitem__(self, key: Any) -> T:
        return self._convert(self._view[key])

    def __contains__(self, key: Any) -> bool:
        return key in self._view

    def to_pandas(self) -> Any:
        """The records as a ``pandas.DataFrame`` (see ``TypeView.to_pandas``)."""
        return to_pandas(self._view)

    def to_arrow(self) -> Any:
        """The records as a ``pyarrow.Table`` (see ``TypeView.to_arrow``)."""
        return to_arrow(self._view)

    def __repr__(self) -> str:
        return f"<hollow.TypedView {self.name} as {self._cls.__qualname__} ({len(self)} records)>"


def _rows(view: Any) -> Tuple[List[Dict[str, Any]], List[str]]:
    if view.kind != "OBJECT":
        raise TypeError(f"{view.name} is a {view.kind}; only OBJECT types convert to tables")
    import hollow

    return [hollow.to_dict(r) for r in view], list(view.fields)


def _require(module: str, method: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(
            f"{method}() needs the optional dependency {module}: pip install {module}"
        ) from e


def to_pandas(view: Any) -> Any:
    """One row per record, one column per field (nested records as dicts, lists as lists)."""
    rows, columns = _rows(view)
    pandas = _require("pandas", "TypeView.to_pandas")
    return pandas.DataFrame.from_records(rows, columns=columns)


def to_arrow(view: Any) -> Any:
    """One row per record, one column per field; Arrow infers nested types from the values."""
    rows, columns = _rows(view)
    pyarrow = _require("pyarrow", "TypeView.to_arrow")
    if not rows:
        return pyarrow.table({c: pyarrow.array([], pyarrow.null()) for c in columns})
    return pyarrow.Table.from_pylist(rows)
