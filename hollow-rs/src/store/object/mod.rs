//! A blob store on any object store the `object_store` crate reaches: S3 (and S3-compatible servers),
//! Google Cloud Storage, Azure Blob Storage, or memory (`memory://`, for tests).
//!
//! [`ObjectStoreBlobStore`] plays all four store roles with a synchronous API; the async I/O runs on one
//! private runtime (see `runtime.rs`) so it can be called from any thread, inside a tokio runtime or not.
//!
//! The invariants of `shared/design/publishing.md`, and why they hold here:
//!
//! * **A version names one state, forever.** Every blob is written with `PutMode::Create` (S3:
//!   `If-None-Match: *`), so an existing name is [`Error::Conflict`], never an overwrite. In the reference
//!   layout deltas are named by their origin alone, so a second delta from the same version is the same
//!   collision. In the filesystem layout deltas are named `delta-<from>-<to>`, so `publish` first lists the
//!   prefix for another delta from that version; two producers racing past that check at once is the one
//!   gap, and the producer lock ([`BlobPublisher::lock_producer`]) is what excludes it.
//!   A create whose response was lost and which object_store retried reports Conflict although the blob is
//!   ours: it fails closed (the cycle fails, nothing is overwritten).
//! * **Announcement is a compare-and-swap.** `announce` reads `announced.version` with its ETag, checks it
//!   against `expected`, and writes with `PutMode::Update` on that ETag (`PutMode::Create` when nothing is
//!   announced). A precondition failure, or an ambiguous failure (timeout), is settled by reading again:
//!   the store announcing our version means we won (no other producer can announce a version whose blobs we
//!   created), anything else is a Conflict naming it.
//! * **Retrieved blobs are whole.** Every body is read into one buffer of the size the response declared,
//!   and a body shorter or longer than that, or than the `hollow_length` metadata hollow-rs writes at publish,
//!   is [`Error::CorruptBlob`].
//!
//! Snapshots in the reference layout are also listed in `snapshot.index`, updated with conditional writes
//! (retried when another writer changed it in between), which is how "the greatest snapshot at or below"
//! is found without listing the bucket.

mod cache;
pub mod layout;
mod lease;
mod runtime;

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use object_store::path::Path;
use object_store::{
    Attribute, AttributeValue, Attributes, GetOptions, GetResult, ObjectMeta, ObjectStore, PutMode, PutOptions,
    PutPayload, UpdateVersion,
};

pub use super::url::{Layout, RetryOptions, StoreOptions};
use super::{
    announce_conflict, AnnouncementWatcher, Announcer, Blob, BlobId, BlobPublisher, BlobRetriever, BlobType,
    ProducerLock, Version,
};
use crate::error::{Error, Result};

/// How many metadata requests `list` keeps in flight to resolve where reference-layout deltas lead.
const LIST_HEADS_IN_FLIGHT: usize = 16;

/// How many requests a store has sent, by kind (retries inside `object_store` are not counted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestStats {
    /// All requests: the sum of the others (`not_modified` is part of `gets`).
    pub requests: u64,
    /// GETs, conditional ones included.
    pub gets: u64,
    /// Conditional GETs answered "not modified" (no body).
    pub not_modified: u64,
    /// HEADs (reading a delta's metadata).
    pub heads: u64,
    /// PUTs.
    pub puts: u64,
    /// DELETEs.
    pub deletes: u64,
    /// LIST calls (a listing that spans several pages counts once).
    pub lists: u64,
}

#[derive(Debug, Default)]
struct Counters {
    gets: AtomicU64,
    not_modified: AtomicU64,
    heads: AtomicU64,
    puts: AtomicU64,
    deletes: AtomicU64,
    lists: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// An object name and the blob it names: (name, type, from, to).
type NamedBlob = (String, BlobType, Option<Version>, Version);

/// The announcement as last read by a watcher: its ETag and the version it held.
type SeenAnnouncement = Option<(String, Option<Version>)>;

#[derive(Debug)]
struct Inner {
    store: Arc<dyn ObjectStore>,
    /// The prefix, without leading or trailing `/` (empty: the bucket's root).
    prefix: String,
    url: String,
    layout: Layout,
    poll_interval: Duration,
    poll_jitter: f64,
    lease_ttl: Duration,
    cache: Option<cache::DiskCache>,
    counters: Counters,
    announcement: Mutex<SeenAnnouncement>,
}

/// A blob store in an object store (see the [module docs](self)).
#[derive(Debug, Clone)]
pub struct ObjectStoreBlobStore {
    inner: Arc<Inner>,
}

/// `object_store` errors as the crate's: a failed precondition or an existing object is a Conflict, a
/// missing object NotFound, the rest I/O.
fn os_error(what: &str, e: object_store::Error) -> Error {
    match e {
        object_store::Error::NotFound { .. } => Error::NotFound(format!("{what}: {e}")),
        object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. } => {
            Error::Conflict(format!("{what}: {e}"))
        }
        other => Error::io(what.to_owned(), std::io::Error::other(other)),
    }
}

