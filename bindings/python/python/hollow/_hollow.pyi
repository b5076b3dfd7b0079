"""Type stubs for the native module ``hollow._hollow`` (checked against it by ``mypy.stubtest``)."""

import os
import pathlib
from types import TracebackType
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence, TypeVar, Union, final

from typing_extensions import Self, disjoint_base

__version__: str
__all__ = [
    "BlobStore",
    "Consumer",
    "CorruptBlobError",
    "Cycle",
    "FilesystemBlobStore",
    "HashIndex",
    "HollowError",
    "InMemoryBlobStore",
    "IntegrityCheckFailedError",
    "InvalidArgumentError",
    "IoError",
    "ConflictError",
    "NotFoundError",
    "PrimaryKeyIndex",
    "Producer",
    "ReadState",
    "Record",
    "RecordIter",
    "SchemaError",
    "SchemaMismatchError",
    "TagMismatchError",
    "TypeView",
    "ValidationFailedError",
    "WriteState",
    "__version__",
]

_F = TypeVar("_F", bound=Callable[..., Any])

# ----- errors -------------------------------------------------------------------------------------

class HollowError(Exception):
    """Base class of every error raised by hollow."""

class CorruptBlobError(HollowError):
    """A blob is malformed, truncated, or of an unsupported format version."""

    offset: int
    type_name: Optional[str]

class TagMismatchError(HollowError):
    """A delta was applied to a state it was not produced from."""

    origin_tag: int
    current_tag: int

class SchemaError(HollowError, ValueError):
    """Schema text could not be parsed, or schemas disagree."""

class SchemaMismatchError(HollowError, TypeError):
    """A value did not fit the schema it was written with (wrong field, wrong type, ...)."""

class NotFoundError(HollowError, LookupError):
    """A type, field, record, version or blob does not exist."""

class InvalidArgumentError(HollowError, ValueError):
    """An argument was out of range or otherwise invalid."""

class ValidationFailedError(HollowError):
    """A validator vetoed a producer cycle."""

class IntegrityCheckFailedError(HollowError):
    """The producer's blobs do not reproduce its state; nothing was announced."""

class IoError(HollowError, OSError):
    """Reading or writing a blob store failed."""

class ConflictError(HollowError):
    """Another producer got there first (a blob exists, another version was announced, or the store's
    producer lock is held); nothing was announced."""

# ----- stores -------------------------------------------------------------------------------------

@disjoint_base
class BlobStore:
    """Base class of blob stores."""

    @property
    def announced_version(self) -> Optional[int]: ...

@final
class InMemoryBlobStore(BlobStore):
    """Blobs and the announced version in this process's memory."""

    def __new__(cls) -> Self: ...
    def snapshot_versions(self) -> list[int]: ...
    def remove(self, kind: str, version: int) -> bool: ...

@final
class FilesystemBlobStore(BlobStore):
    """A directory of blobs in Java Hollow's layout."""

    def __new__(cls, path: Union[str, "os.PathLike[str]"], *, create: bool = True, poll_interval: float = 1.0) -> Self: ...
    @property
    def path(self) -> pathlib.Path: ...

# ----- producer -----------------------------------------------------------------------------------

@final
class WriteState:
    """The records of the state being built in a cycle."""

    @property
    def version(self) -> int: ...
    def add(self, value: object, type: Optional[str] = ...) -> int: ...
    def add_all(self, values: Iterable[object], type: Optional[str] = ...) -> int: ...

@final
class Cycle:
    """A producer cycle as a context manager."""

    @property
    def version(self) -> Optional[int]: ...
    def add(self, value: object, type: Optional[str] = ...) -> None: ...
    def __enter__(self) -> "Cycle": ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> bool: ...

@final
class Producer:
    """Publishes versions of a dataset to a blob store, one cycle at a time."""

    def __new__(
        cls,
        store: BlobStore,
        *,
        schema: Optional[str] = None,
        types: Sequence[type] = ...,
        primary_keys: Optional[Mapping[str, Sequence[str]]] = None,
        first_version: Optional[int] = None,
        num_states_between_snapshots: int = 0,
        integrity_check: bool = True,
        validators: Sequence[Callable[["ReadState"], object]] = ...,
        target_max_type_shard_size: Optional[int] = None,
    ) -> Self: ...
    def run_cycle(self, populate: Callable[[WriteState], object]) -> int: ...
    def cycle(self) -> Cycle: ...
    def restore(self, version: Optional[int] = ...) -> int: ...
    @property
    def current_version(self) -> Optional[int]: ...
    @property
    def read_state(self) -> Optional["ReadState"]: ...
    def schema_text(self) -> str: ...

