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
//! [`HUGE_PAGE_MIN_BYTES`] up, and while [`set_huge_pages`] has not turned it off, it is an
//! anonymous mapping of its own, 2 MiB-aligned and advised before anything touches it, so that its
//! whole 2 MiB ranges fault in as huge pages; the last, partial range stays on small pages, so no
//! memory is spent past the array's end. The kernel zeroes those pages as they first fault in, so
//! the array is never cleared twice ([`mapped_array_bytes`] counts these arrays, which a counting
//! global allocator does not see). A freed one's mapping is kept for the next large array
//! ([`set_recycle_limit`]; `memory/recycler.rs` says why: on virtual machines that hand freed
//! memory back to their host, fresh pages cost several times the work done on them). Smaller
//! arrays, and every array on other platforms, come from the global allocator as usual.
//! [`ByteBuilder`] appends bytes into such an array, for heaps whose size is bounded in advance (a
//! delta's new string data).
//!
//! [`SharedBytes`] is what the read engine's arrays are stored in: an immutable run of bytes that is
//! either an array of its own on the heap (a `LargeArray` or a `Vec`), or a window into a
//! [`Backing`] it keeps alive: a memory-mapped snapshot file ([`crate::mapped`]), or a snapshot
//! blob in memory ([`BlobBuffer`]). Its address and length are fixed when it is made, so reads cost
//! the same wherever the bytes live.
//!
//! A snapshot loaded from memory is read in place: the blob (a store's `Arc<[u8]>`, handed over and
//! collapsed onto huge pages where it lies when large, or a file read into a buffer of our own, on
//! huge pages when large) becomes a [`BlobBuffer`], and
//! every array of the state is a window into it. The load then allocates and copies nothing but its
//! small structures, and its peak memory is the blob's size instead of twice it. Only "file
//! mapping" counts as mapped ([`SharedBytes::is_mapped`]): a buffer is process memory, and a
//! buffer window's [`heap_bytes`](SharedBytes::heap_bytes) is its own length, so per-type heap
//! figures stay meaningful. How long a state keeps a buffer alive once deltas have replaced most of
//! it is bounded by `read/retention.rs` (at most 4/3 of what its windows still read).

mod recycler;

pub use recycler::{recycle_limit, recycled_bytes, set_recycle_limit, DEFAULT_RECYCLE_LIMIT_BYTES};

use std::alloc::{self, Layout};
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use recycler::Region;

/// The size of a huge page on x86-64 and of the usual transparent huge page elsewhere.
pub const HUGE_PAGE_BYTES: usize = 2 << 20;

/// The kernel's ordinary page size on the platforms that have huge pages (x86-64, most aarch64 kernels).
const SMALL_PAGE_BYTES: usize = 4 << 10;

/// Arrays from this size up are placed on huge pages.
pub const HUGE_PAGE_MIN_BYTES: usize = 2 * HUGE_PAGE_BYTES;

static HUGE_PAGES: AtomicBool = AtomicBool::new(true);

/// Bytes of the [`LargeArray`]s alive on mappings of their own (rounded up to whole small pages).
static MAPPED_ARRAY_BYTES: AtomicUsize = AtomicUsize::new(0);

/// Bytes of the arrays that live on anonymous mappings of their own (large arrays on huge pages),
/// which a counting global allocator does not see: add it to the allocator's count to measure the
/// heap a state uses. Counts what the arrays may touch (their length, in whole small pages), not
/// address space reserved for alignment.
pub fn mapped_array_bytes() -> usize {
    MAPPED_ARRAY_BYTES.load(Ordering::Relaxed)
}

/// Whether arrays allocated from now on may use huge pages (on by default). For measuring what
/// huge pages buy, and for machines where they hurt.
pub fn set_huge_pages(enabled: bool) {
    HUGE_PAGES.store(enabled, Ordering::Relaxed);
}

/// Whether arrays allocated now may use huge pages.
pub fn huge_pages() -> bool {
    HUGE_PAGES.load(Ordering::Relaxed)
}

/// Ask the CPU to start loading the cache line that holds `item`, without waiting for it.
///
/// Batch lookups call this on the next keys' table slots and records while they resolve the current
/// ones, so that several independent cache misses are in flight at once instead of one after
/// another. Only a hint: a no-op on targets other than x86-64 (and under Miri), where a lookup is
/// as correct and only slower.
#[inline(always)]
pub(crate) fn prefetch<T>(item: &T) {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    // SAFETY: `_mm_prefetch` needs SSE, which every x86-64 processor has (it is in the target's
    // baseline). `prefetcht0` changes no architectural state and never faults, whatever the address;
    // this one comes from a live reference in any case.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>((item as *const T).cast());
    }
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    let _ = item;
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
    allocation: Allocation,
}

