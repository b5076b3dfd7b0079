//! The open-addressing table at the bottom of both indexes, and the delta bookkeeping they share.
//!
//! ## Compact slots
//!
//! A slot packs a fingerprint of the key hash and a value (a root ordinal, or a group number) into
//! as few bits as the table needs: the value takes the bits of the largest value the table holds
//! (20 bits for a million records), the fingerprint the rest of a 32-bit word, or of a 64-bit word
//! when values need more than 24 bits (so a fingerprint never has fewer than 8 bits). A million
//! primary keys take 5 MB at 80% load, where (fingerprint, ordinal) pairs of two `u32` at a
//! power-of-two capacity took 16 MiB.
//!
//! The home slot of a hash is its low 32 bits scaled to the capacity (a multiply and a shift, so
//! the capacity need not be a power of two); probing is linear from there, wrapping at the end. The
//! fingerprint is the top bits of the hash, independent of the home slot. A lookup compares
//! fingerprints along the probe run and reads the record only on a match, so a hit is typically one
//! cache miss in the table plus the record's own, and a miss is one (a run at 80% load is a few
//! dozen bytes). A fingerprint of `f` bits sends one in 2^f non-matching slots to the record.
//!
//! The all-ones word marks an empty slot: it cannot be a full one, because a value is at most the
//! largest value the table was built for, which is below the all-ones value of its bits.

use std::ops::ControlFlow;

use super::overlay::Overlay;
use super::shape::{KeyShape, MAX_DIRECT};
use super::source::Source;
use crate::error::{Error, Result};
use crate::memory::{Element, LargeArray};

/// Fingerprint-and-value slots; see the module docs.
#[derive(Debug, Clone)]
pub(crate) struct SlotTable {
    slots: Slots,
    value_bits: u32,
}

#[derive(Debug, Clone)]
enum Slots {
    /// Values of at most 24 bits: a fingerprint of at least 8 bits fits beside them in 32.
    Narrow(LargeArray<u32>),
    Wide(LargeArray<u64>),
}

/// A slot word: `u32` or `u64`.
pub(crate) trait Word: Element + Eq + std::fmt::Debug {
    const BITS: u32;
    const EMPTY: Self;
    fn widen(self) -> u64;
    fn narrow(v: u64) -> Self;
}

impl Word for u32 {
    const BITS: u32 = 32;
    const EMPTY: Self = u32::MAX;
    #[inline]
    fn widen(self) -> u64 {
        self as u64
    }
    #[inline]
    fn narrow(v: u64) -> Self {
        v as u32
    }
}

impl Word for u64 {
    const BITS: u32 = 64;
    const EMPTY: Self = u64::MAX;
    #[inline]
    fn widen(self) -> u64 {
        self
    }
    #[inline]
    fn narrow(v: u64) -> Self {
        v
    }
}

/// Values up to this many bits go in 32-bit slots.
const NARROW_VALUE_BITS: u32 = 24;

/// Entries inserted together by a build, so that their cache misses overlap.
const BUILD_BATCH: usize = 32;

/// The slot where the probe for `hash` starts, in a table of `len` slots.
#[inline]
fn home(hash: u64, len: usize) -> usize {
    (((hash & 0xffff_ffff) * len as u64) >> 32) as usize
}

/// The fingerprint of `hash` in a slot word of `W::BITS` bits holding `value_bits` of value.
#[inline]
fn fingerprint<W: Word>(hash: u64, value_bits: u32) -> u64 {
    hash >> (64 - (W::BITS - value_bits))
}

impl SlotTable {
    /// A table holding the entries (key hash, value) of every part; every value is at most
    /// `max_value`, which must be below `u32::MAX`. Duplicates are kept: a probe yields every
    /// value whose fingerprint matches.
    pub(crate) fn build<E: AsRef<[(u64, u32)]>>(parts: &[E], max_value: u32) -> Self {
        let entries = || parts.iter().flat_map(|part| part.as_ref());
        debug_assert!(max_value < u32::MAX && entries().all(|&(_, v)| v <= max_value));
        let count = entries().count();
        // Enough bits that `max_value` is below the all-ones value (the empty mark).
        let value_bits = (64 - (max_value as u64 + 1).leading_zeros()).max(1);
        // 80% load at most, and always one empty slot so that every probe ends.
        let len = (count + count / 4 + 1).max(8);
        let slots = if value_bits <= NARROW_VALUE_BITS {
            Slots::Narrow(fill::<u32, E>(parts, len, value_bits))
        } else {
            Slots::Wide(fill::<u64, E>(parts, len, value_bits))
        };
        SlotTable { slots, value_bits }
    }

