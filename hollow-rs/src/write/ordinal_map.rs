//! Records of one type, deduplicated by their canonical bytes, each with a stable ordinal
//! (Java's `ByteArrayOrdinalMap` with its `FreeOrdinalTracker`).
//!
//! The map holds the records of the previous cycle plus those added in this cycle. At the start of a
//! new cycle ([`OrdinalMap::retain`]) the records that were not populated in the cycle just written are
//! dropped and their ordinals go back to the free pool. New records take the **smallest** free ordinal
//! first, and only when the pool is empty a never-used one. Because ordinals are only freed when the
//! next cycle begins, an ordinal removed by the delta N→N+1 is reused no earlier than by N+1→N+2, which
//! is exactly the window consumers keep removed records around as "ghosts".

use super::populated::SegmentedBitSet;
use crate::encoding::hash::murmur3;
use crate::error::{Error, Result};

/// The largest ordinal Java can represent in its ordinal map (29 bits).
pub(crate) const MAX_ORDINAL: u32 = (1 << 29) - 1;

/// Where one record's bytes live in the arena.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u64,
    len: u32,
}

impl Span {
    const EMPTY: Span = Span { start: 0, len: u32::MAX };

    fn is_empty(self) -> bool {
        self.len == u32::MAX
    }
}

/// Canonical record bytes by ordinal, with lookup by content.
#[derive(Debug, Clone)]
pub(crate) struct OrdinalMap {
    /// All records' bytes, back to back.
    arena: Vec<u8>,
    /// Index = ordinal. Trailing empty spans are trimmed, so `spans.len() - 1` is the max ordinal.
    spans: Vec<Span>,
    /// Open-addressing hash table of `ordinal + 1` (0 = empty slot), probed linearly.
    table: Vec<u32>,
    /// Number of records held.
    len: usize,
    free: FreeOrdinals,
}

impl Default for OrdinalMap {
    fn default() -> Self {
        OrdinalMap { arena: Vec::new(), spans: Vec::new(), table: vec![0; 256], len: 0, free: FreeOrdinals::default() }
    }
}

impl OrdinalMap {
    /// The ordinal of the record with these bytes, assigning a free ordinal if it is new.
    pub fn get_or_assign(&mut self, bytes: &[u8]) -> Result<u32> {
        let slot = match self.find(bytes) {
            Ok(ordinal) => return Ok(ordinal),
            Err(slot) => slot,
        };
        let len = record_len(bytes)?;
        let ordinal = self.free.peek();
        if ordinal > MAX_ORDINAL {
            return Err(Error::InvalidArgument(format!(
                "no ordinal left: a type holds at most {} records",
                MAX_ORDINAL as u64 + 1
            )));
        }
        self.free.take();
        self.store(ordinal, bytes, len);
        self.occupy(slot, ordinal);
        Ok(ordinal)
    }

    /// The ordinal of a record with these bytes, if there is one.
    pub fn get(&self, bytes: &[u8]) -> Option<u32> {
        self.find(bytes).ok()
    }

    /// Place a record at `ordinal`, which must not hold one, without touching the free ordinals (Java's
    /// `ByteArrayOrdinalMap.put`). Used to restore a state: the record goes in even if another ordinal
    /// holds the same bytes (a state restored under a schema that lost a field can have such twins);
    /// lookups then find the lowest of them. Call [`Self::free_holes_after_restore`] when done.
    pub fn put(&mut self, bytes: &[u8], ordinal: u32) -> Result<()> {
        if ordinal > MAX_ORDINAL {
            return Err(Error::InvalidArgument(format!("ordinal {ordinal} is out of range (at most {MAX_ORDINAL})")));
        }
        if self.bytes(ordinal).is_some() {
            return Err(Error::InvalidArgument(format!("ordinal {ordinal} already holds a record")));
        }
        let len = record_len(bytes)?;
        self.store(ordinal, bytes, len);
        let slot = self.empty_slot(murmur3(bytes) as u32);
        self.occupy(slot, ordinal);
        Ok(())
    }