# ----- consumer -----------------------------------------------------------------------------------

@final
class Consumer:
    """Follows a blob store and serves the current version."""

    def __new__(
        cls,
        store: BlobStore,
        *,
        primary_key_indexes: Sequence[str] = ...,
        max_deltas_before_double_snapshot: int = 32,
        double_snapshot: bool = True,
    ) -> Self: ...
    def refresh(self) -> Optional[int]: ...
    def refresh_to(self, version: int) -> int: ...
    @property
    def current_version(self) -> Optional[int]: ...
    @property
    def read_state(self) -> "ReadState": ...
    @property
    def metrics(self) -> dict[str, Union[int, float]]: ...
    def on_refresh(self, callback: _F) -> _F: ...
    def on_refresh_failed(self, callback: _F) -> _F: ...
    def start_watching(self) -> None: ...
    def stop_watching(self) -> None: ...
    @property
    def watching(self) -> bool: ...
    def close(self) -> None: ...
    def __enter__(self) -> "Consumer": ...
    def __exit__(self, *_args: object) -> bool: ...

# ----- reading ------------------------------------------------------------------------------------

@final
class ReadState:
    """One version of the dataset; a read-only mapping of its string dataset."""

    @property
    def version(self) -> int: ...
    @property
    def type_names(self) -> list[str]: ...
    @property
    def header_tags(self) -> dict[str, str]: ...
    def schema_text(self) -> str: ...
    def type(self, name: str) -> "TypeView": ...
    def primary_key_index(self, type_name: str, fields: Optional[Sequence[str]] = ...) -> "PrimaryKeyIndex": ...
    def hash_index(self, type_name: str, fields: Sequence[str]) -> "HashIndex": ...
    def __len__(self) -> int: ...
    def __contains__(self, key: object, /) -> bool: ...
    def __getitem__(self, key: str, /) -> str: ...
    def get(self, key: str, default: Optional[object] = ...) -> Any: ...
    def __iter__(self) -> Iterator[str]: ...
    def keys(self) -> list[str]: ...
    def values(self) -> list[str]: ...
    def items(self) -> list[tuple[str, str]]: ...

_Key = Union[int, float, bool, str, bytes, "Record", tuple[Any, ...]]

@final
class TypeView:
    """The records of one type in one version."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def schema(self) -> str: ...
    @property
    def fields(self) -> list[str]: ...
    @property
    def primary_key(self) -> Optional[list[str]]: ...
    def __len__(self) -> int: ...
    def ordinals(self) -> list[int]: ...
    def __iter__(self) -> "RecordIter": ...
    def record(self, ordinal: int) -> "Record": ...
    def get(self, key: _Key, default: Optional[Any] = ...) -> Any: ...
    def __getitem__(self, key: _Key, /) -> "Record": ...
    def __contains__(self, key: _Key, /) -> bool: ...
    def get_field(self, key: _Key, field: str) -> Any: ...

@final
class RecordIter:
    """Iterates the records of a type."""

    def __iter__(self) -> "RecordIter": ...
    def __next__(self) -> "Record": ...

@final
class Record:
    """A record: fields as attributes or items."""

    @property
    def type_name(self) -> str: ...
    @property
    def ordinal(self) -> int: ...
    @property
    def read_state(self) -> ReadState: ...
    def __getattribute__(self, name: str, /) -> Any: ...
    def __getitem__(self, key: Any, /) -> Any: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Any]: ...
    def to_dict(self) -> Any: ...
    def to_python(self) -> Any: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class PrimaryKeyIndex:
    """A unique index: the record of a type with a given key."""

    @property
    def type_name(self) -> str: ...
    @property
    def fields(self) -> list[str]: ...
    def get(self, *key: Any) -> Optional[Record]: ...

@final
class HashIndex:
    """A hash index: every record of a type with a given key."""

    @property
    def type_name(self) -> str: ...
    @property
    def fields(self) -> list[str]: ...
    def find(self, *key: Any) -> list[Record]: ...