    /// The values whose fingerprint matches `hash`, in probe order.
    #[inline]
    pub(crate) fn probe(&self, hash: u64) -> Probe<'_> {
        match &self.slots {
            Slots::Narrow(slots) => Probe::Narrow(Run::new(slots, hash, self.value_bits)),
            Slots::Wide(slots) => Probe::Wide(Run::new(slots, hash, self.value_bits)),
        }
    }

    /// Start loading the home slot of `hash`, ahead of a [`Self::probe`] (a hint).
    #[inline]
    pub(crate) fn prefetch_home(&self, hash: u64) {
        match &self.slots {
            Slots::Narrow(slots) => crate::memory::prefetch(&slots[home(hash, slots.len())]),
            Slots::Wide(slots) => crate::memory::prefetch(&slots[home(hash, slots.len())]),
        }
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        match &self.slots {
            Slots::Narrow(slots) => slots.len() * 4,
            Slots::Wide(slots) => slots.len() * 8,
        }
    }
}

/// Slots of width `W` holding `entries`, inserted in batches whose first slots are read before any
/// is written, so that the cache misses of a batch overlap (entries come in record order, which is
/// random in the table).
fn fill<W: Word, E: AsRef<[(u64, u32)]>>(parts: &[E], len: usize, value_bits: u32) -> LargeArray<W> {
    let mut slots = LargeArray::zeroed(len);
    slots.fill(W::EMPTY);
    for batch in parts.iter().flat_map(|part| part.as_ref().chunks(BUILD_BATCH)) {
        let mut touched = 0u64;
        for &(hash, _) in batch {
            touched ^= slots[home(hash, len)].widen();
        }
        std::hint::black_box(touched);
        for &(hash, value) in batch {
            let mut i = home(hash, len);
            while slots[i] != W::EMPTY {
                i += 1;
                if i == len {
                    i = 0;
                }
            }
            slots[i] = W::narrow((fingerprint::<W>(hash, value_bits) << value_bits) | value as u64);
        }
    }
    slots
}

/// Iterator of [`SlotTable::probe`].
pub(crate) enum Probe<'t> {
    Narrow(Run<'t, u32>),
    Wide(Run<'t, u64>),
}

impl Iterator for Probe<'_> {
    type Item = u32;

    #[inline]
    fn next(&mut self) -> Option<u32> {
        match self {
            Probe::Narrow(run) => run.next(),
            Probe::Wide(run) => run.next(),
        }
    }
}

/// A probe run over slots of one width.
pub(crate) struct Run<'t, W> {
    slots: &'t [W],
    at: usize,
    fingerprint: u64,
    value_bits: u32,
}

impl<'t, W: Word> Run<'t, W> {
    #[inline]
    fn new(slots: &'t [W], hash: u64, value_bits: u32) -> Self {
        Run { slots, at: home(hash, slots.len()), fingerprint: fingerprint::<W>(hash, value_bits), value_bits }
    }