/// Where a [`LargeArray`]'s elements live.
enum Allocation {
    /// Nothing: the array is empty.
    None,
    /// The global allocator's, with this layout.
    Heap(Layout),
    /// An anonymous mapping of our own, the array starting at its first 2 MiB boundary. The kernel
    /// hands its pages over zeroed when they are first touched, so the array needs no pass of its
    /// own to clear them: the zeroing happens once, page by page, right before the first write,
    /// instead of in a memset over the whole array and again in the kernel. (A 2 MiB-aligned
    /// `alloc_zeroed` memsets, and memory the allocator reuses must be cleared: a delta's fresh
    /// shards spent a quarter of their time zeroing twice.) Dropping it hands the mapping to the
    /// [`recycler`], which keeps it for the next large array or unmaps it.
    Mapped(Region),
    /// A mapping as `Mapped`, unmapped when the array is dropped: working memory
    /// ([`LargeArray::scratch`]).
    Scratch(Region),
}

// SAFETY: a LargeArray owns its elements like a Box<[T]> does, and T is Send + Sync.
unsafe impl<T: Element> Send for LargeArray<T> {}
// SAFETY: as above; shared access only hands out &[T].
unsafe impl<T: Element> Sync for LargeArray<T> {}

impl<T: Element> LargeArray<T> {
    /// `len` zero elements.
    pub fn zeroed(len: usize) -> Self {
        Self::allocate(len, true)
    }

    /// `len` elements for a caller that writes every element before reading it: a recycled region
    /// keeps what its last array held instead of being cleared first (any bytes are valid integers,
    /// so this is a matter of results, never of memory safety). Fresh memory is zero as always.
    /// Clearing a recycled region up front cost a delta about a quarter of its time: the memset
    /// runs through the whole array before the writes do, where the kernel clears each page of a
    /// fresh one right before the first write to it, while it is in cache.
    pub(crate) fn for_overwrite(len: usize) -> Self {
        Self::allocate(len, false)
    }

    fn allocate(len: usize, zeroed: bool) -> Self {
        let array = Self::allocate_zeroed_unless_recycled(len, zeroed, true);
        // Debug builds (tests among them) hand out no zeros where none are promised: a writer that
        // reads a bit it never wrote then fails every test, not only those that happen to reuse
        // memory.
        if !zeroed && cfg!(debug_assertions) {
            // SAFETY: `ptr` is valid for `len` elements (dangling only when there are none), and
            // any bytes are a valid integer.
            unsafe { array.ptr.as_ptr().cast::<u8>().write_bytes(0xA5, len * size_of::<T>()) };
        }
        array
    }

    /// `recycle`: take a mapping from the [`recycler`] when one fits, and give it back on drop;
    /// otherwise map afresh and unmap on drop ([`Self::scratch`]).
    fn allocate_zeroed_unless_recycled(len: usize, zeroed: bool, recycle: bool) -> Self {
        let bytes = len.checked_mul(size_of::<T>()).expect("array size overflows usize");
        if bytes == 0 {
            return LargeArray { ptr: NonNull::dangling(), len, allocation: Allocation::None };
        }
        if huge_pages() && cfg!(target_os = "linux") && bytes >= HUGE_PAGE_MIN_BYTES {
            if let Some(array) = Self::mapped(len, bytes, zeroed, recycle) {
                return array;
            }
        }
        let layout = Layout::array::<T>(len).expect("array layout");
        // SAFETY: the layout has a non-zero size.
        let raw = unsafe { alloc::alloc_zeroed(layout) };
        let Some(ptr) = NonNull::new(raw.cast::<T>()) else { alloc::handle_alloc_error(layout) };
        LargeArray { ptr, len, allocation: Allocation::Heap(layout) }
    }

    /// `len` zero elements (`bytes` bytes) at the first 2 MiB boundary of an anonymous mapping,
    /// advised to huge pages before anything touches it. The mapping reaches one huge page past the
    /// array's end so that it can start at a boundary wherever the kernel places it; that slack is
    /// address space only, and so is everything past the array's last small page: the whole 2 MiB
    /// ranges fault in as huge pages, the last, partial one as small pages, only as far as the array
    /// reaches. `None` when the kernel maps nothing (the caller falls back to the heap).
    ///
    /// When `recycle`, a region a freed array left in the [`recycler`] is taken first when one fits:
    /// its pages are resident, so they are zeroed here (when `zeroed`) instead of faulted in afresh.
    fn mapped(len: usize, bytes: usize, zeroed: bool, recycle: bool) -> Option<Self> {
        let mut region = match recycle.then(|| recycler::take(bytes)).flatten() {
            Some(mut region) => {
                if zeroed {
                    // SAFETY: the region's capacity is at least `bytes` from its base, and the
                    // region is ours alone (taken out of the pool, its last array dropped).
                    unsafe { region.base().write_bytes(0, bytes) };
                }
                region
            }
            None => Self::fresh_region(bytes)?,
        };
        let ptr = NonNull::new(region.base().cast::<T>())?;
        MAPPED_ARRAY_BYTES.fetch_add(bytes.next_multiple_of(SMALL_PAGE_BYTES), Ordering::Relaxed);
        let allocation = if recycle { Allocation::Mapped(region) } else { Allocation::Scratch(region) };
        Some(LargeArray { ptr, len, allocation })
    }

