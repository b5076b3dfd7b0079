"""Type stubs for the native module ``hollow._hollow`` (checked against it by ``mypy.stubtest``)."""

import builtins
import os
import pathlib
from types import TracebackType
from typing import Any, Callable, ClassVar, Iterable, Iterator, Literal, Mapping, Optional, Sequence, TypeVar, Union, final, overload

from hollow._typed import TypedView

from typing_extensions import Self, disjoint_base

_T = TypeVar("_T")

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
    "ConsumerMetrics",
    "Diff",
    "DiffRecord",
    "FieldChange",
    "IncrementalCycle",
    "IncrementalStats",
    "ModifiedRecord",
    "ProducerMetrics",
    "TypeDiff",
    "TypeSummary",
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
    """Base class of blob stores, and of stores written in Python.

    A subclass implements these methods, and producers and consumers use it as they use the built-in
    stores (each call is made with the GIL held, from whichever thread the core is on; what a method
    raises surfaces as a ``HollowError``: a hollow exception keeps its class, anything else is an
    ``IoError`` naming the method):

    * ``publish(kind, from_version, to_version, data)``: store a blob. ``kind`` is ``"snapshot"``,
      ``"delta"``, ``"reversedelta"`` or ``"header"``; ``from_version`` is None for snapshots and
      headers. Raise ``ConflictError`` rather than replace a blob that exists.
    * ``retrieve_snapshot(desired)``: the snapshot with the greatest version at or below ``desired``,
      as ``(version, data)``, or None.
    * ``retrieve_delta(from_version)`` / ``retrieve_reverse_delta(from_version)``: the blob starting at
      ``from_version``, as ``(to_version, data)``, or None.
    * ``announce(version)`` and ``read_announced()`` (the announced version, or None).
    * Optionally ``list_blobs()`` (``[(kind, from_version, to_version), ...]``) and
      ``delete(kind, from_version, to_version)``, for the producer's clean-up and retention.

    A store written in Python has no producer lock: running one producer at a time is up to you.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        """The base of a store written in Python (arguments are for the subclass's ``__init__``)."""
    @property
    def announced_version(self) -> Optional[int]:
        """The announced version, or None if nothing has been announced yet."""

@final
class InMemoryBlobStore(BlobStore):
    """Blobs and the announced version in this process's memory."""

    def __new__(cls) -> Self:
        """An empty store in this process's memory."""
    def snapshot_versions(self) -> list[int]:
        """Versions of the snapshots held, ascending."""
    def remove(self, kind: str, version: int) -> bool:
        """Remove a blob (`kind` is "snapshot", "delta", "reversedelta" or "header"; deltas are found by
        the version they start from). Returns whether it was there. For tests of missing blobs.
        """

@final
class FilesystemBlobStore(BlobStore):
    """A directory of blobs in Java Hollow's layout (``snapshot-<v>``, ``delta-<from>-<to>``, ...,
    ``announced.version``), readable and writable by Java Hollow too.

    A missing directory raises ``NotFoundError`` naming it, so that a consumer given a mistyped path fails
    instead of seeing an empty store (where ``refresh()`` would return None); ``create=True`` creates it
    instead (for a producer publishing to a new place). ``poll_interval`` is how often, in seconds, a
    watching consumer looks at the announcement file."""

    def __new__(cls, path: Union[str, "os.PathLike[str]"], *, create: bool = False, poll_interval: float = 1.0) -> Self:
        """Open the directory ``path`` (made when ``create`` is true); the announced version is
        polled every ``poll_interval`` seconds by watchers.
        """
    @property
    def path(self) -> pathlib.Path:
        """The directory."""

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

    def __new__(cls, url: Union[str, "os.PathLike[str]"], **options: _StoreOption) -> Self:
        """Open the store at ``url`` with store ``options`` (``layout``, ``cache_dir``, ``aws_region``, ...)."""
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
    def version(self) -> int:
        """The version this cycle will produce."""
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
    def version(self) -> Optional[int]:
        """The version the cycle produced (None until the block has ended)."""
    def add(self, value: object, type: Optional[str] = ...) -> None:
        """Queue a record for this cycle (see `WriteState.add`); it is written when the block ends."""
    def __enter__(self) -> "Cycle":
        """The cycle itself, to ``add`` records to."""
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> bool:
        """Run the producer cycle with the records added, unless the block raised (then they are
        dropped and nothing is published).
        """

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
    ) -> Self:
        """A producer publishing to ``store``; see the class docstring for the options."""
    def run_cycle(self, populate: Callable[[WriteState], object]) -> int:
        """Run one cycle: `populate(ws)` adds every record of the new state. Returns the version now
        announced (the current one if nothing changed). If `populate` raises, the exception propagates
        and nothing is published.
        """
    def cycle(self) -> Cycle:
        """A cycle as a context manager: `with producer.cycle() as c: c.add(...)`. The records are
        written when the block ends without an exception; the version is then `c.version`.
        """
    def incremental_cycle(self) -> "IncrementalCycle":
        """An incremental cycle as a context manager: ``with producer.incremental_cycle() as changes:
        changes.add_or_modify(record); changes.delete("Movie", key)``. The changes apply to the last
        announced version by primary key; they are published when the block ends without an exception
        (the version is then ``changes.version``) and dropped, nothing announced, when it raises."""
    def run_incremental_cycle(self, changes: Callable[["IncrementalCycle"], object]) -> int:
        """Run an incremental cycle: ``changes(c)`` makes the changes; they are published when it
        returns. Returns the version now announced (the current one if nothing changed). If ``changes``
        raises, the exception propagates and nothing is published."""
    def apply_changes(self, lines: Union[str, Iterable[str]]) -> int:
        """Apply a change set (JSON lines as ``Diff.to_change_lines()`` writes them: one string, or an
        iterable of lines) in an incremental cycle; returns the version now announced. A malformed line
        raises (naming its number) and nothing is published."""
    @property
    def last_incremental_stats(self) -> Optional["IncrementalStats"]:
        """What the last successful incremental cycle did, or None before one."""
    @property
    def metrics(self) -> "ProducerMetrics":
        """Counters about the cycles so far (a snapshot; readable while a cycle runs)."""
    def restore(self, version: Optional[int] = None) -> int:
        """Continue the delta chain of the store after a restart: load ``version`` (default: the one
        announced) so that the next cycle publishes a delta from it. Returns the restored version;
        ``NotFoundError`` if nothing is announced."""
    @property
    def current_version(self) -> Optional[int]:
        """The last announced version, or None before the first cycle."""
    @property
    def read_state(self) -> Optional["ReadState"]:
        """The last announced state, as consumers read it, or None before the first cycle."""
    def schema_text(self) -> str:
        """The registered schemas, in Hollow's schema language (dependencies first)."""
    def close(self) -> None:
        """Release the store's producer lock (so that another producer can take over) and everything
        else the producer holds; later cycles raise. Also done when the producer is garbage-collected,
        or at the end of a ``with`` block."""
    def __enter__(self) -> Self:
        """The producer itself; leaving the block closes it."""
    def __exit__(self, *_args: object) -> bool:
        """Close the producer (as ``close()``); exceptions of the block propagate."""