fn is_precondition(e: &object_store::Error) -> bool {
    matches!(
        e,
        object_store::Error::AlreadyExists { .. }
            | object_store::Error::Precondition { .. }
            // S3 answers If-Match on an absent key with 404.
            | object_store::Error::NotFound { .. }
    )
}

fn metadata<'a>(attrs: &'a Attributes, key: &'static str) -> Option<&'a str> {
    attrs.get(&Attribute::Metadata(key.into())).map(|v| v.as_ref())
}

fn metadata_version(attrs: &Attributes, key: &'static str, name: &str) -> Result<Option<Version>> {
    metadata(attrs, key)
        .map(|s| {
            s.trim().parse::<Version>().map_err(|_| Error::corrupt(format!("object {name}: metadata {key}={s:?}"), 0))
        })
        .transpose()
}

/// A random 64-bit number, without a dependency: std's per-process random hash keys, stirred with the
/// time and a counter.
pub(crate) fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    h.finish()
}

fn parse_announcement(text: &[u8], url: &str) -> Result<Version> {
    let text = String::from_utf8_lossy(text);
    let line = text.lines().next().unwrap_or("").trim();
    line.parse::<Version>().map_err(|_| {
        Error::InvalidArgument(format!("{url}/{} does not hold a version: {line:?}", layout::ANNOUNCEMENT))
    })
}

impl Inner {
    fn path(&self, rel: &str) -> Path {
        if self.prefix.is_empty() {
            Path::from(rel)
        } else {
            Path::from(format!("{}/{rel}", self.prefix))
        }
    }

    fn display(&self, rel: &str) -> String {
        format!("{}/{rel}", self.url.trim_end_matches('/'))
    }

    async fn get(&self, rel: &str, options: GetOptions) -> object_store::Result<GetResult> {
        bump(&self.counters.gets);
        let r = self.store.get_opts(&self.path(rel), options).await;
        if let Err(object_store::Error::NotModified { .. }) = r {
            bump(&self.counters.not_modified);
        }
        r
    }

