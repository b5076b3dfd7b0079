//! A blob store in a directory, in Java Hollow's layout (`HollowFilesystemPublisher`, `...Announcer`,
//! `...BlobRetriever`, `...AnnouncementWatcher`):
//!
//! ```text
//! snapshot-<v>  delta-<from>-<to>  reversedelta-<from>-<to>  header-<v>  announced.version
//! ```
//!
//! Blobs are written to a hidden staging file in the same directory and renamed into place, and the
//! announcement is written to `announced.version.tmp` and renamed, so readers never see a partial file.
//! File names are parsed whole (Java's retriever matches `delta-<v>` as a prefix, which confuses
//! versions that are prefixes of one another; this one does not).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::{AnnouncementWatcher, Announcer, Blob, BlobPublisher, BlobRetriever, BlobType, Version};
use crate::error::{Error, Result};

/// The announcement file name.
pub const ANNOUNCEMENT_FILE: &str = "announced.version";
const ANNOUNCEMENT_TMP_FILE: &str = "announced.version.tmp";

/// A blob file found in the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    /// What the blob holds.
    pub blob_type: BlobType,
    /// The version it applies to (deltas and reverse deltas).
    pub from_version: Option<Version>,
    /// The version it leads to.
    pub to_version: Version,
    /// Where it is.
    pub path: PathBuf,
}

/// A directory holding blobs and the announced version. Implements all four store roles.
#[derive(Debug, Clone)]
pub struct FilesystemBlobStore {
    dir: PathBuf,
    poll_interval: Duration,
}

static STAGING_COUNTER: AtomicU64 = AtomicU64::new(0);

impl FilesystemBlobStore {
    /// A store in `dir`, created if missing.
    pub fn create(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        Ok(Self::at(dir))
    }

    /// A store over an existing directory (for consumers); a missing directory is an error.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        if !dir.is_dir() {
            return Err(Error::NotFound(format!("blob store directory {}", dir.display())));
        }
        Ok(Self::at(dir))
    }

    fn at(dir: PathBuf) -> Self {
        FilesystemBlobStore { dir, poll_interval: Duration::from_secs(1) }
    }

    /// How often [`AnnouncementWatcher::wait_for_change`] looks at the announcement file (1 s, as Java).
    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every blob file in the directory, ordered by destination version.
    pub fn list(&self) -> Result<Vec<StoredBlob>> {
        let entries = fs::read_dir(&self.dir).map_err(|e| Error::io(format!("listing {}", self.dir.display()), e))?;
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(format!("listing {}", self.dir.display()), e))?;
            let name = entry.file_name();
            if let Some((blob_type, from_version, to_version)) = name.to_str().and_then(Blob::parse_file_name) {
                out.push(StoredBlob { blob_type, from_version, to_version, path: entry.path() });
            }
        }
        out.sort_by_key(|b| (b.to_version, b.from_version, b.blob_type.file_prefix()));
        Ok(out)
    }

    fn read_blob(&self, stored: &StoredBlob) -> Result<Blob> {
        let path = &stored.path;
        let data = fs::read(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        Ok(Blob {
            blob_type: stored.blob_type,
            from_version: stored.from_version,
            to_version: stored.to_version,
            data: data.into(),
        })
    }

    /// The blob of `blob_type` leaving `from`. If a failed producer cycle left an unannounced blob from
    /// the same version, the one with the highest destination (published last, since versions increase)
    /// wins, as in the in-memory store.
    fn find_from(&self, blob_type: BlobType, from: Version) -> Result<Option<Blob>> {
        let candidates = self.list()?.into_iter().filter(|b| b.blob_type == blob_type && b.from_version == Some(from));
        let found = candidates.max_by_key(|b| b.to_version);
        found.map(|b| self.read_blob(&b)).transpose()
    }

    fn write_atomically(&self, final_name: &str, tmp_name: &str, data: &[u8]) -> Result<()> {
        let tmp = self.dir.join(tmp_name);
        let target = self.dir.join(final_name);
        let write = || -> std::io::Result<()> {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(data)?;
            f.sync_all()?;
            fs::rename(&tmp, &target)
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            Error::io(format!("writing {}", target.display()), e)
        })
    }
}

impl BlobPublisher for FilesystemBlobStore {
    fn publish(&self, blob: &Blob) -> Result<()> {
        let name = blob.file_name();
        // A leading dot keeps Java's retriever (which matches name prefixes) from seeing staging files.
        let n = STAGING_COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = format!(".staging-{name}-{}-{n}", std::process::id());
        self.write_atomically(&name, &tmp, &blob.data)
    }
    // TEMP stub (objstore branch only, dropped at merge).
    fn delete(&self, id: &super::BlobId) -> Result<()> {
        let _ = fs::remove_file(self.dir.join(id.file_name()));
        Ok(())
    }
    fn list(&self) -> Result<Vec<super::BlobId>> {
        Ok(FilesystemBlobStore::list(self)?
            .into_iter()
            .map(|b| super::BlobId { blob_type: b.blob_type, from_version: b.from_version, to_version: b.to_version })
            .collect())
    }
    fn lock_producer(&self) -> Result<Box<dyn super::ProducerLock>> {
        Ok(Box::new(TempLock))
    }
}