@final
class IncrementalCycle:
    """An incremental cycle (``Producer.incremental_cycle``, ``Producer.run_incremental_cycle``).

    Each change is checked against the producer's schemas when it is made (an unknown type, a record or
    key that does not fit raises then) and kept; the changes are applied together, in order, when the
    cycle is published (a later change to a key replaces an earlier one)."""

    def add_or_modify(self, value: object, type: Optional[str] = ...) -> None:
        """Add ``value``, replacing the record with the same primary key in the last version if there
        is one (a type without a primary key: add it if absent). Records are given as to
        ``WriteState.add``: a ``str`` is a ``String`` record, a dataclass or object a record of its
        class's type, a dict needs ``type=``. The type must be known to the producer
        (``NotFoundError`` otherwise)."""
    def delete(self, type: str, key: object) -> None:
        """Delete the record of ``type`` whose primary key is ``key``: the key's value, or a tuple of
        its values in the order the primary key lists them (for a type without a primary key, the
        record itself). A key with no record is a no-op. An unknown type is a ``NotFoundError``; a key
        with the wrong number of values or a value of the wrong type a ``SchemaMismatchError``."""
    def __len__(self) -> int:
        """The number of changes made so far."""
    @property
    def version(self) -> Optional[int]:
        """The version the cycle announced (None until published; the current version if nothing
        changed)."""
    def __enter__(self) -> "IncrementalCycle":
        """The cycle itself."""
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> bool:
        """Publish the changes, unless the block raised (then drop them: nothing is announced)."""