    /// An object's size and attributes without its body; `None` if absent.
    async fn head(&self, rel: &str) -> Result<Option<(ObjectMeta, Attributes)>> {
        bump(&self.counters.heads);
        let options = GetOptions { head: true, ..Default::default() };
        match self.store.get_opts(&self.path(rel), options).await {
            Ok(r) => Ok(Some((r.meta, r.attributes))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(os_error(&format!("reading metadata of {}", self.display(rel)), e)),
        }
    }

    async fn put(
        &self,
        rel: &str,
        payload: PutPayload,
        mode: PutMode,
        attributes: Attributes,
    ) -> object_store::Result<UpdateVersion> {
        bump(&self.counters.puts);
        let options = PutOptions { mode, attributes, ..Default::default() };
        self.store.put_opts(&self.path(rel), payload, options).await.map(UpdateVersion::from)
    }

    async fn delete(&self, rel: &str) -> Result<()> {
        bump(&self.counters.deletes);
        match object_store::ObjectStoreExt::delete(&*self.store, &self.path(rel)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(os_error(&format!("deleting {}", self.display(rel)), e)),
        }
    }

    /// Names (relative to the prefix) of every object under it.
    async fn list(&self) -> Result<Vec<String>> {
        bump(&self.counters.lists);
        let prefix = (!self.prefix.is_empty()).then(|| Path::from(self.prefix.as_str()));
        let mut stream = self.store.list(prefix.as_ref());
        let mut names = Vec::new();
        while let Some(meta) = stream.next().await {
            let meta = meta.map_err(|e| os_error(&format!("listing {}", self.url), e))?;
            let location = meta.location.as_ref();
            let rel = if self.prefix.is_empty() {
                Some(location)
            } else {
                location.strip_prefix(self.prefix.as_str()).and_then(|r| r.strip_prefix('/'))
            };
            if let Some(rel) = rel {
                names.push(rel.to_owned());
            }
        }
        Ok(names)
    }

    /// A whole object read into one buffer of the size the response declared. `None` if absent.
    async fn read_object(&self, rel: &str) -> Result<Option<(Arc<[u8]>, Attributes, ObjectMeta)>> {
        let r = match self.get(rel, GetOptions::default()).await {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(os_error(&format!("reading {}", self.display(rel)), e)),
        };
        let (attributes, meta) = (r.attributes.clone(), r.meta.clone());
        let data = self.read_body(rel, r).await?;
        Ok(Some((data, attributes, meta)))
    }

    async fn read_body(&self, rel: &str, r: GetResult) -> Result<Arc<[u8]>> {
        let name = self.display(rel);
        let declared = r.range.end - r.range.start;
        if let Some(expected) = metadata(&r.attributes, layout::LENGTH) {
            if expected.parse::<u64>().ok() != Some(declared) {
                return Err(Error::corrupt(
                    format!(
                        "{name} is {declared} bytes but was published with {expected} (metadata {})",
                        layout::LENGTH
                    ),
                    declared,
                ));
            }
        }
        let len = usize::try_from(declared).map_err(|_| {
            Error::InvalidArgument(format!("{name} is {declared} bytes, more than this machine addresses"))
        })?;
        // One allocation of the final size, filled in place: a collected `TrustedLen` iterator allocates
        // the `Arc` once, so the blob is never held twice (as `Vec` then `Arc` would).
        let mut data: Arc<[u8]> = std::iter::repeat_n(0u8, len).collect();
        let buf = Arc::get_mut(&mut data).ok_or_else(|| Error::corrupt("buffer shared", 0))?;
        let mut filled = 0usize;
        let mut stream = r.into_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| os_error(&format!("reading {name}"), e))?;
            let end = filled + chunk.len();
            if end > len {
                return Err(Error::corrupt(format!("{name} sent more than the {len} bytes it declared"), len as u64));
            }
            buf[filled..end].copy_from_slice(&chunk);
            filled = end;
        }
        if filled != len {
            return Err(Error::corrupt(format!("short read of {name}: {filled} of {len} bytes"), filled as u64));
        }
        Ok(data)
    }

    /// The announcement and the version of its object, for a compare-and-swap.
    async fn read_announcement(&self) -> Result<(Option<Version>, Option<UpdateVersion>)> {
        match self.read_object(layout::ANNOUNCEMENT).await? {
            None => Ok((None, None)),
            Some((data, _, meta)) => Ok((
                Some(parse_announcement(&data, &self.url)?),
                Some(UpdateVersion { e_tag: meta.e_tag, version: meta.version }),
            )),
        }
    }

    /// The snapshot index's versions and the version of its object (`None`: no index yet).
    async fn read_index(&self) -> Result<(Vec<Version>, Option<UpdateVersion>)> {
        match self.read_object(layout::SNAPSHOT_INDEX).await? {
            None => Ok((Vec::new(), None)),
            Some((data, _, meta)) => {
                let versions = layout::decode_snapshot_index(&data).ok_or_else(|| {
                    Error::corrupt(format!("{} does not decode", self.display(layout::SNAPSHOT_INDEX)), 0)
                })?;
                Ok((versions, Some(UpdateVersion { e_tag: meta.e_tag, version: meta.version })))
            }
        }
    }

    /// Add (`add`) or remove a version in the snapshot index with a conditional write, reading again and
    /// retrying when another writer changed it in between.
    async fn update_index(&self, version: Version, add: bool) -> Result<()> {
        for _ in 0..32 {
            let (mut versions, current) = self.read_index().await?;
            match (versions.binary_search(&version), add) {
                (Ok(_), true) | (Err(_), false) => return Ok(()),
                (Err(at), true) => versions.insert(at, version),
                (Ok(at), false) => {
                    versions.remove(at);
                }
            }
            let mode = current.map_or(PutMode::Create, PutMode::Update);
            let payload = PutPayload::from(layout::encode_snapshot_index(&versions));
            match self.put(layout::SNAPSHOT_INDEX, payload, mode, Attributes::new()).await {
                Ok(_) => return Ok(()),
                Err(e) if is_precondition(&e) => continue,
                Err(e) => return Err(os_error(&format!("writing {}", self.display(layout::SNAPSHOT_INDEX)), e)),
            }
        }
        Err(Error::Conflict(format!(
            "{} kept changing under 32 attempts to update it",
            self.display(layout::SNAPSHOT_INDEX)
        )))
    }
}

