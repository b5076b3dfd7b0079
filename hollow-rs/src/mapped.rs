//! Snapshot files read in place through a memory mapping (`memmap2`), and what that is safe against.
//!
//! In [`MappingMode::Shared`] a snapshot file is mapped read-only and shared, and the read engine
//! decodes only what it must at load (the header, the schemas, shard headers and bit widths, the
//! length and count of each populated-ordinal bitset, and the offset checks of `read/object_data.rs`
//! and `read/collection_data.rs`): the fixed-length words, the var-length bytes and the populated
//! bits are read from the mapping where they lie (unaligned big-endian loads, see
//! [`crate::encoding::bits`] and `read/populated.rs`), so that a mapped consumer's private memory
//! is its indexes and little else. The pages are
//! the kernel's page cache, so every process mapping the same file shares one copy of them. Each
//! shard holds an `Arc` of the mapping, so a reader that holds a state keeps its mapping alive
//! whatever the consumer does next; the file is unmapped when the last state reading it is dropped.
//! A delta applied to a mapped state builds new heap shards for what it changes and keeps every
//! other shard mapped.
//!
//! [`MappingMode::Copy`], the default, reads the file into memory at open (one read into a buffer of
//! the process's own, which the state then reads in place: see [`crate::memory::BlobBuffer`]): the
//! file can then change or disappear without any effect. It is the safe choice whenever the file may
//! be modified.
//!
//! ## What a mapping is exposed to, and what is detected
//!
//! * **A file shorter than its contents claim** (truncated before it was opened): every length in
//!   the blob is checked against the mapping's length while loading, as for a blob in memory, so it
//!   gives [`Error::CorruptBlob`]. Nothing is read outside the mapping.
//! * **A file replaced or rewritten while it loads**: its length, modification time and (on Unix)
//!   device and inode are taken when it is opened and compared, through the path, once the load is
//!   done ([`SnapshotFile::check_unchanged`]); a difference is [`Error::IntegrityCheckFailed`] and
//!   the state is not used. A file replaced by a rename leaves the mapping reading the old file,
//!   which stays whole: that is safe, and detected.
//! * **A file modified in place after the check** cannot be detected: reads see the new bytes
//!   (wrong values, never an out-of-bounds access: every read is bounds-checked against lengths
//!   fixed at load). **A file truncated after it was mapped** makes reads of the lost pages raise
//!   `SIGBUS`, which kills the process; no check can prevent it (the truncation can happen between
//!   any check and the next read).
//!
//! hollow-rs's own stores never do either: the filesystem store and the object store's disk cache
//! write each blob once, to a temporary name renamed into place, and never modify or truncate it
//! afterwards (retention deletes whole files, and a deleted file stays readable through a mapping of
//! it). Mapping is therefore safe for files those stores own, and opt-in for everything else; where
//! another program may modify the files, use [`MappingMode::Copy`]. (A private mapping would not help:
//! on Linux its pages still come from the file until written, and truncation still raises `SIGBUS`.)

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};

/// How a snapshot file becomes a read state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MappingMode {
    /// Read the file into the heap at open (copy-on-open): the default, safe whatever happens to the
    /// file afterwards.
    #[default]
    Copy,
    /// Map the file read-only and shared, and read the records in place (see the module docs for
    /// what the file must not undergo).
    Shared,
}

/// What identifies the file's contents at open, to tell a changed file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Identity {
    len: u64,
    modified: Option<std::time::SystemTime>,
    #[cfg(unix)]
    device_inode: (u64, u64),
}

impl Identity {
    fn of(metadata: &std::fs::Metadata) -> Self {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt;
        Identity {
            len: metadata.len(),
            modified: metadata.modified().ok(),
            #[cfg(unix)]
            device_inode: (metadata.dev(), metadata.ino()),
        }
    }
}

/// A snapshot file mapped read-only.
#[derive(Debug)]
pub struct SnapshotFile {
    path: PathBuf,
    map: Arc<memmap2::Mmap>,
    identity: Identity,
}

impl SnapshotFile {
    /// Map the file at `path`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when it cannot be opened or mapped; [`Error::CorruptBlob`] for an empty file.
    pub fn open(path: &Path) -> Result<Self> {
        let context = || format!("mapping {}", path.display());
        let file = File::open(path).map_err(|e| Error::io(context(), e))?;
        let metadata = file.metadata().map_err(|e| Error::io(context(), e))?;
        if metadata.len() == 0 {
            return Err(Error::corrupt(format!("{} is empty", path.display()), 0));
        }
        // SAFETY: the mapping is read-only and only read through bounds-checked slices whose lengths
        // were checked against the mapping's at load. What another process may still do to the file
        // (modify or truncate it in place) is stated in the module docs, with why hollow-rs's stores
        // never do it, and Copy mode for files that may change.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(context(), e))?;
        let identity = Identity::of(&metadata);
        if map.len() as u64 != identity.len {
            return Err(Error::IntegrityCheckFailed(format!(
                "{}: mapped {} bytes of a {}-byte file",
                path.display(),
                map.len(),
                identity.len
            )));
        }
        Ok(SnapshotFile { path: path.to_owned(), map: Arc::new(map), identity })
    }

    /// The mapped bytes, shared.
    pub fn mapping(&self) -> &Arc<memmap2::Mmap> {
        &self.map
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Check that the file at the path is still the one mapped, unchanged: same length, modification
    /// time and (on Unix) device and inode.
    ///
    /// # Errors
    ///
    /// [`Error::IntegrityCheckFailed`] when anything differs, or the file is gone.
    pub fn check_unchanged(&self) -> Result<()> {
        let now = std::fs::metadata(&self.path).map(|m| Identity::of(&m));
        match now {
            Ok(now) if now == self.identity => Ok(()),
            Ok(now) => Err(Error::IntegrityCheckFailed(format!(
                "{} changed while it was mapped: {:?} at open, {:?} now",
                self.path.display(),
                self.identity,
                now
            ))),
            Err(e) => Err(Error::IntegrityCheckFailed(format!(
                "{} is no longer readable while mapped: {e}",
                self.path.display()
            ))),
        }
    }
}