@final
class IncrementalStats:
    """What an incremental cycle did (``Producer.last_incremental_stats``)."""

    @property
    def upserts(self) -> int:
        """Upserts applied (after later changes to a key replaced earlier ones)."""
    @property
    def deletes(self) -> int:
        """Deletes applied to a record that was there."""
    @property
    def absent_deletes(self) -> int:
        """Deletes of a key that had no record: no-ops."""
    @property
    def superseded(self) -> int:
        """Changes replaced by a later change to the same key in the same cycle."""
    @property
    def removed(self) -> dict[str, int]:
        """Per type: records of the previous version no longer in the new one."""
    @property
    def added(self) -> dict[str, int]:
        """Per type: records new in the new version."""
    def to_dict(self) -> dict[str, Any]:
        """The values as a dict, by attribute name."""
    def __eq__(self, other: object, /) -> bool:
        """Equal when every count is equal."""
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class ProducerMetrics:
    """Counters about a producer's cycles so far (``Producer.metrics``)."""

    @property
    def cycles_succeeded(self) -> int:
        """Cycles that announced a new version."""
    @property
    def cycles_failed(self) -> int:
        """Cycles that failed: nothing was announced."""
    @property
    def cycles_no_change(self) -> int:
        """Cycles that found nothing changed: nothing was published."""
    @property
    def last_cycle_duration(self) -> float:
        """Duration of the last cycle, whatever its outcome, in seconds."""
    @property
    def current_version(self) -> Optional[int]:
        """The version this producer last announced or restored (None before)."""
    @property
    def retention_failures(self) -> int:
        """Retention runs that failed after an announced cycle."""
    def to_dict(self) -> dict[str, Any]:
        """The values as a dict, by attribute name."""
    def __eq__(self, other: object, /) -> bool:
        """Equal when every counter is equal."""
    __hash__: ClassVar[None]  # type: ignore[assignment]

# ----- consumer -----------------------------------------------------------------------------------

