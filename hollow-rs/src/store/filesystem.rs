//! A blob store in a directory, in Java Hollow's layout (`HollowFilesystemPublisher`, `...Announcer`,
//! `...BlobRetriever`, `...AnnouncementWatcher`):
//!
//! ```text
//! snapshot-<v>  delta-<from>-<to>  reversedelta-<from>-<to>  header-<v>  announced.version
//! ```
//!
//! How the publishing invariants hold here (see the [store docs](super)):
//!
//! * **Blobs are never overwritten.** A blob is written to a uniquely named hidden staging file (held as
//!   a `tempfile::NamedTempFile`, so every failure path removes it), synced, and then given its final name with
//!   `NamedTempFile::persist_noclobber` (a rename that refuses to replace, or a hard link): it fails if
//!   the name exists, so creating a blob is atomic and create-if-absent, and readers never see a partial
//!   file. The directory is synced after, so the new name survives a crash.
//! * **Announcement is a compare-and-swap.** Under a short exclusive `flock` on `.hollow-announce.lock`,
//!   the announcement file is read, compared with the version the producer expects, and replaced by a
//!   synced temporary file renamed over it (`NamedTempFile::persist`), then the directory is synced.
//! * **One producer at a time.** [`BlobPublisher::lock_producer`] takes an exclusive `flock` on
//!   `.hollow-producer.lock` for the producer's life. The kernel drops it when the process dies, so a
//!   crash never leaves a stale lock; the new holder then removes staging files a crash left.
//!   A lock this process released but a child it is spawning still holds (a `flock` is shared with
//!   a forked child until it execs) is waited for, briefly; a rival's fails at once.
//!
//! File names are parsed whole (Java's retriever matches `delta-<v>` as a prefix, which confuses
//! versions that are prefixes of one another; this one does not). Lookups use a listing of the
//! directory cached until the directory's modification time changes, and relisted on a miss, so a
//! refresh does not list a large directory once per blob.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use super::{
    announce_conflict, AnnouncementWatcher, Announcer, Blob, BlobId, BlobPublisher, BlobRetriever, BlobType,
    ProducerLock, Version,
};
use crate::error::{Error, Result};

/// The announcement file name.
pub const ANNOUNCEMENT_FILE: &str = "announced.version";
/// The file whose `flock` is the producer lock.
pub const PRODUCER_LOCK_FILE: &str = ".hollow-producer.lock";
const ANNOUNCE_LOCK_FILE: &str = ".hollow-announce.lock";
/// Prefix of staging files. The leading dot keeps Java's retriever (which matches name prefixes) from
/// seeing them.
const STAGING_PREFIX: &str = ".staging-";
/// Prefix of temporary announcement files (the pre-lock name `announced.version.tmp` included).
const ANNOUNCEMENT_TMP_PREFIX: &str = "announced.version.tmp";

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

impl StoredBlob {
    /// The blob's name without its path.
    pub fn id(&self) -> BlobId {
        BlobId { blob_type: self.blob_type, from_version: self.from_version, to_version: self.to_version }
    }
}

/// The directory listing, valid while the directory's modification time is `mtime`.
#[derive(Debug, Default)]
struct Listing {
    mtime: Option<SystemTime>,
    blobs: Arc<Vec<StoredBlob>>,
}

/// A directory holding blobs and the announced version. Implements all four store roles.
#[derive(Debug, Clone)]
pub struct FilesystemBlobStore {
    dir: PathBuf,
    poll_interval: Duration,
    listing: Arc<Mutex<Listing>>,
    listings: Arc<AtomicU64>,
}

static UNIQUE_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A name no other writer uses: this process's id, a per-process counter and the time.
fn unique_suffix() -> String {
    let n = UNIQUE_COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{}-{n}-{nanos:08x}", std::process::id())
}

impl FilesystemBlobStore {
    /// A store in `dir`, created if missing (for producers).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the directory cannot be created.
    pub fn create(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        Ok(Self::at(dir))
    }