    /// A new mapping for `bytes` bytes from a 2 MiB boundary, the array's range advised to huge pages.
    fn fresh_region(bytes: usize) -> Option<Region> {
        let map = match memmap2::MmapMut::map_anon(bytes.checked_add(HUGE_PAGE_BYTES)?) {
            Ok(map) => map,
            Err(error) => {
                tracing::debug!(target: "hollow::memory", bytes, %error, "anonymous mapping failed: using the heap");
                return None;
            }
        };
        let start = map.as_ptr().align_offset(HUGE_PAGE_BYTES).min(HUGE_PAGE_BYTES);
        let mut region = Region::new(map, start);
        advise_huge_pages(region.base(), bytes.next_multiple_of(SMALL_PAGE_BYTES));
        Some(region)
    }

    /// `len` zero elements of working memory, thrown away once something is built: as
    /// [`Self::zeroed`], but a mapping of its own is unmapped when the array is dropped instead of
    /// kept for the next array, and none kept is taken. A recycled region stays resident, which a
    /// consumer that maps its snapshot would hold as private memory for nothing; and allocator
    /// memory freed in small pieces by another thread than the one that took it may not go back to
    /// the system at all (a primary-key build's per-region key lists, 62 KiB each, kept 4 MiB
    /// resident in the helper thread's arena).
    pub(crate) fn scratch(len: usize) -> Self {
        Self::allocate_zeroed_unless_recycled(len, true, false)
    }