impl ObjectStoreBlobStore {
    /// A store in `store` under `prefix` (`""`: the root). The store is used as it is: its retries and
    /// conditional-put support are the caller's to configure. `options.config` and `options.retry` apply
    /// only to [`open`](Self::open).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for options that do not apply (a `cache_dir`
    /// that cannot be created is [`Error::Io`]).
    pub fn new(store: Arc<dyn ObjectStore>, prefix: &str, options: &StoreOptions) -> Result<Self> {
        let url = format!("{store}/{}", prefix.trim_matches('/'));
        Self::build(store, prefix, url, options)
    }

    /// A store from a URL: `s3://bucket/prefix`, `gs://bucket/prefix`, `az://container/prefix` (and the
    /// other forms `object_store` parses), or `memory://prefix` (a fresh in-memory store). Credentials and
    /// endpoints come from the environment as the `object_store` builders read it (`AWS_ENDPOINT_URL`,
    /// `AWS_ACCESS_KEY_ID`, `AWS_REGION`, `AWS_ALLOW_HTTP`, `GOOGLE_*`, `AZURE_*`...), overridden by
    /// `options.config`. S3 uses conditional puts by ETag (`If-Match`/`If-None-Match`), which the protocol
    /// needs.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a URL `object_store` cannot parse or an
    /// option its builder refuses; [`Error::Io`] when the cache directory cannot be
    /// created.
    pub fn open(url: &str, options: &StoreOptions) -> Result<Self> {
        use object_store::ObjectStoreScheme;
        let bad = |e: &dyn std::fmt::Display| Error::InvalidArgument(format!("store URL {url:?}: {e}"));
        if let Some(prefix) = url.strip_prefix("memory://") {
            let store: Arc<dyn ObjectStore> = Arc::new(object_store::memory::InMemory::new());
            return Self::build(store, prefix, url.to_owned(), options);
        }
        let parsed = ::url::Url::parse(url).map_err(|e| bad(&e))?;
        let (scheme, path) = ObjectStoreScheme::parse(&parsed).map_err(|e| bad(&e))?;
        let path = path.to_owned();
        let r = &options.retry;
        let retry = object_store::RetryConfig {
            backoff: object_store::BackoffConfig {
                init_backoff: r.init_backoff,
                max_backoff: r.max_backoff,
                base: 2.0,
            },
            max_retries: r.max_retries,
            retry_timeout: r.retry_timeout,
        };
        let store: Arc<dyn ObjectStore> = match scheme {
            ObjectStoreScheme::AmazonS3 => {
                use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey, S3ConditionalPut};
                let mut b = AmazonS3Builder::from_env().with_url(url);
                for (k, v) in &options.config {
                    b = b.with_config(k.to_ascii_lowercase().parse::<AmazonS3ConfigKey>().map_err(|e| bad(&e))?, v);
                }
                Arc::new(
                    b.with_conditional_put(S3ConditionalPut::ETagMatch)
                        .with_retry(retry)
                        .build()
                        .map_err(|e| bad(&e))?,
                )
            }
            ObjectStoreScheme::GoogleCloudStorage => {
                use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
                let mut b = GoogleCloudStorageBuilder::from_env().with_url(url);
                for (k, v) in &options.config {
                    b = b.with_config(k.to_ascii_lowercase().parse::<GoogleConfigKey>().map_err(|e| bad(&e))?, v);
                }
                Arc::new(b.with_retry(retry).build().map_err(|e| bad(&e))?)
            }
            ObjectStoreScheme::MicrosoftAzure => {
                use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
                let mut b = MicrosoftAzureBuilder::from_env().with_url(url);
                for (k, v) in &options.config {
                    b = b.with_config(k.to_ascii_lowercase().parse::<AzureConfigKey>().map_err(|e| bad(&e))?, v);
                }
                Arc::new(b.with_retry(retry).build().map_err(|e| bad(&e))?)
            }
            other => return Err(bad(&format!("{other:?} is not an object store hollow supports"))),
        };
        Self::build(store, path.as_ref(), url.to_owned(), options)
    }

    fn build(store: Arc<dyn ObjectStore>, prefix: &str, url: String, options: &StoreOptions) -> Result<Self> {
        let prefix = prefix.trim_matches('/').to_owned();
        let cache = options.cache_dir.as_deref().map(|dir| cache::DiskCache::new(dir, &url)).transpose()?;
        Ok(ObjectStoreBlobStore {
            inner: Arc::new(Inner {
                store,
                prefix,
                url,
                layout: options.layout,
                poll_interval: options.poll_interval,
                poll_jitter: options.poll_jitter.clamp(0.0, 0.99),
                lease_ttl: options.lease_ttl,
                cache,
                counters: Counters::default(),
                announcement: Mutex::new(None),
            }),
        })
    }

    /// The URL (or, for [`new`](Self::new), a description) of the store.
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// The object names in use.
    pub fn layout(&self) -> Layout {
        self.inner.layout
    }

    /// The underlying object store.
    pub fn object_store(&self) -> Arc<dyn ObjectStore> {
        self.inner.store.clone()
    }

    /// Where a blob is (or would be) stored.
    pub fn object_path(&self, id: &BlobId) -> Path {
        self.inner.path(&layout::object_name(self.inner.layout, id))
    }

    /// Where an object of the store's own (`announced.version`, `snapshot.index`, `producer.lock`) is.
    pub fn control_path(&self, name: &str) -> Path {
        self.inner.path(name)
    }

    /// Requests sent so far, by kind.
    pub fn stats(&self) -> RequestStats {
        let c = &self.inner.counters;
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let (gets, heads, puts, deletes, lists) =
            (load(&c.gets), load(&c.heads), load(&c.puts), load(&c.deletes), load(&c.lists));
        RequestStats {
            requests: gets + heads + puts + deletes + lists,
            gets,
            not_modified: load(&c.not_modified),
            heads,
            puts,
            deletes,
            lists,
        }
    }

    /// Requests sent so far (see [`stats`](Self::stats)).
    pub fn requests(&self) -> u64 {
        self.stats().requests
    }

    fn run<T, F, Fut>(&self, f: F) -> Result<T>
    where
        F: FnOnce(Arc<Inner>) -> Fut,
        Fut: std::future::Future<Output = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        runtime::block_on(f(self.inner.clone()))
    }

    /// Fetch the blob stored under `rel`, whose kind is `blob_type` and whose versions the name gives as
    /// far as it can (`to` is `None` for reference-layout deltas, whose metadata holds it).
    fn fetch(
        &self,
        rel: String,
        blob_type: BlobType,
        from: Option<Version>,
        to: Option<Version>,
    ) -> Result<Option<Blob>> {
        let inner = &self.inner;
        let mut to = to;
        if let Some(cache) = &inner.cache {
            if to.is_none() {
                // A delta named by its origin alone: its metadata says where it leads, so the cache can be
                // asked without downloading it.
                let r = rel.clone();
                let Some((_, attrs)) = self.run(move |i| async move { i.head(&r).await })? else { return Ok(None) };
                to = metadata_version(&attrs, layout::TO_STATE, &rel)?;
            }
            if let Some(to) = to {
                let id = BlobId { blob_type, from_version: from, to_version: to };
                if let Some(blob) = cache.get(&id)? {
                    return Ok(Some(blob));
                }
            }
        }
        let r = rel.clone();
        let Some((data, attrs, _)) = self.run(move |i| async move { i.read_object(&r).await })? else {
            return Ok(None);
        };
        let meta_to = metadata_version(&attrs, layout::TO_STATE, &rel)?;
        let meta_from = metadata_version(&attrs, layout::FROM_STATE, &rel)?;
        let to = match (to, meta_to) {
            (Some(a), Some(b)) if a != b => {
                return Err(Error::corrupt(
                    format!("{}: metadata to_state={b} but the name says {a}", inner.display(&rel)),
                    0,
                ))
            }
            (Some(a), _) | (None, Some(a)) => a,
            (None, None) => {
                return Err(Error::corrupt(format!("{}: no to_state metadata", inner.display(&rel)), 0));
            }
        };
        if let (Some(a), Some(b)) = (from, meta_from) {
            if a != b {
                return Err(Error::corrupt(
                    format!("{}: metadata from_state={b} but the name says {a}", inner.display(&rel)),
                    0,
                ));
            }
        }
        let blob = Blob { blob_type, from_version: from, to_version: to, data };
        if let Some(cache) = &inner.cache {
            // A cache that cannot be written only costs a download next time.
            let _ = cache.put(&blob);
        }
        Ok(Some(blob))
    }

    /// Filesystem layout: the names under the prefix that parse as blobs, with what they say.
    fn list_filesystem(&self) -> Result<Vec<NamedBlob>> {
        let names = self.run(|i| async move { i.list().await })?;
        Ok(names
            .into_iter()
            .filter_map(|n| {
                let (t, from, to) = layout::parse_name(Layout::Filesystem, &n)?;
                Some((n, t, from, to?))
            })
            .collect())
    }

    fn retrieve_from(&self, blob_type: BlobType, from: Version) -> Result<Option<Blob>> {
        match self.inner.layout {
            Layout::Reference => self.fetch(layout::reference_name(blob_type, from), blob_type, Some(from), None),
            Layout::Filesystem => {
                let found: Vec<_> = self
                    .list_filesystem()?
                    .into_iter()
                    .filter(|(_, t, f, _)| *t == blob_type && *f == Some(from))
                    .collect();
                match found.as_slice() {
                    [] => Ok(None),
                    [(name, _, _, to)] => self.fetch(name.clone(), blob_type, Some(from), Some(*to)),
                    _ => Err(Error::Conflict(format!(
                        "{} {} blobs leave version {from} in {}; a store holds at most one",
                        found.len(),
                        blob_type.file_prefix(),
                        self.inner.url
                    ))),
                }
            }
        }
    }

    /// Read the announcement with a conditional GET on the ETag last seen: an unchanged announcement costs
    /// one request and no body.
    fn poll_announcement(&self) -> Result<Option<Version>> {
        let seen = self.inner.announcement.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let if_none_match = seen.as_ref().map(|(etag, _)| etag.clone());
        let polled = self.run(move |i| async move {
            let options = GetOptions { if_none_match, ..Default::default() };
            match i.get(layout::ANNOUNCEMENT, options).await {
                Err(object_store::Error::NotModified { .. }) => Ok(None),
                Err(object_store::Error::NotFound { .. }) => Ok(Some((None, None))),
                Err(e) => Err(os_error(&format!("reading {}", i.display(layout::ANNOUNCEMENT)), e)),
                Ok(r) => {
                    let etag = r.meta.e_tag.clone();
                    let data = i.read_body(layout::ANNOUNCEMENT, r).await?;
                    Ok(Some((Some(parse_announcement(&data, &i.url)?), etag)))
                }
            }
        })?;
        let mut slot = self.inner.announcement.lock().unwrap_or_else(|e| e.into_inner());
        match polled {
            None => Ok(seen.and_then(|(_, v)| v)),
            Some((version, etag)) => {
                *slot = etag.map(|e| (e, version));
                Ok(version)
            }
        }
    }

    fn jittered_interval(&self) -> Duration {
        let j = self.inner.poll_jitter;
        // Uniform in [-1, 1).
        let u = (random_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
        self.inner.poll_interval.mul_f64(1.0 + j * u)
    }
}