    /// A store over an existing directory (for consumers); a missing directory is an error.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when `dir` is not an existing directory.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        if !dir.is_dir() {
            return Err(Error::NotFound(format!("blob store directory {}", dir.display())));
        }
        Ok(Self::at(dir))
    }

    fn at(dir: PathBuf) -> Self {
        FilesystemBlobStore {
            dir,
            poll_interval: Duration::from_secs(1),
            listing: Arc::default(),
            listings: Arc::default(),
        }
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

    /// Every blob file in the directory, ordered by destination version, with its path.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the directory cannot be read.
    pub fn stored_blobs(&self) -> Result<Vec<StoredBlob>> {
        Ok(self.listing(false)?.as_ref().clone())
    }

    /// How many times this store (and its clones) listed the directory: lookups reuse one listing until
    /// the directory changes, so a refresh lists it at most about once, however many blobs it reads.
    pub fn directory_listings(&self) -> u64 {
        self.listings.load(Ordering::Relaxed)
    }

    fn list_directory(&self) -> Result<Vec<StoredBlob>> {
        self.listings.fetch_add(1, Ordering::Relaxed);
        let entries = fs::read_dir(&self.dir).map_err(|e| Error::io(format!("listing {}", self.dir.display()), e))?;
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(format!("listing {}", self.dir.display()), e))?;
            let name = entry.file_name();
            if let Some((blob_type, from_version, to_version)) = name.to_str().and_then(Blob::parse_file_name) {
                out.push(StoredBlob { blob_type, from_version, to_version, path: entry.path() });
            }
        }
        out.sort_by_key(|b| (b.to_version, b.from_version, b.blob_type));
        Ok(out)
    }

    /// The cached listing, relisted when the directory changed or when `fresh` is asked for.
    fn listing(&self, fresh: bool) -> Result<Arc<Vec<StoredBlob>>> {
        let mtime = fs::metadata(&self.dir)
            .and_then(|m| m.modified())
            .map_err(|e| Error::io(format!("reading {}", self.dir.display()), e))?;
        let mut cached = self.listing.lock().unwrap_or_else(|e| e.into_inner());
        if fresh || cached.mtime != Some(mtime) {
            // The time is taken before listing: a change during the listing makes the next call relist.
            *cached = Listing { mtime: Some(mtime), blobs: Arc::new(self.list_directory()?) };
        }
        Ok(cached.blobs.clone())
    }

    /// The first listed blob matching `pick`, relisting once if the cached listing has none (a
    /// modification time can miss a change made within the same clock tick).
    fn find(&self, pick: impl Fn(&[StoredBlob]) -> Option<StoredBlob>) -> Result<Option<StoredBlob>> {
        if let Some(found) = pick(&self.listing(false)?) {
            return Ok(Some(found));
        }
        Ok(pick(&self.listing(true)?))
    }

    fn read_blob(&self, stored: &StoredBlob) -> Result<Option<Blob>> {
        let path = &stored.path;
        let data = match fs::read(path) {
            Ok(data) => data,
            // Removed since it was listed (retention): as if it had not been there.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
        };
        Ok(Some(Blob {
            blob_type: stored.blob_type,
            from_version: stored.from_version,
            to_version: stored.to_version,
            data: data.into(),
        }))
    }

    /// Read the blob `pick` finds; if it vanished in between, look once more on a fresh listing.
    fn retrieve(&self, pick: impl Fn(&[StoredBlob]) -> Option<StoredBlob>) -> Result<Option<Blob>> {
        let Some(found) = self.find(&pick)? else { return Ok(None) };
        if let Some(blob) = self.read_blob(&found)? {
            return Ok(Some(blob));
        }
        match pick(&self.listing(true)?) {
            Some(found) => self.read_blob(&found),
            None => Ok(None),
        }
    }

    /// The blob of `blob_type` leaving `from`. The protocol allows only one; should a directory written
    /// by an older producer hold several, the one with the highest destination wins.
    fn pick_from(blobs: &[StoredBlob], blob_type: BlobType, from: Version) -> Option<StoredBlob> {
        blobs
            .iter()
            .filter(|b| b.blob_type == blob_type && b.from_version == Some(from))
            .max_by_key(|b| b.to_version)
            .cloned()
    }

    fn sync_dir(&self) -> Result<()> {
        // Makes the new name durable; where directories cannot be opened as files this is skipped.
        if let Ok(d) = fs::File::open(&self.dir) {
            d.sync_all().map_err(|e| Error::io(format!("syncing {}", self.dir.display()), e))?;
        }
        Ok(())
    }

    /// Write `data` to a fresh temporary file in the directory, named `prefix` and a suffix no other
    /// writer uses, synced. Dropping it without persisting removes it; a crash leaves it for
    /// [`Self::remove_leftovers`].
    ///
    /// The name is made here rather than by `tempfile`'s random one: its random names seed from
    /// `std::thread::current()`, which on a C program's main thread allocates a handle that is never
    /// freed (a leak valgrind reports to every C user).
    fn stage(&self, prefix: &str, data: &[u8]) -> Result<tempfile::NamedTempFile> {
        let path = self.dir.join(format!("{prefix}{}", unique_suffix()));
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
        // Made after the file, so that it never removes a file some other writer created. From here on,
        // dropping `staged` (on any error below) removes the file.
        let temp_path = tempfile::TempPath::try_from_path(&path).map_err(|e| {
            let _ = fs::remove_file(&path);
            Error::io(format!("resolving {}", path.display()), e)
        })?;
        let mut staged = tempfile::NamedTempFile::from_parts(file, temp_path);
        let write = |f: &mut tempfile::NamedTempFile| -> std::io::Result<()> {
            f.write_all(data)?;
            f.as_file().sync_all()
        };
        write(&mut staged).map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        Ok(staged)
    }

    fn open_lock_file(&self, name: &str) -> Result<fs::File> {
        let path = self.dir.join(name);
        fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(format!("opening {}", path.display()), e))
    }

    /// Remove staging and temporary files: only ever called with the producer lock held, when no
    /// other writer can be between staging and linking.
    fn remove_leftovers(&self) -> Result<usize> {
        let entries = fs::read_dir(&self.dir).map_err(|e| Error::io(format!("listing {}", self.dir.display()), e))?;
        let mut removed = 0;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with(STAGING_PREFIX) || name.starts_with(ANNOUNCEMENT_TMP_PREFIX) {
                match fs::remove_file(entry.path()) {
                    Ok(()) => removed += 1,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::io(format!("removing {}", entry.path().display()), e)),
                }
            }
        }
        Ok(removed)
    }

    fn read_announcement(&self) -> Result<Option<Version>> {
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
}

