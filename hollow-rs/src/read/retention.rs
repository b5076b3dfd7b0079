//! How much of a blob buffer a state keeps alive.
//!
//! A snapshot loaded from a blob in memory (a [`BlobBuffer`]) reads its arrays in place: every
//! array is a window, and every window holds the whole buffer. A delta replaces the shards it
//! touches with arrays of their own; the windows of the others would keep the whole buffer alive
//! for as long as any of them lives, though less and less of it is read.
//!
//! Invariant: in a state returned by a load or a delta, for every blob buffer it reads, the windows
//! into it cover at least [`MIN_COVERED`] (3/4) of the buffer's bytes, so the memory the state
//! holds for windows is at most 4/3 of what they reference, buffer by buffer; or the buffer's
//! unread bytes are at most [`MAX_UNREAD_KEPT`] (64 KiB), which small blobs always pass (their
//! header and schemas alone can be a quarter of them, and copying them out would save nothing).
//! It holds because
//! nothing but a snapshot load makes windows (deltas are read from slices and build arrays of their
//! own), and [`release_sparse_buffers`] runs at the end of every load and delta: it sums, per
//! buffer, the bytes its windows cover, and copies the windows of every buffer below the bound to
//! arrays of their own, so that the state no longer reads that buffer at all. (The previous state
//! still holds the buffer until it is dropped.) The copy costs at most 3/4 of the buffer, once per
//! buffer: a released buffer has no windows left to release.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use super::TypeReadState;
use crate::memory::BlobBuffer;

/// The share of a buffer its windows must cover for the state to keep reading it: 3/4, as
/// (numerator, denominator).
pub(crate) const MIN_COVERED: (u128, u128) = (3, 4);

/// Unread bytes a buffer may keep whatever its share.
pub(crate) const MAX_UNREAD_KEPT: usize = 64 << 10;

/// Copy out the windows into every buffer the windows of `types` cover less than [`MIN_COVERED`]
/// of, with more than [`MAX_UNREAD_KEPT`] bytes unread. Returns the bytes copied.
pub(super) fn release_sparse_buffers(types: &mut BTreeMap<String, Arc<TypeReadState>>) -> usize {
    // Per buffer: bytes covered by windows, bytes the buffer holds.
    let mut coverage: HashMap<usize, (usize, usize)> = HashMap::new();
    for state in types.values() {
        state.for_each_storage(&mut |bytes| {
            if let Some(buffer) = bytes.buffer() {
                coverage.entry(buffer.id()).or_insert((0, buffer.held_bytes())).0 += bytes.len();
            }
        });
    }
    let (num, den) = MIN_COVERED;
    let sparse: HashSet<usize> = coverage
        .iter()
        .filter(|(_, &(covered, held))| {
            (covered as u128) * den < (held as u128) * num && held.saturating_sub(covered) > MAX_UNREAD_KEPT
        })
        .map(|(&id, _)| id)
        .collect();
    if sparse.is_empty() {
        return 0;
    }
    let release = |buffer: &BlobBuffer| sparse.contains(&buffer.id());
    let mut copied = 0;
    for state in types.values_mut() {
        // Whether the state reads a released buffer at all: an empty window holds its buffer too.
        let (mut reads_released, mut affected) = (false, 0);
        state.for_each_storage(&mut |bytes| {
            if bytes.buffer().is_some_and(release) {
                reads_released = true;
                affected += bytes.len();
            }
        });
        if reads_released {
            *state = Arc::new(state.with_windows_detached(&release));
            copied += affected;
        }
    }
    tracing::debug!(
        target: "hollow::read",
        buffers = sparse.len(),
        bytes = copied,
        "blob buffers mostly unread: their remaining windows copied out so they can be freed"
    );
    copied
}
