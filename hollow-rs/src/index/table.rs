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
//! The all-ones entry marks an empty slot: it cannot be a full one, because a value is at most the
//! largest value the table was built for, which is below the all-ones value of its bits. Slots hold
//! their entry's complement, so that an empty slot is a zero word and a table's fresh (zeroed)
//! memory is an empty table as it is.

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

/// A slot word: `u32` or `u64`. A word holds the complement of its entry, so that the empty entry
/// (all ones) is the zero word, which is what fresh memory holds: a new table is empty without a
/// pass over it.
pub(crate) trait Word: Element + Eq + std::fmt::Debug {
    const BITS: u32;
    /// The empty slot.
    const EMPTY: Self;
    /// The entry this word holds.
    fn entry(self) -> u64;
    /// The word holding `entry`.
    fn holding(entry: u64) -> Self;
    /// `bits` in a word (a build's home bits, kept beside the slot words).
    fn of_bits(bits: u32) -> Self;
    /// The bits [`Self::of_bits`] put in.
    fn bits(self) -> u32;
}

impl Word for u32 {
    const BITS: u32 = 32;
    const EMPTY: Self = 0;
    #[inline]
    fn entry(self) -> u64 {
        (!self) as u64
    }
    #[inline]
    fn holding(entry: u64) -> Self {
        !(entry as u32)
    }
    #[inline]
    fn of_bits(bits: u32) -> Self {
        bits
    }
    #[inline]
    fn bits(self) -> u32 {
        self
    }
}