    /// Give the record at `ordinal` new bytes and return the old ones (`None`, and no change, if
    /// `ordinal` holds no record). The caller makes sure no other ordinal holds `bytes`.
    pub fn replace(&mut self, ordinal: u32, bytes: &[u8]) -> Result<Option<Vec<u8>>> {
        let Some(old) = self.bytes(ordinal).map(<[u8]>::to_vec) else { return Ok(None) };
        let len = record_len(bytes)?;
        self.unlink(ordinal, &old);
        self.store(ordinal, bytes, len);
        let slot = self.empty_slot(murmur3(bytes) as u32);
        // The table keeps its size: one entry out, one in.
        self.table[slot] = ordinal + 1;
        Ok(Some(old))
    }

    /// Make the free ordinals those a freshly restored Java map hands out
    /// (`ByteArrayOrdinalMap.reservePreviouslySegmentedBitSet`): every hole below the largest ordinal
    /// held, **largest first** (Java pools them in ascending order and takes from the end, without the
    /// sort a compaction does), then the ordinals above it in order.
    pub fn free_holes_after_restore(&mut self) {
        self.free.pool.clear();
        self.free.pool.extend((0..self.spans.len() as u32).filter(|&o| self.spans[o as usize].is_empty()));
        self.free.next_unused = self.spans.len() as u32;
    }

    /// Look `bytes` up: `Ok(ordinal)` if held, else `Err(slot)` with the empty slot ending the probe.
    fn find(&self, bytes: &[u8]) -> std::result::Result<u32, usize> {
        let mask = self.table.len() - 1;
        let mut slot = murmur3(bytes) as u32 as usize & mask;
        while self.table[slot] != 0 {
            let ordinal = self.table[slot] - 1;
            if self.bytes(ordinal) == Some(bytes) {
                return Ok(ordinal);
            }
            slot = (slot + 1) & mask;
        }
        Err(slot)
    }

    /// The first empty slot probing from `hash`.
    fn empty_slot(&self, hash: u32) -> usize {
        let mask = self.table.len() - 1;
        let mut slot = hash as usize & mask;
        while self.table[slot] != 0 {
            slot = (slot + 1) & mask;
        }
        slot
    }

    /// Append `bytes` to the arena as the record at `ordinal`.
    fn store(&mut self, ordinal: u32, bytes: &[u8], len: u32) {
        let span = Span { start: self.arena.len() as u64, len };
        self.arena.extend_from_slice(bytes);
        if self.spans.len() <= ordinal as usize {
            self.spans.resize(ordinal as usize + 1, Span::EMPTY);
        }
        self.spans[ordinal as usize] = span;
    }

    /// Enter a newly stored record in the table at `slot`, growing the table if it is too full.
    fn occupy(&mut self, slot: usize, ordinal: u32) {
        self.table[slot] = ordinal + 1;
        self.len += 1;
        if self.len * 10 > self.table.len() * 7 {
            self.rebuild_table(self.table.len() * 2);
        }
    }

    /// Take `ordinal` (whose bytes are `bytes`) out of the table, shifting the entries after it back so
    /// that every probe still reaches its record (deletion without tombstones).
    fn unlink(&mut self, ordinal: u32, bytes: &[u8]) {
        let mask = self.table.len() - 1;
        let mut hole = murmur3(bytes) as u32 as usize & mask;
        while self.table[hole] != ordinal + 1 {
            debug_assert_ne!(self.table[hole], 0, "a held record is in the table");
            hole = (hole + 1) & mask;
        }
        self.table[hole] = 0;
        let mut slot = hole;
        loop {
            slot = (slot + 1) & mask;
            let entry = self.table[slot];
            if entry == 0 {
                return;
            }
            let home = self.bytes(entry - 1).map_or(slot, |b| murmur3(b) as u32 as usize & mask);
            // The entry may move into the hole unless its home lies cyclically in (hole, slot].
            let stays = if hole <= slot { hole < home && home <= slot } else { hole < home || home <= slot };
            if !stays {
                self.table[hole] = entry;
                self.table[slot] = 0;
                hole = slot;
            }
        }
    }

    /// The bytes of the record at `ordinal`, if there is one.
    #[inline]
    pub fn bytes(&self, ordinal: u32) -> Option<&[u8]> {
        let span = *self.spans.get(ordinal as usize)?;
        if span.is_empty() {
            return None;
        }
        let start = span.start as usize;
        self.arena.get(start..start + span.len as usize)
    }