impl BlobPublisher for ObjectStoreBlobStore {
    fn publish(&self, blob: &Blob) -> Result<()> {
        let id = blob.id();
        let is_delta = matches!(id.blob_type, BlobType::Delta | BlobType::ReverseDelta);
        if is_delta != id.from_version.is_some() {
            return Err(Error::InvalidArgument(format!("{id:?}: deltas, and only deltas, have an origin version")));
        }
        let layout = self.inner.layout;
        let rel = layout::object_name(layout, &id);
        if layout == Layout::Filesystem && is_delta {
            // Names hold both versions here, so create-if-absent alone would let a second delta from the
            // same version in.
            if let Some((name, ..)) =
                self.list_filesystem()?.into_iter().find(|(_, t, f, _)| *t == id.blob_type && *f == id.from_version)
            {
                return Err(Error::Conflict(format!(
                    "{} already exists in {}: a {} from version {} was already published",
                    name,
                    self.inner.url,
                    id.blob_type.file_prefix(),
                    id.from_version.unwrap_or_default()
                )));
            }
        }
        let mut attributes = Attributes::new();
        let mut meta = |k: &'static str, v: String| {
            attributes.insert(Attribute::Metadata(k.into()), AttributeValue::from(v));
        };
        if let Some(from) = id.from_version {
            meta(layout::FROM_STATE, from.to_string());
        }
        meta(layout::TO_STATE, id.to_version.to_string());
        meta(layout::LENGTH, blob.data.len().to_string());
        // The payload borrows the blob's buffer: no copy of a large blob.
        let payload = PutPayload::from(bytes::Bytes::from_owner(blob.data.clone()));
        let r = rel.clone();
        let ours = blob.data.clone();
        self.run(move |i| async move {
            match i.put(&r, payload, PutMode::Create, attributes).await {
                Ok(_) => Ok(()),
                Err(e @ (object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. })) => {
                    // A create whose response was lost is retried by the client and then finds its own
                    // object: the same bytes under the same name are the same blob, not a collision.
                    if let Ok(Some((existing, attrs, _))) = i.read_object(&r).await {
                        let same_destination =
                            metadata_version(&attrs, layout::TO_STATE, &r).ok().flatten() == Some(id.to_version);
                        if existing[..] == ours[..] && same_destination {
                            return Ok(());
                        }
                    }
                    let what = if is_delta && layout == Layout::Reference {
                        format!(
                            "a {} from version {} already exists ({})",
                            id.blob_type.file_prefix(),
                            id.from_version.unwrap_or_default(),
                            i.display(&r)
                        )
                    } else {
                        format!("blob {} already exists", i.display(&r))
                    };
                    Err(Error::Conflict(format!("{what}; blobs are never overwritten ({e})")))
                }
                Err(e) => Err(os_error(&format!("writing {}", i.display(&r)), e)),
            }
        })?;
        if id.blob_type == BlobType::Snapshot && layout == Layout::Reference {
            let v = id.to_version;
            self.run(move |i| async move { i.update_index(v, true).await })?;
        }
        Ok(())
    }

    fn delete(&self, id: &BlobId) -> Result<()> {
        let layout = self.inner.layout;
        let rel = layout::object_name(layout, id);
        let id = *id;
        self.run(move |i| async move {
            if layout == Layout::Reference {
                match id.blob_type {
                    BlobType::Delta | BlobType::ReverseDelta => {
                        // The name holds only the origin: leave a delta that leads elsewhere alone.
                        match i.head(&rel).await? {
                            None => return Ok(()),
                            Some((_, attrs)) => {
                                if metadata_version(&attrs, layout::TO_STATE, &rel)? != Some(id.to_version) {
                                    return Ok(());
                                }
                            }
                        }
                    }
                    // Out of the index first, so that no reader is sent to a snapshot being deleted.
                    BlobType::Snapshot => i.update_index(id.to_version, false).await?,
                    BlobType::Header => {}
                }
            }
            i.delete(&rel).await
        })
    }

    fn list(&self) -> Result<Vec<BlobId>> {
        let layout = self.inner.layout;
        let mut ids = self.run(move |i| async move {
            let parsed: Vec<_> = i
                .list()
                .await?
                .into_iter()
                .filter_map(|name| layout::parse_name(layout, &name).map(|parsed| (name, parsed)))
                .collect();
            // A reference-layout delta's name holds only its origin; where it leads is in its metadata,
            // one HEAD request each. They go out LIST_HEADS_IN_FLIGHT at a time: a store with a thousand
            // deltas would otherwise take a thousand round trips in a row to list.
            let i = &i;
            let resolved: Vec<Option<BlobId>> = futures_util::stream::iter(parsed)
                .map(|(name, (blob_type, from, to))| async move {
                    let to = match to {
                        Some(to) => to,
                        None => match i.head(&name).await? {
                            // Deleted since the listing.
                            None => return Ok(None),
                            Some((_, attrs)) => match metadata_version(&attrs, layout::TO_STATE, &name)? {
                                Some(to) => to,
                                None => {
                                    return Err(Error::corrupt(
                                        format!("{}: no to_state metadata", i.display(&name)),
                                        0,
                                    ))
                                }
                            },
                        },
                    };
                    Ok(Some(BlobId { blob_type, from_version: from, to_version: to }))
                })
                .buffer_unordered(LIST_HEADS_IN_FLIGHT)
                .collect::<Vec<Result<Option<BlobId>>>>()
                .await
                .into_iter()
                .collect::<Result<_>>()?;
            Ok(resolved.into_iter().flatten().collect::<Vec<_>>())
        })?;
        ids.sort_by_key(|b| (b.to_version, b.from_version, b.blob_type));
        Ok(ids)
    }

    fn lock_producer(&self) -> Result<Box<dyn ProducerLock>> {
        let inner = self.inner.clone();
        Ok(Box::new(self.run(move |_| lease::ObjectLease::acquire(inner))?))
    }
}