    #[inline]
    fn next(&mut self) -> Option<u32> {
        loop {
            let slot = *self.slots.get(self.at)?;
            if slot == W::EMPTY {
                return None;
            }
            self.at += 1;
            if self.at == self.slots.len() {
                self.at = 0;
            }
            let slot = slot.widen();
            if slot >> self.value_bits == self.fingerprint {
                return Some((slot & ((1u64 << self.value_bits) - 1)) as u32);
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
    let mut keys = Vec::with_capacity(removed.len().max(added.len()));
    changed_keys(shape, from, &removed, &mut keys);
    for group in keys.chunk_by(|a, b| a.0 == b.0) {
        overlay.remove_root(group[0].0, group.iter().map(|&(_, h)| h));
    }
    changed_keys(shape, to, &added, &mut keys);
    for group in keys.chunk_by(|a, b| a.0 == b.0) {
        overlay.add_root(group[0].0, group.iter().map(|&(_, h)| h));
    }
}

/// (root, key hash) of every distinct key of `roots` in `src`, grouped by root, in `out`. The keys
/// are all read before the overlay is edited, in a loop with nothing else in it when the key is read
/// straight from the root record, so that the record misses of one root and the next overlap.
fn changed_keys<S: Source>(shape: &KeyShape, src: &S, roots: &[u32], out: &mut Vec<(u32, u64)>) {
    out.clear();
    if let (Some(direct), Some(object)) = (shape.direct(), src.object(shape.root())) {
        out.extend(roots.iter().filter_map(|&root| Some((root, KeyShape::direct_hash(direct, object, root)?))));
        return;
    }
    let mut hashes = Vec::new();
    for &root in roots {
        shape.key_hashes(src, root, &mut hashes);
        out.extend(hashes.iter().map(|&h| (root, h)));
    }
}

/// Call `f` with (key hash, root, instance slots) for every non-null key instance of every populated
/// record of the root type. A record may yield the same key more than once (a list holding an
/// element twice); callers that need distinct keys group them.
pub(crate) fn for_each_key<S: Source>(shape: &KeyShape, src: &S, f: impl FnMut(u64, u32, &[u32])) {
    keys_of(shape, src, |visit| src.for_each_populated(shape.root(), visit), f);
}

/// Records per thread below which a parallel key pass costs more in threads than it saves.
const PARALLEL_MIN_RECORDS: usize = 64 * 1024;

/// (key hash, root) for every non-null key of every populated record of the root type, in root
/// order, in parts (one per thread): the records are read by up to
/// [`max_threads`](crate::parallelism::max_threads) threads, each over a contiguous range of roots,
/// when there are enough of them.
pub(crate) fn collect_keys<S: Source>(shape: &KeyShape, src: &S) -> Vec<Vec<(u64, u32)>> {
    let n = src.populated_count(shape.root());
    #[allow(unused_mut)]
    let mut threads = crate::parallelism::max_threads().min(n / PARALLEL_MIN_RECORDS).max(1);
    #[cfg(test)]
    if let Some(forced) = tests::KEY_THREADS.with(|t| t.get()) {
        threads = forced;
    }
    if threads == 1 {
        let mut keys = Vec::with_capacity(n);
        for_each_key(shape, src, |hash, root, _| keys.push((hash, root)));
        return vec![keys];
    }
    let mut roots = Vec::with_capacity(n);
    src.for_each_populated(shape.root(), &mut |root| roots.push(root));
    let keys_in = |chunk: &[u32]| {
        let mut keys = Vec::with_capacity(chunk.len());
        let visit_chunk = |visit: &mut dyn FnMut(u32)| chunk.iter().for_each(|&root| visit(root));
        keys_of(shape, src, visit_chunk, |hash, root, _| keys.push((hash, root)));
        keys
    };
    let mut chunks = roots.chunks(n.div_ceil(threads).max(1));
    let first = chunks.next().unwrap_or_default();
    // The calling thread reads the first part: one thread fewer to start, and none idle.
    std::thread::scope(|scope| {
        let helpers: Vec<_> = chunks.map(|chunk| scope.spawn(move || keys_in(chunk))).collect();
        let mut parts = vec![keys_in(first)];
        parts.extend(helpers.into_iter().map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))));
        parts
    })
}

