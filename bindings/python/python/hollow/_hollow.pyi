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
    "UrlBlobStore",
    "ValidationFailedError",
    "WriteState",
    "__version__",
    "ordinal",
    "read_state",
    "to_dict",
    "to_python",
    "type_name",
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
    """A directory of blobs in Java Hollow's layout (``snapshot-<v>``, ``delta-<from>-<to>``, ...,
    ``announced.version``), readable and writable by Java Hollow too.

    A missing directory raises ``NotFoundError`` naming it, so that a consumer given a mistyped path fails
    instead of seeing an empty store (where ``refresh()`` would return None); ``create=True`` creates it
    instead (for a producer publishing to a new place). ``poll_interval`` is how often, in seconds, a
    watching consumer looks at the announcement file."""

    def __new__(cls, path: Union[str, "os.PathLike[str]"], *, create: bool = False, poll_interval: float = 1.0) -> Self: ...
    @property
    def path(self) -> pathlib.Path: ...

_StoreOption = Union[str, int, float, bool, "os.PathLike[str]", None]
"""A store option's value (``None``: not set)."""

_StoreArg = Union[BlobStore, str, "os.PathLike[str]"]
"""A store object, or a URL or path that ``Producer`` and ``Consumer`` open as ``UrlBlobStore`` does."""

@final
class UrlBlobStore(BlobStore):
    """A blob store opened from a URL: a directory path or ``file://`` URL (Java Hollow's directory
    layout, as ``FilesystemBlobStore``), ``memory://`` (a new, empty in-memory object store: share the
    object, since each ``memory://`` opened is another store), ``s3://bucket/prefix``,
    ``gs://bucket/prefix`` or ``az://container/prefix``.

    Named for how it is addressed, as ``InMemoryBlobStore`` and ``FilesystemBlobStore`` are named for
    where they keep blobs, because here the URL, not the class, picks where blobs are: one class for every
    store the core's ``hollow::store::open`` knows, and a ``BlobStore`` like the others, to share between
    producers and consumers. ``Producer(url, ...)`` and ``Consumer(url, ...)`` open one themselves.

    Options are keyword arguments: ``layout`` (``"reference"``, Netflix's S3 layout, the default; or
    ``"filesystem"``, Java's file names), ``poll_interval_ms``, ``poll_jitter``, ``cache_dir``,
    ``lease_ttl_ms``, ``max_retries``, ``retry_timeout_ms``, ``create`` (create a missing directory;
    default False), and for ``s3://``, ``gs://``, ``az://`` any ``object_store`` configuration key
    (``aws_endpoint_url``, ``aws_region``, ``aws_access_key_id``, ``aws_secret_access_key``,
    ``aws_allow_http``, ...), which otherwise come from the standard environment variables
    (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ...). The URL's query string
    (``s3://b/p?layout=filesystem``) sets options too; keyword arguments win. ``None`` leaves an option
    unset; an unknown key is an ``InvalidArgumentError``; a missing directory (without ``create=True``)
    a ``NotFoundError``. The GIL is released while the store is opened and while it is used."""

    def __new__(cls, url: Union[str, "os.PathLike[str]"], **options: _StoreOption) -> Self: ...
    @property
    def url(self) -> str:
        """The URL (or path) the store was opened from."""

# ----- producer -----------------------------------------------------------------------------------