    /// True when the array is on a 2 MiB-aligned mapping of its own, advised to huge pages.
    pub fn is_huge(&self) -> bool {
        matches!(self.allocation, Allocation::Mapped(_) | Allocation::Scratch(_))
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

/// Ask the kernel to back the whole 2 MiB pages inside `bytes`, memory already written, with huge
/// pages now (`MADV_COLLAPSE`, Linux 6.1 and later: it copies each 2 MiB into a huge page in place
/// of the small ones, one at a time, so the memory held does not grow). Advice only, as above: a
/// kernel that declines leaves the pages as they are, logged at debug level.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn collapse_to_huge_pages(bytes: &[u8]) {
    let start = (bytes.as_ptr() as usize).next_multiple_of(HUGE_PAGE_BYTES);
    let end = (bytes.as_ptr() as usize + bytes.len()) / HUGE_PAGE_BYTES * HUGE_PAGE_BYTES;
    if end <= start {
        return;
    }
    for advice in [libc::MADV_HUGEPAGE, libc::MADV_COLLAPSE] {
        // SAFETY: `[start, end)` lies inside `bytes`, which the caller keeps alive; neither advice
        // changes the contents of the memory, only the pages behind it.
        let rc = unsafe { libc::madvise(start as *mut libc::c_void, end - start, advice) };
        if rc != 0 {
            tracing::debug!(target: "hollow::memory", bytes = end - start, advice, error = %std::io::Error::last_os_error(), "madvise declined");
            return;
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn collapse_to_huge_pages(_bytes: &[u8]) {}

impl<T: Element> Drop for LargeArray<T> {
    fn drop(&mut self) {
        if let Allocation::Heap(layout) = self.allocation {
            // SAFETY: allocated by `zeroed` with exactly this layout, and not freed before.
            unsafe { alloc::dealloc(self.ptr.as_ptr().cast(), layout) }
        }
        let (region, recycle) = match std::mem::replace(&mut self.allocation, Allocation::None) {
            Allocation::Mapped(region) => (region, true),
            Allocation::Scratch(region) => (region, false),
            Allocation::None | Allocation::Heap(_) => return,
        };
        MAPPED_ARRAY_BYTES.fetch_sub((self.len * size_of::<T>()).next_multiple_of(SMALL_PAGE_BYTES), Ordering::Relaxed);
        if recycle {
            recycler::give(region);
        }
        // A scratch region is unmapped here, as it drops.
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

/// Blob bytes held in memory, which windows ([`SharedBytes::window`]) read in place and keep alive:
/// a blob as a store handed it over (`Arc<[u8]>`), or a blob read or copied into a buffer of our own.
///
/// A buffer of our own is an anonymous mapping: the kernel hands its pages over zeroed (no second
/// pass to clear them), it is 2 MiB-aligned and advised to huge pages when large (as [`LargeArray`]
/// is), and [`BUFFER_PADDING_BYTES`] zero bytes follow the blob, so that every bit array in it,
/// the last one included, can be read in place (see [`crate::encoding::bits`]).
///
/// Cloning shares the bytes.
#[derive(Clone)]
pub struct BlobBuffer {
    bytes: Arc<BufferBytes>,
}

enum BufferBytes {
    /// A blob as its store handed it over.
    Shared(Arc<[u8]>),
    /// A blob at `start` of an anonymous mapping, followed by zero padding.
    Anonymous { map: memmap2::Mmap, start: usize, blob_len: usize },
}

/// Bytes of a file per thread below which [`BlobBuffer::read_file`] reads on one thread.
const PARALLEL_READ_MIN_BYTES: usize = 16 << 20;

/// Fill `dest` from `file` at offset 0, in `threads` contiguous parts read side by side: reading a
/// file into fresh memory is mostly page faults (the copy from the page cache is cheap), and the
/// threads fault their parts at the same time (see [`crate::parallelism`] for what it measured).
fn read_exact_at_parts(file: &std::fs::File, dest: &mut [u8], threads: usize) -> std::io::Result<()> {
    if dest.is_empty() {
        return Ok(());
    }
    let part = dest.len().div_ceil(threads.max(1)).next_multiple_of(HUGE_PAGE_BYTES);
    let parts = dest.chunks_mut(part).collect();
    crate::parallelism::each_on_a_thread(parts, |i, chunk| read_exact_at(file, chunk, (i * part) as u64))
        .into_iter()
        .collect()
}

#[cfg(unix)]
fn read_exact_at(file: &std::fs::File, dest: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, dest, offset)
}

#[cfg(unix)]
fn read_at(file: &std::fs::File, dest: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, dest, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &std::fs::File, mut dest: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    while !dest.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, dest, offset)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                dest = &mut dest[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(windows)]
fn read_at(file: &std::fs::File, dest: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, dest, offset)
}

/// Zero bytes after the blob in a [`BlobBuffer`] of our own: the padding a bit array reads past its
/// payload.
pub const BUFFER_PADDING_BYTES: usize = 16;

impl BlobBuffer {
    /// A blob handed over by a store, read in place (no copy). No padding follows it, so a bit array
    /// in its last 16 bytes is copied when loaded.
    ///
    /// A large blob is moved onto huge pages where it lies (`MADV_COLLAPSE` on Linux): windows
    /// into ordinary pages made lookups about 10% slower than arrays on huge pages.
    pub fn shared(blob: Arc<[u8]>) -> Self {
        if huge_pages() && blob.len() >= HUGE_PAGE_MIN_BYTES {
            collapse_to_huge_pages(&blob);
        }
        BlobBuffer { bytes: Arc::new(BufferBytes::Shared(blob)) }
    }

    /// A copy of `blob` in a buffer of our own.
    ///
    /// # Errors
    ///
    /// The operating system's error when it cannot map the memory.
    pub fn copy_of(blob: &[u8]) -> std::io::Result<Self> {
        Self::filled(blob.len(), |dest| {
            dest.copy_from_slice(blob);
            Ok(())
        })
    }

    /// The contents of the file at `path`, read into a buffer of our own (a large file in parts
    /// read side by side, see [`crate::parallelism`]).
    ///
    /// # Errors
    ///
    /// The operating system's error when the file cannot be read or the memory mapped.
    pub fn read_file(path: &std::path::Path) -> std::io::Result<Self> {
        let file = std::fs::File::open(path)?;
        let len = usize::try_from(file.metadata()?.len()).map_err(std::io::Error::other)?;
        let threads = crate::parallelism::max_threads().min(len / PARALLEL_READ_MIN_BYTES).max(1);
        let buffer = Self::filled(len, |dest| read_exact_at_parts(&file, dest, threads))?;
        // A file that grew since its length was taken: read it whole, as `std::fs::read` would.
        if read_at(&file, &mut [0; 1], len as u64)? != 0 {
            tracing::debug!(target: "hollow::memory", path = %path.display(), "file grew while read: reading it again");
            return Self::copy_of(&std::fs::read(path)?);
        }
        Ok(buffer)
    }

    /// A buffer of our own for `blob_len` bytes, filled by `fill`.
    fn filled(blob_len: usize, fill: impl FnOnce(&mut [u8]) -> std::io::Result<()>) -> std::io::Result<Self> {
        let padded =
            blob_len.checked_add(BUFFER_PADDING_BYTES).ok_or_else(|| std::io::Error::other("blob too large"))?;
        let huge = huge_pages() && cfg!(target_os = "linux") && padded >= HUGE_PAGE_MIN_BYTES;
        // Room to start at a 2 MiB boundary wherever the kernel places the mapping; the slack is
        // address space only, never touched.
        let slack = if huge { HUGE_PAGE_BYTES } else { 0 };
        let mut map = memmap2::MmapMut::map_anon(padded + slack)?;
        let start = if huge { map.as_ptr().align_offset(HUGE_PAGE_BYTES).min(slack) } else { 0 };
        #[cfg(target_os = "linux")]
        if huge {
            if let Err(error) = map.advise(memmap2::Advice::HugePage) {
                tracing::debug!(target: "hollow::memory", bytes = padded, %error, "madvise(MADV_HUGEPAGE) declined");
            }
        }
        fill(&mut map[start..start + blob_len])?;
        let map = map.make_read_only()?;
        Ok(BlobBuffer { bytes: Arc::new(BufferBytes::Anonymous { map, start, blob_len }) })
    }

    /// The blob.
    pub fn blob(&self) -> &[u8] {
        match &*self.bytes {
            BufferBytes::Shared(blob) => blob,
            BufferBytes::Anonymous { map, start, blob_len } => &map[*start..start + blob_len],
        }
    }

    /// The blob and the padding after it: what a window may cover.
    fn readable(&self) -> &[u8] {
        match &*self.bytes {
            BufferBytes::Shared(blob) => blob,
            BufferBytes::Anonymous { map, start, blob_len } => &map[*start..start + blob_len + BUFFER_PADDING_BYTES],
        }
    }

    /// Bytes of memory the buffer holds.
    pub fn held_bytes(&self) -> usize {
        self.readable().len()
    }

    /// Number of handles to the buffer: one per window reading it, plus this one and its other clones.
    pub fn handles(&self) -> usize {
        Arc::strong_count(&self.bytes)
    }

    /// True when `self` and `other` are the same buffer.
    pub fn same_as(&self, other: &BlobBuffer) -> bool {
        Arc::ptr_eq(&self.bytes, &other.bytes)
    }

    /// An address that identifies the buffer while it lives.
    pub(crate) fn id(&self) -> usize {
        Arc::as_ptr(&self.bytes) as usize
    }
}

impl std::fmt::Debug for BlobBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BlobBuffer({} bytes)", self.blob().len())
    }
}

/// What a window's bytes belong to.
#[derive(Clone, Debug)]
pub enum Backing {
    /// A read-only file mapping (see [`crate::mapped`]): page cache, not heap.
    File(Arc<memmap2::Mmap>),
    /// Blob bytes in memory.
    Buffer(BlobBuffer),
}

impl Backing {
    /// The blob the cursor reads.
    pub fn blob(&self) -> &[u8] {
        match self {
            Backing::File(map) => map,
            Backing::Buffer(buffer) => buffer.blob(),
        }
    }

    /// What windows may cover: the blob, and any padding after it.
    fn readable(&self) -> &[u8] {
        match self {
            Backing::File(map) => map,
            Backing::Buffer(buffer) => buffer.readable(),
        }
    }
}

/// Where the bytes of a [`SharedBytes`] live.
enum Owner {
    /// Words on the heap (huge pages when large), for bit arrays.
    Words(LargeArray<u64>),
    /// Bytes on the heap.
    Bytes(Vec<u8>),
    /// The first `len` bytes of an array of our own (huge pages when large), built by a
    /// [`ByteBuilder`].
    Array(LargeArray<u8>),
    /// A window into a file mapping or a blob buffer, kept alive by the handle.
    Window(Backing),
}

/// An immutable run of bytes that is read in place: on the heap, or a window into a shared file
/// mapping or blob buffer.
///
/// Reads never ask where the bytes live: the address and length are fixed when the value is made,
/// and [`Deref`] builds the slice from them, so a window and an array of its own are read by the
/// same instructions (the heap read path pays nothing for windows). Only writes, which the read
/// engine makes while building new shards, look at the owner: a window is copied to the heap
/// before its first write.
pub struct SharedBytes {
    /// Start of the bytes; valid for `len` bytes for as long as `owner` lives (heap allocations do
    /// not move when their owner does, and a window's mapping or buffer is held by its handle).
    ptr: NonNull<u8>,
    len: usize,
    owner: Owner,
}

// SAFETY: the bytes are owned (Vec, LargeArray) or held by an Arc (of a Mmap or a blob buffer), all
// Send + Sync; the raw pointer only ever reads them, except through `&mut self` on an owned
// allocation.
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

    /// `len` bytes at `offset` of `backing`, read in place. `None` when the window is not inside
    /// what the backing can read (its blob and padding).
    pub fn window(backing: &Backing, offset: usize, len: usize) -> Option<Self> {
        let window = backing.readable().get(offset..offset.checked_add(len)?)?;
        let ptr = NonNull::new(window.as_ptr().cast_mut()).expect("slice pointers are never null");
        Some(SharedBytes { ptr, len, owner: Owner::Window(backing.clone()) })
    }

    /// True when the bytes are read from a file mapping (not from the heap, nor from a blob buffer).
    pub fn is_mapped(&self) -> bool {
        matches!(self.owner, Owner::Window(Backing::File(_)))
    }

    /// The blob buffer these bytes are a window into, if they are.
    pub fn buffer(&self) -> Option<&BlobBuffer> {
        match &self.owner {
            Owner::Window(Backing::Buffer(buffer)) => Some(buffer),
            _ => None,
        }
    }

    /// Bytes of memory held: a file window counts nothing (its pages belong to the page cache), a
    /// buffer window its own length (the buffer's other bytes are held for other windows).
    pub fn heap_bytes(&self) -> usize {
        match &self.owner {
            Owner::Window(Backing::File(_)) => 0,
            Owner::Window(Backing::Buffer(_)) => self.len,
            Owner::Words(w) => w.len() * 8,
            Owner::Bytes(b) => b.capacity(),
            // A mapped array gave back its pages past `len` (see `ByteBuilder::finish`).
            Owner::Array(a) if a.is_huge() => self.len.next_multiple_of(SMALL_PAGE_BYTES),
            Owner::Array(a) => a.len(),
        }
    }

    /// Copy a window to bytes of its own (as words when its length is a whole number of them, so
    /// that bit arrays keep their alignment and huge pages); owned bytes stay as they are.
    pub fn detach(&mut self) {
        if matches!(self.owner, Owner::Window(_)) {
            *self = if self.len.is_multiple_of(8) {
                let mut words = LargeArray::<u64>::zeroed(self.len / 8);
                for (word, &bytes) in words.iter_mut().zip(self.as_chunks::<8>().0) {
                    *word = u64::from_ne_bytes(bytes);
                }
                Self::from_words(words)
            } else {
                Self::from_vec(self.to_vec())
            };
        }
    }

    /// The bytes, writable: a window is first copied to the heap ([`Self::detach`]).
    pub fn make_mut(&mut self) -> &mut [u8] {
        self.detach();
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
        // nothing writes them while `&self` is held. A blob buffer is never written once made (an
        // `Arc<[u8]>` is shared immutably, our own mapping is made read-only after it is filled). A
        // file mapping is read-only and opened from a file that hollow-rs never writes in place (see
        // `crate::mapped` for what another process can do).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl Clone for SharedBytes {
    fn clone(&self) -> Self {
        match &self.owner {
            Owner::Window(backing) => {
                SharedBytes { ptr: self.ptr, len: self.len, owner: Owner::Window(backing.clone()) }
            }
            Owner::Words(words) => Self::from_words(words.clone()),
            Owner::Bytes(bytes) => Self::from_vec(bytes.clone()),
            Owner::Array(_) => Self::from_vec(self.to_vec()),
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
        let place = match &self.owner {
            Owner::Window(Backing::File(_)) => "mapped",
            Owner::Window(Backing::Buffer(_)) => "buffer window",
            Owner::Words(_) | Owner::Bytes(_) | Owner::Array(_) => "heap",
        };
        write!(f, "SharedBytes({} bytes, {place})", self.len)
    }
}

/// Bytes appended into an array of our own whose size is known in advance (an upper bound), so
/// that a large one is on huge pages from its first byte (see [`LargeArray`]) instead of growing a
/// `Vec` through the allocator's small pages, one page fault per 4 KiB.
pub struct ByteBuilder {
    array: LargeArray<u8>,
    len: usize,
}

impl ByteBuilder {
    /// An empty builder with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        // Only appended bytes are ever read: the array need not be cleared first.
        ByteBuilder { array: LargeArray::for_overwrite(capacity), len: 0 }
    }

    /// Bytes appended so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing has been appended.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Append `bytes`. Past the capacity given, the array is moved to one twice as large (the
    /// capacity is a bound the caller computed, so this is a fallback, not the plan).
    pub fn extend_from_slice(&mut self, bytes: &[u8]) {
        let end = self.len.checked_add(bytes.len()).expect("byte builder overflows usize");
        if end > self.array.len() {
            self.grow(end);
        }
        self.array[self.len..end].copy_from_slice(bytes);
        self.len = end;
    }

    #[cold]
    fn grow(&mut self, at_least: usize) {
        let mut bigger = LargeArray::zeroed(at_least.max(self.array.len().saturating_mul(2)));
        bigger[..self.len].copy_from_slice(&self.array[..self.len]);
        self.array = bigger;
    }

    /// The bytes appended, as an immutable run. The pages of a mapped array past the bytes (room
    /// the bound gave that was not used) go back to the kernel.
    pub fn finish(self) -> SharedBytes {
        let ByteBuilder { mut array, len } = self;
        if array.is_huge() {
            release_tail(&mut array, len);
        }
        let ptr = array.base_ptr();
        SharedBytes { ptr, len, owner: Owner::Array(array) }
    }
}

/// Give the pages of `array` (a mapping of our own) past its first `used` bytes back to the
/// kernel. Advice only: a kernel that declines keeps them, which wastes memory but reads the same.
#[cfg(target_os = "linux")]
fn release_tail(array: &mut LargeArray<u8>, used: usize) {
    let from = used.next_multiple_of(SMALL_PAGE_BYTES);
    let to = array.len().next_multiple_of(SMALL_PAGE_BYTES);
    if from >= to {
        return;
    }
    // SAFETY: `[from, to)` lies inside the array's mapping (the mapping reaches past the array's last
    // small page), and nothing reads the array past `used`, the only bytes a `SharedBytes` made
    // from it covers; MADV_DONTNEED on private anonymous memory only makes those pages read as zero.
    let rc = unsafe { libc::madvise(array.as_mut_ptr().add(from).cast(), to - from, libc::MADV_DONTNEED) };
    if rc != 0 {
        tracing::debug!(target: "hollow::memory", bytes = to - from, error = %std::io::Error::last_os_error(), "madvise(MADV_DONTNEED) declined");
    }
}

#[cfg(not(target_os = "linux"))]
fn release_tail(_array: &mut LargeArray<u8>, _used: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_read_in_parts_is_the_file() {
        let len = 2 * HUGE_PAGE_BYTES + 12_345;
        let contents: Vec<u8> = (0..len).map(|i| (i * 7 + i / 4099) as u8).collect();
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, &contents).unwrap();
        for threads in [1, 2, 3, 8] {
            let mut dest = vec![0u8; len];
            read_exact_at_parts(&file, &mut dest, threads).unwrap();
            assert!(dest == contents, "{threads} threads");
        }
        // A file shorter than asked for is an error, whichever part comes short.
        for threads in [1, 3] {
            let mut dest = vec![0u8; len + 1];
            let e = read_exact_at_parts(&file, &mut dest, threads).unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof, "{threads} threads");
        }
        read_exact_at_parts(&file, &mut [], 2).unwrap();
        // Through the buffer: the blob is the file, and a zero padding follows it.
        let path = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(path.path(), &contents).unwrap();
        let buffer = BlobBuffer::read_file(path.path()).unwrap();
        assert!(buffer.blob() == contents);
        assert_eq!(buffer.readable()[len..], [0; BUFFER_PADDING_BYTES]);
    }