impl BlobPublisher for FilesystemBlobStore {
    fn publish(&self, blob: &Blob) -> Result<()> {
        let name = blob.file_name();
        if let Some(from) = blob.from_version {
            if let Some(rival) = self.find(|blobs| Self::pick_from(blobs, blob.blob_type, from))? {
                return Err(Error::Conflict(format!(
                    "cannot publish {name}: {} already leaves version {from}",
                    rival.path.file_name().and_then(|n| n.to_str()).unwrap_or("another blob")
                )));
            }
        }
        let staged = self.stage(&format!("{STAGING_PREFIX}{name}-"), &blob.data)?;
        let target = self.dir.join(&name);
        // `persist_noclobber` links (or renames without replacing) the staged file to its name: atomic,
        // and failing when the name exists. On failure the staged file is dropped, which removes it.
        match staged.persist_noclobber(&target) {
            Ok(_) => self.sync_dir(),
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Err(Error::Conflict(format!(
                "cannot publish {name}: {} already exists (blobs are never overwritten)",
                target.display()
            ))),
            Err(e) => Err(Error::io(format!("publishing {}", target.display()), e.error)),
        }
    }

    fn delete(&self, id: &BlobId) -> Result<()> {
        let path = self.dir.join(id.file_name());
        match fs::remove_file(&path) {
            Ok(()) => self.sync_dir(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(format!("removing {}", path.display()), e)),
        }
    }

    fn list(&self) -> Result<Vec<BlobId>> {
        Ok(self.listing(true)?.iter().map(StoredBlob::id).collect())
    }

    fn lock_producer(&self) -> Result<Box<dyn ProducerLock>> {
        Ok(Box::new(self.lock_producer_within(RELEASED_HERE_GRACE)?))
    }
}

/// How long taking the producer lock waits for a lock this process released but a child of it still
/// holds (see [`FilesystemBlobStore::lock_producer_within`]).
const RELEASED_HERE_GRACE: Duration = Duration::from_secs(2);

