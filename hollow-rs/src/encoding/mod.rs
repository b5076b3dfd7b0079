//! The raw primitives of Hollow's wire format.
//!
//! Everything a blob is made of, below the level of schemas and type states:
//!
//! * [`varint`]: VarInt/VarLong, base 128 with the **most significant group first** (not LEB128); `0x80`
//!   as a first byte is Hollow's null marker in record serialization.
//! * [`zigzag`]: zig-zag mapping of signed integers, as Java's `ZigZag`.
//! * [`bits`]: fixed-length bit arrays. Bit `i` is bit `i % 64` (LSB first) of 64-bit word `i / 64`;
//!   on the wire the words are big-endian longs. Elements up to 64 bits wide may straddle two words.
//! * [`gap`]: gap-encoded ordinal lists, as deltas carry their additions and removals.
//! * [`mutf8`]: Java's modified UTF-8 (`DataOutput.writeUTF`), used for type names, field names and header tags.
//! * [`hollow_string`]: record string values, one VarInt per UTF-16 code unit.
//! * [`hash`]: Java-compatible hashing: `hashInt`, MurmurHash3 with Hollow's seed, `String.hashCode`.
//! * [`reader`]: a bounds-checked cursor that reports errors with their byte offset.
//!
//! ## Why these are written here and not taken from crates
//!
//! Each must produce and accept exactly the bytes Java Hollow does, and each is checked against
//! Java-written vectors (`tests/vectors`). The general-purpose crates implement neighbours of these
//! formats, not these formats: the varint crates (`integer-encoding`, `leb128`, `unsigned-varint`) are
//! LEB128, least significant group first, with no `0x80` null marker; UTF-8 crates reject or rewrite
//! Java's `C0 80` NUL and surrogate pairs; hashing crates give MurmurHash3 over bytes, not Hollow's
//! per-`int` mixing with its seed, nor `String.hashCode` over UTF-16 units. Adapting one would cost more
//! code than the few dozen lines each of these is, and a crate's update could move a bucket or a byte.

pub mod bits;
pub mod gap;
pub mod hash;
pub mod hollow_string;
pub mod mutf8;
pub mod reader;
pub mod varint;
pub mod zigzag;

pub use bits::BitArray;
pub use reader::ByteReader;