    /// Pages of `[start, start + len)` (page-aligned) in memory, by `mincore`; 0 on other platforms.
    fn resident_pages(start: usize, len: usize) -> usize {
        #[cfg(target_os = "linux")]
        {
            let mut vec = vec![0u8; len / SMALL_PAGE_BYTES];
            // SAFETY: `vec` has one byte per page of the range; `mincore` only reports on the
            // range (part of a live mapping of ours, or unmapped: then it fails with ENOMEM).
            let rc = unsafe { libc::mincore(start as *mut libc::c_void, len, vec.as_mut_ptr()) };
            assert_eq!(rc, 0, "mincore: {}", std::io::Error::last_os_error());
            vec.iter().filter(|&&b| b & 1 != 0).count()
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (start, len);
            0
        }
    }

    #[test]
    fn arrays_of_every_size_are_zeroed_writable_and_aligned_when_huge() {
        // Residency is checked below, which a recycled region (resident past a smaller array's
        // end) would fail: no unit test here recycles (`tests/recycled_arrays.rs` does, alone).
        set_recycle_limit(0);
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
            if a.is_huge() {
                assert!(len * 8 >= HUGE_PAGE_MIN_BYTES, "{len} words");
                assert_eq!(a.as_ptr() as usize % HUGE_PAGE_BYTES, 0, "{len} words");
                // Writing the last element brought in no memory past the array's last small page: a
                // huge page over the array's end would have brought in the page after it too (the
                // mapping reaches at least one page further).
                let past_end = (a.as_ptr() as usize + len * 8).next_multiple_of(SMALL_PAGE_BYTES);
                assert_eq!(resident_pages(past_end, SMALL_PAGE_BYTES), 0, "{len} words");
            }
        }
        let bytes = LargeArray::<u8>::from_slice(b"hollow");
        assert_eq!(&*bytes, b"hollow");
        let narrow = LargeArray::<u32>::from_slice(&[1, 2, 3]);
        assert_eq!(&*narrow, &[1, 2, 3]);
    }

    #[test]
    fn blob_buffers_hold_the_blob_then_zero_padding_and_windows_keep_them_alive() {
        for len in [0usize, 5, 4093, HUGE_PAGE_MIN_BYTES + 3] {
            let blob: Vec<u8> = (0..len).map(|i| (i * 7 + 1) as u8).collect();
            let mut file = tempfile::NamedTempFile::new().unwrap();
            std::io::Write::write_all(&mut file, &blob).unwrap();
            let own = [BlobBuffer::copy_of(&blob).unwrap(), BlobBuffer::read_file(file.path()).unwrap()];
            for buffer in &own {
                assert_eq!(buffer.blob(), &blob[..], "{len} bytes");
                assert_eq!(buffer.held_bytes(), len + BUFFER_PADDING_BYTES);
                assert!(buffer.readable()[len..].iter().all(|&b| b == 0), "{len} bytes: padding");
            }
            let shared = BlobBuffer::shared(Arc::from(blob.clone()));
            assert_eq!((shared.blob(), shared.held_bytes()), (&blob[..], len));

            // A window may cover the padding of our own buffers, not past it.
            let backing = Backing::Buffer(own[0].clone());
            let mut window = SharedBytes::window(&backing, len / 2, len - len / 2 + BUFFER_PADDING_BYTES).unwrap();
            assert!(SharedBytes::window(&backing, len / 2, len - len / 2 + BUFFER_PADDING_BYTES + 1).is_none());
            assert!(!window.is_mapped() && window.buffer().is_some_and(|b| b.same_as(&own[0])));
            assert_eq!(window.heap_bytes(), window.len());
            assert_eq!(&window[..len - len / 2], &blob[len / 2..]);
            drop(backing);
            assert_eq!(own[0].handles(), 2, "the test's handle and the window's");
            window.make_mut();
            assert!(window.buffer().is_none(), "written, the window has bytes of its own");
            assert_eq!(&window[..len - len / 2], &blob[len / 2..]);
            assert_eq!(own[0].handles(), 1);
        }
    }

    #[test]
    fn mapped_arrays_are_counted_while_they_live() {
        let bytes = HUGE_PAGE_MIN_BYTES + 5 * SMALL_PAGE_BYTES;
        let array = LargeArray::<u8>::zeroed(bytes);
        if array.is_huge() {
            // Other tests allocate at the same time: the count includes at least this array.
            assert!(mapped_array_bytes() >= bytes, "{} counted", mapped_array_bytes());
        }
    }

    #[test]
    fn byte_builders_keep_what_was_appended_and_give_back_the_rest() {
        set_recycle_limit(0);
        // Within the bound, past it (the array moves), and huge with most of the bound unused.
        for (capacity, appends) in [(100usize, 3usize), (10, 40), (HUGE_PAGE_MIN_BYTES + 3 * HUGE_PAGE_BYTES, 5)] {
            let mut builder = ByteBuilder::with_capacity(capacity);
            let mut expected = Vec::new();
            for i in 0..appends {
                let chunk: Vec<u8> = (0..(i * 1000 + 7)).map(|b| (b * 31 + i) as u8).collect();
                builder.extend_from_slice(&chunk);
                expected.extend_from_slice(&chunk);
                assert_eq!(builder.len(), expected.len());
            }
            let huge = builder.array.is_huge();
            let bytes = builder.finish();
            assert_eq!(&*bytes, &expected[..], "capacity {capacity}");
            assert_eq!(bytes.clone(), bytes);
            if huge {
                assert_eq!(bytes.heap_bytes(), expected.len().next_multiple_of(SMALL_PAGE_BYTES));
                // The huge pages the appends touched are back with the kernel past the last byte.
                let past_end = (bytes.as_ptr() as usize + bytes.len()).next_multiple_of(SMALL_PAGE_BYTES);
                assert_eq!(resident_pages(past_end, HUGE_PAGE_BYTES), 0, "capacity {capacity}");
            }
        }
    }

    #[test]
    fn the_switch_turns_huge_pages_off_for_new_arrays() {
        // Other tests may run concurrently: only this test flips the switch, and it restores it.
        set_huge_pages(false);
        let plain = LargeArray::<u64>::zeroed(HUGE_PAGE_MIN_BYTES / 8);
        set_huge_pages(true);
        assert!(!plain.is_huge());
        let huge = LargeArray::<u64>::zeroed(HUGE_PAGE_MIN_BYTES / 8);
        assert_eq!(huge.is_huge(), cfg!(target_os = "linux"));
    }
}