/// What the lock file says once this process has let the lock go.
fn released_by_this_process() -> String {
    format!("released by pid {}", std::process::id())
}

impl FilesystemBlobStore {
    /// Take the producer lock. A `flock` belongs to the open file, and a process that forks shares its
    /// open files with the child until the child execs (the descriptor is close-on-exec): a lock this
    /// process released can so stay taken for as long as another of its threads is spawning a
    /// program. A holder writes its pid into the lock file when it takes the lock and writes that it
    /// released it just before it does; a lock found taken whose file says this process released it
    /// can only be held by such a child, and the attempt waits up to `grace` for it to go. A rival
    /// (another process, or a live lock of this one) fails at once.
    fn lock_producer_within(&self, grace: Duration) -> Result<FilesystemProducerLock> {
        let path = self.dir.join(PRODUCER_LOCK_FILE);
        let file = self.open_lock_file(PRODUCER_LOCK_FILE)?;
        let deadline = Instant::now() + grace;
        let mut pause = Duration::from_millis(1);
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(fs::TryLockError::WouldBlock) => {
                    let holder = fs::read_to_string(&path).unwrap_or_default();
                    let holder = holder.trim();
                    let released_here = holder == released_by_this_process();
                    if released_here && Instant::now() < deadline {
                        std::thread::sleep(pause);
                        pause = (pause * 2).min(Duration::from_millis(50));
                        continue;
                    }
                    return Err(Error::Conflict(format!(
                        "another producer holds the lock on {} ({}{})",
                        self.dir.display(),
                        if holder.is_empty() { "holder unknown" } else { holder },
                        if released_here { ", and still open in a child process of it" } else { "" }
                    )));
                }
                Err(fs::TryLockError::Error(e)) => return Err(Error::io(format!("locking {}", path.display()), e)),
            }
        }
        let lock = FilesystemProducerLock { file, dir: self.dir.clone() };
        // Who holds it, for the message another producer gets.
        lock.write_holder(&format!("pid {} since {:?}", std::process::id(), SystemTime::now()));
        self.remove_leftovers()?;
        Ok(lock)
    }
}

/// The producer lock of a directory: an exclusive `flock` held by the open file, released when it is
/// closed (on drop, or by the kernel when the process dies).
#[derive(Debug)]
struct FilesystemProducerLock {
    file: fs::File,
    dir: PathBuf,
}

impl FilesystemProducerLock {
    /// Replace the lock file's text. Only ever called while holding the lock. Best effort: the text
    /// only words an error message and tells a released lock from a live one (a failure to write
    /// leaves a lock attempt in this process failing where it could have waited).
    fn write_holder(&self, text: &str) {
        use std::io::{Seek, SeekFrom};
        let mut file = &self.file;
        let written =
            file.set_len(0).and_then(|()| file.seek(SeekFrom::Start(0))).and_then(|_| file.write_all(text.as_bytes()));
        if let Err(e) = written {
            tracing::warn!(target: "hollow", dir = %self.dir.display(), error = %e, "could not write the producer lock's holder");
        }
    }
}

impl Drop for FilesystemProducerLock {
    fn drop(&mut self) {
        self.write_holder(&released_by_this_process());
    }
}

impl ProducerLock for FilesystemProducerLock {
    fn renew(&self) -> Result<()> {
        // A flock cannot be taken from its holder; the directory must still be there, though.
        if self.dir.is_dir() {
            Ok(())
        } else {
            Err(Error::NotFound(format!("blob store directory {}", self.dir.display())))
        }
    }
}

impl BlobRetriever for FilesystemBlobStore {
    fn retrieve_snapshot(&self, desired: Version) -> Result<Option<Blob>> {
        self.retrieve(|blobs| {
            blobs
                .iter()
                .filter(|b| b.blob_type == BlobType::Snapshot && b.to_version <= desired)
                .max_by_key(|b| b.to_version)
                .cloned()
        })
    }

    fn retrieve_delta(&self, from: Version) -> Result<Option<Blob>> {
        self.retrieve(|blobs| Self::pick_from(blobs, BlobType::Delta, from))
    }

