//! A directory of retrieved blobs, so that a restarted consumer does not download them again.
//!
//! Invariant: a file under its final name holds a whole, verified blob. Blobs are written to a temporary
//! name, checked against the length they were retrieved with, and renamed into place (atomic on one file
//! system), and the final name carries that length (`<java name>.<length>.blob`), so a file whose length
//! differs (a disk that lost data) is removed instead of served. Entries are keyed by the blob's full id
//! (both versions of a delta), which names one state forever (blobs are never overwritten), so an entry
//! never goes stale. Each store URL gets its own subdirectory.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::encoding::hash;
use crate::error::{Error, Result};
use crate::store::{Blob, BlobId};

#[derive(Debug)]
pub(crate) struct DiskCache {
    dir: PathBuf,
}

impl DiskCache {
    pub(crate) fn new(root: &Path, url: &str) -> Result<Self> {
        let dir = root.join(format!("{:08x}", hash::murmur3(url.as_bytes()) as u32));
        fs::create_dir_all(&dir).map_err(|e| Error::io(format!("creating cache directory {}", dir.display()), e))?;
        Ok(DiskCache { dir })
    }

    /// The cached blob `id`, if a whole one is here.
    pub(crate) fn get(&self, id: &BlobId) -> Result<Option<Blob>> {
        let stem = format!("{}.", id.file_name());
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) => return Err(Error::io(format!("reading {}", self.dir.display()), e)),
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let Some(len) = name.strip_prefix(&stem).and_then(|r| r.strip_suffix(".blob")) else { continue };
            let Ok(len) = len.parse::<u64>() else { continue };
            let path = entry.path();
            match Self::read(&path, len) {
                Ok(Some(data)) => {
                    return Ok(Some(Blob {
                        blob_type: id.blob_type,
                        from_version: id.from_version,
                        to_version: id.to_version,
                        data,
                    }))
                }
                // Not the length it was stored with: drop it and download again.
                _ => {
                    let _ = fs::remove_file(&path);
                }
            }
        }
        Ok(None)
    }

    /// The file of the cached blob `id`, if a whole one is here (its length is the one in its name).
    pub(crate) fn path(&self, id: &BlobId) -> Option<PathBuf> {
        let stem = format!("{}.", id.file_name());
        fs::read_dir(&self.dir).ok()?.flatten().find_map(|entry| {
            let name = entry.file_name();
            let len = name.to_str()?.strip_prefix(&stem)?.strip_suffix(".blob")?.parse::<u64>().ok()?;
            let path = entry.path();
            (fs::metadata(&path).ok()?.len() == len).then_some(path)
        })
    }

    fn read(path: &Path, len: u64) -> std::io::Result<Option<Arc<[u8]>>> {
        let mut file = fs::File::open(path)?;
        if file.metadata()?.len() != len {
            return Ok(None);
        }
        let len = usize::try_from(len).map_err(std::io::Error::other)?;
        let mut data: Arc<[u8]> = std::iter::repeat_n(0u8, len).collect();
        let buf = Arc::get_mut(&mut data).ok_or_else(|| std::io::Error::other("buffer shared"))?;
        file.read_exact(buf)?;
        Ok(Some(data))
    }

    /// Keep `blob` (retrieved whole and checked by the caller).
    pub(crate) fn put(&self, blob: &Blob) -> Result<()> {
        let name = format!("{}.{}.blob", blob.file_name(), blob.data.len());
        let target = self.dir.join(&name);
        let tmp = self.dir.join(format!(".{name}.{}-{:x}.tmp", std::process::id(), super::random_u64()));
        let write = || -> std::io::Result<()> {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(&blob.data)?;
            f.sync_all()?;
            if f.metadata()?.len() != blob.data.len() as u64 {
                return Err(std::io::Error::other("cache file length differs from the blob's"));
            }
            fs::rename(&tmp, &target)
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            Error::io(format!("caching {}", target.display()), e)
        })
    }
}
