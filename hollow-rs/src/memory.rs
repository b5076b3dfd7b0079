//! Large arrays in memory that the kernel can back with transparent huge pages.
//!
//! A lookup is a chain of dependent loads into arrays of tens of megabytes (the index table, a
//! record's fixed-length bits, its string bytes). With 4 KiB pages each of those cache misses is
//! usually a TLB miss as well, and the page walk adds to the wait. Linux backs memory with 2 MiB
//! pages when the region is 2 MiB-aligned and the process asked for it with
//! `madvise(MADV_HUGEPAGE)` (transparent huge pages in `madvise` mode, the default of many
//! distributions; in `always` mode the advice is redundant, in `never` mode it does nothing).
//!
//! [`LargeArray`] is a fixed-length, zero-initialized array of plain integers. From
//! [`HUGE_PAGE_MIN_BYTES`] up, and while [`set_huge_pages`] has not turned it off, it is allocated
//! 2 MiB-aligned and advised before anything touches it, so that its whole 2 MiB ranges fault in as
//! huge pages; the last, partial range stays on small pages, so no memory is spent past the array's
//! end. Smaller arrays, and every array on other platforms, come from the global allocator as usual.
//!
//! [`SharedBytes`] is what the read engine's arrays are stored in: an immutable run of bytes that is
//! either on the heap (a `LargeArray` or a `Vec`) or a window into a memory-mapped snapshot file
//! ([`crate::mapped`]). Its address and length are fixed when it is made, so reads cost the same
//! wherever the bytes live.

use std::alloc::{self, Layout};
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The size of a huge page on x86-64 and of the usual transparent huge page elsewhere.
pub const HUGE_PAGE_BYTES: usize = 2 << 20;

/// The kernel's ordinary page size on the platforms that have huge pages (x86-64, most aarch64 kernels).
const SMALL_PAGE_BYTES: usize = 4 << 10;

/// Arrays from this size up are placed on huge pages.
pub const HUGE_PAGE_MIN_BYTES: usize = 2 * HUGE_PAGE_BYTES;

static HUGE_PAGES: AtomicBool = AtomicBool::new(true);

/// Whether arrays allocated from now on may use huge pages (on by default). For measuring what
/// huge pages buy, and for machines where they hurt.
pub fn set_huge_pages(enabled: bool) {
    HUGE_PAGES.store(enabled, Ordering::Relaxed);
}

/// Whether arrays allocated now may use huge pages.
pub fn huge_pages() -> bool {
    HUGE_PAGES.load(Ordering::Relaxed)
}

/// Element types of a [`LargeArray`]: integers, for which all-zero bytes are a valid value.
pub trait Element: Copy + Send + Sync + 'static + private::Sealed {}

impl Element for u8 {}
impl Element for u32 {}
impl Element for u64 {}

mod private {
    pub trait Sealed {}
    impl Sealed for u8 {}
    impl Sealed for u32 {}
    impl Sealed for u64 {}
}

/// A fixed-length array of integers, zero-initialized, on huge pages when large (see the module
/// docs). Dereferences to a slice.
pub struct LargeArray<T: Element> {
    ptr: NonNull<T>,
    len: usize,
    /// The layout allocated, `None` for an empty array (which owns no memory).
    layout: Option<Layout>,
}

// SAFETY: a LargeArray owns its elements like a Box<[T]> does, and T is Send + Sync.
unsafe impl<T: Element> Send for LargeArray<T> {}
// SAFETY: as above; shared access only hands out &[T].
unsafe impl<T: Element> Sync for LargeArray<T> {}

impl<T: Element> LargeArray<T> {
    /// `len` zero elements.
    pub fn zeroed(len: usize) -> Self {
        let bytes = len.checked_mul(size_of::<T>()).expect("array size overflows usize");
        if bytes == 0 {
            return LargeArray { ptr: NonNull::dangling(), len, layout: None };
        }
        let huge = huge_pages() && cfg!(target_os = "linux") && bytes >= HUGE_PAGE_MIN_BYTES;
        let layout = if huge {
            // Aligned, but not rounded up to whole huge pages: the kernel backs the whole 2 MiB ranges
            // with huge pages and the last, partial one with small pages, which only fault in as far as
            // the array reaches. (Rounded up, the tail was up to 2 MiB of private memory nobody reads.)
            Layout::from_size_align(bytes.next_multiple_of(SMALL_PAGE_BYTES), HUGE_PAGE_BYTES)
        } else {
            Layout::array::<T>(len)
        }
        .expect("array layout");
        // SAFETY: the layout has a non-zero size.
        let raw = unsafe {
            if huge {
                // Not `alloc_zeroed`: for this alignment it zeroes with a memset, which would
                // fault every page in small before the advice. Advise first, then zero.
                alloc::alloc(layout)
            } else {
                alloc::alloc_zeroed(layout)
            }
        };
        let Some(ptr) = NonNull::new(raw.cast::<T>()) else { alloc::handle_alloc_error(layout) };
        if huge {
            advise_huge_pages(raw, layout.size());
            // SAFETY: `raw` is a fresh allocation of `layout.size() >= bytes` bytes. Only the array's
            // own bytes are zeroed (and so touched): the rest of its last page is never read.
            unsafe { raw.write_bytes(0, bytes) };
        }
        LargeArray { ptr, len, layout: Some(layout) }
    }