/// [`for_each_key`] over the roots `roots` visits.
fn keys_of<S: Source>(
    shape: &KeyShape,
    src: &S,
    roots: impl FnOnce(&mut dyn FnMut(u32)),
    mut f: impl FnMut(u64, u32, &[u32]),
) {
    if let (Some(direct), Some(object)) = (shape.direct(), src.object(shape.root())) {
        // Every key field is an inline field of the root: each slot is the root itself.
        let mut slots = [0u32; MAX_DIRECT];
        let slots = &mut slots[..direct.len()];
        roots(&mut |root| {
            if let Some(h) = KeyShape::direct_hash(direct, object, root) {
                slots.fill(root);
                f(h, root, slots);
            }
        });
        return;
    }
    roots(&mut |root| {
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
        /// Overrides the thread count of [`super::collect_keys`] so that small test datasets take
        /// the parallel path.
        pub(crate) static KEY_THREADS: Cell<Option<usize>> = const { Cell::new(None) };
    }
}

#[cfg(test)]
mod slot_tests {
    use std::collections::BTreeMap;

    use super::{SlotTable, Slots};

    /// A hash with chosen home bits (low 32) and a distinct fingerprint for each `top` (its top
    /// four bits).
    fn hash(home: u32, top: u64) -> u64 {
        top << 60 | home as u64
    }

    /// Every value filed under each hash, found by probing, equals what was inserted.
    fn assert_finds_all(table: &SlotTable, entries: &[(u64, u32)]) {
        let mut expected: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
        for &(h, v) in entries {
            expected.entry(h).or_default().push(v);
        }
        for (h, values) in expected {
            let mut found: Vec<u32> = table.probe(h).collect();
            found.sort_unstable();
            // A probe may also yield values of other hashes sharing the fingerprint (the caller
            // checks the record), never fewer than inserted.
            for v in &values {
                assert!(found.contains(v), "hash {h:#x}: {v} not found in {found:?}");
            }
        }
    }

    fn pseudo_random(n: usize) -> impl Iterator<Item = u64> {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        (0..n).map(move |_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        })
    }

    #[test]
    fn slots_are_as_narrow_as_the_largest_value_allows() {
        let entries: Vec<(u64, u32)> = pseudo_random(1000).zip(0..).collect();
        let narrow = SlotTable::build(&[&entries], (1 << 24) - 2);
        assert!(matches!(narrow.slots, Slots::Narrow(_)) && narrow.value_bits == 24);
        assert_eq!(narrow.heap_bytes(), 4 * (1000 + 250 + 1));
        let wide = SlotTable::build(&[&entries], 1 << 24);
        assert!(matches!(wide.slots, Slots::Wide(_)) && wide.value_bits == 25);
        assert_eq!(wide.heap_bytes(), 8 * (1000 + 250 + 1));
        let widest = SlotTable::build(&[[(7, u32::MAX - 1)]], u32::MAX - 1);
        assert_eq!(widest.probe(7).collect::<Vec<_>>(), [u32::MAX - 1]);
        for t in [&narrow, &wide] {
            assert_finds_all(t, &entries);
        }
    }

    #[test]
    fn a_million_keys_take_five_megabytes() {
        let entries: Vec<(u64, u32)> = pseudo_random(1_000_000).zip(0..).collect();
        let table = SlotTable::build(&[&entries], 999_999);
        assert_eq!(table.value_bits, 20);
        assert_eq!(table.heap_bytes(), 4 * 1_250_001);
        assert_finds_all(&table, &entries);
        // Absent hashes mostly find nothing: a miss compares about 13 slots at 80% load, and a
        // 12-bit fingerprint lets one in 4096 through (about 320 for 100,000 misses).
        let false_hits: usize = pseudo_random(1_100_000).skip(1_000_000).map(|h| table.probe(!h).count()).sum();
        assert!(false_hits < 640, "{false_hits} false candidates for 100,000 absent keys");
    }

    #[test]
    fn probes_wrap_around_the_end_and_keep_duplicates() {
        // Every entry homes on the last slot: the run wraps to the start.
        let last = u32::MAX;
        let entries = [(hash(last, 1), 0), (hash(last, 2), 1), (hash(last, 1), 2), (hash(last, 1), 3)];
        let table = SlotTable::build(&[&entries], 3);
        assert_eq!(table.probe(hash(last, 1)).collect::<Vec<_>>(), [0, 2, 3]);
        assert_eq!(table.probe(hash(last, 2)).collect::<Vec<_>>(), [1]);
        assert_eq!(table.probe(hash(last, 3)).count(), 0);
        assert_eq!(table.probe(hash(0, 1)).collect::<Vec<_>>(), [2, 3], "a probe starting inside the wrapped run");
    }

    #[test]
    fn an_empty_table_finds_nothing() {
        let table = SlotTable::build::<&[(u64, u32)]>(&[], 0);
        assert_eq!(table.probe(0).count() + table.probe(u64::MAX).count(), 0);
    }
}
