"""hollow: Netflix Hollow for Python, over the hollow-rs core.

A producer publishes versions of a read-only dataset to a blob store; consumers load them into
memory and follow new versions by applying deltas. Blobs are wire-compatible with Java Hollow.

>>> import hollow
>>> store = hollow.InMemoryBlobStore()
>>> producer = hollow.Producer(store)
>>> version = producer.run_cycle(lambda ws: [ws.add(s) for s in ("user1", "user2")])
>>> consumer = hollow.Consumer(store)
>>> consumer.refresh() == version
True
>>> rs = consumer.read_state
>>> rs["user1"], "user3" in rs, len(rs)
('user1', False, 2)

Errors are exceptions under ``HollowError``; failures the core cannot raise (a background refresh that
failed, say) are logged as WARNINGs under the ``hollow`` logger of the standard ``logging`` module.
"""

from collections.abc import Mapping as _Mapping

from hollow._hollow import (
    BlobStore,
    Consumer,
    CorruptBlobError,
    Cycle,
    FilesystemBlobStore,
    HashIndex,
    HollowError,
    InMemoryBlobStore,
    IntegrityCheckFailedError,
    InvalidArgumentError,
    IoError,
    ConflictError,
    NotFoundError,
    PrimaryKeyIndex,
    Producer,
    ReadState,
    Record,
    RecordIter,
    SchemaError,
    SchemaMismatchError,
    TagMismatchError,
    TypeView,
    UrlBlobStore,
    ValidationFailedError,
    WriteState,
    ConsumerMetrics,
    Diff,
    DiffRecord,
    FieldChange,
    IncrementalCycle,
    IncrementalStats,
    ModifiedRecord,
    ProducerMetrics,
    TypeDiff,
    TypeSummary,
    __version__,
    ordinal,
    read_state,
    to_dict,
    to_python,
    type_name,
)
from hollow._infer import Float32, InlineStr, Int32, schema_for_class

# A ReadState is a read-only mapping of the string dataset.
_Mapping.register(ReadState)

__all__ = [
    "BlobStore",
    "Consumer",
    "CorruptBlobError",
    "Cycle",
    "FilesystemBlobStore",
    "Float32",
    "HashIndex",
    "HollowError",
    "InMemoryBlobStore",
    "InlineStr",
    "Int32",
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
    "schema_for_class",
    "to_dict",
    "to_python",
    "type_name",
]