impl BlobRetriever for ObjectStoreBlobStore {
    /// The disk cache's entry (`cache_dir`), once the blob was retrieved: written to a temporary name,
    /// checked and renamed into place, never modified afterwards.
    fn local_file(&self, id: &BlobId) -> Option<std::path::PathBuf> {
        self.inner.cache.as_ref()?.path(id)
    }

    fn retrieve_snapshot(&self, desired: Version) -> Result<Option<Blob>> {
        let layout = self.inner.layout;
        let exact = layout::object_name(
            layout,
            &BlobId { blob_type: BlobType::Snapshot, from_version: None, to_version: desired },
        );
        // The exact version first, as Java's S3BlobRetriever does: a consumer usually asks for one that exists.
        if let Some(blob) = self.fetch(exact, BlobType::Snapshot, None, Some(desired))? {
            return Ok(Some(blob));
        }
        let mut candidates: Vec<Version> = match layout {
            Layout::Reference => self.run(|i| async move { i.read_index().await })?.0,
            Layout::Filesystem => self
                .list_filesystem()?
                .into_iter()
                .filter(|(_, t, ..)| *t == BlobType::Snapshot)
                .map(|(.., to)| to)
                .collect(),
        };
        candidates.retain(|v| *v < desired);
        candidates.sort_unstable();
        // Newest first; one deleted since the index was written is skipped.
        for v in candidates.into_iter().rev() {
            let id = BlobId { blob_type: BlobType::Snapshot, from_version: None, to_version: v };
            if let Some(blob) = self.fetch(layout::object_name(layout, &id), BlobType::Snapshot, None, Some(v))? {
                return Ok(Some(blob));
            }
        }
        Ok(None)
    }