impl Word for u64 {
    const BITS: u32 = 64;
    const EMPTY: Self = 0;
    #[inline]
    fn entry(self) -> u64 {
        !self
    }
    #[inline]
    fn holding(entry: u64) -> Self {
        !entry
    }
    #[inline]
    fn of_bits(bits: u32) -> Self {
        bits as u64
    }
    #[inline]
    fn bits(self) -> u32 {
        self as u32
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

/// The bits a slot gives its value: enough that `max_value` is below the all-ones value (the empty mark).
fn value_bits_for(max_value: u32) -> u32 {
    (64 - (max_value as u64 + 1).leading_zeros()).max(1)
}

/// Slots for `count` entries: 80% load at most, and always one empty slot so that every probe ends.
fn slots_for(count: usize) -> usize {
    (count + count / 4 + 1).max(8)
}

impl SlotTable {
    /// A table holding the entries (key hash, value) of every part; every value is at most
    /// `max_value`, which must be below `u32::MAX`. Duplicates are kept: a probe yields every
    /// value whose fingerprint matches.
    pub(crate) fn build<E: AsRef<[(u64, u32)]>>(parts: &[E], max_value: u32) -> Self {
        let entries = || parts.iter().flat_map(|part| part.as_ref());
        debug_assert!(max_value < u32::MAX && entries().all(|&(_, v)| v <= max_value));
        let value_bits = value_bits_for(max_value);
        let len = slots_for(entries().count());
        let slots = if value_bits <= NARROW_VALUE_BITS {
            Slots::Narrow(fill::<u32, E>(parts, len, value_bits))
        } else {
            Slots::Wide(fill::<u64, E>(parts, len, value_bits))
        };
        SlotTable { slots, value_bits }
    }

    /// The table of a primary-key index: one entry (key hash, root) for every non-null key of every
    /// populated record of the root type, keys read on up to
    /// [`max_threads`](crate::parallelism::max_threads) threads, each over a range of roots, when
    /// there are enough of them. Returns the table and its number of entries.
    pub(crate) fn of_keys<S: Source>(shape: &KeyShape, src: &S) -> (Self, usize) {
        let value_bits = value_bits_for(src.max_populated(shape.root()).unwrap_or(0));
        if value_bits <= NARROW_VALUE_BITS {
            let (slots, entries) = fill_binned(&collect_keys::<u32, S>(shape, src, value_bits));
            (SlotTable { slots: Slots::Narrow(slots), value_bits }, entries)
        } else {
            let (slots, entries) = fill_binned(&collect_keys::<u64, S>(shape, src, value_bits));
            (SlotTable { slots: Slots::Wide(slots), value_bits }, entries)
        }
    }

    /// The values whose fingerprint matches `hash`, in probe order.
    #[inline]
    pub(crate) fn probe(&self, hash: u64) -> Probe<'_> {
        match &self.slots {
            Slots::Narrow(slots) => Probe::Narrow(Run::new(slots, hash, self.value_bits)),
            Slots::Wide(slots) => Probe::Wide(Run::new(slots, hash, self.value_bits)),
        }
    }

    /// The first of [`Self::probe`]'s values for `hash` that `matches`: the same values in the same
    /// order, the slot width chosen once rather than at every slot, as `probe(hash).find(..)` did
    /// (criterion, 1M movies: `read_path/lookup_hit` -31%, `lookup+title` -20%, measured with the
    /// probe loop written out here; through `Run`'s `Iterator::find`, callgrind counts 1% more
    /// instructions a lookup + title).
    #[inline]
    pub(crate) fn find(&self, hash: u64, mut matches: impl FnMut(u32) -> bool) -> Option<u32> {
        match &self.slots {
            Slots::Narrow(slots) => Run::new(slots, hash, self.value_bits).find(|&v| matches(v)),
            Slots::Wide(slots) => Run::new(slots, hash, self.value_bits).find(|&v| matches(v)),
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

/// Slots of width `W` holding the entries of `parts`, inserted in batches whose first slots are
/// read before any is written, so that the cache misses of a batch overlap (entries come in record
/// order, which is random in the table).
fn fill<W: Word, E: AsRef<[(u64, u32)]>>(parts: &[E], len: usize, value_bits: u32) -> LargeArray<W> {
    let mut slots = LargeArray::<W>::zeroed(len);
    for batch in parts.iter().flat_map(|part| part.as_ref().chunks(BUILD_BATCH)) {
        let mut touched = 0u64;
        for &(hash, _) in batch {
            touched ^= slots[home(hash, len)].entry();
        }
        std::hint::black_box(touched);
        for &(hash, value) in batch {
            let word = W::holding((fingerprint::<W>(hash, value_bits) << value_bits) | value as u64);
            insert(&mut slots, home(hash, len), word);
        }
    }
    slots
}

/// Put `word` in the first empty slot from `at` on, wrapping at the end.
#[inline]
fn insert<W: Word>(slots: &mut [W], mut at: usize, word: W) {
    while slots[at] != W::EMPTY {
        at += 1;
        if at == slots.len() {
            at = 0;
        }
    }
    slots[at] = word;
}

/// The entries of a build, ready to be put in slots of width `W`, sorted into regions of the table
/// by home slot as they are collected. A region is named by the top bits of a hash's home bits (its
/// low 32, which [`home`] scales to the table's length), so regions are consecutive runs of slots
/// whatever the length. Filled region after region, a build writes within a window of the table
/// that stays in cache, and threads can fill disjoint runs of regions; in record order, each entry
/// went to a random slot of the whole table, one thread at a time. Each region has room for its
/// share of the entries and an eighth more in one block of working memory; the rare entries past
/// that go to a list of the region's own.
pub(crate) struct Binned<W: Element> {
    /// Right shift of the home bits that leaves the region.
    shift: u32,
    /// Room for this many entries in each region's part of `entries`.
    room: usize,
    /// Home bits and slot word of each entry, region after region (`room` entries each), in
    /// working memory given back when the build ends (see [`LargeArray::scratch`]).
    entries: LargeArray<W>,
    /// Entries in each region's part.
    lens: Vec<usize>,
    /// Entries of a region past its room (rarely any), after those in its part.
    spill: Vec<Vec<(u32, W)>>,
    value_bits: u32,
}

/// Table bytes a build region spans at most: well within a core's L2 cache.
const BUILD_REGION_BYTES: usize = 128 * 1024;

/// Most regions a build sorts its entries into (the streams a key pass writes to).
const MAX_BUILD_REGIONS: usize = 1 << 10;

/// The regions of a build of about `total` entries in slots of width `W`: a power of two.
fn build_regions<W: Word>(total: usize) -> usize {
    #[cfg(test)]
    if let Some(forced) = tests::BUILD_REGIONS.with(|r| r.get()) {
        return forced;
    }
    let table_bytes = slots_for(total) * size_of::<W>();
    table_bytes.div_ceil(BUILD_REGION_BYTES).next_power_of_two().min(MAX_BUILD_REGIONS)
}

/// Threads a primary-key build of `n` records uses.
fn build_threads(n: usize) -> usize {
    #[cfg(test)]
    if let Some(forced) = tests::KEY_THREADS.with(|t| t.get()) {
        return forced;
    }
    crate::parallelism::max_threads().min(n / PARALLEL_MIN_RECORDS).max(1)
}

impl<W: Word> Binned<W> {
    /// Room for about `expected` entries in `regions` (a power of two), in slots giving values
    /// `value_bits`.
    fn new(expected: usize, regions: usize, value_bits: u32) -> Self {
        debug_assert!(regions.is_power_of_two());
        let per_region = expected / regions;
        let room = per_region + per_region / 8 + 16;
        Binned {
            shift: 32 - regions.trailing_zeros(),
            room,
            entries: LargeArray::scratch(2 * room * regions),
            lens: vec![0; regions],
            spill: (0..regions).map(|_| Vec::new()).collect(),
            value_bits,
        }
    }

    #[inline]
    fn push(&mut self, hash: u64, value: u32) {
        let home_bits = hash as u32;
        let word = W::holding((fingerprint::<W>(hash, self.value_bits) << self.value_bits) | value as u64);
        // The shift is at most 32 (one region); the region is below the number of regions.
        let region = ((home_bits as u64) >> self.shift) as usize;
        let len = self.lens[region];
        if len < self.room {
            let at = 2 * (region * self.room + len);
            self.entries[at] = W::of_bits(home_bits);
            self.entries[at + 1] = word;
            self.lens[region] = len + 1;
        } else {
            self.spill[region].push((home_bits, word));
        }
    }

    fn regions(&self) -> usize {
        self.lens.len()
    }

    fn len(&self) -> usize {
        self.lens.iter().sum::<usize>() + self.spill.iter().map(Vec::len).sum::<usize>()
    }

    /// (home bits, slot word) of the entries of `region`, in the order they were pushed.
    fn region(&self, region: usize) -> impl Iterator<Item = (u32, W)> + '_ {
        let start = 2 * region * self.room;
        let part = &self.entries[start..start + 2 * self.lens[region]];
        part.as_chunks::<2>()
            .0
            .iter()
            .map(|&[bits, word]| (bits.bits(), word))
            .chain(self.spill[region].iter().copied())
    }

    /// The first slot a region's entries can home on, in a table of `len` slots (`len` for the
    /// region after the last).
    fn region_start(&self, region: usize, len: usize) -> usize {
        // `home` of the region's smallest home bits, unmasked so that the region after the last
        // (home bits 2^32) gives `len`.
        ((((region as u64) << self.shift) * len as u64) >> 32) as usize
    }
}

/// Slots holding the entries of `parts` (built alike, in root order), and their number. Each of up
/// to [`max_threads`](crate::parallelism::max_threads) threads fills a run of regions; an entry
/// whose probe runs past the end of its thread's run (or of the table) is put in place after they
/// all finish, by the linear probe from its home, which skips full slots whoever filled them. So
/// the table is one that inserting the entries one by one in some order would give, and entries of
/// one key, which share a region, keep their order (the parts', then each part's).
fn fill_binned<W: Word>(parts: &[Binned<W>]) -> (LargeArray<W>, usize) {
    let count = parts.iter().map(Binned::len).sum();
    let len = slots_for(count);
    let mut slots = LargeArray::<W>::zeroed(len);
    let Some(first) = parts.first() else { return (slots, count) };
    let regions = first.regions();
    debug_assert!(parts.iter().all(|part| part.regions() == regions && part.shift == first.shift));
    let threads = build_threads(count).min(regions);
    // Thread t fills regions runs[t]..runs[t + 1], slots bounds[t]..bounds[t + 1].
    let runs: Vec<usize> = (0..=threads).map(|t| t * regions / threads).collect();
    let bounds: Vec<usize> = runs.iter().map(|&r| first.region_start(r, len)).collect();
    let fill_run = |t: usize, run: &mut [W]| {
        let mut overflow = Vec::new();
        for region in runs[t]..runs[t + 1] {
            for part in parts {
                for (home_bits, word) in part.region(region) {
                    let at = home(home_bits as u64, len) - bounds[t];
                    match run[at..].iter().position(|&w| w == W::EMPTY) {
                        Some(free) => run[at + free] = word,
                        None => overflow.push((home_bits, word)),
                    }
                }
            }
        }
        overflow
    };
    let mut runs_of_slots = Vec::with_capacity(threads);
    let mut rest: &mut [W] = &mut slots;
    for t in 0..threads {
        let (run, tail) = rest.split_at_mut(bounds[t + 1] - bounds[t]);
        runs_of_slots.push(run);
        rest = tail;
    }
    let overflow = crate::parallelism::each_on_a_thread(runs_of_slots, fill_run);
    for &(home_bits, word) in overflow.iter().flatten() {
        insert(&mut slots, home(home_bits as u64, len), word);
    }
    (slots, count)
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
}

impl<W: Word> Iterator for Run<'_, W> {
    type Item = u32;

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
            let slot = slot.entry();
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

/// The entries of a primary-key build (see [`SlotTable::of_keys`]), in parts in root order.
fn collect_keys<W: Word, S: Source>(shape: &KeyShape, src: &S, value_bits: u32) -> Vec<Binned<W>> {
    let n = src.populated_count(shape.root());
    let threads = build_threads(n);
    let regions = build_regions::<W>(n);
    let ordinals = src.max_populated(shape.root()).map_or(0, |max| max as usize + 1);
    // Thread t reads the records of ordinals ranges[t]..ranges[t + 1] (a share of the records when
    // the populated ordinals are dense, as they mostly are).
    let ranges: Vec<u32> = (0..=threads).map(|t| (t * ordinals / threads) as u32).collect();
    let keys_in = |t: usize| {
        let mut keys = Binned::new(n / threads, regions, value_bits);
        let visit_range =
            |visit: &mut dyn FnMut(u32)| src.for_each_populated_in(shape.root(), ranges[t]..ranges[t + 1], visit);
        keys_of(shape, src, visit_range, |hash, root, _| keys.push(hash, root));
        keys
    };
    crate::parallelism::each_on_a_thread((0..threads).collect(), |t, _| keys_in(t))
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
        /// Overrides the thread count of a primary-key build's key pass and fill, so that small test
        /// datasets take the parallel paths.
        pub(crate) static KEY_THREADS: Cell<Option<usize>> = const { Cell::new(None) };
        /// Overrides the number of regions a primary-key build sorts its entries into, so that small
        /// test datasets take the region-by-region fill, with probes running across regions and
        /// threads' runs of them.
        pub(crate) static BUILD_REGIONS: Cell<Option<usize>> = const { Cell::new(None) };
    }
}

#[cfg(test)]
mod slot_tests {
    use std::collections::BTreeMap;

    use super::tests::KEY_THREADS;
    use super::{fill_binned, home, Binned, SlotTable, Slots, Word};

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
        assert_eq!(table.find(hash(last, 1), |r| r != 0), Some(2), "find: the first match in probe order");
        assert_eq!(table.find(hash(last, 2), |_| true), Some(1));
        assert_eq!(table.find(hash(last, 3), |_| true), None);
        assert_eq!(table.find(hash(0, 1), |r| r > 2), Some(3), "find inside the wrapped run");
    }

    /// A table of the entries in `parts` (one `Binned` each), filled on `threads` threads.
    fn binned_table(parts: &[&[(u64, u32)]], regions: usize, threads: usize) -> SlotTable {
        let value_bits = 20;
        let binned: Vec<Binned<u32>> = parts
            .iter()
            .map(|entries| {
                let mut b = Binned::new(entries.len(), regions, value_bits);
                entries.iter().for_each(|&(h, v)| b.push(h, v));
                b
            })
            .collect();
        KEY_THREADS.with(|t| t.set(Some(threads)));
        let (slots, count) = fill_binned(&binned);
        KEY_THREADS.with(|t| t.set(None));
        assert_eq!(count, parts.iter().map(|p| p.len()).sum::<usize>());
        SlotTable { slots: Slots::Narrow(slots), value_bits }
    }

    /// Every full slot is reached by a linear probe from its entry's home over full slots only, as
    /// inserting the entries one by one gives, and the entries are those inserted.
    fn assert_linear_probing_table(table: &SlotTable, entries: &[(u64, u32)]) {
        let Slots::Narrow(slots) = &table.slots else { panic!("narrow slots") };
        let len = slots.len();
        let mut expected: Vec<u32> = entries.iter().map(|&(_, v)| v).collect();
        let mut held = Vec::new();
        for (at, &word) in slots.iter().enumerate() {
            if word == u32::EMPTY {
                continue;
            }
            let value = (word.entry() & ((1 << table.value_bits) - 1)) as u32;
            held.push(value);
            let (hash, _) = entries.iter().find(|&&(_, v)| v == value).expect("a value inserted");
            let mut i = home(*hash, len);
            while i != at {
                assert_ne!(slots[i], u32::EMPTY, "slot {i} empty between the home and slot {at} of value {value}");
                i = (i + 1) % len;
            }
        }
        held.sort_unstable();
        expected.sort_unstable();
        assert_eq!(held, expected);
    }

    #[test]
    fn a_binned_fill_on_threads_gives_a_linear_probing_table_and_keeps_duplicates_in_order() {
        let mut entries: Vec<(u64, u32)> = pseudo_random(3000).zip(0..).collect();
        // A pile-up on the last home slot of the first half of the table, past the end of the
        // first thread's slots; another on the last slot of the table, wrapping to the start; and a
        // key filed three times, from two parts.
        let half = u32::MAX / 2;
        entries.extend((0..40).map(|i| (hash(half, i % 3), 3000 + i as u32)));
        entries.extend((0..40).map(|i| (hash(u32::MAX, i % 3), 3040 + i as u32)));
        entries.push((hash(7, 5), 3080));
        entries.push((hash(7, 5), 3081));
        let (first, second) = entries.split_at(1500);
        let mut second = second.to_vec();
        second.push((hash(7, 5), 3082));
        let all: Vec<(u64, u32)> = first.iter().chain(&second).copied().collect();
        for (regions, threads) in [(1, 1), (8, 1), (8, 2), (8, 3), (64, 8)] {
            let table = binned_table(&[first, &second], regions, threads);
            assert_linear_probing_table(&table, &all);
            assert_finds_all(&table, &all);
            assert_eq!(
                table.probe(hash(7, 5)).collect::<Vec<_>>(),
                [3080, 3081, 3082],
                "{regions} regions, {threads} threads"
            );
            assert_eq!(table.probe(hash(u32::MAX, 0)).take(3).collect::<Vec<_>>(), [3040, 3043, 3046]);
        }
    }

    #[test]
    fn an_empty_table_finds_nothing() {
        let table = SlotTable::build::<&[(u64, u32)]>(&[], 0);
        assert_eq!(table.probe(0).count() + table.probe(u64::MAX).count(), 0);
    }
}