    fn retrieve_reverse_delta(&self, from: Version) -> Result<Option<Blob>> {
        self.retrieve(|blobs| Self::pick_from(blobs, BlobType::ReverseDelta, from))
    }

    /// The blob's own file: blobs are written under a temporary name and renamed into place, and never
    /// modified afterwards (retention deletes whole files).
    fn local_file(&self, id: &BlobId) -> Option<PathBuf> {
        let path = self.dir.join(id.file_name());
        path.is_file().then_some(path)
    }

    fn retrieve_header(&self, version: Version) -> Result<Option<Blob>> {
        let path = self.dir.join(format!("header-{version}"));
        self.read_blob(&StoredBlob { blob_type: BlobType::Header, from_version: None, to_version: version, path })
    }
}

impl Announcer for FilesystemBlobStore {
    fn announced_version(&self) -> Result<Option<Version>> {
        self.read_announcement()
    }

    fn announce(&self, version: Version, expected: Option<Version>) -> Result<()> {
        let lock = self.open_lock_file(ANNOUNCE_LOCK_FILE)?;
        lock.lock().map_err(|e| Error::io(format!("locking {}", self.dir.join(ANNOUNCE_LOCK_FILE).display()), e))?;
        let actual = self.read_announcement()?;
        if actual != expected {
            return Err(announce_conflict(version, expected, actual));
        }
        let staged = self.stage(&format!("{ANNOUNCEMENT_TMP_PREFIX}-"), version.to_string().as_bytes())?;
        let target = self.dir.join(ANNOUNCEMENT_FILE);
        // A rename over the old announcement: readers see the old version or the new, never a mix.
        staged.persist(&target).map_err(|e| Error::io(format!("writing {}", target.display()), e.error))?;
        self.sync_dir()
        // The announce lock is released when `lock` is dropped here.
    }
}