    fn retrieve_delta(&self, from: Version) -> Result<Option<Blob>> {
        self.retrieve_from(BlobType::Delta, from)
    }

    fn retrieve_reverse_delta(&self, from: Version) -> Result<Option<Blob>> {
        self.retrieve_from(BlobType::ReverseDelta, from)
    }

    fn retrieve_header(&self, version: Version) -> Result<Option<Blob>> {
        let id = BlobId { blob_type: BlobType::Header, from_version: None, to_version: version };
        self.fetch(layout::object_name(self.inner.layout, &id), BlobType::Header, None, Some(version))
    }
}

impl Announcer for ObjectStoreBlobStore {
    fn announced_version(&self) -> Result<Option<Version>> {
        Ok(self.run(|i| async move { i.read_announcement().await })?.0)
    }

    fn announce(&self, version: Version, expected: Option<Version>) -> Result<()> {
        self.run(move |i| async move {
            let (actual, current) = i.read_announcement().await?;
            if actual != expected {
                return Err(announce_conflict(version, expected, actual));
            }
            let mode = current.map_or(PutMode::Create, PutMode::Update);
            let payload = PutPayload::from(version.to_string().into_bytes());
            let outcome = i.put(layout::ANNOUNCEMENT, payload, mode, Attributes::new()).await;
            match outcome {
                Ok(_) => Ok(()),
                Err(e) => {
                    // Lost the swap, or do not know (a timeout, or a retry of a write that had landed):
                    // what the store announces now decides.
                    let (now, _) = i.read_announcement().await?;
                    if now == Some(version) {
                        Ok(())
                    } else if is_precondition(&e) {
                        Err(announce_conflict(version, expected, now))
                    } else {
                        Err(os_error(&format!("writing {}", i.display(layout::ANNOUNCEMENT)), e))
                    }
                }
            }
        })
    }
}