/// TEMP stub (objstore branch only).
#[derive(Debug)]
struct TempLock;
impl super::ProducerLock for TempLock {
    fn renew(&self) -> Result<()> {
        Ok(())
    }
}

impl BlobRetriever for FilesystemBlobStore {
    fn retrieve_snapshot(&self, desired: Version) -> Result<Option<Blob>> {
        let best = self
            .list()?
            .into_iter()
            .filter(|b| b.blob_type == BlobType::Snapshot && b.to_version <= desired)
            .max_by_key(|b| b.to_version);
        best.map(|b| self.read_blob(&b)).transpose()
    }

    fn retrieve_delta(&self, from: Version) -> Result<Option<Blob>> {
        self.find_from(BlobType::Delta, from)
    }

    fn retrieve_reverse_delta(&self, from: Version) -> Result<Option<Blob>> {
        self.find_from(BlobType::ReverseDelta, from)
    }

    fn retrieve_header(&self, version: Version) -> Result<Option<Blob>> {
        let path = self.dir.join(format!("header-{version}"));
        if !path.is_file() {
            return Ok(None);
        }
        self.read_blob(&StoredBlob { blob_type: BlobType::Header, from_version: None, to_version: version, path })
            .map(Some)
    }
}

impl Announcer for FilesystemBlobStore {
    fn announced_version(&self) -> Result<Option<Version>> {
        self.latest_version()
    }
    fn announce(&self, version: Version, _expected: Option<Version>) -> Result<()> {
        self.write_atomically(ANNOUNCEMENT_FILE, ANNOUNCEMENT_TMP_FILE, version.to_string().as_bytes())
    }
}

impl AnnouncementWatcher for FilesystemBlobStore {
    fn latest_version(&self) -> Result<Option<Version>> {
        let path = self.dir.join(ANNOUNCEMENT_FILE);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
        };
        let line = text.lines().next().unwrap_or("").trim();
        line.parse::<Version>()
            .map(Some)
            .map_err(|_| Error::InvalidArgument(format!("{} does not hold a version: {line:?}", path.display())))
    }

    fn wait_for_change(&self, seen: Option<Version>, timeout: Duration) -> Result<Option<Version>> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let v = self.latest_version()?;
            let now = std::time::Instant::now();
            if v != seen || now >= deadline {
                return Ok(v);
            }
            std::thread::sleep((deadline - now).min(self.poll_interval));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("hollow-fs-test-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn publishes_in_java_layout_and_retrieves() {
        let dir = temp_dir("layout");
        let store = FilesystemBlobStore::create(&dir).unwrap();
        store.publish(&Blob::snapshot(100, vec![1, 2])).unwrap();
        store.publish(&Blob::delta(100, 1000, vec![3])).unwrap();
        store.publish(&Blob::reverse_delta(1000, 100, vec![4])).unwrap();
        store.publish(&Blob::header(1000, vec![5])).unwrap();
        store.announce(1000, None).unwrap();
        let mut names: Vec<_> =
            fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        assert_eq!(
            names,
            ["announced.version", "delta-100-1000", "header-1000", "reversedelta-1000-100", "snapshot-100"]
        );
        assert_eq!(fs::read_to_string(dir.join("announced.version")).unwrap(), "1000");

        assert_eq!(store.latest_version().unwrap(), Some(1000));
        assert_eq!(&*store.retrieve_snapshot(999).unwrap().unwrap().data, &[1, 2]);
        assert_eq!(store.retrieve_snapshot(99).unwrap(), None);
        // "delta-10" is a prefix of "delta-100-..." but not the delta from version 10.
        assert_eq!(store.retrieve_delta(10).unwrap(), None);
        assert_eq!(store.retrieve_delta(100).unwrap().unwrap().to_version, 1000);
        assert_eq!(store.retrieve_reverse_delta(1000).unwrap().unwrap().to_version, 100);
        assert_eq!(&*store.retrieve_header(1000).unwrap().unwrap().data, &[5]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn reads_the_java_vector_directory() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/strings/blobs");
        let store = FilesystemBlobStore::open(&dir).unwrap();
        assert_eq!(store.latest_version().unwrap(), Some(20250101000000003));
        let snap = store.retrieve_snapshot(20250101000000002).unwrap().unwrap();
        assert_eq!((snap.to_version, snap.data.len()), (20250101000000002, 2356));
        let delta = store.retrieve_delta(20250101000000002).unwrap().unwrap();
        assert_eq!((delta.to_version, delta.data.len()), (20250101000000003, 9944));
        let rev = store.retrieve_reverse_delta(20250101000000003).unwrap().unwrap();
        assert_eq!((rev.to_version, rev.data.len()), (20250101000000002, 1285));
    }

    #[test]
    fn missing_directory_and_bad_announcement_are_errors() {
        assert!(matches!(FilesystemBlobStore::open("/nonexistent/hollow"), Err(Error::NotFound(_))));
        let dir = temp_dir("bad-announce");
        let store = FilesystemBlobStore::create(&dir).unwrap();
        assert_eq!(store.latest_version().unwrap(), None);
        fs::write(dir.join(ANNOUNCEMENT_FILE), "not a version").unwrap();
        assert!(matches!(store.latest_version(), Err(Error::InvalidArgument(_))));
        fs::remove_dir_all(&dir).unwrap();
    }
}