@final
class WriteState:
    """The records of the state being built in a cycle.

    Bad input is refused, never stored: a record of an OBJECT type must be a dict, dataclass, named tuple
    or object with attributes (anything else is a ``SchemaMismatchError`` naming the type and, for
    ``add_all``, the item: ``add_all item 0: Movie needs a dict, dataclass or object, got int``); a field
    not in the schema or a value of the wrong type is a ``SchemaMismatchError`` naming the field path; a
    number out of range for its field is an ``InvalidArgumentError``. A missing field is null (as in
    Java), but a missing or None primary-key field is an ``InvalidArgumentError``. Raised out of the
    populate function, any of these leaves the announced version as it was."""

    @property
    def version(self) -> int: ...
    def add(self, value: object, type: Optional[str] = ...) -> int:
        """Add a record of the new state; returns its ordinal. A ``str`` is a ``String`` record; a
        dataclass (or any object) a record of its class's type (or ``__hollow_type__``); a dict needs
        ``type=``."""
    def add_all(self, values: Iterable[object], type: Optional[str] = ...) -> int:
        """Add every record of ``values``; returns how many were added. An error names the item."""

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
    """Publishes versions of a dataset to a blob store, one cycle at a time.

    ``store`` is a ``BlobStore``, or a URL or path opened as ``UrlBlobStore(store, **options)`` does,
    except that a missing directory is created (``create=True`` by default: a producer publishes to a new
    place). Store options are passed with the other keyword arguments; given a store object, there must be
    none. The producer holds the store's producer lock from its first cycle (or ``restore``) on: another
    producer's cycles on the same store raise ``ConflictError``."""

    def __new__(
        cls,
        store: _StoreArg,
        *,
        schema: Optional[str] = None,
        types: Sequence[type] = ...,
        primary_keys: Optional[Mapping[str, Sequence[str]]] = None,
        first_version: Optional[int] = None,
        num_states_between_snapshots: int = 0,
        integrity_check: bool = True,
        validators: Sequence[Callable[["ReadState"], object]] = ...,
        target_max_type_shard_size: Optional[int] = None,
        **options: _StoreOption,
    ) -> Self: ...
    def run_cycle(self, populate: Callable[[WriteState], object]) -> int: ...
    def cycle(self) -> Cycle: ...
    def restore(self, version: Optional[int] = None) -> int:
        """Continue the delta chain of the store after a restart: load ``version`` (default: the one
        announced) so that the next cycle publishes a delta from it. Returns the restored version;
        ``NotFoundError`` if nothing is announced."""
    @property
    def current_version(self) -> Optional[int]: ...
    @property
    def read_state(self) -> Optional["ReadState"]: ...
    def schema_text(self) -> str: ...
    def close(self) -> None:
        """Release the store's producer lock (so that another producer can take over) and everything
        else the producer holds; later cycles raise. Also done when the producer is garbage-collected,
        or at the end of a ``with`` block."""
    def __enter__(self) -> Self: ...
    def __exit__(self, *_args: object) -> bool: ...

# ----- consumer -----------------------------------------------------------------------------------

@final
class Consumer:
    """Follows a blob store and serves the current version.

    ``store`` is a ``BlobStore``, or a URL or path opened as ``UrlBlobStore(store, **options)`` does (a
    missing directory is a ``NotFoundError`` unless ``create=True``). Store options are passed with the
    other keyword arguments; given a store object, there must be none."""

    def __new__(
        cls,
        store: _StoreArg,
        *,
        primary_key_indexes: Sequence[str] = ...,
        max_deltas_before_double_snapshot: int = 32,
        double_snapshot: bool = True,
        **options: _StoreOption,
    ) -> Self: ...
    def refresh(self) -> Optional[int]: ...
    def refresh_to(self, version: int) -> int: ...
    @property
    def current_version(self) -> Optional[int]: ...
    @property
    def read_state(self) -> "ReadState": ...
    @property
    def metrics(self) -> dict[str, Union[int, float]]:
        """Counters: ``refreshes_succeeded``, ``refreshes_failed``, ``consecutive_failures``,
        ``snapshots_applied``, ``deltas_applied``, ``bytes_applied``, ``last_refresh_seconds`` and
        ``watch_failures`` (failed reads of the announced version while watching). Failures are also
        logged as WARNINGs under the ``hollow.consumer`` logger."""
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
    """A record: fields as attributes (``movie.title``) or items (``movie["title"]``).

    A record's attributes are its fields and nothing else (``dir(record)`` is the field names), so a
    field may be named anything, ``ordinal`` or ``to_dict`` included, without being shadowed. What is
    about the record rather than in it is read by module functions, as ``dataclasses.asdict`` reads a
    dataclass: ``hollow.ordinal(r)``, ``hollow.type_name(r)``, ``hollow.read_state(r)``,
    ``hollow.to_dict(r)`` and ``hollow.to_python(r)``."""

    def __getattribute__(self, name: str, /) -> Any: ...
    def __getitem__(self, key: Any, /) -> Any: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Any]: ...
    def __dir__(self) -> list[str]: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

def ordinal(record: Record) -> int:
    """The record's ordinal in its type."""

def type_name(record: Record) -> str:
    """The record's type name."""

def read_state(record: Record) -> ReadState:
    """The version the record belongs to."""

def to_dict(record: Record) -> Any:
    """An OBJECT record as a dict of plain data (records nested in it become dicts too); a TypeError for
    other records (use ``to_python``)."""

def to_python(record: Record) -> Any:
    """The record as plain data: a dict for an OBJECT, a list for a LIST or SET, a dict (or a list of
    pairs) for a MAP."""

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