    /// The elements of `values`, copied.
    pub fn from_slice(values: &[T]) -> Self {
        let mut array = Self::zeroed(values.len());
        array.copy_from_slice(values);
        array
    }

    /// The first element's address, derived from the allocation itself (not from a borrow), so that
    /// a [`SharedBytes`] can keep it while owning the array.
    fn base_ptr(&self) -> NonNull<T> {
        self.ptr
    }
}

/// Ask the kernel to back `[start, start + len)` (2 MiB-aligned) with huge pages. Advice only:
/// a kernel that declines leaves ordinary pages, so the result is ignored beyond a debug log.
#[cfg(target_os = "linux")]
fn advise_huge_pages(start: *mut u8, len: usize) {
    // SAFETY: the range is one live allocation of ours; MADV_HUGEPAGE changes no contents.
    let rc = unsafe { libc::madvise(start.cast(), len, libc::MADV_HUGEPAGE) };
    if rc != 0 {
        tracing::debug!(target: "hollow::memory", bytes = len, error = %std::io::Error::last_os_error(), "madvise(MADV_HUGEPAGE) declined");
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_start: *mut u8, _len: usize) {}

impl<T: Element> Drop for LargeArray<T> {
    fn drop(&mut self) {
        if let Some(layout) = self.layout {
            // SAFETY: allocated by `zeroed` with exactly this layout, and not freed before.
            unsafe { alloc::dealloc(self.ptr.as_ptr().cast(), layout) }
        }
    }
}

impl<T: Element> Deref for LargeArray<T> {
    type Target = [T];

    #[inline]
    fn deref(&self) -> &[T] {
        // SAFETY: `ptr` points to `len` initialized elements (zeroed at allocation; all-zero bytes
        // are a valid T), or is dangling with nothing to read when the array is empty.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Element> DerefMut for LargeArray<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`, and `&mut self` makes this the only access.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Element> Clone for LargeArray<T> {
    fn clone(&self) -> Self {
        Self::from_slice(self)
    }
}

impl<T: Element + PartialEq> PartialEq for LargeArray<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: Element + Eq> Eq for LargeArray<T> {}

impl<T: Element + std::fmt::Debug> std::fmt::Debug for LargeArray<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LargeArray({} elements)", self.len)
    }
}

/// Where the bytes of a [`SharedBytes`] live.
enum Owner {
    /// Words on the heap (huge pages when large), for bit arrays.
    Words(LargeArray<u64>),
    /// Bytes on the heap.
    Bytes(Vec<u8>),
    /// A window into a read-only file mapping, kept alive by the `Arc` (see [`crate::mapped`]).
    Mapped(Arc<memmap2::Mmap>),
}

/// An immutable run of bytes that is read in place: on the heap, or a window into a shared file
/// mapping.
///
/// Reads never ask where the bytes live: the address and length are fixed when the value is made,
/// and [`Deref`] builds the slice from them, so a mapped array and a heap array are read by the same
/// instructions (the heap read path pays nothing for the mapped mode). Only writes, which the read
/// engine makes while building new shards, look at the owner: a mapped window is copied to the heap
/// before its first write.
pub struct SharedBytes {
    /// Start of the bytes; valid for `len` bytes for as long as `owner` lives (heap allocations do
    /// not move when their owner does, and the mapping is held by the `Arc`).
    ptr: NonNull<u8>,
    len: usize,
    owner: Owner,
}

// SAFETY: the bytes are owned (Vec, LargeArray) or held by an Arc<Mmap>, all Send + Sync; the raw
// pointer only ever reads them, except through `&mut self` on an owned allocation.
unsafe impl Send for SharedBytes {}
// SAFETY: as above; `&self` only hands out `&[u8]`.
unsafe impl Sync for SharedBytes {}

impl SharedBytes {
    /// Owned bytes.
    pub fn from_vec(mut bytes: Vec<u8>) -> Self {
        // `as_mut_ptr` does not go through a borrow of the contents, so the pointer stays valid while
        // the Vec (which never reallocates again) is moved into the owner.
        let ptr = NonNull::new(bytes.as_mut_ptr()).expect("Vec pointers are never null");
        SharedBytes { ptr, len: bytes.len(), owner: Owner::Bytes(bytes) }
    }

    /// Owned words, read as their bytes in memory order.
    pub fn from_words(words: LargeArray<u64>) -> Self {
        let ptr = words.base_ptr().cast::<u8>();
        SharedBytes { ptr, len: words.len() * 8, owner: Owner::Words(words) }
    }