impl AnnouncementWatcher for ObjectStoreBlobStore {
    fn latest_version(&self) -> Result<Option<Version>> {
        self.poll_announcement()
    }

    fn wait_for_change(&self, seen: Option<Version>, timeout: Duration) -> Result<Option<Version>> {
        let deadline = Instant::now() + timeout;
        loop {
            let v = self.poll_announcement()?;
            let now = Instant::now();
            if v != seen || now >= deadline {
                return Ok(v);
            }
            std::thread::sleep((deadline - now).min(self.jittered_interval()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_intervals_are_jittered_within_bounds() {
        let options = StoreOptions { poll_interval: Duration::from_secs(1), poll_jitter: 0.2, ..Default::default() };
        let store = ObjectStoreBlobStore::new(Arc::new(object_store::memory::InMemory::new()), "", &options).unwrap();
        let samples: Vec<f64> = (0..500).map(|_| store.jittered_interval().as_secs_f64()).collect();
        let (min, max) = samples.iter().fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
        assert!(min >= 0.8 && max <= 1.2, "{min} {max}");
        // Spread over the range, not stuck at one value.
        assert!(min < 0.85 && max > 1.15, "{min} {max}");
    }

    #[test]
    fn blocking_calls_from_a_store_worker_are_refused_not_deadlocked() {
        let r = runtime::block_on(async { Ok(runtime::block_on(async { Ok(1) })) });
        assert!(r.unwrap().is_err());
    }
}