@final
class Consumer:
    """Follows a blob store and serves the current version.

    ``store`` is a ``BlobStore``, or a URL or path opened as ``UrlBlobStore(store, **options)`` does (a
    missing directory is a ``NotFoundError`` unless ``create=True``). Store options are passed with the
    other keyword arguments; given a store object, there must be none.

    ``memory_mapping`` is how snapshots are loaded. ``"copy"`` (the default) reads each snapshot into
    memory: safe whatever happens to the file afterwards. ``"shared"`` maps the snapshot file read-only
    and reads the records in place, when the store has it in a local file (a ``FilesystemBlobStore``,
    an object store with a ``cache_dir``; other stores load into memory as with ``"copy"``): every
    process mapping the same file shares one copy of it in the page cache, and a load reads only the
    headers. Deltas build in memory what they change and keep the rest mapped. The file must never be
    modified in place or truncated while mapped (a truncated file kills the process with ``SIGBUS``);
    hollow's own stores never do either (they write each blob once and rename it into place). Any
    other value is a ``ValueError``. ``ReadState.mapped_shards`` tells how much of a state is mapped."""

    def __new__(
        cls,
        store: _StoreArg,
        *,
        primary_key_indexes: Sequence[str] = ...,
        max_deltas_before_double_snapshot: int = 32,
        double_snapshot: bool = True,
        memory_mapping: Literal["copy", "shared"] = "copy",
        **options: _StoreOption,
    ) -> Self:
        """A consumer of ``store``; see the class docstring for the options."""
    def refresh(self) -> Optional[int]:
        """Refresh to the announced version; returns the version now held (None if nothing is announced
        and nothing is loaded). On failure the current version stays and the error is raised.
        """
    def refresh_to(self, version: int) -> int:
        """Refresh to exactly `version`; returns it."""
    @property
    def current_version(self) -> Optional[int]:
        """The version held, or None before the first refresh."""
    @property
    def read_state(self) -> "ReadState":
        """The current state. `NotFoundError` before the first successful refresh."""
    @property
    def metrics(self) -> "ConsumerMetrics":
        """Counters about refreshes so far (a snapshot). Failures are also logged as WARNINGs under
        the ``hollow.consumer`` logger."""
    def on_refresh(self, callback: _F) -> _F:
        """Call `callback(from_version, to_version)` after every successful refresh (from_version is None
        for the first). Returns `callback`, so it works as a decorator. Exceptions it raises go to
        `sys.unraisablehook`.
        """
    def on_refresh_failed(self, callback: _F) -> _F:
        """Call `callback(from_version, to_version, error)` after every failed refresh."""
    def start_watching(self) -> None:
        """Refresh on a background thread whenever a new version is announced, until `stop_watching()`
        (or the interpreter exits).
        """
    def stop_watching(self) -> None:
        """Stop the background refreshes (waits for a refresh in progress to finish)."""
    @property
    def watching(self) -> bool:
        """True while the background refreshes run."""
    def close(self) -> None:
        """Stop watching (if watching)."""
    def __enter__(self) -> "Consumer":
        """The consumer itself; leaving the block stops its watching."""
    def __exit__(self, *_args: object) -> bool:
        """Stop watching for announcements (as ``close()``); exceptions of the block propagate."""

@final
class ConsumerMetrics:
    """Counters about a consumer's refreshes so far (``Consumer.metrics``)."""

    @property
    def refreshes_succeeded(self) -> int:
        """Refreshes that changed the state."""
    @property
    def refreshes_failed(self) -> int:
        """Refreshes that failed (each also logged as a WARNING under ``hollow.consumer``)."""
    @property
    def consecutive_failures(self) -> int:
        """Failures since the last success."""
    @property
    def snapshots_applied(self) -> int:
        """Snapshots loaded."""
    @property
    def deltas_applied(self) -> int:
        """Deltas and reverse deltas applied."""
    @property
    def bytes_applied(self) -> int:
        """Bytes of blobs applied."""
    @property
    def last_refresh_duration(self) -> float:
        """Duration of the last successful refresh, in seconds."""
    @property
    def watch_failures(self) -> int:
        """Failed reads of the announced version while watching."""
    @property
    def index_build_failures(self) -> int:
        """Indexes that could not be rebuilt on a new state although their type is in it."""
    def to_dict(self) -> dict[str, Any]:
        """The values as a dict, by attribute name."""
    def __eq__(self, other: object, /) -> bool:
        """Equal when every counter is equal."""
    __hash__: ClassVar[None]  # type: ignore[assignment]

# ----- reading ------------------------------------------------------------------------------------