    /// The largest ordinal held, or -1 when the map is empty.
    pub fn max_ordinal(&self) -> i32 {
        self.spans.len() as i32 - 1
    }

    /// Number of records held.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Drop every record whose ordinal is not in `keep`, freeing its ordinal for reuse, and compact the
    /// arena (Java's `ByteArrayOrdinalMap.compact`).
    pub fn retain(&mut self, keep: &SegmentedBitSet) {
        let mut arena = Vec::with_capacity(self.arena.len());
        let mut len = 0;
        for (ordinal, span) in self.spans.iter_mut().enumerate() {
            if span.is_empty() {
                continue;
            }
            if keep.get(ordinal as u32) {
                let start = span.start as usize;
                let new_start = arena.len() as u64;
                arena.extend_from_slice(&self.arena[start..start + span.len as usize]);
                span.start = new_start;
                len += 1;
            } else {
                *span = Span::EMPTY;
                self.free.release(ordinal as u32);
            }
        }
        while self.spans.last().is_some_and(|s| s.is_empty()) {
            self.spans.pop();
        }
        self.arena = arena;
        self.len = len;
        self.free.sort();
        let mut size = 256;
        while len * 10 > size * 7 {
            size *= 2;
        }
        self.rebuild_table(size);
    }

    fn rebuild_table(&mut self, size: usize) {
        debug_assert!(size.is_power_of_two());
        let mut table = vec![0u32; size];
        let mask = size - 1;
        for (ordinal, span) in self.spans.iter().enumerate() {
            if span.is_empty() {
                continue;
            }
            let start = span.start as usize;
            let hash = murmur3(&self.arena[start..start + span.len as usize]) as u32;
            let mut slot = hash as usize & mask;
            while table[slot] != 0 {
                slot = (slot + 1) & mask;
            }
            table[slot] = ordinal as u32 + 1;
        }
        self.table = table;
    }
}

/// A record's length as stored (`u32::MAX` marks an empty span, so it is not a valid length).
fn record_len(bytes: &[u8]) -> Result<u32> {
    u32::try_from(bytes.len())
        .ok()
        .filter(|&l| l != u32::MAX)
        .ok_or_else(|| Error::InvalidArgument(format!("record of {} bytes is too large", bytes.len())))
}

/// Ordinals available for new records: freed ones, smallest first, then never-used ones.
#[derive(Debug, Clone, Default)]
struct FreeOrdinals {
    /// Freed ordinals; the last is handed out first. Sorted descending after [`FreeOrdinals::sort`], so
    /// the smallest pops first.
    pool: Vec<u32>,
    /// The smallest ordinal never handed out.
    next_unused: u32,
}

impl FreeOrdinals {
    fn peek(&self) -> u32 {
        self.pool.last().copied().unwrap_or(self.next_unused)
    }

    fn take(&mut self) -> u32 {
        match self.pool.pop() {
            Some(o) => o,
            None => {
                self.next_unused += 1;
                self.next_unused - 1
            }
        }
    }

    fn release(&mut self, ordinal: u32) {
        self.pool.push(ordinal);
    }