    /// `len` bytes at `offset` of `map`, read in place. `None` when the window is not inside the
    /// mapping.
    pub fn mapped(map: &Arc<memmap2::Mmap>, offset: usize, len: usize) -> Option<Self> {
        let window = map.get(offset..offset.checked_add(len)?)?;
        let ptr = NonNull::new(window.as_ptr().cast_mut()).expect("slice pointers are never null");
        Some(SharedBytes { ptr, len, owner: Owner::Mapped(Arc::clone(map)) })
    }

    /// True when the bytes are read from a file mapping rather than the heap.
    pub fn is_mapped(&self) -> bool {
        matches!(self.owner, Owner::Mapped(_))
    }

    /// Bytes of process heap held (0 for a mapped window: its pages belong to the page cache).
    pub fn heap_bytes(&self) -> usize {
        match &self.owner {
            Owner::Mapped(_) => 0,
            Owner::Words(w) => w.len() * 8,
            Owner::Bytes(b) => b.capacity(),
        }
    }

    /// The bytes, writable: a mapped window is first copied to the heap (as words when its length
    /// is a whole number of them, so that bit arrays keep their alignment and huge pages).
    pub fn make_mut(&mut self) -> &mut [u8] {
        if self.is_mapped() {
            *self = if self.len.is_multiple_of(8) {
                let mut words = LargeArray::<u64>::zeroed(self.len / 8);
                for (word, bytes) in words.iter_mut().zip(self.chunks_exact(8)) {
                    *word = u64::from_ne_bytes(bytes.try_into().expect("8 bytes"));
                }
                Self::from_words(words)
            } else {
                Self::from_vec(self.to_vec())
            };
        }
        // SAFETY: the bytes are owned by `self.owner` (made so above), which nothing else borrows
        // while `&mut self` is held; `ptr` was derived from the allocation, not from a borrow.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Deref for SharedBytes {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        // SAFETY: `ptr` is valid for `len` initialized bytes while `owner` lives (see the field), and
        // nothing writes them while `&self` is held. A mapping is read-only and opened from a file
        // that hollow-rs never writes in place (see `crate::mapped` for what another process can do).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl Clone for SharedBytes {
    fn clone(&self) -> Self {
        match &self.owner {
            Owner::Mapped(map) => SharedBytes { ptr: self.ptr, len: self.len, owner: Owner::Mapped(Arc::clone(map)) },
            Owner::Words(words) => Self::from_words(words.clone()),
            Owner::Bytes(bytes) => Self::from_vec(bytes.clone()),
        }
    }
}

impl Default for SharedBytes {
    fn default() -> Self {
        Self::from_vec(Vec::new())
    }
}

impl PartialEq for SharedBytes {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for SharedBytes {}

impl std::fmt::Debug for SharedBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let place = if self.is_mapped() { "mapped" } else { "heap" };
        write!(f, "SharedBytes({} bytes, {place})", self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_of_every_size_are_zeroed_writable_and_aligned_when_huge() {
        for len in
            [0usize, 1, 7, 1000, HUGE_PAGE_MIN_BYTES / 8 - 1, HUGE_PAGE_MIN_BYTES / 8, 3 * HUGE_PAGE_BYTES / 8 + 5]
        {
            let mut a = LargeArray::<u64>::zeroed(len);
            assert_eq!(a.len(), len);
            assert!(a.iter().all(|&w| w == 0));
            if let Some(last) = a.last_mut() {
                *last = 0xdead_beef;
            }
            let b = a.clone();
            assert_eq!(a, b);
            assert_eq!(b.last().copied(), (len > 0).then_some(0xdead_beef));
            // (The other test may have huge pages switched off for a moment: check what was done.)
            if a.layout.is_some_and(|l| l.align() == HUGE_PAGE_BYTES) {
                assert!(len * 8 >= HUGE_PAGE_MIN_BYTES, "{len} words");
                assert_eq!(a.as_ptr() as usize % HUGE_PAGE_BYTES, 0, "{len} words");
                // Nothing is allocated past the array's last small page.
                let size = a.layout.unwrap().size();
                assert!(size >= len * 8 && size < len * 8 + SMALL_PAGE_BYTES, "{len} words in {size} bytes");
            }
        }
        let bytes = LargeArray::<u8>::from_slice(b"hollow");
        assert_eq!(&*bytes, b"hollow");
        let narrow = LargeArray::<u32>::from_slice(&[1, 2, 3]);
        assert_eq!(&*narrow, &[1, 2, 3]);
    }

    #[test]
    fn the_switch_turns_huge_pages_off_for_new_arrays() {
        // Other tests may run concurrently: only this test flips the switch, and it restores it.
        set_huge_pages(false);
        let plain = LargeArray::<u64>::zeroed(HUGE_PAGE_MIN_BYTES / 8);
        set_huge_pages(true);
        assert_eq!(plain.layout.map(|l| l.align()), Some(align_of::<u64>()));
        let huge = LargeArray::<u64>::zeroed(HUGE_PAGE_MIN_BYTES / 8);
        if cfg!(target_os = "linux") {
            assert_eq!(huge.layout.map(|l| l.align()), Some(HUGE_PAGE_BYTES));
        }
    }
}