@final
class ReadState:
    """One version of the dataset; a read-only mapping of its string dataset."""

    @staticmethod
    def from_snapshot_file(
        path: Union[str, "os.PathLike[str]"],
        *,
        memory_mapping: Literal["copy", "shared"] = "copy",
        version: Optional[int] = None,
    ) -> "ReadState":
        """Load the snapshot file at `path` as a read state, without a store or consumer.

        ``memory_mapping="copy"`` (the default) reads the file into memory; ``"shared"`` maps it and
        reads the records in place, which asks that the file is never modified in place or truncated
        while a state reads it (it is unmapped when the last object reading the state is freed); any
        other value is a ``ValueError``. `version` is the state's version, by default the blob's
        ``hollow.blob.to.version`` header tag, which hollow's producers write (``InvalidArgumentError``
        if it is missing and no version is given). ``IoError`` if the file cannot be read,
        ``CorruptBlobError`` if it is not a snapshot. The GIL is released while the file loads.
        """
    @property
    def mapped_shards(self) -> int:
        """How many shards of this state are read in place from a memory-mapped snapshot file (0 when
        it was read into memory: ``memory_mapping="copy"``, or a store with no local file)."""
    @property
    def version(self) -> int:
        """The version this state holds."""
    @property
    def type_names(self) -> list[str]:
        """Names of every type, sorted."""
    @property
    def header_tags(self) -> dict[str, str]:
        """The header tags of the blob this state was read from."""
    def schema_text(self) -> str:
        """Every schema, in Hollow's schema language."""
    @overload
    def type(self, name: str, *, as_: None = None) -> "TypeView":
        """The records of type `name`. `NotFoundError` if the state has no such type. With `as_` (a
        dataclass, such as `hollow codegen --lang python` writes), a `TypedView` whose records are
        instances of it.
        """
    @overload
    def type(self, name: str, *, as_: builtins.type[_T]) -> TypedView[_T]:
        """The records of type `name`. `NotFoundError` if the state has no such type. With `as_` (a
        dataclass, such as `hollow codegen --lang python` writes), a `TypedView` whose records are
        instances of it.
        """
    def primary_key_index(self, type_name: str, fields: Optional[Sequence[str]] = ...) -> "PrimaryKeyIndex":
        """A unique index of `type_name`, on its schema's primary key or on the given field paths."""
    def hash_index(self, type_name: str, fields: Sequence[str]) -> "HashIndex":
        """A hash index (several records per key) of `type_name` on the given field paths."""
    def diff(
        self,
        new: "ReadState",
        *,
        types: Optional[Sequence[str]] = None,
        limit: Optional[int] = None,
        primary_keys: Optional[Mapping[str, Sequence[str]]] = None,
    ) -> "Diff":
        """What changed from this version to ``new`` (the GIL is released while the diff runs).
        ``types`` limits the report to these types; ``limit`` keeps at most that many records of each
        kind per type in detail (counts stay exact); ``primary_keys`` gives key field paths per type,
        replacing or supplying the schema's ``@PrimaryKey``."""
    def __len__(self) -> int:
        """Return len(self)."""
    def __contains__(self, key: object, /) -> bool:
        """Return key in self."""
    def __getitem__(self, key: str, /) -> str:
        """Return self[key]."""
    def get(self, key: str, default: Optional[object] = ...) -> Any:
        """`rs[key]`, or `default` when the string dataset does not hold `key`."""
    def __iter__(self) -> Iterator[str]:
        """Implement iter(self)."""
    def keys(self) -> list[str]:
        """The strings of the string dataset (a list)."""
    def values(self) -> list[str]:
        """Same as `keys()`: in the string dataset each string maps to itself."""
    def items(self) -> list[tuple[str, str]]:
        """`(string, string)` pairs of the string dataset."""

_Key = Union[int, float, bool, str, bytes, "Record", tuple[Any, ...]]