impl AnnouncementWatcher for FilesystemBlobStore {
    fn latest_version(&self) -> Result<Option<Version>> {
        self.read_announcement()
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

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        names
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
        let names: Vec<_> = names(&dir).into_iter().filter(|n| !n.starts_with('.')).collect();
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
        assert_eq!(store.retrieve_header(100).unwrap(), None);
        let listed: Vec<_> = store.list().unwrap().iter().map(BlobId::file_name).collect();
        assert_eq!(listed, ["snapshot-100", "reversedelta-1000-100", "header-1000", "delta-100-1000"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn blobs_are_created_once_and_never_overwritten() {
        let dir = temp_dir("no-overwrite");
        let store = FilesystemBlobStore::create(&dir).unwrap();
        store.publish(&Blob::snapshot(5, vec![1])).unwrap();
        let again = store.publish(&Blob::snapshot(5, vec![2])).unwrap_err();
        assert!(matches!(again, Error::Conflict(_)), "{again}");
        assert_eq!(fs::read(dir.join("snapshot-5")).unwrap(), [1]);
        store.publish(&Blob::delta(5, 6, vec![3])).unwrap();
        let rival = store.publish(&Blob::delta(5, 7, vec![4])).unwrap_err();
        assert!(rival.to_string().contains("delta-5-6"), "{rival}");
        assert!(!dir.join("delta-5-7").exists());
        // No staging file is left behind by a success or a collision.
        assert!(names(&dir).iter().all(|n| !n.starts_with(STAGING_PREFIX)), "{:?}", names(&dir));
        store.delete(&Blob::delta(5, 6, vec![]).id()).unwrap();
        store.delete(&Blob::delta(5, 6, vec![]).id()).unwrap();
        store.publish(&Blob::delta(5, 7, vec![4])).unwrap();
        assert_eq!(store.retrieve_delta(5).unwrap().unwrap().to_version, 7);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn announcement_is_a_compare_and_swap() {
        let dir = temp_dir("cas");
        let store = FilesystemBlobStore::create(&dir).unwrap();
        store.announce(1, None).unwrap();
        let lost = store.announce(2, None).unwrap_err();
        assert!(matches!(lost, Error::Conflict(_)) && lost.to_string().contains("announced version 1"), "{lost}");
        store.announce(2, Some(1)).unwrap();
        // Racing announcers from the same version: exactly one wins.
        let winners: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|i| {
                    let store = store.clone();
                    s.spawn(move || store.announce(10 + i, Some(2)).is_ok())
                })
                .collect();
            handles.into_iter().map(|h| usize::from(h.join().unwrap())).sum()
        });
        assert_eq!(winners, 1);
        let now = store.announced_version().unwrap().unwrap();
        assert!((10..18).contains(&now));
        assert!(names(&dir).iter().all(|n| !n.starts_with(ANNOUNCEMENT_TMP_PREFIX)));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn producer_lock_is_exclusive_and_cleans_leftovers() {
        let dir = temp_dir("lock");
        let store = FilesystemBlobStore::create(&dir).unwrap();
        fs::write(dir.join(".staging-snapshot-9-123-0-0"), b"partial").unwrap();
        fs::write(dir.join("announced.version.tmp"), b"9").unwrap();
        let held = store.lock_producer().unwrap();
        assert!(names(&dir).iter().all(|n| !n.starts_with(STAGING_PREFIX) && !n.starts_with("announced")));
        held.renew().unwrap();
        let second = FilesystemBlobStore::open(&dir).unwrap();
        let err = second.lock_producer().unwrap_err();
        assert!(matches!(err, Error::Conflict(_)), "{err}");
        assert!(err.to_string().contains(&format!("pid {}", std::process::id())), "{err}");
        drop(held);
        second.lock_producer().unwrap();
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_lock_released_here_but_open_in_a_child_is_waited_for_and_a_live_one_is_not() {
        let dir = temp_dir("lock-released");
        let store = FilesystemBlobStore::create(&dir).unwrap();
        // A child between fork and exec holds a copy of the lock's descriptor: a cloned descriptor
        // shares the open file, and so the flock, the same way.
        let lock = store.lock_producer_within(Duration::ZERO).unwrap();
        let in_child = lock.file.try_clone().unwrap();
        drop(lock);
        let err = store.lock_producer_within(Duration::ZERO).unwrap_err();
        let released = format!("released by pid {}, and still open in a child process of it", std::process::id());
        assert!(matches!(&err, Error::Conflict(m) if m.contains(&released)), "{err}");
        let child_execs = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            drop(in_child);
        });
        let started = Instant::now();
        let lock = store.lock_producer_within(Duration::from_secs(30)).unwrap();
        assert!(started.elapsed() >= Duration::from_millis(100));
        child_execs.join().unwrap();
        // A live lock of this process is a rival: no waiting, whatever the grace.
        let started = Instant::now();
        let err = FilesystemBlobStore::open(&dir).unwrap().lock_producer_within(Duration::from_secs(30)).unwrap_err();
        assert!(matches!(&err, Error::Conflict(m) if !m.contains("child")), "{err}");
        assert!(started.elapsed() < Duration::from_secs(10));
        // Nor is one another process holds: its holder file names that process.
        let in_other = lock.file.try_clone().unwrap();
        drop(lock);
        fs::write(dir.join(PRODUCER_LOCK_FILE), "pid 1 since then").unwrap();
        let err = store.lock_producer_within(Duration::from_secs(30)).unwrap_err();
        assert!(matches!(&err, Error::Conflict(m) if m.contains("pid 1 since then") && !m.contains("child")), "{err}");
        drop(in_other);
        store.lock_producer_within(Duration::ZERO).unwrap();
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn lookups_see_blobs_added_after_the_listing_was_cached() {
        let dir = temp_dir("cache");
        let store = FilesystemBlobStore::create(&dir).unwrap();
        store.publish(&Blob::snapshot(1, vec![1])).unwrap();
        assert_eq!(store.retrieve_delta(1).unwrap(), None);
        // Another process (a second handle with its own cache) publishes the next delta.
        FilesystemBlobStore::open(&dir).unwrap().publish(&Blob::delta(1, 2, vec![2])).unwrap();
        assert_eq!(store.retrieve_delta(1).unwrap().unwrap().to_version, 2);
        // A blob removed behind the cache's back is not found, not an I/O error.
        fs::remove_file(dir.join("delta-1-2")).unwrap();
        assert_eq!(store.retrieve_delta(1).unwrap(), None);
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
