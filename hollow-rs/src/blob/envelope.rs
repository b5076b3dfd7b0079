//! The shard envelope before each type body (`HollowBlobWriter.writeNumShards` / `readNumShards`).
//!
//! ```text
//! VarInt a = 1 + size(VarInt numShards)   (0 would mean: one shard, nothing else follows; pre-2.1)
//! VarInt b = 0                            bytes to skip (2.1 forward compatibility)
//! VarInt numShards                        a power of two
//! ```
//! Java writes it for every type, even with one shard.

use crate::encoding::{varint, ByteReader};
use crate::error::Result;

/// The largest shard count accepted from a blob. Java's writer never exceeds 2^20; anything larger
/// would only serve to make the reader allocate.
pub const MAX_SHARDS: u32 = 1 << 20;

/// Read the envelope and return the shard count.
///
/// # Errors
///
/// [`Error::CorruptBlob`](crate::Error::CorruptBlob) when the envelope is truncated or its shard count is not
/// a power of two the format allows.
pub fn read_num_shards(r: &mut ByteReader<'_>) -> Result<u32> {
    let envelope = r.varint_count("shard envelope length")?;
    if envelope == 0 {
        return Ok(1);
    }
    let skip = r.varint_count("shard envelope skip length")?;
    r.skip(skip as u64, "shard envelope forward-compatibility bytes")?;
    let at = r.position();
    let n = r.varint_count("number of shards")?;
    if n == 0 || !n.is_power_of_two() || n > MAX_SHARDS as usize {
        return Err(crate::Error::corrupt(format!("number of shards {n} is not a power of two up to 2^20"), at));
    }
    Ok(n as u32)
}

/// Append the envelope for `num_shards`.
pub fn write_num_shards(out: &mut Vec<u8>, num_shards: u32) {
    varint::write_usize(out, 1 + varint::size_of_i32(num_shards as i32));
    varint::write_i32(out, 0);
    varint::write_i32(out, num_shards as i32);
}

/// `HollowTypeWriteState.calcMaxShardOrdinal`: the largest shard-local ordinal of each shard when the
/// type's largest ordinal is `max_ordinal` (-1 for an empty shard).
pub fn max_shard_ordinals(max_ordinal: i32, num_shards: u32) -> Vec<i32> {
    let n = num_shards as i32;
    let min_per_shard = (max_ordinal + 1) / n;
    let with_extra = (max_ordinal + 1) & (n - 1);
    (0..n).map(|shard| if shard < with_extra { min_per_shard } else { min_per_shard - 1 }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_bytes() {
        let mut out = Vec::new();
        write_num_shards(&mut out, 1);
        assert_eq!(out, [2, 0, 1]);
        out.clear();
        write_num_shards(&mut out, 8);
        assert_eq!(out, [2, 0, 8]);
        assert_eq!(read_num_shards(&mut ByteReader::new(&out)).unwrap(), 8);
        assert_eq!(read_num_shards(&mut ByteReader::new(&[0])).unwrap(), 1);
        assert!(read_num_shards(&mut ByteReader::new(&[2, 0, 3])).is_err());
        assert!(read_num_shards(&mut ByteReader::new(&[2, 0, 0])).is_err());
    }

    #[test]
    fn shard_ordinals() {
        assert_eq!(max_shard_ordinals(-1, 2), [-1, -1]);
        assert_eq!(max_shard_ordinals(0, 2), [0, -1]);
        assert_eq!(max_shard_ordinals(5, 4), [1, 1, 0, 0]);
        assert_eq!(max_shard_ordinals(7, 4), [1, 1, 1, 1]);
    }
}