@final
class TypeView:
    """The records of one type in one version."""

    @property
    def name(self) -> str:
        """The type's name."""
    @property
    def kind(self) -> str:
        """"OBJECT", "LIST", "SET" or "MAP"."""
    @property
    def schema(self) -> str:
        """The type's schema, in Hollow's schema language."""
    @property
    def fields(self) -> list[str]:
        """Field names of an OBJECT type, in schema order (empty for collections)."""
    @property
    def primary_key(self) -> Optional[list[str]]:
        """The primary key's field paths, if the type has one."""
    def __len__(self) -> int:
        """Return len(self)."""
    def ordinals(self) -> list[int]:
        """The ordinals of the records, ascending."""
    def __iter__(self) -> "RecordIter":
        """Implement iter(self)."""
    def record(self, ordinal: int) -> "Record":
        """The record with ordinal `ordinal`. `KeyError` if no record of this version has it."""
    def get(self, key: _Key, default: Optional[Any] = ...) -> Any:
        """The record whose primary key is `key` (a tuple for a key of several fields), or `default`."""
    def __getitem__(self, key: _Key, /) -> "Record":
        """Return self[key]."""
    def __contains__(self, key: _Key, /) -> bool:
        """Return key in self."""
    def get_field(self, key: _Key, field: str) -> Any:
        """One field of the record with primary key `key`, without making a record object: the fast path
        for `view.get(key).field`. `None` if there is no such record or the field is null;
        `NotFoundError` if the type has no such field.
        """
    def get_many(self, keys: Any) -> list[Optional[int]]:
        """The ordinals of the records whose primary keys are `keys`, `None` where no record has the key.
        `keys` is a sequence of keys (tuples for a key of several fields), or any buffer of 64-bit
        integers such as a NumPy `int64` array, read in place. The lookups run with the GIL released,
        in batches whose memory accesses overlap: the fast path for many keys.
        """
    def column(self, field: str, ordinals: Any) -> list[Any]:
        """Field `field` of the records at `ordinals` (ints or `None`, e.g. what `get_many` returned; or
        a buffer of integers), as a list: `None` for a `None` ordinal, an ordinal with no record, or a
        null field. With `get_many`, reads one field of many records without making record objects.
        """
    def to_pandas(self) -> Any:
        """The records as a `pandas.DataFrame`: one row per record, one column per field. Needs pandas
        (an optional dependency, imported on first use; `ImportError` saying so when it is missing).
        """
    def to_arrow(self) -> Any:
        """The records as a `pyarrow.Table`: one row per record, one column per field. Needs pyarrow (an
        optional dependency, imported on first use; `ImportError` saying so when it is missing).
        """

@final
class RecordIter:
    """Iterates the records of a type."""

    def __iter__(self) -> "RecordIter":
        """Implement iter(self)."""
    def __next__(self) -> "Record":
        """Implement next(self)."""

@final
class Record:
    """A record: fields as attributes (``movie.title``) or items (``movie["title"]``).

    A record's attributes are its fields and nothing else (``dir(record)`` is the field names), so a
    field may be named anything, ``ordinal`` or ``to_dict`` included, without being shadowed. What is
    about the record rather than in it is read by module functions, as ``dataclasses.asdict`` reads a
    dataclass: ``hollow.ordinal(r)``, ``hollow.type_name(r)``, ``hollow.read_state(r)``,
    ``hollow.to_dict(r)`` and ``hollow.to_python(r)``."""

    def __getattribute__(self, name: str, /) -> Any:
        """The field ``name`` (fields shadow nothing: see the class docstring)."""
    def __getitem__(self, key: Any, /) -> Any:
        """Return self[key]."""
    def __len__(self) -> int:
        """Return len(self)."""
    def __iter__(self) -> Iterator[Any]:
        """Implement iter(self)."""
    def __dir__(self) -> list[str]:
        """The field names (an OBJECT's attributes)."""
    def __eq__(self, value: object, /) -> bool:
        """Equal when both are the same record of the same version."""
    def __hash__(self) -> int:
        """A hash consistent with ``==``: of the version held, the type and the ordinal."""

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
    def type_name(self) -> str:
        """The indexed type."""
    @property
    def fields(self) -> list[str]:
        """The key field paths."""
    def get(self, *key: Any) -> Optional[Record]:
        """The record with key `key` (one value per key field), or None."""

@final
class HashIndex:
    """A hash index: every record of a type with a given key."""

    @property
    def type_name(self) -> str:
        """The indexed type."""
    @property
    def fields(self) -> list[str]:
        """The key field paths."""
    def find(self, *key: Any) -> list[Record]:
        """The records with key `key` (one value per key field), by ascending ordinal."""

# ----- diff ---------------------------------------------------------------------------------------