    fn sort(&mut self) {
        self.pool.sort_unstable_by(|a, b| b.cmp(a));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn populated(ordinals: &[u32]) -> SegmentedBitSet {
        let mut p = SegmentedBitSet::default();
        ordinals.iter().for_each(|&o| p.set(o));
        p
    }

    #[test]
    fn dedups_by_content() {
        let mut m = OrdinalMap::default();
        assert_eq!(m.get_or_assign(b"a").unwrap(), 0);
        assert_eq!(m.get_or_assign(b"b").unwrap(), 1);
        assert_eq!(m.get_or_assign(b"a").unwrap(), 0);
        assert_eq!(m.get_or_assign(b"").unwrap(), 2);
        assert_eq!(m.bytes(1), Some(&b"b"[..]));
        assert_eq!(m.bytes(2), Some(&b""[..]));
        assert_eq!(m.max_ordinal(), 2);
        assert_eq!(m.len(), 3);
    }

    #[test]
    fn freed_ordinals_are_reused_smallest_first() {
        let mut m = OrdinalMap::default();
        for r in [b"r0", b"r1", b"r2", b"r3", b"r4"] {
            m.get_or_assign(r).unwrap();
        }
        m.retain(&populated(&[0, 2]));
        assert_eq!(m.max_ordinal(), 2);
        assert_eq!(m.bytes(1), None);
        assert_eq!(m.bytes(2), Some(&b"r2"[..]));
        assert_eq!(m.get_or_assign(b"r2").unwrap(), 2);
        assert_eq!(m.get_or_assign(b"new1").unwrap(), 1);
        assert_eq!(m.get_or_assign(b"new3").unwrap(), 3);
        assert_eq!(m.get_or_assign(b"new4").unwrap(), 4);
        assert_eq!(m.get_or_assign(b"new5").unwrap(), 5);
        // A dropped record coming back is a new record.
        assert_eq!(m.get_or_assign(b"r1").unwrap(), 6);
    }

    #[test]
    fn grows_and_survives_compaction() {
        let mut m = OrdinalMap::default();
        for i in 0..5000u32 {
            assert_eq!(m.get_or_assign(&i.to_be_bytes()).unwrap(), i);
        }
        let keep: Vec<u32> = (0..5000).filter(|i| i % 3 == 0).collect();
        m.retain(&populated(&keep));
        for &i in &keep {
            assert_eq!(m.get_or_assign(&i.to_be_bytes()).unwrap(), i);
        }
        assert_eq!(m.len(), keep.len());
        assert_eq!(m.get_or_assign(b"x").unwrap(), 1);
    }

    #[test]
    fn restored_records_keep_their_ordinals_and_holes_go_largest_first() {
        let mut m = OrdinalMap::default();
        m.put(b"r5", 5).unwrap();
        m.put(b"r0", 0).unwrap();
        m.put(b"r2", 2).unwrap();
        assert!(m.put(b"other", 2).is_err(), "an ordinal holds one record");
        assert!(m.put(b"x", MAX_ORDINAL + 1).is_err());
        m.free_holes_after_restore();
        assert_eq!(m.max_ordinal(), 5);
        assert_eq!(m.get_or_assign(b"r2").unwrap(), 2);
        assert_eq!(m.get_or_assign(b"new").unwrap(), 4);
        assert_eq!(m.get_or_assign(b"new2").unwrap(), 3);
        assert_eq!(m.get_or_assign(b"new3").unwrap(), 1);
        assert_eq!(m.get_or_assign(b"new4").unwrap(), 6);
        // After a compaction, holes go smallest first again.
        m.retain(&populated(&[0, 5, 6]));
        assert_eq!(m.get_or_assign(b"a").unwrap(), 1);
        assert_eq!(m.get_or_assign(b"b").unwrap(), 2);
    }

    #[test]
    fn twins_put_at_restore_resolve_to_the_lowest_ordinal() {
        let mut m = OrdinalMap::default();
        m.put(b"same", 3).unwrap();
        m.put(b"same", 1).unwrap();
        m.free_holes_after_restore();
        assert_eq!(m.bytes(1), Some(&b"same"[..]));
        assert_eq!(m.bytes(3), Some(&b"same"[..]));
        m.retain(&populated(&[1, 3]));
        assert_eq!(m.get(b"same"), Some(1), "the table is rebuilt in ordinal order");
    }

    #[test]
    fn replaced_records_are_found_by_their_new_bytes_only() {
        let mut m = OrdinalMap::default();
        // Enough records, in a small table, that probe runs overlap and deletion has to shift entries.
        for i in 0..170u32 {
            m.put(&i.to_le_bytes(), i).unwrap();
        }
        m.free_holes_after_restore();
        for i in (0..170u32).step_by(3) {
            let old = m.replace(i, &(1000 + i).to_le_bytes()).unwrap();
            assert_eq!(old.as_deref(), Some(&i.to_le_bytes()[..]));
        }
        for i in 0..170u32 {
            if i % 3 == 0 {
                assert_eq!(m.get(&i.to_le_bytes()), None, "{i}");
                assert_eq!(m.get(&(1000 + i).to_le_bytes()), Some(i), "{i}");
            } else {
                assert_eq!(m.get(&i.to_le_bytes()), Some(i), "{i}");
            }
        }
        assert_eq!(m.len(), 170);
        assert_eq!(m.replace(500, b"nothing there").unwrap(), None);
        assert_eq!(m.get_or_assign(b"fresh").unwrap(), 170);
    }
}
