//! The open-addressing table at the bottom of both indexes, and the delta bookkeeping they share.
//!
//! A slot is one `u64`: the high 32 bits of the key hash (the fingerprint) and a 32-bit value (a
//! root ordinal, or a group number). Probing is linear from the slot picked by the low bits of the
//! hash, at most 75% load. A lookup reads one slot line and compares fingerprints; only a fingerprint
//! match costs a read of the record, so a hit is typically one cache miss in the table plus the
//! record's own, and a miss is one.

use std::ops::ControlFlow;

use super::overlay::Overlay;
use super::shape::{KeyShape, MAX_DIRECT};
use super::source::Source;
use crate::error::{Error, Result};

const EMPTY: u64 = u64::MAX;

/// Fingerprint-and-value slots; see the module docs.
#[derive(Debug, Clone)]
pub(crate) struct SlotTable {
    slots: Box<[u64]>,
    mask: usize,
}

impl SlotTable {
    /// A table for `n` entries.
    pub(crate) fn with_capacity(n: usize) -> Self {
        let capacity = (n + n / 3 + 1).next_power_of_two().max(8);
        SlotTable { slots: vec![EMPTY; capacity].into_boxed_slice(), mask: capacity - 1 }
    }

    /// Add an entry. Duplicates are kept: a probe yields every value whose fingerprint matches.
    pub(crate) fn insert(&mut self, hash: u64, value: u32) {
        debug_assert!(value != u32::MAX, "u32::MAX marks an empty slot");
        let mut i = hash as usize & self.mask;
        while self.slots[i] != EMPTY {
            i = (i + 1) & self.mask;
        }
        self.slots[i] = (hash & 0xffff_ffff_0000_0000) | value as u64;
    }

    /// Add many entries. The first slot of each is read before any is written, so that the cache
    /// misses of a batch overlap: a build inserts in record order, which is random in the table.
    pub(crate) fn insert_batch(&mut self, entries: &[(u64, u32)]) {
        let mut touched = 0u64;
        for &(hash, _) in entries {
            touched ^= self.first_slot(hash);
        }
        std::hint::black_box(touched);
        for &(hash, value) in entries {
            self.insert(hash, value);
        }
    }

    /// The values whose fingerprint matches `hash`, in probe order.
    #[inline]
    pub(crate) fn probe(&self, hash: u64) -> Probe<'_> {
        Probe { table: self, at: hash as usize & self.mask, fingerprint: hash >> 32 }
    }

    /// Start loading the first slot for `hash`; used by batch lookups to overlap cache misses.
    #[inline]
    pub(crate) fn first_slot(&self, hash: u64) -> u64 {
        self.slots[hash as usize & self.mask]
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.slots.len() * 8
    }
}

/// Iterator of [`SlotTable::probe`].
pub(crate) struct Probe<'t> {
    table: &'t SlotTable,
    at: usize,
    fingerprint: u64,
}

impl Iterator for Probe<'_> {
    type Item = u32;

    #[inline]
    fn next(&mut self) -> Option<u32> {
        loop {
            let slot = self.table.slots[self.at];
            if slot == EMPTY {
                return None;
            }
            self.at = (self.at + 1) & self.table.mask;
            if slot >> 32 == self.fingerprint {
                return Some(slot as u32);
            }
        }
    }
}

/// The overlay size past which the base table is rebuilt: an eighth of the base, so that the
/// rebuild's O(n) cost is spread over at least n/8 changes (amortized O(1) per change), and
/// lookups never consult a large overlay.
pub(crate) fn rebuild_threshold(base_entries: usize) -> usize {
    #[cfg(test)]
    if let Some(fixed) = tests::THRESHOLD.with(|t| t.get()) {
        return fixed;
    }
    (base_entries / 8).max(64)
}

/// How an index moves from version `from` to version `to`.
pub(crate) enum Update {
    /// The indexed records did not change: the same tables serve `to`.
    Unchanged,
    /// The changes since the base, with those of this transition.
    Overlay(Overlay),
    /// Build anew from `to`: it is not one transition from `from`, the schemas on the key paths
    /// changed, or the overlay outgrew [`rebuild_threshold`].
    Rebuild,
}

/// Decide how an index for `version` (with `overlay` over a base of `base_entries`) moves from
/// `from` to `to`; fails if `from` is not the version the index is for.
pub(crate) fn plan_update<S: Source>(
    shape: &KeyShape,
    version: i64,
    overlay: &Overlay,
    base_entries: usize,
    from: &S,
    to: &S,
) -> Result<Update> {
    if from.version_tag() != version {
        return Err(Error::InvalidArgument(format!(
            "the index {} is for state {version:#018x}, not {:#018x}",
            shape.describe(),
            from.version_tag()
        )));
    }
    if to.version_tag() == version {
        return Ok(Update::Unchanged);
    }
    if to.origin_tag() != version || shape.types().any(|t| from.schema(t) != to.schema(t)) {
        return Ok(Update::Rebuild);
    }
    if from.shares_type(to, shape.root()) {
        return Ok(Update::Unchanged);
    }
    let mut overlay = overlay.clone();
    apply_changes(shape, &mut overlay, from, to);
    if overlay.len() > rebuild_threshold(base_entries) {
        return Ok(Update::Rebuild);
    }
    Ok(Update::Overlay(overlay))
}

/// Fold the root-type changes between `from` and `to` into `overlay`. The cost follows the number
/// of changed records: a removed record's keys are read in `from` (where it is still populated), an
/// added record's in `to`.
fn apply_changes<S: Source>(shape: &KeyShape, overlay: &mut Overlay, from: &S, to: &S) {
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    from.populated_changes(to, shape.root(), &mut removed, &mut added);
    let mut hashes = Vec::new();
    for root in removed {
        shape.key_hashes(from, root, &mut hashes);
        overlay.remove_root(root, &hashes);
    }
    for root in added {
        shape.key_hashes(to, root, &mut hashes);
        overlay.add_root(root, &hashes);
    }
}

/// Call `f` with (key hash, root, instance slots) for every non-null key instance of every populated
/// record of the root type. A record may yield the same key more than once (a list holding an
/// element twice); callers that need distinct keys group them.
pub(crate) fn for_each_key<S: Source>(shape: &KeyShape, src: &S, mut f: impl FnMut(u64, u32, &[u32])) {
    if let (Some(direct), Some(object)) = (shape.direct(), src.object(shape.root())) {
        // Every key field is an inline field of the root: each slot is the root itself.
        let mut slots = [0u32; MAX_DIRECT];
        let slots = &mut slots[..direct.len()];
        src.for_each_populated(shape.root(), &mut |root| {
            if let Some(h) = KeyShape::direct_hash(direct, object, root) {
                slots.fill(root);
                f(h, root, slots);
            }
        });
        return;
    }
    src.for_each_populated(shape.root(), &mut |root| {
        let _ = shape.for_each_instance(src, root, &mut |slots| {
            if let Some(h) = shape.hash_instance(src, slots) {
                f(h, root, slots);
            }
            ControlFlow::Continue(())
        });
    });
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::Cell;

    thread_local! {
        /// Overrides [`super::rebuild_threshold`] so tests can force or forbid rebuilds.
        pub(crate) static THRESHOLD: Cell<Option<usize>> = const { Cell::new(None) };
    }
}