@final
class Diff:
    """What changed from one version to another (``old.diff(new)``), type by type.

    ``diff.types`` are the counts per type; ``diff["Movie"]`` (or ``diff.type("Movie")``) a type's
    changed records; iterating gives every type's ``TypeDiff``. ``str(diff)`` is a table of counts with
    the first changed records of each type, ``to_json()`` the whole diff as plain data, and
    ``to_change_lines()`` the change set that ``Producer.apply_changes`` applies to the old version to
    make the new one."""

    @property
    def is_empty(self) -> bool:
        """True when no type changed."""
    @property
    def is_complete(self) -> bool:
        """True when every changed record is kept in detail (no ``limit`` cut any)."""
    @property
    def method(self) -> str:
        """How changed records were found: ``"one_delta"`` or ``"compared"``."""
    @property
    def types(self) -> list["TypeSummary"]:
        """The counts of every type, sorted by name."""
    @property
    def changed_types(self) -> list[str]:
        """The names of the types that changed."""
    def type(self, name: str) -> "TypeDiff":
        """The changed records of type ``name``; ``NotFoundError`` for a type the diff does not report."""
    def __getitem__(self, name: str, /) -> "TypeDiff":
        """Same as ``type(name)``."""
    def __contains__(self, name: object, /) -> bool:
        """True if the diff reports type ``name``."""
    def __len__(self) -> int:
        """The number of types reported."""
    def __iter__(self) -> Iterator["TypeDiff"]:
        """Every reported type's ``TypeDiff``, by name."""
    def render(self, limit: int = 10) -> str:
        """The diff for a person: counts per type, then up to ``limit`` records of each kind per
        changed type (``+`` added, ``-`` removed, ``~`` modified with ``path: old -> new``)."""
    def to_json(self) -> dict[str, Any]:
        """The whole diff as plain data (the core's JSON form)."""
    def to_change_lines(self) -> list[str]:
        """The complete change set taking the old version to the new one, one JSON line per change
        (complete even when the diff was made with a ``limit``)."""

@final
class TypeSummary:
    """The counts of one type in a diff."""

    @property
    def name(self) -> str:
        """The type's name."""
    @property
    def primary_key(self) -> Optional[list[str]]:
        """The primary key's field paths; None when records are keyed by their whole value."""
    @property
    def added(self) -> int:
        """Records whose key is only in the new version."""
    @property
    def removed(self) -> int:
        """Records whose key is only in the old version."""
    @property
    def modified(self) -> int:
        """Records whose key is in both, with different values."""
    @property
    def unchanged(self) -> int:
        """Records whose key is in both, with equal values."""

@final
class TypeDiff:
    """The changed records of one type in a diff, each kind in key order."""

    @property
    def name(self) -> str:
        """The type's name."""
    @property
    def primary_key(self) -> Optional[list[str]]:
        """The primary key's field paths; None when records are keyed by their whole value."""
    @property
    def summary(self) -> TypeSummary:
        """The counts (exact, whatever the diff's ``limit``)."""
    @property
    def is_complete(self) -> bool:
        """True when every changed record is here (no ``limit`` cut any)."""
    @property
    def added(self) -> list["DiffRecord"]:
        """The added records."""
    @property
    def removed(self) -> list["DiffRecord"]:
        """The removed records."""
    @property
    def modified(self) -> list["ModifiedRecord"]:
        """The modified records."""

@final
class DiffRecord:
    """An added or removed record: its key (a tuple of the primary key's values, or of the whole record
    for a type without one) and its value as plain data (as ``to_python`` gives it)."""

    @property
    def key(self) -> tuple[Any, ...]:
        """The record's key."""
    @property
    def value(self) -> Any:
        """The record as plain data."""

@final
class ModifiedRecord:
    """A record whose key is in both versions and whose value changed."""

    @property
    def key(self) -> tuple[Any, ...]:
        """The record's key."""
    @property
    def old(self) -> Any:
        """The record in the old version, as plain data."""
    @property
    def new(self) -> Any:
        """The record in the new version, as plain data."""
    @property
    def fields(self) -> list["FieldChange"]:
        """The changed values, in field order."""

@final
class FieldChange:
    """One changed value of a modified record."""

    @property
    def path(self) -> str:
        """Where the value is, from the record (``"title"``, ``"tags[2]"``, ``"address.city"``)."""
    @property
    def old(self) -> Any:
        """The old value (None when absent or null)."""
    @property
    def new(self) -> Any:
        """The new value (None when absent or null)."""
